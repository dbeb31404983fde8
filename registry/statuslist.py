"""W3C Bitstring Status List v1.0 (SPEC §11): the bits that say a licence's credential is
revoked or suspended, their `encodedList` text, the status-list credential's unsigned body, a
licence's two `BitstringStatusListEntry`s, which bits a licence status sets, and where each
licence's bits live.

The encoding, as the specification fixes it (§2.2 `encodedList`, §5.1 Bitstring Encoding):
index 0 is the left-most bit of the bitstring, so the most significant bit of the first byte;
the bitstring is at least 16 KiB (131,072 entries); it is GZIP-compressed (RFC 1952), then
base64url without padding, with the multibase prefix `u`.

Everything here is pure: the store keeps the lists and the index counter and calls these.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import re
import zlib
from dataclasses import dataclass

# The specification's minimum, and the size of every list the register makes: one licence
# gets the same position in list n of each purpose.
LIST_SIZE = 131_072
MIN_BITS = 131_072
# A stranger's list may be bigger than ours, but not without bound: the gzip text arrives in a
# credential we did not make, and 1 MiB of zeros compresses to about a kilobyte.
MAX_DECODED_BYTES = 1 << 20
# zlib's default level: on a list with a few thousand scattered bits, level 9 takes ten times
# as long (about 8-16 ms against 0.5-1.7) for text 3-15% shorter (bench/statuslist.py).
GZIP_LEVEL = 6

REVOCATION = "revocation"
SUSPENSION = "suspension"
PURPOSES = (REVOCATION, SUSPENSION)

MULTIBASE_BASE64URL = "u"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# zlib's window bits for "a gzip member, nothing else" (16 + the largest window).
_GZIP_ONLY = 16 + zlib.MAX_WBITS


class StatusListError(ValueError):
    """A status list or entry that cannot be used; `code` is the specification's error name
    (§3.5 Processing Errors, or the VC data model's), for a verifier to report."""

    code = "MALFORMED_VALUE_ERROR"


class StatusListTooShort(StatusListError):
    code = "STATUS_LIST_LENGTH_ERROR"


class StatusListTooLarge(StatusListError):
    code = "STATUS_LIST_LENGTH_ERROR"


class StatusIndexOutOfRange(StatusListError, IndexError):
    code = "RANGE_ERROR"


class StatusList:
    """A bitstring of `size` entries (a multiple of 8, at least 131,072), all clear at first."""

    __slots__ = ("_bytes",)

    def __init__(self, size: int = LIST_SIZE):
        if size < MIN_BITS or size % 8:
            raise StatusListTooShort(
                f"a status list holds a multiple of 8 entries, at least {MIN_BITS:,}; "
                f"asked for {size:,}")
        self._bytes = bytearray(size // 8)

    @classmethod
    def from_bytes(cls, data: bytes) -> StatusList:
        """The list whose bitstring is `data` (index 0 is the first byte's top bit)."""
        if len(data) * 8 < MIN_BITS:
            raise StatusListTooShort(
                f"the status list holds {len(data) * 8:,} entries; the specification "
                f"asks for at least {MIN_BITS:,}")
        bits = cls.__new__(cls)
        bits._bytes = bytearray(data)
        return bits

    @property
    def size(self) -> int:
        return len(self._bytes) * 8

    def _locate(self, index: int) -> tuple[int, int]:
        if not 0 <= index < self.size:
            raise StatusIndexOutOfRange(
                f"status index {index} is outside the list's 0…{self.size - 1:,}")
        # Index 0 is the left-most bit: the first byte's most significant bit.
        return index >> 3, 0x80 >> (index & 7)

    def get(self, index: int) -> bool:
        at, mask = self._locate(index)
        return bool(self._bytes[at] & mask)

    def set(self, index: int, value: bool = True) -> None:
        at, mask = self._locate(index)
        if value:
            self._bytes[at] |= mask
        else:
            self._bytes[at] &= ~mask & 0xFF

    def clear(self, index: int) -> None:
        self.set(index, False)

    def set_indices(self) -> list[int]:
        """The indices whose bit is set, in order (walks only the non-zero bytes)."""
        found: list[int] = []
        for at, byte in enumerate(self._bytes):
            if byte:
                found.extend(at * 8 + bit for bit in range(8) if byte & (0x80 >> bit))
        return found

    def to_bytes(self) -> bytes:
        return bytes(self._bytes)

    def encode(self) -> str:
        """The `encodedList` text. The same bits always give the same text (gzip's timestamp is
        0 and its level fixed), so a list re-signed unchanged gets the same proof."""
        packed = gzip.compress(bytes(self._bytes), compresslevel=GZIP_LEVEL, mtime=0)
        return MULTIBASE_BASE64URL + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded_list: str, *, limit: int = MAX_DECODED_BYTES) -> StatusList:
        return cls.from_bytes(expand(encoded_list, limit=limit))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StatusList) and self._bytes == other._bytes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"StatusList(size={self.size}, set={len(self.set_indices())})"


