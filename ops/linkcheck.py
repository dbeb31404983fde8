"""Are licence documents still where their agency says? (`licence-registry check-links`)

Each document URL is asked for with HEAD (GET with nothing read when HEAD is not allowed),
https only, redirects followed by hand (at most 5), and every URL — the first and each redirect
target — is refused before any request when its host resolves to an address that is not public
(private, loopback, link-local, multicast, reserved, …): the stored URLs come from agencies, so
the checker must never become a way to probe the register's own network. The connection itself
is checked again (the peer address of the socket), so a name that resolves differently a moment
later (DNS rebinding) is refused too.

Results are one public graph per issuer, `{BASE}/graph/link-checks/{issuer}`, replaced whole by
each run that covers that issuer:

    <{licence}#document> clc:lastChecked "…"^^xsd:dateTime ;
                         clc:lastReachable "…"^^xsd:dateTime ;   # kept while unreachable
                         clc:linkStatus "200" | "404" | "timeout" | "refused: loopback address" …

`LICENCE_REGISTRY_LINKCHECK_ALLOW_PRIVATE` exists for tests only (loopback test servers over
plain http); see registry/settings.py.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from registry.linkchecks import REFUSED_PREFIX, CheckResult
from registry.settings import Settings

MAX_REDIRECTS = 5
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
HEAD_NOT_ALLOWED = frozenset({405, 501})
USER_AGENT = "licence-registry-linkcheck/1 (Central Licence Catalogue)"

TIMEOUT = "timeout"
NOT_HTTPS = "refused: not https"
INVALID_URL = "refused: invalid URL"
UNKNOWN_HOST = "unknown host"
CONNECTION_ERROR = "connection error"
TLS_ERROR = "tls error"
TOO_MANY_REDIRECTS = "too many redirects"

Resolve = Callable[[str, int], list[str]]


# --------------------------------------------------------------------------------------------
# Address policy
# --------------------------------------------------------------------------------------------

def address_problem(address: str) -> str | None:
    """Why the checker must not contact this IP address (e.g. "loopback address"), or None
    when it is a public unicast address. Pure: never connects or resolves anything."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])       # drop an IPv6 zone (fe80::1%eth0)
    if ip.version == 6 and ip.ipv4_mapped is not None:        # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_reserved:
        return "reserved address"
    if ip.is_private:
        return "private address"
    if not ip.is_global:                                      # 100.64/10 shared, 6to4 …
        return "non-public address"
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (socket.getaddrinfo); raises socket.gaierror."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})   # the address: str for every family


@dataclass(frozen=True)
class Policy:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    allow_private: bool = False        # tests only: loopback servers over plain http
    max_redirects: int = MAX_REDIRECTS
    workers: int = 8
    per_host: int = 2

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(connect_timeout=settings.linkcheck_connect_timeout,
                   read_timeout=settings.linkcheck_read_timeout,
                   allow_private=settings.linkcheck_allow_private,
                   workers=settings.linkcheck_workers,
                   per_host=settings.linkcheck_per_host)

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


def url_problem(url: str, policy: Policy, resolve: Resolve = resolve_host) -> str | None:
    """The status that refuses this URL before any request is sent, or None to go ahead.

    https only; every address of the host must be public. With `allow_private` (tests) any
    address is accepted, and plain http too when none of the host's addresses is public.
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return INVALID_URL
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not policy.allow_private):
        return NOT_HTTPS
    if not host:
        return INVALID_URL
    try:
        addresses = resolve(host, port or (443 if scheme == "https" else 80))
    except (socket.gaierror, UnicodeError, OSError):
        return UNKNOWN_HOST
    if not addresses:
        return UNKNOWN_HOST
    problems = [address_problem(a) for a in addresses]
    if not policy.allow_private:
        for problem in problems:
            if problem:
                return REFUSED_PREFIX + problem
    elif scheme == "http" and not all(problems):
        return NOT_HTTPS                                      # http only to test servers
    return None


# --------------------------------------------------------------------------------------------
# A session that refuses non-public peers at connection time (defence against DNS rebinding)
# --------------------------------------------------------------------------------------------

class RefusedAddress(Exception):
    """The socket connected to an address the policy refuses. Deliberately not an OSError, so
    urllib3 and requests pass it through instead of retrying or wrapping it."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


class _PeerCheck:
    def _new_conn(self):                                      # urllib3 2.x connection hook
        sock = super()._new_conn()
        try:
            problem = address_problem(sock.getpeername()[0])
        except (OSError, ValueError):
            problem = "unknown address"
        if problem:
            sock.close()
            raise RefusedAddress(problem)
        return sock


