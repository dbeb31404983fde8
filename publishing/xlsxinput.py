"""Reading an Excel workbook (.xlsx) upload (SPEC §5, tier 1): the first sheet, its first
non-blank row the header (the CSV template's headers, English or Thai: csvinput.read_header),
each later row numbered as Excel shows it; blank rows are skipped, their numbers kept.

The zip passes publishing/workbookzip.py first; python-calamine (a Rust reader, many times
faster than openpyxl) then reads the sheet. Cells become the text a CSV would hold:
- a date cell → `YYYY-MM-DD` (a date-and-time cell: its date);
- a number → its digits, without `.0` for a whole number (a 13-digit ID typed as a number);
  a holder_id of 12 digits is a juristic ID whose leading 0 Excel dropped: the 0 is put back,
  with a warning (`holder-id-leading-zero`);
- text as it is;
- TRUE/FALSE, a time of day or a duration, and Excel errors (#N/A, #REF!, …, which calamine
  reads as empty: the zip pass finds them) are refused (`cell-type`), naming the cell.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import python_calamine

from publishing.csvinput import MAX_CELL_CHARS, read_header, too_long_cell
from publishing.formatbase import InvalidUploadFormat
from publishing.workbookzip import WorkbookZip, check_workbook_zip
from registry.problems import Problem, problem

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"    # .xls, and an .xlsx encrypted by a password
ZIP_MAGIC = b"PK\x03\x04"
# An encrypted .xlsx is an OLE2 file holding this stream (its name in UTF-16LE).
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
JURISTIC_DIGITS_WITHOUT_ZERO = 12


@dataclass
class WorkbookRows:
    columns: list[str]                              # template column per header cell
    rows: Iterator[tuple[int, dict[str, str]]]      # (Excel row, values by column)
    headers: list[str] = field(default_factory=list)          # as written in the sheet
    problems: list[Problem] = field(default_factory=list)     # filled while rows are read
    missing_columns: frozenset[str] = frozenset()


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: a column as Excel names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _refuse_other_formats(data: bytes) -> None:
    if data.startswith(OLE2_MAGIC):
        if _ENCRYPTION_INFO in data:
            raise InvalidUploadFormat(
                "The workbook is protected with a password, so it cannot be read. In Excel "
                "remove the password (File → Info → Protect Workbook → Encrypt with Password, "
                "clear it), then save it as an Excel Workbook (.xlsx).",
                "สมุดงานนี้ตั้งรหัสผ่านไว้ จึงอ่านไม่ได้ ใน Excel ให้ยกเลิกรหัสผ่าน (ไฟล์ → ข้อมูล → "
                "ป้องกันสมุดงาน → เข้ารหัสด้วยรหัสผ่าน แล้วลบรหัสผ่าน) แล้วบันทึกเป็น "
                "“สมุดงาน Excel (.xlsx)”")
        raise InvalidUploadFormat(
            "This is an old Excel 97–2003 workbook (.xls). In Excel choose 'Save As' → "
            "'Excel Workbook (.xlsx)', then upload that file.",
            "ไฟล์นี้เป็นสมุดงาน Excel 97–2003 (.xls) แบบเก่า ใน Excel ให้เลือก 'บันทึกเป็น' → "
            "'สมุดงาน Excel (.xlsx)' แล้วส่งไฟล์นั้น")
    if not data.startswith(ZIP_MAGIC):
        raise InvalidUploadFormat(
            "The file is not an Excel workbook (.xlsx). In Excel choose 'Save As' → "
            "'Excel Workbook (.xlsx)', or upload the CSV file as CSV.",
            "ไฟล์นี้ไม่ใช่สมุดงาน Excel (.xlsx) ใน Excel ให้เลือก 'บันทึกเป็น' → "
            "'สมุดงาน Excel (.xlsx)' หรือส่งไฟล์ CSV เป็น CSV")


def _first_sheet(data: bytes) -> python_calamine.CalamineSheet:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return book.get_sheet_by_index(0)
    except python_calamine.PasswordError:
        raise InvalidUploadFormat(
            "The workbook is protected with a password, so it cannot be read. Remove the "
            "password in Excel and save it again.",
            "สมุดงานนี้ตั้งรหัสผ่านไว้ จึงอ่านไม่ได้ ให้ยกเลิกรหัสผ่านใน Excel แล้วบันทึกใหม่") from None
    except python_calamine.CalamineError as exc:
        raise InvalidUploadFormat(
            f"The workbook cannot be read ({type(exc).__name__}: {str(exc)[:200]}). Open it in "
            "Excel and save it again as an Excel Workbook (.xlsx).",
            f"อ่านสมุดงานไม่ได้ ({type(exc).__name__}: {str(exc)[:200]}) ให้เปิดไฟล์ใน Excel "
            "แล้วบันทึกใหม่เป็น “สมุดงาน Excel (.xlsx)”") from None


def read_xlsx(data: bytes) -> WorkbookRows:
    """The first sheet of a workbook as template rows. Raises InvalidUploadFormat when the file
    is not a workbook that can be read (with advice: .xls, .ods, a password, a damaged zip)."""
    _refuse_other_formats(data)
    zipped = check_workbook_zip(data)
    sheet = _first_sheet(data)
    start = sheet.start
    if start is None:
        raise InvalidUploadFormat("The first sheet is empty: its first row must be the column "
                                  "headers.", "แผ่นงานแรกว่างเปล่า แถวแรกต้องเป็นชื่อคอลัมน์")
    first_column = start[1]
    # calamine yields a row for each row from the top of the sheet, cells from `first_column`
    cells = iter(sheet.iter_rows())
    number = 0
    for values in cells:
        number += 1
        if any(_shown(v) for v in values):
            break
    else:                                           # pragma: no cover - start said a cell
        raise InvalidUploadFormat("The first sheet is empty.", "แผ่นงานแรกว่างเปล่า")
    headers = [_shown(v) for v in values]
    named = [(i, h) for i, h in enumerate(headers) if h.strip()]
    letters = [column_letters(first_column + i) for i, _ in named]
    header = read_header([h for _, h in named], number, letters)
    problems = list(header.problems)
    columns = list(zip((i for i, _ in named), header.columns, letters, strict=True))
    errors = _errors_by_row(zipped)
    rows = _rows(cells, number, columns, first_column, len(headers), errors, problems)
    return WorkbookRows(header.columns, rows, headers, problems, header.missing_columns)


def _shown(value) -> str:
    """A header cell as text."""
    text = _text(value)
    return text if text is not None else str(value)


def _errors_by_row(zipped: WorkbookZip) -> dict[int, dict[str, str]]:
    """Excel error cells of the first sheet: row → column letters → the error shown."""
    by_row: dict[int, dict[str, str]] = {}
    for ref, shown in zipped.first_sheet_errors().items():
        letters = ref.rstrip("0123456789")
        by_row.setdefault(int(ref[len(letters):]), {})[letters] = shown
    return by_row


def _text(value) -> str | None:
    """A cell as the text a CSV would hold; None for a cell no column takes (TRUE/FALSE, a time
    of day, a duration)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if kind is dt.date:
        return value.isoformat()
    if kind is int:
        return str(value)
    if kind is dt.datetime:
        return value.date().isoformat()
    return None


