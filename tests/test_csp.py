"""Every HTML response carries the one Content-Security-Policy, which forbids scripts, and every
response `X-Content-Type-Options: nosniff` (issue 10, item 7; one policy, set once: issue 11):
found by walking every GET route of the app's URL map with sample values, good and bad, as a
browser and as other clients ask."""

from __future__ import annotations

import itertools
from urllib.parse import quote, urlsplit

import pytest

from opendata.dumpgen import dumps_dir, regenerate
from ops.demoload import load_demo
from web.app import create_app
from web.security import PAGE_CSP
from web.state import state_of

from .support.stores import BASE

# Sample values per (endpoint, argument): at least one that is found and one that is not.
SAMPLES = {
    ("static", "filename"): ["upload.css", "missing.css"],
    ("resolver.static", "filename"): ["resolver.css", "../app.py"],
    ("catalogue_querypage.static", "filename"): ["sparql.css", "icon.svg", "nope.css"],
    ("catalogue_pages.static", "filename"): ["catalogue.css", "nope.css"],
    ("api.upload_detail", "upload_id"): ["20240101T000000Z-00000000"],
    ("api.upload_report_csv", "upload_id"): ["20240101T000000Z-00000000"],
    ("catalogue_dumps.download", "name"): ["licences.ttl", "licences.nt.gz", "nope.ttl"],
    ("catalogue_terms.identify", "code"): ["fda", "no-such-agency", "BAD CODE"],
    ("catalogue_terms.describe", "code"): ["fda", "no-such-agency", "BAD CODE"],
    ("agency_quality.quality", "code"): ["diw", "no-such-agency", "BAD CODE"],
    ("sitemap.licences", "number"): [1, 2],
    # {holder} and {upload}: ones in the store (_paths); the others are never pages.
    ("holder.identify", "raw"): ["{holder}", "1101700123458", "0-1055-56012-34-5", "x"],
    ("holder.describe", "raw"): ["{holder}", "1101700123458", "0105556012340", "x"],
    ("holder.qr", "raw"): ["{holder}", "0105556012340"],
    ("upload_activity.identify", "upload_id"): ["{upload}", "20240101T000000Z-00000000"],
    ("upload_activity.describe", "upload_id"): ["{upload}", "20240101T000000Z-00000000", ".."],
    ("credentials.status_list", "purpose"): ["revocation", "nope"],
    ("credentials.status_list", "number"): ["0", "-1", "x"],
}
LICENCE_REST = ["{licence}", "{licence_upper}", "fda/no-such-type/1-2565", "not a licence",
                "fda/x"]
QUERIES = {
    "resolver.resolve": ["", "?number=1", "?number={number}", "?number=" + quote("<script>")],
    "resolver.verify": ["", "?sha256=" + "0" * 64, "?sha256=nothex"],
    "catalogue_sparql.sparql": ["", "?query=" + quote("ASK {}"), "?query=" + quote("SELEC")],
    "catalogue_pages.licence_types": ["", "?q=x", "?page=-1"],
    "catalogue_pages.agencies": ["", "?q=x"],
    "agency_quality.quality": ["", "?format=json", "?format=nope", "?lang=en"],
    "catalogue_dumps.listing": ["", "?format=html", "?format=xml"],
    "resolver.describe": ["", "?format=ttl", "?format=nope", "?lang=en"],
    "resolver.qr": ["", "?format=png"],
    "credentials.licence_credential": ["", "?version=1", "?version=x"],
    "public_log.entries": ["", "?start=0&end=2", "?start=x&end=1", "?start=5&end=1"],
    "public_log.inclusion_proof": ["", "?index=0", "?index=0&size=99999", "?index=-1"],
    "public_log.consistency_proof": ["", "?first=1", "?first=0", "?first=2&second=1"],
    "holder.describe": ["", "?format=ttl", "?format=nope", "?lang=en", "?page=2", "?page=x"],
    "holder.qr": ["", "?format=png"],
    "upload_activity.describe": ["", "?format=jsonld", "?lang=en", "?page=0"],
    "home.index": ["", "?lang=en"],
    "feeds_page.page": ["", "?holder=1&lang=en", "?issuer=diw&days=30"],
    "stats.stats": ["", "?format=csv", "?format=ttl", "?agency=nope", "?year=2024&lang=en"],
}
CLIENTS = [
    {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},   # a browser
    {"Accept": "*/*"},
    {},
    {"Accept": "application/json"},
]


