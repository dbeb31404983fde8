"""The example queries through /sparql against the same queries run in-process on pyoxigraph.

    python bench/sparql.py --store PATH            # a store already holding the licences
    python bench/sparql.py --count 1000000         # build one first (about 5 minutes)

Starts `licence-registry serve` (2 workers) on the store and, in this process, opens the same
read-only checkpoint the query processes read. For every example query (opendata/queries/),
turn by turn: POST /sparql (Accept: SPARQL JSON, loopback HTTP on a kept-alive connection, the
whole body read) and `Store.query(q, use_default_graph_as_union=True)` with the results written
as SPARQL JSON by pyoxigraph's own serializer — the same work an in-process client would do.
Each is warmed up (--warmup runs and at least a second), then timed --rounds times; the medians
and their ratio are printed as a Markdown table and as JSON (bench/out/sparql.json). Limit in
the issue: ratio at most 1.5 for each query.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASE = "http://127.0.0.1:8000"


def build(count: int, work: Path) -> Path:
    from ops.demoload import load_demo
    from registry.store.embedded import EmbeddedRepository

    store = work / "store"
    repo = EmbeddedRepository(store, create=True)
    started = time.monotonic()
    load_demo(repo, BASE, count)
    repo.close()
    print(f"built {count:,} licences in {time.monotonic() - started:.0f} s", flush=True)
    return store


def in_process(store, query: str) -> float:
    import pyoxigraph as ox

    started = time.perf_counter()
    results = store.query(query, use_default_graph_as_union=True)
    if isinstance(results, ox.QueryBoolean):
        bool(results)
    else:
        results.serialize(format=ox.QueryResultsFormat.JSON)
    return time.perf_counter() - started


class KeepAlive:
    """POST /sparql on one kept-alive connection with the standard library's http.client: the
    leanest Python client (like curl or wrk), so what is timed is the endpoint. `requests`
    adds about half a millisecond of its own work per call on this machine (--client)."""

    def __init__(self, url: str):
        host, port = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=600)

    def post(self, query: str) -> tuple[int, bytes]:
        try:
            return self._post(query)
        except (http.client.RemoteDisconnected, ConnectionError):
            # gunicorn closes a connection idle for 2 s (its keep-alive), as happens while a
            # slow query runs in-process; reconnecting then costs nothing next to such a query.
            self.connection.close()
            return self._post(query)

    def _post(self, query: str) -> tuple[int, bytes]:
        self.connection.request("POST", "/sparql", urllib.parse.urlencode({"query": query}),
                                {"Content-Type": "application/x-www-form-urlencoded",
                                 "Accept": "application/sparql-results+json"})
        response = self.connection.getresponse()
        return response.status, response.read()


class WithRequests:
    def __init__(self, url: str):
        import requests

        self.url, self.session = url + "/sparql", requests.Session()

    def post(self, query: str) -> tuple[int, bytes]:
        response = self.session.post(self.url, data={"query": query}, timeout=600,
                                     headers={"Accept": "application/sparql-results+json"})
        return response.status_code, response.content


def over_http(client, query: str) -> float:
    started = time.perf_counter()
    status, body = client.post(query)
    took = time.perf_counter() - started
    if status != 200:
        raise SystemExit(f"/sparql answered {status}: {body[:300]!r}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="a store holding the licences")
    parser.add_argument("--count", type=int, default=1_000_000,
                        help="licences to build when --store is not given")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each query")
    parser.add_argument("--warmup", type=int, default=2,
                        help="untimed runs of each query first, on both sides (the server has "
                        "several query processes, each with its own caches)")
    parser.add_argument("--only", default="",
                        help="comma-separated example ids or id prefixes (e.g. 09,10,13) to run")
    parser.add_argument("--client", choices=("http.client", "requests"), default="http.client",
                        help="the HTTP client timed: the standard library's (default, the "
                        "leanest) or requests (what many analysts' scripts use)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "sparql.json")
    args = parser.parse_args()

    import pyoxigraph as ox

    from opendata.examples import load_examples
    from registry.store.snapshots import snapshots_dir
    from tests.support.crash_harness import Server

    work = Path(tempfile.mkdtemp(prefix="bench-sparql-"))
    store_path = args.store or build(args.count, work)
    # Production settings but the time limit: the slowest example takes seconds on 1M licences.
    server = Server(store_path, BASE, env={"LICENCE_REGISTRY_SPARQL_TIME_LIMIT": "600"})
    try:
        folder = snapshots_dir(store_path)
        checkpoint = folder / (folder / "CURRENT").read_text().strip()
        store = ox.Store.read_only(str(checkpoint))
        client = (KeepAlive if args.client == "http.client" else WithRequests)(server.url)
        rows = []
        wanted = [w for w in args.only.split(",") if w]
        for example in load_examples():
            if wanted and not any(example.id.startswith(w) for w in wanted):
                continue
            # Warm caches on both sides: at least --warmup runs and at least a second. The server
            # has several query processes (each with its own caches) taking queries in turn.
            warm, started = 0, time.monotonic()
            while warm < args.warmup or time.monotonic() - started < 1.0:
                in_process(store, example.query)
                over_http(client, example.query)
                warm += 1
            local, remote = [], []
            for _ in range(args.rounds):
                local.append(in_process(store, example.query))
                remote.append(over_http(client, example.query))
            row = {"id": example.id, "in_process_ms": statistics.median(local) * 1000,
                   "sparql_ms": statistics.median(remote) * 1000}
            row["ratio"] = row["sparql_ms"] / row["in_process_ms"]
            rows.append(row)
            print(f"{example.id:50s} in-process {row['in_process_ms']:9.1f} ms   /sparql "
                  f"{row['sparql_ms']:9.1f} ms   x{row['ratio']:.2f}", flush=True)
    finally:
        server.kill()
    print("\n| query | in-process pyoxigraph (median) | /sparql (median) | ratio |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row['id']} | {row['in_process_ms']:,.1f} ms | {row['sparql_ms']:,.1f} ms | "
              f"{row['ratio']:.2f} |")
    worst = max(rows, key=lambda r: r["ratio"])
    print(f"\nworst ratio {worst['ratio']:.2f} ({worst['id']}); limit 1.5")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rounds": args.rounds, "client": args.client, "rows": rows,
                                    "cpu_count": os.cpu_count()}, indent=2))


if __name__ == "__main__":
    main()
