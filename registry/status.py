"""Effective status: what a business must be told about a licence today (SPEC §3, §6).

`expired` is never stored; it is derived from `schema:validUntil`. A status the agency set
(suspended, revoked, surrendered, replaced) is stronger news than expiry, so it is shown even
after the end date; an active licence past its end date is expired.
"""

from __future__ import annotations

import datetime as dt

ACTIVE = "active"
EXPIRED = "expired"


def effective_status(stored: str, valid_until: dt.date | None, today: dt.date) -> str:
    if stored != ACTIVE:
        return stored
    if valid_until is not None and valid_until < today:
        return EXPIRED
    return ACTIVE


def is_valid_today(stored: str, valid_from: dt.date | None, valid_until: dt.date | None,
                   today: dt.date) -> bool:
    """Valid today: active, started, not expired."""
    started = valid_from is None or valid_from <= today
    return started and effective_status(stored, valid_until, today) == ACTIVE
