"""The upload API (SPEC §5): `POST /api/v1/uploads`, authorised by an agency key.

All or nothing: a batch with any violation writes nothing and answers 422 with every problem;
a batch naming an issuer outside the agency's scope answers 403; a good batch commits as one
change set and answers 200 with the counts and the upload id.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify, request

from publishing.csvinput import InvalidCsv
from publishing.keys import agency_for_key
from publishing.openapi import openapi
from publishing.pipeline import commit, validate_upload
from publishing.ratelimit import TooManyFailures
from publishing.uploadformats import ACCEPTED_TYPES
from publishing.uploads import list_uploads, upload_report
from registry.bootstrap import load_catalogue
from registry.csvsafe import safe_csv
from registry.errors import (
    InvalidUpload,
    OutOfScope,
    TooManyRequests,
    Unauthorised,
    UnsupportedMediaType,
    UploadNotFound,
)
from registry.events import licences_committed
from registry.validation import ValidationContext
from web.queryparams import bool_param, int_param

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_LIST_LIMIT = 1000           # uploads listed in one answer of GET /uploads


def authenticate(presented: str) -> str:
    """The agency whose key this is. Raises Unauthorised, or TooManyRequests (with Retry-After)
    once a client has sent too many bad keys; the API and the upload page both come here."""
    limiter = current_app.extensions["key_failures"]
    client = request.remote_addr or "unknown"
    try:
        limiter.check(client)
    except TooManyFailures as exc:
        raise TooManyRequests(f"Try again in {exc.retry_after} s.",
                              headers={"Retry-After": str(exc.retry_after)}) from None
    repo = current_app.extensions["repository"]
    agency = agency_for_key(repo, current_app.config["REGISTRY"]["BASE_IRI"], presented)
    if agency is None:
        limiter.failed(client)
        raise Unauthorised("The key is not valid or has been revoked.")
    return agency                   # the client's bad keys still count (publishing/ratelimit.py)


def _agency() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorised("Send the agency key as `Authorization: Bearer <key>`.")
    return authenticate(presented.strip())


@bp.get("/openapi.json")
def openapi_description():
    return jsonify(openapi(ACCEPTED_TYPES))


@bp.get("/uploads")
def uploads():
    """The key's agency's own committed uploads, newest first."""
    agency = _agency()
    repo = current_app.extensions["repository"]
    return jsonify({"agency": agency, "uploads": list_uploads(
        repo, current_app.config["REGISTRY"]["BASE_IRI"], agency,
        limit=int_param("limit", default=100, minimum=0, maximum=MAX_LIST_LIMIT))})


def _own_upload(upload_id: str) -> tuple[dict, dict]:
    agency = _agency()
    base = current_app.config["REGISTRY"]["BASE_IRI"]
    repo = current_app.extensions["repository"]
    summary = next((u for u in list_uploads(repo, base, agency) if u["upload_id"] == upload_id),
                   None)
    report = upload_report(repo, base, agency, upload_id) if summary else None
    if summary is None or report is None:
        raise UploadNotFound(f"Agency {agency!r} has no upload {upload_id!r}.")
    return summary, report


@bp.get("/uploads/<upload_id>")
def upload_detail(upload_id: str):
    """One of the agency's uploads with its report (warnings). Another agency's: 404."""
    summary, report = _own_upload(upload_id)
    return jsonify({**summary, "report": report})


@bp.get("/uploads/<upload_id>/report.csv")
def upload_report_csv(upload_id: str):
    """The report as a CSV to open in Excel (cells that look like formulas are neutralised)."""
    _, report = _own_upload(upload_id)
    body = safe_csv(["row", "field", "rule", "severity", "message_th", "message_en"],
                    ([str(p["row"]), p["field"] or "", p["rule"], p["severity"],
                      p["message"]["th"], p["message"]["en"]] for p in report["problems"]))
    return Response("\ufeff" + body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="report-{upload_id}.csv"'})


@bp.post("/uploads")
def upload():
    agency = _agency()
    return jsonify(process_upload(agency, request.mimetype,
                                  lambda: request.get_data(cache=False),
                                  bool_param("dry_run")))


def process_upload(agency: str, media_type: str, body: bytes | Callable[[], bytes],
                   dry_run: bool) -> dict:
    """Check (and unless `dry_run`, commit) one upload by `agency`; the API's 200 body.

    Shared by the API and the upload page. `body` may be a function that reads it, so a body of
    a refused media type is never read. Raises UnsupportedMediaType, OutOfScope or
    InvalidUpload (each with the problems) exactly as the API answers them.
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
        problem = {"row": exc.row, "field": exc.field, "rule": "csv", "severity": "Violation",
                   "message": {"th": exc.th, "en": exc.en}}
        raise InvalidUpload(exc.en, problems=[problem]) from exc
    problems = [p.as_json() for p in report.problems]
    if any(p.rule == "issuer-scope" for p in report.violations):
        raise OutOfScope(f"Agency {agency!r} may publish only for "
                         f"{', '.join(sorted(catalogue.scope_of(agency)))}; nothing was written.",
                         problems=problems)
    if not report.ok:
        raise InvalidUpload(f"{len(report.violations)} problem(s) in {report.rows} row(s).",
                                 problems=problems)
    if dry_run:
        return {"dry_run": True, "valid": True, "rows": report.rows,
                "licences": len(report.records), "problems": problems}
    result = commit(repo, report.records, base=base, catalogue=catalogue, agency=agency,
                    problems=report.problems)
    licences_committed.send(current_app._get_current_object(), settings=settings)  # type: ignore[attr-defined]
    return {"dry_run": False, **result.as_json(), "rows": report.rows, "problems": problems}
