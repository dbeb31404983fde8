"""The `eddsa-rdfc-2022` signer and verifier (registry/dataintegrity.py) against the W3C Data
Integrity EdDSA Cryptosuites v1.0 test vector, read from `../shared/vectors/vc-di-eddsa/`
(never copied into the project): with the vector's key pair, every intermediate (canonical
document, proof configuration and its canonical form, each hash, the signature) and the signed
credential reproduce byte for byte; the signed credential verifies, and any change to it fails.

The vector's credential uses the W3C examples context, which the register does not bundle: the
tests give it to the loader as `extra`, the one-line document https://www.w3.org/ns/credentials/
examples/v2 serves. Without it the same credential is refused without touching the network.
"""

from __future__ import annotations

import copy
import hashlib
import json
import socket

import pytest

from registry import dataintegrity as di
from registry.jsonldcontexts import CREDENTIALS_V2, bundled_loader, context_url

from .support.vectors import vectors_dir

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
EXAMPLES_CONTEXT = {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}
CREATED = "2023-02-24T23:36:38Z"
ANY_SIGNATURE = "z" + di.base58.b58encode(bytes(range(64))).decode()


@pytest.fixture(scope="module")
def vector():
    folder = vectors_dir("vc-di-eddsa")

    def read(name: str) -> str:
        return (folder / name).read_text(encoding="utf-8")

    return {"keys": json.loads(read("keyPair.json")),
            "unsigned": json.loads(read("unsigned.json")),
            **{name: read(f"eddsa-rdfc-2022/{name}") for name in (
                "canonDocDataInt.txt", "proofConfigDataInt.json", "proofCanonDataInt.txt",
                "docHashDataInt.txt", "proofHashDataInt.txt", "combinedHashDataInt.txt",
                "sigHexDataInt.txt", "sigBTC58DataInt.txt", "signedDataInt.json")}}


@pytest.fixture(scope="module")
def loader():
    return bundled_loader(extra={EXAMPLES_V2: EXAMPLES_CONTEXT})


@pytest.fixture(scope="module")
def keys(vector):
    secret = di.decode_secret_multikey(vector["keys"]["privateKeyMultibase"])
    public = di.decode_public_multikey(vector["keys"]["publicKeyMultibase"])
    return secret, public


@pytest.fixture(scope="module")
def method(vector):
    return json.loads(vector["proofConfigDataInt.json"])["verificationMethod"]


@pytest.fixture(scope="module")
def signed(vector, keys, method, loader):
    return di.sign(vector["unsigned"], secret_key=keys[0], verification_method=method,
                   created=CREATED, loader=loader)


def key_lookup(public: bytes, *methods: str):
    return lambda requested: public if requested in methods else None


# --- the vector, byte for byte ------------------------------------------------------------------

def test_multikeys_round_trip_and_match(vector, keys):
    secret, public = keys
    assert di.public_key_of(secret) == public
    assert di.encode_public_multikey(public) == vector["keys"]["publicKeyMultibase"]
    assert di.encode_secret_multikey(secret) == vector["keys"]["privateKeyMultibase"]


@pytest.mark.parametrize("value, decode", [
    ("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", di.decode_secret_multikey),
    ("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq", di.decode_public_multikey),
    ("u6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", di.decode_public_multikey),
    ("z0OIl", di.decode_public_multikey),
    ("z6Mk", di.decode_public_multikey),
])
def test_wrong_multikeys_are_refused(value, decode):
    with pytest.raises(di.DataIntegrityError):
        decode(value)


def test_canonical_document(vector, loader):
    assert di.canonical_document(vector["unsigned"], loader) == vector["canonDocDataInt.txt"]


def test_proof_configuration_and_its_canonical_form(vector, method, loader):
    options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
               "created": CREATED, "verificationMethod": method,
               "proofPurpose": "assertionMethod"}
    config = di.proof_configuration(options, vector["unsigned"]["@context"])
    assert json.dumps(config, indent=2) == vector["proofConfigDataInt.json"].strip()
    assert di.canonical_document(config, loader) == vector["proofCanonDataInt.txt"]


def test_hashes(vector):
    proof_canon, doc_canon = vector["proofCanonDataInt.txt"], vector["canonDocDataInt.txt"]
    assert hashlib.sha256(doc_canon.encode()).hexdigest() == vector["docHashDataInt.txt"]
    assert hashlib.sha256(proof_canon.encode()).hexdigest() == vector["proofHashDataInt.txt"]
    assert di.hash_data(proof_canon, doc_canon).hex() == vector["combinedHashDataInt.txt"]


