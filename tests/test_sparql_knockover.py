"""The SPARQL endpoint cannot be knocked over (issue acceptance), on a real `licence-registry serve`
with the embedded store and with a remote one (`oxigraph serve`):

- while hostile queries (a cross product with ORDER BY, one after another) run, resolver requests
  keep a p99 at most 2x their idle p99;
- each hostile query ends with an error within the time limit + 2 s;
- then the endpoint answers a simple query in under 1 s.
"""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
import requests

from ops.demoload import load_demo
from registry.settings import load_settings
from registry.store.opening import open_repository

from .support.crash_harness import Server
from .support.stores import BASE, serve_oxigraph

# It compares latencies, and its replica restarts at nice 19: no other test runs meanwhile
# (tests/support/serial.py).
pytestmark = pytest.mark.serial(alone=True)

TIME_LIMIT = 4.0
LICENCES = 1500
# A cross product sorted (memory grows until a limit stops it) and one only counted (CPU alone:
# only the time limit stops it), taken in turn.
HOSTILE = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i",
           "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } "
           "ORDER BY ?n")
SAMPLES = 1500        # per phase: p99 of 4,500 requests is the 45th slowest, not a fluke
ROUNDS = 3
# The replica as docs/sparql.md advises: capped and restarted (oxigraph's own timeout does not
# stop the sorted cross product from growing until the machine's memory is gone).
REPLICA_MEMORY_MB = 1024
SERVER_ENV = {"LICENCE_REGISTRY_SPARQL_TIME_LIMIT": str(TIME_LIMIT),
              "LICENCE_REGISTRY_SPARQL_MEMORY_LIMIT_MB": "1024"}


def _licence_paths(repo) -> list[str]:
    rows = repo.select("SELECT DISTINCT ?l WHERE { GRAPH ?g { ?l a <https://schema.org/"
                       "GovernmentPermit> } } LIMIT 200")
    return [row["l"].value[len(BASE):] for row in rows]


@pytest.fixture(scope="module", params=["embedded", pytest.param("remote",
                                                                  marks=pytest.mark.remote)])
def served(request, tmp_path_factory):
    """(register URL, licence paths) for a serving register with demo licences."""
    work = tmp_path_factory.mktemp(f"knockover-{request.param}")
    processes = []
    if request.param == "embedded":
        settings = load_settings({"STORE": str(work / "store"), "BASE_IRI": BASE})
        env = SERVER_ENV
    else:
        # /sparql queries a replica at the lowest CPU priority, whose own timeout ends the
        # evaluation there (docs/sparql.md); the resolver reads the main store.
        main_url, main = serve_oxigraph(work / "main")
        private_url, private = serve_oxigraph(work / "private")
        replica_url, replica = serve_oxigraph(work / "replica", "--timeout-s",
                                               str(int(TIME_LIMIT)), low_priority=True,
                                               memory_limit_mb=REPLICA_MEMORY_MB)
        processes += [main, private, replica]
        urls = {"STORE_URL": main_url, "PRIVATE_STORE_URL": private_url,
                "SPARQL_STORE_URL": replica_url}
        settings = load_settings({**urls, "BASE_IRI": BASE})
        env = {**SERVER_ENV, **{f"LICENCE_REGISTRY_{k}": v for k, v in urls.items()}}
    repo = open_repository(settings, create=True)
    load_demo(repo, BASE, LICENCES)
    paths = _licence_paths(repo)
    repo.close()
    server = Server(work / "store", BASE, env=env)
    yield server.url, paths
    server.kill()
    for process in processes:
        process.kill()
        process.wait(10)


def _resolver_latencies(url: str, paths: list[str], count: int) -> list[float]:
    session = requests.Session()
    took = []
    for i in range(count):
        started = time.perf_counter()
        response = session.get(url + paths[i % len(paths)], headers={"Accept": "text/html"},
                               allow_redirects=False, timeout=30)
        took.append(time.perf_counter() - started)
        assert response.status_code == 303
    return took


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(len(ordered) * 0.99) - 1]


def _quiet_machine() -> None:
    """Wait for dump generators that earlier tests' uploads started in the background (children
    of this process) to finish: they would load the machine in one phase and not the other."""
    for child in multiprocessing.active_children():
        if child.name == "licence-registry-dumps":
            child.join(120)


def test_hostile_queries_do_not_knock_the_register_over(served):
    url, paths = served
    _quiet_machine()
    _resolver_latencies(url, paths, 200)                     # warm up
    outcomes: list[tuple[float, int, str]] = []

    def hostile(stop: threading.Event, turn: int):
        session = requests.Session()
        while not stop.is_set():
            started = time.monotonic()
            response = session.post(url + "/sparql", data={"query": HOSTILE[turn % 2]},
                                    headers={"Accept": "application/sparql-results+json"},
                                    timeout=60)
            code = response.json()["error"]["code"] if response.status_code >= 400 else ""
            outcomes.append((time.monotonic() - started, response.status_code, code))
            turn += 1

    # Idle and attacked phases in turn, pooled, so a drift of the machine hits both alike.
    idle_samples: list[float] = []
    busy_samples: list[float] = []
    for round_ in range(ROUNDS):        # the sorted cross product first, the counted one next
        idle_samples += _resolver_latencies(url, paths, SAMPLES)
        stop = threading.Event()
        thread = threading.Thread(target=hostile, args=(stop, round_), daemon=True)
        thread.start()
        time.sleep(0.5)                 # the hostile query is running
        busy_samples += _resolver_latencies(url, paths, SAMPLES)
        stop.set()
        thread.join(TIME_LIMIT + 30)
    idle, busy = p99(idle_samples), p99(busy_samples)

    print(f"\nresolver p99 idle {idle * 1000:.2f} ms, under attack {busy * 1000:.2f} ms; hostile "
          f"queries: {[(round(t, 1), c) for t, _, c in outcomes]}")
    assert outcomes, "no hostile query finished"
    restarting = False
    for took, status, code in outcomes:
        # A query sent while the replica starts again after a memory kill finds no store: that
        # is said as such (on a loaded machine the restart can outlast the time limit).
        allowed = ("query-time-limit", "query-memory-limit") + (
            ("store-unavailable",) if restarting else ())
        assert status == 503 and code in allowed, (status, code, outcomes)
        restarting = code in ("query-memory-limit", "store-unavailable")
        assert took <= TIME_LIMIT + 2, f"a hostile query took {took:.1f} s to end"
    assert busy <= 2 * idle, \
        f"resolver p99 {busy * 1000:.1f} ms under attack vs {idle * 1000:.1f} ms idle"

    started = time.monotonic()
    simple = requests.get(url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert simple.status_code == 200, simple.text
    assert simple.json()["boolean"] is True
    assert time.monotonic() - started < 1
