"""Reading the CSV template (SPEC §5): UTF-8 with or without BOM, or Windows-874 (what Excel on
Thai Windows saves as "CSV"), Thai header aliases; the header row read against the template
(also for workbooks, publishing/xlsxinput.py)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from registry.problems import Problem, problem
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


def too_long_cell(row: int, column: str, length: int) -> InvalidCsv:
    return InvalidCsv(
        f"Row {row}, column {column!r}: the cell has {length:,} characters; at most "
        f"{MAX_CELL_CHARS:,} are accepted.",
        f"แถวที่ {row} คอลัมน์ {column!r}: ช่องนี้มี {length:,} ตัวอักษร "
        f"รับได้ไม่เกิน {MAX_CELL_CHARS:,} ตัวอักษร", row=row, field=column)


def _unreadable(exc: csv.Error, line: int) -> InvalidCsv:
    return InvalidCsv(f"Line {line} cannot be read as CSV: {exc}.",
                      f"บรรทัดที่ {line} อ่านเป็น CSV ไม่ได้: {exc}")


# The columns every file must have: without one, every row would be refused (or, for holder_id,
# every juristic row) for the same reason, so the file is told once, at the header row. A holder
# name is needed in one language at least (a juristic holder needs a name, SPEC §5 tier 1).
REQUIRED_COLUMNS = ("licence_number", "licence_type", "issuer", "holder_type", "holder_id",
                    "issued")
HOLDER_NAME_COLUMNS = ("holder_name", "holder_name_en")
HEADER_ROW = 1                  # the header's row as a spreadsheet shows it


@dataclass
class TemplateHeader:
    """A header row read against the template: the template column of each position, the
    required columns it lacks, and one `column-required` problem for each of them."""

    columns: list[str]
    missing_columns: frozenset[str]
    problems: list[Problem]


def read_header(headers: Sequence[str], row: int = HEADER_ROW,
                positions: Sequence[str] | None = None) -> TemplateHeader:
    """Map headers to template columns (English name or Thai alias); `row` is the header's row
    and `positions` name where each header is (column letters of a sheet; default 1, 2, …).

    Unknown or repeated headers are refused: a misspelt column would otherwise drop data
    silently. A missing required column is a problem of the report (`column-required` at the
    header row), so the file's other problems come in the same report.
    """
    columns: list[str] = []
    for number, header in enumerate(headers, start=1):
        position = positions[number - 1] if positions else str(number)
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
    problems: list[Problem] = []
    missing: set[str] = set()
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            missing.add(required)
            problems.append(problem(
                row, required, "column-required",
                f"Add the column {required} ({COLUMNS[required]}).",
                f"เพิ่มคอลัมน์ {COLUMNS[required]} ({required})"))
    if not any(name in columns for name in HOLDER_NAME_COLUMNS):
        missing.update(HOLDER_NAME_COLUMNS)
        th_names = " หรือ ".join(f"{COLUMNS[c]} ({c})" for c in HOLDER_NAME_COLUMNS)
        problems.append(problem(
            row, HOLDER_NAME_COLUMNS[0], "column-required",
            "Add the column " + " or ".join(f"{c} ({COLUMNS[c]})" for c in HOLDER_NAME_COLUMNS)
            + ", or both.",
            f"เพิ่มคอลัมน์ {th_names} หรือทั้งสองคอลัมน์"))
    return TemplateHeader(columns, frozenset(missing), problems)


@dataclass
class CsvRows:
    columns: list[str]          # template column per position
    rows: Iterator[tuple[int, dict[str, str]]]   # (spreadsheet row, values by column)
    headers: list[str] = field(default_factory=list)     # as written in the file
    problems: list[Problem] = field(default_factory=list)  # found reading the file
    missing_columns: frozenset[str] = frozenset()


def read_csv(text: str) -> CsvRows:
    """Map headers to template columns (read_header) and yield rows numbered as a spreadsheet
    shows them."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise InvalidCsv("The file is empty: the first row must be the column headers.",
                         "ไฟล์ว่างเปล่า แถวแรกต้องเป็นชื่อคอลัมน์") from None
    except csv.Error as exc:
        raise _unreadable(exc, reader.line_num) from None
    header = read_header(headers)
    columns = header.columns

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
                    raise too_long_cell(number, column, len(value))
            yield number, dict(zip(columns, values, strict=False))

    return CsvRows(columns, rows(), headers, header.problems, header.missing_columns)


