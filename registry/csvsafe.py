"""CSV exports that spreadsheet programs cannot turn into formulas.

Agencies' text is stored exactly as sent (a name may start with '='). When such text is written
to a CSV that someone will open in Excel, a cell starting with = + - @ (or a tab or carriage
return) would run as a formula; it is written with a leading apostrophe instead (OWASP's advice).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def safe_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(str(c)) for c in row] for row in rows)
    return buffer.getvalue()
