"""The one error handler: every error the web service answers — ours (registry/errors.py) or
Werkzeug's, 4xx and 5xx — takes the one JSON shape, except for a browser, which gets a page in
the visitor's language with the same status and headers and a way forward.

"A browser" is decided by content negotiation, not by guessing: web/conneg.py `prefers_html`
reads the parsed Accept header, and only a client that ranks text/html above application/json
gets the page. No Accept, `*/*`, JSON, RDF and every other type keep the JSON shape, so API
clients, scripts and tests see exactly what they saw before. The language is the pages' own rule
(web/page.py `preferred_language`). Both answers Vary on Accept and Accept-Language.

Views that draw their own error pages (the resolver's "not found" with close matches, the SPARQL
and upload pages' messages) answer before any exception reaches here. Unexpected exceptions are
left to Flask: with PROPAGATE_EXCEPTIONS (testing) they propagate to the caller; otherwise Flask
turns them into InternalServerError, which comes here like any other HTTPException.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from registry.errors import RegistryError, error_body
from web.conneg import prefers_html
from web.messages import words
from web.page import preferred_language

# Headers of Werkzeug's own answers that tell the client what to do next: kept on ours.
PASSED_ON = ("Allow", "Retry-After", "WWW-Authenticate")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(RegistryError)
    def registry_error(exc: RegistryError) -> Response:
        return error_response(exc.status, exc.code, exc.title, exc.detail, exc.headers,
                              **exc.extra)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "-")
        werkzeug_headers = exc.get_response().headers
        headers = {name: werkzeug_headers[name] for name in PASSED_ON
                   if werkzeug_headers.get(name)}
        return error_response(status, code, exc.name, exc.description or "", headers)


def error_response(status: int, code: str, title: str, detail: str,
                   headers: Mapping[str, str] | None = None, **extra) -> Response:
    """The answer to an error: the one JSON shape, or the error page for a browser."""
    if prefers_html(request.headers.get("Accept")):
        response = Response(_page(status, code, detail, extra), mimetype="text/html")
    else:
        response = jsonify(error_body(status, code, title, detail, **extra))
    response.status_code = status
    response.headers.update(headers or {})
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


def _page(status: int, code: str, detail: str, extra: Mapping) -> str:
    """The error page. It reads nothing from the store: it must draw when the store is down."""
    lang = preferred_language()
    other = "en" if lang == "th" else "th"
    message = extra.get("message")              # some errors carry their detail in th and en
    if isinstance(message, Mapping) and isinstance(message.get(lang), str):
        detail = message[lang]
    suggestions = [s for s in extra.get("suggestions") or [] if isinstance(s, str)]
    switch = None
    if request.method in ("GET", "HEAD"):       # the same request in the other language
        kept = [(k, v) for k, values in request.args.lists() for v in values if k != "lang"]
        switch = "?" + urlencode([*kept, ("lang", other)])
    t = words(lang, "error")
    heading = t["heading"].get(status) or (t["heading"][500] if status >= 500 else t["other_4xx"])
    return render_template(
        "error.html", lang=lang, other=other, t=t, status=status, code=code, heading=heading,
        detail=detail, suggestions=suggestions, later=status >= 500, switch_href=switch)
