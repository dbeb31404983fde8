"""Reading whole-number query parameters: the one helper every route that takes one uses.

A whole number is ASCII digits only: no sign, no spaces, no Thai or Arabic-Indic digits (which
Python's int() would take), and it is checked against its bounds by length before int() sees it,
so twenty or five thousand digits are refused by name like any other number out of range.
"""

from __future__ import annotations

from typing import overload

from flask import request

from registry.errors import BadRequest


@overload
def int_param(name: str, *, default: int, minimum: int, maximum: int) -> int: ...
@overload
def int_param(name: str, *, default: None, minimum: int, maximum: int) -> int | None: ...
def int_param(name: str, *, default: int | None, minimum: int, maximum: int) -> int | None:
    """The parameter `name` as a whole number from `minimum` to `maximum`; `default` when it is
    absent or empty. BadRequest, naming the parameter, when given twice or not such a number."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"Give {name} once, not {len(values)} times.", parameter=name)
    raw = values[0] if values else ""
    if raw == "":
        return default
    digits = raw.lstrip("0") or "0"
    if not (raw.isascii() and raw.isdigit()) or len(digits) > len(str(maximum)) \
            or not minimum <= int(digits) <= maximum:
        shown = repr(raw[:20]) + ("…" if len(raw) > 20 else "")
        raise BadRequest(f"{name} must be a whole number from {minimum} to {maximum}; "
                         f"got {shown}.", parameter=name)
    return int(digits)


_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")


def bool_param(name: str) -> bool:
    """The parameter `name` as yes or no; absent or empty is no. Anything but 1/true/yes or
    0/false/no (any case) is BadRequest naming it: `dry_run=maybe` must not publish."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"Give {name} once, not {len(values)} times.", parameter=name)
    raw = (values[0] if values else "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE or raw == "":
        return False
    shown = repr(values[0][:20]) + ("…" if len(values[0]) > 20 else "")
    raise BadRequest(f"{name} must be true or false (also 1/0, yes/no); got {shown}.",
                     parameter=name)
