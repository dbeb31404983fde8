"""The upload template as an Excel workbook (`/upload/template.xlsx`): what tier 1 agencies fill
in and upload as it is.

One header row, the template's English column names (as data/templates/licences.csv and the
API name them); each header cell carries a note with the Thai name, which the upload also
accepts as a header. A second header row in Thai would be read as a licence. The columns that
hold IDs and numbers are formatted as Text, so Excel keeps a juristic ID's leading 0; the date
columns as dates. The example rows are the CSV template's.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font

from publishing.csvinput import read_csv
from publishing.xlsxinput import column_letters
from registry.dates import InvalidDate, parse_date
from registry.paths import TEMPLATE_CSV
from registry.records import COLUMNS

TEXT_COLUMNS = ("licence_number", "holder_id", "document_sha256")
DATE_COLUMNS = ("issued", "valid_until")
TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
WIDE = 28                       # characters: names, addresses, links
NARROW = 16


@lru_cache(maxsize=1)
def template_workbook() -> bytes:
    """The workbook's bytes (made once a process: openpyxl stamps the time it was saved)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("licences")
    sheet.freeze_panes = "A2"
    columns = list(COLUMNS)
    for index, column in enumerate(columns):
        dimension = sheet.column_dimensions[column_letters(index)]
        dimension.width = NARROW if column in (*DATE_COLUMNS, "holder_type", "status") else WIDE
        if column in TEXT_COLUMNS:
            dimension.number_format = TEXT_FORMAT
        elif column in DATE_COLUMNS:
            dimension.number_format = DATE_FORMAT
    sheet.append([_header(sheet, column) for column in columns])
    for _, values in read_csv(TEMPLATE_CSV.read_text(encoding="utf-8")).rows:
        sheet.append([_cell(sheet, column, values.get(column, "")) for column in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header(sheet, column: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=column)
    cell.font = Font(bold=True)
    cell.comment = Comment(f"{COLUMNS[column]}\n(ใช้ชื่อนี้เป็นหัวคอลัมน์แทนก็ได้ / "
                           "this Thai name works as the header too)", "CLC")
    return cell


def _cell(sheet, column: str, text: str) -> WriteOnlyCell:
    value: str | dt.date = text
    number_format = TEXT_FORMAT if column in TEXT_COLUMNS else "General"
    if column in DATE_COLUMNS and text:
        try:
            value, number_format = parse_date(text).value, DATE_FORMAT
        except InvalidDate:
            pass
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell
