"""An agency's page (SPEC §10): what the agency is and how to reach it, the licence types it
issues, its licences — a page at a time, filtered by type and by status today — and its
expiry feed.

The licences come from the side index (web/searchindex.py), never from a SPARQL query per
request: an agency may have issued a hundred thousand. What a row shows is what the licence's
own page may show: a natural person is named only on a public register, and no holder's ID is
printed (a juristic person's name links to its holder page).

The query parameters are checked before anything is drawn: `type` (one of the agency's licence
types), `status` (an effective status) and `page` (1, 2, …); a bad value is a 400 that names
the parameter, in the visitor's language on the error page. A page past the last is a 404;
page 1 always exists, empty or not.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from registry import identifiers
from registry.errors import BadRequest, LicenceNotFound
from registry.model import Agency, Catalogue, LicenceType
from web.messages import LANGUAGES, message

PAGE_SIZE = 50
# The effective statuses (registry/status.py: the stored ones and the derived `expired`), in
# the order a form offers them.
STATUSES = ("active", "expired", "suspended", "revoked", "surrendered", "replaced")
FEED_FORMATS = (("atom", "application/atom+xml"), ("ics", "text/calendar"))


@dataclass(frozen=True)
class LicenceFilters:
    """What the visitor asked of the agency's licences, checked."""

    type: str | None
    status: str | None
    page: int

    def query(self, page: int | None = None, lang: str | None = None) -> str:
        """This list's query string, at `page` (1 is left out), in `lang` when given."""
        pairs = [("type", self.type), ("status", self.status),
                 ("page", str(page) if page and page > 1 else None), ("lang", lang)]
        return urlencode([(k, v) for k, v in pairs if v])


def _refuse(parameter: str, message_id: str, offered: list[str] | None = None,
            **values: Any) -> BadRequest:
    """A 400 naming `parameter`, its detail in every language (the error page shows the
    visitor's; API clients read the English `detail`)."""
    texts = {lang: message(f"agency.{message_id}", lang).format(**values) for lang in LANGUAGES}
    extra: dict[str, Any] = {"parameter": parameter, "message": texts}
    if offered is not None:
        extra["allowed"] = offered
    return BadRequest(texts["en"], **extra)


def _one(args, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise _refuse(name, "twice", name=name)
    return (values[0].strip() or None) if values else None


def read_filters(args, type_codes: list[str]) -> LicenceFilters:
    """The `type`, `status` and `page` of a request's query (`args`); BadRequest for a value
    this page does not offer."""
    licence_type, status, page = _one(args, "type"), _one(args, "status"), _one(args, "page")
    if licence_type is not None and licence_type not in type_codes:
        raise _refuse("type", "bad_type", type_codes, value=repr(licence_type[:80]),
                      allowed=", ".join(type_codes) or "—")
    if status is not None and status not in STATUSES:
        raise _refuse("status", "bad_status", list(STATUSES), value=repr(status[:40]),
                      allowed=", ".join(STATUSES))
    number = 1
    if page is not None:
        # ASCII digits only, and short: int() would take Thai digits and a thousand of them.
        if not (page.isascii() and page.isdigit()) or len(page) > 9 or int(page) < 1:
            raise _refuse("page", "bad_page", value=repr(page[:20]))
        number = int(page)
    return LicenceFilters(licence_type, status, number)


@dataclass(frozen=True)
class LicenceRow:
    """One licence as the agency's page lists it."""

    href: str                 # the licence's IRI, as a path on this site
    number: str               # as printed
    type_code: str
    holder: str               # the name shown; "" for a natural person not on a public register
    holder_lang: str          # the language the name is in
    holder_href: str          # a juristic person's holder page, else ""
    status: str               # effective today
    valid_until: dt.date | None


def _site_path(iri: str, base: str) -> str:
    """A register IRI as a link on this site (a path, percent-encoded)."""
    return identifiers.iri_to_uri(iri[len(base):] if iri.startswith(base) else iri)


def licence_row(licence, catalogue: Catalogue, base: str, lang: str,
                today: dt.date) -> LicenceRow:
    """`licence` (web.searchindex's IndexedLicence) as a row of the page in `lang`."""
    other = "en" if lang == "th" else "th"
    names = {"th": licence.holder_name_th, "en": licence.holder_name_en}
    holder_lang = lang if names[lang] else other
    holder = names[holder_lang]
    licence_type: LicenceType | None = catalogue.types.get(licence.type)
    if not licence.holder_id and not (licence_type and licence_type.public_register):
        holder = ""           # a natural person: named only on a public register (SPEC §5)
    holder_href = (_site_path(identifiers.juristic_person_iri(base, licence.holder_id), base)
                   if licence.holder_id else "")
    return LicenceRow(_site_path(licence.iri, base), licence.printed_number or licence.number,
                      licence.type, holder, holder_lang, holder_href,
                      licence.effective_status(today), licence.valid_until)


@dataclass(frozen=True)
class Paging:
    page: int
    pages: int
    total: int

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE, self.total)


def licences_page(index, agency: str, filters: LicenceFilters, today: dt.date
                  ) -> tuple[Paging, list]:
    """The page of the agency's licences the filters ask for, and where it is among them;
    a 404 for a page past the last (page 1 always exists)."""
    total, found = index.licences(issuer=agency, type=filters.type, status=filters.status,
                                  today=today, offset=(filters.page - 1) * PAGE_SIZE,
                                  limit=PAGE_SIZE)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if filters.page > pages:
        texts = {lang: message("agency.no_such_page", lang).format(page=filters.page,
                                                                   pages=pages)
                 for lang in LANGUAGES}
        raise LicenceNotFound(texts["en"], message=texts)
    return Paging(filters.page, pages, total), found


def sub_agencies(catalogue: Catalogue, code: str) -> list[Agency]:
    return sorted((a for a in catalogue.agencies.values() if a.parent == code),
                  key=lambda a: a.code)


def agency_types(catalogue: Catalogue, code: str) -> list[LicenceType]:
    """The licence types the agency is a competent authority for: the only ones it may issue
    (registry/validation.py)."""
    return sorted((t for t in catalogue.types.values() if code in t.authorities),
                  key=lambda t: t.code)


def feed_links(code: str) -> list[tuple[str, str, str]]:
    """(format key, media type, href) of the agency's expiry feed."""
    return [(key, media_type, f"/feeds/expiring?{urlencode({'issuer': code, 'format': key})}")
            for key, media_type in FEED_FORMATS]
