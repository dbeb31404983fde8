"""The fast way to a licence credential's canonical text (registry/credentialrdf.py) gives the
same bytes as the general way (pyld + RDFC-1.0, registry/dataintegrity.py) — on every kind of
demo record and on generated text — refuses what it cannot vouch for, and the issuer's signed
credentials verify the general way and are the same bytes in every worker and after eviction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.demoload import load_demo
from registry import credential, credentialrdf, dataintegrity, history, identifiers, statuslist
from registry.credentialissue import CredentialIssuer
from registry.jsonldcontexts import bundled_loader
from registry.rdfmap import content_lines
from registry.records import STATUSES, LicenceRecord
from registry.signingkeys import SigningKeys
from registry.store import ChangeSet
from tests.support.builders import awkward_demo_records
from tests.support.stores import initialised_store

BASE = "https://licences.example.go.th"
DID = "did:web:licences.example.go.th"
METHOD = f"{DID}#key-1"
LOADER = bundled_loader(BASE)



@pytest.fixture(scope="module")
def records(catalogue) -> list[LicenceRecord]:
    """Checked demo records (every holder kind, with and without end date and document), each
    status, and awkward text in every text field."""
    return awkward_demo_records(catalogue)


def _unsigned(record: LicenceRecord, public_register: bool, counter: int = 5
              ) -> tuple[list, dict]:
    statements = credential.record_triples(content_lines(record, BASE, public_register))
    vc = credential.unsigned_credential(
        statements, base=BASE, did=DID, key=record.key, version=3,
        status_entries=statuslist.licence_entries(BASE, counter))
    return statements, vc


def _options(created: str = "2026-11-01T03:00:00Z") -> dict:
    return {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": created,
            "verificationMethod": METHOD, "proofPurpose": "assertionMethod"}


def _same_as_pyld(statements: list, vc: dict, options: dict | None = None) -> None:
    options = options or _options()
    assert credentialrdf.canonical_credential(statements, vc, BASE) \
        == dataintegrity.canonical_document(vc, LOADER)
    config = dataintegrity.proof_configuration(options, vc["@context"])
    assert credentialrdf.canonical_proof_config(options) \
        == dataintegrity.canonical_document(config, LOADER)


# --- The same bytes as pyld + RDFC-1.0 ------------------------------------------------------

@pytest.mark.parametrize("public_register", [True, False], ids=["public", "not-public"])
def test_the_fast_canonical_text_is_pyld_s(records, public_register):
    kinds = set()
    for n, record in enumerate(records):
        statements, vc = _unsigned(record, public_register, counter=n * 7919)
        _same_as_pyld(statements, vc)
        kinds.add((record.holder_type, bool(record.valid_until), bool(record.document_url),
                   bool(record.document_sha256), record.status))
    assert {k[0] for k in kinds} == {"juristic", "natural"}
    assert {k[1] for k in kinds} == {k[2] for k in kinds} == {k[3] for k in kinds} \
        == {True, False}
    assert {k[4] for k in kinds} == set(STATUSES)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
       created=st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31)))
def test_generated_text_gives_pyld_s_bytes(records, text, created):
    record = dataclasses.replace(records[3], holder_name=text, holder_name_en=text,
                                 premises_address=text, conditions=text, province=text,
                                 status="revoked", status_reason=text)
    statements, vc = _unsigned(record, True)
    _same_as_pyld(statements, vc, _options(created.strftime("%Y-%m-%dT%H:%M:%SZ")))


def test_the_stored_graph_gives_pyld_s_bytes_without_the_bookkeeping(issuer_store):
    repo, keys_, licences = issuer_store
    issuer = CredentialIssuer(repo, BASE, keys_)
    for key in licences[:20]:
        chosen = history.versions(repo, BASE, key)[-1]
        statements = history.record_triples(repo, chosen)
        assert any(s.predicate.value.endswith("#statusCounter") for s in statements)
        vc = credential.unsigned_credential(
            statements, base=BASE, did=issuer.did, key=key, version=chosen.number,
            status_entries=statuslist.licence_entries(BASE, 12))
        _same_as_pyld(statements, vc)


# --- What it cannot vouch for is refused ----------------------------------------------------

def _with(record: LicenceRecord, *lines: str) -> tuple[list, dict]:
    statements, vc = _unsigned(record, True)
    return statements + credential.record_triples(lines), vc


def _licence(record: LicenceRecord) -> str:
    return identifiers.licence_iri(BASE, record.key)


@pytest.mark.parametrize("extra, reason", [
    ('<{l}> <https://example.org/secret> "x" .', "no term"),
    ('<{l}> <https://w3id.org/clc/def#document> _:b0 .', "blank node"),
    ('_:b0 <http://www.w3.org/2004/02/skos/core#notation> "x" .', "blank node"),
    # Not reachable from the licence through a node term: the JSON would leave it out.
    ('<{l}#stray> <http://www.w3.org/2004/02/skos/core#notation> "x" .', "does not embed"),
    # A status spelled like a term would be read back as that term's IRI.
    ('<{l}> <http://www.w3.org/ns/adms#status> <https://w3id.org/clc/status/document> .',
     "vocabulary value"),
    ('<{l}> <https://schema.org/url> <urn:isbn:123> .', "not an http"),
], ids=["unknown-predicate", "blank-object", "blank-subject", "stray-node", "term-word",
        "other-scheme"])
def test_what_it_cannot_vouch_for_raises(records, extra, reason):
    statements, vc = _with(records[0], extra.replace("{l}", _licence(records[0])))
    with pytest.raises(credentialrdf.NotFastPath, match=reason):
        credentialrdf.canonical_credential(statements, vc, BASE)


@pytest.mark.parametrize("change", [
    lambda vc: vc.update(name="x"),
    lambda vc: vc.update({"@context": vc["@context"][:1]}),
    lambda vc: vc["credentialStatus"][0].update(extra="x"),
    lambda vc: vc.update(type=["VerifiableCredential", "Other"]),
    lambda vc: vc.update(issuer="not an iri"),
], ids=["unknown-key", "other-context", "entry-key", "unknown-type", "bad-issuer"])
def test_a_credential_of_another_shape_raises(records, change):
    statements, vc = _unsigned(records[0], True)
    change(vc)
    with pytest.raises(credentialrdf.NotFastPath):
        credentialrdf.canonical_credential(statements, vc, BASE)


@pytest.mark.parametrize("change", [{"proofPurpose": "capabilityInvocation"},
                                    {"type": "Ed25519Signature2020"}, {"proofValue": "z1"},
                                    {"verificationMethod": "key-1"}])
def test_other_proof_options_raise(change):
    with pytest.raises(credentialrdf.NotFastPath):
        credentialrdf.canonical_proof_config({**_options(), **change})


# --- The issuer -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def issuer_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fastpath")
    repo = initialised_store(folder / "store", BASE)
    load_demo(repo, BASE, 40)
    keys_ = SigningKeys(folder / "keys" / "signing-keys.json")
    keys_.ensure(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    rows = repo.select("SELECT DISTINCT ?l WHERE { GRAPH ?g "
                       "{ ?l <https://w3id.org/clc/def#statusCounter> ?c } }")
    licences = [identifiers.parse_licence_iri(BASE, iri)
                for iri in sorted(r["l"].value for r in rows)]
    assert len(licences) >= 30
    return repo, keys_, licences


def _public_keys(issuer: CredentialIssuer) -> dict[str, bytes]:
    return {m["id"]: dataintegrity.decode_public_multikey(m["publicKeyMultibase"])
            for m in issuer.did_document()["verificationMethod"]}


def _general_signature(issuer: CredentialIssuer, body: bytes) -> dict:
    """The same credential signed the general way (pyld + RDFC-1.0)."""
    document = json.loads(body)
    proof = document.pop("proof")
    signing_key = issuer.keys.current_key()
    return dataintegrity.sign(document, secret_key=signing_key.secret_key,
                              verification_method=proof["verificationMethod"],
                              created=proof["created"], loader=issuer.loader)


def test_issued_credentials_verify_and_equal_the_general_signature(issuer_store):
    repo, keys_, licences = issuer_store
    issuer = CredentialIssuer(repo, BASE, keys_)
    public = _public_keys(issuer)
    for key in licences:
        issued = issuer.licence_credential(key)
        assert issued is not None
        document = json.loads(issued.body)
        assert dataintegrity.verify(document, public_key_for=public.get, loader=LOADER), key
        assert document == _general_signature(issuer, issued.body)


def test_the_same_bytes_in_every_worker_and_after_eviction(issuer_store):
    repo, keys_, licences = issuer_store
    first, second = CredentialIssuer(repo, BASE, keys_), CredentialIssuer(repo, BASE, keys_)
    tiny = CredentialIssuer(repo, BASE, keys_, cache_size=1)
    for key in licences[:10]:
        body = first.licence_credential(key).body
        assert second.licence_credential(key).body == body
        assert tiny.licence_credential(key).body == body
        tiny.licence_credential(licences[-1])           # evicts `key`
        again = tiny.licence_credential(key)
        assert again.body == body and again.etag == first.licence_credential(key).etag


def test_a_record_the_fast_path_refuses_is_signed_the_general_way(issuer_store):
    """A statement the JSON leaves out (a node nothing embeds): the fast path refuses, and the
    issuer signs what the JSON says the general way; the credential still verifies."""
    repo, keys_, licences = issuer_store
    key = licences[-2]
    licence = identifiers.licence_iri(BASE, key)
    stray = ox.Quad(ox.NamedNode(licence + "#stray"),
                    ox.NamedNode("http://www.w3.org/2004/02/skos/core#notation"),
                    ox.Literal("x"), ox.NamedNode(identifiers.licence_graph_iri(BASE, key)))
    repo.apply(ChangeSet.from_quads([stray]))
    issuer = CredentialIssuer(repo, BASE, keys_)
    chosen = history.versions(repo, BASE, key)[-1]
    statements = history.record_triples(repo, chosen)
    vc = credential.unsigned_credential(
        statements, base=BASE, did=issuer.did, key=key, version=chosen.number,
        status_entries=statuslist.licence_entries(BASE, 1))
    with pytest.raises(credentialrdf.NotFastPath):
        credentialrdf.canonical_credential(statements, vc, BASE)
    issued = issuer.licence_credential(key)
    assert issued is not None
    assert dataintegrity.verify(json.loads(issued.body), public_key_for=_public_keys(issuer).get,
                                loader=LOADER)


def test_a_licence_credential_is_signed_without_pyld(issuer_store, monkeypatch):
    repo, keys_, licences = issuer_store
    issuer = CredentialIssuer(repo, BASE, keys_)

    def general_way(*_args, **_kwargs):
        raise AssertionError("a licence credential went the general way")

    monkeypatch.setattr(dataintegrity, "canonical_document", general_way)
    assert all(issuer.licence_credential(key) is not None for key in licences[:10])