def expand(encoded_list: str, *, limit: int = MAX_DECODED_BYTES) -> bytes:
    """The bitstring inside an `encodedList` (the specification's Bitstring Expansion
    Algorithm), refusing malformed text, a gzip that expands beyond `limit` bytes (stopped as
    soon as it passes it, so a gzip bomb costs at most `limit` bytes of memory) or a bitstring
    shorter than the minimum."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith(MULTIBASE_BASE64URL):
        raise StatusListError("encodedList must be multibase base64url text starting with 'u'")
    text = encoded_list[1:]
    # A gzip of `limit` bytes, even incompressible, is barely longer than `limit`; longer text
    # is refused before decoding it.
    if len(text) > 2 * limit:
        raise StatusListTooLarge(f"encodedList is {len(text):,} characters: too long to be a "
                                 f"list of at most {limit:,} bytes")
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise StatusListError("encodedList is not base64url without padding "
                              "(letters, digits, '-' and '_' only)")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise StatusListError(f"encodedList is not base64url: {error}") from None
    inflater = zlib.decompressobj(_GZIP_ONLY)
    try:
        bits = inflater.decompress(packed, limit + 1)
    except zlib.error as error:
        raise StatusListError(f"encodedList is not GZIP data: {error}") from None
    if len(bits) > limit:
        raise StatusListTooLarge(f"encodedList expands beyond {limit:,} bytes; refused")
    if not inflater.eof:
        raise StatusListError("encodedList's GZIP data is cut short")
    if inflater.unused_data:
        raise StatusListError("encodedList has data after its GZIP member")
    if len(bits) * 8 < MIN_BITS:
        raise StatusListTooShort(f"the status list holds {len(bits) * 8:,} entries; the "
                                 f"specification asks for at least {MIN_BITS:,}")
    return bits


# Which bits a licence's stored status sets: the bits are a function of the status alone, so
# replaying the record's history always gives the list, and list and record cannot disagree.
_BITS: dict[str, tuple[bool, bool]] = {  # status: (revocation, suspension)
    "active": (False, False),
    "suspended": (False, True),
    "revoked": (True, False),
    "surrendered": (True, False),
    "replaced": (True, False),
}


def bits_for(status: str, *, ever_revoked: bool = False) -> dict[str, bool]:
    """`{"revocation": …, "suspension": …}` for a stored licence status (SPEC §3). Expiry is
    not a status bit: a verifier reads it from the credential's `validUntil`.

    `ever_revoked`: an earlier version set the revocation bit. Bitstring Status List makes
    revocation final ("this status is not reversible"), so a licence later uploaded as active
    again (a correction) keeps it; the corrected record is a new credential's business, not
    the old one's."""
    try:
        revocation, suspension = _BITS[status]
    except KeyError:
        raise ValueError(f"no status-list rule for licence status {status!r}") from None
    return {REVOCATION: revocation or ever_revoked, SUSPENSION: suspension}


@dataclass(frozen=True)
class ListPosition:
    """Where a licence's bits live: list `number`, entry `index` within it (the same in the
    revocation and the suspension list)."""

    number: int
    index: int


def position_for(counter: int) -> ListPosition:
    """The fixed position of the licence that took `counter` (0, 1, 2… in creation order)."""
    if counter < 0:
        raise ValueError(f"a status counter is never negative: {counter}")
    number, index = divmod(counter, LIST_SIZE)
    return ListPosition(number, index)


def list_url(base_iri: str, purpose: str, number: int) -> str:
    """The status list credential's URL, `/status/{purpose}/{n}` (issue 14)."""
    _check_purpose(purpose)
    return f"{base_iri.rstrip('/')}/status/{purpose}/{number}"


def status_entry(credential_url: str, purpose: str, index: int) -> dict:
    """A licence credential's `BitstringStatusListEntry` for one purpose, pointing at the
    status list credential at `credential_url`."""
    _check_purpose(purpose)
    return {"id": f"{credential_url}#{index}", "type": "BitstringStatusListEntry",
            "statusPurpose": purpose, "statusListIndex": str(index),
            "statusListCredential": credential_url}


def licence_entries(base_iri: str, counter: int) -> list[dict]:
    """The two entries, revocation then suspension, of the licence that took `counter`."""
    at = position_for(counter)
    return [status_entry(list_url(base_iri, purpose, at.number), purpose, at.index)
            for purpose in PURPOSES]


def entry_index(entry: dict) -> int:
    """The `statusListIndex` of a (stranger's) entry, which the specification writes as a
    decimal string; anything else is refused."""
    text = entry.get("statusListIndex") if isinstance(entry, dict) else None
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > 18:
        raise StatusListError(f"statusListIndex must be a decimal string: {text!r}")
    return int(text)


def status_list_credential(url: str, purpose: str, issuer: str, valid_from: dt.datetime,
                           encoded_list: str) -> dict:
    """The unsigned `BitstringStatusListCredential` for one list (its proof is added by the
    signer). `valid_from` must carry a time zone; it is written in UTC."""
    _check_purpose(purpose)
    if valid_from.tzinfo is None:
        raise ValueError("validFrom needs a time zone")
    moment = valid_from.astimezone(dt.UTC).replace(microsecond=0)
    return {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
        },
    }


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"status purpose is {' or '.join(PURPOSES)}, not {purpose!r}")
