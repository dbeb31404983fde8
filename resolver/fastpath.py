"""The hot path: `GET /id/licence/…` answered before Flask, in plain WSGI.

Scanning a QR code or clicking a licence IRI is by far the most frequent request, and its usual
answer (303 to /doc/…) needs two index lookups. Flask's request and response machinery would
cost several times that, so this middleware answers the common case itself — a canonical path,
no query string, a licence that exists, a client that does not ask for the document file — with
exactly what the Flask route (resolver/routes.py `identify`) would send. Anything else goes on to
Flask, which stays the one full implementation.
"""

from __future__ import annotations

from werkzeug.sansio.utils import host_is_trusted

from registry import identifiers
from resolver.lookup import document_type
from resolver.routes import doc_location
from web import conneg
from web.cors import EXPOSE_HEADERS
from web.security import trusted_hosts

PREFIX = "/id/licence/"


class IdFastPath:
    def __init__(self, app, repository, base: str):
        self.app = app
        self.repository = repository
        self.base = base
        # The Host values Flask answers (web/security.py); it answers the others 400.
        self.trusted_hosts = trusted_hosts(base)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if (path.startswith(PREFIX) and environ.get("REQUEST_METHOD") == "GET"
                and not environ.get("QUERY_STRING")
                and host_is_trusted(environ.get("HTTP_HOST"), self.trusted_hosts)):
            location = self._location(path[len(PREFIX):], environ.get("HTTP_ACCEPT"))
            if location is not None:
                start_response("303 See Other", [
                    ("Location", location), ("Vary", "Accept, Accept-Language"),
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Expose-Headers", EXPOSE_HEADERS),
                    ("Cache-Control", "public, max-age=60"), ("Content-Length", "0"),
                    ("X-Content-Type-Options", "nosniff")])
                return [b""]
        return self.app(environ, start_response)

    def _location(self, raw: str, accept: str | None) -> str | None:
        try:
            rest = raw.encode("latin-1").decode("utf-8")      # WSGI: bytes carried as latin-1
            key = identifiers.parse_licence_path(rest)
        except (UnicodeError, identifiers.InvalidCode, identifiers.InvalidNumber):
            return None
        if key.path != rest:
            return None                                       # variant: Flask answers 301
        media_type = document_type(self.repository, self.base, key)
        if media_type is None:
            return None                                       # unknown: Flask answers 404
        offers = (*conneg.DOCUMENT_TYPES, media_type) if media_type else conneg.DOCUMENT_TYPES
        wanted = conneg.negotiate(accept, offers)
        if wanted is None or (media_type and wanted == media_type):
            return None                                       # 406, or the file: Flask
        return doc_location(key, b"")
