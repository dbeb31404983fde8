"""What the front (ops/frontworker.py) answers itself, and the access log of every answer.

The front refuses some requests before the app sees them: a malformed request line or header
(400), a head too large (431), a body too large (413), a bad chunked body (400), a transfer
coding it does not know (501). Those answers use the project's one JSON error shape
(registry/errors.py) and a Content-Security-Policy that allows nothing, as the app's own
answers carry one. Every answer, the app's and the front's, goes to gunicorn's access log
(its `access_log_format`; `serve --no-access-log` turns it off).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

from waitress.task import ErrorTask, WSGITask
from waitress.utilities import RequestEntityTooLarge, RequestHeaderFieldsTooLarge

from registry.errors import error_body

# A JSON error needs nothing from the page's origin, nor may it be framed.
FRONT_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


class _Sent:
    """What gunicorn's access logger reads from a response."""

    def __init__(self, status: str, sent: int, headers: list[tuple[str, str]]):
        self.status, self.sent, self.headers = status, sent, headers


class _AccessLogged:
    """Counts the body bytes an answer writes and logs the answer when it is done."""

    body_bytes = 0
    # What this reads of the waitress task it is mixed into (waitress ships no types), and of
    # the task classes below; declared only, so nothing here shadows them.
    channel: Any
    request: Any
    start_time: float
    status: str
    response_headers: list[tuple[str, str]]
    content_length: int | None
    _log_environ: Callable[[], dict]

    def write(self, data):
        if data:
            self.body_bytes += len(data)
        return super().write(data)

    def service(self):
        try:
            super().service()
        finally:
            self._log_access()

    def _log_access(self) -> None:
        log = self.channel.server.front_log
        if not getattr(log, "access_log_enabled", True):   # older gunicorn: access() checks
            return
        sent = self.body_bytes or self.content_length or 0   # a file answer is sent unwritten
        headers = [(name.replace("_", "-").lower(), value)
                   for name, value in self.request.headers.items()]
        took = dt.timedelta(seconds=max(time.time() - self.start_time, 0.0))
        log.access(_Sent(self.status, sent, self.response_headers), headers,
                   self._log_environ(), took)


class FrontTask(_AccessLogged, WSGITask):
    """A request the app answers."""

    def get_environment(self):
        environ = super().get_environment()
        environ.setdefault("RAW_URI", self.request.request_uri)   # gunicorn's log reads it
        return environ

    def _log_environ(self) -> dict:
        return self.environ or {}


class FrontErrorTask(_AccessLogged, ErrorTask):
    """A request the front refuses itself, answered in the project's error shape."""

    def execute(self):
        error = self.request.error
        detail = _detail(error, self.channel.server.adj)
        code = error.reason.lower().replace(" ", "-")
        body = json.dumps(error_body(error.code, code, error.reason, detail),
                          ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([
            ("Content-Type", "application/json"),
            ("Content-Security-Policy", FRONT_CSP),
            ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-store"),
        ])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)

    def _log_environ(self) -> dict:
        request = self.request
        return {"REMOTE_ADDR": self.channel.addr[0],
                "REQUEST_METHOD": getattr(request, "command", "") or "-",
                "RAW_URI": getattr(request, "request_uri", "") or "-",
                "SERVER_PROTOCOL": f"HTTP/{self.version}"}


def _detail(error, adj) -> str:
    if isinstance(error, RequestEntityTooLarge):
        return (f"The request body is larger than {adj.max_request_body_size - 1} bytes, "
                "the most this register accepts.")
    if isinstance(error, RequestHeaderFieldsTooLarge):
        return (f"The request line and headers are larger than {adj.max_request_header_size} "
                "bytes, the most this register accepts.")
    if error.code == 400:
        return f"The request is not valid HTTP/1.1: {error.body}."
    return str(error.body)
