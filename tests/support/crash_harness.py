"""Kill the serving process with SIGKILL in the middle of an upload, then check the store.

Used by tests/test_crash_safety.py, tests/test_log_crash.py (small) and bench/crash.py (100,000
rows, 10 kills). The state after reopening must be exactly the state before the upload or
exactly the state after it, once upload ids and timestamps (which differ run to run) are set
aside; the status lists must agree with the records (`lists_disagree`) and so must the Merkle
log (tests/support/logagreement.py `log_disagreements`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from registry.logstore import ROOT_HASH, TILE_HASHES
from registry.namespaces import CLCSTATUS, sparql_prefixes
from registry.statuslist import PURPOSES, StatusList, bits_for, position_for
from registry.statusstore import next_counter, status_list
from registry.store import Repository
from registry.store.embedded import EmbeddedRepository
from registry.store.privacy import BOOKKEEPING_PREFIX
from registry.store.remote import RemoteRepository

from .logagreement import log_disagreements
from .stores import free_port

_PROJECT = Path(__file__).resolve().parents[2]      # `-m tests.support.crash_child` from here
_UPLOAD_ID = re.compile(rb"/upload/\d{8}T\d{6}Z-[0-9a-f]{8}")
_DATETIME = re.compile(rb'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\^\^<http://www.w3.org/2001/XMLSchema#dateTime>')
_UPLOAD_ID_LITERAL = re.compile(rb'"\d{8}T\d{6}Z-[0-9a-f]{8}"')
# The Merkle log's entries (JSON in a literal, its quotes escaped) hold the upload's time, and an
# upload entry the hash of its activity (which holds the upload's id and time): set aside like
# them. The tiles and the root are hashes of those entries, so they differ run to run whole:
# left out here, checked against the entries by tests/support/logagreement.py instead.
_LEAF_TIME = re.compile(rb'\\"time\\":\\"[0-9T:.-]+Z\\"')
_UPLOAD_LEAF_SHA256 = re.compile(rb'(\\"kind\\":\\"upload\\",\\"sha256\\":\\")[0-9a-f]{64}')
_LOG_HASHES = tuple(f"> <{iri}> ".encode() for iri in (TILE_HASHES, ROOT_HASH))  # as predicate


def state(store: Path) -> frozenset[bytes]:
    """The store's content with upload ids and times made neutral (opening it recovers)."""
    repo = EmbeddedRepository(store)
    try:
        assert not any(repo.journal.iterdir()), "recovery left a journal entry"
        data = repo.export_bytes()
    finally:
        repo.close()
    return _neutral(data)


def remote_state(repo: Repository) -> frozenset[bytes]:
    """`state` of a remote store: the main one, as `state` (the private report is committed
    first, on its own: a kill between the two leaves an orphan report, as the pipeline says),
    bookkeeping left out (a killed writer's lease stays until it runs out)."""
    data = repo.export_bytes()
    return frozenset(line for line in _neutral(data) if BOOKKEEPING_PREFIX.encode() not in line)


def _neutral(data: bytes) -> frozenset[bytes]:
    data = _UPLOAD_ID.sub(b"/upload/X", data)
    data = _UPLOAD_ID_LITERAL.sub(b'"X"', data)
    data = _DATETIME.sub(b'"T"', data)
    data = _LEAF_TIME.sub(rb'\\"time\\":\\"T\\"', data)
    data = _UPLOAD_LEAF_SHA256.sub(rb"\1X", data)
    return frozenset(line for line in data.splitlines()
                     if b"_:" not in line and not any(p in line for p in _LOG_HASHES))


