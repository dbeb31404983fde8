"""`GET /search?q=`: find licences by printed number, juristic ID or any part of a holder's name.

The finding is the licence side index's (registry/licenceindex.py, through
web.searchindex.current_index). A browser gets a page in its language: the search box, then
each licence found with its effective status today and its end date, linked to its page and
to its holder's page (juristic persons); finding nothing is a page too, with the box again
and ways forward. An API client (JSON preferred, or `?format=json`) gets
`{"q": …, "results": […]}`.

A browser that typed a licence number that exactly one licence has is sent (303) straight to
that licence's page: it asked for that licence. A juristic ID, a name, or a number that several
licences share gives the list.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response

from registry import identifiers
from registry.errors import BadRequest
from registry.licenceindex import MAX_QUERY, IndexedLicence, juristic_id
from web import conneg
from web.page import page_context, preferred_language
from web.queryparams import int_param
from web.searchindex import current_index
from web.state import current_state, today

bp = Blueprint("search", __name__, template_folder="templates")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def licence_page(found: IndexedLicence) -> str:
    """The licence's page, as a path on this site (percent-encoded)."""
    tail = f"{found.issuer}/{found.type}/{found.number}"
    return identifiers.iri_to_uri(identifiers.doc_path("licence", tail))


def holder_page(holder_id: str) -> str:
    return f"/id/juristic-person/{holder_id}"


def _as_json(found: IndexedLicence) -> dict:
    day = today()
    return {
        "iri": found.iri, "issuer": found.issuer, "type": found.type, "number": found.number,
        "printed_number": found.printed_number,
        "holder": ({"id": found.holder_id,
                    "iri": identifiers.juristic_person_iri(_base(), found.holder_id)}
                   if found.holder_id else None),
        "holder_name": {"th": found.holder_name_th, "en": found.holder_name_en},
        "status": found.status, "effective_status": found.effective_status(day),
        "valid_from": found.valid_from.isoformat() if found.valid_from else None,
        "valid_until": found.valid_until.isoformat() if found.valid_until else None,
    }


def _base() -> str:
    return current_state().settings.base_iri


def _wants_json() -> bool:
    asked = request.args.get("format", "")
    if asked:
        if asked not in ("json", "html"):
            raise BadRequest(f"format={asked[:20]!r}; use json or html.", parameter="format")
        return asked == "json"
    return not conneg.prefers_html(request.headers.get("Accept"))


def _single_number_match(query: str, results: list[IndexedLicence]) -> IndexedLicence | None:
    """The one licence whose number the query is (and no other licence has that number)."""
    if len(results) != 1:
        return None
    try:
        number = identifiers.canonical_number(query)
    except identifiers.InvalidNumber:
        return None
    return results[0] if results[0].number == number else None


@bp.get("/search")
def search() -> Response:
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY]
    limit = int_param("limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    wants_json = _wants_json()
    results = current_index().search(query, limit=limit) if query else []
    if wants_json:
        answer = jsonify({"q": query, "results": [_as_json(r) for r in results]})
        answer.vary.add("Accept")
        return answer
    lang = preferred_language()
    single = _single_number_match(query, results)
    if single is not None:
        found = redirect(f"{licence_page(single)}?lang={lang}", 303)
        found.vary.add("Accept")
        return found
    holder = juristic_id(query) if query else None
    context = page_context(lang, "licence", "search")
    body = render_template(
        "search.html", q=query, results=results, limit=limit, today=today(),
        holder=holder if holder and any(r.holder_id == holder for r in results) else None,
        licence_page=licence_page, holder_page=holder_page, **context)
    response = Response(body, 200, content_type="text/html; charset=utf-8")
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    # A search's answer changes with every upload: never kept by shared caches.
    response.headers["Cache-Control"] = "no-cache"
    return response
