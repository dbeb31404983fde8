"""Excel workbooks (.xlsx) as uploads (SPEC §5, tier 1; issue 13 item 1): through the API, the
upload page and the CLI, read as the same licences as the same rows in CSV; date cells read as
dates, IDs typed as numbers read as IDs (a dropped leading 0 put back, with a warning); cells
no column takes named by cell; and the zip treated as hostile until checked (size, entries,
ratio, a header that lies, DOCTYPE in any XML part), other spreadsheet files refused with
advice. Workbooks are written by openpyxl, as tests/support/workbooks.py says."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import struct
import zipfile

import pytest

from ops.demo import rows_to_csv
from publishing import workbookzip
from publishing.csvinput import InvalidCsv
from publishing.formatbase import XLSX_TYPE, InvalidUploadFormat
from publishing.pipeline import validate_upload
from publishing.uploadformats import media_type_for_file
from publishing.xlsxinput import column_letters, read_xlsx
from registry.records import COLUMNS
from registry.store.embedded import EmbeddedRepository
from registry.validation import ValidationContext

from .support.builders import (
    csv_upload_graphs,
    licence_graphs,
    post_upload,
    rows_of_both_holder_kinds,
)
from .support.stores import BASE, licence_count
from .support.workbooks import as_excel_typed, rezip, workbook_bytes

THAI_HEADERS = list(COLUMNS.values())
SHEET = "xl/worksheets/sheet1.xml"


def post(client, body: bytes, key: str, content_type: str = XLSX_TYPE, query: str = ""):
    return post_upload(client, body, key, content_type, query)


@pytest.fixture(scope="module")
def rows(catalogue):
    """Twelve diw licences, juristic and natural, some with Thai BE dates in the CSV."""
    return rows_of_both_holder_kinds(catalogue, 12)


@pytest.fixture(scope="module")
def workbook(rows) -> bytes:
    """The rows as a clerk's workbook: Thai headers, date cells, IDs typed as numbers (so a
    juristic ID has lost its 0), Thai text, and a blank row after the fourth licence."""
    typed = [as_excel_typed(r, ids_as_numbers=True) for r in rows]
    blank = {column: None for column in COLUMNS}
    return workbook_bytes([*typed[:4], blank, *typed[4:]], headers=THAI_HEADERS)


def excel_row(index: int) -> int:
    """The Excel row of rows[index] in `workbook`: header row 1, the blank row 6."""
    return index + 2 if index < 4 else index + 3


def juristic_with_number_id(rows) -> list[int]:
    return [i for i, r in enumerate(rows)
            if r["holder_type"] == "juristic" and not r["holder_id"].startswith("00")]


@pytest.fixture(scope="module")
def csv_graphs(tmp_path_factory, rows):
    """The licence graphs the rows make when uploaded as CSV to a fresh store."""
    return csv_upload_graphs(tmp_path_factory.mktemp("csv-store"), rows)


# --- what the reader makes of the cells ---------------------------------------------------------

def test_date_and_number_cells_read_as_the_csv_text(rows, workbook, catalogue):
    book = read_xlsx(workbook)
    assert book.headers == THAI_HEADERS and book.columns == list(COLUMNS)
    read = list(book.rows)
    assert [number for number, _ in read] == [excel_row(i) for i in range(len(rows))]
    for (number, values), row in zip(read, rows, strict=True):
        for column in ("issued", "valid_until"):        # ISO, whatever the CSV wrote
            expected = as_excel_typed(row)[column]
            assert values[column] == (expected.isoformat() if expected else ""), number
        assert values["holder_id"] == row["holder_id"]   # 13 digits, the 0 put back
        assert values["holder_name"] == row["holder_name"]      # Thai text as it is
    restored = [p for p in book.problems if p.rule == "holder-id-leading-zero"]
    juristic = juristic_with_number_id(rows)
    assert [p.row for p in restored] == [excel_row(i) for i in juristic]
    first = restored[0]
    assert first.severity == "Warning" and first.field == "holder_id"
    letter = column_letters(list(COLUMNS).index("holder_id"))
    assert f"Cell {letter}{first.row}: {rows[juristic[0]]['holder_id'][1:]} was read as " \
           f"{rows[juristic[0]]['holder_id']}" in first.en
    assert f"ช่อง {letter}{first.row}" in first.th


def test_cells_no_column_takes_are_named_by_cell(rows, catalogue):
    row = as_excel_typed(rows[0])
    broken = [dict(row, issued="#N/A"), dict(row, holder_name=True, licence_number="X/1"),
              dict(row, valid_until=dt.time(10, 30), licence_number="X/2"),
              dict(row, premises_address="#REF!", licence_number="X/3")]
    ctx = ValidationContext.for_agency(catalogue, "diw")
    report = validate_upload(XLSX_TYPE, workbook_bytes(broken), ctx, BASE)
    found = {(p.row, p.field, p.rule) for p in report.problems}
    assert found >= {(2, "issued", "cell-type"), (3, "holder_name", "cell-type"),
                     (4, "valid_until", "cell-type"), (5, "premises_address", "cell-type")}
    # the cell's own problem only: no date-format for #N/A, no issued-required either
    assert not any(p.row == 2 and p.field == "issued" and p.rule != "cell-type"
                   for p in report.problems)
    by_row = {p.row: p for p in report.problems if p.rule == "cell-type"}
    issued = column_letters(list(COLUMNS).index("issued"))
    assert f"Cell {issued}2 (issued) holds an Excel error #N/A." in by_row[2].en
    assert "TRUE" in by_row[3].en and "10:30" in by_row[4].en and "#REF!" in by_row[5].th
    assert not report.ok


def test_header_row_rules_are_the_csvs(rows, catalogue):
    row = as_excel_typed(rows[0])
    columns = [c for c in COLUMNS if c != "holder_id"]
    report = validate_upload(XLSX_TYPE, workbook_bytes([row, row], columns),
                             ValidationContext.for_agency(catalogue, "diw"), BASE)
    [missing] = [p for p in report.problems if p.rule == "column-required"]
    assert (missing.row, missing.field, missing.severity) == (1, "holder_id", "Violation")
    assert "holder_id" in missing.en and COLUMNS["holder_id"] in missing.th
    assert report.problems[0] == missing                 # the file's problems first
    assert not any(p.field == "holder_id" for p in report.problems if p is not missing)
    with pytest.raises(InvalidCsv, match="Column B has the header 'colour'"):
        read_xlsx(workbook_bytes([row], ["licence_number", "colour"]))
    with pytest.raises(InvalidCsv, match="C2 has a value but its column has no header"):
        list(read_xlsx(workbook_bytes([{"a": "1", "b": "x", "c": "y"}], ["a", "b", "c"],
                                      headers=["licence_number", "licence_type", ""])).rows)


def test_the_first_sheet_is_read_and_rows_keep_excels_numbers(rows):
    body = workbook_bytes([as_excel_typed(r) for r in rows[:3]], other_sheets=2,
                          blank_rows_after_header=2)
    assert [n for n, _ in read_xlsx(body).rows] == [4, 5, 6]


# --- through the API ----------------------------------------------------------------------------

def test_api_dry_run_and_commit_store_what_csv_stores(client, embedded_repo, diw_key, rows,
                                                      workbook, csv_graphs):
    before = embedded_repo.export_bytes()
    dry = post(client, workbook, diw_key, query="?dry_run=true")
    assert dry.status_code == 200, dry.get_json()
    answer = dry.get_json()
    assert (answer["dry_run"], answer["rows"], answer["licences"]) == (True, 12, 12)
    rules = {p["rule"] for p in answer["problems"]}
    assert rules == {"holder-id-leading-zero"}           # date cells: no Buddhist-Era warnings
    assert embedded_repo.export_bytes() == before

    committed = post(client, workbook, diw_key)
    assert committed.status_code == 200, committed.get_json()
    assert committed.get_json()["created"] == 12
    assert licence_graphs(embedded_repo) == csv_graphs
    again = post(client, rows_to_csv(rows).encode(), diw_key, "text/csv")
    assert again.get_json()["unchanged"] == 12


def test_api_refuses_a_workbook_with_a_bad_row_naming_its_excel_row(client, diw_key, rows,
                                                                     embedded_repo):
    typed = [as_excel_typed(r) for r in rows]
    typed[5] = dict(typed[5], holder_id="0105556012340")          # wrong check digit
    response = post(client, workbook_bytes(typed), diw_key)
    assert response.status_code == 422
    problems = response.get_json()["error"]["problems"]
    assert (7, "holder_id", "holder-id-checksum") in {(p["row"], p["field"], p["rule"])
                                                       for p in problems}
    assert licence_count(embedded_repo) == 0


def test_openapi_describes_workbooks(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    content = spec["paths"]["/api/v1/uploads"]["post"]["requestBody"]["content"]
    assert content[XLSX_TYPE]["schema"]["contentMediaType"] == XLSX_TYPE


# --- the upload page ----------------------------------------------------------------------------

def submit(client, key, action, data: bytes, filename: str = "licences.xlsx", lang: str = "en"):
    return client.post("/upload", data={"key": key, "action": action, "lang": lang,
                                        "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_upload_page_checks_and_publishes_a_workbook(client, embedded_repo, diw_key, rows,
                                                     workbook):
    typed = [as_excel_typed(r) for r in rows]
    bad = workbook_bytes([*typed[:5], dict(typed[5], holder_id="0105556012340"), *typed[6:]])
    refused = submit(client, diw_key, "dry-run", bad)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    block = re.search(r'<article class="row-problems" id="row-7".*?</article>', html, re.S)
    assert block and 'data-rule="holder-id-checksum"' in block.group(0)
    cells = block.group(0)
    assert rows[5]["holder_name"] in cells                        # the row's Thai text …
    assert as_excel_typed(rows[5])["issued"].isoformat() in cells  # … and its date cell
    assert licence_count(embedded_repo) == 0

    published = submit(client, diw_key, "publish", workbook, filename="ใบอนุญาต.xlsx")
    assert published.status_code == 200
    assert 'id="count-created">12<' in published.get_data(as_text=True)
    assert licence_count(embedded_repo) == 12


def test_upload_page_offers_the_template_as_a_workbook(client, catalogue):
    response = client.get("/upload/template.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX_TYPE
    assert "licences.xlsx" in response.headers["Content-Disposition"]
    body = response.get_data()
    book = read_xlsx(body)
    assert book.headers == list(COLUMNS) and not book.problems
    report = validate_upload(XLSX_TYPE, body, ValidationContext(catalogue), BASE)
    assert report.ok and report.rows == len(report.records) >= 2, report.problems
    with zipfile.ZipFile(io.BytesIO(body)) as archive:      # Thai names as notes on the headers
        notes = archive.read(next(n for n in archive.namelist() if "comments" in n))
    assert COLUMNS["holder_id"].encode() in notes


# --- the CLI ------------------------------------------------------------------------------------

def test_cli_validates_and_loads_a_workbook(runner, tmp_path, rows, workbook):
    assert runner.invoke("init").exit_code == 0
    path = tmp_path / "licences.xlsx"
    path.write_bytes(workbook)
    checked = runner.invoke("validate", "--json", str(path))
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.output[checked.output.index("{"):])[str(path)]
    assert (report["valid"], report["rows"], report["licences"]) == (True, 12, 12)
    loaded = runner.invoke("load", "--agency", "diw", str(path))
    assert loaded.exit_code == 0, loaded.output
    repo = EmbeddedRepository(runner.store)
    try:
        assert licence_count(repo) == 12
    finally:
        repo.close()
    text = tmp_path / "not-a-workbook.xlsx"
    text.write_text(rows_to_csv(rows[:1]), encoding="utf-8")
    refused = runner.invoke("validate", str(text))
    assert refused.exit_code == 1 and "not an Excel workbook" in refused.output


@pytest.mark.parametrize("name, head, expected", [
    ("a.xlsx", b"PK\x03\x04", XLSX_TYPE), ("a.XLSX", b"", XLSX_TYPE),
    ("a.csv", b"PK\x03\x04", XLSX_TYPE),                  # the bytes say workbook
    ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", XLSX_TYPE), ("a.csv", b"licence_", "text/csv"),
    ("a", b"licence_", "text/csv"), ("a.json", b"[", "application/json"),
    ("a.jsonld", b"{", "application/ld+json"), ("a.ttl", b"@prefix", "text/turtle"),
])
def test_media_type_for_file(name, head, expected):
    assert media_type_for_file(name, head) == expected


# --- other spreadsheet files and damaged ones: refused with advice ------------------------------

def test_other_spreadsheet_files_are_refused_with_advice(client, diw_key, workbook):
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    cases = {
        "xls": (ole2 + b"Workbook".ljust(64, b"\0"), "Excel Workbook (.xlsx)"),
        "password": (ole2 + "EncryptionInfo".encode("utf-16-le"), "password"),
        "ods": (rezip(workbook, add=[("mimetype", b"application/vnd.oasis.opendocument."
                                                  b"spreadsheet")]), "OpenDocument"),
        "docx": (rezip(workbook, change={"xl/workbook.xml": None}), "not an Excel workbook"),
        "text": (b"licence_number,licence_type\n", "not an Excel workbook"),
        "truncated": (workbook[: len(workbook) // 2], "damaged"),
    }
    for name, (body, advice) in cases.items():
        response = post(client, body, diw_key, query="?dry_run=true")
        assert response.status_code == 422, name
        error = response.get_json()["error"]
        assert advice in error["detail"], (name, error["detail"])
        [problem] = error["problems"]
        assert problem["message"]["th"] and problem["message"]["en"] == error["detail"]


# --- the zip, treated as hostile ---------------------------------------------------------------

def noise(size: int, seed: int = 13) -> bytes:
    """Bytes that do not compress (hex of random bytes): a ratio near 2."""
    return random.Random(seed).randbytes(size // 2 + 1).hex().encode()[:size]


def lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s uncompressed size set to `size` in both its local header and the
    central directory (its content and CRC unchanged)."""
    body = bytearray(data)
    encoded = name.encode()
    at = 0
    while (at := body.find(b"PK\x03\x04", at)) >= 0:
        name_length = struct.unpack_from("<H", body, at + 26)[0]
        if body[at + 30:at + 30 + name_length] == encoded:
            struct.pack_into("<I", body, at + 22, size)
        at += 4
    at = 0
    while (at := body.find(b"PK\x01\x02", at)) >= 0:
        name_length = struct.unpack_from("<H", body, at + 28)[0]
        if body[at + 46:at + 46 + name_length] == encoded:
            struct.pack_into("<I", body, at + 24, size)
        at += 4
    return bytes(body)


