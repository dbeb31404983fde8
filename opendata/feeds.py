"""`/feeds/expiring` (SPEC §7): a holder's or an agency's licences about to expire, as Atom or
iCalendar.

A feed lists the CURRENT records (the graph `{BASE}/graph/licence/…`, never a `…/version/N`
graph) whose stored status is active and whose `schema:validUntil` — the last day the licence is
valid — falls between today and today + `days`, both included, today being the date in
Thailand (UTC+7). docs/feeds.md describes the feed; docs/decisions.md says why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, request

from registry import identifiers, thaiid
from registry.dates import THAILAND
from registry.errors import (
    AgencyNotFound,
    BadRequest,
    LicenceTypeNotFound,
    NotAcceptable,
    RegistryError,
)
from registry.hiddentext import isolate
from registry.history import current_record, current_record_of
from registry.model import Catalogue
from registry.namespaces import XSD, sparql_prefixes
from registry.store import Repository
from web import conneg
from web.conditional import conditional
from web.messages import message, words
from web.page import page_context
from web.queryparams import int_param
from web.state import current_state
from web.state import today as registry_today

bp = Blueprint("catalogue_feeds", __name__)

ATOM = "application/atom+xml"
ICALENDAR = "text/calendar"
FORMATS = {"atom": ATOM, "ics": ICALENDAR}
_ALIASES = {"application/xml": ATOM, "text/xml": ATOM}      # what some feed readers send
DEFAULT_DAYS, MAX_DAYS = 90, 366
MAX_ENTRIES = 1000
MAX_AGE = 300                      # seconds: the window moves once a day, records change rarely
ALARM_BEFORE = dt.timedelta(days=30)
PRODID = "-//Central Licence Catalogue//Expiring licences 1.0//TH"


@dataclass(frozen=True)
class FeedQuery:
    """What one feed asks for, checked."""

    days: int
    today: dt.date
    holder_id: str = ""            # a juristic person's 13 digits
    issuer: str = ""               # an agency code
    type: str = ""                 # a licence-type code, or "" for all

    @property
    def until(self) -> dt.date:
        return self.today + dt.timedelta(days=self.days)

    def params(self) -> dict[str, str]:
        """The query string of this feed in canonical form (its id and self link)."""
        subject = {"holder": self.holder_id} if self.holder_id else {"issuer": self.issuer}
        return {**subject, **({"type": self.type} if self.type else {}), "days": str(self.days)}


@dataclass
class Expiring:
    iri: str
    key: identifiers.LicenceKey
    printed_number: str
    valid_until: dt.date
    modified: dt.datetime
    version: int
    holder_id: str = ""                                         # juristic persons only
    holder_names: dict[str, str] = field(default_factory=dict)  # language → name, as stored


# Bound variables (?holder, ?issuer, ?type, ?from, ?to) are projected, as Repository.select
# requires. A remote store joins them after the WHERE clause (a trailing VALUES block), where a
# FILTER cannot see them, so the window test is a SELECT expression, evaluated after that join
# on both kinds of store; the rows outside the window sort last and are dropped here.
#
# Speed: Oxigraph keeps the written order of patterns that all have two variables, so the bound
# one (#FIRST#: the holder or the issuer) is written first and the status is compared in a
# FILTER rather than as a constant (a constant pattern would be moved ahead and read every
# active licence). No OPTIONAL either: the holders' names come from a second query over the
# (at most MAX_ENTRIES) graphs found. Current records only (#CURRENT#, registry.history): a
# holder has a few licences, so each row's mark is looked up; an agency may have issued a
# hundred thousand, so the marks are read once and joined (a holder's feed: 0.4 ms against
# 5-10 ms; an agency's of 10,000 rows: 450 ms against 620 ms, on 200,000 licences).
_EXPIRING = sparql_prefixes("adms", "clc", "clcstatus", "dct", "schema", "skos") + """
SELECT ?l ?g ?until ?modified ?version ?printed
       ?holder ?issuer ?type ?from ?to (IF(?until >= ?from && ?until <= ?to, 1, 0) AS ?inside)
