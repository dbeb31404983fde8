"""`/agencies/{code}/quality`: an agency's data quality (issue 13), and the figures the national
overview on `/agencies/` shows for every agency.

The page says, for the current licences whose issuer is the agency's code (opendata/
qualityfigures.py): how many there are by effective status today, how many have a document URL,
a SHA-256 and a document that was reachable at the last link check ("not checked yet" when the
checker never ran for it); the warnings of the agency's newest uploads, by rule, in the
standard's own words (never a row, a value or a message of a report: those may be a natural
person's); when it last uploaded; its readiness tier; and what to fix next.

A browser gets the page in its language; `?format=json` or `Accept: application/json` gets the
same figures as JSON. An agency code that is not in the catalogue is a 404 like any other page.
Nothing here scans the store: see opendata/qualityqueries.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, jsonify, make_response, render_template, request

from opendata import qualityqueries as queries
from opendata.qualityfigures import (
    STATUSES,
    AgencyQuality,
    LicenceFigures,
    by_issuer,
    rule_wording,
    share,
)
from registry import identifiers
from registry.errors import BadRequest, LicenceNotFound, NotAcceptable
from registry.model import Agency
from web import conneg
from web.conditional import conditional
from web.messages import LANGUAGES, message, words
from web.page import page_context, preferred_language
from web.rdfresponse import document_headers
from web.searchindex import current_index
from web.state import current_state, today

bp = Blueprint("agency_quality", __name__, template_folder="templates")

_OFFERS = (conneg.HTML, conneg.JSON)
_FORMATS = {"html": conneg.HTML, "json": conneg.JSON}


def _wanted() -> str:
    try:
        wanted = conneg.negotiate(request.headers.get("Accept"), _OFFERS,
                                  request.args.get("format"), formats=_FORMATS,
                                  aliases={"application/xhtml+xml": conneg.HTML})
    except conneg.UnknownFormat:
        raise BadRequest(f"format={request.args.get('format', '')[:20]!r}; use html or json.",
                         parameter="format", allowed=list(_FORMATS)) from None
    if wanted is None:
        raise NotAcceptable(f"Available: {', '.join(_OFFERS)}.")
    return wanted


def _agency(code: str, catalogue) -> Agency:
    try:
        code = identifiers.check_code(code, "agency")
    except identifiers.InvalidCode as exc:
        raise LicenceNotFound(str(exc)) from None
    found = catalogue.agencies.get(code)
    if found is None:
        raise LicenceNotFound(f"No agency {code!r} in the catalogue.")
    return found


def agency_quality(agency: Agency) -> AgencyQuality:
    """The agency's figures today, from the side index, the link checks and its uploads."""
    state = current_state()
    repo, base, day = state.repository, state.settings.base_iri, today()
    counts = current_index().quality_counts(day, agency.code)
    return AgencyQuality(agency.code, agency.tier, day, LicenceFigures.of(counts),
                         queries.link_counts(repo, base, agency.code),
                         queries.agency_uploads(repo, base, agency.code))


@bp.get("/agencies/<code>/quality")
def quality(code: str):
    wanted = _wanted()
    lang = preferred_language()
    context = page_context(lang, "lists", "quality")
    agency = _agency(code, context["catalogue"])
    figures = agency_quality(agency)
    base = context["base"]
    if wanted == conneg.JSON:
        response = jsonify(as_json(agency, figures, base))
    else:
        response = make_response(render_template(
            "quality.html", item=agency, q=figures, statuses=STATUSES, share=share,
            status_words=words(lang, "licence")["status"], fixes=figures.to_fix(base, lang),
            rule_wording=rule_wording, fix_text=fix_text, **context))
    return conditional(document_headers(response))


def _both(message_id: str, **values) -> dict[str, str]:
    return {lang: message(message_id, lang).format(**values) for lang in LANGUAGES}


def as_json(agency: Agency, q: AgencyQuality, base: str) -> dict:
    """The page's figures for programs (counts, never a report's rows or values)."""
    total = q.licences.total
    links = q.links
    latest = q.uploads.latest
    return {
        "agency": agency.code, "iri": identifiers.agency_iri(base, agency.code),
        "name": {"th": agency.label_th, "en": agency.label_en}, "tier": agency.tier,
        "today": q.today.isoformat(), "scope": _both("quality.scope_short"),
        "licences": {"total": total,
                     "by_status": {s: q.licences.by_status.get(s, 0) for s in STATUSES}},
        "documents": {
            "with_url": q.licences.with_document_url,
            "with_sha256": q.licences.with_sha256,
            "share_with_url": round(share(q.licences.with_document_url, total), 4),
            "share_with_sha256": round(share(q.licences.with_sha256, total), 4),
            "link_check": None if links is None else {
                "checked": links.checked, "reachable": links.reachable,
                "unreachable": links.unreachable, "last_checked": links.last_checked},
            "reachable": q.reachable,
            "share_reachable": None if q.reachable is None else round(share(q.reachable,
                                                                            total), 4)},
        "uploads": {
            "latest": None if latest is None else {
                "upload_id": latest["upload_id"], "iri": latest["iri"], "ended": latest["ended"]},
            "read": q.uploads.read,
            "warnings": [{"rule": r.rule, "severity": r.severity, "count": r.count,
                          "uploads": r.uploads,
                          "message": {lang: rule_wording(r.rule, lang) for lang in LANGUAGES}}
                         for r in q.uploads.warnings.rules],
            "uncounted": q.uploads.warnings.uncounted},
        "to_fix": [{"kind": f.kind, "count": f.count, "rule": f.rule or None,
                    "href": f.href or None,
                    "message": {lang: fix_text(f, lang) for lang in LANGUAGES}}
                   for f in q.to_fix(base)],
    }


def fix_text(fix, lang: str) -> str:
    """What to fix, in `lang`: the kind's sentence with its count (and the rule's words)."""
    return message("quality.fix", lang)[fix.kind].format(
        count=f"{fix.count:,}", rule=rule_wording(fix.rule, lang) if fix.rule else "")


# The national overview (/agencies/)


@dataclass(frozen=True)
class OverviewRow:
    """What /agencies/ shows of an agency's data quality."""

    licences: LicenceFigures
    links: queries.LinkCounts | None
    last_upload: str                    # xsd:dateTime text, "" when it never uploaded

    @property
    def reachable(self) -> int | None:
        if self.links is None:
            return None
        return min(self.links.reachable, self.licences.total)


def overview() -> dict[str, OverviewRow]:
    """Every agency's figures (agencies with no licence, no check and no upload are left out):
    one GROUP BY on the side index, one aggregate over the link checks, one over the uploads,
    each kept until what it counts changes."""
    state = current_state()
    repo, base = state.repository, state.settings.base_iri
    figures = by_issuer(current_index().quality_counts(today()))
    links = queries.all_link_counts(repo, base)
    uploads = queries.latest_uploads(repo, base)
    return {code: OverviewRow(figures.get(code, LicenceFigures()), links.get(code),
                              uploads[code][0] if code in uploads else "")
            for code in set(figures) | set(links) | set(uploads)}
