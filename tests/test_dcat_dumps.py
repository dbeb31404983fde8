"""Dumps of all public data and their DCAT-AP description (SPEC §7): /dumps/, /dumps/<file>,
/catalogue.ttl, regeneration after uploads, `licence-registry dumps`."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from opendata import dumpgen, dumpschedule
from opendata.dumpgen import FORMATS, current_manifest, dumps_dir, regenerate
from opendata.dumpschedule import DumpsState
from ops.demo import rows_to_csv
from publishing.keys import issue_key
from registry import identifiers
from registry.dates import THAILAND, display_datetime, parse_moment
from registry.identifiers import link_check_graph_iri as link_check_graph
from registry.settings import load_settings
from registry.store import ChangeSet, StoreError
from web.state import state_of

from .support.builders import rows_of
from .support.stores import BASE

RDFLIB_FORMATS = {"licences.nt.gz": "nt", "licences.ttl": "turtle", "licences.jsonld": "json-ld"}
OX_FORMATS = {"licences.nt.gz": ox.RdfFormat.N_TRIPLES, "licences.ttl": ox.RdfFormat.TURTLE,
              "licences.jsonld": ox.RdfFormat.JSON_LD}

# The union of the public graphs, computed independently of opendata/dumpgen.py: SPARQL over
# every named graph but the private ones and the store's bookkeeping (the prefixes are
# serialised literals: a remote store's VALUES block would bind them only after the FILTER).
PUBLIC_UNION = """
SELECT DISTINCT ?s ?p ?o WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER(!STRSTARTS(STR(?g), PRIVATE) && !STRSTARTS(STR(?g), BOOKKEEPING))
}"""


def public_union(repo) -> rdflib.Graph:
    rows = repo.select(PUBLIC_UNION.replace("PRIVATE", str(ox.Literal(f"{BASE}/graph/private")))
                       .replace("BOOKKEEPING", str(ox.Literal("urn:x-licence-registry:"))))
    triples = [ox.Triple(r["s"], r["p"], r["o"]) for r in rows]
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
                                format="nt")


def plain(name: str, data: bytes) -> bytes:
    return gzip.decompress(data) if name.endswith(".gz") else data


def reloaded(name: str, data: bytes) -> rdflib.Graph:
    """The dump loaded into an empty pyoxigraph store, read back."""
    store = ox.Store()
    store.load(plain(name, data), format=OX_FORMATS[name])
    nt = ox.serialize((q.triple for q in store), format=ox.RdfFormat.N_TRIPLES) or b""
    return rdflib.Graph().parse(data=nt, format="nt")


@pytest.fixture
def source(repo, catalogue, publish):
    """Licences of two agencies (one amended), an agency key (private data) and its hash."""
    publish(repo, rows_of(catalogue, "diw", 4), "diw")
    publish(repo, [dict(rows_of(catalogue, "diw", 1)[0], status="suspended",
                        status_reason="ตรวจพบการฝ่าฝืน")], "diw")
    publish(repo, rows_of(catalogue, "fda", 3), "fda")
    key, record = issue_key(repo, BASE, "fda")
    return repo, key, record.hash


def test_dumps_are_the_union_of_the_public_graphs(source, tmp_path):
    repo, key, key_hash = source
    manifest = regenerate(repo, BASE, tmp_path / "dumps")
    folder = Path(current_manifest(tmp_path / "dumps")["directory"])
    expected = public_union(repo)
    assert len(expected) > 500
    assert manifest["triples"] == len(expected)
    assert [f["file"] for f in manifest["files"]] == ["licences.nt.gz", "licences.ttl",
                                                      "licences.jsonld"]
    for entry in manifest["files"]:
        data = (folder / entry["file"]).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        text = plain(entry["file"], data).decode("utf-8")
        assert key not in text and key_hash not in text, entry["file"]
        assert "/graph/private" not in text and "urn:x-licence-registry" not in text
        direct = rdflib.Graph().parse(data=plain(entry["file"], data),
                                      format=RDFLIB_FORMATS[entry["file"]])
        assert isomorphic(direct, expected), entry["file"]
        assert isomorphic(reloaded(entry["file"], data), expected), entry["file"]
    lines = gzip.decompress((folder / "licences.nt.gz").read_bytes()).splitlines()
    assert len(lines) == len(set(lines)) == len(expected)      # a set of triples: no repeats


def test_json_ld_dump_is_json_ld_1_1_without_fetching(source, tmp_path):
    from pyld import jsonld

    repo, _, _ = source
    regenerate(repo, BASE, tmp_path / "dumps")
    folder = Path(current_manifest(tmp_path / "dumps")["directory"])
    document = json.loads((folder / "licences.jsonld").read_text(encoding="utf-8"))
    assert isinstance(document, list) and all("@id" in node for node in document)

    def refuse(url, options=None):
        raise AssertionError(f"the dump made the processor fetch {url}")

    expanded = jsonld.expand(document, {"documentLoader": refuse, "processingMode": "json-ld-1.1"})
    nquads = jsonld.to_rdf(expanded, {"format": "application/n-quads", "documentLoader": refuse})
    assert isomorphic(rdflib.Graph().parse(data=nquads, format="nt"), public_union(repo))


def test_the_filter_keeps_only_public_named_graphs(tmp_path):
    quads = [
        ox.Quad(ox.NamedNode("http://x/public"), ox.NamedNode("http://x/p"), ox.Literal("yes"),
                ox.NamedNode(f"{BASE}/graph/licence/diw/t/1")),
        ox.Quad(ox.NamedNode("http://x/key"), ox.NamedNode("http://x/p"), ox.Literal("hash"),
                ox.NamedNode(f"{BASE}/graph/private")),
        ox.Quad(ox.NamedNode("http://x/report"), ox.NamedNode("http://x/p"), ox.Literal("r"),
                ox.NamedNode(f"{BASE}/graph/private/upload/1")),
        ox.Quad(ox.NamedNode("http://x/lease"), ox.NamedNode("http://x/p"), ox.Literal("l"),
                ox.NamedNode("urn:x-licence-registry:lock")),
        ox.Quad(ox.NamedNode("http://x/default"), ox.NamedNode("http://x/p"), ox.Literal("d"),
                ox.DefaultGraph()),
    ]
    out = io.BytesIO()
    dumpgen._public_triples(io.BytesIO(ox.serialize(quads, format=ox.RdfFormat.N_QUADS)), BASE, out)
    assert out.getvalue().decode().splitlines() == ['<http://x/public> <http://x/p> "yes" .']


def test_a_generation_replaces_the_last_whole_and_a_failed_one_changes_nothing(
        embedded_repo, catalogue, tmp_path, monkeypatch, publish):
    folder = tmp_path / "dumps"
    folder.mkdir()
    (folder / "operator-notes").mkdir()                 # DUMPS_DIR may hold other things
    first = regenerate(embedded_repo, BASE, folder)
    publish(embedded_repo, rows_of(catalogue, "fda", 2), "fda")
    second = regenerate(embedded_repo, BASE, folder)
    assert second["triples"] > first["triples"]
    assert second["store_state"] != first["store_state"]
    generations = [p for p in folder.iterdir() if dumpgen.GENERATION.fullmatch(p.name)]
    assert [p.name for p in generations] == [(folder / "CURRENT").read_text()]
    assert (folder / "operator-notes").is_dir()

    def broken(out):
        out.write(b"<http://x/s> <http://x/p> <http://x/o> <http://x/g> .\n")
        raise StoreError("the store went away")

    monkeypatch.setattr(embedded_repo, "export", broken)
    with pytest.raises(StoreError):
        regenerate(embedded_repo, BASE, folder)
    assert current_manifest(folder)["files"] == second["files"]
    assert not [p for p in folder.iterdir() if p.name.startswith(dumpgen.WORK_PREFIX)]


def test_generation_is_single_flight(embedded_repo, tmp_path):
    folder = tmp_path / "dumps"
    folder.mkdir()
    with dumpgen.generation_lock(folder, wait=False) as held:
        assert held
        assert dumpgen.is_generating(folder)
        assert regenerate(embedded_repo, BASE, folder, wait=False) is None
    assert not dumpgen.is_generating(folder)
    assert regenerate(embedded_repo, BASE, folder, wait=False) is not None


def test_a_request_while_generating_marks_a_rerun(app, embedded_repo, catalogue):
    settings = state_of(app).settings
    folder = dumps_dir(settings)
    folder.mkdir(parents=True)
    with dumpgen.generation_lock(folder, wait=False):
        assert dumpschedule.request_regeneration(app) is False         # no second generator
        assert (folder / dumpgen.PENDING).exists()
        assert state_of(app).part(DumpsState).process is None
    embedded_repo.read_replica()                                # what the child reads
    dumpschedule.run_pending(settings, folder)                  # the child's loop, in-process
    assert not (folder / dumpgen.PENDING).exists()
    assert current_manifest(folder)["store_state"] == dumpgen.licence_state(embedded_repo)


def generate_for(app, repo) -> dict:
    return regenerate(repo, BASE, dumps_dir(state_of(app).settings))


def test_listing_in_json_and_html(app, client, embedded_repo, source_embedded):
    manifest = generate_for(app, embedded_repo)
    listing = client.get("/dumps/", headers={"Accept": "application/json"})
    assert listing.status_code == 200 and listing.mimetype == "application/json"
    body = listing.get_json()
    assert body["generated"] == manifest["generated"] and body["triples"] == manifest["triples"]
    assert [(f["file"], f["size"], f["sha256"], f["url"]) for f in body["files"]] == \
        [(f["file"], f["size"], f["sha256"], f"/dumps/{f['file']}") for f in manifest["files"]]
    assert {f["media_type"] for f in body["files"]} == {f.media_type for f in FORMATS}
    assert all(f["modified"] == manifest["generated"] for f in body["files"])
    assert "directory" not in json.dumps(body)                  # no server paths
    assert client.get("/dumps/?format=json").get_json() == body
    for lang, word in (("th", "ไฟล์ข้อมูลทั้งหมด"), ("en", "Downloads")):
        page = client.get(f"/dumps/?lang={lang}")
        html = page.get_data(as_text=True)
        assert page.mimetype == "text/html" and word in html
        assert "script-src 'none'" in page.headers["Content-Security-Policy"]
        for entry in manifest["files"]:
            assert entry["sha256"] in html and f'href="/dumps/{entry["file"]}"' in html
        # When it was generated: ISO (UTC) for machines, the page's own way for people
        shown = display_datetime(parse_moment(manifest["generated"]), lang)
        assert f'<time datetime="{manifest["generated"]}">{shown}</time>' in html
        local = parse_moment(manifest["generated"]).astimezone(THAILAND)
        year = local.year + (543 if lang == "th" else 0)                 # the Buddhist Era
        assert f" {year} " in shown and manifest["generated"][:10] not in html.replace(
            f'datetime="{manifest["generated"]}"', "")
    assert client.get("/dumps/?format=xml").status_code == 400
    assert client.get("/dumps/", headers={"Accept": "image/png"}).status_code == 406
    assert state_of(app).part(DumpsState).process is None      # current: nothing regenerated


def test_download_with_checksum_and_conditional_requests(app, client, embedded_repo,
                                                         source_embedded):
    manifest = generate_for(app, embedded_repo)
    for entry in manifest["files"]:
        url = f"/dumps/{entry['file']}"
        response = client.get(url)
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == entry["sha256"]
        assert int(response.headers["Content-Length"]) == entry["size"]
        assert response.headers["ETag"] == f'"{entry["sha256"]}"'
        assert entry["file"] in response.headers["Content-Disposition"]
        assert client.get(url, headers={"If-None-Match": f'"{entry["sha256"]}"'}).status_code \
            == 304
        part = client.get(url, headers={"Range": "bytes=0-9"})
        assert part.status_code == 206 and part.data == response.data[:10]
    assert client.get("/dumps/licences.nt.gz").mimetype == "application/gzip"


@pytest.mark.parametrize("path", [
    "/dumps/manifest.json", "/dumps/CURRENT", "/dumps/.lock", "/dumps/..%2Fmanifest.json",
    "/dumps/../store/write.lock", "/dumps/%2e%2e/%2e%2e/etc/passwd",
    "/dumps/..%2F..%2Fetc%2Fpasswd",
    "/dumps/licences.ttl/../../CURRENT", "/dumps/licences.ttl%00.txt", "/dumps/LICENCES.TTL",
])
def test_only_manifest_names_are_served(app, client, embedded_repo, path):
    generate_for(app, embedded_repo)
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404
    assert b"root:" not in response.data and b"store_state" not in response.data


def test_catalogue_ttl_is_dcat_ap(app, client, embedded_repo, source_embedded):
    import pyshacl

    manifest = generate_for(app, embedded_repo)
    response = client.get("/catalogue.ttl")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=response.data, format="turtle")
    conforms, _, report = pyshacl.validate(graph, shacl_graph=DCAT_AP_MANDATORY,
                                           shacl_graph_format="turtle")
    assert conforms, report
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    spdx = rdflib.Namespace("http://spdx.org/rdf/terms#")
    licences = rdflib.URIRef(f"{BASE}/catalogue.ttl#licences")
    distributions = {str(graph.value(d, dcat.downloadURL)): d
                     for d in graph.objects(licences, dcat.distribution)}
    assert set(distributions) == {f"{BASE}/dumps/{f['file']}" for f in manifest["files"]}
    for entry in manifest["files"]:
        dist = distributions[f"{BASE}/dumps/{entry['file']}"]
        served = client.get(f"/dumps/{entry['file']}").data
        assert int(graph.value(dist, dcat.byteSize)) == len(served) == entry["size"]
        checksum = graph.value(dist, spdx.checksum)
        assert graph.value(checksum, spdx.algorithm) == spdx.checksumAlgorithm_sha256
        assert str(graph.value(checksum, spdx.checksumValue)) == \
            hashlib.sha256(served).hexdigest()
        assert str(graph.value(dist, dcat.mediaType)).endswith("/" + entry["media_type"])
    service = graph.value(rdflib.URIRef(f"{BASE}/catalogue.ttl#catalogue"), dcat.service)
    assert graph.value(service, dcat.endpointURL) == rdflib.URIRef(f"{BASE}/sparql")
    types = rdflib.URIRef(f"{BASE}/catalogue.ttl#licence-types")
    assert (None, dcat.dataset, types) in graph
    downloads = {str(graph.value(d, dcat.downloadURL))
                 for d in graph.objects(types, dcat.distribution)}
    assert downloads == {f"{BASE}/catalogue/?format={k}" for k in ("ttl", "jsonld", "nt", "rdf")}
    assert client.get("/catalogue/?format=jsonld").status_code == 200


# The DCAT-AP 2.1/3.0 mandatory properties (and the checksum's range), as SHACL.
DCAT_AP_MANDATORY = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix : <urn:test:> .
:Catalog a sh:NodeShape ; sh:targetClass dcat:Catalog ;
  sh:property [ sh:path dct:title ; sh:minCount 1 ; sh:nodeKind sh:Literal ] ,
              [ sh:path dct:description ; sh:minCount 1 ; sh:nodeKind sh:Literal ] ,
              [ sh:path dct:publisher ; sh:minCount 1 ; sh:maxCount 1 ; sh:class foaf:Agent ] ,
              [ sh:path dcat:dataset ; sh:minCount 1 ; sh:class dcat:Dataset ] ,
              [ sh:path dcat:service ; sh:class dcat:DataService ] ,
              [ sh:path dct:license ; sh:maxCount 1 ] .
:Dataset a sh:NodeShape ; sh:targetClass dcat:Dataset ;
  sh:property [ sh:path dct:title ; sh:minCount 1 ; sh:nodeKind sh:Literal ] ,
              [ sh:path dct:description ; sh:minCount 1 ; sh:nodeKind sh:Literal ] ,
              [ sh:path dct:publisher ; sh:maxCount 1 ] ,
              [ sh:path dcat:distribution ; sh:minCount 1 ; sh:class dcat:Distribution ] .
:Distribution a sh:NodeShape ; sh:targetClass dcat:Distribution ;
  sh:property [ sh:path dcat:accessURL ; sh:minCount 1 ; sh:nodeKind sh:IRI ] ,
              [ sh:path dcat:downloadURL ; sh:nodeKind sh:IRI ] ,
              [ sh:path dcat:mediaType ; sh:maxCount 1 ] ,
              [ sh:path dct:format ; sh:maxCount 1 ] ,
              [ sh:path dcat:byteSize ; sh:maxCount 1 ; sh:datatype xsd:decimal ] ,
              [ sh:path dct:modified ; sh:maxCount 1 ; sh:datatype xsd:dateTime ] ,
              [ sh:path spdx:checksum ; sh:maxCount 1 ; sh:class spdx:Checksum ] .
:DataService a sh:NodeShape ; sh:targetClass dcat:DataService ;
  sh:property [ sh:path dct:title ; sh:minCount 1 ; sh:nodeKind sh:Literal ] ,
              [ sh:path dcat:endpointURL ; sh:minCount 1 ; sh:nodeKind sh:IRI ] .
:Agent a sh:NodeShape ; sh:targetClass foaf:Agent ;
  sh:property [ sh:path foaf:name ; sh:minCount 1 ; sh:nodeKind sh:Literal ] .
:Checksum a sh:NodeShape ; sh:targetClass spdx:Checksum ;
  sh:property [ sh:path spdx:algorithm ; sh:minCount 1 ; sh:maxCount 1 ;
                sh:hasValue spdx:checksumAlgorithm_sha256 ] ,
              [ sh:path spdx:checksumValue ; sh:minCount 1 ; sh:maxCount 1 ;
                sh:datatype xsd:hexBinary ; sh:pattern "^[0-9a-f]{64}$" ] .
"""


