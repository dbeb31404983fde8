"""Dates as agencies write them: ISO `YYYY-MM-DD` or Thai `DD/MM/YYYY`, Buddhist Era or not."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

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

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_THAI = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_THAI_DIGITS = {ord("๐") + i: str(i) for i in range(10)}


class InvalidDate(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ParsedDate:
    value: dt.date
    buddhist_era: bool        # the input year was converted from the Buddhist Era


def parse_date(raw: str) -> ParsedDate:
    """Parse `YYYY-MM-DD` or `DD/MM/YYYY` (Thai digits allowed); convert BE years.

    Raises InvalidDate with a message that shows the accepted forms.
    """
    text = raw.strip().translate(_THAI_DIGITS)
    if match := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _THAI.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise InvalidDate(f"{raw!r} is not a date in the form YYYY-MM-DD or DD/MM/YYYY.")
    converted = year >= BUDDHIST_ERA_FROM
    if converted:
        year -= BUDDHIST_ERA_OFFSET
    try:
        return ParsedDate(dt.date(year, month, day), converted)
    except ValueError as exc:
        raise InvalidDate(f"{raw!r} is not a real date ({exc}).") from None
