"""The SPARQL query page (SPEC §7): what a browser gets at `/sparql`.

opendata/sparql.py (the endpoint) runs the query and calls `render_page` with the parsed
SPARQL 1.1 JSON results; this module only draws them: an editor (GET /sparql, field `query`),
the example queries (`/sparql?example=<id>`, opendata/examples.py), the results as a table,
download links for the same query in every format, and the endpoint's limits. In the visitor's
language like every page (web/page.py `preferred_language`: `?lang=`, then Accept-Language, Thai
by default), and script-free: the page needs no JavaScript, so the one page policy
(web/security.py PAGE_CSP) refuses every script. Its stylesheet and icon are served from this
blueprint under /static/sparql/.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, render_template, request

from opendata.examples import Example, load_examples
from opendata.examples import example_by_id as _example_by_id
from registry import identifiers
from registry.namespaces import CLCBCG, CLCLEVEL, CLCSTATUS, PREFIXES
from web.messages import message, words
from web.state import current_state

bp = Blueprint("catalogue_querypage", __name__, template_folder="templates",
               static_folder="static", static_url_path="/static/sparql")

SPARQL_PATH = "/sparql"
PAGE_ROWS = 1000        # rows drawn in the page; the downloads carry all the endpoint returned
RESULT_FORMATS = (("json", "JSON"), ("xml", "XML"), ("csv", "CSV"), ("tsv", "TSV"))
GRAPH_FORMATS = (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples"),
                 ("rdf", "RDF/XML"))
_XSD = str(PREFIXES["xsd"])
_NUMERIC = {_XSD + name for name in (
    "integer", "decimal", "double", "float", "long", "int", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte")}
# Longest namespace first, so that `clcstatus:` wins over a shorter namespace it starts with.
_NAMESPACES = sorted(((str(ns), prefix) for prefix, ns in PREFIXES.items()),
                     key=lambda pair: -len(pair[0]))
_LICENCE_GRAPH = re.compile(r"/graph/licence/(.+?)(?:/version/([0-9]+))?")
_RESOLVED_PATHS = ("/id/licence/", "/id/licence-type/", "/id/agency/", "/doc/licence/",
                   "/doc/licence-type/", "/doc/agency/")


@dataclass(frozen=True)
class Cell:
    """One RDF term of a result, ready to draw."""
    kind: str = "empty"           # iri, literal, bnode, triple, empty
    text: str = ""
    href: str | None = None       # IRIs only: the resolver (own base) or the IRI itself
    external: bool = False        # a link out of the register: rel=nofollow
    title: str | None = None      # the full IRI when the text is shortened
    word: str | None = None       # a status's, level's or theme's name in the page's language
    lang: str | None = None
    datatype: str | None = None   # shortened (xsd:integer); None for plain strings
    numeric: bool = False


def example_by_id(example_id: str) -> Example | None:
    """The example `/sparql?example=<id>` opens in the editor (None: no such example)."""
    return _example_by_id(example_id)


def compact(iri: str) -> str | None:
    """`clcstatus:active` for an IRI in a namespace of registry/namespaces.py."""
    for namespace, prefix in _NAMESPACES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return prefix + ":" + iri[len(namespace):]
    return None


def local_href(iri: str, base: str) -> str | None:
    """Where an IRI under the register's base resolves on this site (None: nowhere).

    Licences, licence types and agencies are served by the resolver; a licence's record graph
    is shown by its licence page (an old version with `?version=N`)."""
    if not iri.startswith(base + "/"):
        return None
    path = iri[len(base):]
    if path.startswith(_RESOLVED_PATHS):
        return identifiers.iri_to_uri(path)
    graph = _LICENCE_GRAPH.fullmatch(path)
    if graph:
        href = identifiers.iri_to_uri(identifiers.doc_path("licence", graph[1]))
        return href + (f"?version={graph[2]}" if graph[2] else "")
    return None


def code_words(lang: str) -> dict[str, str]:
    """The register's codes a person reads as words (statuses, government levels, BCG themes),
    by their IRI, in `lang`: a results table shows `clcstatus:expired (หมดอายุ)`."""
    tables = ((CLCSTATUS, "licence.status"), (CLCLEVEL, "lists.levels"), (CLCBCG, "lists.themes"))
    return {str(namespace) + code: word for namespace, message_id in tables
            for code, word in message(message_id, lang).items()}


def term_cell(term: dict | None, base: str, words_by_iri: Mapping[str, str] | None = None
              ) -> Cell:
    """A term of the SPARQL 1.1 JSON results format as a Cell (`words_by_iri`: code_words)."""
    if not term:
        return Cell()
    kind, value = term.get("type"), str(term.get("value", ""))
    if kind == "uri":
        if value.startswith(base + "/"):        # the register's own: the resolver or nothing
            return Cell("iri", value, href=local_href(value, base))
        short = compact(value)
        outside = value.startswith(("https://", "http://"))
        return Cell("iri", short or value, href=identifiers.iri_to_uri(value) if outside else None,
                    external=outside, title=value if short else None,
                    word=(words_by_iri or {}).get(value))
    if kind in ("literal", "typed-literal"):
        datatype = term.get("datatype")
        shown = None if datatype in (None, _XSD + "string") else (compact(datatype) or datatype)
        return Cell("literal", value, lang=term.get("xml:lang"), datatype=shown,
                    numeric=datatype in _NUMERIC)
    if kind == "bnode":
        return Cell("bnode", "_:" + value)
    if kind == "triple":        # SPARQL 1.2 / RDF-star quoted triple
        parts = [term_cell(value_part, base).text for value_part in (
            term.get("value", {}).get(k) for k in ("subject", "predicate", "object"))]
        return Cell("triple", "<< " + " ".join(parts) + " >>")
    return Cell("literal", value)


def _table(results: dict, base: str, lang: str) -> dict:
    """Columns and rows (at most PAGE_ROWS) of a parsed SPARQL JSON results document."""
    if "boolean" in results:
        return {"boolean": bool(results["boolean"])}
    columns = list(results.get("head", {}).get("vars", []))
    bindings = results.get("results", {}).get("bindings", [])
    known = code_words(lang)
    rows = [[term_cell(binding.get(name), base, known) for name in columns]
            for binding in bindings[:PAGE_ROWS]]
    return {"columns": columns, "rows": rows, "count": len(bindings)}


def _query_form_gives_graph(query: str) -> bool | None:
    """True for CONSTRUCT/DESCRIBE, False for SELECT/ASK, None when it is no query we run."""
    from opendata.sparqlguard import inspect_query  # the endpoint's own reading of the query text

    try:
        return inspect_query(query).gives_graph
    except ValueError:
        return None


def _downloads(query: str) -> list[tuple[str, str]]:
    """(label, href) of the same query in each format the endpoint offers for its form."""
    gives_graph = _query_form_gives_graph(query) if query.strip() else None
    if gives_graph is None:
        return []
    formats = GRAPH_FORMATS if gives_graph else RESULT_FORMATS
    return [(label, SPARQL_PATH + "?" + urlencode({"query": query, "format": name}))
            for name, label in formats]


def _page_url(params: dict[str, str], lang: str) -> str:
    return SPARQL_PATH + "?" + urlencode({**params, "lang": lang})


def _switch_params(query: str, shown: bool) -> dict[str, str]:
    """What the other-language link keeps: the example opened, or the query that was run."""
    example = request.args.get("example", "")
    if not shown and example and _example_by_id(example) is not None:
        return {"example": example}
    return {"query": query} if query.strip() else {}


def render_page(*, query: str, results: dict | None, error: str | None, truncated: bool,
                result_limit: int, time_limit_s: float, elapsed_ms: float | None,
                lang: str, error_code: str | None = None) -> str:
    """The query page (HTML) for the endpoint to send; call it inside a request. `error`: the
    endpoint's technical detail (English); `error_code` (registry/errors.py codes) says why in
    the page's language."""
    lang = "en" if lang == "en" else "th"
    other = "th" if lang == "en" else "en"
    base = current_state().settings.base_iri
    current = _example_by_id(request.args.get("example", ""))
    shown = results is not None or error is not None
    examples = [(e, _page_url({"example": e.id}, lang)) for e in load_examples()]
    return render_template(
        "sparql.html", lang=lang, other=other, t=words(lang, "sparql", "sparqlerror"),
        query=query, error=error, error_code=error_code,
        table=_table(results, base, lang) if results is not None else None,
        truncated=truncated, result_limit=f"{result_limit:,}",
        time_limit=f"{time_limit_s:g}",
        elapsed=f"{elapsed_ms:,.0f}" if elapsed_ms is not None else None,
        page_rows=f"{PAGE_ROWS:,}", downloads=_downloads(query) if not error else [],
        examples=examples, current=current if current and current.text(lang) == query else None,
        switch_href=_page_url(_switch_params(query, shown), other),
        endpoint=request.host_url.rstrip("/") + SPARQL_PATH)
