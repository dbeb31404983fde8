"""Workbook benchmark: validating the same licences sent as an Excel workbook (.xlsx) and as
CSV, side by side in one run, at several sizes to show how each grows (issue 13 acceptance:
the 100,000-row workbook takes at most 2× the CSV).

    python bench/xlsx.py [--counts 10000,30000,100000] [--agency diw] [--repeat 3]

For each count, the same demo licences (ops.demo.demo_rows) are written (not timed) as CSV, as
`licence-registry demo-data` writes it, and as a workbook as a clerk's sheet holds them (tests/
support/workbooks.py: the dates in date cells, the rest as text, in openpyxl's inline strings,
the largest form a sheet takes). Each file is then validated in a fresh process by
publishing.pipeline.validate_upload, as the upload API, the upload page and `licence-registry
validate` run it: the child times that call alone (the file already in memory, the catalogue
loaded) and reports its peak memory; the best of --repeat runs counts, the runs of the two
formats taken in turns. For the workbook the
child also times its parts: the zip checks (publishing/workbookzip.py), calamine opening the
first sheet, and the rest (reading rows and checking them).

Results are printed and written to bench/out/xlsx.json. Record them in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def child(media_type: str, path: str, agency: str) -> None:
    """One validation, in this process: its seconds, rows and peak memory as JSON."""
    sys.path.insert(0, str(ROOT))
    from publishing.pipeline import validate_upload
    from publishing.workbookzip import check_workbook_zip
    from publishing.xlsxinput import read_xlsx
    from registry.model import read_catalogue
    from registry.paths import CATALOGUE_DIR
    from registry.validation import ValidationContext

    body = Path(path).read_bytes()
    ctx = ValidationContext.for_agency(read_catalogue(CATALOGUE_DIR), agency)
    start = time.perf_counter()
    report = validate_upload(media_type, body, ctx, "")
    seconds = time.perf_counter() - start
    parts = {}
    if media_type == XLSX:
        import python_calamine

        start = time.perf_counter()
        check_workbook_zip(body)
        parts["zip_checks"] = time.perf_counter() - start
        start = time.perf_counter()
        python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_index(0)
        parts["calamine_open"] = time.perf_counter() - start
        start = time.perf_counter()
        rows = sum(1 for _ in read_xlsx(body).rows)
        parts["read_rows_total"] = time.perf_counter() - start
        assert rows == report.rows
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": round(seconds, 2), "rows": report.rows,
                      "licences": len(report.records), "ok": report.ok,
                      "peak_rss_mb": round(peak / 1024),
                      "parts": {k: round(v, 2) for k, v in parts.items()}}))


def run_child(media_type: str, path: Path, agency: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", media_type, str(path), agency],
                          cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def side_by_side(repeat: int, csv_path: Path, xlsx_path: Path, agency: str
                 ) -> tuple[dict, dict]:
    """The best of `repeat` runs of each, taken in turns (CSV, workbook, CSV, …) so that what
    else the machine does weighs on both alike."""
    runs: dict[str, list[dict]] = {"text/csv": [], XLSX: []}
    for _ in range(repeat):
        for media_type, path in (("text/csv", csv_path), (XLSX, xlsx_path)):
            runs[media_type].append(run_child(media_type, path, agency))

    def best(found: list[dict]) -> dict:
        return {**min(found, key=lambda r: r["seconds"]), "runs": [r["seconds"] for r in found]}

    return best(runs["text/csv"]), best(runs[XLSX])


def write_files(count: int, agency: str, folder: Path) -> tuple[Path, Path]:
    sys.path.insert(0, str(ROOT))
    from ops.demo import demo_rows, rows_to_csv
    from registry.model import read_catalogue
    from registry.paths import CATALOGUE_DIR
    from tests.support.workbooks import as_excel_typed, workbook_bytes

    rows = list(demo_rows(read_catalogue(CATALOGUE_DIR), count, agency=agency))
    csv_path, xlsx_path = folder / f"licences-{count}.csv", folder / f"licences-{count}.xlsx"
    csv_path.write_text(rows_to_csv(rows), encoding="utf-8")
    xlsx_path.write_bytes(workbook_bytes(as_excel_typed(r) for r in rows))
    return csv_path, xlsx_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="10000,30000,100000",
                        help="licences per file, comma-separated (default 10000,30000,100000)")
    parser.add_argument("--agency", default="diw", help="the uploading agency (default diw)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per file; the best counts")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = []
    with tempfile.TemporaryDirectory(dir=args.out) as work:
        for count in (int(c) for c in args.counts.split(",")):
            print(f"{count:,} licences: writing CSV and workbook …", flush=True)
            csv_path, xlsx_path = write_files(count, args.agency, Path(work))
            csv, xlsx = side_by_side(args.repeat, csv_path, xlsx_path, args.agency)
            assert csv["rows"] == xlsx["rows"] == count and csv["ok"] and xlsx["ok"]
            ratio = round(xlsx["seconds"] / csv["seconds"], 2)
            sizes.append({"count": count, "csv_bytes": csv_path.stat().st_size,
                          "xlsx_bytes": xlsx_path.stat().st_size, "csv": csv, "xlsx": xlsx,
                          "xlsx_vs_csv": ratio})
            print(f"  CSV  {csv['seconds']:6.2f} s {csv['peak_rss_mb']:5} MB  "
                  f"xlsx {xlsx['seconds']:6.2f} s {xlsx['peak_rss_mb']:5} MB  "
                  f"xlsx/CSV {ratio}  (xlsx parts {xlsx['parts']})", flush=True)
    result = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "command": " ".join(["python bench/xlsx.py", *sys.argv[1:]]),
        "sizes": sizes,
        "acceptance_xlsx_at_most_2x_csv": all(s["xlsx_vs_csv"] <= 2 for s in sizes),
    }
    (args.out / "xlsx.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "sizes"}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
