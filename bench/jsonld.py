"""JSON-LD upload reading: the register's path against pyld alone, same document, same run.

    python bench/jsonld.py [--count 20000] [--rounds 3]

The document: COUNT demo licences of one agency in JSON-LD with the project's context (as
tests/test_upload_formats.py writes them; not timed). Each round times, in this process:

- register: `publishing.rdfinput.read_jsonld` — pyld expands, the register checks the expanded
  terms, pyoxigraph reads the expanded document as RDF, rows are built from the quads;
- pyld alone: the same, but pyld's own `to_rdf` writes N-Quads that pyoxigraph then parses (what
  the register did before).

Both must give the same rows (the register's in document order; pyld sorts its N-Quads). The
median of the rounds is printed and written to bench/out/jsonld.json. Record it in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402
from pyld import jsonld  # noqa: E402

from ops.demo import demo_rows  # noqa: E402
from publishing import rdfinput  # noqa: E402
from publishing.rdfrows import RdfIndex  # noqa: E402
from registry.model import read_catalogue  # noqa: E402
from registry.paths import CATALOGUE_DIR  # noqa: E402
from tests.support.rdfbodies import jsonld_body  # noqa: E402
from tests.support.stores import BASE  # noqa: E402


def pyld_alone(body: bytes, base: str) -> list:
    """The rows as the register read them with pyld's to_rdf (the same checks first)."""
    expanded = rdfinput.expand_checked(body, base)
    nquads = jsonld.to_rdf(expanded, {"format": "application/n-quads"})
    quads = rdfinput._absolute_only(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    return list(RdfIndex.build(quads, base).rows())


def register(body: bytes, base: str) -> list:
    return list(rdfinput.read_jsonld(body, base))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20000, help="licences in the document")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each path")
    args = parser.parse_args()

    catalogue = read_catalogue(CATALOGUE_DIR)
    body = jsonld_body(list(demo_rows(catalogue, args.count, seed=3, agency="diw"))).encode()
    print(f"{args.count:,} licences, {len(body) / 1e6:.1f} MB of JSON-LD", flush=True)
    times: dict[str, list[float]] = {"register": [], "pyld alone": []}
    results = {}
    for round_ in range(args.rounds):
        for name, read in (("register", register), ("pyld alone", pyld_alone)):
            started = time.perf_counter()
            results[name] = read(body, BASE)
            times[name].append(time.perf_counter() - started)
            print(f"round {round_ + 1}/{args.rounds}: {name} {times[name][-1]:.2f} s", flush=True)
    # The same rows; the register's come in document order, pyld's sorted (it sorts N-Quads).
    assert dict(results["register"]) == dict(results["pyld alone"]), "the paths read different rows"
    medians = {name: statistics.median(values) for name, values in times.items()}
    summary = {"count": args.count, "bytes": len(body), "rounds": args.rounds,
               "median_s": medians, "per_licence_ms": {
                   name: value * 1000 / args.count for name, value in medians.items()},
               "speed_up": medians["pyld alone"] / medians["register"],
               "machine": platform.platform(), "python": platform.python_version()}
    for name, value in medians.items():
        print(f"{name}: median {value:.2f} s ({value * 1000 / args.count:.3f} ms a licence)")
    print(f"speed-up: {summary['speed_up']:.2f}x")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "jsonld.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
