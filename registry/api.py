"""The upload API (SPEC §5): `POST /api/v1/uploads`, authorised by an agency key.

All or nothing: a batch with any violation writes nothing and answers 422 with every problem;
a batch naming an issuer outside the agency's scope answers 403; a good batch commits as one
change set and answers 200 with the counts and the upload id.
"""

from __future__ import annotations

from typing import Callable

from flask import Blueprint, current_app, jsonify, request

from .bootstrap import load_catalogue
from .csvinput import InvalidCsv
from .errors import RegistryError
from .keys import agency_for_key
from .pipeline import commit, validate_upload
from .uploadformats import ACCEPTED_TYPES
from .validation import ValidationContext

bp = Blueprint("api", __name__, url_prefix="/api/v1")


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


class InvalidUploadBatch(RegistryError):
    status = 422
    code = "invalid-upload"
    title = "The upload breaks the data standard; nothing was written"


def _agency(repo, base: str) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorised("Send the agency key as `Authorization: Bearer <key>`.")
    agency = agency_for_key(repo, base, presented.strip())
    if agency is None:
        raise Unauthorised("The key is not valid or has been revoked.")
    return agency


def _is_true(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


@bp.post("/uploads")
def upload():
    settings = current_app.config["REGISTRY"]
    repo = current_app.extensions["repository"]
    agency = _agency(repo, settings["BASE_IRI"])
    return jsonify(process_upload(agency, request.mimetype,
                                  lambda: request.get_data(cache=False),
                                  _is_true(request.args.get("dry_run"))))


def process_upload(agency: str, media_type: str, body: bytes | Callable[[], bytes],
                   dry_run: bool) -> dict:
    """Check (and unless `dry_run`, commit) one upload by `agency`; the API's 200 body.

    Shared by the API and the upload page. `body` may be a function that reads it, so a body of
    a refused media type is never read. Raises UnsupportedMediaType, OutOfScope or
    InvalidUploadBatch (each with the problems) exactly as the API answers them.
    """
    settings = current_app.config["REGISTRY"]
    base = settings["BASE_IRI"]
    repo = current_app.extensions["repository"]
    if media_type not in ACCEPTED_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type {media_type or '(none)'} is not accepted; send one of "
            f"{', '.join(ACCEPTED_TYPES)}.", accepted=list(ACCEPTED_TYPES))
    data = body() if callable(body) else body
    catalogue = load_catalogue(repo)
    try:
        report = validate_upload(media_type, data,
                                 ValidationContext.for_agency(catalogue, agency, base), base)
    except InvalidCsv as exc:
        raise InvalidUploadBatch(exc.en, problems=[{"row": None, "field": None, "rule": "csv",
                                                    "severity": "Violation",
                                                    "message": {"th": exc.th, "en": exc.en}}])
    problems = [p.as_json() for p in report.problems]
    if any(p.rule == "issuer-scope" for p in report.violations):
        raise OutOfScope(f"Agency {agency!r} may publish only for "
                         f"{', '.join(sorted(catalogue.scope_of(agency)))}; nothing was written.",
                         problems=problems)
    if not report.ok:
        raise InvalidUploadBatch(f"{len(report.violations)} problem(s) in {report.rows} row(s).",
                                 problems=problems)
    if dry_run:
        return {"dry_run": True, "valid": True, "rows": report.rows,
                "licences": len(report.records), "problems": problems}
    result = commit(repo, report.records, base=base, catalogue=catalogue, agency=agency)
    return {"dry_run": False, **result.as_json(), "rows": report.rows, "problems": problems}
