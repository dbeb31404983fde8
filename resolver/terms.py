"""Licence types and agencies resolve like licences: /id/… → 303 → /doc/… (HTML or RDF).

An agency's page, with its licences, is drawn from resolver/agency.py."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, make_response, redirect, render_template, request

from registry import identifiers
from registry.errors import LicenceNotFound, NotAcceptable
from resolver import agency
from web import conneg
from web.conditional import conditional
from web.messages import words
from web.page import page_context, preferred_language
from web.state import current_state, today

bp = Blueprint("catalogue_terms", __name__, template_folder="templates")

KINDS = {"licence-type": identifiers.licence_type_iri, "agency": identifiers.agency_iri}

# The FILTER is in the top-level group, where bound values are visible on every store kind.
_DESCRIBE = """SELECT ?g ?term ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o }
  FILTER(?s = ?term || STRSTARTS(STR(?s), CONCAT(STR(?term), "#"))) }"""


def _triples(kind: str, code: str) -> list[ox.Triple]:
    state = current_state()
    base = state.settings.base_iri
    term = ox.NamedNode(KINDS[kind](base, code))
    rows = state.repository.select(
        _DESCRIBE, {"term": term, "g": ox.NamedNode(identifiers.graph_iri(base, "catalogue"))})
    # The FILTER makes ?s an IRI, and a predicate always is one; the checks tell the types.
    return [ox.Triple(s, p, r["o"]) for r in rows
            if isinstance(s := r["s"], ox.NamedNode) and isinstance(p := r["p"], ox.NamedNode)]


def _code_or_404(kind: str, code: str) -> str:
    try:
        return identifiers.check_code(code, kind)
    except identifiers.InvalidCode as exc:
        raise LicenceNotFound(str(exc)) from None


@bp.get("/id/<any('licence-type', 'agency'):kind>/<code>")
def identify(kind: str, code: str):
    _code_or_404(kind, code)
    target = identifiers.doc_path(kind, code)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    response = redirect(target, 303)
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/doc/<any('licence-type', 'agency'):kind>/<code>")
def describe(kind: str, code: str):
    from web.rdfresponse import document_headers, negotiate_request, serialise_triples

    code = _code_or_404(kind, code)
    triples = _triples(kind, code)
    if not triples:
        raise LicenceNotFound(f"No {kind} {code!r} in the catalogue.")
    lang = preferred_language()
    context = page_context(lang, "lists", "term", *(("agency",) if kind == "agency" else ()))
    catalogue = context["catalogue"]
    filters = None
    if kind == "agency":       # checked for every format: a bad link is a 400 in each
        filters = agency.read_filters(
            request.args, [t.code for t in agency.agency_types(catalogue, code)])
    wanted = negotiate_request(conneg.DOCUMENT_TYPES)
    if wanted is None:
        raise NotAcceptable(f"Available: {', '.join(conneg.DOCUMENT_TYPES)}.")
    if wanted != conneg.HTML:
        return conditional(document_headers(Response(serialise_triples(triples, wanted),
                                                    mimetype=wanted)))
    if filters is not None:
        page = _agency_page(code, filters, context)
    else:
        item = catalogue.types.get(code)
        related = sorted((catalogue.agencies[a] for a in item.authorities
                          if a in catalogue.agencies), key=lambda a: a.code) if item else []
        page = render_template("catalogue_term.html", kind=kind, item=item, code=code,
                               related=related, triples=triples, **context)
    return conditional(document_headers(make_response(page)))


def _agency_page(code: str, filters: agency.LicenceFilters, context: dict) -> str:
    from web.searchindex import current_index

    catalogue = context["catalogue"]
    lang, base, day = context["lang"], context["base"], today()
    paging, found = agency.licences_page(current_index(), code, filters, day)
    rows = [agency.licence_row(licence, catalogue, base, lang, day) for licence in found]
    return render_template(
        "agency.html", item=catalogue.agencies[code], code=code, filters=filters,
        types=agency.agency_types(catalogue, code),
        sub_agencies=agency.sub_agencies(catalogue, code), rows=rows, paging=paging,
        statuses={s: words(lang, "licence")["status"][s] for s in agency.STATUSES},
        feeds=agency.feed_links(code), **context)
