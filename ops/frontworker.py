"""The gunicorn worker that serves the register: waitress reads whole requests first.

A gthread worker hands each connection to a request thread, which then reads the request
itself; a client that sends its head or body a few bytes at a time holds that thread, and two
dozen such clients left the resolver unanswered for everyone (issue 10). Here each worker
process runs waitress on the listening sockets gunicorn gave it: waitress's event loop reads
every request whole — head and body, a large body spooled to a temporary file — and only then
hands it to one of the worker's request threads. Slow clients cost a file descriptor each, not
a thread, and:

- a request head must arrive within FRONT_HEADER_TIMEOUT of the connection being ready for it
  (the same clock closes idle kept-alive connections);
- a body must arrive within FRONT_BODY_TIMEOUT plus one second per FRONT_BODY_MIN_RATE bytes
  received (Apache's mod_reqtimeout rule), so a trickle is cut and a slow honest upload is not;
- heads above FRONT_MAX_HEADER_BYTES get 431, bodies above MAX_UPLOAD_BYTES 413, before they are
  read; at most FRONT_CONNECTION_LIMIT connections are held per process.

gunicorn keeps what it is good at: the worker processes, their restarts and heartbeat, and the
graceful stop. The front's own error answers use the project's JSON error shape with a
Content-Security-Policy (ops/frontanswers.py).
"""

from __future__ import annotations

import logging
import os
import resource
import time
from dataclasses import dataclass

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from ops.frontanswers import FrontErrorTask, FrontTask
from registry.settings import Settings

# Seconds a connection may see no traffic at all while its answer is being sent (a client that
# stopped reading); waitress's own inactivity rule. Head and body have their own clocks.
SEND_STALL_TIMEOUT = 120
# How often (seconds) the clocks are checked, and the event loop wakes to notice a stop.
TICK = 0.5
# Seconds a stopping worker keeps idle connections and unfinished heads open, for a request a
# client may already be sending (gunicorn's gthread worker lingers as long).
STOP_LINGER = 2.0
# File descriptors beyond the connections: the listening sockets, logs, the store's files.
SPARE_DESCRIPTORS = 512


@dataclass(frozen=True)
class Limits:
    header_timeout: float
    body_timeout: float
    body_min_rate: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.front_header_timeout, settings.front_body_timeout,
                   settings.front_body_min_rate)


class FrontChannel(HTTPChannel):
    """One client connection, with the head and body clocks. The clocks are read and set only
    on the event loop's thread (received(), check()); request threads only pop requests."""

    task_class = FrontTask
    error_task_class = FrontErrorTask

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map)
        self.head_since: float | None = time.monotonic()

    def received(self, data):
        handled = super().received(data)
        if self.requests:
            self.head_since = None            # a request thread has it: no client clock runs
        request = self.request
        if request is not None and request.headers_finished and \
                getattr(request, "body_since", None) is None:
            request.body_since = time.monotonic()
        return handled

    def check(self, now: float, limits: Limits) -> None:
        """Close the connection if its client is too slow with the request it is sending."""
        if self.will_close or self.close_when_flushed:
            return
        if self.requests or self.total_outbufs_len:
            self.head_since = None            # being answered: the app's time, not the client's
            return
        if self.head_since is None:
            self.head_since = now             # its last answer has gone out since the last tick
        request = self.request
        if request is None or not request.headers_finished:
            if now - self.head_since > limits.header_timeout:
                self._cut("request head", now - self.head_since)
            return
        allowed = limits.body_timeout + request.body_bytes_received / limits.body_min_rate
        if now - request.body_since > allowed:
            self._cut("request body", now - request.body_since)

    def _cut(self, what: str, waited: float) -> None:
        self.server.front_log.debug("closing a connection from %s: %s not received in %.1f s",
                                    self.addr[0], what, waited)
        self.will_close = True


class FrontServer(TcpWSGIServer):
    channel_class = FrontChannel

    def __init__(self, application, socket_map, sock, dispatcher, adj, limits: Limits, log):
        self.limits = limits
        self.front_log = log
        super().__init__(application, socket_map, _start=True, _sock=sock,
                         dispatcher=dispatcher, adj=adj, bind_socket=False,
                         sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()))

    def check_clocks(self) -> None:
        now = time.monotonic()
        for channel in list(self.active_channels.values()):
            channel.check(now, self.limits)

    def stop_accepting(self) -> None:
        """Leave the listening socket to the other workers (gunicorn's copy stays open)."""
        self.accepting = False
        self.del_channel()


