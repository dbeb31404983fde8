"""Issue 13's new tier-1 user, replayed: the licensing clerk of a Thai municipality
(เทศบาลนครเชียงใหม่, `cnx-city`) publishes the spreadsheet the office keeps. One test (or table)
per bullet of the issue, asserting the fixed behaviour from outside: the upload API and page on
the app's test client over a real pyoxigraph store, and `licence-registry` (in-process, and once
the installed program). What a load stored is read back as the licence's N-Triples. The parts'
own tests are elsewhere (test_codedvalues, test_provinces, test_dates_thai, test_thai_values,
test_reports*, test_cli_habits, test_xlsx_upload, test_csv_encoding)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ops.cli import main
from ops.clireport import FIRST_PROBLEMS
from ops.demo import demo_rows, rows_to_csv
from registry import identifiers
from registry.records import COLUMNS
from registry.store.embedded import EmbeddedRepository
from registry.thaiid import with_check_digit

from .support.builders import agency_key, app_over, licence_path
from .support.htmltree import parse
from .support.publish import dumps_made
from .support.stores import BASE, licence_count
from .support.workbooks import XLSX_TYPE, workbook_bytes

CLERK = "cnx-city"                          # เทศบาลนครเชียงใหม่, Chiang Mai City Municipality


# --- The clerk's file --------------------------------------------------------------------------

def clerk_row(**cells: str) -> dict[str, str]:
    """A row of the template with these cells (the rest empty)."""
    return {**{column: "" for column in COLUMNS}, **cells}


def document(number: str, access: str = "สาธารณะ", login: str = "") -> dict[str, str]:
    """The cells of a scanned licence on the municipality's site."""
    url = f"https://www.cmcity.go.th/e-licence/{number.replace('/', '-')}.pdf"
    return {"document_url": url, "document_sha256": hashlib.sha256(url.encode()).hexdigest(),
            "document_media_type": "application/pdf", "document_access": access,
            "document_login_url": login}


# The clean part of the file, as the section types it: Thai words, titles and names, Thai dates,
# provinces as they come (row 4's "Bangkok" is the company's head office, a slip the register
# cannot see). Holders are invented; their IDs have valid check digits.
KAD_LUANG = with_check_digit("010555812345")        # a company (juristic IDs start with 0)
KHAO_SOI = with_check_digit("050555900172")
BUAKHAM = with_check_digit("150990012345")          # a person
CLEAN = [
    clerk_row(licence_number="12/2567", licence_type="ใบอนุญาตจัดตั้งตลาด",
              issuer="เทศบาลนครเชียงใหม่", holder_type="นิติบุคคล", holder_id=KAD_LUANG,
              holder_name="บริษัท กาดหลวงพัฒนา จำกัด",
              holder_name_en="Kad Luang Development Co., Ltd.",
              premises_address="99 ถนนวิชยานนท์ ตำบลช้างม่อย อำเภอเมืองเชียงใหม่",
              province="จ.เชียงใหม่", issued="1 ก.พ. 2567", valid_until="31 ม.ค. 2568",
              status="เพิกถอน",
              status_reason="ไม่ปรับปรุงสุขลักษณะของตลาดตามคำสั่งเจ้าพนักงานท้องถิ่น",
              **document("12/2567")),
    clerk_row(licence_number="310/2567", licence_type="ใบอนุญาตจำหน่ายสินค้าในที่หรือทางสาธารณะ",
              issuer="CNX-CITY", holder_type="บุคคลธรรมดา", holder_id=BUAKHAM,
              holder_name="บัวคำ ศรีวงค์", holder_name_en="Buakham Siwong",
              premises_address="หน้าประตูท่าแพ ถนนราชดำเนิน ตำบลพระสิงห์ อำเภอเมืองเชียงใหม่",
              province="TH-50", issued="1/2/67", valid_until="31/1/68", status="ใช้งาน"),
    clerk_row(licence_number="9/2567",
              licence_type="ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหารหรือสถานที่สะสมอาหาร "
                           "(พื้นที่เกิน 200 ตารางเมตร)",
              issuer="เทศบาลนครเชียงใหม่", holder_type="นิติบุคคล", holder_id=KHAO_SOI,
              holder_name="บริษัท ข้าวซอยลำดวน จำกัด", holder_name_en="Khao Soi Lamduan Co., Ltd.",
              premises_address="352/22 ถนนเจริญราษฎร์",
              province="Bangkok", issued="1/2/2567", valid_until="31/01/2568",
              status="พักใช้", status_reason="ระหว่างปรับปรุงระบบบำบัดน้ำเสียตามคำสั่ง",
              **document("9/2567", "จำกัดสิทธิ์", "https://www.cmcity.go.th/e-service/login")),
]
# The licence each clean row is.
KEYS = [identifiers.licence_key(CLERK, t, n) for t, n in (
    ("market-licence", "12/2567"), ("street-vending", "310/2567"),
    ("food-premises-large", "9/2567"))]


