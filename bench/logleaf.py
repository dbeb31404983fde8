"""What a log leaf costs (issue 15 item 1): hash of the record's canonical N-Quads + the leaf's
canonical JSON, per licence, three ways, against the cost of a 100,000-licence load.

    python bench/logleaf.py [--count 100000] [--store-count 20000] [--repeat 3]

- `commit`: from the text the commit already has (registry/rdfmap.py `content_lines`,
  registry/logleaf.py `nquads_of_lines`): what appending adds to a load.
- `fast`: from pyoxigraph terms (a version graph's triples, as the store gives them, with its
  bookkeeping), `record_nquads`: what `log verify` does per version.
- `rdfc`: the same triples through registry/canon.py (RDFC-1.0 with its step guard),
  `record_nquads_rdfc`: the general way.
Then `log verify`'s read: COUNT-STORE records with their version metadata in an on-disk
pyoxigraph store, every quad read back grouped by graph and every leaf recomputed, scaled to
1,000,000 licences (the tree itself is not timed here). Medians of REPEAT; writes
bench/out/logleaf.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ops.demo import demo_rows  # noqa: E402
from registry import identifiers, logleaf, rdfmap  # noqa: E402
from registry.model import read_catalogue  # noqa: E402
from registry.paths import CATALOGUE_DIR  # noqa: E402
from registry.validation import ValidationContext, check_row  # noqa: E402

BASE = "https://licences.example.go.th"
TIME = "2026-11-01T03:00:00Z"
UPLOAD = f"{BASE}/id/upload/bench"
LOAD_SECONDS, COMMIT_SECONDS = 52.0, 44.0   # bench/statusstore.py, 100,000 licences, this machine


def records(count: int) -> list:
    catalogue = read_catalogue(CATALOGUE_DIR)
    context = ValidationContext(catalogue)
    out = []
    for n, row in enumerate(demo_rows(catalogue, count), start=2):
        record, _problems = check_row(n, row, context)
        if record is not None:
            out.append(record)
    return out


def stored_lines(rec, version: int = 2) -> list[str]:
    """A version graph's lines: content, version metadata (an amendment), a status counter."""
    content = rdfmap.content_lines(rec, BASE, True)
    own = identifiers.licence_graph_iri(BASE, rec.key)
    iri = identifiers.licence_iri(BASE, rec.key)
    return content + rdfmap.version_lines(
        rec, BASE, version=version, record_digest=logleaf.record_hash(content, own), timestamp=TIME,
        agency=rec.key.issuer, upload_iri=UPLOAD, previous_status="active") + [
        f'<{iri}> <https://w3id.org/clc/def#statusCounter> "5"^^'
        f"<http://www.w3.org/2001/XMLSchema#integer> <{own}> ."]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--store-count", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    recs = records(args.count)
    print(f"{len(recs)} records")
    contents = [(rdfmap.content_lines(r, BASE, True), identifiers.licence_graph_iri(BASE, r.key),
                 identifiers.licence_iri(BASE, r.key), r.key) for r in recs]
    graphs = [(list(ox.parse("\n".join(stored_lines(r)).encode(), format=ox.RdfFormat.N_QUADS)),
               identifiers.licence_iri(BASE, r.key)) for r in recs]

    def commit_way() -> None:
        for n, (lines, graph, iri, _key) in enumerate(contents):
            digest = logleaf.sha256_of_lines(lines, graph)
            logleaf.leaf_bytes(logleaf.Leaf(kind=logleaf.LICENCE_VERSION, index=n, licence=iri,
                                            version=2, time=TIME, upload=UPLOAD, sha256=digest))

    def fast_way() -> None:
        for n, (quads, iri) in enumerate(graphs):
            logleaf.leaf_bytes(logleaf.version_leaf(quads, iri, n))

    def rdfc_way() -> None:
        for quads, iri in graphs:
            logleaf.sha256_hex(logleaf.record_nquads_rdfc(quads, iri))

    results: dict[str, float] = {}
    for name, fn in (("commit", commit_way), ("fast", fast_way), ("rdfc", rdfc_way)):
        seconds = statistics.median(timed(fn) for _ in range(args.repeat))
        per = seconds / len(recs)
        results[f"{name}_us_per_licence"] = round(per * 1e6, 2)
        results[f"{name}_s_per_100k"] = round(per * 100_000, 2)
        print(f"{name:7s} {per * 1e6:8.1f} µs/licence  {per * 100_000:6.2f} s per 100,000 = "
              f"{100 * per * 100_000 / LOAD_SECONDS:5.1f}% of a load, "
              f"{100 * per * 100_000 / COMMIT_SECONDS:5.1f}% of a commit")

    # log verify's read: every version graph from an on-disk store, grouped, each leaf redone.
    n = min(args.store_count, len(recs))
    with tempfile.TemporaryDirectory() as folder:
        store = ox.Store(folder)
        store.bulk_extend(q for quads, _iri in graphs[:n] for q in quads)
        store.flush()
        licence_of = {f"<{identifiers.licence_graph_iri(BASE, r.key)}>":
                      identifiers.licence_iri(BASE, r.key) for r in recs[:n]}

        def verify() -> None:
            # One dump (pyoxigraph writes every term canonically), grouped by graph in Python.
            text = (store.dump(format=ox.RdfFormat.N_QUADS) or b"").decode()
            by_graph: dict[str, list[str]] = {}
            for line in text.split("\n")[:-1]:
                by_graph.setdefault(line.rsplit(" ", 2)[1], []).append(line)
            for i, (graph, lines) in enumerate(by_graph.items()):
                logleaf.leaf_bytes(logleaf.version_leaf_of_lines(lines, licence_of[graph], i))

        seconds = statistics.median(timed(verify) for _ in range(args.repeat))
    results["verify_read_us_per_licence"] = round(seconds / n * 1e6, 2)
    results["verify_1m_s_estimate"] = round(seconds / n * 1_000_000, 1)
    print(f"verify  {seconds / n * 1e6:8.1f} µs/licence (read + leaf, {n} in store) → "
          f"{seconds / n * 1_000_000:.0f} s at 1,000,000 licences (one version each)")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "logleaf.json").write_text(json.dumps(
        {"count": len(recs), "store_count": n, "repeat": args.repeat, **results}, indent=2))


if __name__ == "__main__":
    main()
