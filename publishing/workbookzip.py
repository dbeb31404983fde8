"""The checks a workbook's zip passes before any spreadsheet reader sees it (SPEC §5: an upload
is never trusted).

An .xlsx is a zip of XML parts. A hostile one can be small on the wire and huge once inflated
(a "zip bomb"), hold thousands of entries, say in its headers that an entry is small when it is
not, or carry an XML document type declaration (the start of an entity-expansion attack). Each
entry is therefore inflated here, as a stream, before the reader opens the file: the total is
counted from the bytes actually produced (Python's zipfile also stops an entry at its declared
size and checks its CRC, so an entry whose header lies is refused as damaged), and each XML
part is searched for `<!DOCTYPE` and `<!ENTITY` across chunk boundaries.

The same pass notes what the reader cannot say: which cells of the worksheets hold an Excel
error (#N/A, #REF!, …), which python-calamine reads as empty cells, and where the first sheet
is.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree import ElementTree

from publishing.formatbase import InvalidUploadFormat

# Excel writes 10 to 30 entries (sheets, styles, theme, properties); 10,000 leaves room for a
# workbook of many sheets and images while refusing a zip built to spend time on its directory.
MAX_ENTRIES = 10_000
# Inflated bytes of all entries together. openpyxl-style sheets (inline strings, the largest
# form) take about 1.5 kB a licence row: 512 MiB is some 350,000 rows, more than the largest
# CSV body accepted (MAX_UPLOAD_BYTES, 64 MiB: about 140,000 rows), and bounds the memory the
# reader may use on one upload.
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
# Inflated size / stored size of one entry. Real sheets compress 5 to 20 times (repeated
# markup); a zip bomb's entries 100 to 1,000 times. Checked once an entry has inflated past
# RATIO_FROM_BYTES, so small parts that happen to compress well are left alone.
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
CHUNK_BYTES = 1024 * 1024
# workbook.xml and its relationships, kept to find the first sheet: a few kB in real files.
MAX_KEPT_PART_BYTES = 4 * 1024 * 1024
# Bytes of one chunk carried into the next search, so nothing searched for is missed across a
# chunk boundary: longer than a cell's start tag with its value (`<c r="XFD1048576" s="…"
# t="e" …><v>#DIV/0!</v>`).
OVERLAP_BYTES = 1024

WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
XML_SUFFIXES = (".xml", ".rels", ".vml")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

_DECLARATION = re.compile(rb"<!(?:doctype|entity)", re.IGNORECASE)
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*["']e["']""")
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']([A-Z]{1,3})([0-9]{1,7})["']""")
_VALUE = re.compile(rb"<v>([^<]{0,64})</v>")


@dataclass
class WorkbookZip:
    """What the pass found: Excel error cells by worksheet part (cell reference → the error as
    Excel shows it, "" when the cell holds none) and the part of the first sheet ("" when it
    could not be told)."""

    error_cells: dict[str, dict[str, str]] = field(default_factory=dict)
    first_sheet: str = ""

    def first_sheet_errors(self) -> dict[str, str]:
        return self.error_cells.get(self.first_sheet, {})


def refused(en: str, th: str) -> InvalidUploadFormat:
    return InvalidUploadFormat(en, th)


_RESAVE_EN = " Open it in Excel and save it again as an Excel Workbook (.xlsx)."
_RESAVE_TH = " ให้เปิดไฟล์ใน Excel แล้วบันทึกใหม่เป็น “สมุดงาน Excel (.xlsx)”"


def check_workbook_zip(data: bytes) -> WorkbookZip:
    """Refuse (InvalidUploadFormat) a body that is not a zip, or breaks a limit above; else
    what the reader needs to know."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise refused("The file is not an Excel workbook (.xlsx), or it is damaged." + _RESAVE_EN,
                      "ไฟล์นี้ไม่ใช่สมุดงาน Excel (.xlsx) หรือไฟล์เสียหาย" + _RESAVE_TH) from None
    with archive:
        entries = archive.infolist()
        _check_directory(entries)
        found = WorkbookZip()
        kept: dict[str, bytes] = {}
        total = 0
        for entry in entries:
            total = _inflate(archive, entry, total, found, kept)
    found.first_sheet = _first_sheet(kept)
    return found