def refusal(body: bytes) -> str:
    with pytest.raises(InvalidUploadFormat) as refused:
        read_xlsx(body)
    assert refused.value.th and refused.value.en
    return refused.value.en


def test_zip_bombs_are_refused(workbook):
    # a part that inflates 1,000 times (20 MB of zeros in some 20 kB)
    assert "expands more than 100 times" in refusal(
        rezip(workbook, add=[("xl/media/image1.bin", bytes(20_000_000))]))
    # the same part, its headers saying 1 kB: inflating stops there and the CRC disagrees
    lying = lie_about_size(rezip(workbook, add=[("xl/media/image1.bin", bytes(20_000_000))]),
                           "xl/media/image1.bin", 1000)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("xl/media/image1.bin").file_size == 1000
    assert "damaged" in refusal(lying)
    # headers saying 4 GB: refused before anything is inflated
    assert "too large" in refusal(lie_about_size(workbook, SHEET, 0xFFFF_0000))
    # more parts than any workbook has
    many = rezip(workbook, add=[(f"xl/media/{n}.txt", b"") for n in range(
        workbookzip.MAX_ENTRIES)], compression=zipfile.ZIP_STORED)
    assert f"at most {workbookzip.MAX_ENTRIES:,}" in refusal(many)
    # two parts of one name (readers may take either)
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = rezip(workbook, add=[(SHEET, b"<worksheet/>")])
    assert "same name" in refusal(twice)


