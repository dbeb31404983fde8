"""Two web processes against one remote store (issue 17 item 4; docs/deployment.md, topology):
two real `licence-registry serve` processes, each as on a machine of its own, in front of ONE
`oxigraph serve` main store and its private store. Several agencies upload batches through both
processes at once — two uploaders per agency amending some of the same licences, starting on
different processes and alternating — while readers resolve /id/, read /doc/ (HTML and Turtle)
and POST /api/v1/check through both.

What must hold: no answer is a 5xx or a broken connection; every upload is accepted exactly once
(its own upload id, every licence in it a new version); afterwards no update was lost — each
licence has one version per upload that touched it, numbered 1…n in log order, and its current
state is the last of those uploads (its conditions text); the public log holds one entry per
version and per upload (/log/checkpoint size, /api/v1/changes) and `log verify` agrees; and both
processes answer every one of those questions identically.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest
import requests

from ops.demo import rows_to_csv
from registry import identifiers

from .support.builders import key_of, licence_path, rows_of
from .support.realserver import RealServer
from .support.stores import BASE
from .support.webcluster import WebCluster, started_cluster

pytestmark = pytest.mark.remote

AGENCIES = ("diw", "fda", "doa")
LICENCES_EACH = 6               # per agency
# The two uploaders of each agency: the licences each sends and the process it starts on. The
# middle two licences are amended by both at once, through different processes.
UPLOADERS = {"A": (slice(0, 4), 0), "B": (slice(2, 6), 1)}
ROUNDS = 3                      # uploads per uploader
READERS = 3
TIMEOUT = 120                   # seconds for one request (an upload may wait for the lease)


@dataclass
class Upload:
    agency: str
    label: str                  # the conditions text every licence of the upload gets
    keys: list[identifiers.LicenceKey]
    through: int                # which process took it
    upload_id: str = ""


@dataclass
class Outcomes:
    """What the threads saw: every upload answered, every bad answer (none may be)."""

    uploads: list[Upload] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    reads: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrong(self, what: str) -> None:
        with self.lock:
            self.bad.append(what)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The stores, initialised, and two web processes in front of them."""
    with ExitStack() as stack:
        cluster = started_cluster(tmp_path_factory.mktemp("two-web"), stack)
        for n in (1, 2):
            cluster.start_web(f"machine-{n}", "--threads", "4", CHECK_RATE_LIMIT="100000")
        yield cluster


def _rows(catalogue) -> dict[str, list[dict[str, str]]]:
    """LICENCES_EACH licences of each agency, active, without related licences."""
    return {agency: [dict(r, status="active", status_reason="", related_licences="")
                     for r in rows_of(catalogue, agency, LICENCES_EACH, seed=17)]
            for agency in AGENCIES}


def _upload(session: requests.Session, server: RealServer, key: str,
            rows: list[dict[str, str]]) -> requests.Response:
    return session.post(server.url + "/api/v1/uploads", data=rows_to_csv(rows).encode(),
                        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {key}"},
                        timeout=TIMEOUT)


def _uploader(cluster: WebCluster, key: str, agency: str, rows: list[dict[str, str]],
              name: str, first: int, start: threading.Barrier, seen: Outcomes) -> None:
    """ROUNDS uploads of `rows`, each with a conditions text of its own, through the two
    processes in turn (starting with process `first`)."""
    session = requests.Session()
    start.wait()
    for round_ in range(ROUNDS):
        through = (first + round_) % len(cluster.servers)
        label = f"{agency} {name} round {round_}"
        batch = [dict(r, conditions=label) for r in rows]
        upload = Upload(agency, label, [key_of(r) for r in batch], through)
        try:
            response = _upload(session, cluster.servers[through], key, batch)
        except requests.RequestException as exc:
            seen.wrong(f"upload {label}: {exc!r}")
            continue
        if response.status_code != 200:
            seen.wrong(f"upload {label}: {response.status_code} {response.text[:300]}")
            continue
        body = response.json()
        if (body["created"], body["updated"], body["unchanged"]) != (0, len(batch), 0):
            seen.wrong(f"upload {label}: every licence not a new version: {body}")
            continue
        upload.upload_id = body["upload_id"]
        with seen.lock:
            seen.uploads.append(upload)


READS = {"id": 303, "html": 200, "ttl": 200, "check": 200}     # what each read must answer


def _read(session: requests.Session, server: RealServer, key: identifiers.LicenceKey,
          kind: str) -> requests.Response:
    """Resolve the licence's IRI, read its page (HTML or Turtle) or check it."""
    if kind == "id":
        return session.get(server.url + licence_path("id", key), timeout=TIMEOUT,
                           allow_redirects=False)
    if kind == "check":
        return session.post(server.url + "/api/v1/check", timeout=TIMEOUT,
                            json=[identifiers.licence_iri(BASE, key)])
    accept = {"html": "text/html", "ttl": "text/turtle"}[kind]
    return session.get(server.url + licence_path("doc", key), headers={"Accept": accept},
                       timeout=TIMEOUT)


def _reader(cluster: WebCluster, keys: list[identifiers.LicenceKey], offset: int,
            done: threading.Event, seen: Outcomes) -> None:
    """Until the uploads are done (one round at least): resolve, read and check licences
    through both processes."""
    session = requests.Session()
    for n in itertools.count(offset):
        server = cluster.servers[n % len(cluster.servers)]
        key = keys[n % len(keys)]
        for kind, expected in READS.items():
            try:
                response = _read(session, server, key, kind)
            except requests.RequestException as exc:
                seen.wrong(f"{kind} {key.path} via {server.url}: {exc!r}")
                continue
            if response.status_code != expected:
                seen.wrong(f"{kind} {key.path} via {server.url}: {response.status_code} "
                           f"{response.text[:300]}")
            elif kind == "check" and not response.json()["results"][0]["found"]:
                seen.wrong(f"check {key.path} via {server.url}: not found")
            with seen.lock:
                seen.reads[kind] += 1
        if done.is_set():
            return


