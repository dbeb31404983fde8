"""Dumps are served from a store given by a relative path, and never with a checksum their bytes
no longer match (issue 10, item 6)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
import requests

from opendata import dumpgen, dumpviews
from opendata.dumpgen import current_manifest, dumps_dir, regenerate
from opendata.dumpschedule import DumpsState
from registry.settings import load_settings
from web.app import create_app
from web.state import state_of

from .support.realserver import RealServer
from .support.stores import BASE

DEADLINE_SECONDS = 120


def test_settings_resolve_relative_paths_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"STORE": "var/store", "DUMPS_DIR": "out/dumps"}, environ={})
    assert settings.store == str(tmp_path / "var" / "store")
    assert settings.dumps_dir == str(tmp_path / "out" / "dumps")
    assert load_settings({}, environ={}).store == str(tmp_path / "var" / "store")
    assert load_settings({}, environ={}).dumps_dir == ""          # still "STORE/dumps"
    monkeypatch.chdir("/")                     # a later change of directory changes nothing
    assert dumps_dir(settings) == tmp_path / "out" / "dumps"


def test_a_store_given_by_a_relative_path_serves_its_dumps(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = create_app({"STORE": "store", "BASE_IRI": BASE})
    repo = state_of(app).repository
    try:
        manifest = regenerate(repo, BASE, dumps_dir(state_of(app).settings))
        client = app.test_client()
        assert "licences.nt.gz" in client.get("/dumps/?format=json").get_data(as_text=True)
        for entry in manifest["files"]:
            response = client.get(f"/dumps/{entry['file']}")
            assert response.status_code == 200, response.get_data(as_text=True)
            assert hashlib.sha256(response.data).hexdigest() == entry["sha256"]
    finally:
        repo.close()


def _wait_for_dumps(url: str) -> dict:
    """The listing once a generation is there and none is running (the first look starts it)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        listing = requests.get(url + "/dumps/?format=json", timeout=10).json()
        if listing["files"] and not listing["regenerating"]:
            return listing
        time.sleep(0.2)
    raise AssertionError(f"no dumps within {DEADLINE_SECONDS} s: {listing}")


def test_make_demo_with_the_default_relative_store_serves_the_dumps(tmp_path):
    """`make demo` as the README has it: `serve --demo`, store ./var/store, in its directory."""
    with RealServer(tmp_path, [], ["--demo", "--demo-count", "5"]) as server:
        listing = _wait_for_dumps(server.url)
        for entry in listing["files"]:
            response = requests.get(server.url + entry["url"], timeout=30)
            assert response.status_code == 200, (response.text, server.output())
            assert hashlib.sha256(response.content).hexdigest() == entry["sha256"]
    assert (tmp_path / "var" / "store" / "dumps" / dumpgen.CURRENT).exists()


def _corrupt_one_byte(path: Path) -> None:
    """Flip one byte in place: same size, same inode (what bit rot or a stray write does)."""
    with open(path, "r+b") as handle:
        handle.seek(os.path.getsize(path) // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0x01]))


@pytest.mark.parametrize("name", ["licences.nt.gz", "licences.ttl", "licences.jsonld"])
def test_a_damaged_dump_is_refused_then_regenerated(app, client, embedded_repo, name):
    folder = dumps_dir(state_of(app).settings)
    manifest = regenerate(embedded_repo, BASE, folder)
    advertised = next(f["sha256"] for f in manifest["files"] if f["file"] == name)
    _corrupt_one_byte(Path(manifest["directory"]) / name)

    for accept in ("application/json", "text/html"):
        refused = client.get(f"/dumps/{name}", headers={"Accept": accept})
        assert refused.status_code == 503
        assert hashlib.sha256(refused.data).hexdigest() != advertised
        assert advertised not in refused.headers.get("ETag", "")
        assert "Repr-Digest" not in refused.headers
        assert int(refused.headers["Retry-After"]) > 0
        if refused.is_json:
            error = refused.get_json()["error"]
            assert error["status"] == 503 and error["code"] == "dump-damaged"
            assert name in error["detail"]
    # A conditional request naming the advertised checksum is not answered 304 either.
    assert client.get(f"/dumps/{name}", headers={"If-None-Match": f'"{advertised}"'}
                      ).status_code == 503

    process = state_of(app).part(DumpsState).process
    assert process is not None, "no regeneration was started"
    process.join(DEADLINE_SECONDS)
    assert process.exitcode == 0
    fresh = current_manifest(folder)
    assert fresh["directory"] != manifest["directory"]
    served = client.get(f"/dumps/{name}")
    assert served.status_code == 200
    assert hashlib.sha256(served.data).hexdigest() == next(
        f["sha256"] for f in fresh["files"] if f["file"] == name)


def test_a_dump_damaged_after_it_was_first_served_is_refused(app, client, embedded_repo):
    folder = dumps_dir(state_of(app).settings)
    manifest = regenerate(embedded_repo, BASE, folder)
    path = Path(manifest["directory"]) / "licences.ttl"
    assert client.get("/dumps/licences.ttl").status_code == 200       # verified and cached
    before = os.stat(path)
    _corrupt_one_byte(path)
    # The write gives the file a new modification time; make sure it differs from the one
    # verified even on a file system with a coarse clock.
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert client.get("/dumps/licences.ttl").status_code == 503


def test_an_intact_dump_is_hashed_once_per_file(app, client, embedded_repo, monkeypatch):
    manifest = regenerate(embedded_repo, BASE, dumps_dir(state_of(app).settings))
    hashed: list[Path] = []
    real = dumpgen.sha256_file
    monkeypatch.setattr(dumpviews, "sha256_file", lambda path: hashed.append(path) or real(path))
    for _ in range(3):
        for entry in manifest["files"]:
            assert client.get(f"/dumps/{entry['file']}").status_code == 200
    assert sorted(p.name for p in hashed) == sorted(f["file"] for f in manifest["files"])
