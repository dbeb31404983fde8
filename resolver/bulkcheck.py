"""`POST /api/v1/check` (SPEC §13): other agencies' systems check up to 1,000 licences at once.

No key; rate-limited per client address (web/requestlimit.py, settings CHECK_RATE_LIMIT and
CHECK_RATE_WINDOW). The body is JSON (an array of items, or `{"items": [...]}`) or CSV (a header
row, then one item per row); the answer is JSON, or CSV for `Accept: text/csv` or `?format=csv`.
The reading of items and the batched look-up are registry/bulklookup.py's; this module reads the
request, enforces the limits and writes the answer. docs/check-api.md is the contract.

Refusals, in the one error shape (web/errors.py): 429 over the rate limit (before anything is
read); 413 a body too large for 1,000 items (before it is parsed) or more than 1,000 items; 415
a body that is neither JSON nor CSV; 400 a body that cannot be parsed at all (not UTF-8, not
JSON, broken CSV quoting); 422 a parsed body of the wrong shape (no items, not an array, an item
neither string nor object, a CSV header without a usable column).
"""

from __future__ import annotations

import csv
import io
import json
import threading

from flask import Blueprint, Response, request

from registry import bulklookup
from registry.checkindex import IndexSource
from registry.csvsafe import safe_csv
from registry.errors import RegistryError
from web.conneg import negotiate
from web.messages import LANGUAGES, message
from web.requestlimit import RequestLimiter, RequestLimitExceeded
from web.searchindex import fresh_index
from web.state import current_state

bp = Blueprint("bulk_check", __name__)

JSON = "application/json"
CSV = "text/csv"
MAX_ITEMS = bulklookup.MAX_ITEMS
# What 1,000 items can reasonably take: a percent-encoded IRI with a 100-character Thai number
# is about 1,100 bytes; twice that per item leaves room for JSON objects and spacing.
MAX_BODY_BYTES = MAX_ITEMS * 2048
CSV_COLUMNS = ("position", "item", "found", "iri", "issuer", "licence_type", "number", "status",
               "valid_until", "version", "log_index", "document_sha256", "error")
_MATCH_FIELDS = CSV_COLUMNS[3:12]
# One item of the request: its position (JSON: 1-based index; CSV: row number), as given, read.
Item = tuple[int, object, bulklookup.Wanted]


class TooManyItems(RegistryError):
    status = 413
    code = "too-many-items"
    title = "Too many items in one check"


class BodyTooLarge(RegistryError):
    status = 413
    code = "body-too-large"
    title = "The body is larger than a check of 1,000 items can be"


class UnreadableBody(RegistryError):
    status = 400
    code = "unreadable-body"
    title = "The body cannot be parsed"


class InvalidCheck(RegistryError):
    status = 422
    code = "invalid-check-request"
    title = "The body does not list items to check"


class UnsupportedCheckType(RegistryError):
    status = 415
    code = "unsupported-media-type"
    title = "Send the items as JSON or CSV"


class CheckRateLimited(RegistryError):
    status = 429
    code = "too-many-requests"
    title = "Too many checks from this address"


class CheckLimiter(RequestLimiter):
    """The limiter of this route: a class of its own, as the app keeps one state per class
    (tests install one with their own clock: `state.install(CheckLimiter(..., clock=...))`)."""


_INSTALLING = threading.Lock()


def _limiter() -> RequestLimiter:
    state = current_state()
    found = state.existing(CheckLimiter)
    if found is None:
        with _INSTALLING:
            found = state.existing(CheckLimiter)
            if found is None:
                found = CheckLimiter(state.settings.check_rate_limit,
                                     state.settings.check_rate_window)
                state.install(found)
    return found


def _words(name: str, **values) -> dict[str, str]:
    return {lang: message(f"bulkcheck.{name}", lang).format(**values) for lang in LANGUAGES}


def _refuse(error: type[RegistryError], name: str, *, headers: dict[str, str] | None = None,
            extra: dict | None = None, **values) -> RegistryError:
    words = _words(name, **values)
    return error(words["en"], headers=headers, message=words, **(extra or {}))


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _body() -> bytes:
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise _refuse(BodyTooLarge, "body_too_large", size=length, limit=MAX_BODY_BYTES,
                      items=MAX_ITEMS)
    data = request.stream.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:      # a chunked body, sent without its length
        raise _refuse(BodyTooLarge, "body_too_large", size=len(data), limit=MAX_BODY_BYTES,
                      items=MAX_ITEMS)
    return data


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(UnreadableBody, "bad_encoding") from None


def _count(count: int) -> None:
    if count == 0:
        raise _refuse(InvalidCheck, "no_items")
    if count > MAX_ITEMS:
        raise _refuse(TooManyItems, "too_many_items", count=count, limit=MAX_ITEMS,
                      extra={"count": count, "limit": MAX_ITEMS})


