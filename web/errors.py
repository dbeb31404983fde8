"""The one error handler: every error the web service answers — ours (registry/errors.py) or
Werkzeug's, 4xx and 5xx — takes the one JSON shape, except for a browser, which gets a page in
the visitor's language with the same status and headers and a way forward.

"A browser" is decided by content negotiation, not by guessing: web/conneg.py `prefers_html`
reads the parsed Accept header, and only a client that ranks text/html above application/json
gets the page. No Accept, `*/*`, JSON, RDF and every other type keep the JSON shape, so API
clients, scripts and tests see exactly what they saw before. The language is the pages' own rule
(web/page.py `preferred_language`). Both answers Vary on Accept and Accept-Language.

Views that draw their own error pages (the resolver's "not found" with close matches, /verify's
bad input, the SPARQL and upload pages' messages) answer before any exception reaches here;
every error page includes the same ways forward (web/templates/_ways_forward.html: close
matches, a search box to /search, home, the catalogue). A store that does not
answer (registry.store.StoreError, from any view) is a 503 `store-unavailable`, logged, its
message (which names the store's address) kept from the client. Other unexpected exceptions are
left to Flask: with PROPAGATE_EXCEPTIONS (testing) they propagate to the caller; otherwise Flask
turns them into InternalServerError, which comes here like any other HTTPException.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from registry.errors import RegistryError, StoreUnavailable, error_body
from registry.store import StoreError
from web.conneg import prefers_html
from web.messages import LANGUAGES, words
from web.page import preferred_language

# Headers of Werkzeug's own answers that tell the client what to do next: kept on ours.
PASSED_ON = ("Allow", "Retry-After", "WWW-Authenticate")


def register_error_handlers(app: Flask) -> None:
    # The ways forward every error page shares (_ways_forward.html) read their own words, so
    # any page can include them whatever words its view gave it (and with the store down).
    app.add_template_global(forward_words, "forward_words")

    @app.errorhandler(RegistryError)
    def registry_error(exc: RegistryError) -> Response:
        return error_response(exc.status, exc.code, exc.title, exc.detail, exc.headers,
                              **exc.extra)

    @app.errorhandler(StoreError)
    def store_error(exc: StoreError) -> Response:
        # The store did not answer (or refused): the register cannot answer now. Logged for the
        # operator; the visitor gets 503 and the error page (which reads nothing from the
        # store), never the store's address that the message names.
        app.logger.error("store error during %s %s: %s", request.method, request.path, exc)
        return error_response(StoreUnavailable.status, StoreUnavailable.code,
                              StoreUnavailable.title, "The register's store did not answer.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "-")
        werkzeug_headers = exc.get_response().headers
        headers = {name: werkzeug_headers[name] for name in PASSED_ON
                   if werkzeug_headers.get(name)}
        return error_response(status, code, exc.name, exc.description or "", headers)


def forward_words(lang: str) -> Mapping:
    """The words of the ways forward (the [forward] area) in `lang`."""
    return words(lang if lang in LANGUAGES else "th", "forward")


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
    # Some errors carry their detail in th and en; the others' detail (for API clients, in
    # English) is shown under the status's own explanation, marked as English on a Thai page.
    message = extra.get("message")
    detail_lang = "en"
    if isinstance(message, Mapping) and isinstance(message.get(lang), str):
        detail, detail_lang = message[lang], lang
    suggestions = [s for s in extra.get("suggestions") or [] if isinstance(s, str)]
    switch = None
    if request.method in ("GET", "HEAD"):       # the same request in the other language
        kept = [(k, v) for k, values in request.args.lists() for v in values if k != "lang"]
        switch = "?" + urlencode([*kept, ("lang", other)])
    t = words(lang, "error")
    fallback = 500 if status >= 500 else None
    heading = t["heading"].get(status) or (t["heading"][500] if fallback else t["other_4xx"])
    explain = t["explain"].get(status) or (t["explain"][500] if fallback
                                           else t["other_4xx_explain"])
    return render_template(
        "error.html", lang=lang, other=other, t=t, status=status, code=code, heading=heading,
        explain=explain, detail=detail, detail_lang=detail_lang, suggestions=suggestions,
        later=status >= 500, switch_href=switch)
