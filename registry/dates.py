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
