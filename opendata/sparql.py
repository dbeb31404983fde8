"""`/sparql`: the public, read-only SPARQL 1.1 Protocol endpoint (SPEC §7).

GET `?query=`, POST form `query=`, POST `application/sparql-query`. Results as JSON, XML, CSV,
TSV; graphs as Turtle, JSON-LD, N-Triples, RDF/XML; a browser gets the query page; with no
query, RDF clients get the service description. Updates (any route) are 403, SERVICE is 403,
both decided from the text before any evaluation (opendata/sparqlguard.py). The default graph
is the union of the main store's graphs, which are all public (private data has its own store).
Time limit, result cap and concurrency: opendata/sparqlexec.py. A download (`?format=`, the
query page's links) is an attachment; as CSV it starts with a UTF-8 byte-order mark, for
spreadsheets; CSV asked for with Accept is the protocol's, without one.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.wrappers import Response as BaseResponse

from opendata import sparqlresults as fmt
from opendata.servicedescription import service_description
from opendata.sparqlexec import (
    Outcome,
    ProcessExecutor,
    QueryFailed,
    RemoteExecutor,
    executor_for,
)
from opendata.sparqlguard import (
    MAX_QUERY_CHARS,
    NotAQuery,
    QueryForm,
    ServiceRefused,
    UpdateRefused,
    inspect_query,
)
from registry.errors import (
    BadRequest,
    InvalidQuery,
    NotAcceptable,
    QueryBusy,
    QueryMemoryLimit,
    QueryTimeLimit,
    QueryTooLarge,
    ReadOnly,
    RegistryError,
    ServiceNotAllowed,
    StoreUnavailable,
    UnsupportedMediaType,
)
from registry.identifiers import sparql_endpoint
from registry.namespaces import sparql_prefixes
from web import conneg
from web.conditional import conditional
from web.page import preferred_language
from web.state import current_flask_app, current_state, state_of

bp = Blueprint("catalogue_sparql", __name__)

HTML = "text/html"
RESULT_FORMATS = {"json": fmt.JSON, "xml": fmt.XML, "csv": fmt.CSV, "tsv": fmt.TSV,
                  "srj": fmt.JSON, "srx": fmt.XML, "html": HTML}
GRAPH_FORMATS = {"ttl": fmt.TURTLE, "turtle": fmt.TURTLE, "jsonld": fmt.JSONLD,
                 "json-ld": fmt.JSONLD, "json": fmt.JSONLD, "nt": fmt.NTRIPLES,
                 "ntriples": fmt.NTRIPLES, "n-triples": fmt.NTRIPLES, "n3": fmt.TURTLE,
                 "rdf": fmt.RDFXML,
                 "rdfxml": fmt.RDFXML, "rdf+xml": fmt.RDFXML, "xml": fmt.RDFXML, "html": HTML}
RESULT_ALIASES = {"application/json": fmt.JSON, "application/xml": fmt.XML, "text/xml": fmt.XML,
                  "application/xhtml+xml": HTML}
GRAPH_ALIASES = {**conneg.ALIASES, "application/turtle": fmt.TURTLE,
                 "application/x-json+ld": fmt.JSONLD}
DOWNLOAD_NAMES = {fmt.JSON: "results.srj", fmt.XML: "results.srx", fmt.CSV: "results.csv",
                  fmt.TSV: "results.tsv", fmt.TURTLE: "results.ttl", fmt.JSONLD: "results.jsonld",
                  fmt.NTRIPLES: "results.nt", fmt.RDFXML: "results.rdf"}
_TEXT_TYPES = (fmt.CSV, fmt.TSV, fmt.TURTLE, fmt.NTRIPLES, HTML)
UTF8_BOM = "\ufeff".encode()     # first in a CSV download, for Excel
# The longest body a query of MAX_QUERY_CHARS can need: a Thai character is 3 bytes of UTF-8,
# each written %XX in a form (9 bytes), plus room for the other fields. Anything longer is
# refused from its Content-Length, before it is read.
MAX_QUERY_BODY_BYTES = MAX_QUERY_CHARS * 10


# Reading the request (SPARQL 1.1 Protocol §2.1)

def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise BadRequest(f"Give `{name}` once; it was given {len(values)} times.")
    return values[0] if values else None


def read_query() -> str | None:
    """The query text of this request, or None when there is none. Updates raise ReadOnly."""
    if request.args.getlist("update"):
        raise ReadOnly("This endpoint is read-only: SPARQL Update is not accepted.")
    for name in ("default-graph-uri", "named-graph-uri"):
        if request.values.getlist(name):
            raise BadRequest(f"`{name}` is not supported: the default graph is the union of the "
                             "register's public graphs; name graphs with FROM or GRAPH in the "
                             "query instead.")
    query = _single(request.args.getlist("query"), "query")
    if request.method == "POST":
        if (request.content_length or 0) > MAX_QUERY_BODY_BYTES:      # refused unread
            raise QueryTooLarge(f"The request body has {request.content_length:,} bytes; a query "
                                f"may have at most {MAX_QUERY_CHARS:,} characters.")
        kind = request.mimetype
        if kind == "application/sparql-update":
            raise ReadOnly("This endpoint is read-only: SPARQL Update is not accepted.")
        if kind == "application/x-www-form-urlencoded":
            if request.form.getlist("update"):
                raise ReadOnly("This endpoint is read-only: SPARQL Update is not accepted.")
            posted = _single(request.form.getlist("query"), "query")
        elif kind == "application/sparql-query":
            try:
                posted = request.get_data(cache=False).decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest("The query is not UTF-8 text.") from None
        else:
            raise UnsupportedMediaType(
                f"POST a query as application/sparql-query or as the form field `query` "
                f"(application/x-www-form-urlencoded), not {kind or 'no Content-Type'}.")
        if query is not None and posted is not None:
            raise BadRequest("Give the query either in the URL or in the body, not both.")
        query = posted if posted is not None else query
    if query is not None and len(query) > MAX_QUERY_CHARS:
        raise QueryTooLarge(f"The query has {len(query):,} characters; at most "
                            f"{MAX_QUERY_CHARS:,} are accepted.")
    return query


def format_param() -> str | None:
    """`format` (or `output`, as some clients send) overrides the Accept header."""
    for name in ("format", "output"):
        value = request.values.get(name)
        if value:
            return value
    return None


def choose_media_type(form: QueryForm | None, accept: str | None, wanted: str | None) -> str:
    """The media type for a query of this form (None: the service description)."""
    if form is None or form.gives_graph:
        offers, formats, aliases = (*fmt.GRAPH_TYPES, HTML), GRAPH_FORMATS, GRAPH_ALIASES
    else:
        offers, formats, aliases = (*fmt.RESULT_TYPES, HTML), RESULT_FORMATS, RESULT_ALIASES
    try:
        chosen = conneg.negotiate(accept, offers, wanted, formats=formats, aliases=aliases)
    except conneg.UnknownFormat as exc:
        raise BadRequest(f"Unknown {exc}.") from None
    if chosen is None:
        raise NotAcceptable("Offered: " + ", ".join(offers), headers={"Vary": "Accept"})
    return chosen


# Running it

@dataclass
class SparqlState:
    """What /sparql keeps in one web app (`web.state` part)."""

    executor: ProcessExecutor | RemoteExecutor | None = None    # started on first query
    old_layout: bool | None = None          # private data still in the main store? (asked once)
    misses_union: bool | None = None        # default graph not the union? (once it can tell)


def executor(app: Flask) -> ProcessExecutor | RemoteExecutor:
    """The app's query executor, started on first use (tests that never query start none)."""
    state = state_of(app)
    kept = state.part(SparqlState)
    with _executor_lock:
        found = kept.executor
        if found is None:
            settings = state.settings
            found = executor_for(state.repository.query_access(),
                                 workers=settings.sparql_workers,
                                 time_limit=settings.sparql_time_limit,
                                 memory_limit_mb=settings.sparql_memory_limit_mb,
                                 union_parameter=settings.sparql_union_parameter,
                                 # the base of relative IRIs
                                 base_iri=sparql_endpoint(settings.base_iri))
            kept.executor = found
        return found


