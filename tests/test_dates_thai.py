"""Dates as a Thai office writes them (SPEC §5 tier 1): month names and abbreviations, two-digit
Buddhist-Era years, day-first numbers, Thai digits; everything else refused with the forms."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.dates import (
    ENGLISH_MONTH_NAMES,
    FORM_ISO,
    FORM_MONTH_NAME,
    FORM_NUMERIC,
    THAI_MONTH_NAMES,
    THAI_MONTHS,
    InvalidDate,
    common_era_year,
    parse_date,
)

FEB_1_2024 = dt.date(2024, 2, 1)


@pytest.mark.parametrize("raw, day, form, buddhist_era, short_year", [
    # Thai month names, abbreviated and full, with or without dots, spaces and พ.ศ.
    ("1 ก.พ. 2567", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("1 ก.พ.2567", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("1ก.พ.2567", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("1 กพ 2567", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("1 ก. พ. 2567", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("01 ก.พ. 2567", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("1 กุมภาพันธ์ 2567", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("1 กุมภาพันธ์ พ.ศ. 2567", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("1 ก.พ. พ.ศ.2567", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("  1 ก.พ. 2567  ", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("๑ ก.พ. ๒๕๖๗", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    ("1 ก.พ. 67", FEB_1_2024, FORM_MONTH_NAME, True, "67"),
    ("1 กุมภาพันธ์ 67", FEB_1_2024, FORM_MONTH_NAME, True, "67"),
    ("1 ก.พ. ค.ศ. 2024", FEB_1_2024, FORM_MONTH_NAME, False, ""),
    ("1 ก.พ. 2024", FEB_1_2024, FORM_MONTH_NAME, False, ""),
    ("15 ธ.ค. 2566", dt.date(2023, 12, 15), FORM_MONTH_NAME, True, ""),
    ("31 มี.ค. 2567", dt.date(2024, 3, 31), FORM_MONTH_NAME, True, ""),
    ("30 เม.ย. 2567", dt.date(2024, 4, 30), FORM_MONTH_NAME, True, ""),
    ("5 มิ.ย. 2567", dt.date(2024, 6, 5), FORM_MONTH_NAME, True, ""),
    ("5 พ.ย. 2567", dt.date(2024, 11, 5), FORM_MONTH_NAME, True, ""),
    ("5 พฤศจิกายน 2567", dt.date(2024, 11, 5), FORM_MONTH_NAME, True, ""),
    # English month names
    ("1 Feb 2024", FEB_1_2024, FORM_MONTH_NAME, False, ""),
    ("1 February 2024", FEB_1_2024, FORM_MONTH_NAME, False, ""),
    ("1 FEB 2024", FEB_1_2024, FORM_MONTH_NAME, False, ""),
    ("1 Feb, 2024", FEB_1_2024, FORM_MONTH_NAME, False, ""),
    ("1 Sept 2024", dt.date(2024, 9, 1), FORM_MONTH_NAME, False, ""),
    ("1 Feb 2567", FEB_1_2024, FORM_MONTH_NAME, True, ""),
    # numbers, day first; two-digit years are Buddhist-Era years
    ("1/2/67", FEB_1_2024, FORM_NUMERIC, True, "67"),
    ("01/02/67", FEB_1_2024, FORM_NUMERIC, True, "67"),
    ("๐๑/๐๒/๖๗", FEB_1_2024, FORM_NUMERIC, True, "67"),
    ("1/2/2567", FEB_1_2024, FORM_NUMERIC, True, ""),
    ("01/02/2567", FEB_1_2024, FORM_NUMERIC, True, ""),
    ("01/02/2024", FEB_1_2024, FORM_NUMERIC, False, ""),
    ("2024-02-01", FEB_1_2024, FORM_ISO, False, ""),
    ("2567-02-01", FEB_1_2024, FORM_ISO, True, ""),
])
def test_thai_dates_are_read(raw, day, form, buddhist_era, short_year):
    parsed = parse_date(raw)
    assert (parsed.value, parsed.form, parsed.buddhist_era, parsed.short_year) == (
        day, form, buddhist_era, short_year)


@pytest.mark.parametrize("raw, day", [
    # 29 February exists in 2567 BE (2024) and 2563 BE (2020), not in 2566 BE (2023)
    ("29 ก.พ. 2567", dt.date(2024, 2, 29)),
    ("29/2/67", dt.date(2024, 2, 29)),
    ("29 กุมภาพันธ์ 2563", dt.date(2020, 2, 29)),
    ("29/02/2543", dt.date(2000, 2, 29)),        # 2000: divisible by 400, a leap year
])
def test_leap_days_in_buddhist_era_leap_years(raw, day):
    assert parse_date(raw).value == day


@pytest.mark.parametrize("raw, en, th", [
    ("29 ก.พ. 2566", "February 2023 has 28 days", "เดือนกุมภาพันธ์ พ.ศ. 2566 มี 28 วัน"),
    ("29/2/66", "February 2023 has 28 days", "มี 28 วัน"),
    ("29/02/2443", "February 1900 has 28 days", "มี 28 วัน"),   # 1900: not a leap year
    ("31/4/67", "April 2024 has 30 days", "เดือนเมษายน พ.ศ. 2567 มี 30 วัน"),
    ("31 เม.ย. 2567", "April 2024 has 30 days", "มี 30 วัน"),
    ("31 June 2024", "June 2024 has 30 days", "มี 30 วัน"),
    ("0/2/67", "February 2024 has 29 days", "มี 29 วัน"),
    # month first is not read: Thai dates are day first, so the 13th month does not exist
    ("02/13/2567", "there is no month 13", "ไม่มีเดือนที่ 13"),
    ("1 ก.พ. พ.ศ. 2024", "2024 is not a Buddhist-Era", "2024 ไม่ใช่ปีพุทธศักราช"),
    ("1 ก.พ. ค.ศ. 2567", "2567 is not a Common-Era", "2567 ไม่ใช่ปีคริสต์ศักราช"),
    ("1 ก.พ. ค.ศ. 24", "two-digit year cannot be a Common-Era", "ต้องเขียนครบสี่หลัก"),
])
def test_dates_that_do_not_exist_say_why(raw, en, th):
    with pytest.raises(InvalidDate) as refused:
        parse_date(raw)
    assert en in refused.value.en and th in refused.value.th
    assert repr(raw) in refused.value.en and repr(raw) in refused.value.th


@pytest.mark.parametrize("raw", [
    "yesterday", "", "1/2", "1/2/567", "1/2/02567", "2024/02/01", "01-02-2567", "1.2.2567",
    "2024-2-1", "1 กพ.", "ก.พ. 2567", "1 ฟ.พ. 2567", "1 Febr 2024", "1 ก.พ. 2567 10:00",
    "2024-02-01T00:00", "Feb 1 2024", "1 กุมภา 2567",
])
def test_other_forms_are_refused_listing_the_accepted_ones(raw):
    with pytest.raises(InvalidDate) as refused:
        parse_date(raw)
    for form in ("2024-02-01", "01/02/2567", "1/2/67", "1 ก.พ. 2567", "1 กุมภาพันธ์ 2567",
                 "1 Feb 2024"):
        assert form in refused.value.en and form in refused.value.th
    assert "Buddhist-Era" in refused.value.en and "พุทธศักราช" in refused.value.th


@pytest.mark.parametrize("raw, day, note", [
    # Ambiguous to a reader, read one way by the standard (and warned of by the pipeline):
    ("1/2/24", dt.date(1981, 2, 1), "a two-digit year is Buddhist Era, never 2024"),
    ("2/1/2567", dt.date(2024, 1, 2), "day first: 2 January, not 1 February"),
    ("12/11/2024", dt.date(2024, 11, 12), "day first in the Common Era too"),
    ("1/2/00", dt.date(1957, 2, 1), "00 is 2500 BE"),
    ("1/2/99", dt.date(2056, 2, 1), "99 is 2599 BE"),
])
def test_ambiguous_forms_have_one_reading(raw, day, note):
    assert parse_date(raw).value == day, note


def test_every_month_in_every_spelling():
    for month in range(1, 13):
        for name in (THAI_MONTHS[month - 1], THAI_MONTH_NAMES[month - 1],
                     THAI_MONTHS[month - 1].replace(".", ""), ENGLISH_MONTH_NAMES[month - 1],
                     ENGLISH_MONTH_NAMES[month - 1][:3].lower()):
            assert parse_date(f"1 {name} 2567").value == dt.date(2024, month, 1), name


@pytest.mark.parametrize("typed, year", [
    ("2024", 2024), ("2567", 2024), ("๒๕๖๗", 2024), ("๒๐๒๔", 2024), (" 2567 ", 2024),
    ("2399", 2399),          # below 2400: read as Common Era (a caller checks its own range)
    ("2400", 1857),          # 2400 and above: Buddhist Era (SPEC §4.5)
    ("0999", 999),
    ("", None), ("67", None), ("25670", None), ("２５６７", None), ("2O24", None), ("-202", None),
    ("²⁰²⁴", None),          # superscripts are digits to str.isdigit, not to a person
])
def test_a_typed_year_is_read_in_the_common_era(typed, year):
    assert common_era_year(typed) == year
