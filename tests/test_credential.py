"""A licence as an unsigned VC 2.0 (registry/credential.py): its shape, its subject saying exactly
what the public record says (RDF round trip through the bundled contexts), no natural person's
ID, and that it signs and verifies with registry/dataintegrity.py (and a tampered one does not).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json

import pyoxigraph as ox
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pyld import jsonld

from registry import credential, dataintegrity, identifiers, statuslist
from registry.jsonldcontexts import (
    CREDENTIALS_V2,
    bundled_loader,
    credential_context,
    credential_context_url,
    pyld_options,
)
from registry.rdfmap import content_lines
from registry.records import LicenceRecord

from .support.builders import checked_demo_records

BASE = "https://licences.example.go.th"
DID = "did:web:licences.example.go.th"
METHOD = f"{DID}#key-1"


@pytest.fixture(scope="module")
def records(catalogue) -> list[LicenceRecord]:
    """Checked demo records: every holder type, with and without end dates and documents."""
    out = checked_demo_records(catalogue)
    return out


def _entries(counter: int = 5) -> list[dict]:
    return statuslist.licence_entries(BASE, counter)


def _credential(record: LicenceRecord, public_register: bool = True, version: int = 3) -> dict:
    statements = credential.record_triples(content_lines(record, BASE, public_register))
    return credential.unsigned_credential(statements, base=BASE, did=DID, key=record.key,
                                          version=version, status_entries=_entries())


def _triples(nquads: str) -> set[tuple[str, str, str]]:
    """N-Quads text as a set of (s, p, o) strings, the graph name dropped."""
    return {(str(q.subject), str(q.predicate), str(q.object))
            for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS)}


def _to_rdf(document: dict) -> set[tuple[str, str, str]]:
    nquads = jsonld.to_rdf(document, pyld_options(bundled_loader(BASE),
                                                  format="application/n-quads"))
    return _triples(nquads)


# --- The context --------------------------------------------------------------------------

def _terms_at_every_depth(context: dict) -> set[str]:
    found = set()
    for name, definition in context.items():
        if not name.startswith("@"):
            found.add(name)
        if isinstance(definition, dict) and isinstance(definition.get("@context"), dict):
            found |= _terms_at_every_depth(definition["@context"])
    return found


def test_the_credential_context_defines_no_term_of_credentials_v2():
    from pyld.documentloader.frozen import BUNDLED_CONTEXTS

    v2 = json.loads(BUNDLED_CONTEXTS[CREDENTIALS_V2].read_text(encoding="utf-8"))["@context"]
    ours = credential_context()["@context"]
    top_level = {name for name in ours if not name.startswith("@")}
    assert ours["@protected"] is True
    assert not top_level & _terms_at_every_depth(v2)


def test_v2_then_the_credential_context_is_valid_json_ld():
    document = {"@context": [CREDENTIALS_V2, credential_context_url(BASE)],
                "type": "VerifiableCredential",
                "credentialSubject": {"id": "https://x.example/l", "licenceStatus": "active"}}
    expanded = jsonld.expand(document, pyld_options(bundled_loader(BASE)))
    assert expanded


# --- The shape ------------------------------------------------------------------------------

def test_the_shape(records):
    record = next(r for r in records if r.valid_until)
    vc = _credential(record, version=3)
    assert vc["@context"] == [CREDENTIALS_V2, credential_context_url(BASE)]
    assert vc["id"] == f"{BASE}/credential/licence/{record.key.path}?version=3"
    assert vc["type"] == ["VerifiableCredential", "LicenceCredential"]
    assert vc["issuer"] == DID
    assert vc["validFrom"] == f"{record.issued.isoformat()}T00:00:00+07:00"
    assert vc["validUntil"] == f"{record.valid_until.isoformat()}T23:59:59+07:00"
    assert vc["credentialSubject"]["id"] == identifiers.licence_iri(BASE, record.key)
    assert vc["credentialStatus"] == _entries()
    assert {e["statusPurpose"] for e in vc["credentialStatus"]} == {"revocation", "suspension"}
    assert all(e["type"] == "BitstringStatusListEntry" for e in vc["credentialStatus"])


def test_the_dates_are_instants_in_thailand():
    assert credential.valid_from_time(dt.date(2026, 1, 31)) == "2026-01-31T00:00:00+07:00"
    assert credential.valid_until_time(dt.date(2026, 1, 31)) == "2026-01-31T23:59:59+07:00"
    until = dt.datetime.fromisoformat(credential.valid_until_time(dt.date(2026, 1, 31)))
    assert until.astimezone(dt.UTC).isoformat() == "2026-01-31T16:59:59+00:00"


def test_a_licence_without_an_end_date_has_no_valid_until(records):
    record = dataclasses.replace(records[0], valid_until=None)
    assert "validUntil" not in _credential(record)


@pytest.mark.parametrize("entries", [[], _entries()[:1], [_entries()[0]] * 2,
                                     [*_entries(), _entries()[0]],
                                     [{**_entries()[0], "type": "StatusList2021Entry"},
                                      _entries()[1]]],
                         ids=["none", "one", "twice-revocation", "three", "wrong-type"])
def test_it_wants_one_entry_for_each_purpose(records, entries):
    statements = credential.record_triples(content_lines(records[0], BASE, True))
    with pytest.raises(credential.CredentialError):
        credential.unsigned_credential(statements, base=BASE, did=DID, key=records[0].key,
                                       version=1, status_entries=entries)


# --- The subject is the public record ------------------------------------------------------

@pytest.mark.parametrize("public_register", [True, False], ids=["public", "not-public"])
def test_the_subject_says_exactly_what_the_record_says(records, public_register):
    """pyld's RDF of credentialSubject equals the record's triples, for every demo record."""
    kinds = set()
    for record in records:
        lines = content_lines(record, BASE, public_register)
        subject = _credential(record, public_register)["credentialSubject"]
        alone = {"@context": [CREDENTIALS_V2, credential_context_url(BASE)], **subject}
        assert _to_rdf(alone) == _triples("\n".join(lines)), record.key
        kinds.add((record.holder_type, bool(record.valid_until), bool(record.document_sha256)))
    assert {k[0] for k in kinds} == {"juristic", "natural"}
    assert {k[1] for k in kinds} == {True, False}
    assert {k[2] for k in kinds} == {True, False}


def test_the_subject_of_the_stored_graph_leaves_the_registers_bookkeeping_out(records):
    """The licence graph also holds version, digest, modified and provenance: not the subject's."""
    from registry.logleaf import record_hash
    from registry.rdfmap import version_lines

    record = next(r for r in records if r.status_reason) if any(r.status_reason for r in records) \
        else records[0]
    lines = content_lines(record, BASE, True)
    stored = lines + version_lines(record, BASE, version=2, record_digest=record_hash(
                                       lines, identifiers.licence_graph_iri(BASE, record.key)),
                                   timestamp="2026-11-01T10:00:00+07:00", agency="diw",
                                   upload_iri=f"{BASE}/id/upload/u1", previous_status="active")
    subject = credential.credential_subject(credential.record_triples(stored),
                                            identifiers.licence_iri(BASE, record.key))
    alone = {"@context": [CREDENTIALS_V2, credential_context_url(BASE)], **subject}
    assert _to_rdf(alone) == _triples("\n".join(lines))


