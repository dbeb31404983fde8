"""`check-links`: document URLs checked safely, results recorded per issuer, shown on the page.

Traffic goes ONLY to HTTP servers on 127.0.0.1 started here. Public addresses (8.8.8.8 …) appear
only as literals given to the policy functions or returned by fake resolvers paired with fake
sessions; an autouse guard fails any test whose code tries to connect anywhere but loopback.
Plain http to 127.0.0.1 is reached through LICENCE_REGISTRY_LINKCHECK_ALLOW_PRIVATE, a
tests-only setting; https itself is covered by the policy tests (TLS needs no test here).
"""

from __future__ import annotations

import datetime as dt
import functools
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ops import linkcheck
from ops.cli import main
from ops.demo import demo_rows
from ops.linkcheck import (
    Policy,
    RefusedAddress,
    address_problem,
    check_url,
    check_urls,
    new_session,
    resolve_host,
    url_problem,
)
from registry import identifiers
from registry.identifiers import link_check_graph_iri as link_check_graph
from registry.linkchecks import CheckResult
from registry.settings import SettingsError, load_settings
from registry.store import ChangeSet
from registry.store.embedded import EmbeddedRepository
from web.app import create_app

from .support.stores import BASE, initialised_store

CLC = "https://w3id.org/clc/def#"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
TESTS = Policy(allow_private=True, connect_timeout=2, read_timeout=5)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Belt and braces: any connection attempt to a non-loopback host fails the test."""
    import urllib3.util.connection as connection

    real = connection.create_connection

    def guarded(address, *args, **kwargs):
        assert address[0] in LOOPBACK, f"a test tried to connect to {address!r}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(connection, "create_connection", guarded)


# --------------------------------------------------------------------------------------------
# A real HTTP server on loopback
# --------------------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, status: int, headers: dict | None = None, body: bytes = b""):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    def _route(self):
        server = self.server
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with server.lock:
            server.hits.append((self.command, parts.path))
        if parts.path == "/ok.pdf":
            return self._answer(200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 ok")
        if parts.path == "/missing.pdf":
            return self._answer(404)
        if parts.path == "/toggle.pdf":
            return self._answer(200 if server.state["up"] else 404)
        if parts.path == "/no-head.pdf":
            if self.command == "HEAD":
                return self._answer(405, {"Allow": "GET"})
            return self._answer(200, {"Content-Type": "application/pdf"}, b"x" * 1_000_000)
        if parts.path == "/slow.pdf":
            with server.lock:
                server.in_flight += 1
                server.most_in_flight = max(server.most_in_flight, server.in_flight)
            try:
                time.sleep(float(query.get("s", "1")))
            finally:
                with server.lock:
                    server.in_flight -= 1
            return self._answer(200)
        if parts.path == "/redirect":
            return self._answer(302, {"Location": query["to"]})
        if parts.path == "/loop":
            return self._answer(302, {"Location": "/loop"})
        return self._answer(404)

    def do_HEAD(self):  # noqa: N802
        try:
            self._route()
        except OSError:
            pass                       # the client gave up (timeout test)

    do_GET = do_HEAD


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.hits: list[tuple[str, str]] = []
        self.state = {"up": True}
        self.in_flight = self.most_in_flight = 0

    def handle_error(self, request, client_address):
        pass

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"


@pytest.fixture
def server():
    httpd = _Server()
    # shutdown() waits for the loop to look at its flag: every poll_interval (0.5 s by default)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


# --------------------------------------------------------------------------------------------
# Address and URL policy: literals only, nothing is contacted
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("address, problem", [
    ("10.0.0.1", "private address"),
    ("127.0.0.1", "loopback address"),
    ("::1", "loopback address"),
    ("169.254.1.1", "link-local address"),
    ("169.254.169.254", "link-local address"),        # cloud metadata service
    ("192.168.1.1", "private address"),
    ("172.16.0.1", "private address"),
    ("8.8.8.8", None),                                 # public: allowed (never contacted here)
    ("2001:4860:4860::8888", None),
    ("fc00::1", "private address"),
    ("fe80::1", "link-local address"),
    ("224.0.0.1", "multicast address"),
    ("ff02::1", "multicast address"),
    ("0.0.0.0", "unspecified address"),
    ("240.0.0.1", "reserved address"),
    ("100.64.0.1", "non-public address"),              # carrier-grade NAT
    ("::ffff:127.0.0.1", "loopback address"),          # IPv4-mapped
    ("::ffff:10.0.0.1", "private address"),
])
def test_address_policy(address, problem):
    assert address_problem(address) == problem


def _fake_resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return table[host]
        assert host in LOOPBACK or host[0].isdigit() or ":" in host, host
        return resolve_host(host, port)               # literals: parsed, no DNS
    return resolve


@pytest.mark.parametrize("url, allow_private, status", [
    ("https://8.8.8.8/licence.pdf", False, None),
    ("https://public.example.test/a.pdf", False, None),
    ("http://public.example.test/a.pdf", False, "refused: not https"),
    ("ftp://public.example.test/a.pdf", False, "refused: not https"),
    ("javascript:alert(1)", False, "refused: not https"),
    ("https:///no-host", False, "refused: invalid URL"),
    ("https://public.example.test:99999/a.pdf", False, "refused: invalid URL"),
    ("https://10.0.0.1/a.pdf", False, "refused: private address"),
    ("https://[::1]/a.pdf", False, "refused: loopback address"),
    ("https://169.254.169.254/latest/meta-data/", False, "refused: link-local address"),
    ("https://224.0.0.1/a.pdf", False, "refused: multicast address"),
    ("https://mixed.example.test/a.pdf", False, "refused: private address"),   # every address
    ("https://intranet.example.test/a.pdf", False, "refused: private address"),
    ("https://nowhere.example.test/a.pdf", False, "unknown host"),
    # the tests-only setting: non-public addresses, and http to them only
    ("https://10.0.0.1/a.pdf", True, None),
    ("http://127.0.0.1:8080/a.pdf", True, None),
    ("http://public.example.test/a.pdf", True, "refused: not https"),
    ("http://mixed.example.test/a.pdf", True, "refused: not https"),
])
def test_url_policy(url, allow_private, status):
    def resolve(host, port):
        if host == "nowhere.example.test":
            import socket
            raise socket.gaierror("no such name")
        return _fake_resolver({"public.example.test": ["8.8.8.8"],
                               "mixed.example.test": ["8.8.8.8", "10.1.2.3"],
                               "intranet.example.test": ["192.168.7.7"]})(host, port)

    assert url_problem(url, Policy(allow_private=allow_private), resolve) == status


def test_allow_private_setting_is_off_by_default():
    assert load_settings(environ={}).linkcheck_allow_private is False
    on = load_settings(environ={"LICENCE_REGISTRY_LINKCHECK_ALLOW_PRIVATE": "yes"})
    assert on.linkcheck_allow_private is True
    assert Policy.from_settings(load_settings(environ={})).timeout == (5.0, 10.0)
    with pytest.raises(SettingsError, match="LINKCHECK_ALLOW_PRIVATE"):
        load_settings(environ={"LICENCE_REGISTRY_LINKCHECK_ALLOW_PRIVATE": "maybe"})


# --------------------------------------------------------------------------------------------
# One URL against the loopback server
# --------------------------------------------------------------------------------------------

def _check(url: str, policy: Policy = TESTS) -> CheckResult:
    session = new_session(policy)
    try:
        return check_url(url, session=session, policy=policy)
    finally:
        session.close()


@pytest.mark.parametrize("path, status, reachable", [
    ("/ok.pdf", "200", True),
    ("/missing.pdf", "404", False),
    ("/no-head.pdf", "200", True),                          # HEAD 405 → GET, body not read
    ("/redirect?to=/ok.pdf", "200", True),                  # relative redirect, followed
    ("/redirect?to=/redirect%3Fto%3D/missing.pdf", "404", False),
    ("/loop", "too many redirects", False),
])
def test_check_one_url(server, path, status, reachable):
    result = _check(server.url(path))
    assert result.status == status
    assert result.reachable() is reachable
    if path == "/no-head.pdf":
        assert server.hits == [("HEAD", "/no-head.pdf"), ("GET", "/no-head.pdf")]
    if path == "/loop":
        assert len(server.hits) == 6                        # the URL and 5 redirects, no more


def test_timeout(server):
    started = time.monotonic()
    result = _check(server.url("/slow.pdf?s=2"), Policy(allow_private=True, read_timeout=0.2))
    assert result.status == "timeout" and not result.reachable()
    assert time.monotonic() - started < 1.5                 # no GET retry after a timeout


def test_restricted_documents_count_401_403_as_reachable():
    assert CheckResult("u", "403", None).reachable(restricted=True)
    assert not CheckResult("u", "403", None).reachable(restricted=False)
    assert not CheckResult("u", "refused: not https", None).reachable(restricted=True)


def test_loopback_and_http_refused_without_a_request_when_not_allowed(server):
    strict = Policy()
    assert _check(server.url("/ok.pdf", "https"), strict).status == "refused: loopback address"
    assert _check(server.url("/ok.pdf"), strict).status == "refused: not https"
    assert server.hits == []


class _FakeResponse:
    def __init__(self, status: int, location: str | None = None):
        self.status_code = status
        self.headers = {"Location": location} if location else {}

    def close(self):
        pass


class _FakeSession:
    """Answers from a table; never touches the network."""

    def __init__(self, answers: dict[str, tuple[int, str | None]]):
        self.answers = answers
        self.asked: list[str] = []

    def head(self, url, **kwargs):
        self.asked.append(url)
        return _FakeResponse(*self.answers[url])

    get = head


@pytest.mark.parametrize("target, status", [
    ("https://127.0.0.1:{port}/ok.pdf", "refused: loopback address"),
    ("https://[::1]:{port}/ok.pdf", "refused: loopback address"),
    ("https://10.0.0.1/internal", "refused: private address"),
    ("https://169.254.169.254/latest/meta-data/", "refused: link-local address"),
    ("https://intranet.example.test/a.pdf", "refused: private address"),
    ("http://files.example.test/b.pdf", "refused: not https"),
    ("ftp://files.example.test/b.pdf", "refused: not https"),
    ("https://files.example.test/b.pdf", "200"),
])
def test_redirect_targets_are_checked_like_the_first_url(server, target, status):
    """The first URL is (fake-)public; where it redirects decides. Allow-setting off."""
    first = "https://files.example.test/a.pdf"
    target = target.format(port=server.port)
    session = _FakeSession({first: (302, target), "https://files.example.test/b.pdf": (200, None)})
    resolve = _fake_resolver({"files.example.test": ["8.8.8.8"],
                              "intranet.example.test": ["192.168.7.7"]})
    result = check_url(first, session=session, policy=Policy(), resolve=resolve)
    assert result.status == status
    assert session.asked == ([first] if status != "200" else [first, target])
    assert server.hits == []                                # the loopback server was never hit


def test_the_connected_peer_is_checked_too(server):
    """DNS rebinding: the name looked public when checked, the socket reaches loopback."""
    lying = _fake_resolver({"127.0.0.1": ["8.8.8.8"]})
    session = new_session(Policy())
    try:
        with pytest.raises(RefusedAddress, match="loopback"):
            session.head(server.url("/ok.pdf"), timeout=2)
        result = check_url(server.url("/ok.pdf", "https"), session=session, policy=Policy(),
                           resolve=lying)
    finally:
        session.close()
    assert result.status == "refused: loopback address"
    assert server.hits == []


def test_politeness_per_host(server):
    policy = Policy(allow_private=True, workers=8, per_host=2, read_timeout=5)
    urls = [server.url(f"/slow.pdf?s=0.3&n={n}") for n in range(6)]
    done = []
    results = check_urls(urls, policy, progress=done.append)
    assert {r.status for r in results.values()} == {"200"} and len(results) == 6
    assert len(done) == 6
    assert server.most_in_flight == 2                       # concurrent, but never more than 2


# --------------------------------------------------------------------------------------------
# The command: results recorded per issuer, shown on the page
# --------------------------------------------------------------------------------------------

@pytest.fixture
def store(tmp_path, server, catalogue, publish):
    """A store with two diw and two dot licences whose documents are on the loopback server."""
    path = tmp_path / "store"
    repo = initialised_store(path)
    keys = {}
    for agency in ("diw", "dot"):
        rows = [r for r in demo_rows(catalogue, 300, agency=agency)
                if r["issuer"] == agency and r["document_url"]][:2]
        keys[agency] = publish(repo, rows, agency).keys
    paths = {keys["diw"][0]: "/toggle.pdf", keys["diw"][1]: "/missing.pdf",
             keys["dot"][0]: "/ok.pdf", keys["dot"][1]: "/no-head.pdf"}
    for key, url_path in paths.items():
        graph = identifiers.licence_graph_iri(BASE, key)
        quads = [ox.Quad(t.subject, t.predicate,
                         ox.NamedNode(server.url(url_path))
                         if t.predicate.value == "https://schema.org/url" else t.object,
                         ox.NamedNode(graph)) for t in repo.graph_triples(graph)]
        repo.apply(ChangeSet.from_quads(quads, replace=[graph]))
    repo.close()
    return path, keys


def _run(path, *args):
    return CliRunner().invoke(main, ["--store", str(path), "check-links", *args],
                              catch_exceptions=False)


def _graph_rows(path) -> list:
    repo = EmbeddedRepository(path)
    try:
        return repo.select("SELECT ?g ?d ?p ?o WHERE { GRAPH ?g { ?d ?p ?o } "
                           f"FILTER(STRSTARTS(STR(?g), \"{BASE}/graph/link-checks/\")) }}")
    finally:
        repo.close()


def _checks(path) -> dict[str, dict[str, str]]:
    """{graph: {document: {property: value}}} of every link-check graph (its documents; the
    graph's own counts are `_counts`)."""
    found: dict = {}
    for row in _graph_rows(path):
        if row["d"] != row["g"]:
            found.setdefault(row["g"].value, {}).setdefault(row["d"].value, {})[
                row["p"].value.removeprefix(CLC)] = row["o"].value
    return found


def _counts(path) -> dict[str, tuple[str, str]]:
    """{graph: (documents checked, documents reachable)} as each graph states of itself."""
    found: dict = {}
    for row in _graph_rows(path):
        if row["d"] == row["g"]:
            found.setdefault(row["g"].value, {})[row["p"].value.removeprefix(CLC)] = \
                row["o"].value
    return {g: (c["documentsChecked"], c["documentsReachable"]) for g, c in found.items()}


def _document(key) -> str:
    return identifiers.licence_iri(BASE, key) + "#document"


def test_check_links_records_per_issuer_and_the_page_shows_it(store, server, monkeypatch):
    path, keys = store
    monkeypatch.setenv("LICENCE_REGISTRY_LINKCHECK_ALLOW_PRIVATE", "1")
    diw_graph, dot_graph = link_check_graph(BASE, "diw"), link_check_graph(BASE, "dot")

    first = _run(path, "--agency", "diw")
    assert first.exit_code == 0, first.output
    assert "Checked 2 licence documents (2 URLs): 1 reachable, 1 unreachable, 0 refused." \
        in first.output
    assert f"{identifiers.licence_iri(BASE, keys['diw'][1])}\t404\t" in first.output
    checks = _checks(path)
    assert set(checks) == {diw_graph}                      # dot untouched
    up, down = checks[diw_graph][_document(keys["diw"][0])], \
        checks[diw_graph][_document(keys["diw"][1])]
    assert up["linkStatus"] == "200" and up["lastReachable"] == up["lastChecked"]
    assert down["linkStatus"] == "404" and "lastReachable" not in down
    assert _counts(path) == {diw_graph: ("2", "1")}       # the graph's own counts

    assert _run(path, "--agency", "dot").exit_code == 0
    dot_before = _checks(path)[dot_graph]
    assert {d["linkStatus"] for d in dot_before.values()} == {"200"}

    def a_minute_later() -> dt.datetime:                  # the command's next run, on a clock
        return linkcheck.checked_now() + dt.timedelta(minutes=1)

    monkeypatch.setattr(linkcheck, "check_urls",
                        functools.partial(linkcheck.check_urls, clock=a_minute_later))
    server.state["up"] = False
    third = _run(path, "--agency", "diw")
    assert "0 reachable, 2 unreachable" in third.output
    after = _checks(path)
    assert after[dot_graph] == dot_before                  # other agencies' results unchanged
    now = after[diw_graph][_document(keys["diw"][0])]
    assert now["linkStatus"] == "404"
    assert now["lastReachable"] == up["lastReachable"]     # kept from the run that reached it
    assert now["lastChecked"] > up["lastChecked"]
    assert _counts(path)[diw_graph] == ("2", "0")

    repo = EmbeddedRepository(path)
    try:
        client = create_app({"STORE": str(path), "BASE_IRI": BASE}, repository=repo).test_client()
        doc = identifiers.iri_to_uri(f"/doc/licence/{keys['diw'][0].path}")
        english = client.get(doc + "?lang=en").get_data(as_text=True)
        thai = client.get(doc + "?lang=th").get_data(as_text=True)
        never = client.get(identifiers.iri_to_uri(f"/doc/licence/{keys['diw'][1].path}")
                           + "?lang=en").get_data(as_text=True)
        unchecked_yet = client.get(identifiers.iri_to_uri(
            f"/doc/licence/{keys['dot'][0].path}") + "?lang=en").get_data(as_text=True)
    finally:
        repo.close()
    # Shown as the day and the time in Thailand, in each page's language.
    from registry.dates import display_datetime, parse_moment
    reached = parse_moment(up["lastReachable"])
    assert "Last reachable" in english and display_datetime(reached, "en") in english
    assert "(404)" in english
    assert "เข้าถึงได้ล่าสุด" in thai and display_datetime(reached, "th") in thai
    assert "Last reachable" in never and "not reachable yet" in never
    assert "Last reachable" in unchecked_yet and "link last checked" not in unchecked_yet
    for page in (english, thai):
        assert "<script" not in page and " style=" not in page


def test_a_full_run_without_the_test_setting_refuses_loopback(store, server, monkeypatch):
    path, keys = store
    monkeypatch.delenv("LICENCE_REGISTRY_LINKCHECK_ALLOW_PRIVATE", raising=False)
    result = _run(path)
    assert result.exit_code == 0, result.output            # findings, not a refusal
    assert "Checked 4 licence documents (4 URLs): 0 reachable, 0 unreachable, 4 refused." \
        in result.output
    assert server.hits == []
    checks = _checks(path)
    assert set(checks) == {link_check_graph(BASE, "diw"), link_check_graph(BASE, "dot")}
    assert {d["linkStatus"] for g in checks.values() for d in g.values()} == \
        {"refused: not https"}


def test_invalid_agency_or_store_exits_1(store, tmp_path):
    path, _ = store
    unknown = _run(path, "--agency", "no-such-agency")
    assert unknown.exit_code == 1 and "Unknown agency" in unknown.output
    missing = _run(tmp_path / "no-store")
    assert missing.exit_code == 1