def thai_csv(rows, columns=tuple(COLUMNS)) -> str:
    """The rows under the Thai headers of these columns, as the office's sheet has them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([COLUMNS[c] for c in columns])
    writer.writerows([row[c] for c in columns] for row in rows)
    return out.getvalue()


def excel_csv(rows, columns=tuple(COLUMNS)) -> bytes:
    """What Excel's "CSV UTF-8" writes: a byte-order mark and CRLF line ends."""
    return thai_csv(rows, columns).encode("utf-8-sig")


def post(client, body: bytes, key: str, content_type: str = "text/csv"):
    return client.post("/api/v1/uploads", data=body, headers={
        "Content-Type": content_type, "Authorization": f"Bearer {key}"})


def on_page(client, key: str, action: str, data: bytes | None = None,
            filename: str = "ใบอนุญาต.csv", **fields):
    """The upload page's form, submitted as a browser does."""
    form = {"key": key, "action": action, "lang": "th", **fields}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    return client.post("/upload", data=form, content_type="multipart/form-data")


def stored(client, key: identifiers.LicenceKey) -> dict[str, set[str]]:
    """What the register holds for the licence, read from its N-Triples: the values of each
    predicate, by the predicate's local name (`status`, `validFrom`, `adminUnitL1`…)."""
    response = client.get(licence_path("doc", key) + "?format=nt")
    assert response.status_code == 200, (key, response.status_code)
    found: dict[str, set[str]] = {}
    for triple in ox.parse(response.get_data(), ox.RdfFormat.N_TRIPLES):
        name = re.split(r"[#/]", triple.predicate.value)[-1]
        found.setdefault(name, set()).add(triple.object.value)
    return found


def rules(answer: dict, severity: str = "Violation") -> dict[tuple[str, str], dict]:
    """The report's summary lines of one severity, by (rule, field)."""
    return {(s["rule"], s["field"]): s for s in answer["summary"] if s["severity"] == severity}


@pytest.fixture(scope="module")
def register(module_repo):
    """The register (module_repo) with the clerk's clean file published through the API:
    (test client, the municipality's key, the API's answer)."""
    app = app_over(module_repo)
    client = app.test_client()
    key = agency_key(module_repo, CLERK)
    response = post(client, excel_csv(CLEAN), key)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert (answer["created"], answer["rows"]) == (3, 3)
    yield client, key, answer
    dumps_made(app)


# --- 1. "Excel on Thai Windows saves CSV as Windows-874, and that file is refused. So is an
#        .xlsx." ---------------------------------------------------------------------------------

def test_1_the_windows_874_csv_and_the_workbook_are_published(embedded_repo):
    app = app_over(embedded_repo)
    client = app.test_client()
    key = agency_key(embedded_repo, CLERK)
    windows = thai_csv(CLEAN).encode("cp874")
    with pytest.raises(UnicodeDecodeError):
        windows.decode("utf-8")

    # The clerk checks the file on the upload page: accepted, the encoding named, once
    checked = on_page(client, key, "dry-run", windows)
    assert checked.status_code == 200
    page = parse(checked.get_data(as_text=True))
    lines = {li.attrs["data-rule"]: li for li in page.find_all("li", "summary-line")}
    assert "severity-warning" in lines["encoding-windows-874"].attrs["class"]
    assert lines["encoding-windows-874"].attrs["data-count"] == "1"
    assert "Windows-874" in lines["encoding-windows-874"].text
    carried = {i.attrs["name"]: i.attrs["value"] for i in page.find_all("input")
               if i.attrs.get("type") == "hidden"}
    # … and publishes what was checked
    published = parse(on_page(client, key, "publish", content=carried["content"],
                              filename=carried["filename"]).get_data(as_text=True))
    counts = {dd.attrs["id"]: dd.text for dd in published.find_all("dd")}
    assert counts == {"count-created": "3", "count-updated": "0", "count-unchanged": "0"}
    assert "บริษัท กาดหลวงพัฒนา จำกัด" in stored(client, KEYS[0])["legalName"]

    # The same sheet saved as .xlsx: date cells, IDs typed as numbers in a "General" column
    cells = [{**row, "issued": dt.date(2024, 2, 1), "valid_until": dt.date(2025, 1, 31),
              "holder_id": int(row["holder_id"])} for row in CLEAN]
    book = workbook_bytes(cells, headers=list(COLUMNS.values()))
    response = post(client, book, key, XLSX_TYPE)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    # the same licences (IRIs) holding the same records: nothing new, nothing changed
    assert (answer["created"], answer["updated"], answer["unchanged"]) == (0, 0, 3)
    assert licence_count(embedded_repo) == 3
    assert {s["rule"] for s in answer["summary"]} >= {"holder-id-leading-zero", "type-mapped"}
    dumps_made(app)


