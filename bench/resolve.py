"""Resolver throughput: `wrk` on random licence IRIs, the register against nginx's static 303.

    python bench/resolve.py --store PATH          # a store already holding the licences
    python bench/resolve.py --count 1000000       # build one first (about 5 minutes)

Both servers answer `GET /id/licence/…` with `Accept: text/html` by a 303 on 127.0.0.1;
`wrk -t2 -c32 -d20s` picks a random IRI from 100,000 stored ones per request. nginx's
`return 303` (no lookup at all) is the ceiling the register is compared with. Needs Debian's
`wrk` and `nginx` (apt-get install wrk nginx).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASE = "http://127.0.0.1:8000"

LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
math.randomseed(7)
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Accept"] = "text/html"})
end
"""

NGINX = """
worker_processes 2;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %(dir)s; proxy_temp_path %(dir)s; fastcgi_temp_path %(dir)s;
  uwsgi_temp_path %(dir)s; scgi_temp_path %(dir)s;
  server {
    listen 127.0.0.1:%(port)d;
    location /id/licence/ { return 303 /doc/licence/; }
  }
}
"""


def wrk(url: str, script: Path, seconds: int) -> dict:
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", str(script),
                          url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p99 = (re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups() for p in ("50", "99"))
    def to_ms(value, unit):
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_s": rate, "p50_ms": round(to_ms(*p50), 2),
            "p99_ms": round(to_ms(*p99), 2), "errors": int(errors.group(1)) if errors else 0}


def wait_for(url: str) -> None:
    import requests

    for _ in range(300):
        try:
            requests.get(url, timeout=1, allow_redirects=False)
            return
        except requests.RequestException:
            time.sleep(0.1)
    sys.exit(f"{url} did not start")


def sample_script(store: Path, work: Path) -> tuple[int, Path]:
    """Prepare the store; write to `work` 100,000 of its licence paths, shuffled, and the wrk
    script that picks one at random per request. The number of licence versions stored, and
    the script (bench/growth.py uses it too)."""
    from registry import identifiers
    from registry.store.shared import SharedEmbeddedRepository, prepare

    prepare(store)
    repo = SharedEmbeddedRepository(store)
    rows = repo.select("SELECT ?l WHERE { GRAPH ?g { ?l a <https://schema.org/GovernmentPermit> } }"
                       " LIMIT 300000")
    counted = repo.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?l a "
                          "<https://schema.org/GovernmentPermit> ; "
                          "<https://w3id.org/clc/def#version> ?v } }")
    licences = int(counted[0]["n"].value)
    del repo
    iris = [r["l"].value for r in rows]
    random.Random(1).shuffle(iris)
    paths = work / "paths.txt"
    paths.write_text("\n".join(identifiers.iri_to_uri(i[len(BASE):]) for i in iris[:100_000])
                     + "\n")
    script = work / "random.lua"
    script.write_text(LUA % paths)
    return licences, script


def register_rate(store: Path, script: Path, seconds: int, workers: int) -> dict:
    """`licence-registry serve` on the store (loopback, its own process group, stopped after)
    under `wrk` for `seconds`: requests/s, p50, p99, errors."""
    from tests.support.stores import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "ops.cli", "--store", str(store), "serve",
                               "--port", str(port), "--workers", str(workers),
                               "--threads", "4",
                               "--no-access-log"], cwd=ROOT, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
        return wrk(f"http://127.0.0.1:{port}", script, seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="an existing store with licences")
    parser.add_argument("--count", type=int, default=1_000_000,
                        help="licences to build a store with")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is missing: apt-get install wrk nginx")
    work = Path(tempfile.mkdtemp(dir=ROOT / "bench" / "out"))
    store = args.store
    if store is None:
        from ops.demoload import load_demo
        from registry.store.embedded import EmbeddedRepository

        store = work / "store"
        print(f"building a store of {args.count} demo licences …", flush=True)
        repo = EmbeddedRepository(store, create=True)
        load_demo(repo, BASE, args.count)
        repo.close()
    print("preparing the store and a sample of its IRIs …", flush=True)
    licences, script = sample_script(store, work)
    print("register …", flush=True)
    register = register_rate(store, script, args.seconds, args.workers)
    from tests.support.stores import free_port

    nginx_dir = work / "nginx"
    nginx_dir.mkdir()
    nginx_port = free_port()
    (nginx_dir / "nginx.conf").write_text(NGINX % {"dir": nginx_dir, "port": nginx_port})
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    subprocess.run([nginx, "-c", str(nginx_dir / "nginx.conf")], check=True)
    try:
        wait_for(f"http://127.0.0.1:{nginx_port}/id/licence/x")
        print("nginx …", flush=True)
        ceiling = wrk(f"http://127.0.0.1:{nginx_port}", script, args.seconds)
    finally:
        subprocess.run([nginx, "-c", str(nginx_dir / "nginx.conf"), "-s", "stop"], check=False)
    result = {"licences": licences, "workers": args.workers, "seconds": args.seconds,
              "register": register, "nginx_return_303": ceiling,
              "ratio_of_ceiling": round(register["requests_per_s"] / ceiling["requests_per_s"], 3)}
    (ROOT / "bench" / "out" / "resolve.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    shutil.rmtree(work, ignore_errors=True) if args.store else None


if __name__ == "__main__":
    main()
