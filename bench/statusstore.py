"""What credentials add to a load: the same uploads published with and without status lists.

    python bench/statusstore.py [--count 100000] [--changed 10000] [--repeat 3]

Credentials themselves are signed on demand (registry/credentialissue.py), so the only cost a
load pays for them is the status lists: each licence's position and the lists' bits, written in
the same commit. For each round and each mode, a fresh initialised embedded store: `load` (the
publishing service, `publish()`: read the CSV, validate, commit — what `licence-registry load`
runs) of COUNT new licences of one agency (all created), then of CHANGED of them again as
suspended (all updated). "without" replaces the commit's StatusBook with one that does nothing.
The commit alone is timed inside the same run. Modes alternate within each round so drift hits
both. Prints medians and writes bench/out/statusstore.json.
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
from publishing import pipeline, service  # noqa: E402
from publishing.service import Upload, publish  # noqa: E402
from registry.bootstrap import init_store, load_catalogue  # noqa: E402
from registry.settings import load_settings  # noqa: E402
from registry.statusstore import StatusBook  # noqa: E402
from registry.store.embedded import EmbeddedRepository  # noqa: E402

BASE = "https://licences.example.go.th"
AGENCY = "diw"


class NoBook(StatusBook):
    def licence_lines(self, rec, counter):
        return []

    def change(self):
        return [], []


class TimedCommit:
    """The service's commit, timed: the commit's share of each load, in the same run."""

    def __init__(self):
        self.seconds: list[float] = []

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return pipeline.commit(*args, **kwargs)
        finally:
            self.seconds.append(time.perf_counter() - start)


def one_round(folder: Path, created_csv: bytes, changed_csv: bytes, with_lists: bool
              ) -> dict[str, float]:
    repo = EmbeddedRepository(folder, create=True)
    settings = load_settings({"STORE": str(folder), "BASE_IRI": BASE})
    timed = TimedCommit()
    try:
        init_store(repo, BASE)
        catalogue = load_catalogue(repo)
        pipeline.statusstore.StatusBook = StatusBook if with_lists else NoBook  # type: ignore
        service.commit = timed                                                  # type: ignore
        got: dict[str, float] = {}
        for step, body in (("create", created_csv), ("update", changed_csv)):
            start = time.perf_counter()
            published = publish(repo, base=BASE, catalogue=catalogue, agency=AGENCY,
                                uploads=Upload("text/csv", body), sender=None,
                                settings=settings)
            got[f"{step}_load"] = time.perf_counter() - start
            got[f"{step}_commit"] = timed.seconds[-1]
            assert published.result is not None
        return got
    finally:
        pipeline.statusstore.StatusBook = StatusBook  # type: ignore
        service.commit = pipeline.commit                                        # type: ignore
        repo.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=10_000)
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
        created_csv = rows_to_csv(rows).encode()
        changed_csv = rows_to_csv(changed_rows).encode()
        times: dict[str, list[dict[str, float]]] = {"without": [], "with": []}
        for n in range(args.repeat):
            for mode in (("without", "with") if n % 2 == 0 else ("with", "without")):
                got = one_round(Path(scratch) / f"{mode}-{n}", created_csv, changed_csv,
                                mode == "with")
                times[mode].append(got)
                print(f"round {n} {mode}: " + ", ".join(f"{k} {v:.2f} s"
                                                         for k, v in got.items()), flush=True)
    figures = times["without"][0].keys()
    summary: dict[str, object] = {
        mode: {f"{k}_median_s": round(statistics.median(r[k] for r in runs), 3)
               for k in figures} for mode, runs in times.items()}
    summary["extra_percent"] = {
        k: round(100 * (statistics.median(r[k] for r in times["with"])
                        / statistics.median(r[k] for r in times["without"]) - 1), 1)
        for k in figures}
    summary["args"] = vars(args)
    print(json.dumps(summary, indent=2))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "statusstore.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