# --- 2. "Thai headers are accepted, but Thai values are refused: เพิกถอน, นิติบุคคล, a licence
#        type's Thai title." ----------------------------------------------------------------------

@pytest.mark.parametrize("at, readings, status, juristic", [
    (0, {"status": ("เพิกถอน", "revoked"), "holder_type": ("นิติบุคคล", "juristic"),
         "licence_type": ("ใบอนุญาตจัดตั้งตลาด", "market-licence"),
         "issuer": ("เทศบาลนครเชียงใหม่", CLERK)}, "revoked", KAD_LUANG),
    (1, {"status": ("ใช้งาน", "active"), "holder_type": ("บุคคลธรรมดา", "natural"),
         "licence_type": ("ใบอนุญาตจำหน่ายสินค้าในที่หรือทางสาธารณะ", "street-vending")},
     "active", None),
    (2, {"status": ("พักใช้", "suspended"), "document_access": ("จำกัดสิทธิ์", "restricted"),
         "licence_type": (CLEAN[2]["licence_type"], "food-premises-large")}, "suspended",
     KHAO_SOI),
], ids=["revoked-juristic", "active-natural", "suspended-restricted"])
def test_2_thai_values_are_read_and_stored_as_codes(register, at, readings, status, juristic):
    client, _, answer = register
    key = KEYS[at]
    held = stored(client, key)
    assert held["status"] == {f"https://w3id.org/clc/status/{status}"}
    assert held["conformsTo"] == {f"{BASE}/id/licence-type/{key.type}"}
    assert held["issuedBy"] == {f"{BASE}/id/agency/{CLERK}"}
    if juristic:
        assert held["subject"] == {f"{BASE}/id/juristic-person/{juristic}"}
        assert "http://www.w3.org/ns/legal#LegalEntity" in held["type"]
    else:                                   # a person's ID is never kept
        assert BUAKHAM not in str(held)
    if status != "active":
        assert held["statusReason"] == {CLEAN[at]["status_reason"]}
    # Each reading is a warning of that row, naming what was read as what
    row = at + 2
    for column, (written, code) in readings.items():
        assert CLEAN[at][column] == written
        said = [p for p in answer["problems"] if (p["row"], p["field"]) == (row, column)
                and p["rule"].endswith("-mapped")]
        assert len(said) == 1 and said[0]["severity"] == "Warning", (column, said)
        assert f"'{written}' was read as {code}." in said[0]["message"]["en"]
        assert f"'{written}' อ่านเป็น {code}" in said[0]["message"]["th"]


# --- 3. "Common Thai dates are refused: 1 ก.พ. 2567, 1/2/67." ---------------------------------

@pytest.mark.parametrize("at, issued, valid_until, rule", [
    (0, "1 ก.พ. 2567", "31 ม.ค. 2568", "date-buddhist-era"),
    (1, "1/2/67", "31/1/68", "date-two-digit-year"),
    (2, "1/2/2567", "31/01/2568", "date-buddhist-era"),
], ids=["month-name", "two-digit-year", "numeric"])
def test_3_thai_dates_are_stored_as_iso_dates(register, at, issued, valid_until, rule):
    client, _, answer = register
    assert (CLEAN[at]["issued"], CLEAN[at]["valid_until"]) == (issued, valid_until)
    held = stored(client, KEYS[at])
    assert (held["validFrom"], held["validUntil"]) == ({"2024-02-01"}, {"2025-01-31"})
    said = {(p["field"], p["rule"]): p for p in answer["problems"] if p["row"] == at + 2}
    assert f"'{issued}'" in said["issued", rule]["message"]["en"]
    assert "2024-02-01" in said["issued", rule]["message"]["en"]
    assert said["valid_until", rule]["severity"] == "Warning"


