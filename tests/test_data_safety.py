"""Data safety (issue 10, item 7): demo data never goes over published records; bad keys are
counted per address even when a valid key comes between them."""

from __future__ import annotations

import stat

import pytest
import requests

from ops.demo import demo_rows, rows_to_csv
from ops.demoload import load_demo_into
from publishing.keys import issue_key
from publishing.ratelimit import FailureLimiter
from registry import identifiers
from registry.bootstrap import init_store
from registry.settings import Settings, load_settings
from registry.store.opening import open_repository
from web.app import create_app
from web.state import state_of

from .support.realserver import RealServer
from .support.stores import BASE

PERMITS = ("SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE { GRAPH ?g { ?l a "
           "<https://schema.org/GovernmentPermit> } }")


def _count(repo) -> int:
    return int(repo.select(PERMITS)[0]["n"].value)


def _agency_upload(settings: Settings, catalogue) -> tuple[bytes, str]:
    """An agency publishes, through the API, one licence that the demo data also holds, with
    its own holder name; the store's export afterwards and the licence's path."""
    row = dict(next(iter(demo_rows(catalogue, 10))), holder_name="บริษัท ของหน่วยงานจริง จำกัด",
               holder_name_en="", holder_type="juristic", holder_id="0105536092641")
    repo = open_repository(settings, create=True)
    try:
        init_store(repo, BASE)
        key, _ = issue_key(repo, BASE, row["issuer"])
        client = create_app(settings, repository=repo).test_client()
        response = client.post("/api/v1/uploads", data=rows_to_csv([row]).encode(),
                               headers={"Content-Type": "text/csv",
                                        "Authorization": f"Bearer {key}"})
        assert response.status_code == 200, response.get_json()
        assert _count(repo) == 1
        return repo.export_bytes(), f"{row['issuer']}/{row['licence_type']}"
    finally:
        repo.close()


def test_demo_data_goes_only_into_a_store_without_licences(tmp_path, catalogue, capsys):
    settings = load_settings({"STORE": str(tmp_path / "store"), "BASE_IRI": BASE}, environ={})
    before, _ = _agency_upload(settings, catalogue)

    load_demo_into(settings, 50)

    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and "not loaded" in said[0] and "1 licence" in said[0], said
    repo = open_repository(settings)
    try:
        assert repo.export_bytes() == before            # byte-identical: nothing written
        assert _count(repo) == 1
    finally:
        repo.close()


def test_demo_data_fills_an_empty_store(tmp_path, capsys):
    settings = load_settings({"STORE": str(tmp_path / "store"), "BASE_IRI": BASE}, environ={})
    load_demo_into(settings, 12)
    assert "12 licences" in capsys.readouterr().out
    repo = open_repository(settings)
    try:
        assert _count(repo) == 12
    finally:
        repo.close()


def test_serve_demo_on_a_store_with_licences_serves_them_unchanged(tmp_path, catalogue):
    settings = load_settings({"STORE": str(tmp_path / "store"), "BASE_IRI": BASE}, environ={})
    before, _ = _agency_upload(settings, catalogue)
    with RealServer(tmp_path, ["--store", "store"], ["--demo", "--demo-count", "20"]) as server:
        assert server.process.poll() is None
    said = [line for line in server.output().splitlines() if "Demo data" in line]
    assert len(said) == 1 and "not loaded" in said[0], server.output()
    repo = open_repository(settings)
    try:
        assert repo.export_bytes() == before
    finally:
        repo.close()


def test_serve_demo_makes_the_signing_key_and_serves_credentials(tmp_path, catalogue):
    """`make demo` as the README has it (`serve --demo`, store ./var/store): the key file is
    made beside the store, mode 0600, and a demo licence's credential is served signed."""
    with RealServer(tmp_path, [], ["--demo", "--demo-count", "5"]) as server:
        row = next(iter(demo_rows(catalogue, 5)))
        path = identifiers.licence_key(row["issuer"], row["licence_type"],
                                       row["licence_number"]).path
        credential = requests.get(f"{server.url}/credential/licence/{path}", timeout=30)
        assert credential.status_code == 200, (credential.text, server.output())
        assert credential.json()["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
        assert requests.get(f"{server.url}/status/revocation/0", timeout=30).status_code == 200
    keys = tmp_path / "var" / "keys" / "signing-keys.json"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert "Signing key file made: " in server.output(), server.output()


class Clock:
    def __init__(self):
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keyed(app, embedded_repo):
    """The app with a failure limiter on an injected clock, and a valid key of `diw`."""
    clock = Clock()
    state_of(app).install(FailureLimiter(max_failures=5, window=60, clock=clock))
    key, _ = issue_key(embedded_repo, BASE, "diw")
    return app.test_client(), key, clock


def _api(client, key: str) -> int:
    return client.get("/api/v1/uploads", headers={"Authorization": f"Bearer {key}"}).status_code


def _page(client, key: str) -> int:
    return client.post("/upload", data={"key": key, "action": "sign-in"}).status_code


@pytest.mark.parametrize("send", [_api, _page], ids=["api", "upload-page"])
def test_a_valid_key_does_not_reset_the_bad_key_count(keyed, send):
    client, key, clock = keyed
    for _ in range(4):
        assert send(client, "clc_guess") == 401
        clock.now += 1
    assert send(client, key) == 200                    # between the bad keys: accepted...
    assert send(client, "clc_guess") == 401            # ...and the fifth bad key still counts
    assert send(client, key) == 429                    # blocked, the valid key too
    assert send(client, "clc_guess") == 429
    clock.now += 61                                    # the window has passed
    assert send(client, key) == 200


def test_interleaved_valid_keys_cannot_keep_a_guesser_going(keyed):
    client, key, clock = keyed
    statuses = []
    for _ in range(10):
        statuses.append(_api(client, "clc_guess"))
        statuses.append(_api(client, key))
    assert statuses[:9] == [401, 200] * 4 + [401]     # the fifth bad key...
    assert set(statuses[9:]) == {429}                 # ...blocks the address, valid key or not
