"""GET /api/v1/changes (opendata/changesfeed.py, registry/changelist.py): the cursor, paging,
skipped upload and key entries, caching of full and partial pages, statuses on the day
recorded, CORS, and the refusals of bad parameters."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ops.demo import rows_to_csv
from registry import changelist, logleaf, logstore
from registry.logsigning import CheckpointSigner, log_signing_keys
from registry.signingkeys import timestamp
from registry.store import Repository
from web.app import create_app

from .support.builders import agency_key, post_upload, rows_of
from .support.publish import dumps_made
from .support.sharedstores import copy_of_store
from .support.stores import BASE

pytestmark = pytest.mark.filterwarnings("error")

LIMIT = changelist.MAX_LIMIT


# -- the page arithmetic (pure) -----------------------------------------------------------------

@pytest.mark.parametrize(("after", "limit", "size", "expected"), [
    (None, 10, 0, changelist.Window(0, 0, 0, False)),      # empty log: send 0 back
    (0, 10, 0, changelist.Window(0, 0, 0, False)),
    (None, 10, 1, changelist.Window(0, 1, 0, False)),
    (0, 10, 1, changelist.Window(0, 1, 0, False)),         # after=0 starts AT entry 0
    (None, 3, 10, changelist.Window(0, 3, 2, True)),
    (2, 3, 10, changelist.Window(3, 6, 5, True)),
    (5, 3, 10, changelist.Window(6, 9, 8, True)),
    (8, 3, 10, changelist.Window(9, 10, 9, False)),        # the last, partial page
    (9, 3, 10, changelist.Window(10, 10, 9, False)),       # after = last index: nothing, stay
    (6, 3, 10, changelist.Window(7, 10, 9, True)),         # full, and ends at the log's end
    (None, 1000, 5000, changelist.Window(0, 1000, 999, True)),
])
def test_window(after, limit, size, expected):
    assert changelist.window(after, limit, size) == expected


@pytest.mark.parametrize(("after", "limit", "size", "parameter", "rule"), [
    (10, 3, 10, "after", "after_beyond"),
    (1, 3, 0, "after", "after_beyond"),
    (-1, 3, 10, "after", "after_negative"),
    (None, 0, 10, "limit", "limit_range"),
    (None, 1001, 10, "limit", "limit_range"),
])
def test_window_refusals(after, limit, size, parameter, rule):
    with pytest.raises(changelist.CursorError) as refused:
        changelist.window(after, limit, size)
    assert (refused.value.parameter, refused.value.rule) == (parameter, rule)


@pytest.mark.parametrize(("stored", "until", "time", "status"), [
    ("active", "2026-01-10", "2026-01-10T16:59:59Z", "active"),    # 23:59 on the 10th in Bangkok
    ("active", "2026-01-10", "2026-01-10T17:00:00Z", "expired"),   # 00:00 on the 11th
    ("active", None, "2099-01-01T00:00:00Z", "active"),
    ("revoked", "2020-01-01", "2026-01-10T00:00:00Z", "revoked"),  # stronger news than expiry
    ("suspended", "2030-01-01", "2026-01-10T00:00:00Z", "suspended"),
])
def test_status_on_the_day_recorded(stored, until, time, status):
    assert changelist.day_status(stored, until, time) == status


# -- the route over a real store ----------------------------------------------------------------

CLOCK_DAY = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def register(tmp_path_factory, initialised_template, catalogue):
    """Two uploads of diw (5, then 3 licences and 1 amended) and a key rotation entry at the
    end: 5 + 1 + 4 + 1 + 1 = 12 entries."""
    repo = copy_of_store(initialised_template, tmp_path_factory.mktemp("feed") / "store")
    app = create_app({"STORE": str(repo.path), "BASE_IRI": BASE}, repository=repo,
                     clock=lambda: CLOCK_DAY)
    client = app.test_client()
    key = agency_key(repo, "diw")
    rows = rows_of(catalogue, "diw", 8, seed=7)
    first = post_upload(client, rows_to_csv(rows[:5]), key)
    assert first.status_code == 200, first.get_json()
    amended = {**rows[0], "status": "suspended", "status_reason": "ตรวจพบการฝ่าฝืน"}
    second = post_upload(client, rows_to_csv([amended, *rows[5:]]), key)
    assert second.status_code == 200, second.get_json()
    _append_key_leaf(tmp_path_factory.mktemp("feedkeys") / "keys", repo)
    yield app, repo
    dumps_made(app)             # the dumps the uploads started are written before the store goes
    repo.close()


def _append_key_leaf(folder: Path, repo: Repository) -> None:
    """A key rotation announced in the log, as `log rotate-key` announces it."""
    when = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    folder.mkdir(mode=0o700)
    keys = log_signing_keys(folder / "log-keys.json")
    keys.ensure(when)
    signer = CheckpointSigner(keys, BASE)
    previous = signer.keys.current_key()
    new = signer.keys.rotate(when + dt.timedelta(days=1))

    def leaves(first: int) -> list[bytes]:
        return [logleaf.leaf_bytes(signer.key_leaf(first, previous, new, timestamp(when)))]
    logstore.append_leaves(repo, BASE, leaves)


def _lines(response) -> list[dict]:
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def _kinds(repo: Repository) -> list[str]:
    reader = logstore.LogReader(repo, BASE)
    return [logleaf.parse_leaf(leaf).kind for leaf in reader.entries(0, reader.size())]


def test_the_log_holds_what_the_tests_expect(register):
    _, repo = register
    kinds = _kinds(repo)
    assert kinds == ["licence-version"] * 5 + ["upload"] + ["licence-version"] * 4 \
        + ["upload", "key"]


def test_every_version_in_log_order_with_its_fields(register):
    app, repo = register
    response = app.test_client().get("/api/v1/changes")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-ndjson; charset=utf-8"
    lines = _lines(response)
    assert [line["index"] for line in lines] == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert response.headers["X-Next-After"] == "11"        # past the upload and key entries
    first = lines[0]
    assert set(first) == {"index", "licence", "iri", "version", "status", "valid_until", "time",
                          "upload", "sha256", "record"}
    assert first["iri"] == first["licence"]
    amended = next(line for line in lines[5:] if line["licence"] == first["licence"])
    assert (first["version"], amended["version"]) == (1, 2)
    assert amended["status"] == "suspended"
    assert amended["record"].startswith(BASE + "/doc/licence/")
    assert amended["record"].endswith("?version=2&format=nt")
    leaves = logstore.LogReader(repo, BASE).entries(0, 12)
    for line in lines:
        leaf = logleaf.parse_leaf(leaves[line["index"]])
        assert (line["licence"], line["version"], line["time"], line["upload"],
                line["sha256"]) == (leaf.licence, leaf.version, leaf.time, leaf.upload,
                                    leaf.sha256)


def test_record_is_that_version_as_rdf(register):
    app, _ = register
    client = app.test_client()
    for line in _lines(client.get("/api/v1/changes")):
        record = client.get(line["record"][len(BASE):])
        assert record.status_code == 200
        assert record.mimetype == "application/n-triples"
        version = f'<https://w3id.org/clc/def#version> "{line["version"]}"'
        assert version in record.get_data(as_text=True)


@pytest.mark.parametrize(("query", "first", "next_after"), [
    ("", 0, "11"), ("?after=0", 0, "11"), ("?after=1", 2, "11"), ("?after=4", 6, "11"),
    ("?after=10", None, "11"), ("?after=11", None, "11"),
    ("?limit=5", 0, "4"), ("?after=4&limit=2", 6, "6"), ("?after=5&limit=1", 6, "6"),
    ("?after=9&limit=1", None, "10"),                       # entry 10 is an upload: no line
])
def test_cursor(register, query, first, next_after):
    app, _ = register
    response = app.test_client().get("/api/v1/changes" + query)
    assert response.status_code == 200
    lines = _lines(response)
    assert (lines[0]["index"] if lines else None) == first
    assert response.headers["X-Next-After"] == next_after


def test_small_pages_follow_on_without_gaps_or_repeats(register):
    app, _ = register
    client = app.test_client()
    everything = [line["index"] for line in _lines(client.get("/api/v1/changes"))]
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" if cursor is None else f"?after={cursor}&limit=2"
        response = client.get("/api/v1/changes" + query)
        pages += 1
        seen += [line["index"] for line in _lines(response)]
        cursor = int(response.headers["X-Next-After"])
        if "Link" not in response.headers:
            break
        assert response.headers["Link"] == \
            f'<{BASE}/api/v1/changes?after={cursor}&limit=2>; rel="next"'
    assert seen == everything
    assert pages == 7           # six full pages of 2 (12 entries), then an empty one
    assert cursor == 11


@pytest.mark.parametrize(("query", "parameter"), [
    ("?after=-1", "after"), ("?after=1.5", "after"), ("?after=x", "after"),
    ("?after=12", "after"), ("?after=99999999999", "after"), ("?after=1&after=2", "after"),
    ("?limit=0", "limit"), ("?limit=1001", "limit"), ("?limit=-3", "limit"),
    ("?limit=ten", "limit"),
])
def test_bad_parameters_are_400_naming_them(register, query, parameter):
    app, _ = register
    response = app.test_client().get("/api/v1/changes" + query,
                                     headers={"Accept": "application/json"})
    assert response.status_code == 400
    body = response.get_json()["error"]
    assert (body["code"], body["parameter"]) == ("bad-request", parameter)
    assert set(body["message"]) == {"th", "en"} and all(body["message"].values())


def test_full_pages_are_immutable_and_the_last_is_revalidated(register):
    app, _ = register
    client = app.test_client()
    full = client.get("/api/v1/changes?limit=4")
    assert full.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    partial = client.get("/api/v1/changes?after=7&limit=10")
    assert partial.headers["Cache-Control"] == "public, max-age=10"
    etag = partial.headers["ETag"]
    assert etag.startswith('"')                     # strong
    again = client.get("/api/v1/changes?after=7&limit=10", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["X-Next-After"] == "11"
    other = client.get("/api/v1/changes?after=6&limit=10", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_the_last_page_tag_changes_when_the_log_grows(tmp_path, initialised_template, catalogue):
    repo = copy_of_store(initialised_template, tmp_path / "store")
    try:
        client = create_app({"STORE": str(repo.path), "BASE_IRI": BASE},
                            repository=repo).test_client()
        empty = client.get("/api/v1/changes")
        assert (empty.status_code, empty.get_data(), empty.headers["X-Next-After"]) == \
            (200, b"", "0")
        key = agency_key(repo, "diw")
        assert post_upload(client, rows_to_csv(rows_of(catalogue, "diw", 2)), key) \
            .status_code == 200
        dumps_made(client.application)
        grown = client.get("/api/v1/changes", headers={"If-None-Match": empty.headers["ETag"]})
        assert grown.status_code == 200
        assert [line["index"] for line in _lines(grown)] == [0, 1]
        assert grown.headers["X-Next-After"] == "2"
    finally:
        repo.close()


def test_status_is_the_one_on_the_day_recorded_not_today(register):
    """The app's clock is far in the future: lines still say what held on the day recorded."""
    app, repo = register
    later = create_app({"STORE": str(repo.path), "BASE_IRI": BASE}, repository=repo,
                       clock=lambda: dt.date(2200, 1, 1))
    now = _lines(app.test_client().get("/api/v1/changes"))
    then = _lines(later.test_client().get("/api/v1/changes"))
    assert now == then
    assert any(line["valid_until"] for line in now)


def test_open_to_other_origins(register):
    app, _ = register
    response = app.test_client().get("/api/v1/changes?limit=2",
                                     headers={"Origin": "https://agency.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "X-Next-After" in exposed and "Link" in exposed
