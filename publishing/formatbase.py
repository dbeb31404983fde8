"""What every upload reader shares: the accepted media types, the rows they yield, and the
error they raise (so the readers and the dispatcher in uploadformats.py never import each other)."""

from __future__ import annotations

from collections.abc import Iterator

from publishing.csvinput import InvalidCsv

# `(row, values)`: `row` names the record as the agency can find it, `values` maps the CSV
# template's columns to text.
Rows = Iterator[tuple[int | str, dict[str, str]]]

ACCEPTED_TYPES = ("text/csv", "application/json", "application/ld+json", "text/turtle")


class InvalidUploadFormat(InvalidCsv):
    """The body cannot be read as its media type; `en`/`th` say what to fix."""