def _json_items(base: str, text: str) -> list[Item]:
    try:
        parsed = json.loads(text)
    except ValueError as exc:           # JSONDecodeError, or an integer too long to convert
        raise _refuse(UnreadableBody, "bad_json", reason=str(exc)) from None
    except RecursionError:              # arrays nested thousands deep
        raise _refuse(UnreadableBody, "bad_json", reason="nested too deeply") from None
    items = parsed.get("items") if isinstance(parsed, dict) else parsed
    if not isinstance(items, list):
        found = ("an object without an \"items\" array" if isinstance(parsed, dict)
                 else type(parsed).__name__ if parsed is not None else "null")
        raise _refuse(InvalidCheck, "not_a_list", found=found)
    _count(len(items))
    out: list[Item] = []
    for position, item in enumerate(items, start=1):
        try:
            out.append((position, item, bulklookup.read_item(base, item, position)))
        except bulklookup.UnreadableItem as exc:
            raise _refuse(InvalidCheck, "bad_item", position=exc.position, found=exc.found,
                          extra={"position": exc.position}) from None
    return out


def _csv_items(base: str, text: str) -> list[Item]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(enumerate(reader, start=1))
    except csv.Error as exc:
        raise _refuse(UnreadableBody, "bad_csv", row=reader.line_num, reason=str(exc)) from None
    rows = [(n, row) for n, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise _refuse(InvalidCheck, "no_items")
    _, header = rows[0]
    columns = [h.strip().lower() for h in header]
    usable = {"iri", *bulklookup.NUMBER_FIELDS}
    if not usable & set(columns):
        raise _refuse(InvalidCheck, "bad_csv_header", found=", ".join(header) or "none",
                      extra={"position": rows[0][0]})
    _count(len(rows) - 1)
    out: list[Item] = []
    for position, row in rows[1:]:
        fields = {c: v.strip() for c, v in zip(columns, row, strict=False) if c and v.strip()}
        out.append((position, fields, bulklookup.read_fields(base, fields)))
    return out


def _media_type() -> str:
    wanted = request.args.get("format")
    if wanted:
        if wanted.lower() not in ("json", "csv"):
            raise _refuse(UnreadableBody, "bad_format", found=repr(wanted))
        return CSV if wanted.lower() == "csv" else JSON
    return negotiate(request.headers.get("Accept"), (JSON, CSV), formats={}) or JSON


@bp.get("/api/v1/check")
def how_to_check() -> Response:
    """What a client needs to know to POST a check (so the route answers a GET, and a browser's
    script can read its limits)."""
    settings = current_state().settings
    return Response(json.dumps({
        "method": "POST", "max_items": MAX_ITEMS, "max_body_bytes": MAX_BODY_BYTES,
        "accepts": [JSON, CSV], "answers": [JSON, CSV],
        "rate_limit": {"requests": settings.check_rate_limit,
                       "window_seconds": settings.check_rate_window},
        "item_forms": ["licence IRI (/id/ or /doc/, Unicode or percent-encoded)",
                       "{issuer, type, number}", "{number} or a number alone"]},
        ensure_ascii=False), mimetype=JSON)


@bp.post("/api/v1/check")
def check() -> Response:
    """Check up to 1,000 licences: each item's matches with their effective status today."""
    try:
        _limiter().take(request.remote_addr or "unknown")
    except RequestLimitExceeded as exc:
        raise _refuse(CheckRateLimited, "rate_limited", limit=exc.limit, window=exc.window,
                      retry=exc.retry_after, headers={"Retry-After": str(exc.retry_after)},
                      extra={"retry_after": exc.retry_after}) from None
    answer_type = _media_type()
    content_type = (request.mimetype or "").lower()
    if content_type not in (JSON, CSV):
        raise _refuse(UnsupportedCheckType, "unsupported_type",
                      found=repr(request.content_type or "a body without a Content-Type"))
    state = current_state()
    base = state.settings.base_iri
    text = _text(_body())
    items = _json_items(base, text) if content_type == JSON else _csv_items(base, text)
    today = state.clock()
    # From the side index brought up to the store first (registry/checkindex.py: why).
    source = IndexSource(fresh_index(), base)
    matches = bulklookup.look_up(source, base, [w for _, _, w in items], today)
    results = [_result(position, item, wanted, found)
               for (position, item, wanted), found in zip(items, matches, strict=True)]
    if answer_type == CSV:
        # An item holding a lone surrogate (JSON's "\ud800") cannot be UTF-8: shown as "?".
        return Response(_csv_answer(results).encode("utf-8", errors="replace"),
                        headers={"Content-Type": "text/csv; charset=utf-8"})
    body = {"date": today.isoformat(), "checked": len(results),
            "found": sum(1 for r in results if r["found"]), "results": results}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:          # a lone surrogate in an item: JSON escapes keep it
        data = json.dumps(body, separators=(",", ":")).encode("ascii")
    return Response(data, mimetype=JSON)


def _result(position: int, item: object, wanted: bulklookup.Wanted,
            found: list[bulklookup.Match]) -> dict:
    result: dict = {"position": position, "item": item, "found": bool(found),
                    "matches": [m.as_dict() for m in found]}
    if len(found) == 1:
        result.update(result["matches"][0])
    if wanted.error is not None:
        result["error"] = {"code": wanted.error.code, "message": wanted.error.message()}
    return result


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _csv_answer(results: list[dict]) -> str:
    rows = []
    for r in results:
        error = r["error"]["message"]["en"] if "error" in r else ""
        head = [_cell(r["position"]), _cell(r["item"]), _cell(r["found"])]
        if not r["matches"]:
            rows.append(head + [""] * len(_MATCH_FIELDS) + [error])
        for m in r["matches"]:
            rows.append(head + [_cell(m[f]) for f in _MATCH_FIELDS] + [error])
    return safe_csv(CSV_COLUMNS, rows)