# --- 4. '"Bangkok" as a province and a juristic holder with no name pass without a word.' ------

@pytest.mark.parametrize("at, written, official, code", [
    (2, "Bangkok", "กรุงเทพมหานคร", "TH-10"), (1, "TH-50", "เชียงใหม่", "TH-50"),
    (0, "จ.เชียงใหม่", "เชียงใหม่", "TH-50")])
def test_4_a_province_however_written_is_stored_by_its_official_name(register, at, written,
                                                                     official, code):
    client, _, answer = register
    assert CLEAN[at]["province"] == written
    assert stored(client, KEYS[at])["adminUnitL1"] == {official}
    said, = [p for p in answer["problems"] if (p["row"], p["rule"]) == (at + 2, "province-mapped")]
    assert f"'{written}' was read as {official} (" in said["message"]["en"]
    assert f"{code})" in said["message"]["en"] and f"อ่านเป็น {official}" in said["message"]["th"]


@pytest.mark.parametrize("change, field, rule, en, th", [
    ({"province": "Chiengmai"}, "province", "province-known",
     "เชียงใหม่ (Chiang Mai, TH-50)", "เชียงใหม่ (Chiang Mai, TH-50)"),
    ({"holder_name": "", "holder_name_en": ""}, "holder_name", "holder-name-required",
     "name", "ชื่อ"),
], ids=["unknown-province", "nameless-company"])
def test_4_an_unknown_province_or_a_nameless_company_is_refused(register, module_repo, change,
                                                                field, rule, en, th):
    client, key, _ = register
    row = {**CLEAN[0], "licence_number": "13/2567", "holder_id": with_check_digit("010555812399"),
           "holder_name": "บริษัท ตลาดต้นลำไย จำกัด", "holder_name_en": "", **change}
    before = licence_count(module_repo)
    response = post(client, excel_csv([row]), key)
    assert response.status_code == 422
    error = response.get_json()["error"]
    line = rules(error)[rule, field]
    assert (line["count"], line["rows"]) == (1, [2])
    said, = [p for p in error["problems"] if p["rule"] == rule]
    assert en in said["message"]["en"] and th in said["message"]["th"]
    assert licence_count(module_repo) == before                     # nothing written
    missing = identifiers.licence_key(CLERK, "market-licence", "13/2567")
    assert client.get(licence_path("id", missing)).status_code == 404


# --- 5. "A missing holder_id column is not reported as a missing column." ---------------------

def test_5_a_missing_holder_id_column_is_named_once_with_the_rest(register, module_repo):
    client, key, _ = register
    columns = [c for c in COLUMNS if c != "holder_id"]
    rows = [*CLEAN, clerk_row(**{**CLEAN[1], "licence_number": "311/2567", "status": "หมดอายุ"})]
    body = excel_csv(rows, columns)

    page = parse(on_page(client, key, "dry-run", body).get_data(as_text=True))
    line, = [li for li in page.find_all("li", "summary-line")
             if li.attrs["data-field"] == "holder_id"]
    assert (line.attrs["data-rule"], line.attrs["data-count"]) == ("column-required", "1")
    assert "เลขประจำตัวผู้ถือใบอนุญาต" in line.text

    before = licence_count(module_repo)
    response = post(client, body, key)
    assert response.status_code == 422
    error = response.get_json()["error"]
    about_ids = [p for p in error["problems"] if p["field"] == "holder_id"]
    assert [(p["row"], p["rule"]) for p in about_ids] == [(1, "column-required")]
    assert "holder_id" in about_ids[0]["message"]["en"]
    assert "เลขประจำตัวผู้ถือใบอนุญาต" in about_ids[0]["message"]["th"]
    assert rules(error)["status-scheme", "status"]["rows"] == [5]     # the rows still checked
    assert licence_count(module_repo) == before


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory) -> str:
    """A store made with `licence-registry init`, as an operator makes it."""
    path = str(tmp_path_factory.mktemp("clerk-cli") / "store")
    assert cli("--store", path, "init").exit_code == 0
    return path


def licences_in(store: str) -> int:
    repo = EmbeddedRepository(Path(store))
    try:
        return licence_count(repo)
    finally:
        repo.close()


# --- 6. "A clean 1,000-row file prints 712 Buddhist-Era warnings." ----------------------------