def _changes(session: requests.Session, server: RealServer) -> list[dict]:
    """Every licence change the log holds, page after page."""
    out: list[dict] = []
    after = None
    while True:
        params = {"limit": "50"} if after is None else {"limit": "50", "after": str(after)}
        response = session.get(server.url + "/api/v1/changes", params=params, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        out += [json.loads(line) for line in response.text.splitlines() if line]
        if "next" not in response.links:
            return out
        after = int(response.headers["X-Next-After"])


def _checkpoint_size(session: requests.Session, server: RealServer) -> tuple[int, str]:
    response = session.get(server.url + "/log/checkpoint", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return int(response.text.splitlines()[1]), response.text


def test_two_processes_take_concurrent_uploads_and_reads_without_losing_any(cluster, catalogue):
    rows = _rows(catalogue)
    keys = {agency: cluster.cli("agency-key", agency).strip() for agency in AGENCIES}
    session = requests.Session()
    # Every licence exists before the readers start (version 1), each agency through a process.
    for n, agency in enumerate(AGENCIES):
        response = _upload(session, cluster.servers[n % 2], keys[agency], rows[agency])
        assert response.status_code == 200, response.text
        assert response.json()["created"] == LICENCES_EACH
    seeded_size, _ = _checkpoint_size(session, cluster.servers[0])
    assert seeded_size == len(AGENCIES) * (LICENCES_EACH + 1)      # versions, then the upload

    seen, done = Outcomes(), threading.Event()
    uploaders = [(agency, name, part, first) for agency in AGENCIES
                 for name, (part, first) in UPLOADERS.items()]
    start = threading.Barrier(len(uploaders))
    every_key = [key_of(r) for agency in AGENCIES for r in rows[agency]]
    threads = [threading.Thread(target=_uploader, args=(
        cluster, keys[agency], agency, rows[agency][part], name, first, start, seen))
        for agency, name, part, first in uploaders]
    readers = [threading.Thread(target=_reader, args=(cluster, every_key, n, done, seen))
               for n in range(READERS)]
    for thread in threads + readers:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()

    assert seen.bad == []
    assert len(seen.uploads) == len(uploaders) * ROUNDS
    assert len({u.upload_id for u in seen.uploads}) == len(seen.uploads)     # each once
    assert {u.through for u in seen.uploads} == {0, 1}
    assert min(seen.reads[kind] for kind in READS) >= READERS, seen.reads

    # No lost update: one version per upload that touched the licence, in log order, 1…n, the
    # last one the licence's current state; the log holds each version and each upload once.
    by_id = {u.upload_id: u for u in seen.uploads}
    touches = Counter(k for u in seen.uploads for k in u.keys)
    assert max(touches.values()) == len(UPLOADERS) * ROUNDS       # amended from both at once
    versions = sum(touches.values())
    feeds = [_changes(session, server) for server in cluster.servers]
    assert feeds[0] == feeds[1]
    changes = [c for c in feeds[0] if c["index"] >= seeded_size]
    assert len(changes) == versions
    numbered: dict[str, list[int]] = defaultdict(list)
    made_by: dict[str, list[str]] = defaultdict(list)
    for change in changes:
        numbered[change["licence"]].append(change["version"])
        made_by[change["licence"]].append(change["upload"].rsplit("/", 1)[1])
    total = seeded_size + versions + len(seen.uploads)
    (size, note), other = (_checkpoint_size(session, server) for server in cluster.servers)
    assert (size, note) == other                    # the same signed checkpoint from both
    assert size == total
    for key in every_key:
        iri = identifiers.licence_iri(BASE, key)
        assert numbered[iri] == list(range(2, touches[key] + 2)), key.path
        assert sorted(made_by[iri]) == sorted(u.upload_id for u in seen.uploads
                                              if key in u.keys), key.path
        winner = by_id[made_by[iri][-1]]
        _current_state_is(session, cluster, key, winner.label, touches[key] + 1,
                          max(c["index"] for c in changes if c["licence"] == iri))
    all_uploads = len(AGENCIES) + len(seen.uploads)
    all_versions = total - all_uploads
    assert cluster.cli("log", "verify").startswith(
        f"Log verified: {total} entries ({all_versions} versions, {all_uploads} uploads, "
        "0 key rotations)")


def _current_state_is(session: requests.Session, cluster: WebCluster,
                      key: identifiers.LicenceKey, label: str, version: int,
                      log_index: int) -> None:
    """Both processes serve the licence's Turtle identically, with the winning upload's
    conditions, and check it at `version` with `log_index`."""
    turtles, checks = [], []
    for server in cluster.servers:
        response = _read(session, server, key, "ttl")
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("text/turtle")
        turtles.append(response.text)
        response = _read(session, server, key, "check")
        assert response.status_code == 200, response.text
        checks.append(response.json()["results"])
    assert turtles[0] == turtles[1]
    assert f'"{label}"' in turtles[0]
    assert checks[0] == checks[1]
    assert (checks[0][0]["version"], checks[0][0]["log_index"]) == (version, log_index)
