"""Upload bodies of every accepted media type, turned into rows for the one validator.

Each reader yields `(row, values)`: `row` names the record as the agency can find it (the
spreadsheet row of a CSV, the array position of JSON, the node IRI of RDF) and `values` maps the
CSV template's columns to text. A record whose IRI was given in the upload (JSON-LD `@id`,
Turtle subject, named graph) carries it as `values["_iri"]`, which validation checks against the
IRI minted from its issuer, type and number, and against the uploading agency's scope.

Readers (SPEC §5):
- `text/csv`: `publishing/csvinput.py`.
- `application/json`: `publishing/jsoninput.py`, checked first against
  `data/schemas/licence-upload.json` (served at `/schemas/licence-upload.json`).
- `application/ld+json` and `text/turtle`: `publishing/rdfinput.py`; RDF is read back into the
  template's columns (docs/data-model.md in reverse), so every format meets the same validator
  and the same licence gets the same IRI and the same stored record.

Nothing in an upload is ever fetched: a body holding `<!DOCTYPE` or `<!ENTITY` (the start of an
XML entity-expansion attack) is refused before any parser sees it, and JSON-LD contexts are
served only from the project's own copy.
"""

from __future__ import annotations

import re

from publishing import rdfinput
from publishing.csvinput import decode_upload, read_csv
from publishing.formatbase import ACCEPTED_TYPES, InvalidUploadFormat, Rows
from publishing.jsoninput import read_json

__all__ = ["ACCEPTED_TYPES", "InvalidUploadFormat", "Rows", "read_upload",
           "refuse_markup_declarations"]

# Searched in the raw bytes (no copy, no decoding); case-insensitive, anywhere in the body.
_MARKUP_DECLARATION = re.compile(rb"<!(?:doctype|entity)", re.IGNORECASE)


def refuse_markup_declarations(body: bytes) -> None:
    """Refuse a body that declares a DTD or entities, whatever its media type."""
    found = _MARKUP_DECLARATION.search(body)
    if found is not None:
        raise InvalidUploadFormat(
            f"The upload contains {found.group(0).decode('ascii', 'replace')!r} at byte "
            f"{found.start()}: document type and entity declarations are never accepted.",
            f"ข้อมูลที่ส่งมามี {found.group(0).decode('ascii', 'replace')!r} ที่ไบต์ที่ "
            f"{found.start()} ระบบไม่รับการประกาศ DOCTYPE หรือ ENTITY")


def read_upload(media_type: str, body: bytes, base: str) -> Rows:
    """Rows of an upload body. Raises InvalidUploadFormat (or InvalidCsv) when unreadable."""
    if media_type not in ACCEPTED_TYPES:
        raise InvalidUploadFormat(f"{media_type} is not an accepted upload type.",
                                  f"ไม่รับข้อมูลชนิด {media_type}")
    refuse_markup_declarations(body)
    if media_type == "text/csv":
        return read_csv(decode_upload(body)).rows
    if media_type == "application/json":
        return read_json(body)
    if media_type == "application/ld+json":
        return rdfinput.read_jsonld(body, base)
    return rdfinput.read_turtle(body, base)
