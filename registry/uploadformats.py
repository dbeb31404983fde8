"""Upload bodies of every accepted media type, turned into rows for the one validator.

Each reader yields `(row, values)`: `row` names the record as the agency can find it (the
spreadsheet row of a CSV, the array position of JSON, the node IRI of RDF) and `values` maps the
CSV template's columns to text. A record whose IRI was given in the upload (JSON-LD `@id`,
Turtle subject, named graph) carries it as `values["_iri"]`, which validation checks against the
IRI minted from its issuer, type and number, and against the uploading agency's scope.
"""

from __future__ import annotations

from typing import Iterator

from .csvinput import InvalidCsv, decode_upload, read_csv

Rows = Iterator[tuple[int | str, dict[str, str]]]

ACCEPTED_TYPES = ("text/csv",)


class InvalidUploadFormat(InvalidCsv):
    """The body cannot be read as its media type; `en`/`th` say what to fix."""


def read_upload(media_type: str, body: bytes, base: str) -> Rows:
    """Rows of an upload body. Raises InvalidUploadFormat (or InvalidCsv) when unreadable."""
    if media_type == "text/csv":
        return read_csv(decode_upload(body)).rows
    raise InvalidUploadFormat(f"{media_type} is not an accepted upload type.",
                              f"ไม่รับข้อมูลชนิด {media_type}")
