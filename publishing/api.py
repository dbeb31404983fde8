"""The upload API (SPEC §5): `POST /api/v1/uploads`, authorised by an agency key.

All or nothing: a batch with any violation writes nothing and answers 422 with every problem;
a batch naming an issuer outside the agency's scope answers 403; a good batch commits as one
change set and answers 200 with the counts and the upload id.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from publishing.keys import agency_for_key
from publishing.openapi import openapi
from publishing.ratelimit import FailureLimiter, TooManyFailures
from publishing.service import Published, Upload, publish
from publishing.uploadformats import ACCEPTED_TYPES
from publishing.uploads import list_uploads, upload_report
from registry.bootstrap import load_catalogue
from registry.errors import TooManyRequests, Unauthorised, UploadNotFound
from registry.problems import report_csv
from web.queryparams import bool_param, int_param
from web.state import current_flask_app, current_state

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_LIST_LIMIT = 1000           # uploads listed in one answer of GET /uploads


def authenticate(presented: str) -> str:
    """The agency whose key this is. Raises Unauthorised, or TooManyRequests (with Retry-After)
    once a client has sent too many bad keys; the API and the upload page both come here."""
    state = current_state()
    limiter = state.part(FailureLimiter)
    client = request.remote_addr or "unknown"
    try:
        limiter.check(client)
    except TooManyFailures as exc:
        raise TooManyRequests(f"Try again in {exc.retry_after} s.",
                              headers={"Retry-After": str(exc.retry_after)}) from None
    agency = agency_for_key(state.repository, state.settings.base_iri, presented)
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
    state = current_state()
    return jsonify({"agency": agency, "uploads": list_uploads(
        state.repository, state.settings.base_iri, agency,
        limit=int_param("limit", default=100, minimum=0, maximum=MAX_LIST_LIMIT))})


def _own_upload(upload_id: str) -> tuple[dict, dict]:
    agency = _agency()
    state = current_state()
    base, repo = state.settings.base_iri, state.repository
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
    return Response(report_csv(report["problems"]), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="report-{upload_id}.csv"'})


@bp.post("/uploads")
def upload():
    agency = _agency()
    # The body is read only once its media type is accepted.
    body = Upload(request.mimetype, lambda: request.get_data(cache=False))
    return jsonify(process_upload(agency, body, bool_param("dry_run")).as_json())


def process_upload(agency: str, upload: Upload, dry_run: bool) -> Published:
    """`publish()` one upload by `agency` into this app's store; the API and the upload page
    both come here. The commit signal's sender is this app. Raises what `publish` raises
    (UnsupportedMediaType, OutOfScope, InvalidUpload, each with the problems), which the API
    answers as they are."""
    settings, repo = current_state().settings, current_state().repository
    return publish(repo, base=settings.base_iri, catalogue=lambda: load_catalogue(repo),
                   agency=agency, uploads=upload, dry_run=dry_run,
                   sender=current_flask_app(),
                   settings=settings)