def test_signature_and_signed_credential(vector, signed):
    proof_value = signed["proof"]["proofValue"]
    assert proof_value == vector["sigBTC58DataInt.txt"]
    assert di.base58.b58decode(proof_value[1:]).hex() == vector["sigHexDataInt.txt"]
    assert json.dumps(signed, indent=2) == vector["signedDataInt.json"].strip()
    assert "proof" not in vector["unsigned"]                   # the input is left as it was


def test_the_vectors_signed_credential_verifies(vector, keys, method, loader):
    result = di.verify(json.loads(vector["signedDataInt.json"]),
                       public_key_for=key_lookup(keys[1], method), loader=loader)
    assert result.verified and bool(result), result
    assert result.verification_method == method


# --- tampering --------------------------------------------------------------------------------

TAMPERED = [
    (("credentialSubject", "id"), "did:example:someone-else"),
    (("credentialSubject", "alumniOf"), "The School of Counterfeits"),
    (("issuer",), "https://vc.example/issuers/1234"),
    (("validFrom",), "2024-01-01T00:00:00Z"),
    (("id",), "urn:uuid:00000000-0000-0000-0000-000000000000"),
    (("type",), ["VerifiableCredential"]),
    (("name",), "Another Credential"),
    (("description",), "Changed."),
    (("proof", "created"), "2023-02-25T23:36:38Z"),
    (("proof", "verificationMethod"), "did:key:other#other"),
    (("proof", "proofPurpose"), "authentication"),
]


@pytest.mark.parametrize("path, value", TAMPERED, ids=[".".join(p) for p, _ in TAMPERED])
def test_tampering_with_any_field_fails(vector, keys, method, loader, path, value):
    credential = json.loads(vector["signedDataInt.json"])
    *parents, last = path
    node = credential
    for key in parents:
        node = node[key]
    node[last] = value
    # The other key name resolves to the same key, and the purpose asked is the one written:
    # what fails is the signature itself, not a lookup.
    purpose = credential["proof"]["proofPurpose"]
    result = di.verify(credential, public_key_for=key_lookup(keys[1], method,
                                                             "did:key:other#other"),
                       expected_purpose=purpose, loader=loader)
    assert (result.verified, result.code) == (False, "signature-mismatch"), result


def test_a_proof_for_another_purpose_is_refused(vector, keys, method, loader):
    credential = json.loads(vector["signedDataInt.json"])
    result = di.verify(credential, public_key_for=key_lookup(keys[1], method),
                       expected_purpose="authentication", loader=loader)
    assert (result.verified, result.code) == (False, "wrong-purpose")


def test_a_change_in_a_new_field_fails(vector, keys, method, loader):
    credential = json.loads(vector["signedDataInt.json"])
    credential["validUntil"] = "2030-01-01T00:00:00Z"
    result = di.verify(credential, public_key_for=key_lookup(keys[1], method), loader=loader)
    assert result.code == "signature-mismatch"


# --- a stranger's input: False with a reason, never an exception -----------------------------

def _with(credential: dict, **changes) -> dict:
    changed = copy.deepcopy(credential)
    for key, value in changes.items():
        changed["proof"][key] = value
    return changed


@pytest.mark.parametrize("make, code", [
    (lambda c: [c], "not-a-credential"),
    (lambda c: "a string", "not-a-credential"),
    (lambda c: {k: v for k, v in c.items() if k != "proof"}, "no-proof"),
    (lambda c: {**c, "proof": [c["proof"]]}, "proof-set"),
    (lambda c: {**c, "proof": "z123"}, "bad-proof"),
    (lambda c: _with(c, cryptosuite="ecdsa-rdfc-2019"), "unsupported-proof"),
    (lambda c: _with(c, type="Ed25519Signature2020"), "unsupported-proof"),
    (lambda c: _with(c, verificationMethod=None), "bad-proof"),
    (lambda c: _with(c, proofValue="u" + c["proof"]["proofValue"][1:]), "bad-proof-value"),
    (lambda c: _with(c, proofValue="z0OIl"), "bad-proof-value"),
    (lambda c: _with(c, proofValue="z" + "1" * 10), "bad-proof-value"),
    (lambda c: _with(c, proofValue=12), "bad-proof-value"),
    (lambda c: _with(c, verificationMethod="did:web:unknown#key-1"), "unknown-key"),
    (lambda c: _with(c, created="yesterday"), "invalid-document"),
    (lambda c: _with(c, **{"@context": [CREDENTIALS_V2]}), "signature-mismatch"),
    (lambda c: _with(c, **{"@context": ["https://example.org/x"]}), "bad-proof"),
    (lambda c: {**c, "description": "x" * (di.MAX_DOCUMENT_CHARS + 1)}, "too-large"),
    (lambda c: {**c, "nested": _deep(100_000)}, "too-large"),
    (lambda c: {**c, "@context": {"@version": "not a version"}}, "invalid-document"),
    # Over registry/canon.py's bound on blank nodes: refused before canonicalising.
    (lambda c: {**c, "credentialSubject": {"alumniOf": [{"name": f"n{n}"} for n in range(1001)]}},
     "invalid-document"),
])
def test_bad_credentials_fail_with_a_reason(vector, keys, method, loader, make, code):
    credential = make(json.loads(vector["signedDataInt.json"]))
    result = di.verify(credential, public_key_for=key_lookup(keys[1], method), loader=loader)
    assert (result.verified, result.code) == (False, code), result
    assert result.reason


