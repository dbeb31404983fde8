"""Checking 1,000 licences in one call (issue 16, item 1: `POST /api/v1/check`, at most 300 ms
p50 on 1,000,000 licences) beside the naive way, one look-up per item, in the same run.

    python bench/bulkcheck.py [--sizes 10000,100000,1000000] [--repeats 30]
                              [--naive-repeats 3] [--naive-max N] [--work DIR [--keep]]

For each size:
1. Demo licences (ops/demo.py), not timed: each record as the register writes it
   (registry/rdfmap.py content and version lines), bulk-loaded into a pyoxigraph store.
2. 1,000 items, a mix: licence IRIs (half of them percent-encoded), issuer/type/number objects
   (numbers in lower case or with Thai digits where they have any), bare numbers, and about
   10 % unknown licences.
3. Through the app (Flask test client): `POST /api/v1/check` with the 1,000 items as JSON,
   REPEATS times (the first, cold, reported apart), p50/p99. The app's licence side index is
   built first (as `serve` builds it before its workers start; its time reported, not part of
   any request's); each request still brings it up to the store, as in service.
3b. The batched look-up alone, from the store (SPARQL) and from the side index, side by side
   on the same items, their answers equal.
4. The naive way, NAIVE-REPEATS times: each item on its own with the resolver's per-licence
   functions (resolver/licence.py `load_licence`, resolver/lookup.py `licences_by_number`): what
   a client asking the register one licence at a time makes it do, without HTTP.

Results are printed and written to bench/out/bulkcheck.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sizes import BENCH_BASE, demo_store, run_sizes, size_arguments  # noqa: E402

BASE = BENCH_BASE
TODAY = dt.date(2026, 12, 3)
ITEMS = 1000
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def percentiles(wall: list[float]) -> dict:
    def at(q: float) -> float:
        ordered = sorted(wall)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)
    return {"n": len(wall), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": round(max(wall), 2)}


def mixed_items(keys, seed: int) -> list:
    """ITEMS items of every form, about 10 % of them unknown."""
    from registry import identifiers

    rng = random.Random(seed)  # noqa: S311 — repeatable benchmark data
    items: list = []
    for n, key in enumerate(keys[:ITEMS]):
        kind = n % 10
        if kind == 9:                                   # unknown: a number nobody issued
            items.append({"issuer": key.issuer, "type": key.type, "number": f"NONE-{n}"}
                         if n % 20 == 9 else f"NO-SUCH-{n}")
        elif kind < 3:
            iri = identifiers.licence_iri(BASE, key)
            items.append(identifiers.iri_to_uri(iri) if kind == 0 else iri)
        elif kind < 6:
            number = key.number.lower() if kind == 3 else key.number.translate(_THAI_DIGITS)
            items.append({"issuer": key.issuer, "type": key.type, "number": number})
        else:
            items.append(key.number)
    rng.shuffle(items)
    return items


def keyed_items(keys) -> list:
    """ITEMS items that each name one licence: IRIs, half percent-encoded, and objects."""
    from registry import identifiers

    items: list = []
    for n, key in enumerate(keys[:ITEMS]):
        iri = identifiers.licence_iri(BASE, key)
        items.append([identifiers.iri_to_uri(iri), iri,
                      {"issuer": key.issuer, "type": key.type, "number": key.number}][n % 3])
    return items


def naive(repo, items) -> int:
    """Each item on its own: the per-licence functions, as one request per item would run."""
    from registry import bulklookup, identifiers
    from resolver.licence import load_licence
    from resolver.lookup import licences_by_number

    found = 0
    for position, item in enumerate(items, start=1):
        wanted = bulklookup.read_item(BASE, item, position)
        keys = [wanted.key] if wanted.key is not None else []
        if wanted.number is not None:
            keys = [identifiers.LicenceKey(f["issuer"], f["type"], f["number"])
                    for f in licences_by_number(repo, BASE, wanted.number)]
        views = [load_licence(repo, BASE, k) for k in keys]
        statuses = [v.effective_status(TODAY) for v in views if v is not None]
        found += bool(statuses)
    return found


def check_client(path: Path):
    """The store opened in this process and a test client of the app on it, with no rate
    limit to speak of and today fixed (bench/growth.py uses it too)."""
    from registry.store.embedded import EmbeddedRepository
    from resolver.bulkcheck import CheckLimiter
    from web.app import create_app
    from web.state import state_of

    repo = EmbeddedRepository(path)
    app = create_app({"STORE": str(path), "BASE_IRI": BASE}, repository=repo)
    state_of(app).install(CheckLimiter(limit=1_000_000, window=60))
    state_of(app).clock = lambda: TODAY
    return repo, app.test_client()


def time_check(client, items: list, repeats: int) -> tuple[dict, dict]:
    """`POST /api/v1/check` with `items` through the app's test client, once cold and then
    `repeats` times: the percentiles of the warm ones, the cold time, what was found; and the
    last answer (bench/growth.py uses it too)."""
    body = json.dumps(items, ensure_ascii=False).encode()
    wall: list[float] = []
    answer: dict = {}
    for _ in range(repeats + 1):
        started = time.perf_counter()
        response = client.post("/api/v1/check", data=body,
                               headers={"Content-Type": "application/json"})
        wall.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        answer = response.get_json()
    return ({**percentiles(wall[1:]), "cold_ms": round(wall[0], 2), "found": answer["found"],
             "licences": sum(len(r["matches"]) for r in answer["results"])}, answer)


def index_ready(repo, path: Path) -> float:
    """Build the app's licence side index (where `serve` builds it before its workers start)
    unless it is there and in step: the seconds it took (not part of any request's time)."""
    from registry.licenceindex import LicenceIndex

    started = time.perf_counter()
    index = LicenceIndex(path / "search" / "licences.sqlite", repo, BASE)
    index.refresh()
    index.close()
    return round(time.perf_counter() - started, 1)


def sources_side_by_side(repo, path: Path, items: list, repeats: int) -> dict:
    """The batched look-up alone (no HTTP, no JSON), from the store (`StoreSource`) and from
    the side index (`IndexSource`) in turn on the same items: p50/p99 each; the answers equal."""
    from registry import bulklookup
    from registry.checkindex import IndexSource
    from registry.licenceindex import LicenceIndex

    index = LicenceIndex(path / "search" / "licences.sqlite", repo, BASE)
    sources = {"store (SPARQL)": bulklookup.StoreSource(repo, BASE),
               "side index (SQLite)": IndexSource(index, BASE)}
    wanted = [bulklookup.read_item(BASE, item, n) for n, item in enumerate(items, start=1)]
    wall: dict[str, list[float]] = {name: [] for name in sources}
    answers = {}
    for _ in range(repeats + 1):
        for name, source in sources.items():
            started = time.perf_counter()
            answers[name] = bulklookup.look_up(source, BASE, wanted, TODAY)
            wall[name].append((time.perf_counter() - started) * 1000)
    index.close()
    assert answers["store (SPARQL)"] == answers["side index (SQLite)"]
    return {name: percentiles(times[1:]) for name, times in wall.items()}


def run_size(count: int, work: Path, repeats: int, naive_repeats: int,
             naive_max: int) -> dict:
    print(f"== {count:,} licences", flush=True)
    path = work / f"bulkcheck-store-{count}"
    chosen, generate_s, load_s = demo_store(path, count, ITEMS, seed=count)
    items = mixed_items(chosen, seed=count)
    result: dict = {"licences": count, "items": len(items), "generate_s": generate_s,
                    "bulk_load_s": load_s}
    repo, client = check_client(path)
    result["side_index_build_s"] = index_ready(repo, path)
    print(f"  built: {result}", flush=True)
    answer: dict = {}
    # The mix, then 1,000 items that each name one licence (IRIs and issuer/type/number): a
    # bare number names every licence with it, ~5 at 1,000,000 demo licences.
    for name, these in (("check (1,000 items, one request)", items),
                        ("check (1,000 keyed items, one request)", keyed_items(chosen))):
        result[name], answer = time_check(client, these, repeats)
        print(f"  {name} {result[name]}", flush=True)
        if these is items:
            result["found"] = answer["found"]
    result["look-up alone, the mix"] = sources_side_by_side(repo, path, items, repeats)
    print(f"  look-up alone {result['look-up alone, the mix']}", flush=True)
    if count > naive_max:
        repo.close()
        return result       # the naive way grows linearly (seconds a licence look-up)
    naive_wall = []
    for _ in range(naive_repeats):
        started = time.perf_counter()
        naive_found = naive(repo, items)
        naive_wall.append((time.perf_counter() - started) * 1000)
    assert naive_found == result["found"], (naive_found, result["found"])
    result["naive (one look-up per item)"] = percentiles(naive_wall)
    print(f"  naive  {result['naive (one look-up per item)']}", flush=True)
    repo.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size_arguments(parser, keep=True)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--naive-repeats", type=int, default=3)
    parser.add_argument("--naive-max", type=int, default=100_000,
                        help="the largest size the naive way runs at (256 s at 100,000)")
    args = parser.parse_args()
    run_sizes("bulkcheck", args.sizes, args.work,
              lambda size, work: run_size(size, work, args.repeats, args.naive_repeats,
                                          args.naive_max), keep=args.keep)


if __name__ == "__main__":
    main()
