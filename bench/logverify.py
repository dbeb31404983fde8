"""`log verify`'s store read (issue 15 item 4, target: the whole verify in 60 s at 1,000,000
licences): registry/logverifyread.py beside the naive way, on the same store, same run.

    python bench/logverify.py [--sizes 10000,100000,1000000] [--work DIR] [--processes 2]

For each size: a store of demo licences (bench/logverifystore.py: every 10th amended, so its
version 1 is kept too), bulk-loaded, not timed. Then, each on the store opened read-only:
- `naive`: one N-Quads dump of the whole store, lines grouped by graph, each licence version
  graph hashed by registry/logleaf.py `content_nquads` (one process);
- `engine`: `checkpoint_hashes` with 1 and with PROCESSES worker processes (each graph's
  N-Triples dump, hashed the same way);
- `floor`: pyoxigraph's own N-Quads dump of the whole store to a file (Rust from end to end, no
  Python, nothing hashed): what reading the stored terms back costs the engine by itself, a floor
  under any way that recomputes records from this store in one process.
Wall and CPU seconds (CPU of this process only: workers' CPU is not counted), µs per licence
and per graph, and the 1,000,000-licence estimate; the two ways' hashes must agree. Results in
bench/out/logverify.json.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.logverifystore import BASE, build  # noqa: E402
from bench.sizes import run_sizes, size_arguments  # noqa: E402
from registry import identifiers, logleaf, logverifyread  # noqa: E402


def naive(folder: Path) -> dict[str, str]:
    """Graph → sha256 by one whole-store dump grouped in Python (bench/logleaf.py's way)."""
    store = ox.Store.read_only(str(folder))
    text = (store.dump(format=ox.RdfFormat.N_QUADS) or b"").decode()
    by_graph: dict[str, list[str]] = {}
    for line in text.split("\n")[:-1]:
        by_graph.setdefault(line.rsplit(" ", 2)[1], []).append(line)
    prefix = identifiers.licence_graph_prefix(BASE)
    out = {}
    for graph, lines in by_graph.items():
        iri = graph[1:-1]
        if iri.startswith(prefix):
            licence = logverifyread.licence_of_graph(BASE, iri)
            out[iri] = hashlib.sha256(
                logleaf.content_nquads(lines, licence).encode()).hexdigest()
    return out


def engine_dump(folder: Path, out: Path) -> None:
    """The whole store written by pyoxigraph alone (the file is removed after)."""
    ox.Store.read_only(str(folder)).dump(str(out), format=ox.RdfFormat.N_QUADS)
    out.unlink()


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run_size(count: int, work: Path, processes: int) -> dict:
    folder = work / f"logverify-{count}"
    made = build(folder, count)
    data = folder / "data"
    result: dict = {"licences": count, **made}
    ways = {"floor": lambda: engine_dump(data, folder / "floor.nq"), "naive": lambda: naive(data)}
    for n in sorted({1, processes}):
        ways[f"engine_{n}p"] = lambda n=n: {
            h.graph: h.sha256 for h in logverifyread.checkpoint_hashes(data, BASE, processes=n)}
    hashes = {}
    for name, fn in ways.items():
        if name == "engine_1p" and count > 100_000:
            continue        # the 1-process figure is known from the smaller sizes
        found, wall, cpu = timed(fn)
        hashes[name] = found
        result[name] = {"wall_s": round(wall, 1), "cpu_s_this_process": round(cpu, 1),
                        "us_per_licence": round(wall / count * 1e6, 1),
                        "us_per_graph": round(wall / made["graphs"] * 1e6, 1),
                        "s_at_1m_licences": round(wall / count * 1_000_000, 1)}
        print(name, result[name], flush=True)
    hashes.pop("floor")             # nothing hashed: the engine's read alone
    first = next(iter(hashes.values()))
    result["all_agree"] = all(found == first for found in hashes.values())
    assert result["all_agree"] and len(first) == made["graphs"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    size_arguments(parser, "10000,100000")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    run_sizes("logverify", args.sizes, args.work,
              lambda count, work: run_size(count, work, args.processes))


if __name__ == "__main__":
    main()
