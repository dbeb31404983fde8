"""bench/growth.py's fitting and projection: the growth exponent k of cost ∝ N^k between the two
largest sizes, the value projected to the target size as expected and as fitted, the verdict."""

from __future__ import annotations

import pytest

from bench.growth import growth_fit, number, table

M = 1_000_000


@pytest.mark.parametrize(("sizes", "values", "kind", "k", "expected", "fitted", "verdict"), [
    # A total that doubles with N: linear, projected ∝ N both ways.
    ([M, 2 * M], [10.0, 20.0], "total", 1.0, 200.0, 200.0, ""),
    # Four times the cost for twice the licences: k = 2, flagged.
    ([M, 2 * M], [10.0, 40.0], "total", 2.0, 400.0, 4000.0, "grows faster than linearly"),
    # Just under and just over the 1.15 line.
    ([M, 2 * M], [10.0, 10.0 * 2 ** 1.1], "total", 1.1, None, None, ""),
    ([M, 2 * M], [10.0, 10.0 * 2 ** 1.2], "total", 1.2, None, None,
     "grows faster than linearly"),
    # Only the two largest sizes count: the first pair would say k = 3.
    ([M // 4, M // 2, M, 2 * M], [1.0, 8.0, 10.0, 20.0], "total", 1.0, 200.0, 200.0, ""),
    # Sizes given out of order are sorted with their values.
    ([2 * M, M], [20.0, 10.0], "total", 1.0, 200.0, 200.0, ""),
    # A per-request cost that stays put: flat, projected flat.
    ([M, 2 * M], [5.0, 5.0], "flat", 0.0, 5.0, 5.0, ""),
    # A per-request cost that grows by half when N doubles: k ≈ 0.58, it should not grow.
    ([M, 2 * M], [4.0, 6.0], "flat", 0.585, 6.0, None, "grows with N (expected flat)"),
    # A throughput that halves: its cost doubles, k = 1; projected down.
    ([M, 2 * M], [1000.0, 500.0], "rate", 1.0, 500.0, 50.0, "grows with N (expected flat)"),
    # A throughput that rises (noise at small sizes): negative k, no verdict.
    ([M, 2 * M], [500.0, 1000.0], "rate", -1.0, 1000.0, 10_000.0, ""),
])
def test_growth_fit(sizes, values, kind, k, expected, fitted, verdict):
    fit = growth_fit(sizes, values, kind, target=20 * M)
    assert fit["k"] == pytest.approx(k, abs=1e-3)
    if expected is not None:
        assert fit["expected"] == pytest.approx(expected)
    if fitted is not None:
        assert fit["fitted"] == pytest.approx(fitted)
    assert fit["verdict"] == verdict


@pytest.mark.parametrize(("sizes", "values", "kind"), [
    ([M], [10.0], "total"),                             # one size: nothing to fit
    ([M, 2 * M], [10.0, None], "total"),                # the measure was skipped at a size
    ([M, 2 * M], [0.0, 10.0], "total"),                 # nothing to take a ratio of
    ([M, 2 * M], [10.0, 40.0], "step"),                 # a step's own figure: not fitted
])
def test_no_fit_without_two_positive_values(sizes, values, kind):
    assert growth_fit(sizes, values, kind) == {"k": None, "expected": None, "fitted": None,
                                               "verdict": ""}


@pytest.mark.parametrize(("value", "text"), [
    (None, "—"), (0, "0"), (0.012345, "0.0123"), (12.345, "12.3"), (99.94, "99.9"),
    (100, "100"), (1_234_567.8, "1,234,568"),
])
def test_number(value, text):
    assert number(value) == text


def test_table_has_a_row_per_measure_and_a_column_per_size():
    text, fits = table([M, 2 * M], [("dump", "s", "total", [10.0, 40.0]),
                                    ("p99", "ms", "flat", [3.0, None])], target=20 * M)
    lines = text.splitlines()
    assert lines[0] == ("| measure | 1,000,000 | 2,000,000 | k | 20,000,000 expected "
                        "| 20,000,000 fitted | verdict |")
    assert lines[2] == "| dump (s) | 10 | 40 | 2.00 | 400 | 4,000 | grows faster than linearly |"
    assert lines[3] == "| p99 (ms) | 3 | — | — | — | — |  |"
    assert [f["measure"] for f in fits] == ["dump", "p99"]
