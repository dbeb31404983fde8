"""The upload page for agency staff (SPEC §5, tier 1): sign in with the agency key, check a CSV
saved from Excel, read every problem next to its row in Thai or English, fix, then publish.

Server-rendered, no script: one form POSTs multipart (`key`, `file`, `action`, `lang`) to
`/upload`, which runs the API's own `process_upload` (publishing/service.py `publish`) and
renders the outcome. The key travels only in the POST body (a hidden field after sign-in),
never in a URL or a cookie. After a check the file's bytes travel back in a hidden field (small
files only), so switching language can re-check the same file and "Publish this file"
publishes exactly what was checked.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, make_response, render_template, request

from publishing.api import authenticate, process_upload
from publishing.csvinput import WORKBOOK_MAGIC, InvalidCsv, read_csv_upload
from publishing.formatbase import XLSX_TYPE
from publishing.service import Upload
from publishing.uploadformats import media_type_for_file
from publishing.uploads import list_uploads
from publishing.xlsxinput import read_xlsx
from publishing.xlsxtemplate import template_workbook
from registry.bootstrap import load_catalogue
from registry.errors import InvalidUpload, OutOfScope, RegistryError, TooManyRequests, Unauthorised
from registry.paths import TEMPLATE_CSV
from registry.problems import Problem, summarise
from registry.records import COLUMNS, column_for_header
from web.conditional import conditional
from web.messages import message, words
from web.page import LANGUAGES, preferred_language
from web.state import current_state

bp = Blueprint("uploadpage", __name__, template_folder="templates")

CARRY_LIMIT = 256 * 1024                 # files up to this size come back in the page (base64
                                         # must stay under Flask's 500 kB form-field limit)
MAX_ROW_GROUPS = 200                     # rows with problems shown in full; the rest counted
HISTORY_LIMIT = 20


def _page(status: int = 200, **context):
    lang = context.setdefault("lang", preferred_language(form=True))   # the form's switch too
    context.setdefault("key", "")
    response = make_response(render_template(
        "upload.html", t=words(lang, "upload", "uploadsummary", "uploadfile"),
        other=("en" if lang == "th" else "th"),
        languages={code: message("common.language_name", code) for code in LANGUAGES},
        columns=COLUMNS, **context), status)
    headers = response.headers                      # CSP and nosniff: web/security.py
    headers["Cache-Control"] = "no-store"           # a signed-in page holds the key
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    return response


@bp.get("/upload")
def page():
    return _page()


UTF8_BOM = "\ufeff".encode()          # what Excel looks for to read a CSV as UTF-8

# A plain icon, so browsers asking for one find it here (no 404) and CSP needs no data: URLs.
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
           '<rect width="16" height="16" rx="3" fill="#0b5cad"/>'
           '<path d="M4 3h6l2 2v8H4z" fill="#fff"/></svg>')


@bp.get("/upload/icon.svg")
def icon():
    response = make_response(FAVICON)
    response.mimetype = "image/svg+xml"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/upload/template.csv")
def template():
    """The CSV template, a UTF-8 byte-order mark first: without one Excel on Windows reads a
    CSV in the ANSI code page and garbles Thai. (The file in data/ has none; the upload reads
    CSVs with or without.)"""
    return _download(UTF8_BOM + TEMPLATE_CSV.read_bytes().removeprefix(UTF8_BOM), "text/csv",
                     "licences.csv")


@bp.get("/upload/template.xlsx")
def template_xlsx():
    """The template as an Excel workbook (publishing/xlsxtemplate.py): fill it in and upload it
    as it is."""
    return _download(template_workbook(), XLSX_TYPE, "licences.xlsx")


def _download(body: bytes, mimetype: str, filename: str):
    """A template file to save: the same for every visitor, cached for an hour, validated."""
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return conditional(response)


@bp.post("/upload")
def submit():
    state = current_state()
    base, repo = state.settings.base_iri, state.repository
    key = request.form.get("key", "").strip()
    if not key:
        return _page(401, error="no_key")
    try:
        agency = authenticate(key)
    except Unauthorised:
        return _page(401, error="bad_key")
    except TooManyRequests as exc:
        response = _page(429, error="too_many")
        response.headers.update(exc.headers)
        return response

    catalogue = load_catalogue(repo)
    found = catalogue.agencies.get(agency)
    context = {"key": key, "agency": agency,
               "agency_label": {"th": found.label_th if found else agency,
                                "en": found.label_en if found else agency}}
    action = request.form.get("action", "")
    status = 200
    data, filename = _chosen_file()
    if action == "language" and data is None:
        # Back to the page in the other language; the last publish, if any, is shown again.
        context["published"] = request.form.get("last_upload", "")
    elif action in ("dry-run", "publish", "language"):
        status, outcome = _run(agency, data, filename, dry_run=action != "publish")
        context.update(outcome)
    history = list_uploads(repo, base, agency, limit=HISTORY_LIMIT)
    context["history"] = history
    context["last"] = next((u for u in history if u["upload_id"] == context.get("published")),
                           None)
    return _page(status, **context)


def _chosen_file() -> tuple[bytes | None, str]:
    """The file chosen in the form, else the one carried back from the last check."""
    chosen = request.files.get("file")
    if chosen is not None and chosen.filename:
        return chosen.read(), chosen.filename
    carried = request.form.get("content", "")
    if carried:
        try:
            return base64.b64decode(carried, validate=True), request.form.get("filename", "")
        except (binascii.Error, ValueError):
            return None, ""
    return None, ""


def _run(agency: str, data: bytes | None, filename: str, dry_run: bool) -> tuple[int, dict]:
    """Run the API's upload code on the file; what the page shows about it."""
    if data is None:
        return 400, {"error": "no_file"}
    outcome: dict = {"filename": filename}
    # The page takes what Excel saves: a workbook (by its bytes or name), else CSV.
    media_type = XLSX_TYPE if media_type_for_file(filename, data[:8]) == XLSX_TYPE else "text/csv"
    try:
        published = process_upload(agency, Upload(media_type, data), dry_run)
    except (InvalidUpload, OutOfScope) as exc:
        problems = exc.extra.get("problems", [])
        outcome.update(_problem_view(problems, data), refused=exc.code)
        status = exc.status
    except RegistryError as exc:            # pragma: no cover - the API's other refusals
        return exc.status, {**outcome, "error_detail": exc.detail}
    else:
        status = 200
        outcome["result"] = published.as_json()
        if published.result is not None:
            outcome["published"] = published.result.upload_id
            return status, outcome
        outcome.update(_problem_view(published.problems, data))
    if len(data) <= CARRY_LIMIT:
        outcome["content"] = base64.b64encode(data).decode("ascii")
    return status, outcome


