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