def test_the_size_limit_counts_inflated_bytes(workbook, monkeypatch):
    body = rezip(workbook, add=[("xl/media/image1.bin", noise(3_000_000))])
    assert read_xlsx(body).columns == list(COLUMNS)
    monkeypatch.setattr(workbookzip, "MAX_UNCOMPRESSED_BYTES", 2_500_000)
    assert "too large" in refusal(body)


@pytest.mark.parametrize("part, where", [
    (SHEET, 0), (SHEET, workbookzip.CHUNK_BYTES - 4),        # split across two chunks
    ("xl/styles.xml", 0), ("[Content_Types].xml", 0),
])
def test_doctype_in_any_xml_part_is_refused(client, diw_key, workbook, part, where):
    original = zipfile.ZipFile(io.BytesIO(workbook)).read(part)
    declaration = b'<!DOCTYPE x [<!ENTITY big "ha">]>'
    head, rest = original.split(b">", 1)                      # after the XML declaration
    padding = b"" if where == 0 else b"<!--" + noise(where - len(head) - 8) + b"-->"
    changed = head + b">" + padding + declaration + rest
    assert changed.index(declaration) in (len(head) + 1, where)
    response = post(client, rezip(workbook, change={part: changed}), diw_key,
                    query="?dry_run=true")
    assert response.status_code == 422
    assert "'<!DOCTYPE'" in response.get_json()["error"]["detail"]


def test_utf16_xml_parts_are_refused(workbook):
    sheet = zipfile.ZipFile(io.BytesIO(workbook)).read(SHEET).decode()
    assert "not UTF-8 XML" in refusal(rezip(workbook, change={SHEET: sheet.encode("utf-16")}))
