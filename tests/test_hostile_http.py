"""Hostile requests against a real serving process: huge bodies are refused unread."""

from __future__ import annotations

import socket
import time

import pytest

from publishing.keys import issue_key
from registry.bootstrap import init_store
from registry.store.embedded import EmbeddedRepository

from .support.crash_harness import Server
from .support.stores import BASE


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("hostile") / "store"
    repo = EmbeddedRepository(store, create=True)
    init_store(repo, BASE)
    key, _ = issue_key(repo, BASE, "diw")
    repo.close()
    running = Server(store, BASE)
    yield running, key
    running.kill()


def test_a_100_mb_body_is_refused_with_413_without_being_read(server):
    running, key = server
    size = 100 * 1024 * 1024
    head = (f"POST /api/v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
            f"Authorization: Bearer {key}\r\nContent-Length: {size}\r\n\r\n").encode()
    chunk = b"licence_number,licence_type,issuer\n" * 2000
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        deadline = time.monotonic() + 30
        while sent < size and time.monotonic() < deadline:
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            if answer:
                break
            try:
                sent += sock.send(chunk)
            except (BlockingIOError, InterruptedError):
                time.sleep(0.001)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < size // 4, f"the server let {sent} bytes in before refusing"


def test_the_server_still_answers_after_it(server):
    import requests

    running, _ = server
    assert requests.get(running.url + "/health", timeout=10).status_code == 200