def adjustments(settings: Settings, *, threads: int, backlog: int,
                sockets: list) -> Adjustments:
    """waitress's settings for the register: whole requests within the limits above."""
    proxy = settings.front_trusted_proxy
    trusting = {"trusted_proxy": proxy, "trusted_proxy_count": 1,
                "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}} if proxy else {}
    return Adjustments(
        sockets=sockets, threads=threads, backlog=backlog,
        connection_limit=settings.front_connection_limit,
        max_request_header_size=settings.front_max_header_bytes,
        # waitress refuses a body of exactly its limit; MAX_UPLOAD_BYTES itself is allowed.
        max_request_body_size=settings.max_upload_bytes + 1,
        channel_timeout=SEND_STALL_TIMEOUT,
        cleanup_interval=SEND_STALL_TIMEOUT // 4,
        recv_bytes=65536,                  # fewer turns of the loop for a large upload
        asyncore_use_poll=True,            # select() stops at descriptor 1024
        ident="licence-registry",          # the Server header names no software
        clear_untrusted_proxy_headers=True,   # X-Forwarded-* from anyone else are dropped
        log_socket_errors=False,           # a client that hangs up is not the server's fault
        expose_tracebacks=False, **trusting)


class FrontWorker(Worker):
    """gunicorn worker class: `worker_class="ops.frontworker.FrontWorker"`."""

    def run(self) -> None:
        settings = self.app.settings
        _raise_descriptor_limit(settings.front_connection_limit + SPARE_DESCRIPTORS, self.log)
        _route_waitress_logs(self.log)
        listeners = [listener.sock for listener in self.sockets]
        adj = adjustments(settings, threads=self.cfg.threads, backlog=self.cfg.backlog,
                          sockets=listeners)
        socket_map: dict = {}
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(adj.threads)
        limits = Limits.from_settings(settings)
        servers = [FrontServer(self.wsgi, socket_map, sock, dispatcher, adj, limits, self.log)
                   for sock in listeners]
        try:
            self._serve(servers, socket_map)
            self._finish(servers, socket_map)
        finally:
            dispatcher.shutdown(timeout=1)
            wasyncore.close_all(socket_map)

    def _turn(self, servers, socket_map) -> None:
        """One turn of the event loop, then the heartbeat and the clocks. The heartbeat comes
        from this loop, not a thread of its own, so a loop that is stuck is restarted."""
        wasyncore.loop(timeout=TICK, map=socket_map, use_poll=True, count=1)
        now = time.monotonic()
        if now >= self._next_tick:
            self._next_tick = now + TICK
            self.notify()
            for server in servers:
                server.check_clocks()

    _next_tick = 0.0

    def _serve(self, servers, socket_map) -> None:
        while self.alive:
            self._turn(servers, socket_map)
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                return

    def _finish(self, servers, socket_map) -> None:
        """Graceful stop (SIGTERM): accept nothing more; answers being made or sent and bodies
        on their way are finished (within gunicorn's graceful_timeout); idle connections and
        unfinished heads get STOP_LINGER s for a request already sent, then are closed."""
        for server in servers:
            server.stop_accepting()
        linger_until = time.monotonic() + STOP_LINGER
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while time.monotonic() < deadline:
            now = time.monotonic()
            channels = [c for server in servers for c in list(server.active_channels.values())]
            if not channels:
                return
            for channel in channels:
                request = channel.request
                if channel.requests or channel.total_outbufs_len or \
                        (request is not None and request.headers_finished):
                    continue
                if now >= linger_until:
                    channel.will_close = True
            self._turn(servers, socket_map)


def _raise_descriptor_limit(wanted: int, log) -> None:
    """Each held connection is a file descriptor (and a large upload one more, its spool
    file): raise the soft limit towards the hard one if it is lower than the connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        log.warning("open files limited to %d; FRONT_CONNECTION_LIMIT needs about %d",
                    target, wanted)


def _route_waitress_logs(log) -> None:
    """waitress's warnings go to gunicorn's error log; its per-task queue-depth warning (every
    request that waits for a thread) would flood it under load, so it is kept to errors."""
    waitress_log = logging.getLogger("waitress")
    waitress_log.handlers = list(log.error_log.handlers)
    waitress_log.setLevel(logging.WARNING)
    waitress_log.propagate = False
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
