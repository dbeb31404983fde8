"""What an amending upload reads before it writes, as the register grows (issue 17, growth):
the way it was (one query each, `GRAPH ?g` holding OPTIONALs, or left open) beside the way it is
now, on the same store in the same run.

    python bench/amendreads.py STORE [STORE …] [--graphs 10,1000] [--uploads 5] [--rounds 3]

Each STORE is a register's store folder (as `--store` takes it), for example the ones
`bench/statscube.py --keep` or `bench/growth.py` built. Timed: the way it was once (minutes on a
large store), the way it is now the median of --rounds:
- the cube's facts of N amended licences (`registry/statscube.py stored_facts`) vs the single
  query it replaced (OPTIONALs inside `GRAPH ?g`: Oxigraph walked every graph of the store);
- the catalogue (`registry/model.py catalogue_from_repository`) vs its two queries over every
  graph (`GRAPH ?g` left open);
- the records --uploads uploads wrote, which the side index reads again when it refreshes
  (`registry/licencesource.py written_by`, two plain queries) vs the one UNION query under the
  current-record filter it replaced.
Every pair must give the same answer. Results in bench/out/amendreads.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE = "http://127.0.0.1:8000"
# The query registry/statscube.py used before e1844fa, kept here as the comparison.
FACTS_BEFORE = """
SELECT ?g ?agency ?type ?status ?issued ?until ?province WHERE {
  #VALUES_G#
  GRAPH ?g {
    ?l schema:issuedBy ?agency ; dct:conformsTo ?type ; adms:status ?status ;
       schema:validFrom ?issued .
    OPTIONAL { ?l schema:validUntil ?until }
    OPTIONAL { ?premises locn:adminUnitL1 ?province }
  }
}"""

# The query registry/licencesource.py used before d41eb29 for the records uploads wrote.
WRITTEN_BY_BEFORE = """
SELECT DISTINCT ?g WHERE {
  #VALUES_UPLOAD#
  { GRAPH ?g { ?l prov:wasGeneratedBy ?upload ; clc:version ?v } }
  UNION
  { GRAPH ?g { ?l prov:wasGeneratedBy ?change ; clc:version ?v .
               ?change dct:isPartOf ?upload } }
  FILTER NOT EXISTS { GRAPH ?g { ?l clc:supersededByVersion ?next } }
}"""


def _median_s(run, rounds: int) -> tuple[float, object]:
    """The median of `rounds` timed runs (the first warms the cache: its answer is kept)."""
    times, answer = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        answer = run() if answer is None else (run(), answer)[1]
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4), answer


def current_graphs(store, count: int) -> list[str]:
    """`count` licences' current record graphs (not their versions)."""
    import pyoxigraph as ox

    found: dict[str, None] = {}
    version = ox.NamedNode("https://w3id.org/clc/def#version")
    for quad in store.quads_for_pattern(None, version, None, None):
        graph = quad.graph_name.value
        if "/version/" not in graph:
            found[graph] = None
            if len(found) == count:
                break
    return list(found)


def measure(path: Path, sizes: list[int], uploads: int, rounds: int) -> dict:
    from registry import licencesource, model, statscube
    from registry.namespaces import sparql_prefixes
    from registry.store.embedded import EmbeddedRepository

    repo = EmbeddedRepository(path, create=False)
    result: dict = {"store": str(path),
                    "licences": sum(1 for _ in current_graphs(repo.store, 10**9))}
    print(f"{path}: {result['licences']:,} licences", flush=True)
    before = sparql_prefixes("schema", "dct", "adms", "locn", "clc") + FACTS_BEFORE
    for count in sizes:
        graphs = current_graphs(repo.store, count)
        old_s, old = _median_s(lambda g=graphs: sorted(map(str, (
            statscube.facts_of_row(BASE, row) for row in repo.select_graphs(before, g)))), 1)
        new_s, new = _median_s(lambda g=graphs: sorted(map(str, statscube.stored_facts(
            repo, BASE, g))), rounds)
        result[f"facts of {count:,} licences"] = {"before_s": old_s, "now_s": new_s,
                                                   "equal": old == new}
        print(f"  facts of {count:>6,} licences: before {old_s:9.3f} s, now {new_s:7.4f} s, "
              f"equal {old == new}", flush=True)

    def catalogue_before():
        agencies = repo.select(model.AGENCIES_QUERY)
        types = repo.select(model.TYPES_QUERY)
        return sorted(row["code"].value for row in agencies + types)

    def catalogue_now():
        found = model.catalogue_from_repository(repo)
        return sorted([*found.agencies, *found.types])

    old_s, old = _median_s(catalogue_before, 1)
    new_s, new = _median_s(catalogue_now, rounds)
    result["catalogue"] = {"before_s": old_s, "now_s": new_s, "equal": old == new}
    print(f"  catalogue: before {old_s:.3f} s, now {new_s:.3f} s, equal {old == new}",
          flush=True)

    import pyoxigraph as ox

    chosen = licencesource.uploads(repo)[:uploads]
    block = "VALUES ?upload { " + " ".join(str(ox.NamedNode(u)) for u in chosen) + " }"
    written_before = (sparql_prefixes("clc", "prov", "dct")
                      + WRITTEN_BY_BEFORE.replace("#VALUES_UPLOAD#", block))
    old_s, old = _median_s(lambda: sorted(row["g"].value for row in repo.select(written_before)),
                           1)
    new_s, new = _median_s(lambda: licencesource.written_by(repo, chosen), rounds)
    label = f"records {uploads} uploads wrote"
    result[label] = {"records": len(new), "before_s": old_s, "now_s": new_s, "equal": old == new}
    print(f"  {label} ({len(new):,}): before {old_s:.3f} s, now {new_s:.3f} s, "
          f"equal {old == new}", flush=True)
    repo.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stores", nargs="+", type=Path, help="store folders (as --store takes)")
    parser.add_argument("--graphs", default="10,1000", help="amended licences per upload")
    parser.add_argument("--uploads", type=int, default=5,
                        help="uploads whose records are looked up (the side index's refresh)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.graphs.split(",")]
    results = [measure(path, sizes, args.uploads, args.rounds) for path in args.stores]
    out = ROOT / "bench" / "out" / "amendreads.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    equal = all(v["equal"] for r in results for v in r.values() if isinstance(v, dict))
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