class _CheckedHTTPConnection(_PeerCheck, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_PeerCheck, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _PeerCheckingAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool,
                                                   "https": _CheckedHTTPSPool}


def new_session(policy: Policy) -> requests.Session:
    """A session for checking: no proxies, .netrc or environment (trust_env off), no retries,
    and — unless the policy allows private addresses — a check of every connected peer."""
    session = requests.Session()
    session.trust_env = False
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "*/*"})
    adapter = HTTPAdapter(max_retries=0) if policy.allow_private else \
        _PeerCheckingAdapter(max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


# --------------------------------------------------------------------------------------------
# Checking one URL
# --------------------------------------------------------------------------------------------

class HostLimiter:
    """At most `per_host` requests in flight to one host name at a time."""

    def __init__(self, per_host: int):
        self.per_host = per_host
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}

    @contextmanager
    def hold(self, host: str) -> Iterator[None]:
        with self._lock:
            slot = self._slots.setdefault(host.lower(), threading.BoundedSemaphore(self.per_host))
        with slot:
            yield


Clock = Callable[[], dt.datetime]


def checked_now() -> dt.datetime:
    """When a check ends (UTC, to the second, as it is recorded): the default clock."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _ask(session, url: str, timeout: tuple[float, float]) -> tuple[int, str | None]:
    """HEAD; GET (streamed, body never read) when the server does not allow HEAD."""
    response = session.head(url, allow_redirects=False, timeout=timeout)
    response.close()
    if response.status_code in HEAD_NOT_ALLOWED:
        response = session.get(url, allow_redirects=False, stream=True, timeout=timeout)
        response.close()
    return response.status_code, response.headers.get("Location")


def check_url(url: str, *, session, policy: Policy, resolve: Resolve = resolve_host,
              limiter: HostLimiter | None = None, clock: Clock = checked_now) -> CheckResult:
    """Check one URL: policy on every hop, redirects by hand, never raises for link problems.

    `session` is anything with requests' `head`/`get` (tests inject fakes); `resolve` gives a
    host's addresses (socket.getaddrinfo by default); `clock` says when the check ended.
    """
    limiter = limiter or HostLimiter(policy.per_host)
    current = url
    for _hop in range(policy.max_redirects + 1):
        problem = url_problem(current, policy, resolve)
        if problem:
            return CheckResult(url, problem, clock(), current)
        try:
            with limiter.hold(urlsplit(current).hostname or ""):
                code, location = _ask(session, current, policy.timeout)
        except RefusedAddress as exc:
            return CheckResult(url, REFUSED_PREFIX + exc.problem, clock(), current)
        except requests.exceptions.Timeout:
            return CheckResult(url, TIMEOUT, clock(), current)
        except requests.exceptions.SSLError:
            return CheckResult(url, TLS_ERROR, clock(), current)
        except requests.exceptions.ConnectionError:
            return CheckResult(url, CONNECTION_ERROR, clock(), current)
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                requests.exceptions.MissingSchema, ValueError):
            return CheckResult(url, INVALID_URL, clock(), current)
        except requests.exceptions.RequestException:
            return CheckResult(url, CONNECTION_ERROR, clock(), current)
        if code in REDIRECT_CODES and location:
            try:
                current = urljoin(current, location.strip())
            except ValueError:
                return CheckResult(url, INVALID_URL, clock(), current)
            continue
        return CheckResult(url, str(code), clock(), current)
    return CheckResult(url, TOO_MANY_REDIRECTS, clock(), current)


def check_urls(urls: Iterable[str], policy: Policy, *, resolve: Resolve = resolve_host,
               session_factory: Callable[[Policy], Any] = new_session,
               progress: Callable[[int], Any] | None = None,
               clock: Clock = checked_now) -> dict[str, CheckResult]:
    """Check many URLs with `policy.workers` threads, `policy.per_host` at a time per host;
    each thread has its own session; `clock` says when each check ended."""
    limiter = HostLimiter(policy.per_host)
    local = threading.local()
    sessions: list[Any] = []
    sessions_lock = threading.Lock()

    def one(url: str) -> CheckResult:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = session_factory(policy)
            with sessions_lock:
                sessions.append(session)
        result = check_url(url, session=session, policy=policy, resolve=resolve, limiter=limiter,
                           clock=clock)
        if progress:
            progress(1)
        return result

    try:
        with ThreadPoolExecutor(max_workers=policy.workers,
                                thread_name_prefix="check-links") as pool:
            return {r.url: r for r in pool.map(one, list(dict.fromkeys(urls)))}
    finally:
        for session in sessions:
            close = getattr(session, "close", None)
            if close:
                close()


# --------------------------------------------------------------------------------------------