_executor_lock = threading.Lock()
_FAILURES = {"bad-query": InvalidQuery, "time-limit": QueryTimeLimit, "busy": QueryBusy,
             "memory": QueryMemoryLimit, "store-error": StoreUnavailable,
             "service": ServiceNotAllowed}


# A store made before private data had a store of its own keeps it in the main store until it is
# migrated (backup + restore); /sparql must not serve such a store. Both patterns use an index.
_OLD_LAYOUT = sparql_prefixes("clc") + """ASK { { GRAPH ?g { ?key clc:keyHash ?hash } }
  UNION { GRAPH ?r { ?upload clc:report ?report } } }"""


def _old_layout(app: Flask) -> bool:
    kept = state_of(app).part(SparqlState)
    found = kept.old_layout
    if found is None:
        found = kept.old_layout = state_of(app).repository.ask(_OLD_LAYOUT)
    return found


def _misses_union(app: Flask) -> bool:
    """Asked once per process, once the store can tell (it holds the catalogue)."""
    kept = state_of(app).part(SparqlState)
    found = kept.misses_union
    if found is None:
        try:
            found = executor(app).misses_union()
        except QueryFailed:
            return False            # the query itself will meet the same trouble and say so
        if found is not None:
            kept.misses_union = found
    return bool(found)