class Server:
    """`licence-registry serve` on a store, in its own process group (so SIGKILL takes all)."""

    def __init__(self, store: Path | str, base: str, *, env: dict[str, str] | None = None,
                 workers: int = 2, module: str = "ops.cli"):
        """`store`: an embedded store's folder, or a remote store's URL (its private store's
        URL then comes in `env`, LICENCE_REGISTRY_PRIVATE_STORE_URL)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        store_args = ["--store-url", store] if isinstance(store, str) else ["--store", str(store)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *store_args, "--base-iri", base,
             "serve", "--port", str(self.port), "--threads", "2", "--workers", str(workers),
             "--no-access-log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, **(env or {})}, cwd=_PROJECT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/health", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        """SIGKILL the whole group (gunicorn's master and the worker that owns the store) and
        wait until every process in it is gone, so the store's lock is free."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not _group_running(self.process.pid):
                return
            time.sleep(0.02)
        raise RuntimeError("processes of the killed server are still running")


def _group_running(group: int) -> bool:
    """Whether a process of the group still runs. A zombie has ended (its files, so the
    store's lock, are released): the workers orphaned by the kill stay zombies until the
    machine's init reaps them, which may take a second."""
    proc = Path("/proc")
    if not proc.is_dir():                             # no /proc: ask the kernel for the group
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue                                  # ended meanwhile
        # pid (comm) state ppid pgrp …: comm may hold spaces and brackets, so read after ")"
        state, _ppid, pgrp = text.rpartition(")")[2].split()[:3]
        if int(pgrp) == group and state != "Z":
            return True
    return False


def upload_in_background(url: str, key: str, body: bytes) -> dict:
    outcome: dict = {}

    def send():
        try:
            response = requests.post(url + "/api/v1/uploads", data=body, timeout=600,
                                     headers={"Content-Type": "text/csv",
                                              "Authorization": f"Bearer {key}"})
            outcome["status"] = response.status_code
        except requests.RequestException as exc:
            outcome["error"] = type(exc).__name__

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def full_run(template: Path, work: Path, base: str, key: str, body: bytes
             ) -> tuple[frozenset[bytes], float]:
    """The state after an upload that was not interrupted, and how long the upload took."""
    store = work / "after"
    shutil.copytree(template, store)
    server = Server(store, base)
    try:
        start = time.monotonic()
        outcome = upload_in_background(server.url, key, body)
        outcome["thread"].join()
        seconds = time.monotonic() - start
        assert outcome.get("status") == 200, outcome
    finally:
        server.kill()
    return state(store), seconds


def killed_run(template: Path, work: Path, base: str, key: str, body: bytes,
               delay: float, name: str) -> tuple[frozenset[bytes], dict]:
    """Kill the server `delay` seconds into the upload; the reopened store's state."""
    store = work / name
    shutil.copytree(template, store)
    server = Server(store, base)
    outcome = upload_in_background(server.url, key, body)
    time.sleep(delay)
    server.kill()
    outcome["thread"].join(30)
    return state(store), outcome


def hooked_run(template: Path, work: Path, base: str, key: str, body: bytes,
               point: str, name: str) -> tuple[frozenset[bytes], dict]:
    """Kill the server when its commit of the upload reaches `point` (`name:n`, see
    tests/support/crash_child.py): the same moment in every run. The reopened store's state."""
    store = work / name
    shutil.copytree(template, store)
    server = Server(store, base, env={"CLC_CRASH_AT": point}, module="tests.support.crash_child",
                    workers=1)
    try:
        outcome = upload_in_background(server.url, key, body)
        outcome["thread"].join(300)
    finally:
        server.kill()
    return state(store), outcome


# Every current licence (not an old version): its status and status counter.
_CURRENT = sparql_prefixes("clc", "adms") + """
SELECT ?licence ?status ?counter WHERE {
  GRAPH ?g {
    ?licence clc:version ?version ; adms:status ?status .
    OPTIONAL { ?licence clc:statusCounter ?counter }
    FILTER NOT EXISTS { ?licence clc:supersededByVersion ?next }
  }
}"""


def lists_disagree(store: Path | Repository, base: str) -> list[str]:
    """What in the store's status lists disagrees with its records (empty: they agree): every
    current licence has a position, no two share one, the counter is above all of them, and
    the bits at each position are those of the licence's stored status. `store`: an embedded
    store's folder (opened, so recovered, and closed), or a repository."""
    repo = EmbeddedRepository(store) if isinstance(store, Path) else store
    try:
        prefix = str(CLCSTATUS)
        rows = repo.select(_CURRENT)
        counter_limit = next_counter(repo, base)
        lists: dict[tuple[str, int], StatusList | None] = {}
        problems: list[str] = []
        holders: dict[int, str] = {}
        for row in rows:
            licence, status = row["licence"].value, row["status"].value.removeprefix(prefix)
            if row.get("counter") is None:
                problems.append(f"{licence}: no status position")
                continue
            counter = int(row["counter"].value)
            if counter in holders:
                problems.append(f"{licence} and {holders[counter]} share counter {counter}")
            holders[counter] = licence
            if counter >= counter_limit:
                problems.append(f"{licence}: counter {counter} not below {counter_limit}")
            at = position_for(counter)
            # Exactly the bits of its status: a corrected revocation moved the licence to a
            # fresh position (registry/statusstore.py), so no earlier status leaks in.
            wanted = bits_for(status)
            for purpose in PURPOSES:
                if (purpose, at.number) not in lists:
                    lists[(purpose, at.number)] = status_list(repo, base, purpose, at.number)
                held = lists[(purpose, at.number)]
                bit = held is not None and held.get(at.index)
                if bit != wanted[purpose]:
                    problems.append(f"{licence} ({status}): {purpose} bit {bit}, "
                                    f"record wants {wanted[purpose]}")
        if not rows:
            problems.append("no licence in the store")
        return problems
    finally:
        if isinstance(store, Path):
            repo.close()


def _remote(urls: tuple[str, str]) -> RemoteRepository:
    return RemoteRepository.at(urls[0], 120, private=RemoteRepository.at(urls[1], 120,
                                                                         holds_private=True))


def remote_template_state(urls: tuple[str, str], template: tuple[Path, Path]
                          ) -> frozenset[bytes]:
    """The remote store at `urls` set to `template`, and its `remote_state`: the state before."""
    repo = _remote(urls)
    try:
        repo.replace_all(template[0])
        repo.private.replace_all(template[1])
        return remote_state(repo)
    finally:
        repo.close()


def hooked_remote_run(urls: tuple[str, str], template: tuple[Path, Path], base: str, key: str,
                      body: bytes, point: str | None
                      ) -> tuple[frozenset[bytes], dict, list[str]]:
    """`hooked_run` on the remote store at `urls` (main, private), first set to `template`
    (their N-Quads files); no `point`: the upload is not interrupted. The state after, the
    upload's outcome and what `lists_disagree` and `log_disagreements` find."""
    repo = _remote(urls)
    try:
        repo.replace_all(template[0])
        repo.private.replace_all(template[1])
        env = {"LICENCE_REGISTRY_PRIVATE_STORE_URL": urls[1], "CLC_CRASH_AT": point or ""}
        server = Server(urls[0], base, env=env, module="tests.support.crash_child", workers=1)
        try:
            outcome = upload_in_background(server.url, key, body)
            outcome["thread"].join(300)
        finally:
            server.kill()
        problems = lists_disagree(repo, base) + log_disagreements(repo, base)
        return remote_state(repo), outcome, problems
    finally:
        repo.close()
