"""Hardening every response gets: which Host values are answered, and the headers that keep a
browser from doing more with a response than the register means.

Hosts. Werkzeug builds the absolute Location of its own redirects (a missing trailing slash,
`//` merged to `/`) from the request's Host header, so an unchecked Host lets anyone make the
register answer with a redirect to a host of their choosing — and a shared cache keep it. Flask
checks the Host against `TRUSTED_HOSTS` before routing and answers any other with a 400 in the
one error shape. The hosts answered are:

- the base's host (BASE_IRI), at any port: the service may listen on another port than the
  public one (behind a proxy; tests on a free port);
- the loopback names (`127.0.0.1`, `localhost`, and the base's own when it is a loopback
  address), whatever the base: a redirect to one of them stays on the visitor's own machine, so
  they give an attacker nothing, while an operator's health probe, a proxy on the same machine
  and a development register are answered without naming the public host.

SERVER_NAME is not set: Werkzeug would then build every redirect with the base's port, which is
wrong for a service listening on another one, while TRUSTED_HOSTS already keeps redirects on
the base's host. A request without a Host header (HTTP/1.0) is judged by the address the
server listens on, as Werkzeug does. An IPv6 literal base cannot be matched by Werkzeug's check
(it cuts names at the first ':'); use a name.

Headers, set here once for every answer (views set none of their own): every response gets
`X-Content-Type-Options: nosniff`; every HTML page (and SVG, a document when opened by itself),
error pages included, gets the one Content-Security-Policy, PAGE_CSP.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.exceptions import SecurityError

from web.errors import error_response

# The one policy of every page: the register's own stylesheets and images (data: for the
# inline icon `href="data:,"` base.html declares), forms posted only to the register, no
# scripts, no plugins, no frames, no <base>. No page needs more: none has a script, an inline
# style or anything from another origin.
PAGE_CSP = ("default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'; img-src 'self' data:")
DOCUMENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trusted_hosts(base: str) -> list[str]:
    """The host names (without port) requests may name in their Host header."""
    host = (urlsplit(base).hostname or "").lower()       # Werkzeug IDNA-encodes it to match
    if _is_loopback(host):
        return sorted({host, *LOOPBACK_NAMES})
    return [host, *LOOPBACK_NAMES]


def install(app: Flask, base: str) -> None:
    """Host checking and the security headers, on `app` (called once by the app factory)."""
    hosts = trusted_hosts(base)
    app.config["TRUSTED_HOSTS"] = hosts

    @app.errorhandler(SecurityError)
    def other_host(exc: SecurityError):
        named = request.headers.get("Host")
        detail = (f"The Host header {named!r} does not name this register: it answers "
                  f"{' or '.join(hosts)} (any port), the host of its base IRI {base}."
                  if named else "The request has no Host header; send the register's host "
                  f"({hosts[0]}).")
        return error_response(400, "unknown-host", "Not this register's host", detail)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype in DOCUMENT_TYPES:
            response.headers["Content-Security-Policy"] = PAGE_CSP
        return response
