"""The upload formats' own documents, served locally (SPEC §5: nothing is fetched from outside).

- `GET /schemas/licence-upload.json`: the JSON Schema of a JSON upload (application/schema+json).
- `GET /contexts/licence.jsonld`: the project's JSON-LD context (application/ld+json); a JSON-LD
  upload may name it by this URL under `{BASE}` and it is resolved from this file, never fetched.

Both are static files of the release, sent with validators and open CORS (web/cors.py) so
that browsers and JSON-LD processors elsewhere can use them.
"""

from __future__ import annotations

from importlib.resources import as_file
from importlib.resources.abc import Traversable

from flask import Blueprint, send_file

from publishing.jsoninput import SCHEMA_PATH
from publishing.rdfinput import CONTEXT_PATH

bp = Blueprint("schemas", __name__)

MAX_AGE = 3600


def _send(resource: Traversable, mimetype: str):
    with as_file(resource) as path:         # send_file opens it before the block ends
        return send_file(path, mimetype=mimetype, max_age=MAX_AGE, conditional=True, etag=True)


@bp.get("/schemas/licence-upload.json")
def licence_upload_schema():
    return _send(SCHEMA_PATH, "application/schema+json")


@bp.get("/contexts/licence.jsonld")
def licence_context():
    return _send(CONTEXT_PATH, "application/ld+json")
