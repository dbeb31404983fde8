"""The register's verifiable credentials over HTTP (SPEC §11): what the signer
(registry/credentialissue.py) makes, served with negotiation, validators and open CORS.

- `GET /credential/licence/{issuer}/{type}/{number}` (`?version=N`): the licence version as a
  signed VC 2.0. `/id/licence/…` sends a client asking `application/vc` here (resolver/routes.py).
- `GET /status/{purpose}/{n}`: a signed BitstringStatusListCredential.
- `GET /.well-known/did.json` (`{BASE}/did.json` when the base IRI has a path: where did:web
  looks, registry/didweb.py): the DID document with every key, retired ones too.
- `GET /contexts/credentials/v1.jsonld`: the register's credential context, so a verifier that
  bundles only the W3C contexts can take the register's from the register.

Media types. A credential is the same signed JSON bytes whatever the client asks; the
Content-Type is the type it asked for among those that name it: `application/vc` (VC 2.0's own,
the default, also for `*/*` or no Accept), `application/vc+ld+json` (VC 1.1 clients),
`application/ld+json` (JSON-LD processors) and `application/json` (plain JSON clients); each has
its own ETag (a representation is bytes and type). Anything else is 406. The DID document
likewise: `application/did+json` by default, or `application/did+ld+json`,
`application/ld+json`, `application/json`.

Errors take the register's one shape (web/errors.py). A signing key file that is missing or
unusable is the operator's to fix: the full message (naming the file) goes to the log, the client
gets a 503 saying what the operator runs, never the file's path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from importlib.resources import as_file

from flask import Blueprint, Response, current_app, request, send_file
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as BaseResponse

from registry import identifiers
from registry.credentialissue import CredentialIssuer, IssuedCredential
from registry.didweb import PATH_DOCUMENT, WELL_KNOWN_PATH, did_document_path
from registry.errors import LicenceNotFound, NotAcceptable, RegistryError
from registry.jsonldcontexts import CREDENTIAL_CONTEXT_ROUTE
from registry.paths import CREDENTIAL_CONTEXT
from registry.signingkeys import SigningKeyError
from registry.statuslist import PURPOSES
from resolver.routes import CREDENTIAL_TYPES, MAX_VERSION, licence_path
from web import conneg
from web.conditional import conditional
from web.queryparams import int_param
from web.state import current_state

bp = Blueprint("credentials", __name__)

# What a credential is served as, the first when the client has no preference.
CREDENTIAL_OFFERS = (*CREDENTIAL_TYPES, conneg.JSONLD, conneg.JSON)
DID_JSON = "application/did+json"
DID_OFFERS = (DID_JSON, "application/did+ld+json", conneg.JSONLD, conneg.JSON)

CURRENT_MAX_AGE = 60            # the current version, a status list, the DID document: change
FIXED_MAX_AGE = 86400           # ?version=N: a version never changes (a rotation re-signs it)
CONTEXT_MAX_AGE = 86400         # versioned, never changed once published
MAX_LIST_NUMBER = 1_000_000     # /status/{purpose}/{n} beyond this is not looked up
_LIST_NUMBER = re.compile(r"0|[1-9][0-9]{0,6}")     # canonical decimal, no sign, no padding


class SigningUnavailable(RegistryError):
    status = 503
    code = "signing-unavailable"
    title = "The register cannot sign credentials now"


class StatusListNotFound(RegistryError):
    status = 404
    code = "status-list-not-found"
    title = "No such status list"


def _issuer() -> CredentialIssuer:
    return current_state().credentials


def _signing_unavailable(exc: SigningKeyError) -> SigningUnavailable:
    current_app.logger.error("credentials: %s", exc)      # names the key file: the operator's
    return SigningUnavailable(
        "The register's signing key file is missing or cannot be used. The register's operator "
        "runs `licence-registry init` (which makes the key file when it is absent) and reads "
        "the server's log for the reason.")


def _negotiate(offers: Sequence[str]) -> str:
    """The media type to answer with (406 when none fits). Only the names listed: no alias
    turns `application/json` into another type, and `?format=` is not read."""
    wanted = conneg.negotiate(request.headers.get("Accept"), tuple(offers), aliases={})
    if wanted is None:
        raise NotAcceptable(f"Available: {', '.join(offers)}.")
    return wanted


def _served(issued: IssuedCredential, media_type: str, max_age: int,
            offers: Sequence[str] = CREDENTIAL_OFFERS) -> BaseResponse:
    """The signed bytes as `media_type` (one of `offers`), tagged, cacheable, conditional."""
    response = Response(issued.body, content_type=media_type)
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    # One tag per representation: the bytes are the same, the Content-Type is not.
    position = offers.index(media_type)
    return conditional(response, issued.etag if position == 0 else f"{issued.etag}-{position}")


@bp.get("/credential/licence/<path:rest>")
@licence_path("credential")
def licence_credential(key: identifiers.LicenceKey, rest: str):
    media_type = _negotiate(CREDENTIAL_OFFERS)
    version = int_param("version", default=None, minimum=1, maximum=MAX_VERSION)
    try:
        issued = _issuer().licence_credential(key, version)
    except SigningKeyError as exc:
        raise _signing_unavailable(exc) from None
    if issued is None:
        what = f"version {version} of licence" if version else "licence"
        raise LicenceNotFound(f"No {what} {key.path!r} in the register.")
    return _served(issued, media_type, FIXED_MAX_AGE if version else CURRENT_MAX_AGE)


@bp.get("/status/<purpose>/<number>")
def status_list(purpose: str, number: str):
    media_type = _negotiate(CREDENTIAL_OFFERS)
    if purpose not in PURPOSES or not _LIST_NUMBER.fullmatch(number) \
            or int(number) > MAX_LIST_NUMBER:
        raise StatusListNotFound(f"There is no status list {purpose[:40]!r} {number[:40]!r}: "
                                 f"lists are /status/{{{'|'.join(PURPOSES)}}}/{{n}}.")
    try:
        issued = _issuer().status_list_credential(purpose, int(number))
    except SigningKeyError as exc:
        raise _signing_unavailable(exc) from None
    if issued is None:
        raise StatusListNotFound(f"No licence has a place in {purpose} list {number}.")
    return _served(issued, media_type, CURRENT_MAX_AGE)


def _did_document() -> BaseResponse:
    media_type = _negotiate(DID_OFFERS)
    try:
        document = _issuer().did_document()
    except SigningKeyError as exc:
        raise _signing_unavailable(exc) from None
    body = (current_app.json.dumps(document, indent=2) + "\n").encode("utf-8")
    # A tag over the body (it changes with a rotation), one per representation.
    issued = IssuedCredential(body, hashlib.sha256(body).hexdigest()[:32], 0, True)
    return _served(issued, media_type, CURRENT_MAX_AGE, DID_OFFERS)


@bp.get(WELL_KNOWN_PATH)
def did_document():
    return _did_document()


@bp.get(PATH_DOCUMENT)
def did_document_under_path():
    """did:web looks here only for a register whose base IRI has a path (registry/didweb.py);
    for the others, nothing is here."""
    if did_document_path(current_state().settings.base_iri) != PATH_DOCUMENT:
        raise NotFound(f"The register's DID document is at {WELL_KNOWN_PATH}.")
    return _did_document()


@bp.get(CREDENTIAL_CONTEXT_ROUTE)
def credential_context():
    with as_file(CREDENTIAL_CONTEXT) as path:      # as publishing/schemas.py sends its own
        return send_file(path, mimetype=conneg.JSONLD, max_age=CONTEXT_MAX_AGE,
                         conditional=True, etag=True)