def test_6_a_clean_thousand_rows_print_a_summary_not_every_warning(cli_store, catalogue,
                                                                   tmp_path):
    rows = list(demo_rows(catalogue, 1000, agency=CLERK))
    buddhist = {c: sum("/" in r[c] for r in rows) for c in ("issued", "valid_until")}
    assert min(buddhist.values()) > 100                 # half the dates, as Excel users write
    path = tmp_path / "ใบอนุญาตทั้งหมด.csv"
    path.write_bytes(excel_csv(rows))
    result = cli("load", str(path), "--agency", CLERK, "--store", cli_store)
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    warnings = sum(buddhist.values())
    assert out[0] == f"{path}: 1000 rows, 1000 valid, 0 violations, {warnings} warnings."
    assert sorted(line.split(": ", 2)[2].split(": ")[0] for line in out[1:3]) == sorted(
        f"{n} × {column}" for column, n in buddhist.items())
    assert all(line.startswith(f"{path}: Warning: ") for line in out[1:3])
    assert len([line for line in out if line.startswith(f"{path}: row ")]) == FIRST_PROBLEMS
    assert out[-2] == f"…and {warnings - FIRST_PROBLEMS:,} more: see --json or --report FILE.csv."
    assert out[-1].endswith(": 1000 created, 0 updated, 0 unchanged.")
    assert len(out) == 1 + 2 + FIRST_PROBLEMS + 2


# --- 7. 'A file with seven kinds of mistakes is headlined only as "out of scope".' ------------

SEVEN = {
    "issuer-scope": ("issuer", lambda r: "เทศบาลนครขอนแก่น"),          # another municipality
    "type-exists": ("licence_type", lambda r: "ใบอนุญาตตลาดนัด"),
    "date-format": ("issued", lambda r: "31 ก.พ. 2567"),
    "holder-id-checksum": ("holder_id",
                           lambda r: r["holder_id"][:12] + str((int(r["holder_id"][12]) + 1) % 10)),
    "status-scheme": ("status", lambda r: "หมดอายุ"),
    "province-known": ("province", lambda r: "Chiengmai"),
    "holder-name-required": ("holder_name", lambda r: ""),
}


THAI_WORDS = {"holder_type": {"juristic": "นิติบุคคล", "natural": "บุคคลธรรมดา"},
              "status": {"active": "ใช้งาน", "suspended": "พักใช้", "revoked": "เพิกถอน",
                         "surrendered": "คืนใบอนุญาต"}}


def as_the_clerk_writes(row: dict[str, str], catalogue) -> dict[str, str]:
    """A demo row with the licence type, the issuer and the coded columns in Thai words."""
    return {**row, "licence_type": catalogue.types[row["licence_type"]].title_th,
            "issuer": catalogue.agencies[row["issuer"]].label_th,
            **{column: words[row[column]] for column, words in THAI_WORDS.items()}}


@pytest.fixture(scope="module")
def seven_kinds(catalogue) -> tuple[bytes, set[tuple[int, str, str]]]:
    """A 21-row file of the municipality, in Thai words, with each kind of mistake in two rows
    (the header is row 1), and the (row, field, rule) of each."""
    rows = [as_the_clerk_writes(r, catalogue)
            for r in demo_rows(catalogue, 21, seed=13, agency=CLERK)]
    expected = set()
    for n, (rule, (field, wrong)) in enumerate(SEVEN.items()):
        for row in (3 + n, 12 + n):
            cells = rows[row - 2]
            if rule == "holder-name-required":      # a company of its own, with no name
                cells.update(holder_type="นิติบุคคล", holder_id=with_check_digit(f"01055581{row:04d}"),
                             holder_name_en="")
            if rule == "status-scheme":
                cells["status_reason"] = ""
            cells[field] = wrong(cells)
            expected.add((row, field, rule))
    return excel_csv(rows), expected


