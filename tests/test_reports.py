"""Reports a clerk can act on (issue 13, SPEC §5): a file with seven kinds of mistakes, out-of-scope
rows among them, gets one report listing every problem of every row with a summary line per kind
— through the API, the upload page and the CLI (the first 20 problems printed, every one in
`--report FILE.csv`); a clean file of 1,000 rows whose dates are Buddhist-Era years prints one
summary line, not 712."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from ops.clireport import FIRST_PROBLEMS
from ops.demo import demo_rows, rows_to_csv
from registry.dates import parse_date
from registry.problems import REPORT_COLUMNS

from .support.browser import fits_width
from .support.htmltree import parse

pytest_plugins = ["tests.support.browser"]      # chromium, live_server, open_page

SEVEN = {"issuer-scope", "type-exists", "date-format", "holder-id-checksum", "status-scheme",
         "document-https", "issued-required"}


def _common_era(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows with every date written YYYY-MM-DD (demo rows write some in the Buddhist Era)."""
    for row in rows:
        for column in ("issued", "valid_until"):
            if row[column]:
                row[column] = parse_date(row[column]).value.isoformat()
    return rows


def _buddhist_era(day: str) -> str:
    value = dt.date.fromisoformat(day)
    return f"{value.day:02d}/{value.month:02d}/{value.year + 543}"


def _wrong_check_digit(holder_id: str) -> str:
    return holder_id[:12] + str((int(holder_id[12]) + 1) % 10)


@pytest.fixture(scope="module")
def mistakes(catalogue) -> tuple[list[dict[str, str]], set[tuple[int, str, str]]]:
    """40 rows of the agency diw (header = row 1) with three rows of each of seven kinds of
    mistake, three of them licences of another agency's issuer, and four Buddhist-Era dates
    (warnings); and the (row, field, rule) of each mistake."""
    rows = _common_era(list(demo_rows(catalogue, 37, seed=13, agency="diw")))
    expected: set[tuple[int, str, str]] = set()
    for at, row in zip((6, 19, 33), _common_era(list(demo_rows(catalogue, 3, seed=13,
                                                               agency="dot"))), strict=True):
        rows.insert(at - 2, row)
        expected.add((at, "issuer", "issuer-scope"))
    free = [n for n in range(2, len(rows) + 2) if (n, "issuer", "issuer-scope") not in expected]
    juristic = [n for n in free if rows[n - 2]["holder_type"] == "juristic"]
    with_document = [n for n in free if rows[n - 2]["document_url"] and n not in juristic[:3]]
    others = [n for n in free if n not in juristic[:3] and n not in with_document[:3]]
    breaks = {
        "holder-id-checksum": ("holder_id", juristic[:3],
                               lambda r: _wrong_check_digit(r["holder_id"])),
        "document-https": ("document_url", with_document[:3],
                           lambda r: r["document_url"].replace("https:", "http:", 1)),
        "type-exists": ("licence_type", others[0:3], lambda r: "factory-permitt"),
        "date-format": ("valid_until", others[3:6], lambda r: "31/02/2570"),
        "status-scheme": ("status", others[6:9], lambda r: "pending"),
        "issued-required": ("issued", others[9:12], lambda r: ""),
    }
    for rule, (field, numbers, value) in breaks.items():
        for n in numbers:
            rows[n - 2] = dict(rows[n - 2], **{field: value(rows[n - 2])})
            if rule == "status-scheme":
                rows[n - 2]["status_reason"] = ""
            expected.add((n, field, rule))
    for n in others[12:16]:
        rows[n - 2]["issued"] = _buddhist_era(rows[n - 2]["issued"])
    return rows, expected


def _file(rows) -> bytes:
    """What Excel's "CSV UTF-8 (Comma delimited)" writes: a BOM and CRLF line ends."""
    return rows_to_csv(rows).replace("\n", "\r\n").encode("utf-8-sig")


def _found(problems: list[dict]) -> set[tuple[int, str, str]]:
    return {(p["row"], p["field"], p["rule"]) for p in problems if p["severity"] == "Violation"}


