"""/verify (SPEC §6, §10): which licence a document belongs to, and its effective status today.

API clients (every client that does not rank HTML above JSON, web/conneg.py `prefers_html`)
get the JSON answer: `GET /verify?sha256=…`, or `POST` the document as the body or as the
multipart field `file`. A browser gets pages: `GET /verify` is a form (upload a PDF, paste a
SHA-256, paste a credential), and every answer is a page in the visitor's language, bad input
included (400, the form again).

A POSTed credential — a JSON body (application/json, application/vc, application/ld+json,
application/vc+ld+json) or the form field `credential` — is checked instead of hashed:
resolver/verifycredential.py.

The server keeps nothing. Pages carry no script, so a browser cannot hash the file itself: the
server hashes the upload as it arrives, chunk by chunk, and never holds or writes the file.
Werkzeug's own form parsing would spool a large file part to a temporary file; this view
parses the multipart body itself with Werkzeug's FormDataParser and a stream factory whose
"file" is only a running SHA-256 (`Digest`). MAX_CONTENT_LENGTH still holds: the request's
input stream refuses a longer body (413) before or while it is read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import IO, cast
from urllib.parse import quote

from flask import jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.formparser import FormDataParser

from registry import identifiers
from registry.errors import BadRequest
from resolver.licence import LicenceView, load_licence
from resolver.lookup import licences_by_checksum
from resolver.verifycredential import (
    CREDENTIAL_MEDIA_TYPES,
    answer_credential,
    read_credential_body,
)
from web.conneg import prefers_html
from web.page import page_context, preferred_language
from web.rdfresponse import document_headers
from web.state import current_state
from web.state import today as registry_today

CHUNK = 64 * 1024                # how much of a raw body is read (and hashed) at a time
HEX = frozenset("0123456789abcdef")
# The API's words for bad input: its answers stay exactly as they were.
NO_DOCUMENT = "Send the document as the body or as the form field `file`."
NOT_A_SHA256 = "sha256 must be 64 hexadecimal characters."


class Digest:
    """A write-only "file" that keeps nothing but the SHA-256 and size of what is written:
    what Werkzeug's multipart parser streams a file part into, instead of a temporary file."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:     # the parser rewinds a finished part
        return 0

    def read(self, size: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        pass

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class Unusable(Exception):
    """The request names no document to check: `reason` is its id in the [verify] words."""

    def __init__(self, reason: str, api_detail: str):
        super().__init__(api_detail)
        self.reason = reason
        self.api_detail = api_detail


def digest_factory(total_content_length: int | None, content_type: str | None,
                   filename: str | None, content_length: int | None = None) -> IO[bytes]:
    """Werkzeug's stream factory signature: every file part becomes a Digest."""
    return cast(IO[bytes], Digest())


def parse_multipart() -> tuple[MultiDict[str, str], tuple[Digest, str] | None]:
    """The form's text fields, and the digest and file name of the multipart field `file`
    (None when there is no such field), parsed from the request stream in chunks. Nothing is
    spooled to memory or disk but the form's small text fields (a pasted credential among
    them), which Werkzeug bounds by MAX_FORM_MEMORY_SIZE."""
    parser = FormDataParser(stream_factory=digest_factory,
                            max_form_memory_size=request.max_form_memory_size,
                            max_content_length=request.max_content_length,
                            max_form_parts=request.max_form_parts)
    _, form, files = parser.parse(request.stream, request.mimetype, request.content_length,
                                  request.mimetype_params)
    upload: FileStorage | None = files.get("file")
    if upload is None:
        return form, None
    return form, (cast(Digest, upload.stream), upload.filename or "")


def hash_body() -> Digest:
    """The digest of the raw request body, read in chunks."""
    digest = Digest()
    stream = request.stream
    while chunk := stream.read(CHUNK):
        digest.write(chunk)
    return digest


def posted_sha256(part: tuple[Digest, str] | None = None) -> str:
    """The SHA-256 of the POSTed document: the multipart field `file` (`part`, already
    parsed), or the raw body. A urlencoded form carries no file (as before: refused)."""
    if request.mimetype == "multipart/form-data":
        if part is None:
            raise Unusable("no_file", NO_DOCUMENT)
        digest, filename = part
        if digest.size == 0:      # a browser sends an empty part named "" when none was chosen
            raise Unusable("empty_file" if filename else "no_file", NO_DOCUMENT)
    elif request.mimetype == "application/x-www-form-urlencoded":
        raise Unusable("no_file", NO_DOCUMENT)
    else:
        digest = hash_body()
        if digest.size == 0:
            raise Unusable("no_file", NO_DOCUMENT)
    return digest.hexdigest()


def asked_sha256(*, pasted: bool) -> str:
    """`?sha256=`; `pasted` (a person's paste, from the page) may carry spaces around it."""
    sha = (request.args.get("sha256") or "").lower()
    sha = sha.strip() if pasted else sha
    if len(sha) != 64 or not HEX.issuperset(sha):
        raise Unusable("not_a_sha256", NOT_A_SHA256)
    return sha


def verify() -> ResponseReturnValue:
    """Which licence a document belongs to, and its effective status today. (Registered on
    the resolver's blueprint by resolver/routes.py: the endpoint stays `resolver.verify`.)"""
    browser = prefers_html(request.headers.get("Accept"))
    if browser and request.method == "GET" and "sha256" not in request.args:
        return _page("verify.html", 200)
    part = None
    if request.method == "POST":
        # A credential (a JSON body, or the form field `credential`) is checked, not hashed.
        if request.mimetype in CREDENTIAL_MEDIA_TYPES:
            return answer_credential(read_credential_body(), browser, _page)
        if request.mimetype == "multipart/form-data":
            form, part = parse_multipart()
            if (form.get("credential") or "").strip():
                return answer_credential(form["credential"], browser, _page)
        elif request.mimetype == "application/x-www-form-urlencoded" \
                and (request.form.get("credential") or "").strip():
            return answer_credential(request.form["credential"], browser, _page)
    try:
        sha = posted_sha256(part) if request.method == "POST" else asked_sha256(pasted=browser)
    except Unusable as problem:
        if browser:
            return _page("verify.html", 400, problem=problem.reason,
                         pasted=(request.args.get("sha256") or "")[:200])
        raise BadRequest(problem.api_detail) from None
    settings = current_state().settings
    repo = current_state().repository
    today = registry_today()
    matches: list[LicenceView] = []
    for key in licences_by_checksum(repo, settings.base_iri, sha):
        licence = load_licence(repo, settings.base_iri, key)
        if licence is not None:
            matches.append(licence)
    status = 200 if matches else 404
    if browser:
        found = [{"licence": m, "href": quote(identifiers.doc_path("licence", m.key.path))}
                 for m in matches]
        return _page("verify_result.html", status, sha=sha, matches=found, today=today,
                     uploaded=request.method == "POST")
    response = jsonify({"sha256": sha, "matches": [_match(m, today) for m in matches],
                        "checked": today.isoformat()})
    response.status_code = status
    return document_headers(response)      # Vary: the same URL is a page for a browser


def _match(licence: LicenceView, today: dt.date) -> dict:
    until = licence.valid_until
    return {"licence": licence.iri, "effective_status": licence.effective_status(today),
            "valid_until": until.isoformat() if until else None,
            "record": quote(identifiers.doc_path("licence", licence.key.path))}


def _page(template: str, status: int, **context) -> ResponseReturnValue:
    lang = preferred_language()
    megabytes = f"{current_state().settings.max_upload_bytes / (1024 * 1024):.3g}"
    response = make_response(render_template(
        template, **page_context(lang, "licence", "verify", "verifycredential"),
        megabytes=megabytes, **context),
        status)
    if request.method == "POST":          # the answer about someone's file stays theirs
        response.headers["Cache-Control"] = "no-store"
    return document_headers(response)      # Vary: the same URL answers JSON to API clients
