"""The credentials over HTTP (SPEC §11, issue 14; resolver/credentials.py): a licence's signed
VC 2.0 at /credential/licence/…, its status lists at /status/…, the DID document and the
credential context — checked as an independent verifier would, from what the server serves
and nothing else (the DID document from /.well-known/did.json, the W3C contexts pyld bundles,
the register's context from the server's own route) — with negotiation, validators, CORS and
the register's errors.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
import pytest

from ops.demo import demo_rows
from registry import credential, dataintegrity, identifiers, statuslist
from registry.dataintegrity import decode_public_multikey
from registry.didweb import did_for_base
from registry.jsonldcontexts import (
    CREDENTIAL_CONTEXT_ROUTE,
    CREDENTIALS_V2,
    bundled_loader,
    credential_context,
    credential_context_url,
)
from registry.recordterms import STATUS_COUNTER
from registry.signingkeys import SigningKeys, signing_keys_path
from registry.store import ChangeSet
from resolver.fastpath import IdFastPath
from web.state import state_of

from .support.builders import app_over, key_of, with_value
from .support.publish import dumps_made
from .support.sharedstores import copy_of_store
from .support.stores import BASE

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
VC = "application/vc"
ORIGIN = "https://a-wallet.example"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


# --- fixtures ---------------------------------------------------------------------------------

def _rows(catalogue, count: int = 3) -> list[dict[str, str]]:
    """Active diw licences, the first with an end date."""
    rows = [dict(r, status="active", status_reason="")
            for r in demo_rows(catalogue, 60, seed=7, agency="diw")]
    rows.sort(key=lambda r: not r["valid_until"])
    return rows[:count]


def _keys(app) -> SigningKeys:
    return SigningKeys(signing_keys_path(state_of(app).settings))


@pytest.fixture(scope="module")
def site(tmp_path_factory, initialised_template, catalogue, publish):
    """A read-only app over licences published once, with its key file: (app, rows)."""
    repo = copy_of_store(initialised_template, tmp_path_factory.mktemp("credentials") / "store")
    rows = _rows(catalogue)
    publish(repo, rows, "diw")
    app = app_over(repo)
    _keys(app).ensure(NOW)
    yield app, rows
    dumps_made(app)
    repo.close()


@pytest.fixture
def client(site):
    return site[0].test_client()


@pytest.fixture
def changing(app, embedded_repo, catalogue, publish):
    """A store of this test's own, for uploads and rotations: (app, rows, publish)."""
    rows = _rows(catalogue)
    publish(embedded_repo, rows, "diw")
    _keys(app).ensure(NOW)
    return app, rows, lambda changed: publish(embedded_repo, changed, "diw")


def _path(key: identifiers.LicenceKey, query: str = "") -> str:
    return identifiers.iri_to_uri(f"/credential/licence/{key.path}") + query


# --- an independent verifier ------------------------------------------------------------------

def _local(url: str) -> str:
    """The path (and query) of a URL under the base: the test client's request."""
    assert url.startswith(BASE + "/"), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _fetch(client, path: str, accept: str = VC) -> dict:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, (path, response.get_data(as_text=True))
    return json.loads(response.data)


def verify(client, document: dict) -> dataintegrity.VerificationResult:
    """Check `document`'s proof with only what the server serves: its DID document's assertion
    keys, and its credential context (the W3C contexts are pyld's bundled ones)."""
    did_document = _fetch(client, "/.well-known/did.json", "application/did+json")
    keys = {m["id"]: decode_public_multikey(m["publicKeyMultibase"])
            for m in did_document["verificationMethod"]
            if m["id"] in did_document["assertionMethod"] and m["controller"] == did_document["id"]
            and m["type"] == "Multikey"}
    if document.get("issuer") != did_document["id"]:
        return dataintegrity.VerificationResult(False, "wrong-issuer", "not the register's DID")
    context = _fetch(client, CREDENTIAL_CONTEXT_ROUTE, "application/ld+json")
    loader = bundled_loader(extra={credential_context_url(BASE): context})
    return dataintegrity.verify(document, public_key_for=keys.get, loader=loader)


