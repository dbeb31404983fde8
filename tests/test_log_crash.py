"""SIGKILL in the middle of an upload leaves the Merkle log agreeing with the store (issue 15:
"kill -9 at 10 moments of a 100,000-row upload: log and store agree every time"; that size is
bench/crash.py's, this is the same at a size a test affords). The log is appended in the
upload's one change set (registry/logstore.py), so a kill leaves both before or both after.
On a remote store the same is checked by tests/test_crash_safety.py, whose kills' problems
include the log's (tests/support/crash_harness.py `hooked_remote_run`)."""

from __future__ import annotations

import shutil

import pytest

from ops.demo import demo_rows, rows_to_csv
from publishing.keys import issue_key
from registry import logstore
from registry.logstore import LogReader
from registry.namespaces import XSD
from registry.store import ChangeSet
from registry.store.embedded import EmbeddedRepository

from .support.crash_harness import (
    full_run,
    hooked_run,
    state,
)
from .support.logagreement import log_disagreements
from .support.stores import BASE, initialised_store

# The runs start real servers that commit hundreds of licences: the other tests yield the CPU.
pytestmark = pytest.mark.serial

_SUSPENDED = {"status": "suspended", "status_reason": "ตรวจพบการฝ่าฝืน"}

# Where the server is killed (tests/support/crash_child.py) and the state the store must hold:
# the log's own moment, the last one before the commit point, the first after it, and the
# moments of the replay (tests/test_crash_safety.py goes through every one for the store).
MOMENTS = (
    ("log:1", "before"),            # log entries, tiles and head being put into the change set
    ("fsync_dir:1", "before"),      # entry marked COMMITTED, still .partial
    ("renamed:1", "after"),         # just past the commit point: nothing applied yet
    ("bulk_load:1", "after"),       # replaced graphs (the log's among them) removed, none loaded
    ("flush:1", "after"),           # payload loaded, not flushed
    ("applied:1", "after"),         # commit done, the answer not yet sent
)
_ADDED, _AMENDED = 250, 50
# Each new or amended licence is one entry, then one for the upload.
_ENTRIES = _ADDED + _AMENDED + 1


@pytest.fixture(scope="module")
def template(tmp_path_factory, catalogue, publish):
    """A store of 300 licences of diw and a key; an upload that amends 50 of them (suspends
    them) and adds 250, so the log (about 300 entries before) crosses a tile's end (256t)."""
    work = tmp_path_factory.mktemp("logcrash")
    store = work / "template"
    repo = initialised_store(store)
    rows = list(demo_rows(catalogue, 300 + _ADDED, agency="diw"))
    publish(repo, rows[:300], "diw")
    key, _ = issue_key(repo, BASE, "diw")
    repo.close()
    changed = [dict(r, **_SUSPENDED) for r in rows[:_AMENDED]]
    body = rows_to_csv(changed + rows[300:]).encode()
    return work, store, key, body


def _log_size(store) -> int:
    repo = EmbeddedRepository(store)
    try:
        return LogReader(repo, BASE).size()
    finally:
        repo.close()


def test_killed_uploads_leave_the_log_agreeing_with_the_store(template):
    work, store, key, body = template
    assert log_disagreements(store, BASE) == []
    before, size_before = state(store), _log_size(store)
    after, _seconds = full_run(store, work, BASE, key, body)
    assert log_disagreements(work / "after", BASE) == []
    assert _log_size(work / "after") == size_before + _ENTRIES
    for n, (point, expected) in enumerate(MOMENTS):
        result, outcome = hooked_run(store, work, BASE, key, body, point, f"k{n}")
        assert "status" not in outcome, f"the kill at {point} did not happen: {outcome}"
        assert result == (before if expected == "before" else after), \
            f"a kill at {point} did not leave the store as {expected} the upload"
        assert log_disagreements(work / f"k{n}", BASE) == [], point
        assert _log_size(work / f"k{n}") == size_before + (
            0 if expected == "before" else _ENTRIES), point
        shutil.rmtree(work / f"k{n}")


def test_a_broken_log_is_found(template, tmp_path):
    """The check finds what it looks for: a head that counts one entry too few (the last
    upload then has no entry, and the stored root is not that of the entries it counts)."""
    _work, store, _key, _body = template
    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    repo = EmbeddedRepository(copy)
    try:
        reader = LogReader(repo, BASE)
        size, root = reader.size(), reader.root()
        head = logstore.head_graph_iri(BASE)
        log = logstore.log_iri(BASE)
        lines = (f'<{log}> <{logstore.TREE_SIZE}> "{size - 1}"^^<{XSD.integer.value}> <{head}> .\n'
                 f'<{log}> <{logstore.ROOT_HASH}> "{logstore.b64(root)}" <{head}> .\n')
        repo.apply(ChangeSet(replace=[head], payload=lines.encode()))
        found = log_disagreements(repo, BASE)
    finally:
        repo.close()
    assert any(f"the log has {size - 1} entries" in problem for problem in found), found
    assert any("0 upload entries" in problem for problem in found), found
    assert any("stored root" in problem for problem in found), found
