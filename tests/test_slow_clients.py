"""Slow clients cannot starve the register (issue 10), on a real `licence-registry serve`:

- while connections trickle request heads and upload bodies a few bytes at a time, the resolver
  still answers at once (the front reads whole requests before a request thread sees them);
- a head that stalls or trickles is cut after the head timeout, a trickling body after the body
  timeout;
- an upload of exactly the largest allowed size goes through, one byte more is refused with the
  project's error shape;
- the front's own error answers (malformed request, head too large, bad chunked body) carry a
  Content-Security-Policy and the project's JSON error shape.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from ops.demo import demo_rows, rows_to_csv
from ops.demoload import load_demo
from publishing.keys import issue_key
from registry.bootstrap import load_catalogue
from registry.store.embedded import EmbeddedRepository

from .support.crash_harness import Server
from .support.stores import BASE

# "Promptly" and the timeouts are timed: the other tests must not take the CPU meanwhile.
pytestmark = pytest.mark.serial

LICENCES = 300
SLOW_EACH = 24            # connections trickling heads, and as many trickling bodies
PROBES = 40               # resolver requests made while they trickle
PROMPT = 1.0              # seconds: "answered promptly" on a shared 2-core machine
SHORT_TIMEOUT = 1.0       # the head/body timeouts of the impatient server, seconds


def _make_store(work: Path) -> tuple[Path, str, list[str], str]:
    """(store, agency key, licence paths, a valid CSV of new licences for that agency)."""
    store = work / "store"
    repo = EmbeddedRepository(store, create=True)
    try:
        load_demo(repo, BASE, LICENCES)
        key, _ = issue_key(repo, BASE, "diw")
        rows = repo.select("SELECT DISTINCT ?l WHERE { GRAPH ?g { ?l a <https://schema.org/"
                           "GovernmentPermit> } } LIMIT 50")
        paths = [row["l"].value[len(BASE):] for row in rows]
        upload = rows_to_csv(demo_rows(load_catalogue(repo), 6000, seed=99, agency="diw"))
    finally:
        repo.close()
    return store, key, paths, upload


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return _make_store(tmp_path_factory.mktemp("slow-clients"))


@pytest.fixture(scope="module")
def served(prepared):
    """The register with its default front settings."""
    store, key, paths, _ = prepared
    server = Server(store, BASE)
    yield server, key, paths
    server.kill()


@pytest.fixture(scope="module")
def impatient(tmp_path_factory, prepared):
    """A second register (own copy of the store) with short head and body timeouts, and the
    largest upload set to exactly the size of the prepared CSV."""
    import shutil

    store, key, paths, upload = prepared
    copy = tmp_path_factory.mktemp("slow-clients-impatient") / "store"
    shutil.copytree(store, copy)
    env = {"LICENCE_REGISTRY_FRONT_HEADER_TIMEOUT": str(SHORT_TIMEOUT),
           "LICENCE_REGISTRY_FRONT_BODY_TIMEOUT": str(SHORT_TIMEOUT),
           "LICENCE_REGISTRY_MAX_UPLOAD_BYTES": str(len(upload.encode()))}
    server = Server(copy, BASE, env=env)
    yield server, key, paths, upload
    server.kill()


def _upload_head(key: str, length: int, path: str = "/api/v1/uploads?dry_run=true") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
            f"Authorization: Bearer {key}\r\nContent-Length: {length}\r\n\r\n").encode()


class Tricklers:
    """Connections that each send a request one byte per turn (one driver thread for all); the
    heads never end or the bodies never complete within the test. Bounded: at most `turns`
    turns, and every socket is closed by close()."""

    def __init__(self, port: int, starts: list[bytes], interval: float = 0.2, turns: int = 600):
        self.sockets = []
        for start in starts:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(start)
            sock.setblocking(False)
            self.sockets.append(sock)
        self.interval, self.turns = interval, turns
        self.stop = threading.Event()
        self.turned = threading.Event()
        self.thread = threading.Thread(target=self._drive, daemon=True)
        self.thread.start()
        assert self.turned.wait(10), "the tricklers did not start"

    def _drive(self) -> None:
        for _ in range(self.turns):
            for sock in self.sockets:
                try:
                    sock.send(b"a")
                except OSError:
                    pass             # cut by the server (or its buffer full): nothing to add
            self.turned.set()
            if self.stop.wait(self.interval):
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        for sock in self.sockets:
            sock.close()


def _probe(url: str, paths: list[str], count: int) -> tuple[list[float], int]:
    """(latencies of answered resolver requests, how many got no answer within PROMPT * 3).

    A new connection each time, as separate readers would: each worker process accepts some
    of them, so one whose request threads are all held by slow clients is seen. Stops after a
    few unanswered requests (the outcome is known by then)."""
    took, unanswered = [], 0
    for i in range(count):
        started = time.perf_counter()
        try:
            response = requests.get(url + paths[i % len(paths)], allow_redirects=False,
                                    headers={"Accept": "text/html", "Connection": "close"},
                                    timeout=PROMPT * 3)
        except requests.RequestException:
            unanswered += 1
            if unanswered == 3:
                break
            continue
        took.append(time.perf_counter() - started)
        assert response.status_code == 303, response.status_code
    return took, unanswered


def test_slow_heads_and_bodies_do_not_starve_the_resolver(served):
    server, key, paths = served
    _probe(server.url, paths, 10)                                   # warm up
    heads = [b"GET /id/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "] * SLOW_EACH
    bodies = [_upload_head(key, 100_000) + b"licence_number,"] * SLOW_EACH
    tricklers = Tricklers(server.port, heads + bodies)
    try:
        took, unanswered = _probe(server.url, paths, PROBES)
    finally:
        tricklers.close()
    slowest = max(took, default=float("inf"))
    print(f"\nresolver under {2 * SLOW_EACH} slow connections: {len(took)} answered, "
          f"{unanswered} unanswered, slowest {slowest * 1000:.1f} ms")
    assert unanswered == 0, f"{unanswered} of {PROBES} resolver requests got no answer"
    assert slowest < PROMPT, f"a resolver request took {slowest:.2f} s"


def _wait_closed(sock: socket.socket, deadline: float, trickle: bool) -> bool:
    """Poll until the server closes `sock` (EOF or reset) or the deadline passes; when
    `trickle`, send one more byte each turn (a client that never stops but never finishes)."""
    while time.monotonic() < deadline:
        readable, _, _ = select.select([sock], [], [], 0.1)
        if readable:
            try:
                if sock.recv(65536) == b"":
                    return True
            except ConnectionResetError:
                return True
        elif trickle:
            try:
                sock.send(b"a")
            except (BrokenPipeError, ConnectionResetError):
                return True
    return False


@pytest.mark.parametrize("trickle", [False, True], ids=["stalled", "trickling"])
def test_a_slow_head_is_cut_after_the_head_timeout(impatient, trickle):
    server = impatient[0]
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /id/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        sock.setblocking(False)
        closed = _wait_closed(sock, started + SHORT_TIMEOUT + 6, trickle)
    took = time.monotonic() - started
    assert closed, "the server kept a slow request head open"
    assert took >= SHORT_TIMEOUT * 0.9, f"cut after {took:.2f} s, before the head timeout"


def test_a_trickling_body_is_cut_after_the_body_timeout(impatient):
    server, key = impatient[:2]
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(_upload_head(key, 100_000) + b"licence_number,")
        sock.setblocking(False)
        closed = _wait_closed(sock, started + SHORT_TIMEOUT + 6, trickle=True)
    assert closed, "the server kept a trickling upload body open"


def test_an_idle_connection_is_closed_but_a_prompt_one_is_served(impatient):
    server, _, paths, _ = impatient
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"GET {paths[0]} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
                     "\r\n".encode())
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 303"), answer[:100]
        sock.setblocking(False)     # kept alive, then idle: closed after the head timeout
        assert _wait_closed(sock, time.monotonic() + SHORT_TIMEOUT + 6, trickle=False)


def test_an_upload_of_exactly_the_largest_size_goes_through(impatient):
    server, key, _, upload = impatient
    body = upload.encode()
    assert len(body) > 512 * 1024          # past the front's in-memory buffer: spooled to disk
    response = requests.post(server.url + "/api/v1/uploads", data=body, timeout=300,
                             headers={"Content-Type": "text/csv",
                                      "Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text[:500]
    result = response.json()
    assert result["created"] + result["updated"] + result["unchanged"] == 6000, result
    too_large = requests.post(server.url + "/api/v1/uploads", data=body + b"\n", timeout=300,
                              headers={"Content-Type": "text/csv",
                                       "Authorization": f"Bearer {key}"})
    assert too_large.status_code == 413
    error = too_large.json()["error"]
    assert error["status"] == 413 and error["code"] == "request-entity-too-large", error
    assert str(len(body)) in error["detail"], error


def test_the_default_largest_upload_reaches_the_app(served):
    """64 MiB (the default MAX_UPLOAD_BYTES) passes the front: the app itself answers (here,
    415 for a media type it does not take), where one byte more is refused by the front."""
    server, key, _ = served
    size = 64 * 1024 * 1024
    head = _upload_head(key, size, "/api/v1/uploads").replace(b"text/csv", b"text/plain")
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(head)
        chunk = b"x" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            sock.sendall(chunk)
        answer = _read_response(sock)
    assert answer.status == 415, answer.status
    assert answer.json()["error"]["code"] == "unsupported-media-type"


class _Answer:
    def __init__(self, raw: bytes):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip()
                        for k, _, v in (line.partition(":") for line in lines[1:])}

    def json(self):
        return json.loads(self.body)


def _read_response(sock: socket.socket) -> _Answer:
    """One whole response (the front's errors close the connection; others say their length)."""
    sock.settimeout(30)
    raw = b""
    while True:
        if b"\r\n\r\n" in raw:
            answer = _Answer(raw)
            if len(answer.body) >= int(answer.headers.get("content-length", 1 << 62)):
                return answer
        data = sock.recv(65536)
        if not data:
            return _Answer(raw)
        raw += data


def _send_raw(port: int, request: bytes) -> _Answer:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return _read_response(sock)


@pytest.mark.parametrize("request_bytes, status", [
    (b"NOT A REQUEST\r\n\r\n", 400),
    (b"GET /id/ HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n", 400),
    (b"GET /id/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n", 431),
    (b"POST /api/v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"zz\r\nabc\r\n0\r\n\r\n", 400),
], ids=["request-line", "header", "head-too-large", "chunked"])
def test_the_fronts_own_errors_carry_a_csp_and_the_error_shape(served, request_bytes, status):
    answer = _send_raw(served[0].port, request_bytes)
    assert answer.status == status, (answer.status, answer.body[:200])
    assert "default-src 'none'" in answer.headers.get("content-security-policy", "")
    assert answer.headers.get("x-content-type-options") == "nosniff"
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["status"] == status and error["code"] and error["title"], error


@pytest.fixture(scope="module", params=["", "127.0.0.1"], ids=["no-proxy", "proxy"])
def fronted(request, tmp_path_factory, prepared):
    """A register (own copy of the store) with FRONT_TRUSTED_PROXY empty, or naming the
    test's own address as if it were nginx."""
    import shutil

    copy = tmp_path_factory.mktemp("slow-clients-proxy") / "store"
    shutil.copytree(prepared[0], copy)
    server = Server(copy, BASE, env={"LICENCE_REGISTRY_FRONT_TRUSTED_PROXY": request.param})
    yield server, request.param
    server.kill()


def test_forwarded_addresses_count_only_from_the_trusted_proxy(fronted):
    """The key failure limit (5 bad keys a client) counts per X-Forwarded-For address only
    behind the trusted proxy; anyone else cannot dodge it by naming other addresses."""
    server, proxy = fronted
    session = requests.Session()        # one connection: one worker process, one limiter
    statuses = [session.post(server.url + "/api/v1/uploads", data=b"x", timeout=10,
                             headers={"Authorization": "Bearer clc_wrong",
                                      "Content-Type": "text/csv",
                                      "X-Forwarded-For": f"203.0.113.{i}"}).status_code
                for i in range(8)]
    session.close()
    if proxy:
        assert statuses == [401] * 8, statuses
    else:
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3, statuses


def test_sigterm_stops_the_register_gracefully(tmp_path, prepared):
    """gunicorn's graceful stop reaches the front: an upload already sent is still answered;
    idle and half-sent connections do not hold the stop for gunicorn's 30 s graceful timeout."""
    import shutil
    import signal

    copy = tmp_path / "store"
    shutil.copytree(prepared[0], copy)
    key, upload = prepared[1], prepared[3].encode()
    server = Server(copy, BASE)
    try:
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        half = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        half.sendall(b"GET /id/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        busy = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        busy.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _read_response(busy).status == 200          # accepted by a worker: kept alive
        busy.sendall(_upload_head(key, len(upload)) + upload)
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        answer = _read_response(busy)
        assert server.process.wait(30) == 0
        took = time.monotonic() - started
        for sock in (idle, half, busy):
            sock.close()
    finally:
        server.kill()
    assert answer.status == 200, answer.body[:300]
    assert answer.json()["dry_run"] is True
    assert took < 15, f"the stop took {took:.1f} s"
