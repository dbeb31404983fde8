"""Effective status, table-driven: expired is derived, agency statuses win over expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.status import effective_status, is_valid_today

TODAY = dt.date(2026, 11, 21)
PAST, FUTURE = dt.date(2025, 1, 1), dt.date(2027, 1, 1)


@pytest.mark.parametrize("stored, until, effective", [
    ("active", None, "active"),
    ("active", FUTURE, "active"),
    ("active", TODAY, "active"),                 # valid through its last day
    ("active", TODAY - dt.timedelta(days=1), "expired"),
    ("active", PAST, "expired"),
    ("suspended", FUTURE, "suspended"),
    ("revoked", PAST, "revoked"),                # revocation is the stronger news
    ("surrendered", PAST, "surrendered"),
    ("replaced", FUTURE, "replaced"),
])
def test_effective_status(stored, until, effective):
    assert effective_status(stored, until, TODAY) == effective


@pytest.mark.parametrize("stored, start, until, valid", [
    ("active", PAST, FUTURE, True),
    ("active", FUTURE, None, False),             # not yet in force
    ("active", PAST, PAST, False),
    ("suspended", PAST, FUTURE, False),
])
def test_valid_today(stored, start, until, valid):
    assert is_valid_today(stored, start, until, TODAY) is valid