def test_7_every_kind_of_mistake_is_in_the_report(register, module_repo, cli_store,
                                                   seven_kinds, tmp_path):
    body, expected = seven_kinds
    client, key, _ = register
    before = licence_count(module_repo)
    response = post(client, body, key)
    assert response.status_code == 403                  # out of scope, as before …
    error = response.get_json()["error"]
    assert error["code"] == "out-of-scope"
    assert {(p["row"], p["field"], p["rule"]) for p in error["problems"]
            if p["severity"] == "Violation"} == expected                    # … and the rest
    violations = rules(error)
    assert {rule for rule, _ in violations} == set(SEVEN)
    assert all(line["count"] == 2 for line in violations.values())
    assert all(f"({rule};" in error["detail"] for rule in SEVEN)
    assert licence_count(module_repo) == before

    path = tmp_path / "ใบอนุญาต-มีข้อผิดพลาด.csv"
    path.write_bytes(body)
    held = licences_in(cli_store)
    result = cli("load", str(path), "--agency", CLERK, "--store", cli_store)
    assert result.exit_code == 1 and "Nothing was written" in result.output
    printed = [line.split(": ", 3)[2] for line in result.stdout.splitlines()
               if line.startswith(f"{path}: Violation: ")]       # "2 × province: …"
    assert sorted(printed) == sorted(f"2 × {field}" for field, _ in SEVEN.values())
    assert licences_in(cli_store) == held


# --- 8. '`validate f.csv --store DIR` fails with "No such option".' ---------------------------

def test_8_validate_takes_the_store_after_the_file(cli_store, tmp_path):
    path = tmp_path / "ใบอนุญาต.csv"
    path.write_bytes(excel_csv(CLEAN))
    program = Path(sys.executable).with_name("licence-registry")      # the installed command
    done = subprocess.run([str(program), "validate", str(path), "--store", cli_store],
                          capture_output=True, encoding="utf-8", timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "No such option" not in done.stderr
    assert "no store" not in done.stderr                # the store given is the one read
    assert done.stdout.splitlines()[0].startswith(f"{path}: 3 rows, 3 valid, 0 violations, ")


# --- 9. "`mint --issuer nosuch` prints an IRI and exits 0." -----------------------------------

@pytest.mark.parametrize("issuer, licence_type, code, says", [
    ("nosuch", "market-licence", 1,             # nothing close: every code, with its names
     ["Unknown agency 'nosuch'", "ไม่พบรหัสหน่วยงาน 'nosuch'",
      "  cnx-city  เทศบาลนครเชียงใหม่ / Chiang Mai City Municipality",
      "  diw  กรมโรงงานอุตสาหกรรม / Department of Industrial Works"]),
    ("cnx city", "market-licence", 1,
     ["  cnx-city  เทศบาลนครเชียงใหม่ / Chiang Mai City Municipality"]),
    ("CNX-CITY", "ตลาด", 1, ["  market-licence  ใบอนุญาตจัดตั้งตลาด / Market licence"]),
    ("diw", "market-licence", 1, ["'diw' does not issue", "  cnx-city  เทศบาลนครเชียงใหม่"]),
    ("CNX-CITY", "Market-Licence", 0, [identifiers.licence_iri(BASE, KEYS[0])]),
], ids=["unknown", "close", "unknown-type", "not-an-issuer-of-the-type", "any-case"])
def test_9_mint_names_the_close_codes_instead_of_an_iri(cli_store, issuer, licence_type, code,
                                                        says):
    result = cli("mint", "--issuer", issuer, "--type", licence_type, "๑๒/๒๕๖๗",
                 "--store", cli_store)
    assert result.exit_code == code, result.output
    assert all(text in result.output for text in says), result.output
    if code:
        assert "/id/licence/" not in result.stdout      # no IRI for a licence that cannot be


# --- 10. "`--agency DIW` gives no hint of the right code." -----------------------------------

@pytest.mark.parametrize("command, agency, code", [
    ("validate", "DIW", 0), ("load", "DIW", 0), ("validate", "DIWW", 1), ("load", "DIWW", 1)])
def test_10_agency_codes_in_any_case_and_the_close_ones_named(cli_store, catalogue, tmp_path,
                                                              command, agency, code):
    rows = list(demo_rows(catalogue, 5, seed=10, agency="diw"))
    path = tmp_path / "diw.csv"
    path.write_text(rows_to_csv(rows), encoding="utf-8")
    held = licences_in(cli_store)
    result = cli(command, "--agency", agency, str(path), "--store", cli_store)
    assert result.exit_code == code, result.output
    if code:
        assert f"Unknown agency '{agency}'" in result.output
        assert "  diw  กรมโรงงานอุตสาหกรรม / Department of Industrial Works" in result.output
        assert licences_in(cli_store) == held
        return
    assert result.stdout.startswith(f"{path}: 5 rows, 5 valid, 0 violations, ")
    if command == "load":
        assert licences_in(cli_store) == held + 5
