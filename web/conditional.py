"""Conditional GET, decided in one place for every route that sends an `ETag` (SPEC §6).

RFC 9110 §13.1.2: If-None-Match uses the WEAK comparison, so `W/"x"`, `"x"`, a list naming
either, and `*` all mean "my copy is current". Werkzeug's `ETags.contains` is the strong
comparison (a `W/` tag never matches); `Response.make_conditional` uses `contains_weak` and
also gives If-None-Match precedence over If-Modified-Since (§13.2.2), answers If-Match with 412
and leaves POST alone. So every route ends in `conditional()`, which sets the tag and calls it;
`send_file(conditional=True)` (dumps, schemas) runs the same Werkzeug function.

A 304 is the 200's response object with its status changed and its body dropped by Werkzeug,
so it carries every header the route set (ETag, Vary, Cache-Control, CORS), as §15.4.5 asks.
"""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response as BaseResponse


def conditional(response: BaseResponse, etag: str | None = None) -> BaseResponse:
    """Give `response` its validator — `etag`, or one over the body when None — and turn it
    into a 304 when the request's If-None-Match (or, without one, If-Modified-Since against the
    response's Last-Modified) says the client's copy is current."""
    if etag is None:
        response.add_etag()
    else:
        response.set_etag(etag)
    return response.make_conditional(request)


def client_has(etag: str) -> bool:
    """Whether a GET or HEAD already holds the representation tagged `etag` (weak comparison),
    so a route can skip building a body `conditional()` would drop. The same test as
    `conditional()`: a route that skips must still end in `conditional(response, etag)`.
    Never with If-Match, whose outcome (412 or the full 200) needs the body."""
    return (request.method in ("GET", "HEAD") and not request.if_match
            and request.if_none_match.contains_weak(etag))