def _problem_view(problems: list[dict], data: bytes) -> dict:
    """The summary first (one line per rule and column, with its count and first rows: what to
    fix, in short), then the problems grouped by row (file-level first, violations before
    warnings in a row), rows with a violation apart from rows with warnings only; each group
    with that row's cells."""
    by_row: dict = {}
    for p in problems:
        by_row.setdefault(p["row"], []).append(p)
    order = sorted(by_row, key=lambda r: (r is not None, isinstance(r, str), r or 0))
    failing = [r for r in order if any(p["severity"] != "Warning" for p in by_row[r])]
    warned = [r for r in order if r not in failing]
    shown = (failing + warned)[:MAX_ROW_GROUPS]
    headers, cells = _csv_rows(data, {r for r in shown if isinstance(r, int)})

    def groups(rows):
        return [{"row": r, "cells": cells.get(r),
                 "problems": sorted(by_row[r], key=lambda p: p["severity"] == "Warning")}
                for r in rows if r in shown]

    return {"summary": [s.as_json() for s in summarise(Problem.from_json(p) for p in problems)],
            "anchored_rows": [r for r in failing if r in shown and isinstance(r, int)],
            "groups": groups(failing), "warning_groups": groups(warned),
            "problem_count": sum(p["severity"] != "Warning" for p in problems),
            "warning_count": sum(p["severity"] == "Warning" for p in problems),
            "row_count": len([r for r in failing if r is not None]),
            "hidden_rows": len(order) - len(shown), "shown_rows": len(shown),
            "total_rows": len(order), "headers": headers}


def _csv_rows(data: bytes, wanted: set[int]) -> tuple[list[dict], dict[int, list[str]]]:
    """The file's headers (as written, with the template column each names) and the cells of
    the wanted rows as the checks read them (a workbook's date cells as YYYY-MM-DD), numbered as
    the validator numbers them (header = row 1). The same readers as the upload: CSV (UTF-8 or
    Windows-874) or a workbook."""
    if not wanted:
        return [], {}
    try:
        table = read_xlsx(data) if data.startswith(WORKBOOK_MAGIC) else read_csv_upload(data)
        headers = [{"text": h, "column": column_for_header(h)} for h in table.headers]
        cells: dict[int, list[str]] = {}
        last = max(wanted)
        for number, values in table.rows:
            if number in wanted:
                cells[number] = [values.get(column, "") for column in table.columns]
            if number >= last:
                break
        return headers, cells
    except InvalidCsv:                  # InvalidUploadFormat too: shown without cells
        return [], {}