def read_csv_upload(data: bytes) -> CsvRows:
    """A CSV upload's bytes: decoded (decode_upload), read (read_csv), and a warning first when
    the file was Windows-874 rather than UTF-8."""
    decoded = decode_upload(data)
    parsed = read_csv(decoded.text)
    if decoded.encoding == WINDOWS_874:
        parsed.problems.insert(0, problem(None, "", "encoding-windows-874"))
    return parsed


UTF_8 = "utf-8"
WINDOWS_874 = "windows-874"     # Python's cp874: Microsoft's superset of TIS-620 (adds € … ‘ ’ “ ”
                                # – — and the no-break space in 0x80–0xA0)
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")   # .xlsx/.ods; .xls

# Windows-874 is accepted only for text that reads as Thai: any byte string of 0x00–0x7F,
# 0xA1–0xDA and 0xDF–0xFB decodes as cp874, so a decode alone would take a Latin-1 file, an
# ANSI file of another code page or random bytes as Thai. Thai text has Thai letters (consonants
# or the vowels written before them); has no control characters but tab, CR and LF (a UTF-16 file
# is half NUL bytes, binary has many); and never has a vowel or tone mark written above or below
# a letter without the letter (Thai keyboards on Windows refuse to type one), which is what a
# Western accented letter becomes (é → U+0E49, è → U+0E48).
_THAI_LETTER = re.compile("[\u0e01-\u0e2e\u0e40-\u0e44]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_THAI_MARK = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_MARK_WITHOUT_LETTER = re.compile(f"(?<![\u0e01-\u0e2e{_THAI_MARK}])[{_THAI_MARK}]")


def reads_as_thai(text: str) -> bool:
    """Whether `text` (decoded as Windows-874) is Thai text rather than bytes of something else."""
    return (_THAI_LETTER.search(text) is not None and _CONTROL.search(text) is None
            and _MARK_WITHOUT_LETTER.search(text) is None)


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str               # UTF_8 or WINDOWS_874


def decode_upload(data: bytes) -> DecodedText:
    """UTF-8 (BOM allowed), else Windows-874 (TIS-620) when the text reads as Thai; anything
    else is refused with advice for Excel users."""
    if data.startswith(WORKBOOK_MAGIC):
        raise InvalidCsv(
            "This file is an Excel workbook, not CSV text: upload it as a workbook (.xlsx).",
            "ไฟล์นี้เป็นสมุดงาน Excel ไม่ใช่ไฟล์ CSV ให้ส่งเป็นไฟล์สมุดงาน (.xlsx)")
    try:
        return DecodedText(data.decode("utf-8-sig"), UTF_8)
    except UnicodeDecodeError as exc:
        not_utf8 = exc.start
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError:
        text = ""
    if text and reads_as_thai(text):
        return DecodedText(text, WINDOWS_874)
    raise InvalidCsv(
        f"The file cannot be read as text: byte {not_utf8} is neither UTF-8 nor Thai "
        "(Windows-874). In Excel choose 'Save As' → 'CSV UTF-8 (Comma delimited)', or upload "
        "the Excel workbook (.xlsx) itself.",
        f"อ่านไฟล์เป็นข้อความไม่ได้: ไบต์ที่ {not_utf8} ไม่ใช่ทั้ง UTF-8 และภาษาไทยแบบ Windows-874 "
        "ใน Excel ให้เลือก 'บันทึกเป็น' → 'CSV UTF-8 (คั่นด้วยจุลภาค)' หรือส่งไฟล์สมุดงาน Excel "
        "(.xlsx) โดยตรง") from None
