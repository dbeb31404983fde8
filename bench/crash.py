"""Crash safety at full size: SIGKILL the serving process in the middle of a 100,000-row upload
at 10 different moments; each time the reopened store must hold exactly the state before the
upload or exactly the state after it, and its Merkle log must agree with its records
(tests/support/logagreement.py: size, every version's entry, hashes of a sample and of the
upload's versions, root, numbering).

    python bench/crash.py [--count 100000] [--kills 10] [--timed]

The store starts with 10,000 licences of `diw`; the upload amends 2,000 of them and adds the
rest, so kills land while old records are being copied into version graphs as well as while new
ones are written. By default the 10 moments are the commit's kill points
(tests/support/crash_child.py: from the status lists and the log being put into the change set,
through the journal's writes and renames, to the bulk load and its flush): the same moments on
any machine. `--timed` spreads `--kills` moments over the duration of an uninterrupted upload
instead (on a busy machine most of those land before or after the commit).
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
from tests.support.crash_harness import full_run, hooked_run, killed_run, state  # noqa: E402
from tests.support.logagreement import log_disagreements  # noqa: E402

BASE = "http://127.0.0.1:8000"
# The commit's moments, in the order it reaches them (tests/support/crash_child.py).
POINTS = ("book:1", "log:1", "apply:1", "linked:1", "fsync:1", "fsync_dir:1", "rename:1",
          "renamed:1", "bulk_load:1", "flush:1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=10, help="with --timed")
    parser.add_argument("--timed", action="store_true",
                        help="kill at moments spread over the upload's duration")
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
        after_problems = log_disagreements(work / "after", BASE, recent_sample=2000)
        print(f"its log: {'agrees' if not after_problems else after_problems[:3]} (checked in "
              f"{time.monotonic() - checking:.0f} s)", flush=True)
        results = []
        moments = ([f"{seconds * (n + 0.5) / args.kills:.2f} s" for n in range(args.kills)]
                   if args.timed else list(POINTS))
        for n, moment in enumerate(moments):
            started = time.monotonic()
            if args.timed:
                result, outcome = killed_run(template, work, BASE, key, body,
                                             float(moment.split()[0]), f"kill-{n}")
            else:
                result, outcome = hooked_run(template, work, BASE, key, body, moment,
                                             f"kill-{n}")
            verdict = "before" if result == before else "after" if result == after else "OTHER"
            checking = time.monotonic()
            log_problems = log_disagreements(work / f"kill-{n}", BASE, recent_sample=2000)
            results.append({"kill_at": moment, "state": verdict,
                            "request_answered": "status" in outcome,
                            "log_agrees": not log_problems, "log_problems": log_problems[:5],
                            "log_check_s": round(time.monotonic() - checking, 1)})
            print(f"kill {n + 1} at {moment}: {verdict}, log "
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
