"""Slow clients against the register: resolver p99 and throughput, idle and under attack.

    python bench/slowclients.py                      # both fronts, 2,000 demo licences
    python bench/slowclients.py --front gthread      # only gunicorn's gthread (the old one)
    python bench/slowclients.py --store PATH         # a store holding licences (a key
                                                     # for agency diw is issued in it)

The attack: SLOW connections on 127.0.0.1, half sending a request head that never ends, half
an upload (`POST /api/v1/uploads`, a valid agency key, Content-Length 100,000) whose body
never completes, each sending 3 bytes about every second; a connection the server closes is
opened again (an attacker would). `wrk` measures `GET /id/licence/…` (Accept: text/html, a
303) with random stored IRIs. Idle and attacked phases alternate in one run, ROUNDS times, so
a drift of a shared machine hits both alike; each phase is reported and the medians compared.
The same is done on the old configuration (gunicorn's gthread worker, requests read by the
request threads) and on the new one (ops/frontworker.py), each served like `serve`
(2 workers x 4 threads). Needs Debian's `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.resolve import LUA  # noqa: E402  (the same random /id/ requests as bench/resolve.py)

BASE = "http://127.0.0.1:8000"
# Seconds between opening the slow connections and measuring: each has trickled once.
SETTLE = 1.5
FRONTS = {"waitress": "ops.frontworker.FrontWorker", "gthread": "gthread"}


# `serve` without the command line, so the worker class can be chosen: same settings, same
# gunicorn options, only the worker differs.
LAUNCH = f"""
import sys
from ops.server import run
from registry.settings import load_settings
store, port, workers, threads, worker_class = sys.argv[1:]
run(load_settings({{"STORE": store, "BASE_IRI": {BASE!r}}}), host="127.0.0.1", port=int(port),
    workers=int(workers), threads=int(threads), access_log=False, worker_class=worker_class)
