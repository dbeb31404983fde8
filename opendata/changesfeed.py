"""`GET /api/v1/changes?after=N&limit=L` (SPEC §13, issue 16 item 2): every change of a licence,
in the public log's order, for other agencies' systems that keep an exact copy of the register
(docs/changes-feed.md). The pages are registry/changelist.py's; this module reads the
parameters and writes ND-JSON with the cursor and caching headers.

- one JSON object a line (`application/x-ndjson; charset=utf-8`) per licence-version entry;
- `X-Next-After`: the cursor of the next call (the last log index the page covered); `Link:
  <…?after=X>; rel="next"` when the page is full (more may follow at once);
- a full page never changes (the log only grows, and each line's status is the one on the day
  it was recorded): cached a year, immutable. A partial (last) page: 10 seconds, with a strong
  ETag over the covered range and the log's size, so a poll that finds nothing new is a 304;
- a bad `after` or `limit` is a 400 `bad-request` naming the parameter, in Thai and English.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from werkzeug.wrappers import Response as BaseResponse

from registry import changelist, logstore
from registry.errors import BadRequest
from web.conditional import client_has, conditional
from web.messages import LANGUAGES, message
from web.queryparams import int_param
from web.state import current_state

bp = Blueprint("changes_feed", __name__)

NDJSON = "application/x-ndjson; charset=utf-8"
MAX_NUMBER = 2**53 - 1          # a JSON number every client reads exactly
FULL_PAGE_CACHE = "public, max-age=31536000, immutable"
LAST_PAGE_CACHE = "public, max-age=10"


def _refusal(name: str, key: str, **values: object) -> BadRequest:
    texts = {lang: message(f"changesfeed.{key}", lang).format(name=name, **values)
             for lang in LANGUAGES}
    return BadRequest(texts["en"], parameter=name, message=texts)


def _after() -> int | None:
    """The cursor: a whole number from 0 to MAX_NUMBER, or None when absent."""
    try:
        return int_param("after", default=None, minimum=0, maximum=MAX_NUMBER)
    except BadRequest:
        if request.args.get("after", "").startswith("-"):
            raise _refusal("after", "after_negative") from None
        raise _refusal("after", "not_number", maximum=MAX_NUMBER) from None


def _limit() -> int:
    try:
        return int_param("limit", default=changelist.MAX_LIMIT, minimum=1,
                         maximum=changelist.MAX_LIMIT)
    except BadRequest:
        raise _refusal("limit", "limit_range", maximum=changelist.MAX_LIMIT) from None


def _line(change: changelist.Change, base: str) -> str:
    return json.dumps({
        "index": change.index, "licence": change.licence, "iri": change.licence,
        "version": change.version, "status": change.status, "valid_until": change.valid_until,
        "time": change.time, "upload": change.upload, "sha256": change.sha256,
        "record": change.record_url(base)}, ensure_ascii=False, separators=(",", ":")) + "\n"


@bp.get("/api/v1/changes")
def changes() -> BaseResponse:
    after, limit = _after(), _limit()
    state = current_state()
    repo, base = state.repository, state.settings.base_iri
    size = logstore.LogReader(repo, base).size()
    try:
        page = changelist.window(after, limit, size)
    except changelist.CursorError as refused:
        raise _refusal(refused.parameter, refused.rule, **refused.values) from None
    # The covered range, the page size and the log's size: a partial page changes only when the
    # log grows (a full page never does; it is tagged all the same).
    etag = f"changes-{page.start}-{page.end}-{limit}-{size if not page.full else 'full'}"
    if client_has(etag):
        response = Response(content_type=NDJSON)          # conditional() makes it the 304
    else:
        body = "".join(_line(change, base) for change in changelist.read_changes(repo, base, page))
        response = Response(body, content_type=NDJSON)
    response.headers["X-Next-After"] = str(page.next_after)
    if page.full:
        response.headers["Cache-Control"] = FULL_PAGE_CACHE
        response.headers["Link"] = \
            f'<{base}/api/v1/changes?after={page.next_after}&limit={limit}>; rel="next"'
    else:
        response.headers["Cache-Control"] = LAST_PAGE_CACHE
    return conditional(response, etag)