WHERE {
  GRAPH ?g {
    ?l #FIRST# ; adms:status ?status ; schema:validUntil ?until ;
       dct:conformsTo ?type ; dct:modified ?modified ; clc:version ?version ;
       adms:identifier ?identifier . ?identifier skos:notation ?printed .
    FILTER(?status = clcstatus:active)
  }
  #CURRENT#
}
ORDER BY DESC(?inside) ?until ?l
"""
_FIRST = {"holder": "dct:subject ?holder ; schema:issuedBy ?issuer",
          "issuer": "schema:issuedBy ?issuer ; dct:subject ?holder"}
_CURRENT = {"holder": current_record_of("?l"), "issuer": current_record("?g")}

_HOLDERS = sparql_prefixes("dct", "foaf", "legal") + """
SELECT ?g ?p ?v WHERE { #VALUES_G#
  GRAPH ?g { ?l dct:subject ?h . ?h ?p ?v
             FILTER(?p IN (dct:identifier, legal:legalName, foaf:name)) }
}"""
_DCT_IDENTIFIER = "http://purl.org/dc/terms/identifier"


def expiring(repo: Repository, base: str, query: FeedQuery) -> tuple[list[Expiring], bool]:
    """The licences of the feed, by expiry date, at most MAX_ENTRIES; and whether more matched."""
    def date(day: dt.date) -> ox.Literal:
        return ox.Literal(day.isoformat(), datatype=XSD.date)

    bindings: dict[str, ox.NamedNode | ox.Literal] = {"from": date(query.today),
                                                      "to": date(query.until)}
    if query.holder_id:
        bindings["holder"] = ox.NamedNode(identifiers.juristic_person_iri(base, query.holder_id))
    else:
        bindings["issuer"] = ox.NamedNode(identifiers.agency_iri(base, query.issuer))
    if query.type:
        bindings["type"] = ox.NamedNode(identifiers.licence_type_iri(base, query.type))
    by = "holder" if query.holder_id else "issuer"
    text = _EXPIRING.replace("#FIRST#", _FIRST[by]).replace("#CURRENT#", _CURRENT[by])
    found: dict[str, Expiring] = {}              # graph → licence, in the query's order
    for row in repo.select(text + f"LIMIT {MAX_ENTRIES + 1}\n", bindings):
        # ?inside is 1 or 0, not a boolean: Virtuoso writes a computed boolean as an integer.
        if "inside" not in row or row["inside"].value != "1":
            break
        try:
            key = identifiers.parse_licence_iri(base, row["l"].value)
        except (identifiers.InvalidCode, identifiers.InvalidNumber):
            continue
        found[row["g"].value] = Expiring(
            row["l"].value, key, row["printed"].value, dt.date.fromisoformat(row["until"].value),
            dt.datetime.fromisoformat(row["modified"].value), int(row["version"].value))
    entries = list(found.values())[:MAX_ENTRIES]
    graphs = list(found)[:MAX_ENTRIES]
    by_graph = dict(zip(graphs, entries, strict=True))
    for row in repo.select_graphs(_HOLDERS, graphs):
        entry = by_graph[row["g"].value]
        if row["p"].value == _DCT_IDENTIFIER:
            entry.holder_id = row["v"].value
        else:
            name = row["v"]
            language = name.language if isinstance(name, ox.Literal) else None
            entry.holder_names[language or "th"] = name.value
    return entries, len(found) > MAX_ENTRIES


# Reading the request ----------------------------------------------------------------------------

def _one_param(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"Give {name} once, not {len(values)} times.", parameter=name)
    return values[0] if values else None


def _holder_id(raw: str, base: str) -> str:
    prefix = identifiers.juristic_person_iri(base, "")
    text = raw[len(prefix):] if raw.startswith(prefix) else raw
    holder_id = thaiid.canonical_id(text.strip())
    if not thaiid.is_thirteen_digits(holder_id):
        raise BadRequest(f"holder must be a juristic person's 13-digit ID or its IRI "
                         f"{prefix}{{13 digits}}; got {raw[:100]!r}.", parameter="holder")
    if not holder_id.startswith("0"):
        raise BadRequest("holder: only juristic persons' IDs (starting with 0) are published; "
                         "natural persons' IDs are never stored, so there is no feed by them.",
                         parameter="holder")
    if not thaiid.has_valid_check_digit(holder_id):
        raise BadRequest(f"holder {holder_id} has a wrong check digit.", parameter="holder")
    return holder_id


def _days() -> int:
    return int_param("days", default=DEFAULT_DAYS, minimum=1, maximum=MAX_DAYS)


def _catalogue_code(raw: str, known, error: type[RegistryError], what: str) -> str:
    try:
        code = identifiers.check_code(raw, what)
    except identifiers.InvalidCode as exc:
        raise error(str(exc)) from None
    if code not in known:
        raise error(f"{what} {code!r} is not in the catalogue.")
    return code


def read_query(base: str, catalogue: Catalogue) -> FeedQuery:
    """The checked parameters, or a 400 / 404 naming what is wrong. No query runs before."""
    holder, issuer = _one_param("holder"), _one_param("issuer")
    if (holder is None) == (issuer is None):
        named = "both holder and issuer" if holder is not None else "neither holder nor issuer"
        raise BadRequest(f"Give exactly one of holder (a juristic person's ID) or issuer (an "
                         f"agency code); got {named}.", parameter="holder|issuer")
    days = _days()
    raw_type = _one_param("type")
    licence_type = (_catalogue_code(raw_type, catalogue.types, LicenceTypeNotFound,
                                    "Licence type") if raw_type is not None else "")
    if holder is not None:
        return FeedQuery(days, registry_today(), holder_id=_holder_id(holder, base),
                         type=licence_type)
    return FeedQuery(days, registry_today(), type=licence_type,
                     # not None: exactly one of holder and issuer was given (checked above)
                     issuer=_catalogue_code(cast(str, issuer), catalogue.agencies,
                                            AgencyNotFound, "Agency"))


def _media_type() -> str:
    try:
        wanted = conneg.negotiate(request.headers.get("Accept"), (ATOM, ICALENDAR),
                                  _one_param("format"), formats=FORMATS, aliases=_ALIASES)
    except conneg.UnknownFormat as exc:
        raise BadRequest(str(exc), parameter="format") from None
    if wanted is None:
        raise NotAcceptable(f"Available: {ATOM}, {ICALENDAR}.")
    return wanted


# Writing the feed ------------------------------------------------------------------------------

@dataclass
class Feed:
    query: FeedQuery
    entries: list[Expiring]
    truncated: bool
    base: str
    catalogue: Catalogue

    @property
    def url(self) -> str:
        return f"{self.base}/feeds/expiring?{urlencode(self.query.params())}"

    def subject(self, lang: str) -> str:
        q, cat = self.query, self.catalogue
        if q.holder_id:
            who = (f"นิติบุคคลเลขทะเบียน {q.holder_id}" if lang == "th"
                   else f"juristic person {q.holder_id}")
        else:
            agency = cat.agencies[q.issuer]
            who = agency.label_th if lang == "th" else agency.label_en
        if q.type:
            licence_type = cat.types[q.type]
            who += " – " + (licence_type.title_th if lang == "th" else licence_type.title_en)
        return who

    @property
    def title(self) -> str:
        days = self.query.days
        return (f"ใบอนุญาตที่จะหมดอายุภายใน {days} วัน: {self.subject('th')} / "
                f"Licences expiring within {days} days: {self.subject('en')}")

    @property
    def description(self) -> str:
        start, end = self.query.today.isoformat(), self.query.until.isoformat()
        text = (f"ใบอนุญาตฉบับปัจจุบันที่ยังใช้ได้ ซึ่งวันสุดท้ายที่ใช้ได้อยู่ระหว่าง {start} ถึง {end} "
                f"(เวลาประเทศไทย) เรียงตามวันหมดอายุ แสดงไม่เกิน {MAX_ENTRIES:,} รายการ / "
                f"Current, active licences whose last valid day is between {start} and {end} "
                f"(Thailand time), by expiry date; at most {MAX_ENTRIES:,} entries.")
        if self.truncated:
            text += (f" มีใบอนุญาตมากกว่า {MAX_ENTRIES:,} รายการ แสดงเฉพาะที่หมดอายุก่อน / "
                     f"More than {MAX_ENTRIES:,} licences match; only the first to expire are "
                     "listed: narrow the feed with type= or fewer days.")
        return text

    @property
    def updated(self) -> dt.datetime:
        """The latest change to an entry, or the start of today (when the window last moved)."""
        start_of_day = dt.datetime.combine(self.query.today, dt.time(), THAILAND)
        return max([start_of_day, *(e.modified for e in self.entries)])

    def labels(self, entry: Expiring) -> dict[str, dict]:
        """Per language: the type title, agency name and holder as the licence page shows them."""
        licence_type = self.catalogue.types.get(entry.key.type)
        agency = self.catalogue.agencies.get(entry.key.issuer)
        out = {}
        for lang in ("th", "en"):
            licence_words = words(lang, "licence")
            holder = isolate(entry.holder_names.get(lang)
                             or next(iter(entry.holder_names.values()), ""))
            if not holder:
                holder = licence_words["natural_person"] if not entry.holder_id else ""
            if entry.holder_id:
                holder = f"{holder} ({licence_words['holder_id']} {entry.holder_id})".strip()
            out[lang] = {
                "type": getattr(licence_type, f"title_{lang}", entry.key.type),
                "issuer": getattr(agency, f"label_{lang}", entry.key.issuer),
                "holder": holder, "words": licence_words,
            }
        return out

    def entry_title(self, entry: Expiring, th_prefix: str = "", en_prefix: str = "") -> str:
        labels = self.labels(entry)
        th, en = labels["th"], labels["en"]
        # A direction control in a stored value must not reverse the rest of a feed reader's line.
        number = isolate(entry.printed_number)
        return (f"{th_prefix}{th['type']} เลขที่ {number} / "
                f"{en_prefix}{en['type']} No. {number}")

    def entry_text(self, entry: Expiring) -> str:
        lines, labels = [], self.labels(entry)
        for lang in ("th", "en"):
            label = labels[lang]
            said = label["words"]
            lines += [f"{said['holder']}: {label['holder']}",
                      f"{said['issuer']}: {label['issuer']}",
                      f"{said['valid_until']}: {entry.valid_until.isoformat()}"]
        return "\n".join(lines)


def atom(feed: Feed) -> bytes:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.id(feed.url)
    fg.title(feed.title)
    fg.subtitle(feed.description)
    fg.updated(feed.updated)
    fg.author(name=f"{message('common.site', 'th')} / {message('common.site', 'en')}",
              uri=feed.base)
    fg.link(href=identifiers.iri_to_uri(feed.url), rel="self", type=ATOM)
    fg.link(href=identifiers.iri_to_uri(feed.url + "&format=ics"), rel="alternate",
            type=ICALENDAR)
    fg.generator(message("common.site", "en"), uri=feed.base)
    for licence in feed.entries:
        entry = fg.add_entry(order="append")
        entry.id(licence.iri)
        entry.title(feed.entry_title(licence))
        entry.link(href=identifiers.iri_to_uri(licence.iri), rel="alternate")
        entry.updated(licence.modified)
        entry.summary(feed.entry_text(licence))
    return fg.atom_str(pretty=True)


def icalendar(feed: Feed) -> bytes:
    """The feed as iCalendar. Every TEXT property's value is a `vText`, which escapes backslash,
    semicolon, comma and newline (RFC 5545 §3.3.11): the library types SUMMARY and DESCRIPTION
    so by itself, but not NAME (RFC 7986) nor the X-WR-* names, whose values it would write raw
    (a comma in an agency's name would split it into a list, a newline would break the file)."""
    from icalendar import Alarm, Calendar, Event, vText

    calendar = Calendar()
    calendar.add("prodid", vText(PRODID))
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    for name in ("name", "x-wr-calname"):
        calendar.add(name, vText(feed.title))
    for name in ("description", "x-wr-caldesc"):
        calendar.add(name, vText(feed.description))
    calendar.add("refresh-interval", dt.timedelta(days=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "P1D")
    for licence in feed.entries:
        title = feed.entry_title(licence)
        event = Event()
        event.add("uid", licence_uid(licence.iri))
        event.add("dtstamp", licence.modified.astimezone(dt.UTC))
        event.add("last-modified", licence.modified.astimezone(dt.UTC))
        event.add("sequence", licence.version - 1)
        event.add("dtstart", licence.valid_until)
        event.add("dtend", licence.valid_until + dt.timedelta(days=1))
        event.add("summary", vText(feed.entry_title(licence, "วันสุดท้ายที่ใช้ได้: ",
                                                     "Last valid day: ")))
        event.add("description", vText(feed.entry_text(licence) + "\n" + licence.iri))
        event.add("url", identifiers.iri_to_uri(licence.iri))
        event.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -ALARM_BEFORE)
        alarm.add("description", vText(f"30 วันก่อนหมดอายุ / 30 days before expiry: {title}"))
        event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()


def licence_uid(iri: str) -> str:
    """A stable event UID from the licence IRI: the same licence is the same event in every
    feed and every day, so a renewal moves the event instead of adding one."""
    return f"{hashlib.sha256(iri.encode()).hexdigest()[:40]}@licence.clc"


@bp.get("/feeds/expiring")
def expiring_feed():
    state = current_state()
    base = state.settings.base_iri
    catalogue = page_context("th")["catalogue"]
    media_type = _media_type()
    query = read_query(base, catalogue)
    entries, truncated = expiring(state.repository, base, query)
    feed = Feed(query, entries, truncated, base, catalogue)
    body = atom(feed) if media_type == ATOM else icalendar(feed)
    response = Response(body, mimetype=media_type)
    response.headers["Content-Type"] = f"{media_type}; charset=utf-8"
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Vary"] = "Accept"
    return conditional(response)
