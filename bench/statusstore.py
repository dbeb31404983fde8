"""What credentials add to a load: the same uploads published with and without status lists.

    python bench/statusstore.py [--count 100000] [--changed 10000] [--repeat 3]

Credentials themselves are signed on demand (registry/credentialissue.py), so the only cost a
load pays for them is the status lists: each licence's position and the lists' bits, written in
the same commit. For each round and each mode, a fresh initialised embedded store: `load` (the
publishing service, `publish()`: read the CSV, validate, commit — what `licence-registry load`
runs) of COUNT new licences of one agency (all created), then of CHANGED of them again as
suspended (all updated). "without" replaces the commit's StatusBook with one that does nothing.
The commit alone is timed inside the same run. Modes alternate within each round so drift hits
both. Prints medians and writes bench/out/statusstore.json. The side-by-side machinery:
bench/sidebyside.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sidebyside import agency_uploads, interleaved, medians, one_round, timed_figures  # noqa: E402
from publishing import pipeline  # noqa: E402
from registry.statusstore import StatusBook  # noqa: E402


class NoBook(StatusBook):
    def licence_lines(self, rec, counter):
        return []

    def change(self):
        return [], []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    steps = agency_uploads(args.count, args.changed)
    stand_ins = {"without": [(pipeline.statusstore, "StatusBook", NoBook)], "with": []}
    with tempfile.TemporaryDirectory() as scratch:
        times = interleaved(args.repeat, lambda mode, n: one_round(
            Path(scratch) / f"{mode}-{n}", steps, stand_ins[mode]))
    summary: dict[str, object] = dict(medians(times, timed_figures(steps)))
    summary["args"] = vars(args)
    print(json.dumps(summary, indent=2))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "statusstore.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
