"""Licence types and agencies resolve like licences: /id/… → 303 → /doc/… (HTML or RDF)."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, make_response, redirect, render_template, request

from registry import identifiers
from registry.errors import LicenceNotFound, NotAcceptable
from web import conneg
from web.conditional import conditional
from web.page import page_context, preferred_language
from web.state import current_state

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
    wanted = negotiate_request(conneg.DOCUMENT_TYPES)
    if wanted is None:
        raise NotAcceptable(f"Available: {', '.join(conneg.DOCUMENT_TYPES)}.")
    if wanted != conneg.HTML:
        return conditional(document_headers(Response(serialise_triples(triples, wanted),
                                                    mimetype=wanted)))
    lang = preferred_language()
    context = page_context(lang, "lists", "term")     # the lists' column names, and more
    catalogue = context["catalogue"]
    if kind == "agency":
        item = catalogue.agencies.get(code)
        related = sorted((t for t in catalogue.types.values() if code in t.authorities),
                         key=lambda t: t.code)
    else:
        item = catalogue.types.get(code)
        related = sorted((catalogue.agencies[a] for a in item.authorities
                          if a in catalogue.agencies), key=lambda a: a.code) if item else []
    response = make_response(render_template("catalogue_term.html", kind=kind, item=item,
                                             code=code, related=related, triples=triples,
                                             **context))
    return conditional(document_headers(response))
