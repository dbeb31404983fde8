"""The second lock: a query process cannot open a network connection, whatever it is asked
(opendata/netlock.py). Tested with real processes and a real loopback listener, bypassing
the guard entirely."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from opendata.sparqlexec import ProcessExecutor, QueryFailed
from opendata.sparqlguard import QueryForm
from opendata.sparqlresults import JSON

from .support.loopback import recording_listener
from .support.stores import BASE

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def listener():
    with recording_listener() as found:
        yield found


@pytest.fixture
def executor(embedded_repo):
    found = ProcessExecutor(embedded_repo.read_replica, workers=1, time_limit=20,
                            memory_limit_mb=1024, base_iri=f"{BASE}/sparql")
    yield found
    found.close()


@pytest.mark.parametrize("pattern", [
    "SERVICE <http://127.0.0.1:PORT/sparql> { ?x ?y ?z }",
    "SERVICE <http://localhost:PORT/sparql> { ?x ?y ?z }",
    "BIND(<http://127.0.0.1:PORT/> AS ?v) SERVICE ?v { ?x ?y ?z }",
])
def test_service_sent_straight_to_a_query_process_fails_and_contacts_nothing(
        executor, listener, pattern):
    port, seen = listener
    query = "SELECT * WHERE { ?s ?p ?o " + pattern.replace("PORT", str(port)) + " }"
    with pytest.raises(QueryFailed) as failed:
        executor.run(query, QueryForm.SELECT, JSON, 10)
    # Oxigraph has no SERVICE ?var on a bound variable: a bad query, and the process lives on.
    assert failed.value.kind in ("service", "store-error", "bad-query"), failed.value
    assert seen == []
    # The process (or its replacement) answers the next query.
    answer = executor.run("ASK { ?s ?p ?o }", QueryForm.ASK, JSON, 1)
    assert json.loads(answer.body)["boolean"] is True


def test_service_silent_gets_no_answer_from_anywhere(executor, listener):
    port, seen = listener
    query = (f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/> "
             "{ ?x ?y ?z } }")
    outcome = executor.run(query, QueryForm.SELECT, JSON, 10)
    assert outcome.count <= 1          # SILENT: the failed call is one empty solution
    assert seen == []


_PROBE = textwrap.dedent("""
    import ctypes, errno, json, socket
    from opendata.netlock import lock_network
    pipe, other = socket.socketpair()              # made before, as the worker's pipe is
    lock_network()
    found = {}
    for name in ("AF_INET", "AF_INET6", "AF_PACKET", "AF_NETLINK", "AF_UNIX"):
        kind = socket.SOCK_RAW if name in ("AF_PACKET", "AF_NETLINK") else socket.SOCK_STREAM
        try:
            socket.socket(getattr(socket, name), kind).close()
            found[name] = 0
        except OSError as exc:
            found[name] = exc.errno
    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(120)     # struct io_uring_params
    result = libc.syscall(425, 8, params)          # io_uring_setup (x86_64 and aarch64: 425)
    found["io_uring_setup"] = 0 if result >= 0 else ctypes.get_errno()
    pipe.send(b"x")
    found["pipe"] = other.recv(1).decode()
    print(json.dumps(found))
""")


def test_a_locked_process_gets_eperm_for_network_sockets_and_io_uring():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          timeout=60, check=True, cwd=PROJECT)
    found = json.loads(done.stdout)
    eperm = 1
    assert found["AF_INET"] == found["AF_INET6"] == eperm
    assert found["AF_PACKET"] == found["AF_NETLINK"] == eperm
    assert found["io_uring_setup"] == eperm
    assert found["AF_UNIX"] == 0 and found["pipe"] == "x"


def test_without_libseccomp_no_query_runs_and_the_reason_is_said(embedded_repo):
    # A real interpreter in which pyseccomp cannot be imported (as where libseccomp is missing).
    script = textwrap.dedent(f"""
        import sys
        sys.modules["pyseccomp"] = None
        from opendata.sparqlexec import ProcessExecutor, QueryFailed
        from opendata.sparqlguard import QueryForm
        executor = ProcessExecutor(lambda: {str(embedded_repo.read_replica())!r}, workers=1,
                                   time_limit=5, memory_limit_mb=512)
        assert executor.idle.empty()               # no query process was started
        try:
            executor.run("ASK {{}}", QueryForm.ASK, "application/sparql-results+json", 1)
        except QueryFailed as exc:
            print(exc.kind, exc)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True, cwd=PROJECT)
    assert done.stdout.startswith("store-error ") and "libseccomp" in done.stdout
