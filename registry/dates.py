"""Dates as agencies write them (ISO `YYYY-MM-DD`, Thai `DD/MM/YYYY`, `1/2/67`, `1 ก.พ. 2567`,
Buddhist Era or not), and days as pages show them."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from registry.identifiers import THAI_DIGITS

# Thailand keeps UTC+7 all year (no daylight saving), so a fixed offset is exact and needs no
# time-zone database. "Valid today" means today in Thailand, everywhere in the register.
THAILAND = dt.timezone(dt.timedelta(hours=7), "Asia/Bangkok")


def thai_today() -> dt.date:
    return dt.datetime.now(THAILAND).date()


# A day as pages show it (SPEC §10): Thai pages in the Buddhist Era with the abbreviated Thai
# month, `15 ม.ค. 2566`; English pages in the Common Era, `15 Jan 2023`. Machine formats (RDF,
# JSON, feeds, `<time datetime>`) keep ISO 8601 and the Common Era.
THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
               "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def display_date(day: dt.date | None, lang: str) -> str:
    """The day in the page's language; "" for no day."""
    if day is None:
        return ""
    if lang == "th":
        return f"{day.day} {THAI_MONTHS[day.month - 1]} {day.year + BUDDHIST_ERA_OFFSET}"
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"


def display_datetime(moment: dt.datetime | None, lang: str) -> str:
    """A moment as pages show it: the day as `display_date`, then the time in Thailand
    (`15 ม.ค. 2566 14:05`); a naive moment is taken as UTC, as the store keeps them."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(THAILAND)
    return f"{display_date(local.date(), lang)} {local:%H:%M}"


def parse_moment(text: str) -> dt.datetime | None:
    """An xsd:dateTime or xsd:date as stored (`2023-01-15T07:05:00Z`), or None if it is none."""
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None

BUDDHIST_ERA_OFFSET = 543
BUDDHIST_ERA_FROM = 2400   # SPEC §4.5: a year at or above this is a Buddhist-Era year


def common_era_year(typed: str) -> int | None:
    """A year as a person types it into a filter, in the Common Era: four ASCII or Thai digits,
    a Buddhist-Era year (≥ 2400, SPEC §4.5) converted (`๒๕๖๗` and `2567` → 2024); None if the
    text is no such year. Thai users count in พ.ศ., the store in ค.ศ."""
    digits = typed.strip().translate(THAI_DIGITS)
    if not (len(digits) == 4 and digits.isascii() and digits.isdigit()):
        return None
    year = int(digits)
    return year - BUDDHIST_ERA_OFFSET if year >= BUDDHIST_ERA_FROM else year

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Day first, as Thai offices write it; a two-digit year is a Buddhist-Era year (67 → 2567).
_NUMERIC = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")
# A day, a month name (with anything around it: dots, spaces, a comma, an era marker), a year.
# The words are every non-digit between the numbers: one way to match, no backtracking.
_MONTH_NAME = re.compile(r"(\d{1,2})(\D+)(\d{4}|\d{2})")

THAI_MONTH_NAMES = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
                    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
ENGLISH_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July",
                       "August", "September", "October", "November", "December")
# The era markers a Thai date may carry after its month: พ.ศ. (Buddhist Era), ค.ศ. (Common Era).
_BE_MARK, _CE_MARK = "พศ", "คศ"


def _month_key(text: str) -> str:
    """A month word as looked up: no dots, commas or spaces, case folded (ก.พ. = กพ = ก. พ.)."""
    return "".join(text.split()).replace(".", "").replace(",", "").casefold()


_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(zip(THAI_MONTHS, THAI_MONTH_NAMES, ENGLISH_MONTHS,
                                     ENGLISH_MONTH_NAMES, strict=True), start=1):
    for _name in _names:
        _MONTHS[_month_key(_name)] = _number
_MONTHS["sept"] = 9

MAX_DATE_LENGTH = 40
# Forms of a date, as ParsedDate.form names them.
FORM_ISO = "iso"                # 2024-02-01
FORM_NUMERIC = "numeric"        # 01/02/2567, 1/2/67
FORM_MONTH_NAME = "month-name"  # 1 ก.พ. 2567, 1 กุมภาพันธ์ พ.ศ. 2567, 1 Feb 2024

# What the refusal lists, in the reader's language.
ACCEPTED_FORMS_EN = ("2024-02-01, 01/02/2567, 1/2/67 (a two-digit year is a Buddhist-Era year), "
                     "1 ก.พ. 2567, 1 กุมภาพันธ์ 2567 or 1 Feb 2024")
ACCEPTED_FORMS_TH = ("2024-02-01, 01/02/2567, 1/2/67 (ปีสองหลักคือปีพุทธศักราช), 1 ก.พ. 2567, "
                     "1 กุมภาพันธ์ 2567 หรือ 1 Feb 2024")


class InvalidDate(ValueError):
    """Not a date the standard reads; `en` and `th` say why and which forms are accepted."""

    def __init__(self, en: str, th: str) -> None:
        super().__init__(en)
        self.en, self.th = en, th


@dataclass(frozen=True, slots=True)
class ParsedDate:
    value: dt.date
    buddhist_era: bool        # the input year was converted from the Buddhist Era
    form: str = FORM_ISO      # FORM_ISO, FORM_NUMERIC or FORM_MONTH_NAME
    short_year: str = ""      # the year as written when it had two digits ("67"), else ""


def parse_date(raw: str) -> ParsedDate:
    """Parse a date as agencies write it (Thai digits allowed) and convert Buddhist-Era years:

    - `YYYY-MM-DD`;
    - `DD/MM/YYYY` and `D/M/YYYY`, day first;
    - `DD/MM/YY`: a two-digit year is a Buddhist-Era year (`67` → 2567 → 2024);
    - a day, a Thai or English month name or abbreviation (`ก.พ.`, `กพ`, `กุมภาพันธ์`, `Feb`,
      `February`), an optional era marker (`พ.ศ.`, `ค.ศ.`), a year of four or two digits.

    A four-digit year ≥ 2400 is a Buddhist-Era year (SPEC §4.5). Raises InvalidDate, in English
    and Thai, listing the accepted forms, or saying why the date does not exist.
    """
    text = raw.strip().translate(THAI_DIGITS)
    era = ""
    # The longest form, "30 พฤศจิกายน พ.ศ. 2567", has 23 characters; a longer cell is no date,
    # and is not handed to the month-name pattern, whose work grows with the text.
    if len(text) > MAX_DATE_LENGTH:
        raise InvalidDate(f"{raw[:100]!r} is not a date. Write it as {ACCEPTED_FORMS_EN}.",
                          f"{raw[:100]!r} ไม่ใช่วันที่ เขียนได้ในรูปแบบ {ACCEPTED_FORMS_TH}")
    if match := _ISO.fullmatch(text):
        year_text, month_text, day_text = match.groups()
        form, month = FORM_ISO, int(month_text)
    elif match := _NUMERIC.fullmatch(text):
        day_text, month_text, year_text = match.groups()
        form, month = FORM_NUMERIC, int(month_text)
    elif (match := _MONTH_NAME.fullmatch(text)) and (named := _named_month(match.group(2))):
        day_text, _word, year_text = match.groups()
        form, (month, era) = FORM_MONTH_NAME, named
    else:
        raise InvalidDate(f"{raw!r} is not a date. Write it as {ACCEPTED_FORMS_EN}.",
                          f"{raw!r} ไม่ใช่วันที่ เขียนได้ในรูปแบบ {ACCEPTED_FORMS_TH}")
    year, day = int(year_text), int(day_text)
    short_year = year_text if len(year_text) == 2 else ""
    if short_year:
        if era == _CE_MARK:
            raise InvalidDate(f"{raw!r}: a two-digit year cannot be a Common-Era (ค.ศ.) year; "
                              "write all four digits.",
                              f"{raw!r}: ปี ค.ศ. ต้องเขียนครบสี่หลัก")
        year += 2500
    converted = year >= BUDDHIST_ERA_FROM
    if era == _BE_MARK and not converted:
        raise InvalidDate(f"{raw!r}: {year} is not a Buddhist-Era (พ.ศ.) year.",
                          f"{raw!r}: {year} ไม่ใช่ปีพุทธศักราช")
    if era == _CE_MARK and converted:
        raise InvalidDate(f"{raw!r}: {year} is not a Common-Era (ค.ศ.) year.",
                          f"{raw!r}: {year} ไม่ใช่ปีคริสต์ศักราช")
    if converted:
        year -= BUDDHIST_ERA_OFFSET
    try:
        return ParsedDate(dt.date(year, month, day), converted, form, short_year)
    except ValueError:
        raise _not_a_real_date(raw, year, month) from None


def _named_month(word: str) -> tuple[int, str] | None:
    """(month number, era marker or "") for the words between day and year, or None."""
    key = _month_key(word)
    era = ""
    for mark in (_BE_MARK, _CE_MARK):
        if key.endswith(mark) and key[:-len(mark)] in _MONTHS:
            key, era = key[:-len(mark)], mark
    month = _MONTHS.get(key)
    return None if month is None else (month, era)


def _not_a_real_date(raw: str, year: int, month: int) -> InvalidDate:
    """Why the day does not exist: no such month, or fewer days in it (in the Common Era)."""
    if not 1 <= month <= 12:
        return InvalidDate(f"{raw!r} is not a real date: there is no month {month} (the day "
                           "comes first, then the month).",
                           f"{raw!r} ไม่ใช่วันที่ที่มีอยู่จริง ไม่มีเดือนที่ {month} "
                           "(เขียนวันก่อน แล้วจึงเดือน)")
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return InvalidDate(f"{raw!r} is not a real date: the year {year} is out of range.",
                           f"{raw!r} ไม่ใช่วันที่ที่มีอยู่จริง ปี {year} อยู่นอกช่วงที่ใช้ได้")
    days = calendar.monthrange(year, month)[1]
    return InvalidDate(
        f"{raw!r} is not a real date: {ENGLISH_MONTH_NAMES[month - 1]} {year} has {days} days.",
        f"{raw!r} ไม่ใช่วันที่ที่มีอยู่จริง เดือน{THAI_MONTH_NAMES[month - 1]} "
        f"พ.ศ. {year + BUDDHIST_ERA_OFFSET} มี {days} วัน")
