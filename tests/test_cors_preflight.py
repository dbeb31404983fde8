"""CORS (Fetch standard): the public routes answer a browser's preflight and expose the headers a
client reads; the key-authenticated upload API and the upload page stay closed to other origins.

Table-driven over the app's URL map: every route is classified here, so a new route cannot join
either side unnoticed.
"""

from __future__ import annotations

import pytest

from opendata.dumpgen import dumps_dir, regenerate
from ops.demo import demo_rows
from resolver.fastpath import IdFastPath
from web.state import state_of

from .support.builders import app_over, licence_path
from .support.stores import BASE, initialised_store

ORIGIN = "https://someone-elses-dashboard.example"

# Every route of the app: rule → (an example path, the methods other origins may use; empty:
# closed to other origins).
ROUTES = {
    "/id/licence/<path:rest>": ("/id/licence/diw/factory-operation/1-2560", {"GET", "HEAD"}),
    "/doc/licence/<path:rest>": ("/doc/licence/diw/factory-operation/1-2560", {"GET", "HEAD"}),
    "/file/licence/<path:rest>": ("/file/licence/diw/factory-operation/1-2560", {"GET", "HEAD"}),
    "/qr/licence/<path:rest>": ("/qr/licence/diw/factory-operation/1-2560", {"GET", "HEAD"}),
    "/resolve": ("/resolve?number=1", {"GET", "HEAD"}),
    "/search": ("/search?q=1", {"GET", "HEAD"}),
    "/verify": ("/verify", {"GET", "HEAD", "POST"}),
    "/id/<any('licence-type', 'agency'):kind>/<code>": ("/id/agency/diw", {"GET", "HEAD"}),
    "/doc/<any('licence-type', 'agency'):kind>/<code>": ("/doc/licence-type/factory-operation",
                                                         {"GET", "HEAD"}),
    "/id/juristic-person/<raw>": ("/id/juristic-person/0105556012340", {"GET", "HEAD"}),
    "/doc/juristic-person/<raw>": ("/doc/juristic-person/0105556012340", {"GET", "HEAD"}),
    "/qr/juristic-person/<raw>": ("/qr/juristic-person/0105556012340", {"GET", "HEAD"}),
    "/id/upload/<upload_id>": ("/id/upload/20240101T000000Z-00000000", {"GET", "HEAD"}),
    "/doc/upload/<upload_id>": ("/doc/upload/20240101T000000Z-00000000", {"GET", "HEAD"}),
    "/catalogue.ttl": ("/catalogue.ttl", {"GET", "HEAD"}),
    "/catalogue/": ("/catalogue/", {"GET", "HEAD"}),
    "/agencies/": ("/agencies/", {"GET", "HEAD"}),
    "/agencies/<code>/quality": ("/agencies/diw/quality", {"GET", "HEAD"}),
    "/dumps/": ("/dumps/", {"GET", "HEAD"}),
    "/dumps/<name>": ("/dumps/licences.ttl", {"GET", "HEAD"}),
    "/feeds/expiring": ("/feeds/expiring?issuer=diw", {"GET", "HEAD"}),
    "/sparql": ("/sparql", {"GET", "HEAD", "POST"}),
    "/schemas/licence-upload.json": ("/schemas/licence-upload.json", {"GET", "HEAD"}),
    "/contexts/licence.jsonld": ("/contexts/licence.jsonld", {"GET", "HEAD"}),
    # Credentials (issue 14): for wallets and verifiers anywhere.
    "/credential/licence/<path:rest>": ("/credential/licence/diw/factory-operation/1-2560",
                                        {"GET", "HEAD"}),
    "/status/<purpose>/<number>": ("/status/revocation/0", {"GET", "HEAD"}),
    "/.well-known/did.json": ("/.well-known/did.json", {"GET", "HEAD"}),
    "/did.json": ("/did.json", {"GET", "HEAD"}),
    "/contexts/credentials/v1.jsonld": ("/contexts/credentials/v1.jsonld", {"GET", "HEAD"}),
    # The public log (issue 15): for monitors anywhere.
    "/log/checkpoint": ("/log/checkpoint", {"GET", "HEAD"}),
    "/log/key": ("/log/key", {"GET", "HEAD"}),
    "/log/entries": ("/log/entries?start=0&end=1", {"GET", "HEAD"}),
    "/log/proof/inclusion": ("/log/proof/inclusion?index=0", {"GET", "HEAD"}),
    "/log/proof/consistency": ("/log/proof/consistency?first=1", {"GET", "HEAD"}),
    "/api/v1/openapi.json": ("/api/v1/openapi.json", {"GET", "HEAD"}),
    "/api/v1/changes": ("/api/v1/changes", {"GET", "HEAD"}),     # the changes feed (issue 16)
    # Checking many licences at once (issue 16): for other agencies' systems anywhere.
    "/api/v1/check": ("/api/v1/check", {"GET", "HEAD", "POST"}),
    "/stats": ("/stats", {"GET", "HEAD"}),          # the statistics cube (issue 17)
    # Closed: the upload API and page take an agency key; a browser elsewhere must not send it.
    "/api/v1/uploads": ("/api/v1/uploads", set()),
    "/api/v1/uploads/<upload_id>": ("/api/v1/uploads/x", set()),
    "/api/v1/uploads/<upload_id>/report.csv": ("/api/v1/uploads/x/report.csv", set()),
    "/upload": ("/upload", set()),
    "/upload/icon.svg": ("/upload/icon.svg", set()),
    "/upload/template.csv": ("/upload/template.csv", set()),
    "/upload/template.xlsx": ("/upload/template.xlsx", set()),
    # Closed: pages and assets of this site, nothing another site needs to read.
    "/": ("/", set()),
    "/health": ("/health", set()),
    "/static/<path:filename>": ("/static/x.css", set()),
    "/static/resolver/<path:filename>": ("/static/resolver/x.css", set()),
    "/static/catalogue/<path:filename>": ("/static/catalogue/catalogue.css", set()),
    "/static/sparql/<path:filename>": ("/static/sparql/sparql.css", set()),
    # Closed: for crawlers and people on this site (issue 12).
    "/robots.txt": ("/robots.txt", set()),
    "/sitemap.xml": ("/sitemap.xml", set()),
    "/sitemap/static.xml": ("/sitemap/static.xml", set()),
    "/sitemap/licences-<int:number>.xml": ("/sitemap/licences-1.xml", set()),
    "/feeds/": ("/feeds/", set()),
}
OPEN = {rule: value for rule, value in ROUTES.items() if value[1]}
CLOSED = {rule: value for rule, value in ROUTES.items() if not value[1]}
# Response headers a cross-origin script needs and that are not CORS-safelisted.
EXPOSED = {"etag", "link", "location", "content-disposition", "repr-digest", "retry-after"}
SPARQL_EXPOSED = {"x-result-limit", "x-result-truncated", "x-result-count",
                  "x-query-time-limit"}


