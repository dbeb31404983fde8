"""Upload bodies of every accepted media type, turned into rows for the one validator.

Each reader yields `(row, values)`: `row` names the record as the agency can find it (the
spreadsheet row of a CSV, the array position of JSON, the node IRI of RDF) and `values` maps the
CSV template's columns to text. A record whose IRI was given in the upload (JSON-LD `@id`,
Turtle subject, named graph) carries it as `values["_iri"]`, which validation checks against the
IRI minted from its issuer, type and number, and against the uploading agency's scope.

Readers (SPEC §5):
- `text/csv`: `publishing/csvinput.py` (UTF-8, or Windows-874 with a warning).
- Excel workbooks (`XLSX_TYPE`): `publishing/xlsxinput.py`, the zip checked first by
  `publishing/workbookzip.py`.
- `application/json`: `publishing/jsoninput.py`, checked first against
  `data/schemas/licence-upload.json` (served at `/schemas/licence-upload.json`).
- `application/ld+json` and `text/turtle`: `publishing/rdfinput.py`; RDF is read back into the
  template's columns (docs/data-model.md in reverse), so every format meets the same validator
  and the same licence gets the same IRI and the same stored record.

Each reader gives a ParsedUpload: its rows, the problems it found itself (an encoding, a
missing column, a cell Excel changed) and the required columns the header lacks.

Nothing in an upload is ever fetched: a body holding `<!DOCTYPE` or `<!ENTITY` (the start of an
XML entity-expansion attack) is refused before any parser sees it (in a workbook, in any of its
XML parts, searched as they are inflated), and JSON-LD contexts are served only from the
project's own copy.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from publishing import rdfinput
from publishing.csvinput import WORKBOOK_MAGIC, read_csv_upload
from publishing.formatbase import (
    ACCEPTED_TYPES,
    XLSX_TYPE,
    InvalidUploadFormat,
    ParsedUpload,
    Rows,
)
from publishing.jsoninput import read_json
from publishing.xlsxinput import read_xlsx

__all__ = ["ACCEPTED_TYPES", "XLSX_TYPE", "InvalidUploadFormat", "ParsedUpload", "Rows",
           "media_type_for_file", "read_upload", "refuse_markup_declarations"]

# A file's media type by its extension. .xls and .ods go to the workbook reader, which refuses
# them with advice ("Save as Excel Workbook (.xlsx)").
TYPES_BY_EXTENSION = {".csv": "text/csv", ".txt": "text/csv", ".xlsx": XLSX_TYPE,
                      ".xlsm": XLSX_TYPE, ".xls": XLSX_TYPE, ".ods": XLSX_TYPE,
                      ".json": "application/json", ".jsonld": "application/ld+json",
                      ".ttl": "text/turtle"}

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


def media_type_for_file(name: str, head: bytes) -> str:
    """The media type of a file, from its first bytes when they are a workbook's (a zip, or the
    OLE2 file of an .xls or a password-protected workbook: never CSV text, whatever the name),
    else from its extension; CSV when neither says."""
    if head.startswith(WORKBOOK_MAGIC):
        return XLSX_TYPE
    return TYPES_BY_EXTENSION.get(PurePath(name).suffix.lower(), "text/csv")


def read_upload(media_type: str, body: bytes, base: str) -> ParsedUpload:
    """An upload body's rows, with what the reader found. Raises InvalidUploadFormat (or
    InvalidCsv) when unreadable."""
    if media_type not in ACCEPTED_TYPES:
        raise InvalidUploadFormat(f"{media_type} is not an accepted upload type.",
                                  f"ไม่รับข้อมูลชนิด {media_type}")
    if media_type == XLSX_TYPE:         # its XML parts are searched as they are inflated
        book = read_xlsx(body)
        return ParsedUpload(book.rows, book.problems, book.missing_columns)
    refuse_markup_declarations(body)
    if media_type == "text/csv":
        table = read_csv_upload(body)
        return ParsedUpload(table.rows, table.problems, table.missing_columns)
    if media_type == "application/json":
        return ParsedUpload(read_json(body))
    if media_type == "application/ld+json":
        return ParsedUpload(rdfinput.read_jsonld(body, base))
    return ParsedUpload(rdfinput.read_turtle(body, base))
