"""Ingest benchmark: the register's pipeline against the naive rdflib + pyshacl path, same data,
same run.

    python bench/ingest.py [--count 100000] [--agency diw] [--naive-count N]

1. `licence-registry demo-data` writes COUNT licences of one agency (not timed).
2. Fast path, as an agency runs it: `licence-registry validate` and `licence-registry load`
   (which validates again, then commits) into a fresh embedded store, each a separate process;
   wall time and peak memory (max RSS) of each.
2b. The same file as one HTTP upload (`POST /api/v1/uploads`) to `licence-registry serve` on
   another fresh store: wall time from sending the request to the answer.
3. Naive path: the same licences mapped to Turtle (not timed), then in a fresh process rdflib
   parses the Turtle and pyshacl validates the whole graph against shapes/licence.ttl (with the
   catalogue in the data graph, as the shapes need); wall time and peak memory.

Results are printed and written to bench/out/ingest.json. Record them in docs/benchmarks.md.
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
CLI = [sys.executable, "-m", "ops.cli"]


def run_timed(command: list[str], label: str) -> dict:
    """Run a command in a child process: its wall time and ITS peak RSS (os.wait4 gives the
    resource usage of that one child, not the largest child so far)."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        lines = out.read().strip().splitlines()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{label} failed:\n" + "\n".join(lines[-20:]))
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "output": lines[-1:]}


def naive_child(turtle: str, catalogue_ttl: str) -> None:
    """The naive path, run as its own process: rdflib parse, then pyshacl over the whole graph."""
    sys.path.insert(0, str(ROOT))      # the reference validator lives with the tests
    from tests.support.reference import naive_validate_turtle

    conforms, parse_seconds, shacl_seconds = naive_validate_turtle(
        Path(turtle).read_bytes(), Path(catalogue_ttl).read_bytes())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"parse_seconds": round(parse_seconds, 2),
                      "shacl_seconds": round(shacl_seconds, 2), "conforms": conforms,
                      "peak_rss_mb": round(peak / 1024)}))


def http_upload(store: Path, csv_path: Path, agency: str) -> dict:
    """Time one HTTP upload of the CSV to a server on a fresh store."""
    import requests

    sys.path.insert(0, str(ROOT))
    from tests.support.crash_harness import Server

    subprocess.run([*CLI, "--store", str(store), "init"], cwd=ROOT, check=True, capture_output=True)
    key = subprocess.run([*CLI, "--store", str(store), "agency-key", agency], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.split()[0]
    body = csv_path.read_bytes()
    server = Server(store, "http://127.0.0.1:8000")
    try:
        start = time.perf_counter()
        response = requests.post(server.url + "/api/v1/uploads", data=body, timeout=900,
                                 headers={"Content-Type": "text/csv",
                                          "Authorization": f"Bearer {key}"})
        seconds = time.perf_counter() - start
    finally:
        server.kill()
    if response.status_code != 200:
        sys.exit(f"HTTP upload failed: {response.status_code} {response.text[:500]}")
    answer = response.json()
    return {"seconds": round(seconds, 2),
            "answer": {k: answer[k] for k in ("created", "updated", "unchanged")}}


def map_to_turtle(csv_path: Path, count: int, agency: str, out: Path, catalogue_out: Path) -> None:
    """The licences as the register maps them (current records), as Turtle; and the catalogue."""
    import pyoxigraph as ox

    from publishing.pipeline import validate_csv
    from registry import identifiers, rdfmap
    from registry.model import catalogue_quads, read_catalogue
    from registry.paths import CATALOGUE_DIR
    from registry.validation import ValidationContext

    base = "http://127.0.0.1:8000"
    catalogue = read_catalogue(CATALOGUE_DIR)
    report = validate_csv(csv_path.read_bytes(), ValidationContext.for_agency(catalogue, agency))
    lines: list[str] = []
    for record in report.records[:count]:
        public_register = catalogue.types[record.key.type].public_register
        content = rdfmap.content_lines(record, base, public_register)
        lines.extend(content)
        lines.extend(rdfmap.version_lines(
            record, base, version=1, record_digest=rdfmap.legacy_digest(content),
            timestamp="2026-11-21T00:00:00Z", agency=agency,
            upload_iri=identifiers.upload_iri(base, "bench"), previous_status=None))
    triples = [q.triple for q in ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS)]
    with open(out, "wb") as handle:
        ox.serialize(triples, handle, format=ox.RdfFormat.TURTLE)
    graph = ox.NamedNode(identifiers.graph_iri(base, "c"))
    cat = [q.triple for q in catalogue_quads(catalogue, base, graph)]
    with open(catalogue_out, "wb") as handle:
        ox.serialize(cat, handle, format=ox.RdfFormat.TURTLE)