def run_query(query: str, form: QueryForm, media_type: str) -> Outcome:
    settings, repo = current_state().settings, current_state().repository
    # Asked first: it is told by the private store, while the replica may be down.
    if repo.replica_behind():
        raise StoreUnavailable("The copy of the register that answers SPARQL queries missed a "
                               "commit; an operator must run `licence-registry sync-replica`.",
                               headers={"Retry-After": "60"})
    if _old_layout(current_flask_app()):
        raise StoreUnavailable("This store still keeps private data (agency key hashes, upload "
                               "reports) in its main store, which /sparql would publish. Migrate "
                               "it: `licence-registry backup DIR` then `licence-registry restore "
                               "DIR`.")
    if _misses_union(current_flask_app()):
        raise StoreUnavailable(
            "The SPARQL store's default graph is not the union of its graphs, so queries would "
            "see nothing: set LICENCE_REGISTRY_SPARQL_UNION_PARAMETER to the parameter that "
            "asks this store for it (Oxigraph: union-default-graph), or leave it empty and make "
            "the union the store's default graph (Fuseki: tdb2:unionDefaultGraph true).")
    try:
        return executor(current_app).run(query, form, media_type, settings.sparql_result_limit)
    except QueryFailed as exc:
        error = _FAILURES[exc.kind]
        headers = {"Retry-After": "5"} if exc.kind == "busy" else None
        raise error(str(exc), headers=headers) from None


def check(query: str) -> QueryForm:
    try:
        return inspect_query(query)
    except UpdateRefused as exc:
        raise ReadOnly(str(exc)) from None
    except ServiceRefused as exc:
        raise ServiceNotAllowed(str(exc)) from None
    except NotAQuery as exc:
        raise InvalidQuery(str(exc)) from None


# Answering

def _limit_headers(response: Response, outcome: Outcome | None) -> Response:
    settings = current_state().settings
    response.headers["X-Result-Limit"] = str(settings.sparql_result_limit)
    response.headers["X-Query-Time-Limit"] = f"{settings.sparql_time_limit:g}"
    if outcome is not None:
        response.headers["X-Result-Truncated"] = "true" if outcome.truncated else "false"
        response.headers["X-Result-Count"] = str(outcome.count)
        response.headers["Server-Timing"] = f"query;dur={outcome.elapsed_ms:.1f}"
    response.vary.add("Accept")            # CORS: web/cors.py (it exposes the X-Result-*)
    return response


