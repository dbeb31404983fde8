"""SPEC §11 status lists: the W3C Bitstring Status List v1.0 encoding, its bounds, the list
credential and entries, the status → bits policy and index allocation (registry/statuslist.py)."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import time
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import statuslist as sl
from registry.records import STATUSES

# The specification's example BitstringStatusListCredential (§2.2): a 16 KiB list, all clear.
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
BASE = "https://licences.example.go.th"
DID = "did:web:licences.example.go.th"


def encoded(raw: bytes) -> str:
    """`raw` as an encodedList, made here independently of the module."""
    return "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


# --- the layout: index 0 is the left-most bit, the first byte's most significant bit --------

@pytest.mark.parametrize("index, byte, value", [
    (0, 0, 0x80), (1, 0, 0x40), (7, 0, 0x01), (8, 1, 0x80), (9, 1, 0x40),
    (94567, 11820, 0x01), (131_071, 16_383, 0x01),
])
def test_bit_layout(index, byte, value):
    bits = sl.StatusList()
    bits.set(index)
    raw = bits.to_bytes()
    assert raw[byte] == value
    assert sum(raw) == value
    # And the way back: a verifier's independent gzip decodes to the same bytes.
    assert gzip.decompress(base64.urlsafe_b64decode(bits.encode()[1:] + "==")) == raw


def test_the_specifications_example_decodes_to_an_empty_list_of_the_minimum_size():
    bits = sl.StatusList.decode(SPEC_EXAMPLE)
    assert bits.size == 131_072
    assert bits.set_indices() == []
    assert bits == sl.StatusList()
    assert sl.StatusList.decode(bits.encode()) == bits


def test_a_list_made_elsewhere_reads_by_the_same_layout():
    raw = bytearray(16_384)
    raw[0] = 0b1010_0000   # indices 0 and 2
    raw[16_383] = 0b0000_0001   # the last index
    bits = sl.StatusList.decode(encoded(gzip.compress(bytes(raw))))
    assert bits.set_indices() == [0, 2, 131_071]
    assert [bits.get(i) for i in (0, 1, 2, 3, 131_070, 131_071)] == [
        True, False, True, False, False, True]


def test_set_clear_get():
    bits = sl.StatusList()
    bits.set(5)
    bits.set(6)
    bits.set(5)          # setting twice is setting
    assert bits.set_indices() == [5, 6]
    bits.clear(5)
    bits.clear(7)        # clearing a clear bit leaves it clear
    bits.set(6, False)
    assert bits.set_indices() == []


@pytest.mark.parametrize("index", [-1, 131_072, 10**12])
def test_an_index_outside_the_list_is_a_range_error(index):
    bits = sl.StatusList()
    for call in (bits.get, bits.set, bits.clear):
        with pytest.raises(sl.StatusIndexOutOfRange) as caught:
            call(index)
        assert caught.value.code == "RANGE_ERROR"
        assert isinstance(caught.value, IndexError)


@pytest.mark.parametrize("size, allowed", [
    (131_072, True), (131_072 * 2, True), (131_080, True),
    (131_064, False), (131_073, False), (0, False),
])
def test_list_sizes(size, allowed):
    if allowed:
        assert sl.StatusList(size).size == size
    else:
        with pytest.raises(sl.StatusListTooShort):
            sl.StatusList(size)


# --- deterministic bytes ------------------------------------------------------------------

def test_the_same_bits_give_the_same_text_however_they_were_set():
    first, second = sl.StatusList(), sl.StatusList()
    for i in (3, 70_000, 131_071):
        first.set(i)
    for i in (131_071, 9, 3, 70_000):
        second.set(i)
    second.clear(9)
    assert first.encode() == second.encode() == first.encode()


def test_the_gzip_header_carries_no_time():
    packed = base64.urlsafe_b64decode(sl.StatusList().encode()[1:] + "==")
    assert packed[:3] == b"\x1f\x8b\x08"     # gzip, deflate
    assert packed[3] == 0                   # no name, comment or extra field
    assert packed[4:8] == b"\0\0\0\0"       # MTIME 0


# --- refusals ------------------------------------------------------------------------------

def gzip_bomb(size: int) -> str:
    """`size` zero bytes, gzipped a mebibyte at a time (never holding them all)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk, parts = bytes(1 << 20), []
    for _ in range(size >> 20):
        parts.append(packer.compress(chunk))
    parts.append(packer.compress(bytes(size & ((1 << 20) - 1))))
    parts.append(packer.flush())
    return encoded(b"".join(parts))


