"""Purging nginx's cache of /doc/ and /id/ on commit (web/cachepurge.py, docs/deployment.md).

The real test runs Debian's nginx (`nginx-light` + `libnginx-mod-http-lua`, skipped without
them unless CI=true) on loopback with the Lua code of the deployment document, in front of the
app on a loopback WSGI server, and shows: licence pages are served from the cache (Thai numbers
too); after an amending upload through the API the next request of every variant misses and
shows the new status, and so does the page of a licence that requires the amended one; other
licences stay cached; a listener that is down never fails the upload.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from werkzeug.serving import make_server

from ops.demo import demo_rows, rows_to_csv
from registry import identifiers
from registry.settings import SettingsError, load_settings
from tests.support import nginxcache
from tests.support.builders import app_over, licence_path
from tests.support.publish import dumps_made
from tests.support.stores import BASE, free_port
from web import cachepurge

DOCS = Path(__file__).parents[1] / "docs" / "deployment.md"
THAI_NUMBER = "จ3-106-12/2560"


def _key(issuer: str, licence_type: str, number: str) -> identifiers.LicenceKey:
    return identifiers.LicenceKey(issuer, licence_type, number)


# ---------------------------------------------------------------- the purge paths, as a table

@pytest.mark.parametrize(("key", "doc_path"), [
    (_key("diw", "factory-operation", "12/2567"),
     "/purge/doc/licence/diw/factory-operation/12/2567%7C"),
    (_key("diw", "factory-operation", THAI_NUMBER),          # Thai letter: UTF-8, encoded
     "/purge/doc/licence/diw/factory-operation/%E0%B8%883-106-12/2560%7C"),
    (_key("fda", "food-production", "10 1 12345 2"),         # spaces (if a number had them)
     "/purge/doc/licence/fda/food-production/10%201%2012345%202%7C"),
    (_key("dbd", "t", "a+b?c#d%e"),                          # nothing read as a query or fragment
     "/purge/doc/licence/dbd/t/a%2Bb%3Fc%23d%25e%7C"),
])
def test_purge_paths_per_licence(key, doc_path):
    paths = cachepurge.purge_paths([key, key])               # a key twice: purged once
    assert paths == [doc_path, doc_path.replace("/purge/doc/", "/purge/id/", 1)]
    assert all(p.isascii() for p in paths)
    # What nginx's $uri holds after decoding is the page's path, then the `|` of the key.
    assert unquote(paths[0]) == f"/purge/doc/licence/{key.path}|"


def test_more_than_the_threshold_purges_each_issuer_once():
    keys = [_key("diw" if n % 2 else "fda", "t", str(n))
            for n in range(cachepurge.PREFIX_THRESHOLD + 1)]
    assert cachepurge.purge_paths(keys) == [
        "/purge/doc/licence/diw/", "/purge/id/licence/diw/",
        "/purge/doc/licence/fda/", "/purge/id/licence/fda/"]
    assert len(cachepurge.purge_paths(keys[:cachepurge.PREFIX_THRESHOLD])) == \
        2 * cachepurge.PREFIX_THRESHOLD


@pytest.mark.parametrize(("value", "stored"), [
    ("", ""),
    ("http://10.0.0.5:8081", "http://10.0.0.5:8081"),
    ("  http://a:1   https://b.example/x ", "http://a:1 https://b.example/x"),
])
def test_cache_purge_urls_accepted(value, stored):
    settings = load_settings({"CACHE_PURGE_URLS": value}, environ={})
    assert settings.cache_purge_urls == stored


@pytest.mark.parametrize("value", ["ftp://10.0.0.5", "10.0.0.5:8081", "http://", "http://a x"])
def test_cache_purge_urls_refused(value):
    with pytest.raises(SettingsError, match="CACHE_PURGE_URLS"):
        load_settings({"CACHE_PURGE_URLS": value}, environ={})


def test_the_document_states_the_tested_cache_key_and_lua():
    text = DOCS.read_text(encoding="utf-8")
    assert f"proxy_cache_key {nginxcache.CACHE_KEY};" in text
    blocks = nginxcache.snippet_blocks(text)
    assert 'uri .. "|"' in blocks["set_by_lua_block $clc_generation"]
    assert "ngx.var[1]" in blocks["content_by_lua_block"]


# ---------------------------------------------------------------- `licence-registry load`

@contextlib.contextmanager
def _recording_listener() -> Iterator[tuple[str, list[str]]]:
    """A purge listener that answers 200 and records each PURGE's path (real HTTP)."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_PURGE(self):     # noqa: N802 (the method's name)
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_load_purges_before_it_ends(runner, tmp_path, catalogue, monkeypatch):
    rows = list(demo_rows(catalogue, 3, agency="diw"))
    csv_file = tmp_path / "licences.csv"
    csv_file.write_text(rows_to_csv(rows), encoding="utf-8")
    assert runner.invoke("init").exit_code == 0
    with _recording_listener() as (url, seen):
        monkeypatch.setenv("LICENCE_REGISTRY_CACHE_PURGE_URLS", url)
        result = runner.invoke("load", "--agency", "diw", str(csv_file))
        assert result.exit_code == 0, result.output
        keys = [identifiers.licence_key(r["issuer"], r["licence_type"], r["licence_number"])
                for r in rows]
        assert sorted(seen) == sorted(cachepurge.purge_paths(keys))


