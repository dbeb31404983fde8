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
              run_size: Callable[[int, Path], dict]) -> dict:
    """`run_size(count, folder)` for each comma-separated size, in a temporary folder inside
    `work` (the system's temporary folder when None); the results, also written out."""
    results: dict = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                     "cpus": os.cpu_count(), "sizes": []}
    with tempfile.TemporaryDirectory(dir=work) as folder:
        for size in (int(s) for s in sizes.split(",")):
            results["sizes"].append(run_size(size, Path(folder)))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    (out / f"{name}.json").write_text(text, encoding="utf-8")
    print(text)
    return results


def size_arguments(parser, sizes: str = "10000,100000,1000000") -> None:
    """The options every size-by-size bench takes: `--sizes` and `--work`."""
    parser.add_argument("--sizes", default=sizes)
    parser.add_argument("--work", help="directory for the stores (default: a temporary one)")


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