@pytest.fixture(scope="module")
def walked_app(tmp_path_factory):
    from registry.store.embedded import EmbeddedRepository

    repo = EmbeddedRepository(tmp_path_factory.mktemp("csp") / "store", create=True)
    load_demo(repo, BASE, 5)
    app = create_app({"STORE": str(repo.path), "BASE_IRI": BASE}, repository=repo)
    regenerate(repo, BASE, dumps_dir(state_of(app).settings))
    yield app
    repo.close()


def _a_licence(app) -> tuple[str, str]:
    row = state_of(app).repository.select(
        "SELECT ?l ?n WHERE { GRAPH ?g { ?l a <https://schema.org/GovernmentPermit> ; "
        "<http://purl.org/dc/terms/identifier> ?n } } LIMIT 1")[0]
    return urlsplit(row["l"].value).path.removeprefix("/id/licence/"), row["n"].value


def _a_holder_and_upload(app) -> dict[str, str]:
    row = state_of(app).repository.select(
        "SELECT ?h ?u WHERE { GRAPH ?g { ?l <http://purl.org/dc/terms/subject> ?h ; "
        "<http://www.w3.org/ns/prov#wasGeneratedBy> ?u "
        "FILTER(CONTAINS(STR(?h), '/juristic-person/') && CONTAINS(STR(?u), '/id/upload/')) "
        "} } LIMIT 1")[0]
    return {name: row[var].value.rsplit("/", 1)[-1] for name, var in (("holder", "h"),
                                                                       ("upload", "u"))}


def _paths(app) -> list[str]:
    """Every GET route with every combination of its sample values and query strings."""
    licence, number = _a_licence(app)
    fill = {"licence": licence, "licence_upper": licence.upper(), "number": quote(number),
            **_a_holder_and_upload(app)}
    adapter = app.url_map.bind("127.0.0.1:8000")
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        choices = []
        for argument in sorted(rule.arguments):
            if argument == "rest":
                values = [v.format(**fill) for v in LICENCE_REST]
            elif argument == "kind":
                values = ["agency", "licence-type"]
            else:
                values = [v.format(**fill) if isinstance(v, str) else v       # a new route
                          for v in SAMPLES[(rule.endpoint, argument)]]        # needs samples
            choices.append([(argument, value) for value in values])
        for combination in itertools.product(*choices):
            path = adapter.build(rule.endpoint, dict(combination), method="GET")
            for query in QUERIES.get(rule.endpoint, [""]):
                paths.append(path + query.format(**fill))
    return paths + ["/no-such-page", "/id/", "/dumps", "/upload/", "/%ff"]


def _script_free(policy: str) -> bool:
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in policy.split(";") if d.strip()}
    if "script-src" in directives:
        return directives["script-src"] == "script-src 'none'"
    return directives.get("default-src") == "default-src 'none'"


def test_every_html_response_carries_a_csp(walked_app):
    client = walked_app.test_client()
    html_seen = set()
    for path, headers in itertools.product(_paths(walked_app), CLIENTS):
        response = client.get(path, headers=headers)
        assert response.status_code != 500, (path, headers, response.get_data(as_text=True))
        assert response.headers.get("X-Content-Type-Options") == "nosniff", (path, headers)
        if response.mimetype in ("text/html", "image/svg+xml"):
            policy = response.headers.get("Content-Security-Policy")
            assert policy == PAGE_CSP, (path, headers, response.status_code, policy)
            assert _script_free(policy), (path, policy)
            assert "frame-ancestors 'none'" in policy, (path, policy)
            assert "base-uri 'none'" in policy, (path, policy)
            html_seen.add(path.split("?")[0])
    assert {"/", "/upload", "/dumps/", "/catalogue/", "/sparql"} <= html_seen


@pytest.mark.parametrize("path", ["/", "/upload", "/sparql", "/dumps/", "/catalogue/",
                                  "/no-such-page"])
def test_every_page_gets_the_one_policy(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.mimetype == "text/html", path
    assert response.headers["Content-Security-Policy"] == PAGE_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_fast_path_redirect_is_nosniff_too(walked_app):
    licence, _ = _a_licence(walked_app)
    response = walked_app.test_client().get(f"/id/licence/{licence}")
    assert response.status_code == 303
    assert response.headers["X-Content-Type-Options"] == "nosniff"
