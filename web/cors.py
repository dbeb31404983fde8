"""CORS for the public routes (SPEC §6: "CORS is open for GET"), decided in one place.

Which routes are open is a property of their blueprint: the resolver, licence types and
agencies, juristic persons and uploads (their public activity), the catalogue pages and
/catalogue.ttl, agencies' data quality, the dumps, the feeds, /sparql and the upload formats'
schema and context, the credentials, status lists, DID document and credential context
(resolver/credentials.py), the public log's checkpoint, key, entries and proofs
(opendata/logviews.py), the batch check and the changes feed for other agencies' systems
(resolver/bulkcheck.py, opendata/changesfeed.py: no key, so nothing a foreign page could misuse),
the licence statistics (/stats, opendata/stats.py: HTML, CSV and RDF of the statistics cube)
— public data any web page may fetch — plus the API's OpenAPI description. Closed: the upload
API and the upload page (an agency key must not be usable from a page on another origin; a
browser there has no business holding one), the home page, the health check and static assets.
A new blueprint is closed until named here.

On an open route:
- every answer (200, redirect, 304, error) carries `Access-Control-Allow-Origin: *` and exposes
  the headers a script reads (ETag, Link, Location…, and /sparql's X-Result-*);
- a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered 204 with the
  methods the URL takes (HEAD and POST only where the route takes them), the request headers
  asked for, and a day's Max-Age. Echoing the asked headers is safe: no credentials are allowed
  (`*`), and the routes ignore headers they do not know.

`/id/licence/…` is usually answered before Flask (resolver/fastpath.py); it answers only GET,
so a preflight reaches the hook here, and its 303 sends EXPOSE_HEADERS as Flask's would.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

OPEN_BLUEPRINTS = frozenset({
    "resolver", "catalogue_terms", "catalogue_pages", "catalogue_dumps", "catalogue_feeds",
    "catalogue_sparql", "schemas", "holder", "upload_activity", "search", "agency_quality",
    "credentials", "public_log", "changes_feed", "stats",
    "bulk_check",
})
OPEN_ENDPOINTS = frozenset({"api.openapi_description"})

# Not CORS-safelisted, and read by clients: validators, redirects, downloads, retry hints, and
# /sparql's limits (opendata/sparql.py sets them).
EXPOSE_HEADERS = ", ".join((
    "ETag", "Link", "Location", "Content-Disposition", "Repr-Digest", "Retry-After",
    "X-Result-Limit", "X-Result-Truncated", "X-Result-Count", "X-Query-Time-Limit",
    "Server-Timing", "X-Next-After"))
MAX_AGE = 86400                 # seconds a browser may keep a preflight's answer
METHOD_ORDER = ("GET", "HEAD", "POST")


def is_open(endpoint: str | None) -> bool:
    if not endpoint or endpoint == "static" or endpoint.endswith(".static"):
        return False
    return endpoint in OPEN_ENDPOINTS or endpoint.rsplit(".", 1)[0] in OPEN_BLUEPRINTS


def _open_methods() -> list[str]:
    """The methods other origins may use on this URL: those of its routes that are open."""
    adapter = current_app.create_url_adapter(request)
    if adapter is None:             # never: one is always made for a request
        return []
    try:
        allowed = adapter.allowed_methods()
    except HTTPException:           # e.g. a redirect to the canonical form
        return []
    methods = []
    for method in METHOD_ORDER:
        if method not in allowed:
            continue
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if is_open(endpoint):
            methods.append(method)
    return methods


def preflight() -> Response | None:
    """Answer a CORS preflight for an open route; None lets everything else through."""
    if request.method != "OPTIONS":
        return None
    asked = request.access_control_request_method
    if not asked or "Origin" not in request.headers:
        return None
    methods = _open_methods()
    if asked.upper() not in methods:
        return None                 # Flask's own OPTIONS answer, without CORS: refused
    response = Response(status=204)
    response.access_control_allow_origin = "*"
    # Werkzeug writes any list of names; it types the property as the HeaderSet it reads.
    response.access_control_allow_methods = methods  # type: ignore[assignment]
    if request.access_control_request_headers:
        response.access_control_allow_headers = request.access_control_request_headers
    response.access_control_max_age = MAX_AGE
    response.vary.update(("Access-Control-Request-Method", "Access-Control-Request-Headers"))
    return response


def open_response(response: Response) -> Response:
    """After every request: CORS headers on the answers of open routes, whatever their status."""
    if request.method != "OPTIONS" and is_open(request.endpoint):
        response.access_control_allow_origin = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return response


def init_cors(app: Flask) -> None:
    app.before_request(preflight)
    app.after_request(open_response)