def test_the_whole_credential_says_the_record_and_only_credential_statements_beside(records):
    record = records[0]
    vc = _credential(record)
    record_triples = _triples("\n".join(content_lines(record, BASE, True)))
    other = _to_rdf(vc) - record_triples
    credential_iri = f"<{vc['id']}>"
    subjects = {s for s, _p, _o in other}
    status_ids = {f"<{e['id']}>" for e in vc["credentialStatus"]}
    assert subjects == {credential_iri} | status_ids


def test_a_natural_persons_record_carries_no_id(records):
    naturals = [r for r in records if r.holder_type == "natural"]
    assert naturals
    for record in naturals:
        # Even if a record somehow held one, it must not reach the credential.
        record = dataclasses.replace(record, holder_id="1101700207030")
        text = json.dumps(_credential(record), ensure_ascii=False)
        assert "1101700207030" not in text
        assert "http://purl.org/dc/terms/identifier" not in json.dumps(
            _credential(record)["credentialSubject"].get("licenceHolder"))


def test_a_natural_persons_id_in_the_triples_is_refused(records):
    record = next(r for r in records if r.holder_type == "natural")
    holder = identifiers.licence_part_iri(identifiers.licence_iri(BASE, record.key), "holder")
    leaked = f'<{holder}> <http://purl.org/dc/terms/identifier> "1101700207030" .'
    statements = credential.record_triples([*content_lines(record, BASE, True), leaked])
    with pytest.raises(credential.CredentialError, match="natural person"):
        credential.unsigned_credential(statements, base=BASE, did=DID, key=record.key,
                                       version=1, status_entries=_entries())