def _check_directory(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise refused(f"The workbook holds {len(entries):,} parts; at most {MAX_ENTRIES:,} are "
                      "accepted." + _RESAVE_EN,
                      f"สมุดงานมีส่วนประกอบ {len(entries):,} ส่วน รับได้ไม่เกิน {MAX_ENTRIES:,} ส่วน"
                      + _RESAVE_TH)
    names = [entry.filename for entry in entries]
    if len(set(names)) != len(names):
        raise refused("The workbook is damaged: it holds two parts of the same name." + _RESAVE_EN,
                      "สมุดงานเสียหาย: มีส่วนประกอบชื่อซ้ำกัน" + _RESAVE_TH)
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise _password_protected()
    if "mimetype" in names or "content.xml" in names:
        raise refused("This is an OpenDocument spreadsheet (.ods). In LibreOffice or Excel choose "
                      "'Save As' → 'Excel Workbook (.xlsx)'.",
                      "ไฟล์นี้เป็นตารางคำนวณ OpenDocument (.ods) ให้เลือก 'บันทึกเป็น' → "
                      "'สมุดงาน Excel (.xlsx)'")
    if WORKBOOK_PART not in names:
        binary = "xl/workbook.bin" in names
        raise refused(
            ("This is an Excel binary workbook (.xlsb)." if binary else
             "The file is a zip but not an Excel workbook (.xlsx).") + _RESAVE_EN,
            ("ไฟล์นี้เป็นสมุดงาน Excel แบบไบนารี (.xlsb)" if binary else
             "ไฟล์นี้เป็นไฟล์ zip แต่ไม่ใช่สมุดงาน Excel (.xlsx)") + _RESAVE_TH)
    declared = sum(entry.file_size for entry in entries)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise _too_big()
    for entry in entries:
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # Excel only deflates; bzip2 and LZMA inflate without a bound on one call.
            raise refused(f"The workbook part {entry.filename!r} uses a kind of compression "
                          "Excel does not write." + _RESAVE_EN,
                          f"ส่วนประกอบ {entry.filename!r} ของสมุดงานบีบอัดด้วยวิธีที่ Excel ไม่ใช้"
                          + _RESAVE_TH)


def _password_protected() -> InvalidUploadFormat:
    return refused("The workbook is protected with a password, so it cannot be read. In Excel "
                   "remove the password (File → Info → Protect Workbook → Encrypt with Password, "
                   "clear it), then save it as an Excel Workbook (.xlsx).",
                   "สมุดงานนี้ตั้งรหัสผ่านไว้ จึงอ่านไม่ได้ ใน Excel ให้ยกเลิกรหัสผ่าน (ไฟล์ → ข้อมูล → "
                   "ป้องกันสมุดงาน → เข้ารหัสด้วยรหัสผ่าน แล้วลบรหัสผ่าน) แล้วบันทึกเป็น "
                   "“สมุดงาน Excel (.xlsx)”")


def _too_big() -> InvalidUploadFormat:
    mib = MAX_UNCOMPRESSED_BYTES // (1024 * 1024)
    return refused(f"The workbook is too large once opened (over {mib:,} MB). Split the rows "
                   "into several files.",
                   f"สมุดงานมีขนาดใหญ่เกินไปเมื่อเปิดออก (เกิน {mib:,} MB) ให้แบ่งแถวเป็นหลายไฟล์")


def _inflate(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, total: int, found: WorkbookZip,
             kept: dict[str, bytes]) -> int:
    """Stream one entry through the checks; the running total of inflated bytes."""
    name = entry.filename
    is_xml = name.lower().endswith(XML_SUFFIXES) or name == "[Content_Types].xml"
    is_sheet = is_xml and name.startswith("xl/worksheets/")
    keep = name in (WORKBOOK_PART, WORKBOOK_RELS)
    produced = 0
    carried = b""
    parts: list[bytes] = []
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                if produced == 0 and is_xml:
                    _refuse_utf16(name, chunk)
                produced += len(chunk)
                total += len(chunk)
                if total > MAX_UNCOMPRESSED_BYTES:
                    raise _too_big()
                if produced > RATIO_FROM_BYTES and \
                        produced > MAX_RATIO * max(entry.compress_size, 1):
                    raise refused(
                        f"The workbook part {name!r} expands more than {MAX_RATIO} times: it "
                        "looks built to exhaust the server, not written by Excel.",
                        f"ส่วนประกอบ {name!r} ของสมุดงานขยายตัวเกิน {MAX_RATIO} เท่าเมื่อเปิดออก "
                        "ซึ่งไม่ใช่ไฟล์ที่ Excel สร้าง")
                if not is_xml:
                    continue
                window = carried + chunk
                _refuse_declaration(name, window)
                if is_sheet:
                    _note_error_cells(window, found.error_cells.setdefault(name, {}))
                if keep:
                    if produced > MAX_KEPT_PART_BYTES:
                        raise _too_big()
                    parts.append(chunk)
                carried = window[-OVERLAP_BYTES:]
    except InvalidUploadFormat:
        raise
    except RuntimeError:            # zipfile: "File … is encrypted, password required"
        raise _password_protected() from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError):
        raise refused(f"The workbook is damaged (its part {name!r} cannot be read)."
                      + _RESAVE_EN,
                      f"สมุดงานเสียหาย (อ่านส่วนประกอบ {name!r} ไม่ได้)" + _RESAVE_TH) from None
    if keep:
        kept[name] = b"".join(parts)
    return total


