"""SIGKILL in the middle of an upload leaves the store exactly as before or exactly as after,
with the status lists agreeing with the records (issue 14: "a kill -9 at any moment leaves list
and record agreeing", at 10 moments)."""

from __future__ import annotations

import shutil

import pytest

from ops.demo import demo_rows, rows_to_csv
from publishing.keys import issue_key
from registry.store.embedded import EmbeddedRepository

from .support.crash_harness import (
    full_run,
    hooked_remote_run,
    hooked_run,
    lists_disagree,
    remote_template_state,
    state,
)
from .support.stores import BASE, initialised_store

# The runs start real servers that commit thousands of licences: the other tests yield the CPU.
pytestmark = pytest.mark.serial

_SUSPENDED = {"status": "suspended", "status_reason": "ตรวจพบการฝ่าฝืน"}
_ACTIVE = {"status": "active", "status_reason": ""}
_REVOKED = {"status": "revoked", "status_reason": "ฝ่าฝืนกฎหมายซ้ำ"}

# Where the server is killed (tests/support/crash_child.py: the point's n-th passage in the
# main store's commit) and the state the reopened store must then hold. The commit point is the
# journal entry's rename: every kill before it leaves the store as before, every kill after it
# as after (the entry is replayed when the store is opened).
MOMENTS = (
    ("book:1", "before"),           # status lists being put into the change set
    ("apply:1", "before"),          # change set complete, journal untouched
    ("linked:1", "before"),         # payload linked into the .partial entry
    ("fsync:1", "before"),          # payload, manifest and undo written, not synced
    ("fsync_dir:1", "before"),      # entry marked COMMITTED, still .partial
    ("renamed:1", "after"),         # just past the commit point: nothing applied yet
    ("bulk_load:1", "after"),       # replaced graphs removed from the store, none loaded
    ("flush:1", "after"),           # payload loaded, not flushed
    ("rename:2", "after"),          # applied; the entry not yet dropped
    ("applied:1", "after"),         # commit done, the answer not yet sent
)
# The remote store: the commit is ONE SPARQL Update request, which the store runs whole or not.
REMOTE_MOMENTS = (
    ("book:1", "before"),
    ("log:1", "before"),            # the log's part of the change set being made
    ("apply:1", "before"),          # the request not yet sent
    ("sent_half:1", "before"),      # half its body sent: the store must not run a part of it
    ("posted:1", "after"),          # the store answered; the register had not yet
    ("applied:1", "after"),
)


@pytest.fixture(scope="module")
def template(tmp_path_factory, catalogue, publish):
    """A store with 300 licences of diw (the first 50 suspended) and a key. The upload changes
    both lists: it reinstates those 50, suspends 50, revokes 50 and adds 1,000 (some of them
    suspended, revoked or surrendered, as demo rows are)."""
    work = tmp_path_factory.mktemp("crash")
    store = work / "template"
    repo = initialised_store(store)
    rows = list(demo_rows(catalogue, 1300, agency="diw"))
    held = [dict(r, **_SUSPENDED) for r in rows[:50]] + [dict(r, **_ACTIVE) for r in rows[50:150]]
    publish(repo, held + rows[150:300], "diw")
    key, _ = issue_key(repo, BASE, "diw")
    repo.close()
    changed = ([dict(r, **_ACTIVE) for r in rows[:50]]
               + [dict(r, **_SUSPENDED) for r in rows[50:100]]
               + [dict(r, **_REVOKED) for r in rows[100:150]])
    body = rows_to_csv(changed + rows[300:]).encode()
    return work, store, key, body


def test_killed_uploads_leave_before_or_after_with_lists_agreeing(template):
    work, store, key, body = template
    assert lists_disagree(store, BASE) == []
    before = state(store)
    after, _seconds = full_run(store, work, BASE, key, body)
    assert before != after
    assert lists_disagree(work / "after", BASE) == []
    for n, (point, expected) in enumerate(MOMENTS):
        result, outcome = hooked_run(store, work, BASE, key, body, point, f"k{n}")
        assert "status" not in outcome, f"the kill at {point} did not happen: {outcome}"
        assert result == (before if expected == "before" else after), \
            f"a kill at {point} did not leave the store as {expected} the upload"
        assert lists_disagree(work / f"k{n}", BASE) == [], point
        shutil.rmtree(work / f"k{n}")


@pytest.mark.remote
def test_killed_uploads_on_a_remote_store_leave_before_or_after(template, oxigraph_servers):
    work, store, key, body = template
    dumps = (work / "main.nq", work / "private.nq")
    repo = EmbeddedRepository(store)
    try:
        dumps[0].write_bytes(repo.export_bytes())
        dumps[1].write_bytes(repo.private.export_bytes())
    finally:
        repo.close()
    before = remote_template_state(oxigraph_servers, dumps)
    after, outcome, problems = hooked_remote_run(oxigraph_servers, dumps, BASE, key, body, None)
    assert outcome.get("status") == 200 and problems == [], (outcome, problems)
    assert before != after
    for point, expected in REMOTE_MOMENTS:
        result, outcome, problems = hooked_remote_run(oxigraph_servers, dumps, BASE, key, body,
                                                      point)
        assert "status" not in outcome, f"the kill at {point} did not happen: {outcome}"
        assert result == (before if expected == "before" else after), \
            f"a kill at {point} did not leave the remote store as {expected} the upload"
        assert problems == [], (point, problems)
