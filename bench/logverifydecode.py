"""What reading a licence record back from pyoxigraph's on-disk store costs per term: why
`log verify` cannot reach 60 s at 1,000,000 licences on 2 cores (docs/benchmarks.md).

    python bench/logverifydecode.py [--sizes 10000] [--work DIR]

On a store of demo licences (bench/logverifystore.py), every quad of every licence graph is
walked inside the engine, once counting only (no term decoded) and once per position (s, p, o, g)
summing STRLEN(STR(?x)) (that position's term decoded to text, nothing sent to Python); the
difference over the number of quads is what one decoded term costs. Beside it, how many distinct
terms each position holds: what an engine decoding each string once would have to read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.logverifystore import build  # noqa: E402
from bench.sizes import run_sizes, size_arguments  # noqa: E402

_WALK = "SELECT ({agg} AS ?c) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"


def timed(store: ox.Store, aggregate: str) -> tuple[float, int]:
    started = time.perf_counter()
    rows = list(store.query(_WALK.format(agg=aggregate)))
    return time.perf_counter() - started, int(rows[0][0].value)


def run_size(count: int, work: Path) -> dict:
    folder = work / f"decode-{count}"
    made = build(folder, count)
    store = ox.Store.read_only(str(folder / "data"))
    count_s, quads = timed(store, "COUNT(*)")
    result: dict = {"licences": count, **made, "quads": quads, "count_only_s": round(count_s, 3)}
    for position in "spog":
        wall, _ = timed(store, f"SUM(STRLEN(STR(?{position})))")
        _, distinct = timed(store, f"COUNT(DISTINCT ?{position})")
        result[position] = {"wall_s": round(wall, 3), "distinct": distinct,
                            "us_per_decoded_term": round((wall - count_s) / quads * 1e6, 2)}
        print(position, result[position], flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    size_arguments(parser, "10000")
    args = parser.parse_args()
    run_sizes("logverifydecode", args.sizes, args.work, run_size)


if __name__ == "__main__":
    main()
