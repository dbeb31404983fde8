"""The register's DID (`did:web`, from the base IRI) and its DID document (SPEC §11).

did:web (https://w3c-ccg.github.io/did-method-web/): the host, its port percent-encoded
(`127.0.0.1:8000` → `127.0.0.1%3A8000`), then each segment of a path after the host joined
with ':'. A DID without a path resolves to `https://{host}/.well-known/did.json`; one with a
path to `https://{host}/{path}/did.json`. A register whose base IRI has a path therefore
publishes its document at `{BASE}/did.json`, because that is where every did:web resolver
looks for it (and the host's `/.well-known/` is not the register's to serve); with no path,
at `{BASE}/.well-known/did.json`, the SPEC's case.

The document lists EVERY key, retired ones too, as verification and assertion methods: a
credential signed with a key that has since been retired still names that key, and a verifier
only accepts a proof whose key the issuer's document lists for assertions. Retiring a key
stops the register signing with it; it does not withdraw what was signed (revocation is the
status lists' job). (A key that leaked would have to leave the document, and every
credential it signed with it: `keys rotate` does not do that.)
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from registry.signingkeys import SigningKey

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
WELL_KNOWN_PATH = "/.well-known/did.json"
PATH_DOCUMENT = "/did.json"


def did_for_base(base_iri: str) -> str:
    """The register's DID: `did:web:{host}`, `%3A{port}` when the base has one, `:{segment}`
    for each segment of its path. Raises ValueError for a base no did:web can name."""
    parts = urlsplit(base_iri)
    host = parts.hostname
    if not host or ":" in host:
        raise ValueError(f"did:web needs a host name or IPv4 address in the base IRI "
                         f"{base_iri!r}")
    try:
        name = host.encode("idna").decode("ascii")       # a Thai domain name, as DNS sees it
    except UnicodeError:
        raise ValueError(f"the host of the base IRI {base_iri!r} is not a valid domain name") \
            from None
    did = "did:web:" + name + (f"%3A{parts.port}" if parts.port is not None else "")
    segments = parts.path.split("/")[1:] if parts.path else []
    if any(not s for s in segments):
        raise ValueError(f"the path of the base IRI {base_iri!r} has an empty segment")
    return did + "".join(":" + quote(s, safe="") for s in segments)


def did_document_path(base_iri: str) -> str:
    """Where, under the base IRI, the DID document must be served for did:web to find it."""
    return PATH_DOCUMENT if urlsplit(base_iri).path else WELL_KNOWN_PATH


def verification_method_id(did: str, key: SigningKey) -> str:
    """The key's id in the document, the `verificationMethod` a proof names."""
    return f"{did}#{key.id}"


def did_document(base_iri: str, keys: Iterable[SigningKey]) -> dict:
    """The DID document: every key (retired ones too) as a Multikey verification method and
    an assertion method. Public keys only: nothing secret is ever put in it."""
    did = did_for_base(base_iri)
    methods = [{"id": verification_method_id(did, key), "type": "Multikey", "controller": did,
                "publicKeyMultibase": key.public_multibase} for key in keys]
    return {"@context": list(DID_CONTEXTS), "id": did, "verificationMethod": methods,
            "assertionMethod": [m["id"] for m in methods]}
