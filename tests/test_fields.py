"""Thai ID check digits and agency date formats (SPEC §4.5, §4.7), table-driven plus properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry import thaiid
from registry.dates import InvalidDate, parse_date


@pytest.mark.parametrize("first12, check", [
    ("110170020345", 0), ("010555601234", 1), ("000000000000", 1), ("999999999999", 4),
])
def test_check_digit(first12, check):
    assert thaiid.check_digit(first12) == check
    assert thaiid.has_valid_check_digit(first12 + str(check))
    assert not thaiid.has_valid_check_digit(first12 + str((check + 1) % 10))


@pytest.mark.parametrize("raw, canonical", [
    ("0-1055-56012-34-5", "0105556012345"), ("๐๑๐๕๕๕๖๐๑๒๓๔๕", "0105556012345"),
    (" 0105556012345 ", "0105556012345"),
])
def test_canonical_id(raw, canonical):
    assert thaiid.canonical_id(raw) == canonical


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_with_check_digit_always_valid(first12):
    full = thaiid.with_check_digit(first12)
    assert thaiid.is_thirteen_digits(full) and thaiid.has_valid_check_digit(full)


@pytest.mark.parametrize("raw, date, converted", [
    ("2023-05-01", dt.date(2023, 5, 1), False),
    ("01/05/2023", dt.date(2023, 5, 1), False),
    ("1/5/2566", dt.date(2023, 5, 1), True),
    ("2566-05-01", dt.date(2023, 5, 1), True),
    ("๐๑/๐๕/๒๕๖๖", dt.date(2023, 5, 1), True),
    ("29/02/2567", dt.date(2024, 2, 29), True),
])
def test_parse_date(raw, date, converted):
    parsed = parse_date(raw)
    assert parsed.value == date and parsed.buddhist_era is converted


# "05/01/23" is a date now: a two-digit Buddhist-Era year (tests/test_dates_thai.py).
@pytest.mark.parametrize("raw", ["2023-5-1", "05/01/023", "2023/05/01", "30/02/2567", "2024-13-01",
                                 "yesterday", "", "01-05-2023", "2023-05-01T00:00"])
def test_parse_date_refuses(raw):
    with pytest.raises(InvalidDate):
        parse_date(raw)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_both_forms_and_both_eras_agree(date):
    be = date.year + 543
    assert parse_date(date.isoformat()).value == date
    assert parse_date(f"{date.day:02d}/{date.month:02d}/{be}").value == date
