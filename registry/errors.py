"""Errors named by outcome, each with an HTTP status, and the one JSON shape they all take.

Every error the web service returns — ours or Werkzeug's — is
`{"error": {"status": 404, "code": "licence-not-found", "title": "...", "detail": "..."}}`.
The web layer answers them (web/errors.py: this shape, or a page for a browser); the front
answers its own refusals in it too (ops/frontanswers.py). Nothing here knows about Flask.
"""

from __future__ import annotations


class RegistryError(Exception):
    status = 500
    code = "internal-error"
    title = "Internal error"

    def __init__(self, detail: str = "", *, headers: dict[str, str] | None = None, **extra):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra


class LicenceNotFound(RegistryError):
    status = 404
    code = "licence-not-found"
    title = "No such licence"


class NoDocument(LicenceNotFound):
    code = "no-document"
    title = "The licence has no published document"


class Unauthorised(RegistryError):
    status = 401
    code = "unauthorised"
    title = "An agency key is needed"

class OutOfScope(RegistryError):
    status = 403
    code = "out-of-scope"
    title = "The key's agency may not publish for this issuer"

class UnsupportedMediaType(RegistryError):
    status = 415
    code = "unsupported-media-type"
    title = "This kind of upload is not accepted"

class InvalidUpload(RegistryError):
    status = 422
    code = "invalid-upload"
    title = "The upload breaks the data standard; nothing was written"

class UploadNotFound(RegistryError):
    status = 404
    code = "upload-not-found"
    title = "No such upload of this agency"

class HolderNotFound(RegistryError):
    """The same answer for every 13-digit ID without a holder page: a natural person's (never
    stored), a wrong check digit, a juristic person holding no current licence."""
    status = 404
    code = "holder-not-found"
    title = "No licence holder with this ID in the register"

class ActivityNotFound(RegistryError):
    status = 404
    code = "upload-activity-not-found"
    title = "No such upload in the register"

class TooManyRequests(RegistryError):
    status = 429
    code = "too-many-requests"
    title = "Too many bad keys from this address"


class NotAcceptable(RegistryError):
    status = 406
    code = "not-acceptable"
    title = "No representation matches the Accept header"

class BadRequest(RegistryError):
    status = 400
    code = "bad-request"
    title = "The request is not valid"


class StoreUnavailable(RegistryError):
    status = 503
    code = "store-unavailable"
    title = "The store is not available"


class AgencyNotFound(RegistryError):
    status = 404
    code = "agency-not-found"
    title = "No such agency in the catalogue"

class LicenceTypeNotFound(RegistryError):
    status = 404
    code = "licence-type-not-found"
    title = "No such licence type in the catalogue"

class ReadOnly(RegistryError):
    status = 403
    code = "read-only"
    title = "The SPARQL endpoint is read-only"

class ServiceNotAllowed(RegistryError):
    status = 403
    code = "service-not-allowed"
    title = "Federated queries (SERVICE) are not allowed"

class InvalidQuery(RegistryError):
    status = 400
    code = "invalid-query"
    title = "The SPARQL query is not valid"

class QueryTooLarge(RegistryError):
    status = 413
    code = "query-too-large"
    title = "The SPARQL query is too long"

class QueryTimeLimit(RegistryError):
    status = 503
    code = "query-time-limit"
    title = "The query ran past the time limit and was stopped"

class QueryMemoryLimit(RegistryError):
    status = 503
    code = "query-memory-limit"
    title = "The query needed more memory than allowed and was stopped"

class QueryBusy(RegistryError):
    status = 503
    code = "query-busy"
    title = "Every query process is busy"


def error_body(status: int, code: str, title: str, detail: str, **extra) -> dict:
    return {"error": {"status": status, "code": code, "title": title, "detail": detail, **extra}}

