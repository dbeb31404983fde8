"""Excel workbooks (.xlsx) for the tests and benchmarks, written with openpyxl as Excel would
save them: dates as date cells, IDs typed as numbers where a clerk left the column "General",
Thai text as text."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence

from openpyxl import Workbook

from registry.records import COLUMNS

Cell = str | int | float | bool | dt.date | dt.datetime | None
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def excel_date(text: str) -> dt.date | str:
    """A demo date (`YYYY-MM-DD`, or `DD/MM/YYYY` with a Buddhist-Era year) as the date an Excel
    date cell holds; any other text as it is."""
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return dt.date(year - 543 if year >= 2400 else year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def as_excel_typed(row: Mapping[str, str], *, ids_as_numbers: bool = False) -> dict[str, Cell]:
    """A demo row as a clerk's sheet holds it: dates in date cells; with `ids_as_numbers`, the
    holder ID typed as a number (Excel then drops a juristic ID's leading 0; an ID starting
    00, which the demo data has now and then, stays text: the reader restores one 0 only)."""
    typed: dict[str, Cell] = dict(row)
    for column in ("issued", "valid_until"):
        if row.get(column):
            typed[column] = excel_date(row[column])
    holder_id = row.get("holder_id", "")
    if ids_as_numbers and holder_id.isdigit() and not holder_id.startswith("00"):
        typed["holder_id"] = int(holder_id)
    return typed


def workbook_bytes(rows: Iterable[Mapping[str, Cell]], columns: Sequence[str] = tuple(COLUMNS),
                   headers: Sequence[str] | None = None, *, other_sheets: int = 0,
                   blank_rows_after_header: int = 0) -> bytes:
    """A workbook whose first sheet has a header row (`headers`, else the column names) and one
    row per mapping (cells in `columns` order). `other_sheets`: that many other sheets are added
    after it (the first sheet is still the data)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("licences")
    sheet.append(list(headers or columns))
    for _ in range(blank_rows_after_header):
        sheet.append([])
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    for n in range(other_sheets):
        book.create_sheet(f"notes {n + 1}").append(["not the data"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(data: bytes, change: dict[str, bytes | None] | None = None,
          add: Sequence[tuple[str, bytes]] = (),
          compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """`data` (a zip) with some entries replaced (`None`: removed) and others added."""
    change = change or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", compression) as target:
        for info in source.infolist():
            body = change.get(info.filename, source.read(info.filename))
            if body is not None:
                target.writestr(info.filename, body)
        for name, body in add:
            target.writestr(name, body)
    return out.getvalue()
