"""CSV exports neutralise formula-looking cells; the stored text stays exactly as sent."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.csvsafe import neutralise, safe_csv


@pytest.mark.parametrize("cell, written", [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("บริษัท ก จำกัด", "บริษัท ก จำกัด"),
    ("12/2567", "12/2567"), ("", ""),
])
def test_neutralise(cell, written):
    assert neutralise(cell) == written


@given(st.lists(st.lists(st.text(max_size=20), min_size=2, max_size=2), max_size=5))
def test_safe_csv_never_starts_a_cell_with_a_formula(rows):
    parsed = list(csv.reader(io.StringIO(safe_csv(["a", "b"], rows), newline="")))
    for row in parsed:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
