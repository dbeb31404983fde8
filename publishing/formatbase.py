"""What every upload reader shares: the accepted media types, the rows they yield, what a reader
hands the pipeline, and the error they raise (so the readers and the dispatcher in
uploadformats.py never import each other)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from publishing.csvinput import InvalidCsv
from registry.problems import WARNING, Problem

# `(row, values)`: `row` names the record as the agency can find it, `values` maps the CSV
# template's columns to text.
Rows = Iterator[tuple[int | str, dict[str, str]]]

# An Excel workbook (.xlsx), as Excel and browsers name it.
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ACCEPTED_TYPES = ("text/csv", "application/json", "application/ld+json", "text/turtle",
                  XLSX_TYPE)


@dataclass
class ParsedUpload:
    """An upload as a reader gives it to the pipeline.

    `rows` is read lazily; `problems` are what the reader itself found (the file's encoding, a
    missing column, a cell Excel changed), and grow while `rows` is read; `missing_columns` are
    the required template columns the header lacks (each one problem in `problems`: the rows'
    own problems on those columns say nothing more)."""

    rows: Rows
    problems: list[Problem] = field(default_factory=list)
    missing_columns: frozenset[str] = frozenset()

    def with_problems_of_rows(self, found: list[Problem]) -> list[Problem]:
        """Every problem of the upload once its rows are read: the file's own first (no row,
        then the header row), then the rows' in row order, the reader's before the checks' in
        a row. Left out: the checks' problems on a missing column (`column-required` says it
        once) and on a cell the reader refused (its `cell-type` says what the cell holds)."""
        if not self.problems:
            return found
        refused_cells = {(p.row, p.field) for p in self.problems if p.severity != WARNING}
        kept = [p for p in found if p.field not in self.missing_columns
                and (p.row, p.field) not in refused_cells]
        # Readers that report problems number rows as a spreadsheet does (ints); sorted is
        # stable, so the reader's problems stay before the checks' in each row.
        return sorted([*self.problems, *kept],
                      key=lambda p: (-1, 0) if p.row is None else (0, p.row))


class InvalidUploadFormat(InvalidCsv):
    """The body cannot be read as its media type; `en`/`th` say what to fix."""
