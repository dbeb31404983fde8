"""What the Merkle log adds to a load (issue 15: appending costs at most 5 % of a 100,000-licence
load): the same uploads published with and without the log, side by side.

    python bench/logappend.py [--sizes 10000,100000] [--repeat 2] [--create-only] [--work DIR]

The commit (publishing/pipeline.py) appends a leaf per new version and one per upload, and
writes the log's head, tiles and entry bundles and each version's `clc:logIndex`, all in its one
change set. For each size N and each round, a fresh initialised embedded store per mode:
`publish()` (read the CSV, validate, commit — what `licence-registry load` runs) of N new
licences of one agency (all created), then (unless --create-only) an amending upload of N/10 of
them again as suspended (all updated: a new version each, so a leaf each). "without" is the
commit before the log: the pipeline's `logstore.LogBook` replaced by a do-nothing stand-in,
its `_Logger` by one that writes only the version's `clc:recordDigest` line (the fingerprint a
version carried before its log entry held it), and `logleaf.record_hash` by that older digest,
in the round's process only; production code has no switch. Each round runs both modes back to
back, each in a freshly spawned process, alternating which goes first (bench/sidebyside.py);
medians, and the median of the rounds' paired differences. Each store's log size is read back
afterwards, so a stand-in that did not take shows. Writes bench/out/logappend.json.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import shutil
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sidebyside import BASE, agency_uploads, interleaved, medians, one_round, timed_figures  # noqa: E402
from bench.sizes import run_sizes, size_arguments  # noqa: E402
from publishing import pipeline  # noqa: E402
from registry import identifiers, logleaf, logstore  # noqa: E402
from registry import recordterms as terms  # noqa: E402


class NoLog(logstore.LogBook):
    """A LogBook that reads nothing and writes nothing."""

    def __init__(self, repo, base: str):
        self.base = base
        self.start = 0
        self._leaves: list[bytes] = []

    def append(self, leaf: bytes) -> int:
        return 0

    def change(self) -> tuple[list[str], list[str]]:
        return [], []


class NoLogger(pipeline._Logger):   # the commit's leaf writer, private to the pipeline
    """No leaf built; where `clc:logIndex` goes, the `clc:recordDigest` line the commit wrote
    before the log (the version's fingerprint, which its log entry holds now)."""

    def version(self, rec, graph: str, version: int, content_sha256: str) -> str:
        licence = identifiers.licence_iri(self.base, rec.key)
        return f'<{licence}> <{RECORD_DIGEST}> "{content_sha256}" <{graph}> .'

    def upload(self, upload_nquads: str) -> None:
        return None


def digest_only(lines: list[str], graph: str) -> str:
    """The fingerprint the commit computed before the log hashed records (as it was: no
    legacy escapes to undo)."""
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


RECORD_DIGEST = terms.RECORD_DIGEST.value


STAND_INS = {"without": [(logstore, "LogBook", NoLog), (pipeline, "_Logger", NoLogger),
                         (logleaf, "record_hash", digest_only)],
             "with": []}


def log_size(repo) -> dict[str, float]:
    return {"log_size": logstore.LogReader(repo, BASE).size()}


def _round(count: int, folder: Path, steps, mode: str, n: int) -> dict[str, float]:
    """One round of one mode (in a fresh process); its store removed afterwards."""
    store = folder / f"{count}-{mode}-{n}"
    try:
        return one_round(store, steps, STAND_INS[mode], log_size)
    finally:
        shutil.rmtree(store, ignore_errors=True)


def run_size(count: int, folder: Path, repeat: int, create_only: bool = False) -> dict:
    changed = 0 if create_only else max(1, count // 10)
    steps = agency_uploads(count, max(changed, 1))[:1 if create_only else 2]
    times = interleaved(repeat, functools.partial(_round, count, folder, steps), fresh=True)
    # The stand-ins took (no leaf), and the real log holds a leaf per version and per upload.
    assert all(r["log_size"] == 0 for r in times["without"]), times["without"]
    assert all(r["log_size"] == count + changed + len(steps) for r in times["with"]), \
        times["with"]
    figures = medians(times, timed_figures(steps))
    per = {"create": count} if create_only else {"create": count, "update": changed}
    for step in per:
        # Loads vary by 10-20 % from run to run here, in both modes alike: each round's pair,
        # run back to back, gives one difference; their median and spread are the figure.
        paired = sorted(100 * (w[f"{step}_load"] / wo[f"{step}_load"] - 1)
                        for w, wo in zip(times["with"], times["without"], strict=True))
        figures[f"{step}_load"]["paired_percent"] = {
            "median": round(statistics.median(paired), 1), "all": [round(x, 1) for x in paired]}
        print(f"{step}: paired extra % median {statistics.median(paired):+.1f}, "
              f"each {[round(x, 1) for x in paired]}", flush=True)
    for step, licences in per.items():
        for part in ("load", "commit", "cpu"):
            fig = figures[f"{step}_{part}"]
            fig["us_per_licence_without"] = round(fig["without_s"] / licences * 1e6, 1)
            fig["us_per_licence_with"] = round(fig["with_s"] / licences * 1e6, 1)
            fig["extra_us_per_licence"] = round(fig["extra_s"] / licences * 1e6, 1)
    for step, licences in per.items():
        load, commit, cpu = (figures[f"{step}_{part}"] for part in ("load", "commit", "cpu"))
        print(f"| {step} {licences:,} | {load['without_s']:.2f} s | {load['with_s']:.2f} s | "
              f"{load['extra_s']:+.2f} s | **{load['extra_percent']:+.1f} %** | "
              f"{load['us_per_licence_without']:.0f} → {load['us_per_licence_with']:.0f} µs | "
              f"{commit['extra_percent']:+.1f} % | {cpu['extra_percent']:+.1f} % |", flush=True)
    return {"count": count, "changed": changed, "repeat": repeat, "figures": figures,
            "rounds": times}


def main() -> None:
    parser = argparse.ArgumentParser()
    size_arguments(parser, sizes="10000,100000")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--create-only", action="store_true",
                        help="only the load of new licences (no amending upload): more rounds "
                             "in the same time")
    args = parser.parse_args()
    run_sizes("logappend", args.sizes, args.work,
              lambda count, folder: run_size(count, folder, args.repeat, args.create_only))


if __name__ == "__main__":
    main()
