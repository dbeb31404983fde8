"""A register's public log on a loopback HTTP server (real sockets), for the monitor's tests:
the five /log routes of SPEC §12 in the PREAMBLE's shapes, from a `registry.merkle.MemoryTree`
signed with `registry.signednote`. Tests change the `FakeLog` between runs (append, fork,
rotate or swap the key) or make a route answer something else (`overrides`)."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.checkpoint import format_checkpoint
from registry.logleaf import canonical_json
from registry.merkle import MemoryTree, ProofError, leaf_hash
from registry.signednote import public_key_of, sign_note, verifier_key

MAX_ENTRIES = 1000


def new_seed(n: int) -> bytes:
    """A fixed Ed25519 seed per n, so runs are repeatable."""
    return bytes([n]) * 32


class FakeLog:
    """Leaves, their tree, and the signing key of one origin."""

    def __init__(self, origin: str, seed: bytes = new_seed(1)) -> None:
        self.origin = origin
        self.seed = seed
        self.leaves: list[bytes] = []
        self.tree = MemoryTree()

    @property
    def key(self) -> str:
        return verifier_key(self.origin, public_key_of(self.seed))

    def append(self, leaf: bytes) -> int:
        self.leaves.append(leaf)
        return self.tree.append(leaf_hash(leaf))

    def add_versions(self, count: int, tag: str = "v") -> None:
        for _ in range(count):
            index = len(self.leaves)
            self.append(canonical_json({"index": index, "kind": "licence-version",
                                        "licence": f"https://example.test/{tag}/{index}",
                                        "version": 1, "time": "2026-01-01T00:00:00Z"}))

    def forked(self, at: int) -> FakeLog:
        """The same log but for the leaf at `at`, rewritten (and nothing after it)."""
        fork = FakeLog(self.origin, self.seed)
        for index, leaf in enumerate(self.leaves):
            fork.append(leaf if index != at else leaf.replace(b"}", b',"x":"rewritten"}'))
        return fork

    def rotate(self, seed: bytes) -> str:
        """Announce `seed`'s key in the log, signed by the current key, then sign with it."""
        new_key = verifier_key(self.origin, public_key_of(seed))
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(new_key.encode())
        self.append(canonical_json({
            "index": len(self.leaves), "kind": "key", "key": new_key, "previous": self.key,
            "signature": base64.b64encode(signature).decode("ascii"),
            "time": dt.datetime(2026, 1, 2, tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}))
        self.seed = seed
        return new_key

    def checkpoint(self) -> str:
        text = format_checkpoint(self.origin, self.tree.size, self.tree.root())
        return sign_note(text, self.origin, self.seed)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class _Handler(BaseHTTPRequestHandler):
    server: _LogServer

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        override = self.server.overrides.get(parts.path)
        if override is not None:
            status, headers, body = override
            return self._send(status, body, headers)
        log = self.server.log
        try:
            if parts.path == "/log/checkpoint":
                return self._send(200, log.checkpoint().encode(), {"Content-Type": "text/plain"})
            if parts.path == "/log/key":
                return self._send(200, (log.key + "\n").encode(), {"Content-Type": "text/plain"})
            if parts.path == "/log/entries":
                start, end = int(query["start"]), int(query["end"])
                end = min(end, start + MAX_ENTRIES, len(log.leaves))
                return self._json({"entries": [{"index": i, "leaf": _b64(log.leaves[i])}
                                               for i in range(start, end)]})
            if parts.path == "/log/proof/inclusion":
                index, size = int(query["index"]), int(query["size"])
                hashes = log.tree.inclusion_proof(index, size)
                return self._json({"index": index, "size": size,
                                   "hashes": [_b64(h) for h in hashes]})
            if parts.path == "/log/proof/consistency":
                first, second = int(query["first"]), int(query["second"])
                hashes = log.tree.consistency_proof(first, second)
                return self._json({"first": first, "second": second,
                                   "hashes": [_b64(h) for h in hashes]})
        except (KeyError, ValueError, ProofError) as exc:
            return self._send(400, str(exc).encode(), {"Content-Type": "text/plain"})
        return self._send(404, b"not found", {"Content-Type": "text/plain"})

    def _json(self, value: dict) -> None:
        self._send(200, json.dumps(value).encode(), {"Content-Type": "application/json"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _LogServer(ThreadingHTTPServer):
    daemon_threads = True
    log: FakeLog
    overrides: dict[str, tuple[int, dict[str, str], bytes]]


@contextlib.contextmanager
def serving(log: FakeLog) -> Iterator[_LogServer]:
    """A server of `log` on 127.0.0.1 (its URL: `f"http://127.0.0.1:{server.server_port}"`);
    set `server.log` to serve another log, `server.overrides[path]` to answer a route with
    (status, headers, body)."""
    server = _LogServer(("127.0.0.1", 0), _Handler)
    server.log = log
    server.overrides = {}
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
