"""Crash safety at full size: SIGKILL the serving process in the middle of a 100,000-row upload
at 10 different moments; each time the reopened store must hold exactly the state before the
upload or exactly the state after it, and its Merkle log must agree with its records
(tests/support/logagreement.py: size, every version's entry, hashes of a sample and of the
upload's versions, root, numbering).

    python bench/crash.py [--count 100000] [--kills 10]

The store starts with 10,000 licences of `diw`; the upload amends 2,000 of them and adds the
rest, so kills land while old records are being copied into version graphs as well as while new
ones are written. Kill moments are spread over the duration of an uninterrupted upload.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ops.demo import demo_rows, rows_to_csv  # noqa: E402
from publishing.keys import issue_key  # noqa: E402
from publishing.pipeline import commit  # noqa: E402
from registry.bootstrap import init_store, load_catalogue  # noqa: E402
from registry.store.embedded import EmbeddedRepository  # noqa: E402
from registry.validation import ValidationContext, check_batch  # noqa: E402
from tests.support.crash_harness import full_run, killed_run, state  # noqa: E402
from tests.support.logagreement import log_disagreements  # noqa: E402

BASE = "http://127.0.0.1:8000"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    existing, amended = 10_000, 2_000
    with tempfile.TemporaryDirectory(dir=ROOT / "bench" / "out") as tmp:
        work = Path(tmp)
        template = work / "template"
        repo = EmbeddedRepository(template, create=True)
        init_store(repo, BASE)
        catalogue = load_catalogue(repo)
        rows = list(demo_rows(catalogue, existing + args.count - amended, agency="diw"))
        records, _ = check_batch(enumerate(rows[:existing], start=2), ValidationContext(catalogue))
        commit(repo, records, base=BASE, catalogue=catalogue, agency="diw")
        key, _ = issue_key(repo, BASE, "diw")
        repo.close()
        changed = [dict(r, status="suspended", status_reason="ตรวจพบการฝ่าฝืน")
                   for r in rows[:amended]]
        body = rows_to_csv(changed + rows[existing:]).encode()
        print(f"upload: {args.count} rows ({amended} amendments), {len(body) / 1e6:.0f} MB",
              flush=True)
        before = state(template)
        after, seconds = full_run(template, work, BASE, key, body)
        print(f"uninterrupted upload: {seconds:.1f} s", flush=True)
        checking = time.monotonic()
        after_problems = log_disagreements(work / "after", BASE)
        print(f"its log: {'agrees' if not after_problems else after_problems[:3]} (checked in "
              f"{time.monotonic() - checking:.0f} s)", flush=True)
        results = []
        for n in range(args.kills):
            delay = seconds * (n + 0.5) / args.kills
            started = time.monotonic()
            result, outcome = killed_run(template, work, BASE, key, body, delay, f"kill-{n}")
            verdict = "before" if result == before else "after" if result == after else "OTHER"
            checking = time.monotonic()
            log_problems = log_disagreements(work / f"kill-{n}", BASE)
            results.append({"kill_after_s": round(delay, 2), "state": verdict,
                            "request_answered": "status" in outcome,
                            "log_agrees": not log_problems, "log_problems": log_problems[:5],
                            "log_check_s": round(time.monotonic() - checking, 1)})
            print(f"kill {n + 1}: {delay:5.1f} s → {verdict}, log "
                  f"{'agrees' if not log_problems else log_problems[:3]} (run and checks took "
                  f"{time.monotonic() - started:.0f} s)", flush=True)
            shutil.rmtree(work / f"kill-{n}")
    summary = {"count": args.count, "upload_seconds": round(seconds, 1), "kills": results,
               "all_before_or_after": all(r["state"] != "OTHER" for r in results),
               "log_agrees_every_time": not after_problems and all(r["log_agrees"]
                                                                   for r in results)}
    (ROOT / "bench" / "out" / "crash.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    if not summary["all_before_or_after"]:
        sys.exit("a kill left the store in a third state")
    if not summary["log_agrees_every_time"]:
        sys.exit("a kill left the log disagreeing with the store")


if __name__ == "__main__":
    main()