@pytest.fixture(scope="module")
def site(tmp_path_factory, catalogue, publish):
    """An app over a store holding one licence, its dumps current (no regeneration starts);
    and the licence's /id/ path."""
    folder = tmp_path_factory.mktemp("cors")
    repo = initialised_store(folder / "store")
    row = next(r for r in demo_rows(catalogue, 50, agency="diw") if r["issuer"] == "diw")
    key, = publish(repo, [row], "diw").keys
    app = app_over(repo)
    regenerate(repo, BASE, dumps_dir(state_of(app).settings))
    yield app, licence_path("id", key)
    repo.close()


@pytest.fixture
def app(site):
    return site[0]


@pytest.fixture
def client(site):
    return site[0].test_client()


def header_set(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}


def preflight(client, path: str, method: str = "GET",
              headers: str | None = "Accept, If-None-Match, Accept-Language"):
    sent = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=sent)


def test_every_route_is_classified(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    unclassified = rules - set(ROUTES)
    assert not unclassified, (
        f"Decide whether other origins may call {sorted(unclassified)}: add them to ROUTES "
        "here and, if open, to web/cors.py")
    assert not set(ROUTES) - rules, "ROUTES names a route the app no longer has"


@pytest.mark.parametrize("rule", sorted(OPEN))
def test_open_routes_answer_the_preflight(client, rule):
    path, methods = OPEN[rule]
    for method in sorted(methods - {"HEAD"}):
        response = preflight(client, path, method)
        assert response.status_code == 204, (path, method, response.status_code)
        assert response.headers.get("Access-Control-Allow-Origin") == "*", (path, method)
        assert header_set(response.headers.get("Access-Control-Allow-Methods")) == \
            {m.lower() for m in methods}, (path, method)
        assert header_set(response.headers.get("Access-Control-Allow-Headers")) >= \
            {"accept", "if-none-match", "accept-language"}, (path, method)
        assert int(response.headers["Access-Control-Max-Age"]) >= 600
        assert response.data == b""


@pytest.mark.parametrize("rule", sorted(OPEN))
def test_requested_headers_are_allowed_whatever_they_are(client, rule):
    path, _ = OPEN[rule]
    response = preflight(client, path, headers="content-type,x-requested-with , range")
    assert header_set(response.headers.get("Access-Control-Allow-Headers")) >= \
        {"content-type", "x-requested-with", "range"}
    bare = preflight(client, path, headers=None)         # no headers asked: none needed
    assert bare.headers.get("Access-Control-Allow-Origin") == "*"


@pytest.mark.parametrize("rule", sorted(rule for rule, (_, m) in OPEN.items() if "POST" not in m))
def test_a_method_the_route_does_not_take_is_not_allowed(client, rule):
    path, _ = OPEN[rule]
    response = preflight(client, path, "POST")
    assert "post" not in header_set(response.headers.get("Access-Control-Allow-Methods"))
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("rule", sorted(CLOSED))
def test_closed_routes_give_other_origins_nothing(client, rule):
    path, _ = CLOSED[rule]
    for method in ("GET", "POST"):
        response = preflight(client, path, method, headers="Authorization, Content-Type")
        assert "Access-Control-Allow-Origin" not in response.headers, (path, method)
        assert "Access-Control-Allow-Methods" not in response.headers, (path, method)
    response = client.get(path, headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers, path


def test_unknown_paths_get_no_preflight(client):
    response = preflight(client, "/no/such/route")
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("rule", sorted(OPEN))
def test_open_routes_expose_what_a_client_reads(client, rule):
    """Every answer of an open route — 200, redirect or error — can be read by the script."""
    path, _ = OPEN[rule]
    response = client.get(path, headers={"Origin": ORIGIN, "Accept": "text/turtle"})
    assert response.headers.get("Access-Control-Allow-Origin") == "*", (path, response.status_code)
    assert header_set(response.headers.get("Access-Control-Expose-Headers")) >= EXPOSED, path


def test_sparql_exposes_its_result_headers(client):
    response = client.get("/sparql", query_string={"query": "ASK {}"},
                          headers={"Origin": ORIGIN, "Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    assert header_set(response.headers.get("Access-Control-Expose-Headers")) >= \
        EXPOSED | SPARQL_EXPOSED


def test_the_id_fast_path_answers_like_flask(site):
    """/id/licence/… is answered before Flask (resolver/fastpath.py): its 303 exposes the same
    headers as Flask's, and a preflight for it still reaches the one CORS handler."""
    app, path = site
    assert isinstance(app.wsgi_app, IdFastPath)
    fast = app.test_client().get(path, headers={"Origin": ORIGIN})
    answered = preflight(app.test_client(), path)
    fast_path = app.wsgi_app
    app.wsgi_app = fast_path.app
    try:
        full = app.test_client().get(path, headers={"Origin": ORIGIN})
    finally:
        app.wsgi_app = fast_path
    assert fast.status_code == full.status_code == 303
    for field in ("Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Vary"):
        assert fast.headers.get(field) == full.headers.get(field), field
    assert answered.status_code == 204
    assert answered.headers["Access-Control-Allow-Origin"] == "*"