@pytest.mark.parametrize("text, error, words", [
    (SPEC_EXAMPLE[1:], sl.StatusListError, "starting with 'u'"),
    ("z" + SPEC_EXAMPLE[1:], sl.StatusListError, "starting with 'u'"),
    (SPEC_EXAMPLE + "==", sl.StatusListError, "without padding"),
    (SPEC_EXAMPLE[:-1] + "+", sl.StatusListError, "without padding"),
    ("u" + "A" * 5, sl.StatusListError, "without padding"),               # length 1 mod 4
    ("u", sl.StatusListError, "cut short"),
    (SPEC_EXAMPLE[:31], sl.StatusListError, "cut short"),
    (encoded(b"plain bytes, not gzip"), sl.StatusListError, "not GZIP"),
    # zlib, not gzip: the specification names GZIP
    (encoded(zlib.compress(bytes(16_384))), sl.StatusListError, "not GZIP"),
    (encoded(gzip.compress(bytes(16_384), mtime=0) + b"junk"), sl.StatusListError,
     "after its GZIP member"),
    (encoded(gzip.compress(bytes(16_383), mtime=0)), sl.StatusListTooShort, "131,064 entries"),
    (encoded(gzip.compress(b"", mtime=0)), sl.StatusListTooShort, "at least 131,072"),
    (gzip_bomb(sl.MAX_DECODED_BYTES + 1), sl.StatusListTooLarge, "expands beyond"),
    # 256 MiB of zeros in about 350 KB of text: decoding stops at the limit
    (gzip_bomb(1 << 28), sl.StatusListTooLarge, "expands beyond"),
    ("u" + "A" * (2 * sl.MAX_DECODED_BYTES + 4), sl.StatusListTooLarge, "too long"),
], ids=["no prefix", "base58 prefix", "padding", "plus sign", "bad length", "empty",
        "truncated", "not compressed", "zlib", "trailing data", "one byte short", "empty list",
        "just over the limit", "gzip bomb", "long text"])
def test_refused_encoded_lists(text, error, words):
    started = time.perf_counter()
    with pytest.raises(error) as caught:
        sl.StatusList.decode(text)
    assert words in str(caught.value)
    assert time.perf_counter() - started < 5


def test_errors_carry_the_specifications_names():
    with pytest.raises(sl.StatusListTooShort) as short:
        sl.StatusList.decode(encoded(gzip.compress(bytes(100))))
    assert short.value.code == "STATUS_LIST_LENGTH_ERROR"
    with pytest.raises(sl.StatusListError) as malformed:
        sl.StatusList.decode("x")
    assert malformed.value.code == "MALFORMED_VALUE_ERROR"
    assert isinstance(malformed.value, ValueError)


def test_the_limit_can_be_raised_for_a_bigger_list():
    big = sl.StatusList(8 * sl.MAX_DECODED_BYTES * 2)
    big.set(big.size - 1)
    with pytest.raises(sl.StatusListTooLarge):
        sl.StatusList.decode(big.encode())
    assert sl.StatusList.decode(big.encode(), limit=2 * sl.MAX_DECODED_BYTES) == big


def test_a_non_string_is_refused():
    with pytest.raises(sl.StatusListError):
        sl.expand(b"uH4sI")  # type: ignore[arg-type]


# --- properties ----------------------------------------------------------------------------

indices = st.sets(st.integers(0, sl.LIST_SIZE - 1), max_size=300)


@settings(max_examples=60, deadline=None)
@given(indices)
def test_round_trip(chosen):
    bits = sl.StatusList()
    for i in chosen:
        bits.set(i)
    text = bits.encode()
    assert text.startswith("u")
    assert "=" not in text and "+" not in text and "/" not in text
    back = sl.StatusList.decode(text)
    assert back == bits
    assert back.size == sl.LIST_SIZE
    assert back.set_indices() == sorted(chosen)
    assert back.encode() == text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, sl.LIST_SIZE - 1), st.booleans()), max_size=200))
def test_set_and_clear_follow_a_set_of_indices(steps):
    bits, model = sl.StatusList(), set()
    for index, value in steps:
        bits.set(index, value)
        (model.add if value else model.discard)(index)
    assert bits.set_indices() == sorted(model)
    assert all(bits.get(i) == (i in model) for i, _ in steps)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4).map(lambda k: k * sl.LIST_SIZE), st.data())
def test_size_survives_the_round_trip(size, data):
    bits = sl.StatusList(size)
    last = data.draw(st.integers(0, size - 1))
    bits.set(last)
    back = sl.StatusList.decode(bits.encode())
    assert back.size == size
    assert back.set_indices() == [last]


# --- which bits a status sets --------------------------------------------------------------