@bp.route("/sparql", methods=["GET", "POST"])
def sparql():
    accept = request.headers.get("Accept")
    wanted = format_param()
    try:
        query = read_query()
        if query is None or not query.strip():
            return _without_query(accept, wanted)
        form = check(query)
        media_type = choose_media_type(form, accept, wanted)
        if media_type == HTML:
            return _page(query, form)
        outcome = run_query(query, form, media_type)
    except RegistryError as exc:
        if _wants_page(accept, wanted):
            return _page_error(request.values.get("query", ""), exc)
        raise
    content_type = media_type + ("; charset=utf-8" if media_type in _TEXT_TYPES else "")
    body = outcome.body
    if wanted and media_type == fmt.CSV:
        # A download (the query page's links, `?format=csv`) is opened in a spreadsheet: a BOM
        # makes Excel read it as UTF-8 (else Thai is garbled). A client that negotiates CSV with
        # Accept gets the protocol's plain CSV: programs may not expect a BOM.
        body = UTF8_BOM + body
    response = Response(body, content_type=content_type)
    if wanted:       # a download link: keep the file under a sensible name
        response.headers["Content-Disposition"] = (
            f"attachment; filename={DOWNLOAD_NAMES[media_type]}")
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return conditional(_limit_headers(response, outcome))


def _wants_page(accept: str | None, wanted: str | None) -> bool:
    if wanted:
        return wanted.lower() == "html"
    return conneg.negotiate(accept, (fmt.JSON, HTML), aliases=RESULT_ALIASES) == HTML \
        and bool(accept)


def _without_query(accept: str | None, wanted: str | None) -> BaseResponse:
    media_type = choose_media_type(None, accept, wanted)
    if media_type == HTML:
        return _page("", None)
    body = fmt.write_triples(service_description(current_state().settings), media_type)
    content_type = media_type + ("; charset=utf-8" if media_type in _TEXT_TYPES else "")
    return conditional(_limit_headers(Response(body, content_type=content_type), None))


# The query page (opendata/querypage.py renders it)

def _page(query: str, form: QueryForm | None) -> Response:
    from opendata import querypage

    outcome = results = None
    if not query:
        example = querypage.example_by_id(request.args.get("example", ""))
        # the example with its note in the page's language
        query = example.text(preferred_language()) if example else ""
    elif form is not None:
        outcome = run_query(query, form, fmt.NTRIPLES if form.gives_graph else fmt.JSON)
        results = as_table(outcome, form)
    return _render_page(query, 200, results=results, outcome=outcome)


def _page_error(query: str, exc: RegistryError) -> Response:
    # Why, in the page's language (by the error's code); the technical detail as the API gives it
    response = _render_page(query, exc.status, error=exc.detail, error_code=exc.code)
    response.headers.extend(exc.headers)
    return response


def _render_page(query: str, status: int, *, results: dict | None = None,
                 outcome: Outcome | None = None, error: str | None = None,
                 error_code: str | None = None) -> Response:
    from opendata import querypage

    settings = current_state().settings
    html = querypage.render_page(
        query=query, results=results, error=error, truncated=bool(outcome and outcome.truncated),
        result_limit=settings.sparql_result_limit, time_limit_s=settings.sparql_time_limit,
        elapsed_ms=outcome.elapsed_ms if outcome else None, lang=preferred_language(),
        error_code=error_code)
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    response.vary.add("Accept-Language")        # the page's language, unless ?lang= says
    return _limit_headers(response, None)


def as_table(outcome: Outcome, form: QueryForm) -> dict:
    """The outcome as a parsed SPARQL JSON results document (graphs as subject/predicate/object)."""
    if not form.gives_graph:
        return json.loads(outcome.body)
    names = ("subject", "predicate", "object")
    rows = [{n: fmt.json_term(t)
             for n, t in zip(names, (tr.subject, tr.predicate, tr.object), strict=True)}
            for tr in ox.parse(outcome.body, format=ox.RdfFormat.N_TRIPLES)]
    return {"head": {"vars": list(names)}, "results": {"bindings": rows}}
