"""`registry.problems.summarise` (issue 13, SPEC §5): repeated problems become one line each, with
a count and the first rows, in Thai and in English; and the headline of a refused batch."""

from __future__ import annotations

import csv
import io

import pytest

from registry.problems import (
    VIOLATION,
    WARNING,
    Problem,
    headline,
    problem,
    report_csv,
    rule_text,
    summarise,
)


def be_date(row: int) -> Problem:
    return problem(row, "issued", "date-buddhist-era", f"'1/2/{row}' was read as 2024-02-01.",
                   f"'1/2/{row}' ถูกแปลงเป็น 2024-02-01")


def status(row: int, value: str) -> Problem:
    return problem(row, "status", "status-scheme", f"{value!r} is not a status.",
                   f"{value!r} ไม่ใช่สถานะ")


BE = rule_text("date-buddhist-era", "issued")
STATUS = rule_text("status-scheme", "status")


@pytest.mark.parametrize("problems, expected", [
    # (severity, rule, field, count, rows) of each line, in order
    ([], []),
    ([be_date(2)], [(WARNING, "date-buddhist-era", "issued", 1, (2,))]),
    ([be_date(r) for r in range(2, 714)],
     [(WARNING, "date-buddhist-era", "issued", 712, tuple(range(2, 12)))]),
    # violations first, even when fewer; then the most frequent
    ([be_date(2), be_date(3), status(4, "x"), be_date(5)],
     [(VIOLATION, "status-scheme", "status", 1, (4,)),
      (WARNING, "date-buddhist-era", "issued", 3, (2, 3, 5))]),
    # one rule in two columns: two lines
    ([be_date(2), problem(3, "valid_until", "date-buddhist-era", "x", "x")],
     [(WARNING, "date-buddhist-era", "issued", 1, (2,)),
      (WARNING, "date-buddhist-era", "valid_until", 1, (3,))]),
    # a row counted once among the rows, however many times it has the problem
    ([status(7, "a"), status(7, "b"), status(9, "c")],
     [(VIOLATION, "status-scheme", "status", 3, (7, 9))]),
    # file-level problems (row None) and header problems (row 1)
    ([Problem(None, "", "encoding", WARNING, "ไฟล์", "The file"), status(1, "x")],
     [(VIOLATION, "status-scheme", "status", 1, (1,)),
      (WARNING, "encoding", "", 1, (None,))]),
])
def test_groups(problems, expected):
    found = summarise(problems)
    assert [(s.severity, s.rule, s.field, s.count, s.rows) for s in found] == expected


