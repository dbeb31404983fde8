"""Stores of demo licences for bench/logverify.py: every licence's current graph as the register
writes it (registry/rdfmap.py content + version lines, a status counter), and every AMEND-th
licence amended once: its current graph is version 2 (with its `#change-2` activity) and its
version 1 is kept in `…/version/1` with the superseded mark, as publishing/pipeline.py does."""

from __future__ import annotations

import time
from pathlib import Path

from bench.sizes import bulk_load, records_of

BASE = "https://licences.example.go.th"
STAMP = "2026-11-01T00:00:00Z"
AMEND = 10


def write_nquads(out, records, base: str = BASE, amend: int = AMEND) -> int:
    """Write the version graphs of `records` as N-Quads to `out`; how many graphs."""
    from registry import identifiers, logleaf, rdfmap
    from registry.statusstore import counter_line

    upload = identifiers.upload_iri(base, "bench")
    graphs = 0
    for counter, rec in enumerate(records):
        content = rdfmap.content_lines(rec, base, True)
        digest = logleaf.record_hash(content, identifiers.licence_graph_iri(base, rec.key))
        amended = amend > 0 and counter % amend == 0
        lines = list(content)
        lines += rdfmap.version_lines(
            rec, base, version=2 if amended else 1, record_digest=digest, timestamp=STAMP,
            agency=rec.key.issuer, upload_iri=upload,
            previous_status="active" if amended else None)
        lines.append(counter_line(base, rec.key, counter))
        graphs += 1
        if amended:
            graph = identifiers.licence_graph_iri(base, rec.key)
            old = identifiers.licence_version_graph_iri(base, rec.key, 1)
            first = content + rdfmap.version_lines(
                rec, base, version=1, record_digest=digest, timestamp=STAMP,
                agency=rec.key.issuer, upload_iri=upload, previous_status=None)
            suffix = f" <{graph}> ."
            lines += [line[:-len(suffix)] + f" <{old}> ." for line in first]
            lines.append(rdfmap.superseded_line(identifiers.licence_iri(base, rec.key), 2, old))
            graphs += 1
        out.write("\n".join(lines) + "\n")
    return graphs


def build(folder: Path, count: int, seed: int = 7) -> dict:
    """A store of `count` demo licences in `folder/data` (what EmbeddedRepository opens)."""
    from ops.demo import demo_rows
    from registry.model import read_catalogue
    from registry.paths import CATALOGUE_DIR

    folder.mkdir(parents=True, exist_ok=True)
    catalogue = read_catalogue(CATALOGUE_DIR)
    nq = folder / f"logverify-{count}.nq"
    started = time.perf_counter()
    with open(nq, "w", encoding="utf-8") as out:
        graphs = write_nquads(out, records_of(demo_rows(catalogue, count, seed=seed)))
    generate_s = time.perf_counter() - started
    load_s = bulk_load(folder, nq)
    return {"graphs": graphs, "generate_s": round(generate_s, 1), "load_s": round(load_s, 1)}