# ---------------------------------------------------------------- nginx in front, for real

@pytest.fixture(scope="module")
def nginx_available():
    reason = nginxcache.missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the nginx cache test: {reason}")
        pytest.skip(reason)


@contextlib.contextmanager
def _front(tmp_path: Path, repo, purge_urls) -> Iterator[tuple[nginxcache.NginxFront, object]]:
    """The app over `repo` on a loopback WSGI server behind nginx; CACHE_PURGE_URLS is
    `purge_urls(front)`. Yields (nginx, app)."""
    holder: dict = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    lua = nginxcache.snippet_blocks(DOCS.read_text(encoding="utf-8"))
    host = BASE.split("://", 1)[1]
    try:
        with nginxcache.caching_front(tmp_path / "nginx", server.server_port, host, lua) as nginx:
            app = app_over(repo, CACHE_PURGE_URLS=purge_urls(nginx))
            holder["app"] = app
            try:
                yield nginx, app
            finally:
                dumps_made(app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _purges_done() -> None:
    """Wait for the purge threads of the commits made so far (the answer waits up to
    PURGE_WAIT for them; a loaded machine may take longer)."""
    for thread in threading.enumerate():
        if thread.name == "cache-purge":
            thread.join(30)


VARIANTS = {            # name: (kind, headers)
    "html-th": ("doc", {"Accept": "text/html", "Accept-Language": "th"}),
    "html-en": ("doc", {"Accept": "text/html", "Accept-Language": "en"}),
    "turtle": ("doc", {"Accept": "text/turtle"}),
    "id": ("id", {"Accept": "text/html"}),
}
REVOKED_SHOWS = {"html-th": "ถูกเพิกถอน", "html-en": "Revoked", "turtle": "revoked"}


def _get(nginx, kind: str, key: identifiers.LicenceKey, headers: dict) -> requests.Response:
    return requests.get(nginx.url + licence_path(kind, key), headers=headers, timeout=30,
                        allow_redirects=False)


def _cached(nginx, kind, key, headers) -> requests.Response:
    """Ask twice; the second answer must come from the cache."""
    first = _get(nginx, kind, key, headers)
    assert first.status_code in (200, 303), first.text[:300]
    second = _get(nginx, kind, key, headers)
    assert second.headers.get("X-Cache") == "HIT", (kind, key, headers, nginx.error_log()[-2000:])
    return second


def _amending_upload(nginx, agency_secret: str, rows: list[dict]) -> requests.Response:
    return requests.post(nginx.url + "/api/v1/uploads", data=rows_to_csv(rows).encode(),
                         headers={"Content-Type": "text/csv",
                                  "Authorization": f"Bearer {agency_secret}"}, timeout=120)


@pytest.fixture
def thai_and_dependant(embedded_repo, licences, publish):
    """(the Thai-number licence's row, the row of a licence that requires it): both published."""
    keys, rows = licences
    thai = dict(rows["public"], licence_type="factory-operation", licence_number=THAI_NUMBER,
                issuer="diw")
    assert identifiers.licence_key("diw", "factory-operation", THAI_NUMBER) == keys["thai"]
    dependant = dict(rows["restricted"], related_licences=keys["thai"].path)
    publish(embedded_repo, [dependant], "diw")
    return thai, dependant


def test_an_amendment_is_shown_at_once_through_the_cache(nginx_available, tmp_path, embedded_repo,
                                                         licences, diw_key, thai_and_dependant):
    keys, rows = licences
    thai, dependant = thai_and_dependant
    dependant_key = identifiers.licence_key(dependant["issuer"], dependant["licence_type"],
                                            dependant["licence_number"])
    with _front(tmp_path, embedded_repo, lambda nginx: nginx.purge_url) as (nginx, _app):
        before = {name: _cached(nginx, kind, keys["thai"], headers)
                  for name, (kind, headers) in VARIANTS.items()}
        for name, shown in REVOKED_SHOWS.items():
            assert shown not in before[name].text, name
        related_before = _cached(nginx, "doc", dependant_key, VARIANTS["html-en"][1])
        assert 'data-related-status="active"' in related_before.text
        _cached(nginx, "doc", keys["public"], VARIANTS["html-en"][1])

        answer = _amending_upload(nginx, diw_key, [dict(
            thai, status="revoked", status_reason="ฝ่าฝืนเงื่อนไขใบอนุญาต")])
        assert answer.status_code == 200, answer.text
        assert answer.json()["updated"] == 1
        _purges_done()

        for name, (kind, headers) in VARIANTS.items():
            after = _get(nginx, kind, keys["thai"], headers)
            assert after.headers.get("X-Cache") == "MISS", name
            if name in REVOKED_SHOWS:
                assert REVOKED_SHOWS[name] in after.text, name
                assert after.headers["ETag"] != before[name].headers["ETag"], name
            assert _get(nginx, kind, keys["thai"], headers).headers.get("X-Cache") == "HIT"
        related_after = _get(nginx, "doc", dependant_key, VARIANTS["html-en"][1])
        assert related_after.headers.get("X-Cache") == "MISS"
        assert 'data-related-status="revoked"' in related_after.text
        # A licence the commit does not show stays cached.
        untouched = _get(nginx, "doc", keys["public"], VARIANTS["html-en"][1])
        assert untouched.headers.get("X-Cache") == "HIT"


def test_a_listener_that_is_down_never_fails_the_upload(nginx_available, tmp_path, embedded_repo,
                                                        licences, diw_key, thai_and_dependant,
                                                        caplog):
    keys, _rows = licences
    thai, _dependant = thai_and_dependant
    down = f"http://127.0.0.1:{free_port()}"        # nobody listens there
    with _front(tmp_path, embedded_repo, lambda nginx: f"{down} {nginx.purge_url}") as (
            nginx, _app):
        headers = VARIANTS["html-en"][1]
        _cached(nginx, "doc", keys["thai"], headers)
        with caplog.at_level(logging.WARNING, logger="web.cachepurge"):
            answer = _amending_upload(nginx, diw_key, [dict(
                thai, status="suspended", status_reason="ค้างชำระค่าธรรมเนียม")])
            _purges_done()
        assert answer.status_code == 200, answer.text
        assert any(down in record.getMessage() for record in caplog.records)
        # The listener after the one that is down still purged.
        after = _get(nginx, "doc", keys["thai"], headers)
        assert after.headers.get("X-Cache") == "MISS"
        assert 'data-status="suspended"' in after.text


def test_the_licences_shown_with_a_committed_one(embedded_repo, licences, thai_and_dependant):
    """Both directions of SPEC §13: a licence's page lists what it requires and what requires
    it, so each is purged with the other."""
    keys, _rows = licences
    _thai, dependant = thai_and_dependant
    dependant_key = identifiers.licence_key(dependant["issuer"], dependant["licence_type"],
                                            dependant["licence_number"])
    assert cachepurge.shown_with(embedded_repo, BASE, [keys["thai"]]) == {dependant_key}
    assert cachepurge.shown_with(embedded_repo, BASE, [dependant_key]) == {keys["thai"]}
    assert cachepurge.shown_with(embedded_repo, BASE, [keys["public"]]) == set()


@contextlib.contextmanager
def _hanging_listener() -> Iterator[str]:
    """A listener whose connections are queued by the kernel and never answered."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_hanging_listener_holds_the_answer_at_most_purge_wait(app, caplog):
    with _hanging_listener() as url, caplog.at_level(logging.WARNING, logger="web.cachepurge"):
        settings = load_settings({"CACHE_PURGE_URLS": url}, environ={})
        started = time.monotonic()
        cachepurge.after_commit(app, settings=settings, keys=[_key("diw", "t", "1")])
        waited = time.monotonic() - started
        _purges_done()
    assert cachepurge.PURGE_WAIT - 0.1 < waited < cachepurge.READ_TIMEOUT
    assert any(url in record.getMessage() for record in caplog.records)
