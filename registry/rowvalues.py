"""An upload row's values read as the standard stores them, before the standard is checked.

Tier 1 agencies write what their spreadsheets hold: `เพิกถอน` for revoked, a licence type's Thai
title for its code, `Bangkok` or `TH-10` for กรุงเทพมหานคร, `1 ก.พ. 67` for 2024-02-01.
`normalise_row` rewrites such values to their stored form and reports each reading as a
Warning (its own rule per column, so a report can count them), and an unknown province as a
Violation (province-known). Every other check (`registry/validation.py`, and the SHACL reference
in the tests) then sees the rewritten row: reading values is not a rule of the standard, it is
what comes before it.

Values that cannot be read are left as written, for their column's rule to refuse.
"""

from __future__ import annotations

import re

from registry.codedvalues import MAPPED_RULES, CodedValues
from registry.dates import InvalidDate, ParsedDate, parse_date
from registry.problems import Problem, problem
from registry.provinces import closest_provinces, find_province

# C0 control characters but tab, line feed and carriage return, and DEL (clcshape:
# text-control-characters): XML cannot carry them, and no name or address ever means one.
CONTROL_CHARACTER_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CODED_COLUMNS = ("licence_type", "issuer", "holder_type", "status", "document_access")
DATE_COLUMNS = ("issued", "valid_until")


def normalise_row(row: int | str, raw: dict[str, str], values: CodedValues
                  ) -> tuple[dict[str, str], list[Problem]]:
    """(the row with coded values, province and dates in their stored form, the problems of
    reading them). `raw` itself is not changed."""
    out = dict(raw)
    problems: list[Problem] = []
    for column in CODED_COLUMNS:
        text = (raw.get(column) or "").strip()
        reading = values.read(column, text) if text else None
        if reading is None:
            continue
        out[column] = reading.code
        if reading.mapped:
            problems.append(problem(
                row, column, MAPPED_RULES[column],
                f"{text[:200]!r} was read as {reading.code}. {reading.hint_en}".strip(),
                f"{text[:200]!r} อ่านเป็น {reading.code} {reading.hint_th}".strip()))
    province = (raw.get("province") or "").strip()
    # A province holding a control character is refused by text-control-characters alone.
    if province and CONTROL_CHARACTER_RE.search(province) is None:
        _read_province(row, province, out, problems)
    for column in DATE_COLUMNS:
        text = (raw.get(column) or "").strip()
        if not text:
            continue
        try:
            parsed = parse_date(text)
        except InvalidDate:
            continue                # date-format refuses it, with the reason
        out[column] = parsed.value.isoformat()
        if parsed.buddhist_era:
            problems.append(_era_warning(row, column, text, parsed))
    return out, problems


def _read_province(row: int | str, text: str, out: dict[str, str], problems: list[Problem]
                   ) -> None:
    found = find_province(text)
    if found is None:
        closest = closest_provinces(text)
        problems.append(problem(
            row, "province", "province-known",
            f"Got {text[:100]!r}." + (f" Closest: {', '.join(p.label() for p in closest)}."
                                      if closest else ""),
            f"ค่าที่ได้รับ {text[:100]!r}" + (f" ชื่อที่ใกล้เคียง: {', '.join(p.label() for p in closest)}"
                                          if closest else "")))
    elif found.name_th != text:
        out["province"] = found.name_th
        problems.append(problem(row, "province", "province-mapped",
                                f"{text[:100]!r} was read as {found.label()}.",
                                f"{text[:100]!r} อ่านเป็น {found.label()}"))


def _era_warning(row: int | str, column: str, text: str, parsed: ParsedDate) -> Problem:
    iso = parsed.value.isoformat()
    if parsed.short_year:
        be = parsed.value.year + 543
        return problem(row, column, "date-two-digit-year",
                       f"{text!r}: the year {parsed.short_year} was read as {be} BE, which is "
                       f"{parsed.value.year}; stored as {iso}.",
                       f"{text!r}: ปี {parsed.short_year} อ่านเป็น พ.ศ. {be} ตรงกับ ค.ศ. "
                       f"{parsed.value.year} บันทึกเป็น {iso}")
    return problem(row, column, "date-buddhist-era", f"{text!r} was read as {iso}.",
                   f"{text!r} ถูกแปลงเป็น {iso}")
