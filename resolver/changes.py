"""A licence's version history as its page tells it: each version's effective status on its
day, and what changed from the version before (field: before → after). Pure: the views of the
versions are read by resolver/licence.py (`views_for_history`); nothing here reads the store.

"Its day" — the day a version's effective status is told for — is the last day it was the
register's record of the licence:
- the current version: today (the app's clock), so its entry says exactly what the banner says;
- a replaced version: the day (in Thailand) the next version was recorded, i.e. the status the
  licence had when that version stopped being the record. A version recorded as active whose
  valid-until day had passed by then is "expired", even though "expired" is never stored.
The day each version was recorded is shown beside it too (its `dct:modified`, in Thailand).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from registry.dates import THAILAND, parse_moment
from registry.history import Version
from registry.status import effective_status
from resolver.licence import LicenceView

HISTORY_SHOWN = 50      # versions drawn on a licence page, newest first; older ones are counted

# The fields compared, in the order a change list shows them. Dates stay dt.date and statuses
# stay codes, so the page words and formats them in its own language.
FIELDS = ("status", "reason", "valid_from", "valid_until", "holder_id", "holder_th",
          "holder_en", "premises", "province", "conditions", "document_url", "checksum",
          "access", "media_type")

Value = str | dt.date | None


@dataclass(frozen=True)
class Change:
    field: str          # one of FIELDS
    before: Value       # None or "" when the earlier version had no value
    after: Value


@dataclass(frozen=True)
class HistoryEntry:
    number: int
    recorded: str                # dct:modified as stored (xsd:dateTime, UTC)
    status_day: dt.date          # the day `effective_status` is told for (see above)
    effective_status: str
    current: bool
    first: bool                  # version 1: "first recorded", no changes listed
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class History:
    entries: tuple[HistoryEntry, ...]    # newest first, at most HISTORY_SHOWN
    total: int                           # every version the licence has had

    @property
    def hidden(self) -> int:
        """Older versions not drawn (still reachable with ?version=N)."""
        return self.total - len(self.entries)


def field_values(view: LicenceView) -> dict[str, Value]:
    """What the history compares of one version, by field name."""
    document = view.document
    return {
        "status": view.status, "reason": view.status_reason,
        "valid_from": view.valid_from, "valid_until": view.valid_until,
        "holder_id": view.holder_id,
        "holder_th": view.holder_names.get("th", ""),
        "holder_en": view.holder_names.get("en", ""),
        "premises": view.premises, "province": view.province, "conditions": view.conditions,
        "document_url": document.url if document else "",
        "checksum": document.sha256 if document else "",
        # "public" is only a default of the parsed record: without a document there is no access
        "access": document.access if document else "",
        "media_type": document.media_type if document else "",
    }


def _same(before: Value, after: Value) -> bool:
    return (before or None) == (after or None)      # "" and None both mean "no value"


def diff(before: LicenceView | None, after: LicenceView) -> tuple[Change, ...]:
    """What changed from `before` to `after`, field by field in FIELDS' order; () when `before`
    is None (the first version: nothing to compare with) or nothing shown changed."""
    if before is None:
        return ()
    old, new = field_values(before), field_values(after)
    return tuple(Change(name, old[name] or None, new[name] or None)
                 for name in FIELDS if not _same(old[name], new[name]))


def recorded_day(version: Version) -> dt.date | None:
    """The day (in Thailand) a version was recorded; None if its time cannot be read."""
    moment = parse_moment(version.modified)
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(THAILAND).date()


def status_day(versions: list[Version], number: int, today: dt.date) -> dt.date:
    """The day a version's effective status is told for: today for the current (last) version,
    else the day the next version was recorded (never after today)."""
    later = [v for v in versions if v.number > number]
    if not later:
        return today
    replaced_on = recorded_day(min(later, key=lambda v: v.number))
    return min(replaced_on, today) if replaced_on else today


def history(versions: list[Version], views: Mapping[int, LicenceView], today: dt.date,
            shown: int = HISTORY_SHOWN) -> History:
    """The last `shown` versions, newest first. `views` holds the version views by number: at
    least the versions shown and the one just before the oldest shown (to say what changed);
    a version whose view is missing is shown with its stored status and no change list."""
    ordered = sorted(versions, key=lambda v: v.number)
    entries = []
    for position in range(max(len(ordered) - max(shown, 0), 0), len(ordered)):
        version = ordered[position]
        view = views.get(version.number)
        previous = ordered[position - 1] if position > 0 else None
        before = views.get(previous.number) if previous else None
        day = status_day(ordered, version.number, today)
        stored = view.status if view else version.status
        until = view.valid_until if view else None
        entries.append(HistoryEntry(
            number=version.number, recorded=version.modified, status_day=day,
            effective_status=effective_status(stored, until, day),
            current=position == len(ordered) - 1, first=previous is None,
            changes=diff(before, view) if view and before else ()))
    return History(tuple(reversed(entries)), len(ordered))


def numbers_to_read(versions: list[Version], shown: int = HISTORY_SHOWN) -> list[int]:
    """The versions whose records `history` needs: those shown and the one before them."""
    ordered = sorted(v.number for v in versions)
    return ordered[-(shown + 1):] if shown > 0 else []


def banner_day(versions: list[Version], number: int, today: dt.date,
               on: dt.date | None = None) -> dt.date:
    """The day the page's banner tells the shown version's effective status for: the day asked
    with `?at=` (never after today), else the version's own day (`status_day`: today for the
    current version, so banner and history agree; the day it was replaced for an older one)."""
    if on is not None:
        return min(on, today)
    return status_day(versions, number, today)