@pytest.fixture
def source_embedded(embedded_repo, catalogue, publish):
    publish(embedded_repo, rows_of(catalogue, "diw", 3), "diw")
    publish(embedded_repo, rows_of(catalogue, "fda", 2), "fda")
    return embedded_repo


def wait_for_manifest(client, deadline: float, differs_from: str | None) -> dict:
    while time.monotonic() < deadline:
        body = client.get("/dumps/?format=json").get_json()
        if body["generated"] and body["files"] and not body["regenerating"]:
            manifest = current_manifest(dumps_dir(state_of(client.application).settings))
            if manifest and manifest["store_state"] != differs_from:
                return manifest
        time.sleep(0.2)
    raise AssertionError("the dumps were not regenerated in time")


def test_an_upload_through_the_api_regenerates_the_dumps(app, client, embedded_repo, catalogue):
    first = generate_for(app, embedded_repo)
    key, _ = issue_key(embedded_repo, BASE, "fda")
    rows = rows_of(catalogue, "fda", 3, seed=4)
    response = client.post("/api/v1/uploads", data=rows_to_csv(rows).encode(),
                           headers={"Content-Type": "text/csv", "Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_json()
    assert state_of(app).part(DumpsState).process.name == "licence-registry-dumps"
    manifest = wait_for_manifest(client, time.monotonic() + 90, first["store_state"])
    assert manifest["store_state"] == dumpgen.licence_state(embedded_repo)
    assert manifest["triples"] > first["triples"]
    folder = Path(manifest["directory"])
    text = gzip.decompress((folder / "licences.nt.gz").read_bytes()).decode()
    for row in rows:
        key_of = identifiers.licence_key(row["issuer"], row["licence_type"],
                                         row["licence_number"])
        assert f"<{identifiers.licence_iri(BASE, key_of)}> " in text
    assert key not in text
    state_of(app).part(DumpsState).process.join(30)
    assert state_of(app).part(DumpsState).process.exitcode == 0


def test_dumps_are_regenerated_when_stale(app, client, embedded_repo, catalogue, publish):
    """Made before licences loaded by another process: the listing asks for new ones."""
    first = generate_for(app, embedded_repo)
    publish(embedded_repo, rows_of(catalogue, "diw", 2), "diw")     # not through the web service
    manifest = wait_for_manifest(client, time.monotonic() + 90, first["store_state"])
    assert manifest["triples"] > first["triples"]


def test_a_change_the_licence_state_does_not_show_is_dumped_once_marked(
        app, client, embedded_repo, catalogue, publish):
    """Link checks, `init` and `restore` change public data without an upload: the command
    marks the dumps stale and the next look at them regenerates them."""
    publish(embedded_repo, rows_of(catalogue, "diw", 2), "diw")
    first = generate_for(app, embedded_repo)
    client.get("/dumps/?format=json")
    assert state_of(app).part(DumpsState).process is None       # up to date: nothing started
    graph = ox.NamedNode(link_check_graph(BASE, "diw"))
    checked = ox.Quad(ox.NamedNode(BASE + "/id/doc-x"), ox.NamedNode(
        "https://w3id.org/clc/def#linkStatus"), ox.Literal("200"), graph)
    embedded_repo.apply(ChangeSet.from_quads([checked], replace=[graph.value]))
    assert dumpgen.licence_state(embedded_repo) == first["store_state"]
    dumpschedule.mark_stale(state_of(app).settings)
    deadline = time.monotonic() + 90
    while True:
        client.get("/dumps/?format=json")
        manifest = current_manifest(dumps_dir(state_of(app).settings))
        if manifest["directory"] != first["directory"]:
            break
        assert time.monotonic() < deadline, "the marked dumps were not regenerated"
        time.sleep(0.2)
    text = gzip.decompress((Path(manifest["directory"]) / "licences.nt.gz").read_bytes())
    assert f"<{BASE}/id/doc-x> <https://w3id.org/clc/def#linkStatus> \"200\"".encode() in text
    state_of(app).part(DumpsState).process.join(30)


def test_cli_commands_that_change_public_data_mark_the_dumps_stale(runner):
    pending = runner.store / "dumps" / dumpgen.PENDING
    assert runner.invoke("init").exit_code == 0
    assert pending.exists()
    pending.unlink()
    # No documents: a commit all the same.
    assert runner.invoke("check-links").exit_code == 0
    assert pending.exists()


def test_dumps_dir_setting(tmp_path):
    assert dumps_dir(load_settings({"STORE": str(tmp_path / "s")}, environ={})) == \
        tmp_path / "s" / "dumps"
    assert dumps_dir(load_settings({"DUMPS_DIR": str(tmp_path / "d")}, environ={})) == \
        tmp_path / "d"
    environ = {"LICENCE_REGISTRY_DUMPS_DIR": str(tmp_path / "e")}
    assert dumps_dir(load_settings({}, environ=environ)) == tmp_path / "e"


def test_cli_dumps(runner, tmp_path, catalogue):
    assert runner.invoke("init").exit_code == 0
    csv_path = tmp_path / "diw.csv"
    csv_path.write_text(rows_to_csv(rows_of(catalogue, "diw", 5)), encoding="utf-8")
    assert runner.invoke("load", str(csv_path), "--agency", "diw").exit_code == 0
    result = runner.invoke("dumps")
    assert result.exit_code == 0, result.output
    manifest = current_manifest(runner.store / "dumps")
    for entry in manifest["files"]:
        assert f"sha256:{entry['sha256']}" in result.output
        data = (Path(manifest["directory"]) / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    other = tmp_path / "elsewhere"
    assert runner.invoke("dumps", "--dumps-dir", str(other)).exit_code == 0
    assert current_manifest(other)["triples"] == manifest["triples"]
    helped = runner.invoke("dumps", "--help")
    assert helped.exit_code == 0
    for word in ("licences.nt.gz", "licences.ttl", "licences.jsonld", "SHA-256", "--dumps-dir"):
        assert word in helped.output