def _deep(depth: int) -> list:
    nested: list = []
    for _ in range(depth):
        nested = [nested]
    return nested


def test_a_key_lookup_answering_nonsense_is_an_unknown_key(vector, method, loader):
    credential = json.loads(vector["signedDataInt.json"])
    result = di.verify(credential, public_key_for=lambda m: b"short", loader=loader)
    assert result.code == "unknown-key"


# --- contexts: bundled, never fetched ---------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_a_context_not_bundled_is_refused_without_network(vector, keys, method, no_network):
    # The vector's own examples context is not bundled: without `extra` it is refused.
    result = di.verify(json.loads(vector["signedDataInt.json"]),
                       public_key_for=key_lookup(keys[1], method))
    assert (result.verified, result.code) == (False, "invalid-document")
    assert EXAMPLES_V2 in result.reason and "never fetched" in result.reason
    with pytest.raises(di.DataIntegrityError, match="https://evil.example/context"):
        di.sign({**vector["unsigned"], "@context": [CREDENTIALS_V2,
                                                    "https://evil.example/context"]},
                secret_key=keys[0], verification_method=method, created=CREATED)
    assert no_network == []


@pytest.mark.parametrize("credential, expected", [
    # The W3C credentials v2 context, which pyld ships.
    ({"@context": [CREDENTIALS_V2], "id": "urn:uuid:1", "type": ["VerifiableCredential"],
      "credentialSubject": {"id": "https://register.example/id/licence/x"}},
     "<https://www.w3.org/2018/credentials#credentialSubject> "
     "<https://register.example/id/licence/x>"),
    # The register's own context, under its URL on the register's base.
    ({"@context": context_url("https://register.example"),
      "id": "https://register.example/id/licence/x", "type": "Licence",
      "name": {"th": "ร้านทดลอง"}},
     '<http://xmlns.com/foaf/0.1/name> "ร้านทดลอง"@th'),
])
def test_the_bundled_contexts_are_served(no_network, credential, expected):
    loader = bundled_loader("https://register.example")
    assert expected in di.canonical_document(credential, loader)
    assert no_network == []


def test_a_credential_signs_and_verifies_with_the_bundled_context(keys, no_network):
    loader = bundled_loader("https://register.example")
    credential = {"@context": [CREDENTIALS_V2], "id": "urn:uuid:1",
                  "type": ["VerifiableCredential"],
                  "credentialSubject": {"id": "https://register.example/id/licence/x"}}
    signed = di.sign(credential, secret_key=keys[0], verification_method="did:web:x#k",
                     created="2026-01-02T03:04:05Z", loader=loader)
    result = di.verify(signed, public_key_for=key_lookup(keys[1], "did:web:x#k"), loader=loader)
    assert result.verified, result
    assert no_network == []


def test_a_credential_without_the_vc_context_first_is_refused(keys):
    # Its proof's terms would expand to nothing, and go unsigned.
    loader = bundled_loader("https://register.example")
    credential = {"@context": "https://register.example/contexts/licence.jsonld",
                  "id": "https://register.example/id/licence/x", "type": "Licence"}
    with pytest.raises(di.DataIntegrityError, match="first @context"):
        di.sign(credential, secret_key=keys[0], verification_method="did:web:x#k",
                created="2026-01-02T03:04:05Z", loader=loader)
    forged = {**credential, "proof": {"type": "DataIntegrityProof",
                                      "cryptosuite": "eddsa-rdfc-2022",
                                      "verificationMethod": "did:web:x#k",
                                      "proofPurpose": "assertionMethod",
                                      "proofValue": ANY_SIGNATURE}}
    result = di.verify(forged, public_key_for=key_lookup(keys[1], "did:web:x#k"), loader=loader)
    assert (result.verified, result.code) == (False, "invalid-document")


def test_the_registers_context_is_served_only_under_its_base(keys):
    credential = {"@context": ["https://elsewhere.example/contexts/licence.jsonld"],
                  "id": "urn:uuid:1"}
    with pytest.raises(di.DataIntegrityError, match="never fetched"):
        di.canonical_document(credential, bundled_loader("https://register.example"))