def status_bits(client, document: dict) -> dict[str, bool]:
    """Each purpose's bit for the credential, read from its (verified) status lists."""
    bits = {}
    for entry in document["credentialStatus"]:
        listed = _fetch(client, _local(entry["statusListCredential"]))
        assert verify(client, listed), listed
        assert listed["id"] == entry["statusListCredential"]
        assert listed["credentialSubject"]["statusPurpose"] == entry["statusPurpose"]
        raw = statuslist.expand(listed["credentialSubject"]["encodedList"])
        index = statuslist.entry_index(entry)
        bits[entry["statusPurpose"]] = bool(raw[index // 8] >> (7 - index % 8) & 1)
    return bits


# --- the credential ---------------------------------------------------------------------------

def _be_day(text: str) -> dt.date:
    day, month, year = (int(part) for part in text.split("/"))
    return dt.date(year - 543, month, day)


def test_the_credential_has_the_shape_of_spec_11_and_verifies(site, client):
    _, rows = site
    row = rows[0]
    key = key_of(row)
    document = _fetch(client, _path(key))
    assert document["@context"] == [CREDENTIALS_V2, credential_context_url(BASE)]
    assert {"VerifiableCredential", credential.CREDENTIAL_TYPE} <= set(document["type"])
    assert document["issuer"] == did_for_base(BASE) == "did:web:127.0.0.1%3A8000"
    assert document["validFrom"] == credential.valid_from_time(_be_day(row["issued"]))
    assert document["validUntil"] == credential.valid_until_time(_be_day(row["valid_until"]))
    assert document["credentialSubject"]["id"] == identifiers.licence_iri(BASE, key)
    entries = document["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == list(statuslist.PURPOSES)
    assert {e["type"] for e in entries} == {"BitstringStatusListEntry"}
    assert len({e["statusListIndex"] for e in entries}) == 1        # one position, both lists
    proof = document["proof"]
    assert (proof["type"], proof["cryptosuite"]) == ("DataIntegrityProof", "eddsa-rdfc-2022")
    assert proof["verificationMethod"] == f"{document['issuer']}#{_keys(site[0]).current_key().id}"
    assert verify(client, document)
    assert status_bits(client, document) == {"revocation": False, "suspension": False}


def test_the_served_context_is_the_registers(client):
    response = client.get(CREDENTIAL_CONTEXT_ROUTE)
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert json.loads(response.data) == credential_context()
    assert "max-age=86400" in response.headers["Cache-Control"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(CREDENTIAL_CONTEXT_ROUTE,
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


TAMPERING = [
    (("issuer",), "did:web:elsewhere.example"),
    (("validFrom",), "2000-01-01T00:00:00Z"),
    (("validUntil",), "2999-01-01T00:00:00Z"),
    (("id",), BASE + "/credential/licence/diw/x/1"),
    (("type",), ["VerifiableCredential"]),
    (("credentialSubject", "id"), BASE + "/id/licence/diw/factory-operation/9-2560"),
    (("credentialSubject", "number"), "999"),
    (("credentialSubject", "licenceStatus"), "revoked"),
    (("credentialStatus", 0, "statusListIndex"), "131071"),
    (("credentialStatus", 1, "statusListCredential"), BASE + "/status/suspension/9"),
    (("proof", "created"), "2020-01-01T00:00:00Z"),
]


@pytest.mark.parametrize("path, value", TAMPERING, ids=lambda v: str(v)[:30])
def test_tampering_with_any_field_fails(site, client, path, value):
    document = _fetch(client, _path(key_of(site[1][0])))
    changed = with_value(document, path, value)
    assert changed != document
    result = verify(client, changed)
    assert not result.verified
    assert result.code in ("signature-mismatch", "invalid-document", "wrong-issuer")


def test_a_status_list_credential_verifies_and_is_long_enough(client):
    for purpose in statuslist.PURPOSES:
        response = client.get(f"/status/{purpose}/0")
        assert response.status_code == 200 and response.mimetype == VC
        assert response.headers["Cache-Control"] == "public, max-age=60"
        document = json.loads(response.data)
        assert "BitstringStatusListCredential" in document["type"]
        assert document["id"] == f"{BASE}/status/{purpose}/0"
        assert len(statuslist.expand(document["credentialSubject"]["encodedList"])) * 8 \
            >= statuslist.MIN_BITS
        assert verify(client, document)
        tampered = with_value(document, ("credentialSubject", "statusPurpose"),
                        "suspension" if purpose == "revocation" else "revocation")
        assert not verify(client, tampered)


# --- bits follow uploads, versions, rotation ----------------------------------------------------

def test_status_bits_follow_uploads(changing):
    app, rows, publish = changing
    client = app.test_client()
    row, key = rows[1], key_of(rows[1])
    steps = [("suspended", {"revocation": False, "suspension": True}),
             ("active", {"revocation": False, "suspension": False}),        # reinstated
             ("revoked", {"revocation": True, "suspension": False})]
    for status, expected in steps:
        reason = "ตรวจพบการฝ่าฝืน" if status != "active" else ""
        publish([dict(row, status=status, status_reason=reason)])
        document = _fetch(client, _path(key))
        assert verify(client, document), status
        assert document["credentialSubject"]["licenceStatus"] == status
        assert status_bits(client, document) == expected, status
    # The other licences' bits stay clear.
    assert status_bits(client, _fetch(client, _path(key_of(rows[0])))) == \
        {"revocation": False, "suspension": False}


def test_an_old_version_is_still_served_and_verifies(changing):
    app, rows, publish = changing
    client = app.test_client()
    row, key = rows[0], key_of(rows[0])
    publish([dict(row, premises_address="99 ถนนใหม่")])
    first = client.get(_path(key, "?version=1"))
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=86400"    # a version never changes
    old, current = json.loads(first.data), _fetch(client, _path(key))
    assert client.get(_path(key)).headers["Cache-Control"] == "public, max-age=60"
    assert old["id"].endswith("?version=1") and current["id"].endswith("?version=2")
    assert old["credentialSubject"]["premises"]["fullAddress"] == row["premises_address"]
    assert current["credentialSubject"]["premises"]["fullAddress"] == "99 ถนนใหม่"
    assert verify(client, old) and verify(client, current)
    assert client.get(_path(key, "?version=3")).status_code == 404
    # The licence page links the credential of the version it shows.
    doc = identifiers.iri_to_uri(f"/doc/licence/{key.path}")
    page = client.get(doc + "?version=1&lang=en", headers={"Accept": "text/html"})
    assert f'href="{_path(key)}?version=1"' in page.get_data(as_text=True)
    page = client.get(doc + "?lang=th", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'href="{_path(key)}"' in page and "Verifiable Credential" in page


def test_after_a_rotation_old_credentials_still_verify_and_new_ones_name_the_new_key(changing):
    app, rows, _ = changing
    client = app.test_client()
    key = key_of(rows[0])
    before = _fetch(client, _path(key))
    old_list = _fetch(client, "/status/revocation/0")
    fresh = _keys(app).rotate(NOW + dt.timedelta(days=1))
    did_document = _fetch(client, "/.well-known/did.json", "application/did+json")
    assert len(did_document["verificationMethod"]) == 2            # the retired key stays
    assert verify(client, before) and verify(client, old_list)
    after = _fetch(client, _path(key))
    assert after["proof"]["verificationMethod"] == f"{did_document['id']}#{fresh.id}"
    assert before["proof"]["verificationMethod"] != after["proof"]["verificationMethod"]
    assert verify(client, after)
    assert verify(client, _fetch(client, "/status/revocation/0"))


# --- HTTP: negotiation, validators, errors, CORS -----------------------------------------------

CREDENTIAL_CONNEG = [
    (None, 200, VC),
    ("*/*", 200, VC),
    (VC, 200, VC),
    ("application/vc+ld+json", 200, "application/vc+ld+json"),
    ("application/ld+json", 200, "application/ld+json"),
    ("application/json", 200, "application/json"),
    ("application/json;q=0.5, application/ld+json", 200, "application/ld+json"),
    (BROWSER, 200, VC),
    ("text/html", 406, None),
    ("text/turtle", 406, None),
]


@pytest.mark.parametrize("accept, status, media_type", CREDENTIAL_CONNEG)
def test_credential_negotiation(site, client, accept, status, media_type):
    path = _path(key_of(site[1][0]))
    response = client.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == status
    assert "Accept" in response.headers["Vary"]
    if status == 406:                           # a page for a browser, else the JSON shape
        assert response.mimetype == ("text/html" if accept == "text/html" else "application/json")
        if response.is_json:
            assert response.get_json()["error"]["code"] == "not-acceptable"
        return
    assert response.mimetype == media_type
    assert response.data == client.get(path).data                 # the same signed bytes
    etag = response.headers["ETag"]
    assert (etag == client.get(path).headers["ETag"]) == (media_type == VC)   # one per type


DID_CONNEG = [
    (None, "application/did+json"),
    ("application/did+json", "application/did+json"),
    ("application/did+ld+json", "application/did+ld+json"),
    ("application/json", "application/json"),
    ("application/ld+json", "application/ld+json"),
    ("text/html", None),
]


@pytest.mark.parametrize("accept, media_type", DID_CONNEG)
def test_did_document_negotiation(client, accept, media_type):
    response = client.get("/.well-known/did.json", headers={"Accept": accept} if accept else {})
    if media_type is None:
        assert response.status_code == 406
        return
    assert response.status_code == 200 and response.mimetype == media_type
    document = json.loads(response.data)
    assert document["id"] == did_for_base(BASE)
    assert all("secret" not in json.dumps(m).lower() for m in document["verificationMethod"])
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/.well-known/did.json", headers={
        "Accept": accept or "*/*", "If-None-Match": response.headers["ETag"]}).status_code == 304


def test_the_did_document_is_at_base_path_did_json_only_when_the_base_has_a_path(client):
    assert client.get("/did.json").status_code == 404


@pytest.mark.parametrize("path", ["credential", "status"])
def test_etag_and_304_with_every_header_kept(site, client, path):
    url = _path(key_of(site[1][0])) if path == "credential" else "/status/suspension/0"
    first = client.get(url, headers={"Origin": ORIGIN})
    again = client.get(url, headers={"Origin": ORIGIN, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    for header in ("ETag", "Vary", "Cache-Control", "Access-Control-Allow-Origin"):
        assert again.headers[header] == first.headers[header], header
    assert "ETag" in first.headers["Access-Control-Expose-Headers"]


NOT_FOUND = [
    ("/credential/licence/diw/factory-operation/999-9999", "licence-not-found"),
    ("/credential/licence/not-a-licence", "licence-not-found"),
    ("/status/nope/0", "status-list-not-found"),
    ("/status/revocation/-1", "status-list-not-found"),
    ("/status/revocation/x", "status-list-not-found"),
    ("/status/revocation/01", "status-list-not-found"),
    ("/status/revocation/99999999999999999999", "status-list-not-found"),
    ("/status/suspension/1", "status-list-not-found"),        # no licence is in list 1
]


@pytest.mark.parametrize("path, code", NOT_FOUND)
def test_unknown_things_are_404_in_the_one_error_shape(client, path, code):
    response = client.get(path, headers={"Origin": ORIGIN})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == code
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_version_is_404_and_a_bad_one_400(site, client):
    key = key_of(site[1][0])
    assert client.get(_path(key, "?version=7")).get_json()["error"]["code"] == \
        "licence-not-found"
    assert client.get(_path(key, "?version=0")).status_code == 400
    assert client.get(_path(key, "?version=x")).status_code == 400


def test_a_variant_path_is_301_to_the_canonical_one_query_kept(site, client):
    key = key_of(site[1][0])
    thai_digits = key.number.translate({ord(str(d)): chr(0x0E50 + d) for d in range(10)})
    assert thai_digits != key.number
    variant = f"/credential/licence/{key.issuer}/{key.type}/{quote(thai_digits)}"
    response = client.get(variant + "?version=1")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(_path(key, "?version=1"))


@pytest.mark.parametrize("accept", [VC, "application/vc+ld+json"])
def test_id_sends_a_credential_client_to_the_credential(site, client, accept):
    key = key_of(site[1][0])
    iri_path = identifiers.iri_to_uri(f"/id/licence/{key.path}")
    for query in ("", "?version=1"):
        response = client.get(iri_path + query, headers={"Accept": accept})
        assert response.status_code == 303
        assert response.headers["Location"] == _path(key, query)
    # The fast path leaves these to Flask (it offers only the document types).
    fast = IdFastPath(None, state_of(site[0]).repository, BASE)
    assert fast._location(f"{key.path}", accept) is None
    assert fast._location(f"{key.path}", "text/turtle") is not None
    assert client.get(iri_path, headers={"Accept": "text/turtle"}).headers["Location"] \
        .startswith("/doc/")


def test_no_key_file_is_503_that_tells_the_operator_what_to_run(site, client):
    keys = _keys(site[0])
    aside = keys.path.with_name("aside.json")
    shutil.move(keys.path, aside)
    try:
        for path in (_path(key_of(site[1][2]), "?version=1"), "/.well-known/did.json",
                     "/status/revocation/0"):
            response = client.get(path)
            assert response.status_code == 503, path
            error = response.get_json()["error"]
            assert error["code"] == "signing-unavailable"
            assert "licence-registry init" in error["detail"]
            assert str(keys.path) not in error["detail"] and "signing-keys" not in error["detail"]
    finally:
        shutil.move(aside, keys.path)
    assert client.get("/.well-known/did.json").status_code == 200


def test_a_licence_without_a_status_position_is_503_naming_init(changing):
    """A store from before status lists, where `init` has not run since (CredentialUnavailable)."""
    app, rows, _ = changing
    repo = state_of(app).repository
    key = key_of(rows[2])
    iri = identifiers.licence_iri(BASE, key)
    graphs = [r["g"].value for r in repo.select(
        f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{iri}> <{STATUS_COUNTER.value}> ?n }} }}")]
    assert graphs
    for graph in graphs:
        kept = [ox.Quad(r["s"], r["p"], r["o"], ox.NamedNode(graph)) for r in repo.select(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
            if r["p"] != STATUS_COUNTER]
        repo.apply(ChangeSet.from_quads(kept, [graph]))
    response = app.test_client().get(_path(key))
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "credential-unavailable" and "licence-registry init" in error["detail"]
    assert app.test_client().get(_path(key_of(rows[0]))).status_code == 200     # the others


def test_id_asking_a_credential_of_an_unknown_licence_is_404(client):
    response = client.get("/id/licence/diw/factory-operation/999-9999", headers={"Accept": VC})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "licence-not-found"