@pytest.mark.parametrize("status, revocation, suspension", [
    ("active", False, False),        # and reinstatement: both clear
    ("suspended", False, True),
    ("revoked", True, False),
    ("surrendered", True, False),
    ("replaced", True, False),
])
def test_bits_for(status, revocation, suspension):
    assert sl.bits_for(status) == {"revocation": revocation, "suspension": suspension}


def test_every_stored_status_has_a_rule():
    assert {status: sl.bits_for(status) for status in STATUSES}.keys() == set(STATUSES)


@pytest.mark.parametrize("status", ["expired", "", "Active", "withdrawn"])
def test_a_status_without_a_rule_is_refused(status):
    with pytest.raises(ValueError, match="no status-list rule"):
        sl.bits_for(status)


# --- positions, entries and the list credential --------------------------------------------

@pytest.mark.parametrize("counter, number, index", [
    (0, 0, 0), (1, 0, 1), (131_071, 0, 131_071), (131_072, 1, 0), (131_073, 1, 1),
    (3 * 131_072 + 77, 3, 77), (10**9, 7629, 51_712),
])
def test_position_for(counter, number, index):
    assert sl.position_for(counter) == sl.ListPosition(number, index)


@given(st.integers(0, 10**12))
def test_positions_never_collide_and_stay_in_the_list(counter):
    at = sl.position_for(counter)
    assert 0 <= at.index < sl.LIST_SIZE
    assert at.number * sl.LIST_SIZE + at.index == counter


def test_a_negative_counter_is_refused():
    with pytest.raises(ValueError):
        sl.position_for(-1)


def test_licence_entries():
    assert sl.licence_entries(BASE + "/", 131_072 + 94_567) == [
        {"id": f"{BASE}/status/revocation/1#94567", "type": "BitstringStatusListEntry",
         "statusPurpose": "revocation", "statusListIndex": "94567",
         "statusListCredential": f"{BASE}/status/revocation/1"},
        {"id": f"{BASE}/status/suspension/1#94567", "type": "BitstringStatusListEntry",
         "statusPurpose": "suspension", "statusListIndex": "94567",
         "statusListCredential": f"{BASE}/status/suspension/1"},
    ]


@pytest.mark.parametrize("value, index", [("0", 0), ("94567", 94567), ("007", 7)])
def test_entry_index(value, index):
    assert sl.entry_index({"statusListIndex": value}) == index


@pytest.mark.parametrize("value", [94567, "-1", "+1", " 1", "1.0", "0x10", "", "๑๒", "1" * 19,
                                   None])
def test_entry_index_refused(value):
    with pytest.raises(sl.StatusListError, match="decimal string"):
        sl.entry_index({"statusListIndex": value})


def test_status_list_credential():
    url = f"{BASE}/status/suspension/0"
    bits = sl.StatusList()
    bits.set(42)
    moment = dt.datetime(2026, 12, 3, 16, 5, 9, 123456, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert sl.status_list_credential(url, "suspension", DID, moment, bits.encode()) == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": DID,
        "validFrom": "2026-12-03T09:05:09Z",
        "credentialSubject": {
            "id": f"{url}#list", "type": "BitstringStatusList",
            "statusPurpose": "suspension", "encodedList": bits.encode()},
    }


@pytest.mark.parametrize("call", [
    lambda: sl.status_list_credential("u", "message", DID, dt.datetime.now(dt.UTC), "u"),
    lambda: sl.status_list_credential("u", "revocation", DID, dt.datetime(2026, 1, 1), "u"),
    lambda: sl.status_entry("u", "Revocation", 1),
    lambda: sl.list_url(BASE, "expiry", 0),
], ids=["purpose", "naive time", "entry purpose", "url purpose"])
def test_credential_arguments_refused(call):
    with pytest.raises(ValueError):
        call()


def test_from_bytes():
    raw = bytes([0x41]) + bytes(16_383)          # 0b0100_0001: indices 1 and 7
    assert sl.StatusList.from_bytes(raw).set_indices() == [1, 7]
    assert sl.StatusList.from_bytes(raw).to_bytes() == raw
    with pytest.raises(sl.StatusListTooShort):
        sl.StatusList.from_bytes(bytes(16_383))


@pytest.mark.parametrize("status", ["active", "suspended", "revoked", "surrendered", "replaced"])
def test_revocation_is_final(status):
    """Once a version set the revocation bit, no later status clears it."""
    assert sl.bits_for(status, ever_revoked=True)["revocation"] is True
    assert sl.bits_for(status, ever_revoked=True)["suspension"] == sl.bits_for(status)["suspension"]
