"""What the benchmarks that grow a register size by size share: run each size in one work
folder, and write the results to `bench/out/{name}.json` (and stdout)."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_sizes(name: str, sizes: str, work: str | None,
              run_size: Callable[[int, Path], dict], keep: bool = False) -> dict:
    """`run_size(count, folder)` for each comma-separated size, in a temporary folder inside
    `work` (the system's temporary folder when None), or with `keep` in `work` itself (what
    was built there stays for the next run); the results, also written out."""
    results: dict = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                     "cpus": os.cpu_count(), "sizes": []}
    if keep and work:
        Path(work).mkdir(parents=True, exist_ok=True)
        for size in (int(s) for s in sizes.split(",")):
            results["sizes"].append(run_size(size, Path(work)))
    else:
        with tempfile.TemporaryDirectory(dir=work) as folder:
            for size in (int(s) for s in sizes.split(",")):
                results["sizes"].append(run_size(size, Path(folder)))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    (out / f"{name}.json").write_text(text, encoding="utf-8")
    print(text)
    return results


def size_arguments(parser, sizes: str = "10000,100000,1000000", keep: bool = False) -> None:
    """The options every size-by-size bench takes: `--sizes` and `--work` (and `--keep`, for a
    bench whose stores `demo_store` builds)."""
    parser.add_argument("--sizes", default=sizes)
    parser.add_argument("--work", help="directory for the stores (default: a temporary one)")
    if keep:
        parser.add_argument("--keep", action="store_true",
                            help="keep the stores in --work and use them again on the next run "
                                 "(a store is built only when missing)")


def bulk_load(folder: Path, nquads: Path) -> float:
    """Load the N-Quads file into a new pyoxigraph store in `folder/data` (what
    EmbeddedRepository opens) and delete the file; the seconds it took."""
    import time

    import pyoxigraph as ox

    started = time.perf_counter()
    store = ox.Store(str(folder / "data"))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    seconds = time.perf_counter() - started
    nquads.unlink()
    return seconds


def records_of(rows):
    """LicenceRecords from demo rows without the validating pipeline (they are valid)."""
    from registry import identifiers
    from registry.dates import parse_date
    from registry.records import LicenceRecord

    for i, row in enumerate(rows):
        key = identifiers.licence_key(row["issuer"], row["licence_type"], row["licence_number"])
        yield LicenceRecord(
            row=i, key=key, printed_number=row["licence_number"],
            issued=parse_date(row["issued"]).value,
            valid_until=parse_date(row["valid_until"]).value if row["valid_until"] else None,
            status=row["status"], status_reason=row["status_reason"],
            holder_type=row["holder_type"],
            holder_id=row["holder_id"] if row["holder_type"] == "juristic" else "",
            holder_name=row["holder_name"], holder_name_en=row["holder_name_en"],
            premises_address=row["premises_address"], province=row["province"],
            conditions=row["conditions"], document_url=row["document_url"],
            document_sha256=row["document_sha256"],
            document_media_type=row["document_media_type"],
            document_access=row["document_access"] or "public",
            document_login_url=row["document_login_url"])


BENCH_BASE = "http://127.0.0.1:8000"
BENCH_STAMP = "2026-11-01T00:00:00Z"


def demo_store(path: Path, count: int, samples: int, seed: int,
               extra: Callable[[object, int], list[str]] | None = None):
    """A store of `count` demo licences, each record as the register writes it (content and
    version lines; `extra(record, n)` adds lines), bulk-loaded; `samples` licence keys chosen
    uniformly (reservoir sampling). (keys, generate s, load s); a store already at `path`
    (kept by `--keep`) is used as it is: (its keys, None, None)."""
    import random
    import time

    from ops.demo import demo_rows
    from registry import identifiers, rdfmap
    from registry.bootstrap import init_store
    from registry.model import read_catalogue
    from registry.paths import CATALOGUE_DIR
    from registry.store.embedded import EmbeddedRepository

    kept = path / "chosen.json"
    if kept.exists():
        return ([identifiers.LicenceKey(*k) for k in json.loads(kept.read_text())][:samples],
                None, None)
    repo = EmbeddedRepository(path, create=True)
    init_store(repo, BENCH_BASE)
    repo.close()
    catalogue = read_catalogue(CATALOGUE_DIR)
    rng = random.Random(seed)  # noqa: S311 — repeatable benchmark data
    chosen: list = []
    nq = path.parent / f"{path.name}.nq"
    started = time.perf_counter()
    with open(nq, "w", encoding="utf-8") as out:
        for n, rec in enumerate(records_of(demo_rows(catalogue, count, seed=seed))):
            public = catalogue.types[rec.key.type].public_register
            lines = rdfmap.content_lines(rec, BENCH_BASE, public)
            lines += rdfmap.version_lines(
                rec, BENCH_BASE, version=1, record_digest=rdfmap.legacy_digest(lines),
                timestamp=BENCH_STAMP, agency=rec.key.issuer,
                upload_iri=identifiers.upload_iri(BENCH_BASE, "bench"), previous_status=None)
            if extra is not None:
                lines += extra(rec, n)
            out.write("\n".join(lines) + "\n")
            if len(chosen) < samples:
                chosen.append(rec.key)
            elif (at := rng.randrange(n + 1)) < samples:
                chosen[at] = rec.key
    generate_s = time.perf_counter() - started
    load_s = bulk_load(path, nq)
    rng.shuffle(chosen)
    kept.write_text(json.dumps([[k.issuer, k.type, k.number] for k in chosen]))
    return chosen, round(generate_s, 1), round(load_s, 1)