"""


class Attack:
    """`count` slow connections (half heads, half bodies) kept open and trickling by one
    thread, 3 bytes a connection about every `interval` s, until stop(). Loopback only."""

    def __init__(self, port: int, count: int, key: str, interval: float = 1.0):
        self.port, self.interval = port, interval
        head = b"GET /id/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        body = (f"POST /api/v1/uploads?dry_run=true HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: text/csv\r\nAuthorization: Bearer {key}\r\n"
                f"Content-Length: 100000\r\n\r\nlicence_number,").encode()
        self.starts = [head if i % 2 == 0 else body for i in range(count)]
        self.sockets: list[socket.socket | None] = [None] * count
        self.reopened = 0
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._drive, daemon=True)
        self.thread.start()
        if not self.ready.wait(60):
            raise SystemExit("the slow connections could not be opened")

    def _open(self, i: int) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(self.starts[i])
            sock.setblocking(False)
            self.sockets[i] = sock
        except OSError:
            self.sockets[i] = None

    def _drive(self) -> None:
        for i in range(len(self.sockets)):
            self._open(i)
        self.ready.set()
        while not self.stopping.wait(self.interval):
            for i, sock in enumerate(self.sockets):
                if sock is None:
                    self.reopened += 1
                    self._open(i)
                    continue
                try:
                    if sock.recv(4096) == b"":        # closed (or answered) by the server
                        raise ConnectionResetError
                except BlockingIOError:
                    pass
                except OSError:
                    sock.close()
                    self.sockets[i] = None
                    continue
                try:
                    sock.send(b"aaa")
                except BlockingIOError:
                    pass
                except OSError:
                    sock.close()
                    self.sockets[i] = None

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)
        for sock in self.sockets:
            if sock is not None:
                sock.close()


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
                          "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    to_ms = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    found = {p: re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out) for p in ("50", "99")}
    timeouts = re.search(r"timeout (\d+)", out)
    answered = int(re.search(r"(\d+) requests in", out).group(1))
    wrong = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": answered,
            **{f"p{p}_ms": round(float(m.group(1)) * to_ms[m.group(2)], 2)
               if m and answered else None for p, m in found.items()},
            "timeouts": int(timeouts.group(1)) if timeouts else 0,
            "not_3xx": int(wrong.group(1)) if wrong else 0}


def wait_for(url: str, seconds: float = 60) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


def recover(url: str, seconds: float = 120) -> float:
    """Seconds after the attack until the register answers /health within 0.1 s again (the
    next idle phase starts then, not while requests held up by the attack are still queued)."""
    import requests

    started = time.monotonic()
    while time.monotonic() - started < seconds:
        began = time.monotonic()
        try:
            requests.get(url + "/health", timeout=1)
            if time.monotonic() - began < 0.1:
                break
        except requests.RequestException:
            pass
    return round(time.monotonic() - started, 2)


def prepare_store(work: Path, store: Path | None, count: int) -> tuple[Path, str, Path]:
    """(store, an agency key, wrk script over random stored licence paths)."""
    from publishing.keys import issue_key
    from registry import identifiers
    from registry.store.embedded import EmbeddedRepository

    if store is None:
        from ops.demoload import load_demo

        store = work / "store"
        print(f"building a store of {count} demo licences …", flush=True)
        repo = EmbeddedRepository(store, create=True)
        load_demo(repo, BASE, count)
    else:
        repo = EmbeddedRepository(store)
    try:
        key, _ = issue_key(repo, BASE, "diw")
        rows = repo.select("SELECT ?l WHERE { GRAPH ?g { ?l a <https://schema.org/"
                           "GovernmentPermit> } } LIMIT 100000")
    finally:
        repo.close()
    iris = [r["l"].value for r in rows]
    random.Random(1).shuffle(iris)
    paths = work / "paths.txt"
    paths.write_text("\n".join(identifiers.iri_to_uri(i[len(BASE):]) for i in iris) + "\n")
    script = work / "random.lua"
    script.write_text(LUA % paths)
    return store, key, script


def measure(front: str, store: Path, key: str, script: Path, args) -> dict:
    from tests.support.stores import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(store), str(port), str(args.workers),
         str(args.threads), FRONTS[front]], cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    phases: dict[str, list[dict]] = {"idle": [], "attacked": []}
    try:
        wait_for(url + "/health")
        wrk(url, script, 3, args.connections)                        # warm up
        for round_ in range(args.rounds):
            print(f"{front}: round {round_ + 1} idle …", flush=True)
            phases["idle"].append(wrk(url, script, args.seconds, args.connections))
            attack = Attack(port, args.slow, key)
            try:
                time.sleep(SETTLE)
                print(f"{front}: round {round_ + 1} under {args.slow} slow connections …",
                      flush=True)
                result = wrk(url, script, args.seconds, args.connections)
                result["slow_connections_reopened"] = attack.reopened
                phases["attacked"].append(result)
            finally:
                attack.stop()
            phases["attacked"][-1]["recovery_s"] = recover(url)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
    return {"phases": phases, "summary": summarise(phases)}


def summarise(phases: dict[str, list[dict]]) -> dict:
    def median(name: str, key: str):
        values = [p[key] for p in phases[name] if p[key] is not None]
        return round(statistics.median(values), 2) if values else None

    summary = {name: {"p99_ms": median(name, "p99_ms"),
                      "requests_per_s": median(name, "requests_per_s"),
                      "timeouts": sum(p["timeouts"] for p in phases[name])}
               for name in phases}
    idle, attacked = summary["idle"]["p99_ms"], summary["attacked"]["p99_ms"]
    starved = any(p["requests"] == 0 for p in phases["attacked"]) or \
        summary["attacked"]["timeouts"] > 0
    summary["p99_ratio"] = round(attacked / idle, 2) if idle and attacked and not starved \
        else None
    summary["starved"] = starved
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--front", choices=["both", *FRONTS], default="both")
    parser.add_argument("--store", type=Path, help="an existing store with licences")
    parser.add_argument("--count", type=int, default=2000, help="licences to build a store with")
    parser.add_argument("--slow", type=int, default=200, help="slow connections in the attack")
    parser.add_argument("--seconds", type=int, default=10, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=3, help="idle + attacked phase pairs")
    parser.add_argument("--connections", type=int, default=8, help="wrk's connections")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "slowclients.json")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=ROOT / "bench" / "out"))
    try:
        store, key, script = prepare_store(work, args.store, args.count)
        fronts = list(FRONTS) if args.front == "both" else [args.front]
        results = {front: measure(front, store, key, script, args) for front in fronts}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {"slow_connections": args.slow, "seconds_per_phase": args.seconds,
              "rounds": args.rounds, "wrk_connections": args.connections,
              "workers": args.workers, "threads": args.threads, "fronts": results}
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({front: r["summary"] for front, r in results.items()}, indent=2))


if __name__ == "__main__":
    main()