def test_a_predicate_without_a_term_is_refused_not_dropped(records):
    record = records[0]
    licence = identifiers.licence_iri(BASE, record.key)
    extra = f'<{licence}> <https://example.org/secret> "x" .'
    statements = credential.record_triples([*content_lines(record, BASE, True), extra])
    with pytest.raises(credential.CredentialError, match="no term"):
        credential.credential_subject(statements, licence)


def test_no_statements_about_the_licence_is_refused(records):
    with pytest.raises(credential.CredentialError):
        credential.credential_subject([], identifiers.licence_iri(BASE, records[0].key))


# --- Signed, verified, tampered ------------------------------------------------------------

def _key_pair() -> tuple[bytes, bytes]:
    secret = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                        NoEncryption())
    return secret, dataintegrity.public_key_of(secret)


def _sign(vc: dict, secret: bytes) -> dict:
    return dataintegrity.sign(vc, secret_key=secret, verification_method=METHOD,
                              created="2026-11-01T03:00:00Z", loader=bundled_loader(BASE))


def _verify(signed: dict, public: bytes) -> dataintegrity.VerificationResult:
    return dataintegrity.verify(signed, public_key_for={METHOD: public}.get,
                                loader=bundled_loader(BASE))


@pytest.fixture(scope="module")
def signed(records):
    secret, public = _key_pair()
    record = next(r for r in records if r.document_sha256 and r.valid_until
                  and r.holder_type == "juristic")
    return _sign(_credential(record), secret), public


def test_a_signed_credential_verifies(signed):
    document, public = signed
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    result = _verify(document, public)
    assert result.verified, result


def _subject_fields(subject: dict, path: tuple = ()) -> list[tuple]:
    """The path of every value in the subject (nested parts included), ids and types too."""
    paths = []
    for name, value in subject.items():
        if isinstance(value, dict):
            paths += _subject_fields(value, (*path, name))
        else:
            paths.append((*path, name))
    return paths


def _tampered(value):
    if isinstance(value, list):
        return value[:-1]      # one statement fewer (reordering would say the same)
    if value in ("Licence", "Evidence", "JuristicPerson", "Person", "active", "public",
                 "sha256"):
        return {"Licence": "Evidence", "Evidence": "Licence", "JuristicPerson": "Person",
                "Person": "JuristicPerson", "active": "revoked", "public": "restricted",
                "sha256": "https://example.org/md5"}[value]
    if value.startswith("https://"):
        return value + "x"
    if value[:4].isdigit() and value[4:5] == "-":
        return "1999" + value[4:]
    if all(c in "0123456789abcdef" for c in value):
        return ("0" if value[0] != "0" else "1") + value[1:]
    return value + "ก"


def test_tampering_any_subject_field_fails(signed):
    document, public = signed
    fields = _subject_fields(document["credentialSubject"])
    assert len(fields) >= 15
    for path in fields:
        tampered = copy.deepcopy(document)
        node = tampered["credentialSubject"]
        for name in path[:-1]:
            node = node[name]
        node[path[-1]] = _tampered(node[path[-1]])
        result = _verify(tampered, public)
        assert not result.verified, path
        assert result.code in ("signature-mismatch", "invalid-document"), (path, result)