def test_the_api_refusal_lists_every_problem_and_every_kind(client, diw_key, mistakes):
    rows, expected = mistakes
    response = client.post("/api/v1/uploads", data=_file(rows), headers={
        "Content-Type": "text/csv", "Authorization": f"Bearer {diw_key}"})
    assert response.status_code == 403                 # out-of-scope rows: 403, as before
    error = response.get_json()["error"]
    assert error["code"] == "out-of-scope"
    assert _found(error["problems"]) == expected
    violations = [s for s in error["summary"] if s["severity"] == "Violation"]
    assert {s["rule"] for s in violations} == SEVEN
    assert all(s["count"] == 3 and len(s["rows"]) == 3 for s in violations)
    assert {frozenset(s) for s in error["summary"]} == {
        frozenset({"rule", "field", "severity", "count", "rows", "message"})}
    warned = [s for s in error["summary"] if s["severity"] == "Warning"]
    assert [(s["rule"], s["count"]) for s in warned] == [("date-buddhist-era", 4)]
    assert error["detail"].startswith("Agency 'diw' may publish only for ")
    assert "21 problem(s) in 21 row(s)" in error["detail"]
    assert all(f"({rule};" in error["detail"] for rule in SEVEN)
    assert "Also 4 warning(s)." in error["detail"]