@pytest.mark.parametrize("problems, first_rows, en, th", [
    ([be_date(r) for r in range(2, 714)], 10,
     f"712 × issued: {BE.en} (712 different details: see each row.) Rows 2, 3, 4, 5, 6, 7, 8, 9, "
     "10, 11, … (first 10 of 712 shown).",
     f"712 รายการ วันที่ออกใบอนุญาต (issued): {BE.th} (รายละเอียดต่างกัน 712 แบบ ดูที่แต่ละแถว) "
     "แถวที่ 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, … (แสดง 10 แถวแรกจาก 712 แถว)"),
    ([be_date(r) for r in range(2, 714)], 3,
     f"712 × issued: {BE.en} (712 different details: see each row.) Rows 2, 3, 4, … (first 3 of "
     "712 shown).",
     f"712 รายการ วันที่ออกใบอนุญาต (issued): {BE.th} (รายละเอียดต่างกัน 712 แบบ ดูที่แต่ละแถว) "
     "แถวที่ 2, 3, 4, … (แสดง 3 แถวแรกจาก 712 แถว)"),
    # one problem: its own message, details and all
    ([status(4, "x")], 10,
     f"status: {STATUS.en} 'x' is not a status. Row 4.",
     f"สถานะ (status): {STATUS.th} 'x' ไม่ใช่สถานะ แถวที่ 4"),
    # few distinct details (≤ 3): named
    ([status(4, "เลิก"), status(6, "เลิก"), status(9, "ปิด")], 10,
     f"3 × status: {STATUS.en} 'เลิก' is not a status; 'ปิด' is not a status. Rows 4, 6, 9.",
     f"3 รายการ สถานะ (status): {STATUS.th} 'เลิก' ไม่ใช่สถานะ; 'ปิด' ไม่ใช่สถานะ แถวที่ 4, 6, 9"),
    # more distinct details than that: counted
    ([status(r, f"v{r}") for r in range(2, 7)], 10,
     f"5 × status: {STATUS.en} (5 different details: see each row.) Rows 2, 3, 4, 5, 6.",
     f"5 รายการ สถานะ (status): {STATUS.th} (รายละเอียดต่างกัน 5 แบบ ดูที่แต่ละแถว) "
     "แถวที่ 2, 3, 4, 5, 6"),
    # past a thousand distinct details, no longer counted one by one
    ([status(r, f"v{r}") for r in range(2, 1202)], 2,
     f"1,200 × status: {STATUS.en} (more than 1,000 different details: see each row.) Rows 2, 3,"
     " … (first 2 of 1,200 shown).",
     f"1,200 รายการ สถานะ (status): {STATUS.th} (รายละเอียดต่างกันมากกว่า 1,000 แบบ ดูที่แต่ละแถว)"
     " แถวที่ 2, 3, … (แสดง 2 แถวแรกจาก 1,200 แถว)"),
    # the whole file
    ([Problem(None, "", "encoding", WARNING, "ไฟล์เป็น Windows-874", "The file is Windows-874.")],
     10, "The file is Windows-874. (the whole file)", "ไฟล์เป็น Windows-874 (ทั้งไฟล์)"),
])
def test_lines(problems, first_rows, en, th):
    [line] = summarise(problems, first_rows=first_rows)
    assert (line.en, line.th) == (en, th)
    assert "\n" not in line.en and "\n" not in line.th


def test_as_json_shape():
    [line] = summarise([status(4, "x"), status(5, "x")])
    assert line.as_json() == {"rule": "status-scheme", "field": "status", "severity": VIOLATION,
                              "count": 2, "rows": [4, 5],
                              "message": {"th": line.th, "en": line.en}}


def test_a_problem_read_back_from_json_is_the_same():
    found = status(4, "x")
    assert Problem.from_json(found.as_json()) == found


@pytest.mark.parametrize("problems, rows, en", [
    ([status(4, "x")], 1,
     f"1 problem(s) in 1 row(s): 1 × {STATUS.label_en} in status (status-scheme; row 4)."),
    ([problem(r, "issuer", "issuer-scope") for r in (2, 5, 9)]
     + [status(r, "x") for r in range(3, 10)] + [be_date(2)], 9,
     f"10 problem(s) in 9 row(s): 7 × {STATUS.label_en} in status (status-scheme; rows 3, 4, 5, "
     f"6, 7, …); 3 × {rule_text('issuer-scope').label_en} in issuer (issuer-scope; rows 2, 5, 9)."
     " Also 1 warning(s)."),
])
def test_headline_names_every_kind(problems, rows, en):
    th_found, en_found = headline(summarise(problems), rows)
    assert en_found == en
    assert all(s.rule in th_found for s in summarise(problems) if s.severity == VIOLATION)


def test_report_csv_is_for_excel():
    found = [status(4, "=1+1").as_json() | {"file": "a.csv"},
             Problem(None, "", "encoding", WARNING, "ไฟล์", "=cmd").as_json() | {"file": "b.csv"}]
    text = report_csv(found, extra=("file",))
    assert text.startswith("\ufeffrow,field,rule,severity,message_th,message_en,file\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][:3] == ["4", "status", "status-scheme"] and rows[1][6] == "a.csv"
    assert rows[2][0] == "" and rows[2][5] == "'=cmd"            # a formula, neutralised