def _rows(cells, number: int, columns: list[tuple[int, str, str]], first_column: int,
          width: int, errors: dict[int, dict[str, str]], problems: list[Problem]
          ) -> Iterator[tuple[int, dict[str, str]]]:
    named = {i for i, _, _ in columns}
    unnamed = [i for i in range(width) if i not in named]
    for values in cells:
        number += 1
        if not any(v != "" and (type(v) is not str or v.strip()) for v in values):
            continue                    # blank rows: skipped, their numbers kept
        if len(values) < width:
            values = [*values, *[""] * (width - len(values))]
        row: dict[str, str] = {}
        for i, column, letters in columns:
            value = values[i]
            if type(value) is str:      # most cells: text as it is
                if len(value) > MAX_CELL_CHARS:
                    raise too_long_cell(number, column, len(value))
                row[column] = value
                continue
            text = _text(value)
            if text is None:
                text = _unusable(value, number, column, letters, problems)
            elif column == "holder_id" and type(value) in (float, int):
                text = _restore_leading_zero(text, number, letters, problems)
            row[column] = text
        for i in unnamed:
            if values[i] != "":
                where = f"{column_letters(first_column + i)}{number}"
                raise InvalidUploadFormat(
                    f"Cell {where} has a value but its column has no header.",
                    f"ช่อง {where} มีข้อมูลแต่คอลัมน์นั้นไม่มีชื่อคอลัมน์ในแถวหัวตาราง", row=number)
        row_errors = errors.get(number)
        if row_errors:
            _note_errors(row, row_errors, number, columns, problems)
        yield number, row


def _note_errors(row: dict[str, str], row_errors: dict[str, str], number: int,
                 columns: list[tuple[int, str, str]], problems: list[Problem]) -> None:
    """Cells calamine read as empty that hold an Excel error: a problem each, and the error as
    the cell's text (so no other check takes the cell for an empty one)."""
    for _, column, letters in columns:
        if letters in row_errors:
            shown = row_errors[letters]
            problems.append(problem(
                number, column, "cell-type",
                f"Cell {letters}{number} ({column}) holds an Excel error {shown}.".replace(
                    " .", "."),
                f"ช่อง {letters}{number} ({column}) มีค่าผิดพลาดของ Excel {shown}".rstrip()))
            row[column] = shown or "#ERROR"


def _unusable(value, number: int, column: str, letters: str, problems: list[Problem]) -> str:
    """A TRUE/FALSE, time or duration cell: a problem, and the text Excel shows for it."""
    if isinstance(value, bool):
        shown, en, th = ("TRUE" if value else "FALSE"), "the logical value", "ค่าตรรกะ"
    elif isinstance(value, dt.time):
        shown, en, th = value.isoformat(), "a time of day", "เวลา"
    else:
        shown, en, th = str(value), "a duration", "ระยะเวลา"
    problems.append(problem(number, column, "cell-type",
                            f"Cell {letters}{number} ({column}) holds {en} {shown}.",
                            f"ช่อง {letters}{number} ({column}) มี{th} {shown}"))
    return shown


def _restore_leading_zero(text: str, number: int, letters: str, problems: list[Problem]) -> str:
    if len(text) != JURISTIC_DIGITS_WITHOUT_ZERO or not text.isdigit():
        return text
    restored = "0" + text
    problems.append(problem(number, "holder_id", "holder-id-leading-zero",
                            f"Cell {letters}{number}: {text} was read as {restored}.",
                            f"ช่อง {letters}{number}: {text} อ่านเป็น {restored}"))
    return restored