def naive_path(work_dir: Path, csv_path: Path, naive_count: int, agency: str) -> dict:
    turtle = work_dir / "licences.ttl"
    catalogue_ttl = work_dir / "catalogue.ttl"
    map_to_turtle(csv_path, naive_count, agency, turtle, catalogue_ttl)
    print(f"naive path on {naive_count} licences: rdflib parse + pyshacl …", flush=True)
    child = run_timed([sys.executable, __file__, "--naive-child", str(turtle),
                       str(catalogue_ttl)], "naive path")
    naive = json.loads(child["output"][0])
    naive["seconds"] = child["seconds"]
    print(f"  {naive['seconds']} s, {naive['peak_rss_mb']} MB (parse {naive['parse_seconds']} s, "
          f"pyshacl {naive['shacl_seconds']} s)", flush=True)
    return naive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="licences (default 100000)")
    parser.add_argument("--agency", default="diw", help="the uploading agency (default diw)")
    parser.add_argument("--naive-count", type=int, default=None,
                        help="licences for the naive path (default: the same as --count)")
    parser.add_argument("--skip-naive", action="store_true", help="only the register's paths")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    naive_count = args.naive_count or args.count
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(dir=args.out) as work:
        work_dir = Path(work)
        csv_path = work_dir / "licences.csv"
        store = work_dir / "store"
        print(f"generating {args.count} licences for {args.agency} …", flush=True)
        subprocess.run([*CLI, "--store", str(store), "demo-data", "--count", str(args.count),
                        "--agency", args.agency, str(csv_path)], cwd=ROOT, check=True,
                       capture_output=True)
        subprocess.run([*CLI, "--store", str(store), "init"], cwd=ROOT, check=True,
                       capture_output=True)

        print("fast path: validate …", flush=True)
        validate = run_timed([*CLI, "--store", str(store), "validate", str(csv_path),
                              "--agency", args.agency], "validate")
        print(f"  {validate['seconds']} s, {validate['peak_rss_mb']} MB", flush=True)
        print("fast path: load (validate + commit) …", flush=True)
        load = run_timed([*CLI, "--store", str(store), "load", str(csv_path),
                          "--agency", args.agency], "load")
        print(f"  {load['seconds']} s, {load['peak_rss_mb']} MB: {load['output']}", flush=True)

        print("HTTP upload to `licence-registry serve` …", flush=True)
        http = http_upload(work_dir / "http-store", csv_path, args.agency)
        print(f"  {http['seconds']} s: {http['answer']}", flush=True)

        naive = (None if args.skip_naive
                 else naive_path(work_dir, csv_path, naive_count, args.agency))

    result = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "command": " ".join(["python bench/ingest.py", *sys.argv[1:]]),
        "count": args.count, "naive_count": naive_count,
        "fast_validate": validate, "fast_load": load, "http_upload": http, "naive": naive,
        "http_vs_cli_load": round(http["seconds"] / load["seconds"], 2),
    }
    if naive is not None:
        result["speedup_load_vs_naive"] = round(
            naive["seconds"] * args.count / naive_count / load["seconds"], 1)
    (args.out / "ingest.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "command"}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--naive-child":
        naive_child(sys.argv[2], sys.argv[3])
    else:
        main()
