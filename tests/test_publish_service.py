"""publishing/service.py `publish()` on a real embedded store, without Flask: what the upload
API, the upload page and `licence-registry load` all go through."""

from __future__ import annotations

import pytest

from ops.demo import demo_rows, rows_to_csv
from publishing.service import (
    DuplicateAcrossUploads,
    UnreadableUpload,
    Upload,
    publish,
)
from registry.bootstrap import load_catalogue
from registry.errors import InvalidUpload, OutOfScope, UnsupportedMediaType
from registry.events import licences_committed
from registry.settings import load_settings

from .support.stores import BASE


@pytest.fixture
def settings(embedded_repo):
    return load_settings({"STORE": str(embedded_repo.path), "BASE_IRI": BASE}, environ={})


@pytest.fixture
def signals():
    """Every licences_committed sent while the test runs: (sender, settings)."""
    sent: list[tuple[object, object]] = []

    def receiver(sender, *, settings, **_):
        sent.append((sender, settings))

    with licences_committed.connected_to(receiver):
        yield sent


def _csv(catalogue, agency: str, count: int) -> bytes:
    return rows_to_csv(list(demo_rows(catalogue, count, agency=agency))).encode()


def _stored(repo) -> tuple[bytes, bytes]:
    """Everything in the store and in its private store."""
    return repo.export_bytes(), repo.private.export_bytes()


def _publish(repo, settings, uploads, **given):
    return publish(repo, base=BASE, catalogue=lambda: load_catalogue(repo), agency="diw",
                   uploads=uploads, sender=None, settings=settings, **given)


def test_a_dry_run_checks_and_writes_nothing(embedded_repo, settings, signals, catalogue):
    before = _stored(embedded_repo)
    published = _publish(embedded_repo, settings, Upload("text/csv", _csv(catalogue, "diw", 5)),
                         dry_run=True)
    assert published.dry_run and published.result is None
    assert (published.rows, published.licences) == (5, 5)
    assert published.as_json() == {"dry_run": True, "valid": True, "rows": 5, "licences": 5,
                                   "problems": published.problems,
                                   "summary": published.as_json()["summary"]}
    assert _stored(embedded_repo) == before
    assert signals == []


def test_a_commit_sends_the_signal_once_with_the_sender(embedded_repo, settings, signals,
                                                        catalogue):
    published = _publish(embedded_repo, settings, Upload("text/csv", _csv(catalogue, "diw", 5)))
    assert not published.dry_run and published.result is not None
    assert (published.result.created, published.result.updated) == (5, 0)
    assert published.as_json()["upload_id"] == published.result.upload_id
    assert signals == [(None, settings)]
    again = _publish(embedded_repo, settings, Upload("text/csv", _csv(catalogue, "diw", 5)))
    assert again.result is not None and again.result.unchanged == 5
    assert len(signals) == 2                       # every commit, even one that changed nothing


def test_out_of_scope_raises_and_writes_nothing(embedded_repo, settings, signals, catalogue):
    before = _stored(embedded_repo)
    with pytest.raises(OutOfScope) as refused:
        _publish(embedded_repo, settings, Upload("text/csv", _csv(catalogue, "dot", 3)))
    problems = refused.value.extra["problems"]
    assert problems and all(p["rule"] == "issuer-scope" for p in problems
                            if p["severity"] == "Violation")
    assert _stored(embedded_repo) == before
    assert signals == []


def test_a_refused_media_type_reads_neither_body_nor_catalogue(embedded_repo, settings):
    def unread():
        raise AssertionError("read")

    with pytest.raises(UnsupportedMediaType) as refused:
        publish(embedded_repo, base=BASE, catalogue=unread, agency="diw",
                uploads=Upload("application/xml", unread), sender=None, settings=settings)
    assert "text/csv" in refused.value.extra["accepted"]


def test_an_unreadable_body_is_one_problem_in_the_api_shape(embedded_repo, settings):
    with pytest.raises(UnreadableUpload) as refused:
        _publish(embedded_repo, settings,
                 Upload("text/csv", "เลขที่\n1\n".encode("utf-16"), name="a.csv"))
    assert refused.value.name == "a.csv" and "UTF-8" in refused.value.en
    [problem] = refused.value.extra["problems"]
    assert problem["rule"] == "csv" and set(problem) == {"row", "field", "rule", "severity",
                                                         "message"}


def test_violations_and_duplicates_across_files(embedded_repo, settings, catalogue):
    rows = list(demo_rows(catalogue, 4, agency="diw"))
    broken = rows_to_csv([dict(rows[0], valid_until="31/02/2570")]).encode()
    with pytest.raises(InvalidUpload) as refused:
        _publish(embedded_repo, settings, Upload("text/csv", broken))
    assert refused.value.detail.startswith(
        "1 problem(s) in 1 row(s): 1 × Date format (expiry date) in valid_until (date-format; "
        "row 2).")
    seen = []
    twice = [Upload("text/csv", rows_to_csv(rows[:2]).encode(), name="a.csv"),
             Upload("text/csv", rows_to_csv(rows[1:]).encode(), name="b.csv")]
    assert _publish(embedded_repo, settings, twice, dry_run=True).licences == 5
    before = _stored(embedded_repo)
    with pytest.raises(DuplicateAcrossUploads):
        _publish(embedded_repo, settings, twice, on_checked=seen.append)
    assert [list(reports) for reports in seen] == [["a.csv", "b.csv"]]
    assert _stored(embedded_repo) == before


def test_cli_load_publishes_and_marks_the_dumps_stale_once(runner, tmp_path, catalogue, signals):
    """`load` goes through publish() with no sender: opendata follows the signal and marks the
    dumps stale (the web service regenerates them at its next look); a dry run does not."""
    from opendata.dumpgen import PENDING

    pending = runner.store / "dumps" / PENDING
    assert runner.invoke("init").exit_code == 0
    pending.unlink()
    good = tmp_path / "good.csv"
    good.write_bytes(_csv(catalogue, "diw", 3))
    assert runner.invoke("load", str(good), "--agency", "diw", "--dry-run").exit_code == 0
    assert not pending.exists() and signals == []
    loaded = runner.invoke("load", str(good), "--agency", "diw")
    assert loaded.exit_code == 0 and "3 created" in loaded.output
    assert pending.exists()
    [(sender, settings)] = signals
    assert sender is None and settings is not None
