"""CSV as Excel on Thai Windows saves it (SPEC §5, tier 1; issue 13 item 1): Windows-874
(TIS-620) is read, with a warning of the whole file naming the encoding; what is neither UTF-8
nor Thai text is refused with advice; a missing required column is one problem of the report
at the header row, not one per row and not a refusal of the file."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest

from ops.demo import demo_rows
from publishing.csvinput import InvalidCsv, decode_upload, reads_as_thai
from publishing.pipeline import validate_csv
from registry.records import COLUMNS
from registry.validation import ValidationContext

from .support.builders import post_upload


def csv_text(rows, columns=tuple(COLUMNS), thai_headers: bool = True) -> str:
    """The rows in these columns; headers in Thai, as a Thai clerk's sheet has them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([COLUMNS[c] if thai_headers else c for c in columns])
    writer.writerows([row[c] for c in columns] for row in rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def rows(catalogue):
    found = list(demo_rows(catalogue, 8, agency="diw"))
    assert any("บริษัท" in r["holder_name"] for r in found)
    return found


def test_windows_874_is_read_with_a_warning(client, diw_key, rows):
    windows = csv_text(rows).replace("\n", "\r\n").encode("cp874")
    with pytest.raises(UnicodeDecodeError):
        windows.decode("utf-8")
    response = client.post("/api/v1/uploads?dry_run=true", data=windows,
                           headers={"Content-Type": "text/csv",
                                    "Authorization": f"Bearer {diw_key}"})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert (answer["rows"], answer["licences"]) == (8, 8)
    first = answer["problems"][0]                    # the file's own problem comes first
    assert (first["row"], first["field"], first["rule"], first["severity"]) == (
        None, "", "encoding-windows-874", "Warning")
    assert "Windows-874" in first["message"]["en"] and "TIS-620" in first["message"]["en"]
    assert "Windows-874" in first["message"]["th"] and "ภาษาไทย" in first["message"]["th"]


def test_windows_874_makes_the_same_records_as_utf8(rows, catalogue):
    ctx = ValidationContext.for_agency(catalogue, "diw")
    utf8 = validate_csv(csv_text(rows).encode("utf-8-sig"), ctx)
    windows = validate_csv(csv_text(rows).encode("cp874"), ctx)
    assert windows.records == utf8.records
    assert windows.problems[1:] == utf8.problems
    assert [p.rule for p in windows.problems[:1]] == ["encoding-windows-874"]


def test_the_cli_reads_windows_874_too(runner, tmp_path, rows):
    assert runner.invoke("init").exit_code == 0
    path = tmp_path / "excel-thai.csv"
    path.write_bytes(csv_text(rows).encode("cp874"))
    result = runner.invoke("validate", "--json", str(path))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])[str(path)]
    assert report["valid"] and report["problems"][0]["rule"] == "encoding-windows-874"


@pytest.mark.parametrize("name, body", [
    ("utf-16", "licence_number,ชื่อผู้ถือใบอนุญาต\n1,บริษัท\n".encode("utf-16")),
    ("binary", random.Random(874).randbytes(4096)),
    ("latin-1", "licence_number,holder_name\n1/2567,Café Genève\n".encode("latin-1")),
    ("thai marks without letters", b"licence_number,holder_name\n1/2567,Caf\xe9\xe8\n"),
    ("nul bytes", "เลขที่ใบอนุญาต\x00\n".encode("cp874")),
])
def test_what_is_not_thai_text_is_refused(client, diw_key, name, body):
    with pytest.raises(InvalidCsv) as refused:
        decode_upload(body)
    assert "UTF-8" in refused.value.en and "UTF-8" in refused.value.th
    response = client.post("/api/v1/uploads?dry_run=true", data=body,
                           headers={"Content-Type": "text/csv",
                                    "Authorization": f"Bearer {diw_key}"})
    assert response.status_code == 422, name
    assert "CSV UTF-8" in response.get_json()["error"]["detail"]


def test_thai_text_is_told_from_other_bytes():
    assert reads_as_thai("ชื่อผู้ถือใบอนุญาต,น้ำ,ต่าง ๆ,กรุงเทพฯ\r\n\tที่")
    assert not reads_as_thai("licence_number,holder_name")          # no Thai letter
    assert not reads_as_thai("ที่\x00")                              # a control character
    assert not reads_as_thai("ที่ Caf\u0e49")                        # é read as a tone mark


def test_a_workbook_sent_as_csv_is_named(client, diw_key):
    response = client.post("/api/v1/uploads?dry_run=true", data=b"PK\x03\x04" + bytes(60),
                           headers={"Content-Type": "text/csv",
                                    "Authorization": f"Bearer {diw_key}"})
    assert response.status_code == 422
    assert "Excel workbook" in response.get_json()["error"]["detail"]


# --- a missing column: one problem, in the report with the rest ---------------------------------

def test_a_missing_column_is_one_problem_at_the_header_row(client, diw_key, rows):
    columns = [c for c in COLUMNS if c != "holder_id"]
    broken = [dict(r) for r in rows]
    broken[2]["issued"] = "31/02/2567"                     # another problem, in row 4
    response = post_upload(client, csv_text(broken, columns), diw_key, query="?dry_run=true")
    assert response.status_code == 422
    problems = response.get_json()["error"]["problems"]
    missing = [p for p in problems if p["rule"] == "column-required"]
    assert missing == [problems[0]]
    assert (missing[0]["row"], missing[0]["field"], missing[0]["severity"]) == (
        1, "holder_id", "Violation")
    assert "holder_id" in missing[0]["message"]["en"]
    assert COLUMNS["holder_id"] in missing[0]["message"]["en"]
    assert COLUMNS["holder_id"] in missing[0]["message"]["th"]
    # juristic rows say nothing more about holder_id; the bad date is still reported
    assert [p for p in problems if p["field"] == "holder_id"] == missing
    assert (4, "issued", "date-format") in {(p["row"], p["field"], p["rule"]) for p in problems}


def test_every_missing_column_is_named_and_a_holder_name_is_needed(rows, catalogue):
    columns = ["licence_number", "licence_type", "issuer", "issued", "province"]
    report = validate_csv(csv_text(rows, columns, thai_headers=False).encode(),
                          ValidationContext.for_agency(catalogue, "diw"))
    missing = [(p.row, p.field) for p in report.problems if p.rule == "column-required"]
    assert missing == [(1, "holder_type"), (1, "holder_id"), (1, "holder_name")]
    name = next(p for p in report.problems if p.field == "holder_name")
    assert "holder_name" in name.en and "holder_name_en" in name.en
    assert not [p for p in report.problems if p.rule != "column-required"
                and p.field in ("holder_type", "holder_id", "holder_name", "holder_name_en")]
    assert not report.ok


def test_a_header_that_is_not_the_template_is_still_refused(client, diw_key):
    response = post_upload(client, "name,amount\nx,1\n", diw_key, query="?dry_run=true")
    assert response.status_code == 422
    assert "not a template column" in response.get_json()["error"]["detail"]
