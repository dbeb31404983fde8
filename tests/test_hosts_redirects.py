"""No redirect sends a visitor off the base's host; a request naming another Host gets a 400 in
the one error shape (issue 10, item 7). Table-driven over hostile Host headers and paths, against
the Flask test client and a real server's socket."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from ops.demoload import load_demo
from web.app import create_app
from web.security import trusted_hosts
from web.state import state_of

from .support.realserver import RealServer, raw_request
from .support.stores import BASE

HOSTILE_HOSTS = [
    "evil.example", "evil.example:8000", "EVIL.example", "127.0.0.1.evil.example",
    "localhost.evil.example", "evil.example.", "127.0.0.1@evil.example",
    "127.0.0.1:8000@evil.example", "evil.example#127.0.0.1", "evil.example/127.0.0.1",
    "evil.example\\127.0.0.1", "127.0.0.1 evil.example", "127.0.0.1:99999", "127.0.0.2",
    "[::1]", "0.0.0.0", "",
]

PATHS = [
    "/", "/dumps", "/dumps/", "//dumps/", "//evil.example/x", "//evil.example/dumps/",
    "///evil.example/dumps/", "/\\evil.example", "/\\\\evil.example/", "/\\/evil.example/",
    "/id/licence/..//evil", "/id/licence/..//evil.example/x", "/%2F%2Fevil.example",
    "/%2f%2fevil.example/dumps/", "/%5C%5Cevil.example", "/dumps/..//evil.example",
    "/id/licence/%2F%2Fevil.example", "/id/agency/fda", "/id/licence-type/x",
    "/id/agency/fda?next=//evil.example", "/upload/", "/sparql/", "/catalogue", "/agencies",
    "/dumps?x=%0d%0aLocation:%20http://evil.example",
    "/id/licence/FDA/medical-device-import-establishment/279-2565",
]


@pytest.fixture(scope="module")
def loaded_app(tmp_path_factory):
    """An app over a store with demo licences (so /id/ answers its redirects)."""
    from registry.store.embedded import EmbeddedRepository

    repo = EmbeddedRepository(tmp_path_factory.mktemp("hosts") / "store", create=True)
    load_demo(repo, BASE, 5)
    app = create_app({"STORE": str(repo.path), "BASE_IRI": BASE}, repository=repo)
    yield app
    repo.close()


def _licence_paths(app) -> list[str]:
    rows = state_of(app).repository.select(
        "SELECT ?l WHERE { GRAPH ?g { ?l a <https://schema.org/GovernmentPermit> } } LIMIT 2")
    return [urlsplit(r["l"].value).path for r in rows]


def _on_base_host(location: str, allowed: list[str]) -> bool:
    """A Location a browser resolves against the register itself, or one naming an allowed host.
    Browsers read `\\` as `/` and drop tabs and newlines, so those count as leaving."""
    if re.search(r"[\\\t\r\n]", location):
        return False
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return not location.startswith("//")
    return (parts.hostname or "") in allowed


def test_trusted_hosts_follow_the_base():
    assert trusted_hosts("https://licence.example.go.th") == ["licence.example.go.th",
                                                              "127.0.0.1", "localhost"]
    assert trusted_hosts("https://Licence.Example.go.th:8443") == ["licence.example.go.th",
                                                                   "127.0.0.1", "localhost"]
    assert trusted_hosts("http://127.0.0.1:8000") == ["127.0.0.1", "localhost"]
    assert trusted_hosts("http://localhost:5000") == ["127.0.0.1", "localhost"]
    assert trusted_hosts("http://127.0.0.5") == ["127.0.0.1", "127.0.0.5", "localhost"]


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_a_foreign_host_gets_a_400_never_a_redirect(loaded_app, host):
    client = loaded_app.test_client()
    for path in [*PATHS, *_licence_paths(loaded_app)]:
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, (host, path, response.status_code)
        assert "Location" not in response.headers, (host, path)
        error = response.get_json()["error"]
        assert error["status"] == 400 and error["code"] == "unknown-host", (host, path)
        assert (repr(host) in error["detail"]) if host else "no Host" in error["detail"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "127.0.0.1", "127.0.0.1:41234", "localhost",
                                  "localhost:8000"])
def test_redirects_stay_on_the_base_host(loaded_app, host):
    allowed = trusted_hosts(BASE)
    client = loaded_app.test_client()
    redirects = 0
    for path in [*PATHS, *_licence_paths(loaded_app)]:
        for headers in ({"Host": host}, {"Host": host, "X-Forwarded-Host": "evil.example",
                                         "Forwarded": "host=evil.example"}):
            response = client.get(path, headers=headers)
            assert response.status_code != 400 or "Host" not in response.get_data(as_text=True)
            location = response.headers.get("Location")
            if location is None:
                continue
            redirects += 1
            assert _on_base_host(location, allowed), (host, path, location)
            assert "evil" not in urlsplit(location).netloc, (host, path, location)
    assert redirects >= 10          # the table does reach the redirects it is about


def test_the_default_test_client_still_works(client):
    assert client.get("/").status_code == 200
    assert client.get("/health").get_json()["status"] == "ok"


def test_a_public_base_answers_only_its_own_host_and_loopback(tmp_path):
    app = create_app({"STORE": str(tmp_path / "store"),
                      "BASE_IRI": "https://licence.example.go.th"})
    client = app.test_client()
    try:
        for host in ("licence.example.go.th", "licence.example.go.th:8000"):
            assert client.get("/health", headers={"Host": host}).status_code == 200, host
        moved = client.get("/dumps", headers={"Host": "licence.example.go.th"})
        assert urlsplit(moved.headers["Location"]).hostname == "licence.example.go.th"
        for host in ("evil.example", "licence.example.go.th.evil.example", "10.0.0.1"):
            assert client.get("/dumps", headers={"Host": host}).status_code == 400, host
        # Loopback names are answered, and their redirects stay on the visitor's own machine.
        for host in ("localhost", "127.0.0.1:8000"):
            moved = client.get("/dumps", headers={"Host": host})
            assert moved.status_code == 308, host
            assert urlsplit(moved.headers["Location"]).hostname == host.split(":")[0], host
    finally:
        state_of(app).repository.close()


def _status_and_locations(answer: bytes) -> tuple[int, list[str]]:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    return status, [line.split(":", 1)[1].strip() for line in lines[1:]
                    if line.lower().startswith("location:")]


RAW_TARGETS = [p for p in PATHS if "\\" not in p] + [
    "/\\evil.example", "/%5Cevil.example", "//evil.example/%2e%2e", "/dumps%0d%0aLocation:%20x",
]


def test_a_real_server_never_redirects_off_the_base_host(tmp_path):
    allowed = trusted_hosts(BASE)
    with RealServer(tmp_path, ["--store", "store", "--base-iri", BASE],
                    ["--demo", "--demo-count", "3"]) as server:
        good_host = f"127.0.0.1:{server.port}"
        redirects = 0
        for host in [good_host, *HOSTILE_HOSTS]:
            for target in RAW_TARGETS:
                request = (f"GET {target} HTTP/1.1\r\nHost: {host}\r\n"
                           "X-Forwarded-Host: evil.example\r\nConnection: close\r\n\r\n")
                status, locations = _status_and_locations(
                    raw_request(server.port, request.encode("latin-1")))
                assert status, (host, target)
                for location in locations:
                    redirects += 1
                    assert host == good_host, (host, target, status, location)
                    assert _on_base_host(location, allowed), (host, target, location)
                if host != good_host:
                    assert status == 400, (host, target, status)
        # A Host header split by CR LF, and two Host headers: no redirect to the other one.
        for request in (b"GET /dumps HTTP/1.1\r\nHost: evil.example\r\nHost: " +
                        good_host.encode() + b"\r\nConnection: close\r\n\r\n",
                        b"GET /dumps HTTP/1.1\r\nHost: " + good_host.encode() +
                        b"\r\n evil.example\r\nConnection: close\r\n\r\n",
                        b"GET /dumps HTTP/1.1\r\nHost: " + good_host.encode() +
                        b"\revil.example\r\nConnection: close\r\n\r\n"):
            status, locations = _status_and_locations(raw_request(server.port, request))
            assert all(_on_base_host(loc, allowed) and "evil" not in loc for loc in locations)
        assert redirects >= 5