def test_without_the_out_of_scope_rows_the_same_file_is_a_422(client, diw_key, mistakes):
    rows, expected = mistakes
    mine = [r for r in rows if r["issuer"] != rows[4]["issuer"]]
    response = client.post("/api/v1/uploads?dry_run=true", data=_file(mine), headers={
        "Content-Type": "text/csv", "Authorization": f"Bearer {diw_key}"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert {s["rule"] for s in error["summary"] if s["severity"] == "Violation"} == (
        SEVEN - {"issuer-scope"})
    assert error["detail"].startswith("18 problem(s) in 18 row(s): ")


def test_a_good_answer_and_the_stored_report_have_the_summary(client, diw_key, mistakes,
                                                              catalogue):
    rows = _common_era(list(demo_rows(catalogue, 30, seed=2, agency="diw")))
    for row in rows[:5]:
        row["issued"] = _buddhist_era(row["issued"])
    headers = {"Content-Type": "text/csv", "Authorization": f"Bearer {diw_key}"}
    checked = client.post("/api/v1/uploads?dry_run=true", data=_file(rows), headers=headers)
    published = client.post("/api/v1/uploads", data=_file(rows), headers=headers)
    for answer in (checked.get_json(), published.get_json()):
        summary = [s for s in answer["summary"] if s["rule"] == "date-buddhist-era"]
        assert [(s["field"], s["count"], s["rows"]) for s in summary] == [
            ("issued", 5, [2, 3, 4, 5, 6])]
        assert len(answer["problems"]) >= 5            # the keys clients read are all still there
    stored = client.get(f"/api/v1/uploads/{published.get_json()['upload_id']}",
                        headers=headers).get_json()["report"]
    assert stored["summary"] == published.get_json()["summary"]


def test_the_upload_page_shows_the_summary_first(client, diw_key, mistakes):
    rows, expected = mistakes
    response = client.post("/upload", data={
        "key": diw_key, "action": "dry-run", "lang": "en",
        "file": (io.BytesIO(_file(rows)), "licences.csv")}, content_type="multipart/form-data")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    page = parse(html)
    summary = next(n for n in page.find_all("section", "summary"))
    lines = summary.find_all("li", "summary-line")
    assert {li.attrs["data-rule"] for li in lines if "severity-violation" in li.attrs["class"]} \
        == SEVEN
    assert all(li.attrs["data-count"] == "3" for li in lines
               if "severity-violation" in li.attrs["class"])
    scope = next(li for li in lines if li.attrs["data-rule"] == "issuer-scope")
    assert [a.attrs["href"] for a in scope.find_all("a")] == ["#row-6", "#row-19", "#row-33"]
    assert "Rows 6, 19, 33." in scope.text
    assert html.index('id="summary"') < html.index('class="row-problems"')
    shown = {int(a.attrs["data-row"]) for a in page.find_all("article", "row-problems")
             if a.attrs["data-row"]}
    assert {row for row, _, _ in expected} <= shown     # and every row in detail below
    heading = next(h for h in page.find_all("h2") if h.attrs.get("id") == "result-heading")
    assert heading.text == "21 problem(s) in 21 row(s) — nothing was saved."
    assert page.find("p", "scope-note") is not None     # out of scope: said, not instead


@pytest.mark.browser
def test_the_summary_on_a_phone(open_page, live_server, diw_key, mistakes, tmp_path):
    """In Thai, 390 px wide, no script: the summary fits, and a row link goes to the row."""
    rows, _ = mistakes
    path = tmp_path / "licences.csv"
    path.write_bytes(_file(rows))
    page = open_page(locale="th-TH", width=390, height=844,
                     refused_documents=(f"{live_server}/upload",))
    page.goto(f"{live_server}/upload")
    page.fill("#key", diw_key)
    page.click("#sign-in")
    page.set_input_files("#file", str(path))
    page.click("#dry-run")
    lines = page.locator("#summary .summary-line")
    assert lines.count() == 8                            # seven kinds and the warnings
    scope = page.locator('#summary .summary-line[data-rule="issuer-scope"]')
    assert "แถวที่ 6, 19, 33" in scope.locator(".message").inner_text()
    assert fits_width(page), "the page scrolls sideways on a phone"
    scope.locator('a[href="#row-19"]').click()
    assert page.url.endswith("#row-19")
    assert page.locator("#row-19").is_visible()
    assert page.errors == []


@pytest.fixture
def cli(runner):
    assert runner.invoke("init").exit_code == 0
    return runner


def test_the_cli_prints_the_summary_and_twenty_problems(cli, tmp_path, mistakes):
    rows, expected = mistakes
    path = tmp_path / "licences.csv"
    path.write_bytes(_file(rows))
    report = tmp_path / "report.csv"
    result = cli.invoke("validate", str(path), "--agency", "diw", "--report", str(report))
    assert result.exit_code == 1
    out = result.output.splitlines()
    assert out[0] == f"{path}: 40 rows, 19 valid, 21 violations, 4 warnings."
    summary = [line for line in out[1:] if line.startswith(f"{path}: Violation: ")]
    assert len(summary) == 7 and all(line.split(": ", 2)[2].startswith("3 × ")
                                     for line in summary)
    problems = [line for line in out if f"{path}: row " in line]
    assert len(problems) == FIRST_PROBLEMS
    assert out[-1] == f"…and {21 + 4 - FIRST_PROBLEMS} more: every problem is in {report}."

    text = report.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")                     # for Excel
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(table[0]) == [*REPORT_COLUMNS, "file"]
    assert len(table) == 25 and {r["file"] for r in table} == {str(path)}
    assert {(int(r["row"]), r["field"], r["rule"]) for r in table
            if r["severity"] == "Violation"} == expected

    plain = cli.invoke("validate", str(path), "--agency", "diw")
    assert plain.output.splitlines()[-1] == (
        f"…and {21 + 4 - FIRST_PROBLEMS} more: see --json or --report FILE.csv.")
    as_json = json.loads(cli.invoke("validate", str(path), "--agency", "diw", "--json").stdout)
    assert {s["rule"] for s in as_json[str(path)]["summary"]} >= SEVEN
    assert len(as_json[str(path)]["problems"]) == 25


def test_load_writes_the_report_of_a_refused_batch(cli, tmp_path, mistakes):
    rows, expected = mistakes
    path = tmp_path / "licences.csv"
    path.write_bytes(_file(rows))
    report = tmp_path / "load-report.csv"
    result = cli.invoke("load", str(path), "--agency", "diw", "--report", str(report))
    assert result.exit_code == 1 and "Nothing was written" in result.output
    table = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert {(int(r["row"]), r["field"], r["rule"]) for r in table
            if r["severity"] == "Violation"} == expected


def test_a_clean_file_of_buddhist_era_dates_prints_one_summary_line(runner, tmp_path,
                                                                     catalogue):
    rows = _common_era(list(demo_rows(catalogue, 1000, agency="diw")))
    for row in rows[:712]:
        row["issued"] = _buddhist_era(row["issued"])
    path = tmp_path / "clean.csv"
    path.write_bytes(_file(rows))
    result = runner.invoke("validate", str(path), "--agency", "diw")
    assert result.exit_code == 0
    out = result.stdout.splitlines()
    assert out[0] == f"{path}: 1000 rows, 1000 valid, 0 violations, 712 warnings."
    assert out[1].startswith(f"{path}: Warning: 712 × issued: ")
    assert "Rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, … (first 10 of 712 shown)." in out[1]
    assert len(out) == 1 + 1 + FIRST_PROBLEMS + 1      # counts, summary, first 20, "…and more"
    assert out[-1] == f"…and {712 - FIRST_PROBLEMS} more: see --json or --report FILE.csv."
