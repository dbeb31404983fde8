"""The dumps on the web (SPEC §7): the listing `/dumps/` and the files `/dumps/<file>`.

A file is served only while its bytes match the SHA-256 its manifest advertises (and the
listing, /catalogue.ttl's DCAT-AP and the ETag repeat): before the first download of a file in a
process its bytes are hashed, and the verdict is kept for that file's identity — device, inode,
size, modification and change times — so an intact file costs one stat per download afterwards,
and one written to since is hashed again. A file that does not match is refused (503, the one
error shape) and a new generation is asked for (`opendata.dumpschedule`).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    jsonify,
    make_response,
    render_template,
    request,
    send_file,
)

from opendata.dumpgen import FORMATS, current_manifest, dumps_dir, is_generating, sha256_file
from opendata.dumpschedule import refresh_if_stale, request_regeneration
from registry.errors import BadRequest, NotAcceptable, RegistryError
from web.conditional import conditional
from web.page import page_context, preferred_language
from web.state import current_flask_app, current_state, state_of

bp = Blueprint("catalogue_dumps", __name__, template_folder="templates")

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 60
MAX_VERDICTS = 64           # a few generations' files; older identities are never asked again


class DumpNotFound(RegistryError):
    status = 404
    code = "dump-not-found"
    title = "No such dump"


class DumpDamaged(RegistryError):
    status = 503
    code = "dump-damaged"
    title = "The dump file does not match its checksum; a new one is being made"


JSON = "application/json"
HTML = "text/html"


def _listing(manifest: dict | None) -> dict:
    files = [dict(f, url=f"/dumps/{f['file']}") for f in (manifest or {}).get("files", [])]
    return {"generated": (manifest or {}).get("generated"),
            "triples": (manifest or {}).get("triples"), "files": files,
            "regenerating": is_generating(dumps_dir(current_state().settings))}


@bp.get("/dumps/")
def listing():
    """The dumps, as HTML or JSON (`?format=json|html`, else the Accept header)."""
    asked = request.args.get("format")
    if asked is not None and asked not in ("json", "html"):
        raise BadRequest(f"format={asked!r}; use json or html.",
                         parameter="format", allowed=["json", "html"])
    if asked:
        wanted = {"json": JSON, "html": HTML}[asked]
    elif not request.accept_mimetypes:
        wanted = HTML
    else:
        wanted = request.accept_mimetypes.best_match([HTML, JSON])
    if wanted is None:
        raise NotAcceptable(f"Available: {HTML}, {JSON}.")
    folder = dumps_dir(current_state().settings)
    manifest = current_manifest(folder)
    refresh_if_stale(manifest)
    body = _listing(manifest)
    if wanted == JSON:
        response = jsonify(body)
    else:
        lang = preferred_language()
        response = make_response(render_template("dumps.html", listing=body,
                                                 **page_context(lang, "dumps")))
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["Cache-Control"] = "no-cache"
    return conditional(response)


@bp.get("/dumps/<name>")
def download(name: str):
    """One dump file, by its name in the manifest only (never a path), once its bytes are known
    to match the manifest's SHA-256."""
    app = current_flask_app()
    folder = dumps_dir(state_of(app).settings)
    for _ in range(2):          # a new generation may replace the files between the two reads
        manifest = current_manifest(folder)
        entry = next((f for f in (manifest or {}).get("files", []) if f["file"] == name), None)
        if manifest is None or entry is None:      # no manifest: no entry either
            raise DumpNotFound(f"No dump {name[:100]!r}; the files are listed at /dumps/.")
        fmt = next(f for f in FORMATS if f.file == name)
        path = Path(manifest["directory"]) / fmt.file
        try:
            intact = _matches(app, path, entry["sha256"])
        except FileNotFoundError:
            continue
        if not intact:
            request_regeneration(app)     # marks a rerun first, whatever else happens
            raise DumpDamaged(
                f"The file {name} no longer matches the SHA-256 its manifest gives "
                f"({entry['sha256']}), so it is not served; a new set of dumps is being "
                f"generated: try again in a minute.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        modified = dt.datetime.strptime(entry["modified"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.UTC)
        try:
            response = send_file(path, mimetype=fmt.content_type, as_attachment=True,
                                 download_name=fmt.file, conditional=True, etag=entry["sha256"],
                                 last_modified=modified, max_age=60)
        except FileNotFoundError:
            continue
        response.headers["Repr-Digest"] = f"sha-256=:{_b64(entry['sha256'])}:"
        return response
    raise DumpNotFound(f"The dump {name!r} is being replaced; try again.")


@dataclass
class DumpVerdicts:
    """Which dump files one web app found intact (`web.state` part)."""

    verdicts: dict[tuple, bool] = field(default_factory=dict)        # file identity: intact?
    hashing: dict[tuple, threading.Lock] = field(default_factory=dict)  # identity: its hashing
    guard: threading.Lock = field(default_factory=threading.Lock)


def _matches(app: Flask, path: Path, sha256: str) -> bool:
    """Whether the file's bytes have this SHA-256: hashed once per file identity in this process
    (concurrent first downloads of one file wait for one hashing; other files are not held up
    by it). Raises FileNotFoundError."""
    stat = os.stat(path)
    identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns,
                sha256)
    known = state_of(app).part(DumpVerdicts)
    verdicts, hashing, guard = known.verdicts, known.hashing, known.guard
    with guard:
        if identity in verdicts:
            return verdicts[identity]
        one_file = hashing.setdefault(identity, threading.Lock())
    with one_file:
        with guard:
            if identity in verdicts:                # hashed while this request waited
                return verdicts[identity]
        verdict = sha256_file(path) == sha256
        if not verdict:
            log.error("The dump %s does not match the SHA-256 in its manifest (%s): refused, "
                      "regenerating", path, sha256)
        with guard:
            if len(verdicts) >= MAX_VERDICTS:
                verdicts.clear()
            verdicts[identity] = verdict
            hashing.pop(identity, None)
    return verdict


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")