def _refuse_utf16(name: str, head: bytes) -> None:
    """XML parts in UTF-16 would hide a declaration from the byte search: Excel writes UTF-8."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        raise refused(f"The workbook part {name!r} is not UTF-8 XML, as Excel writes it."
                      + _RESAVE_EN,
                      f"ส่วนประกอบ {name!r} ของสมุดงานไม่ใช่ XML แบบ UTF-8 ที่ Excel สร้าง" + _RESAVE_TH)


def _refuse_declaration(name: str, window: bytes) -> None:
    if window.find(b"<!") < 0:          # a quick look first: sheets almost never have "<!"
        return
    found = _DECLARATION.search(window)
    if found is not None:
        declared = found.group(0).decode("ascii", "replace")
        raise refused(f"The workbook part {name!r} contains {declared!r}: document type and "
                      "entity declarations are never accepted.",
                      f"ส่วนประกอบ {name!r} ของสมุดงานมี {declared!r} ระบบไม่รับการประกาศ DOCTYPE "
                      "หรือ ENTITY")


def _note_error_cells(window: bytes, errors: dict[str, str]) -> None:
    """Cells typed `t="e"` (an error: #N/A, #REF!, #DIV/0!, …) in this stretch of a sheet, by
    reference. A cell cut off at the window's end is seen again, whole, in the next window."""
    if window.find(b'"e"') < 0 and window.find(b"'e'") < 0:
        return                          # a quick look first: most sheets have no error cell
    for typed in _ERROR_TYPE.finditer(window):
        start = window.rfind(b"<c", 0, typed.start())
        end = window.find(b">", typed.end())
        if start < 0 or end < 0:
            continue
        ref = _CELL_REF.search(window, start, end)
        if ref is None:
            continue
        value = ""
        if window[end - 1:end] != b"/":
            close = window.find(b"</c>", end)
            if close < 0:
                continue                    # the value is in the next window
            shown = _VALUE.search(window, end, close)
            value = shown.group(1).decode("utf-8", "replace") if shown else ""
        errors[(ref.group(1) + ref.group(2)).decode("ascii")] = value


def _first_sheet(kept: dict[str, bytes]) -> str:
    """The part of the workbook's first sheet (its order in workbook.xml), "" if unknown."""
    # Parsed only after the pass searched every XML part for <!DOCTYPE and <!ENTITY (refused):
    # without a document type, expat has no entity to expand. Both parts are a few kB.
    try:
        book = ElementTree.fromstring(kept.get(WORKBOOK_PART, b""))  # noqa: S314
        rels = ElementTree.fromstring(kept.get(WORKBOOK_RELS, b""))  # noqa: S314
    except ElementTree.ParseError:
        return ""
    first = book.find(f"{_MAIN_NS}sheets/{_MAIN_NS}sheet")
    if first is None:
        return ""
    rel_id = first.get(f"{_REL_NS}id")
    for rel in rels.iter(f"{_PACKAGE_REL_NS}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target") or ""
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    return ""
