"""Reading the CSV template (SPEC §5): UTF-8 with or without BOM, Thai header aliases."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from registry.records import COLUMNS, column_for_header

# The longest cell accepted, in characters: the csv module's own default limit, so no upload
# read before is refused now. csv's limit is process-wide and its error names neither the row
# nor the column, so csv is told to allow any cell a body can hold (the body's size is already
# capped by MAX_UPLOAD_BYTES) and the rows below check each cell, naming where it is.
MAX_CELL_CHARS = 131_072
csv.field_size_limit(2**31 - 1)         # the largest a C long holds on every platform


class InvalidCsv(ValueError):
    """The file cannot be read as the template; `en`/`th` say what to fix, and `row`/`field`
    where, when the problem is in one place (a spreadsheet row or array position, a column)."""

    def __init__(self, en: str, th: str, *, row: int | str | None = None,
                 field: str | None = None):
        super().__init__(en)
        self.en = en
        self.th = th
        self.row = row
        self.field = field


def _too_long(row: int, column: str, length: int) -> InvalidCsv:
    return InvalidCsv(
        f"Row {row}, column {column!r}: the cell has {length:,} characters; at most "
        f"{MAX_CELL_CHARS:,} are accepted.",
        f"แถวที่ {row} คอลัมน์ {column!r}: ช่องนี้มี {length:,} ตัวอักษร "
        f"รับได้ไม่เกิน {MAX_CELL_CHARS:,} ตัวอักษร", row=row, field=column)


def _unreadable(exc: csv.Error, line: int) -> InvalidCsv:
    return InvalidCsv(f"Line {line} cannot be read as CSV: {exc}.",
                      f"บรรทัดที่ {line} อ่านเป็น CSV ไม่ได้: {exc}")


@dataclass
class CsvRows:
    columns: list[str]          # template column per position
    rows: Iterator[tuple[int, dict[str, str]]]   # (spreadsheet row, values by column)


def read_csv(text: str) -> CsvRows:
    """Map headers to template columns and yield rows numbered as a spreadsheet shows them.

    Unknown or repeated headers are refused: a misspelt column would otherwise drop data silently.
    """
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise InvalidCsv("The file is empty: the first row must be the column headers.",
                         "ไฟล์ว่างเปล่า แถวแรกต้องเป็นชื่อคอลัมน์") from None
    except csv.Error as exc:
        raise _unreadable(exc, reader.line_num) from None
    columns: list[str] = []
    for position, header in enumerate(headers, start=1):
        column = column_for_header(header)
        if column is None:
            shown = repr(header[:100]) + ("…" if len(header) > 100 else "")
            raise InvalidCsv(
                f"Column {position} has the header {shown}, which is not a template column. "
                f"Use the headers of data/templates/licences.csv: {', '.join(COLUMNS)}.",
                f"คอลัมน์ที่ {position} มีชื่อ {shown} ซึ่งไม่มีในแบบฟอร์ม "
                f"ใช้ชื่อคอลัมน์ตามแบบฟอร์ม: {', '.join(COLUMNS.values())}")
        if column in columns:
            raise InvalidCsv(f"The column {column!r} appears twice (column {position}).",
                             f"คอลัมน์ {column!r} ซ้ำกัน (คอลัมน์ที่ {position})")
        columns.append(column)
    for required in ("licence_number", "licence_type", "issuer"):
        if required not in columns:
            raise InvalidCsv(f"The required column {required!r} is missing.",
                             f"ไม่มีคอลัมน์ที่จำเป็น {required!r} ({COLUMNS[required]})")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        width = len(columns)
        number = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _unreadable(exc, reader.line_num) from None
            number += 1
            if not any(v.strip() for v in values):
                continue            # Excel leaves blank lines at the end
            if len(values) > width and any(v.strip() for v in values[width:]):
                raise InvalidCsv(
                    f"Row {number} has {len(values)} cells but there are {width} columns.",
                    f"แถวที่ {number} มี {len(values)} ช่อง แต่มีคอลัมน์ {width} คอลัมน์",
                    row=number)
            # Short rows (missing trailing cells) are read as those cells left empty.
            for column, value in zip(columns, values, strict=False):
                if len(value) > MAX_CELL_CHARS:
                    raise _too_long(number, column, len(value))
            yield number, dict(zip(columns, values, strict=False))

    return CsvRows(columns, rows())


def decode_upload(data: bytes) -> str:
    """UTF-8 (BOM allowed); anything else is refused with advice for Excel users."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidCsv(
            f"The file is not UTF-8 (byte {exc.start}). In Excel choose "
            "'Save As' → 'CSV UTF-8 (Comma delimited)'.",
            f"ไฟล์ไม่ได้เข้ารหัสแบบ UTF-8 (ไบต์ที่ {exc.start}) ใน Excel ให้เลือก "
            "'บันทึกเป็น' → 'CSV UTF-8 (คั่นด้วยจุลภาค)'") from None
