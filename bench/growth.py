"""The growth curve (issue 17, item 3): one store grown size by size through the register's real
paths, every cost measured at each size, fitted and projected to 20,000,000 licences.

    python bench/growth.py [--sizes 250000,500000,1000000,2000000] [--work DIR]
                           [--skip resolve,sparql,...] [--repeats 5] [--wrk-seconds 20]

For each size N, on ONE store that grows (size N extends size N-1: only the new licences load):
1. ingest: the new demo licences (ops/demo.py, every issuer) as CSV, one file per issuer (at
   most --batch rows each), each loaded by `licence-registry load FILE --agency ISSUER` in its
   own process (wall time and that process's peak RSS, bench/ingest.py `run_timed`); then
   amendments: a second upload per issuer changing every 20th new licence (a status change,
   a new valid-until or a holder rename, in turn), so past versions exist.
2. disk: the bytes of the store folder and of each folder in it (private store, search index…).
3. resolve: `licence-registry serve` on loopback under `wrk` on random /id/ IRIs
   (bench/resolve.py): requests/s, p50, p99.
4. sparql: each example query (opendata/queries/*.rq; those named `cube` apart) POSTed to the
   real /sparql (bench/sparql.py's client), one run untimed, then the median of --repeats.
5. dump: `licence-registry dump` (N-Quads); log: `licence-registry log verify`; check:
   `POST /api/v1/check` with 1,000 mixed items (bench/bulkcheck.py), p50/p99.
Then, per measure, the exponent k of cost ∝ N^k between the two largest sizes and the cost
projected to 20,000,000 (as expected — ∝ N for totals, flat per request — and by the fit);
k > 1.15 is flagged "grows faster than linearly". Results: bench/out/growth.json and a
Markdown table (rows = measures, columns = sizes) on stdout, for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import random
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sizes import run_sizes, size_arguments  # noqa: E402

TARGET = 20_000_000
SUPERLINEAR = 1.15          # k above this: "grows faster than linearly"
GROWS_WHEN_FLAT = 0.25      # a per-request cost (expected flat) with k above this grows with N
MEASURES = ("ingest", "disk", "resolve", "sparql", "check", "dump", "log")
AMEND_EVERY = 20            # every 20th new licence is amended: 5 %
BASE = "http://127.0.0.1:8000"        # the CLI's default base IRI: the stores are minted under it


# --- fitting and projecting (pure) --------------------------------------------------------------

def growth_fit(sizes: list[int], values: list[float | None], kind: str,
               target: int = TARGET) -> dict:
    """The growth exponent k of cost ∝ N^k between the two largest sizes, and the value at
    `target` licences: `expected` as the measure should grow (kind "total": ∝ N; "flat": a
    per-request cost, constant; "rate": a throughput, constant) and `fitted` (by k). For a
    rate, k is that of its cost (1/rate): a falling throughput has k > 0. Kind "step" (a
    figure of one size step, like a batch's peak memory) and missing or non-positive values
    give no fit."""
    pairs = sorted((n, v) for n, v in zip(sizes, values, strict=True) if v is not None)
    none = {"k": None, "expected": None, "fitted": None, "verdict": ""}
    if kind == "step" or len(pairs) < 2 or pairs[-2][0] == pairs[-1][0]:
        return none
    (n1, v1), (n2, v2) = pairs[-2], pairs[-1]
    if v1 <= 0 or v2 <= 0:
        return none
    k = math.log(v2 / v1) / math.log(n2 / n1)
    scale = target / n2
    if kind == "rate":
        k = -k
        fitted = v2 / scale ** k
    else:
        fitted = v2 * scale ** k
    expected = v2 * scale if kind == "total" else v2
    verdict = ""
    if k > SUPERLINEAR:
        verdict = "grows faster than linearly"
    elif kind in ("flat", "rate") and k > GROWS_WHEN_FLAT:
        verdict = "grows with N (expected flat)"
    return {"k": round(k, 3), "expected": expected, "fitted": fitted, "verdict": verdict}


def number(value: float | None) -> str:
    """A figure for the table: thousands separated from 100 up, else three significant digits."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def table(sizes: list[int], rows: list[tuple[str, str, str, list[float | None]]],
          target: int = TARGET) -> tuple[str, list[dict]]:
    """The Markdown table (a row per measure: its value at each size, k, the projections and
    the verdict) and the fits. `rows`: (measure, unit, kind, value at each size)."""
    header = (["measure", *[f"{n:,}" for n in sizes], "k",
               f"{target:,} expected", f"{target:,} fitted", "verdict"])
    lines = ["| " + " | ".join(header) + " |",
             "|---|" + "---:|" * (len(sizes) + 3) + "---|"]
    fits = []
    for measure, unit, kind, values in rows:
        fit = growth_fit(sizes, values, kind, target)
        fits.append({"measure": measure, "unit": unit, "kind": kind, **fit})
        cells = [f"{measure} ({unit})", *map(number, values),
                 "—" if fit["k"] is None else f"{fit['k']:.2f}",
                 number(fit["expected"]), number(fit["fitted"]), fit["verdict"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), fits


def measure_rows(results: list[dict]) -> list[tuple[str, str, str, list[float | None]]]:
    """The table's rows from the per-size results (a measure missing at a size is None)."""
    def column(*path: str) -> list[float | None]:
        out: list[float | None] = []
        for result in results:
            value: object = result
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            out.append(value if isinstance(value, int | float) else None)
        return out

    rows = [
        ("ingest: load, cumulative", "s", "total", column("ingest", "cumulative_s")),
        ("ingest: load, this step", "s", "step", column("ingest", "load_s")),
        ("ingest: load, per licence of the step", "ms", "flat", column("ingest", "load_ms_each")),
        ("ingest: load, peak RSS of one load", "MB", "step", column("ingest", "load_peak_mb")),
        ("ingest: amendments, per licence", "ms", "flat", column("ingest", "amend_ms_each")),
        ("ingest: amendments, peak RSS", "MB", "step", column("ingest", "amend_peak_mb")),
        # Checkpoints kept after a burst of loads are transient (pruned 120 s on): not fitted.
        ("disk: store folder, after the loads", "MB", "step", column("disk", "total_mb")),
        ("disk: live stores (no checkpoints)", "MB", "total", column("disk", "live_mb")),
        ("disk: kept checkpoints' own files", "MB", "step", column("disk", "checkpoints_only_mb")),
    ]
    folders = sorted({f for r in results for f in r.get("disk", {}).get("folders_mb", {})})
    rows += [(f"disk: {folder}/ (live)", "MB", "total", column("disk", "folders_mb", folder))
             for folder in folders]
    rows += [
        ("/id/ resolution throughput", "req/s", "rate", column("resolve", "requests_per_s")),
        ("/id/ resolution p50", "ms", "flat", column("resolve", "p50_ms")),
        ("/id/ resolution p99", "ms", "flat", column("resolve", "p99_ms")),
    ]
    queries = [q for r in results for q in r.get("sparql", {})]
    for query in dict.fromkeys(queries):
        label = "cube" if "cube" in query else "raw"
        rows.append((f"SPARQL {label} {query}", "ms", "total", column("sparql", query)))
    rows += [
        ("batch check, 1,000 items, p50", "ms", "flat", column("check", "p50_ms")),
        ("batch check, 1,000 items, p99", "ms", "flat", column("check", "p99_ms")),
        ("dump (N-Quads)", "s", "total", column("dump", "seconds")),
        ("dump, peak RSS", "MB", "flat", column("dump", "peak_rss_mb")),
        ("dump, N-Quads written", "MB", "total", column("dump", "mb")),
        ("log verify", "s", "total", column("log", "seconds")),
        ("log verify, peak RSS", "MB", "flat", column("log", "peak_rss_mb")),
    ]
    return rows


# --- growing the store ------------------------------------------------------------------------

class BatchFiles:
    """The rows of one step as CSV files, one per issuer and at most `batch` rows a file."""

    def __init__(self, folder: Path, prefix: str, batch: int):
        from registry.records import COLUMNS

        self.folder, self.prefix, self.batch, self.columns = folder, prefix, batch, COLUMNS
        self.open: dict[str, list] = {}
        self.files: list[tuple[str, Path, int]] = []       # (issuer, file, rows)

    def add(self, row: dict[str, str]) -> None:
        issuer = row["issuer"]
        if issuer not in self.open or self.open[issuer][2] >= self.batch:
            self._close(issuer)
            path = self.folder / f"{self.prefix}-{issuer}-{len(self.files)}.csv"
            handle = path.open("w", encoding="utf-8", newline="")
            writer = csv.DictWriter(handle, fieldnames=self.columns, lineterminator="\n")
            writer.writeheader()
            self.open[issuer] = [handle, writer, 0, path]
        entry = self.open[issuer]
        entry[1].writerow(row)
        entry[2] += 1

    def _close(self, issuer: str) -> None:
        entry = self.open.pop(issuer, None)
        if entry:
            entry[0].close()
            self.files.append((issuer, entry[3], entry[2]))

    def close(self) -> list[tuple[str, Path, int]]:
        for issuer in list(self.open):
            self._close(issuer)
        return self.files


def amended(row: dict[str, str], turn: int) -> dict[str, str]:
    """The row changed as an agency amends a licence: a suspension, a valid-until a year
    later, or the holder renamed (in turn; a rename when the first two do not apply)."""
    from registry.dates import parse_date

    if turn % 3 == 0 and row["status"] == "active":
        return {**row, "status": "suspended",
                "status_reason": "ระงับชั่วคราวระหว่างการตรวจสอบสถานประกอบการ"}
    if turn % 3 == 1 and row["valid_until"]:
        until = parse_date(row["valid_until"]).value + dt.timedelta(days=365)
        return {**row, "valid_until": until.isoformat()}
    return {**row, "holder_name": row["holder_name"] + " (เปลี่ยนชื่อ)",
            "holder_name_en": row["holder_name_en"] + " (renamed)"}


def load_files(store: Path, files: list[tuple[str, Path, int]], what: str) -> dict:
    """Each file through `licence-registry load` in its own process: total seconds, the
    largest peak RSS and the largest file."""
    from bench.ingest import CLI, run_timed

    seconds, peak, largest = 0.0, 0, 0
    for number_, (issuer, path, rows) in enumerate(files, start=1):
        timed = run_timed([*CLI, "--store", str(store), "load", str(path), "--agency", issuer],
                          f"{what} {path.name}")
        seconds += timed["seconds"]
        peak, largest = max(peak, timed["peak_rss_mb"]), max(largest, rows)
        print(f"    {what} {number_}/{len(files)} {issuer} {rows:,} rows: {timed['seconds']} s, "
              f"{timed['peak_rss_mb']} MB", flush=True)
        path.unlink()
    return {"seconds": round(seconds, 2), "peak_mb": peak, "largest_batch": largest,
            "files": len(files)}


def disk(store: Path) -> dict:
    """Bytes on disk under the store folder, each file once (checkpoints hard-link the store's
    files): in all; live (outside the checkpoint folders), by top folder (`private` is the
    private store); and what the kept checkpoints hold that the live stores do not (files
    compaction has replaced since: readers may still be on them, registry/store/snapshots.py
    keeps the newest 3 and any younger than 120 s)."""
    live: dict[int, tuple[str, int]] = {}
    kept: dict[int, int] = {}
    checkpoints = 0
    for path in store.rglob("*"):
        parts = path.relative_to(store).parts
        try:
            info = path.lstat()
        except FileNotFoundError:       # a checkpoint pruned while we walk
            continue
        if "snapshots" in parts:
            checkpoints += path.is_dir() and path.parent.name == "snapshots"
            kept[info.st_ino] = info.st_blocks * 512
        elif path.is_file():
            live[info.st_ino] = (parts[0], info.st_blocks * 512)
    mb = 1 << 20
    folders: dict[str, float] = {}
    for top, size in live.values():
        if (store / top).is_dir():
            folders[top] = folders.get(top, 0) + size
    only_kept = sum(size for inode, size in kept.items() if inode not in live)
    live_bytes = sum(size for _, size in live.values())
    return {"total_mb": round((live_bytes + only_kept) / mb, 1),
            "live_mb": round(live_bytes / mb, 1),
            "checkpoints_only_mb": round(only_kept / mb, 1), "checkpoints": checkpoints,
            "folders_mb": {top: round(size / mb, 1) for top, size in sorted(folders.items())}}


def drain_pipe(pipe: Path, counted: list[int]) -> None:
    """Read the named pipe to its end, counting the bytes into `counted`; then open it for
    writing once and close it, so `dump`'s second read (the file's SHA-256) ends at once."""
    total = 0
    with pipe.open("rb") as reader:
        while block := reader.read(1 << 20):
            total += len(block)
    counted.append(total)
    with pipe.open("wb"):
        pass


class Growth:
    """The state carried from one size to the next: the demo rows still to come, the store,
    the licences so far, a sample of their keys for the batch check, cumulative ingest time."""

    def __init__(self, sizes: list[int], args: argparse.Namespace):
        from ops.demo import demo_rows
        from registry.model import read_catalogue
        from registry.paths import CATALOGUE_DIR

        self.args, self.skip = args, set(args.skip.split(",")) - {""}
        unknown = self.skip - set(MEASURES)
        if unknown:
            sys.exit(f"--skip: unknown measures {sorted(unknown)}; known: {', '.join(MEASURES)}")
        self.rows: Iterator[dict[str, str]] = demo_rows(read_catalogue(CATALOGUE_DIR),
                                                        max(sizes))
        self.held, self.cumulative_s = 0, 0.0
        self.keys: list = []
        self.rng = random.Random(17)  # noqa: S311 — repeatable benchmark data

    def run_size(self, size: int, work: Path) -> dict:
        print(f"== {size:,} licences", flush=True)
        store = work / "store"
        if not store.exists():
            from bench.ingest import CLI, run_timed

            run_timed([*CLI, "--store", str(store), "init"], "init")
        result: dict = {"licences": size}
        if size <= self.held:
            sys.exit(f"--sizes must grow: {size:,} after {self.held:,}")
        result["ingest"] = self.ingest(store, work, size)
        if "disk" not in self.skip:
            result["disk"] = disk(store)
            print(f"  disk {result['disk']}", flush=True)
        for name in ("resolve", "sparql", "check", "dump", "log"):
            if name not in self.skip:
                started = time.perf_counter()
                result[name] = getattr(self, name)(store, work)
                print(f"  {name} ({time.perf_counter() - started:.0f} s): {result[name]}",
                      flush=True)
        return result

    def ingest(self, store: Path, work: Path, size: int) -> dict:
        from registry import identifiers

        started = time.perf_counter()
        new = BatchFiles(work, f"new-{size}", self.args.batch)
        amend = BatchFiles(work, f"amend-{size}", self.args.batch)
        for n, row in enumerate(islice(self.rows, size - self.held), start=self.held):
            new.add(row)
            if n % AMEND_EVERY == AMEND_EVERY - 1:
                amend.add(amended(row, n // AMEND_EVERY))
            key = identifiers.licence_key(row["issuer"], row["licence_type"],
                                          row["licence_number"])
            if len(self.keys) < 1000:                # reservoir: 1,000 keys of all so far
                self.keys.append(key)
            elif (at := self.rng.randrange(n + 1)) < 1000:
                self.keys[at] = key
        new_files, amend_files = new.close(), amend.close()
        print(f"  generated {size - self.held:,} rows in {time.perf_counter() - started:.0f} s",
              flush=True)
        if "ingest" in self.skip:                      # loaded anyway (the store must grow),
            print("  (ingest is not reported: --skip)", flush=True)     # not reported
        loaded = load_files(store, new_files, "load")
        changed = load_files(store, amend_files, "amend")
        step, amendments = size - self.held, sum(rows for _, _, rows in amend_files)
        self.held = size
        self.cumulative_s += loaded["seconds"] + changed["seconds"]
        if "ingest" in self.skip:
            return {}
        return {"new_licences": step, "load_s": loaded["seconds"],
                "load_ms_each": round(loaded["seconds"] * 1000 / step, 3),
                "load_peak_mb": loaded["peak_mb"], "load_largest_batch": loaded["largest_batch"],
                "load_files": loaded["files"], "amendments": amendments,
                "amend_s": changed["seconds"],
                "amend_ms_each": round(changed["seconds"] * 1000 / max(amendments, 1), 3),
                "amend_peak_mb": changed["peak_mb"],
                "cumulative_s": round(self.cumulative_s, 2)}

    def resolve(self, store: Path, work: Path) -> dict:
        from bench.resolve import register_rate, sample_script

        if shutil.which("wrk") is None:
            sys.exit("wrk is missing: apt-get install wrk (or --skip resolve)")
        _, script = sample_script(store, work)
        return register_rate(store, script, self.args.wrk_seconds, workers=2)

    def sparql(self, store: Path, work: Path) -> dict:
        from bench.sparql import KeepAlive, over_http
        from opendata.examples import load_examples
        from tests.support.crash_harness import Server

        # Production settings but the time limit, as bench/sparql.py runs them.
        server = Server(store, BASE, env={"LICENCE_REGISTRY_SPARQL_TIME_LIMIT": "3600"})
        try:
            client = KeepAlive(server.url)
            times = {}
            for example in load_examples():
                over_http(client, example.query)                       # warm
                runs = [over_http(client, example.query) for _ in range(self.args.repeats)]
                times[example.id] = round(statistics.median(runs) * 1000, 2)
        finally:
            server.kill()
        return times

    def check(self, store: Path, work: Path) -> dict:
        from bench.bulkcheck import check_client, mixed_items, time_check

        repo, client = check_client(store)
        try:
            timed, _ = time_check(client, mixed_items(self.keys, seed=1), self.args.repeats)
        finally:
            repo.close()
        return timed

    def dump(self, store: Path, work: Path) -> dict:
        from bench.ingest import CLI, run_timed

        # Into a named pipe that a thread here drains and counts: at 2,000,000 licences the
        # N-Quads are ~18 GB, which need not take disk beside the store (`dump` itself spools
        # the engine's export in $TMPDIR first).
        out = work / "dump.nq"
        os.mkfifo(out)
        counted: list[int] = []
        drain = threading.Thread(target=drain_pipe, args=(out, counted), daemon=True)
        drain.start()
        timed = run_timed([*CLI, "--store", str(store), "dump", str(out)], "dump")
        drain.join(timeout=60)
        out.unlink()
        return {"seconds": timed["seconds"], "peak_rss_mb": timed["peak_rss_mb"],
                "mb": round(counted[0] / (1 << 20), 1) if counted else None}

    def log(self, store: Path, work: Path) -> dict:
        from bench.ingest import CLI, run_timed

        timed = run_timed([*CLI, "--store", str(store), "log", "verify"], "log verify")
        return {"seconds": timed["seconds"], "peak_rss_mb": timed["peak_rss_mb"],
                "output": timed["output"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    size_arguments(parser, "250000,500000,1000000,2000000")
    parser.add_argument("--skip", default="",
                        help=f"comma-separated measures not to take: {', '.join(MEASURES)} "
                        "(skipping ingest still loads the licences, unreported)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed runs of each SPARQL query and of the batch check")
    parser.add_argument("--wrk-seconds", type=int, default=20, help="wrk's run at each size")
    parser.add_argument("--batch", type=int, default=50_000,
                        help="most rows in one uploaded file (an agency's batch)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    growth = Growth(sizes, args)
    started = time.perf_counter()
    results = run_sizes("growth", args.sizes, args.work, growth.run_size)
    markdown, fits = table(sizes, measure_rows(results["sizes"]))
    results.update({"command": " ".join(["python bench/growth.py", *sys.argv[1:]]),
                    "wall_s": round(time.perf_counter() - started), "cpus": os.cpu_count(),
                    "target": TARGET, "fits": fits, "table": markdown})
    (ROOT / "bench" / "out" / "growth.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print("\n" + markdown)
    faster = [f["measure"] for f in fits if f["verdict"] == "grows faster than linearly"]
    print(f"\ngrows faster than linearly (k > {SUPERLINEAR}): {', '.join(faster) or 'nothing'}")
    print(f"whole run: {results['wall_s']:,} s")


if __name__ == "__main__":
    main()
