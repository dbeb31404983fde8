"""SIGKILL in the middle of an upload leaves the store exactly as before or exactly as after."""

from __future__ import annotations

import shutil

import pytest

from ops.demo import demo_rows, rows_to_csv
from publishing.keys import issue_key

from .support.crash_harness import full_run, killed_run, state
from .support.stores import BASE, initialised_store

# The kills are timed from an upload's duration: the other tests yield the CPU to it, or a
# machine they loaded in some runs and not others would move the kills.
pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def template(tmp_path_factory, catalogue, publish):
    """A store with 300 licences of diw and a key; the upload amends 100 and adds 2,000."""
    work = tmp_path_factory.mktemp("crash")
    store = work / "template"
    repo = initialised_store(store)
    rows = list(demo_rows(catalogue, 2300, agency="diw"))
    publish(repo, rows[:300], "diw")
    key, _ = issue_key(repo, BASE, "diw")
    repo.close()
    amended = [dict(r, status="suspended", status_reason="ตรวจพบการฝ่าฝืน") for r in rows[:100]]
    body = rows_to_csv(amended + rows[300:]).encode()
    return work, store, key, body


def test_killed_uploads_leave_before_or_after(template):
    work, store, key, body = template
    before = state(store)
    after, seconds = full_run(store, work, BASE, key, body)
    assert before != after
    outcomes = []
    for n, fraction in enumerate((0.2, 0.5, 0.7, 0.85, 0.95)):
        result, outcome = killed_run(store, work, BASE, key, body, seconds * fraction, f"k{n}")
        assert result in (before, after), \
            f"a kill {fraction:.0%} into the upload left a third state"
        outcomes.append(("before" if result == before else "after", "status" in outcome))
        shutil.rmtree(work / f"k{n}")
    # The kills hit the upload itself: some while the request was still open, and they left
    # both outcomes (not all before it started, nor all after it finished).
    assert any(not answered for _, answered in outcomes), outcomes
    assert {state for state, _ in outcomes} == {"before", "after"}, outcomes
