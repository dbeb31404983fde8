"""What status lists add to a commit: the same batch committed with and without them.

    python bench/statusstore.py [--count 20000] [--changed 2000] [--repeat 3]

For each round and each mode, a fresh initialised embedded store: commit COUNT new licences
of one agency (all created), then commit CHANGED of them again as suspended (all updated).
"without" replaces the commit's StatusBook with one that does nothing. Rows are checked once,
outside the timings. Prints medians and writes bench/out/statusstore.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ops.demo import demo_rows, rows_to_csv  # noqa: E402
from publishing import pipeline  # noqa: E402
from registry.bootstrap import init_store, load_catalogue  # noqa: E402
from registry.statusstore import StatusBook  # noqa: E402
from registry.store.embedded import EmbeddedRepository  # noqa: E402
from registry.validation import ValidationContext  # noqa: E402

BASE = "https://licences.example.go.th"
AGENCY = "diw"


class NoBook(StatusBook):
    def licence_lines(self, rec, counter):
        return []

    def change(self):
        return [], []


def checked(repo, rows):
    catalogue = load_catalogue(repo)
    ctx = ValidationContext.for_agency(catalogue, AGENCY, BASE)
    report = pipeline.validate_upload("text/csv", rows_to_csv(rows).encode(), ctx, BASE)
    assert report.ok, report.violations[:3]
    return catalogue, report.records


def one_round(folder: Path, rows, changed_rows, with_lists: bool) -> tuple[float, float]:
    repo = EmbeddedRepository(folder, create=True)
    try:
        init_store(repo, BASE)
        catalogue, records = checked(repo, rows)
        _, changed = checked(repo, changed_rows)
        pipeline.statusstore.StatusBook = StatusBook if with_lists else NoBook  # type: ignore
        start = time.perf_counter()
        result = pipeline.commit(repo, records, base=BASE, catalogue=catalogue, agency=AGENCY)
        created = time.perf_counter() - start
        assert result.created == len(records)
        start = time.perf_counter()
        result = pipeline.commit(repo, changed, base=BASE, catalogue=catalogue, agency=AGENCY)
        updated = time.perf_counter() - start
        assert result.updated == len(changed)
        return created, updated
    finally:
        pipeline.statusstore.StatusBook = StatusBook  # type: ignore
        repo.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        seed_repo = EmbeddedRepository(Path(scratch) / "seed", create=True)
        init_store(seed_repo, BASE)
        catalogue = load_catalogue(seed_repo)
        seed_repo.close()
        rows = [r for r in demo_rows(catalogue, args.count * 3, seed=5, agency=AGENCY)
                if r["issuer"] == AGENCY][:args.count]
        assert len(rows) == args.count
        changed_rows = [dict(r, status="suspended", status_reason="ค้างชำระค่าธรรมเนียม")
                        for r in rows[:args.changed]]
        times: dict[str, list[tuple[float, float]]] = {"without": [], "with": []}
        for n in range(args.repeat):
            for mode in ("without", "with"):
                got = one_round(Path(scratch) / f"{mode}-{n}", rows, changed_rows,
                                mode == "with")
                times[mode].append(got)
                print(f"round {n} {mode}: create {got[0]:.2f} s, update {got[1]:.2f} s",
                      flush=True)
    summary = {mode: {"create_median_s": round(statistics.median(t[0] for t in runs), 3),
                      "update_median_s": round(statistics.median(t[1] for t in runs), 3)}
               for mode, runs in times.items()}
    summary["args"] = vars(args)
    print(json.dumps(summary, indent=2))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "statusstore.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
