"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (SPEC §11).

As the W3C Data Integrity EdDSA Cryptosuites v1.0 define it (§3.3), reproduced byte for byte
against the W3C test vector (tests/test_eddsa_vector.py):

- transformation: the JSON-LD document (without its proof) → RDF by pyld's `to_rdf`, with a
  loader that serves only bundled contexts (registry/jsonldcontexts.py) → RDFC-1.0 canonical
  N-Quads (registry/canon.py: pyoxigraph's canonicaliser, bounded);
- proof configuration: the proof options without `proofValue`, given the document's `@context`,
  canonicalised the same way;
- hashing: SHA-256 of the canonical proof configuration, then SHA-256 of the canonical
  document (64 bytes);
- signature: Ed25519 over those 64 bytes; `proofValue` is base58btc multibase ('z' + base58).

Keys are Multikeys: public `z` + base58(0xed 0x01 + 32 bytes), secret `z` + base58(0x80 0x26 +
32-byte seed). `verify` takes a stranger's credential: whatever it is given, it answers with a
`VerificationResult` (False and a reason), never an exception, and it refuses large inputs
before any work.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.canon import CanonicalisationError, canonical_nquads
from registry.jsonldcontexts import (
    CREDENTIALS_V2,
    DocumentLoader,
    bundled_loader,
    pyld_options,
    refused_url,
)

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
# A credential of the register is a few kilobytes; a hundred times that is no credential.
MAX_DOCUMENT_CHARS = 256 * 1024

_ED25519_PUB = b"\xed\x01"
_ED25519_PRIV = b"\x80\x26"
# xsd:dateTime (XML Schema 1.1 Part 2, §3.3.7), the form `created` must have.
_DATETIME = re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T"
                       r"(([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?|24:00:00(\.0+)?)"
                       r"(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?")


class DataIntegrityError(ValueError):
    """A document that cannot be signed or canonicalised (the reason is in the message)."""


# --- Multikey ---------------------------------------------------------------------------------

def _encode_multikey(prefix: bytes, raw: bytes) -> str:
    if len(raw) != 32:
        raise DataIntegrityError(f"an Ed25519 key is 32 bytes, not {len(raw)}")
    return "z" + base58.b58encode(prefix + raw).decode("ascii")


