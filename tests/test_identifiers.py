"""SPEC §2: canonical numbers and IRIs, one table row per canonicalisation step, plus properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import identifiers as ids

BASE = "http://127.0.0.1:8000"


@pytest.mark.parametrize("printed, canonical", [
    # 1. Unicode NFC (Thai has no canonical compositions, so NFC leaves it as typed; the
    #    refusal table shows composition happening before the character check)
    ("ก\u0e33/1", "ก\u0e33/1"),
    # 2. Thai digits and full-width ASCII
    ("๑๒๓/๒๕๖๗", "123/2567"),
    ("１２３／２５６７", "123/2567"),
    ("ＡＢ-１", "AB-1"),
    # 3. every dash-like character becomes '-'
    *[(f"3{d}106", "3-106")
      for d in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"],
    # 4. white space and zero-width characters removed
    ("12 / 2567", "12/2567"), ("12\u00a0/\t2567", "12/2567"),
    ("1\u200b2\u200c3\u200d\ufeff", "123"),
    ("ท.ท.ท. 11/0123", "ท.ท.ท.11/0123"),
    # 5. Latin letters upper-cased
    ("ab-12/2567", "AB-12/2567"),
    # 6. leading and trailing '/' stripped
    ("/123/2567/", "123/2567"), ("//7//", "7"),
    # 7. the allowed set: ASCII letters and digits, Thai letters and marks, - . / ( ) _
    ("จ3-106(1)_2/2560.1", "จ3-106(1)_2/2560.1"),
    ("x" * 100, "X" * 100),
])
def test_canonical_number(printed, canonical):
    assert ids.canonical_number(printed) == canonical


@pytest.mark.parametrize("printed, rule, names", [
    ("", "number-required", None),
    ("   ", "number-required", None),
    ("//", "number-required", None),
    ("12//2567", "number-characters", "empty segment"),
    ("12/./2567", "number-characters", "'.' segment"),
    ("12/../2567", "number-characters", "'..' segment"),
    ("12#4", "number-characters", "U+0023 NUMBER SIGN"),
    ("12?x=1", "number-characters", "U+003F QUESTION MARK"),
    ("1'; DROP GRAPH <x>", "number-characters", "U+0027 APOSTROPHE"),
    ("<script>", "number-characters", "U+003C LESS-THAN SIGN"),
    ("12%2F3", "number-characters", "U+0025 PERCENT SIGN"),
    ("café", "number-characters", "U+00E9"),
    ("A\u030a1", "number-characters", "U+00C5 LATIN CAPITAL LETTER A WITH RING ABOVE"),
    ("1" * 101, "number-characters", "101 characters"),
    ("12\u0e5b", "number-characters", "U+0E5B THAI CHARACTER KHOMUT"),
])
def test_canonical_number_refuses(printed, rule, names):
    with pytest.raises(ids.InvalidNumber) as caught:
        ids.canonical_number(printed)
    assert caught.value.rule == rule
    assert caught.value.th
    if names:
        assert names in caught.value.en


def test_pattern_error_shows_the_expected_pattern():
    with pytest.raises(ids.InvalidNumber) as caught:
        ids.check_number_pattern("ABC", re.compile(r"[0-9]{1,5}/25[0-9]{2}"),
                                 "building-construction")
    assert caught.value.rule == "number-pattern"
    assert "[0-9]{1,5}/25[0-9]{2}" in caught.value.en and "[0-9]{1,5}/25[0-9]{2}" in caught.value.th


@pytest.mark.parametrize("code, ok", [
    ("bma", True), ("bma-bangrak", True), ("0a", True), ("a" * 64, True),
    ("", False), ("-bma", False), ("BMA", False), ("bma_x", False), ("a" * 65, False),
    ("bma/x", False), ("ก", False),
])
def test_codes(code, ok):
    if ok:
        assert ids.check_code(code, "Issuer") == code
    else:
        with pytest.raises(ids.InvalidCode):
            ids.check_code(code, "Issuer")


def test_mint_keeps_slashes_and_thai():
    assert ids.mint(BASE, "diw", "factory-operation", "จ๓-๑๐๖-๑๒/๒๕๖๐") == \
        f"{BASE}/id/licence/diw/factory-operation/จ3-106-12/2560"
    assert ids.mint(BASE, "bma-bangrak", "building-construction", "123/2567") == \
        f"{BASE}/id/licence/bma-bangrak/building-construction/123/2567"


def test_uri_form_percent_encodes_thai_as_utf8():
    iri = f"{BASE}/id/licence/diw/factory-operation/จ3-106-12/2560"
    uri = ids.iri_to_uri(iri)
    assert uri == f"{BASE}/id/licence/diw/factory-operation/%E0%B8%883-106-12/2560"
    assert ids.uri_to_iri(uri) == iri
    assert ids.parse_licence_iri(BASE, uri) == ids.parse_licence_iri(BASE, iri)


def test_uri_to_iri_keeps_encoded_ascii_delimiters():
    assert ids.uri_to_iri("http://x/a%2Fb%20c") == "http://x/a%2Fb%20c"


# Property-based tests: canonical numbers from the allowed alphabet plus noise a person adds.

_allowed = st.sampled_from(
    list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._()")
    + [chr(c) for c in range(0x0E01, 0x0E50)])
_noise = st.sampled_from([" ", "\u200b", "\u00a0", "\u2013", "\u2212", "๓", "５", "\ufeff"])
_printed = st.lists(st.one_of(_allowed, _allowed, _allowed, _noise, st.just("/")),
                    min_size=1, max_size=60).map("".join)


def _canonical_or_none(text):
    try:
        return ids.canonical_number(text)
    except ids.InvalidNumber:
        return None


@settings(max_examples=500)
@given(_printed)
def test_canonicalising_is_idempotent(printed):
    once = _canonical_or_none(printed)
    if once is not None:
        assert ids.canonical_number(once) == once


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_any_text_is_canonical_or_refused_with_a_rule(text):
    try:
        canonical = ids.canonical_number(text)
    except ids.InvalidNumber as exc:
        assert exc.rule in ("number-required", "number-characters")
        return
    assert 1 <= len(canonical) <= ids.MAX_NUMBER_LENGTH
    assert all(ids._is_allowed(ch) for ch in canonical)
    assert not canonical.startswith("/") and not canonical.endswith("/")


_code = st.from_regex(ids.CODE_RE, fullmatch=True)


@settings(max_examples=300)
@given(_code, _code, _printed)
def test_iri_round_trips_through_key_and_uri_form(issuer, type_code, printed):
    number = _canonical_or_none(printed)
    if number is None:
        return
    key = ids.LicenceKey(issuer, type_code, number)
    iri = ids.licence_iri(BASE, key)
    assert ids.parse_licence_iri(BASE, iri) == key
    uri = ids.iri_to_uri(iri)
    assert uri.isascii()
    assert ids.uri_to_iri(uri) == iri
    assert ids.parse_licence_iri(BASE, uri) == key
