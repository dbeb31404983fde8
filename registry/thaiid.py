"""Thai 13-digit identification numbers (citizens and juristic persons) and their check digit."""

from __future__ import annotations

_TRANSLATE = {ord("๐") + i: str(i) for i in range(10)}
_DROP = " \t-\u00a0\u200b"


def canonical_id(raw: str) -> str:
    """Thai digits to ASCII; spaces and dashes (as printed: 0-1055-56012-34-5) removed."""
    text = raw.translate(_TRANSLATE)
    return "".join(ch for ch in text if ch not in _DROP)


def check_digit(first12: str) -> int:
    """The mod-11 check digit of the first twelve digits."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def is_thirteen_digits(text: str) -> bool:
    return len(text) == 13 and text.isascii() and text.isdigit()


def has_valid_check_digit(thirteen: str) -> bool:
    return int(thirteen[12]) == check_digit(thirteen[:12])


def with_check_digit(first12: str) -> str:
    """A full 13-digit ID from its first twelve digits (used to make synthetic IDs)."""
    return first12 + str(check_digit(first12))