def _decode_multikey(prefix: bytes, value: str, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 100:
        raise DataIntegrityError(f"a {what} Multikey is 'z' and base58btc")
    try:
        raw = base58.b58decode(value[1:])
    except ValueError:
        raise DataIntegrityError(f"the {what} Multikey is not base58btc") from None
    if raw[:2] != prefix or len(raw) != 34:
        raise DataIntegrityError(f"the {what} Multikey is not an Ed25519 {what} key "
                                 f"(multicodec 0x{prefix.hex()} and 32 bytes)")
    return raw[2:]


def encode_public_multikey(public_key: bytes) -> str:
    return _encode_multikey(_ED25519_PUB, public_key)


def decode_public_multikey(value: str) -> bytes:
    return _decode_multikey(_ED25519_PUB, value, "public")


def encode_secret_multikey(secret_key: bytes) -> str:
    return _encode_multikey(_ED25519_PRIV, secret_key)


def decode_secret_multikey(value: str) -> bytes:
    return _decode_multikey(_ED25519_PRIV, value, "secret")


def public_key_of(secret_key: bytes) -> bytes:
    """The raw public key of a raw (32-byte seed) Ed25519 secret key."""
    return Ed25519PrivateKey.from_private_bytes(secret_key).public_key().public_bytes_raw()


# --- transformation and hashing ---------------------------------------------------------------

def canonical_document(document: dict, loader: DocumentLoader | None = None) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document (contexts only from `loader`,
    by default the bundled ones). Raises DataIntegrityError with the reason."""
    from pyld import jsonld

    loader = loader or bundled_loader()
    try:
        nquads = jsonld.to_rdf(document, pyld_options(loader, format="application/n-quads"))
    except RecursionError:
        raise DataIntegrityError("the document is nested too deeply") from None
    except Exception as exc:                              # pyld raises many kinds
        url = refused_url(exc)
        if url is not None:
            raise DataIntegrityError(f"the JSON-LD context {url!r} is not bundled with the "
                                     "register, and contexts are never fetched") from None
        raise DataIntegrityError(f"the document is not valid JSON-LD: {_first_reason(exc)}") \
            from None
    try:
        # Bounded in quads, blank nodes and labelling work (the poison graph is refused).
        return canonical_nquads(nquads)
    except CanonicalisationError as exc:
        raise DataIntegrityError(f"the document cannot be canonicalised: {exc}") from None


def _first_reason(exc: BaseException) -> str:
    """The messages of `exc` and its causes (pyld wraps the telling one: "tried to redefine a
    protected term" under "Could not expand input")."""
    messages: list[str] = []
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        messages.append(str(cause.args[0]) if cause.args else type(cause).__name__)
        cause = cause.__cause__
    return "; ".join(dict.fromkeys(messages))[:300]


def proof_configuration(proof_options: dict, context: Any) -> dict:
    """The proof configuration: the proof options without `proofValue`, with `context` (the
    document's `@context`)."""
    if proof_options.get("type") != PROOF_TYPE or proof_options.get("cryptosuite") != CRYPTOSUITE:
        raise DataIntegrityError(f"the proof is not a {PROOF_TYPE} with cryptosuite "
                                 f"{CRYPTOSUITE}")
    created = proof_options.get("created")
    if created is not None and not (isinstance(created, str) and _DATETIME.fullmatch(created)):
        raise DataIntegrityError(f"the proof's created {str(created)[:40]!r} is not an "
                                 "xsd:dateTime")
    config = {key: value for key, value in proof_options.items() if key != "proofValue"}
    config["@context"] = context
    return config


def hash_data(canonical_proof_config: str, canonical_doc: str) -> bytes:
    """SHA-256 of the canonical proof configuration followed by SHA-256 of the canonical
    document: what is signed."""
    return (hashlib.sha256(canonical_proof_config.encode("utf-8")).digest()
            + hashlib.sha256(canonical_doc.encode("utf-8")).digest())


# A faster way to the two canonical texts for documents of a known shape (registry/
# credentialrdf.py): (document, proof options) → (canonical proof configuration, canonical
# document), byte for byte what pyld + RDFC-1.0 give.
Canonicaliser = Callable[[dict, dict], tuple[str, str]]


def _hash_of(unsecured: dict, proof_options: dict, loader: DocumentLoader,
             canonical: Canonicaliser | None = None) -> bytes:
    context = unsecured.get("@context")
    # VC 2.0 puts its context first; it defines (protected) the proof's terms. Without it, a
    # proof configuration could expand to nothing, and `created`, `verificationMethod` and
    # `proofPurpose` would go unsigned.
    if (context[0] if isinstance(context, list) and context else context) != CREDENTIALS_V2:
        raise DataIntegrityError(f"the first @context is not {CREDENTIALS_V2}")
    config = proof_configuration(proof_options, context)
    if canonical is not None:
        return hash_data(*canonical(unsecured, proof_options))
    return hash_data(canonical_document(config, loader), canonical_document(unsecured, loader))


def _check_size(document: Any) -> None:
    try:
        size = len(json.dumps(document, ensure_ascii=False))
    except RecursionError:
        raise DataIntegrityError("the document is nested too deeply") from None
    except (TypeError, ValueError) as exc:
        raise DataIntegrityError(f"the document is not JSON: {_first_reason(exc)}") from None
    if size > MAX_DOCUMENT_CHARS:
        raise DataIntegrityError(f"the document is larger than {MAX_DOCUMENT_CHARS} characters")


# --- signing ----------------------------------------------------------------------------------

def sign(document: dict, *, secret_key: bytes, verification_method: str, created: str,
         proof_purpose: str = "assertionMethod", loader: DocumentLoader | None = None,
         canonical: Canonicaliser | None = None) -> dict:
    """The document with an `eddsa-rdfc-2022` DataIntegrityProof added (a new dict; the
    document is not changed). `secret_key` is the raw 32-byte Ed25519 seed. `canonical`, when
    given, makes the canonical proof configuration and document from (document, proof options)
    instead of pyld + RDFC-1.0 (it must give the same text: `verify` takes the general way)."""
    if "proof" in document:
        raise DataIntegrityError("the document already has a proof (proof sets are not made)")
    _check_size(document)
    proof = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "created": created,
             "verificationMethod": verification_method, "proofPurpose": proof_purpose}
    data = _hash_of(document, proof, loader or bundled_loader(), canonical)
    signature = Ed25519PrivateKey.from_private_bytes(secret_key).sign(data)
    proof["proofValue"] = "z" + base58.b58encode(signature).decode("ascii")
    return {**document, "proof": proof}


# --- verifying --------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerificationResult:
    """What `verify` found. `code` is "" when verified, otherwise one of: not-a-credential,
    too-large, no-proof, proof-set, unsupported-proof, bad-proof, wrong-purpose, unknown-key,
    bad-proof-value, invalid-document, signature-mismatch."""

    verified: bool
    code: str = ""
    reason: str = ""
    verification_method: str | None = None

    def __bool__(self) -> bool:
        return self.verified


def _fail(code: str, reason: str, method: str | None = None) -> VerificationResult:
    return VerificationResult(False, code, reason, method)


def verify(document: Any, *, public_key_for: Callable[[str], bytes | None],
           expected_purpose: str = "assertionMethod",
           loader: DocumentLoader | None = None) -> VerificationResult:
    """Check the `eddsa-rdfc-2022` proof of a credential from anyone.

    `public_key_for(verification_method)` gives the raw 32-byte public key of a verification
    method the caller trusts for `expected_purpose` (from the register's DID document), or
    None when it knows no such method."""
    if not isinstance(document, dict):
        return _fail("not-a-credential", "a credential is a JSON object")
    try:
        _check_size(document)
    except DataIntegrityError as exc:
        return _fail("too-large", str(exc))
    proof = document.get("proof")
    if proof is None:
        return _fail("no-proof", "the credential has no proof")
    if isinstance(proof, list):
        return _fail("proof-set", "the credential has a set of proofs; one proof is expected")
    if not isinstance(proof, dict):
        return _fail("bad-proof", "the proof is not a JSON object")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return _fail("unsupported-proof",
                     f"the proof is not a {PROOF_TYPE} with cryptosuite {CRYPTOSUITE}")
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        return _fail("bad-proof", "the proof names no verificationMethod")
    if proof.get("proofPurpose") != expected_purpose:
        return _fail("wrong-purpose", f"the proof's purpose is not {expected_purpose}", method)
    signature = _signature_of(proof.get("proofValue"))
    if signature is None:
        return _fail("bad-proof-value",
                     "the proofValue is not a base58btc multibase Ed25519 signature", method)
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    if "@context" in proof:
        # The proof's contexts must begin the document's, and are then its contexts (§3.3.2).
        if not _starts_with(document.get("@context"), proof["@context"]):
            return _fail("bad-proof", "the proof's @context does not begin the credential's",
                         method)
        unsecured["@context"] = proof["@context"]
    public_key = _lookup(public_key_for, method)
    if public_key is None:
        return _fail("unknown-key", f"the verification method {method[:200]!r} is not a key "
                     "of this register", method)
    try:
        data = _hash_of(unsecured, proof, loader or bundled_loader())
    except DataIntegrityError as exc:
        return _fail("invalid-document", str(exc), method)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except InvalidSignature:
        return _fail("signature-mismatch", "the signature does not match the credential: it "
                     "was changed after signing, or signed with another key", method)
    return VerificationResult(True, verification_method=method)


def _signature_of(proof_value: Any) -> bytes | None:
    if not isinstance(proof_value, str) or not proof_value.startswith("z") \
            or len(proof_value) > 100:
        return None
    try:
        signature = base58.b58decode(proof_value[1:])
    except ValueError:
        return None
    return signature if len(signature) == 64 else None


def _starts_with(context: Any, prefix: Any) -> bool:
    contexts = context if isinstance(context, list) else [context]
    prefixes = prefix if isinstance(prefix, list) else [prefix]
    return contexts[:len(prefixes)] == prefixes


def _lookup(public_key_for: Callable[[str], bytes | None], method: str) -> bytes | None:
    key = public_key_for(method)
    return key if isinstance(key, bytes) and len(key) == 32 else None
