"""The statistics cube's example queries beside the raw aggregates they replace (issue 17).

    python bench/statscube.py --sizes 1000            # a smoke run
    python bench/statscube.py --sizes 1000000         # the issue's size (the coordinator's)
    python bench/statscube.py --sizes 1000000 --work DIR --keep   # the store kept for next time

For each size: demo licences loaded as `serve --demo` does (each issuer one upload: the cube is
kept by those commits), then each pair of example queries (`00-cube-NN-…` and `NN-…`) run
in-process with the union default graph, warmed up then timed --rounds times, medians printed;
their answers must be equal (exit 1 otherwise). Also timed: `/stats`' queries (the roll-up and a
province filter), one amendment's commit (a status change: the cube's share of a small
upload), and `stats rebuild --dry-run`. Limit in the issue: each cube query at most 50 ms at
1,000,000 licences. Results in bench/out/statscube.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sizes import run_sizes, size_arguments  # noqa: E402

BASE = "http://127.0.0.1:8000"
PAIRS = ("01-licences-per-agency", "02-licences-per-type", "03-licences-per-province",
         "04-licences-per-agency-and-type", "07-statuses", "16-licences-issued-per-year")
LIMIT_MS = 50


def _median_ms(run, rounds: int) -> float:
    run()                                      # warm up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def _answer(store, query: str) -> Counter:
    rows = store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in rows.variables]
    return Counter(tuple(str(row[n]) for n in names) for row in rows)


def run_size(count: int, folder: Path, rounds: int) -> dict:
    from opendata import statsqueries
    from opendata.examples import example_by_id
    from ops.demoload import load_demo
    from registry.statsrebuild import rebuild
    from registry.store.embedded import EmbeddedRepository

    path = folder / f"statscube-store-{count}"
    kept = (path / "data").exists()          # `--keep`: a store this bench built before
    repo = EmbeddedRepository(path, create=not kept)
    started = time.perf_counter()
    if not kept:
        load_demo(repo, BASE, count)
    result: dict = {"licences": count,
                    "load_s": None if kept else round(time.perf_counter() - started, 1),
                    "queries": []}
    store = repo.store
    for raw_id in PAIRS:
        raw = example_by_id(raw_id)
        cube = example_by_id("00-cube-" + raw_id)
        assert raw is not None and cube is not None
        equal = _answer(store, raw.query) == _answer(store, cube.query)
        cube_ms = _median_ms(lambda q=cube.query: _answer(store, q), rounds)
        raw_ms = _median_ms(lambda q=raw.query: _answer(store, q), rounds)
        result["queries"].append({"query": raw_id, "cube_ms": cube_ms, "raw_ms": raw_ms,
                                  "equal": equal, "within_limit": cube_ms <= LIMIT_MS})
        print(f"{count:>9,} {raw_id:<36} cube {cube_ms:>9.2f} ms  raw {raw_ms:>10.2f} ms"
              f"  {'equal' if equal else 'DIFFERENT'}", flush=True)
    province = next(iter(_answer(store, example_by_id("00-cube-03-licences-per-province")
                                 .query)))[0]                   # type: ignore[union-attr]
    for name, chosen in (("/stats", statsqueries.StatsFilter()),
                         ("/stats?province=…", statsqueries.StatsFilter(
                             province=province.split('"')[1]))):
        result[name] = _median_ms(lambda c=chosen: statsqueries.observations(repo, BASE, c),
                                  rounds)
    started = time.perf_counter()
    checked = rebuild(repo, BASE, dry_run=True)
    result["rebuild_dry_run_s"] = round(time.perf_counter() - started, 2)
    result["rebuild_in_step"] = checked.in_step
    repo.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size_arguments(parser, sizes="1000", keep=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = run_sizes("statscube", args.sizes, args.work,
                        lambda count, folder: run_size(count, folder, args.rounds),
                        keep=args.keep)
    ok = all(q["equal"] for size in results["sizes"] for q in size["queries"])
    ok = ok and all(size["rebuild_in_step"] for size in results["sizes"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
