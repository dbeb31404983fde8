"""C2SP signed notes with Ed25519 keys (https://c2sp.org/signed-note; SPEC §12).

The wrapper of the log's checkpoint: a text, a blank line, then signature lines

    — <key name> base64(key id (4 bytes, big-endian) || signature)

(U+2014 EM DASH, a space). The whole note is UTF-8 with no ASCII control character but newline;
the text ends with a newline and is split from the signatures at the LAST blank line, so the
text may hold blank lines of its own. An Ed25519 key's id is the first four bytes of
SHA-256(name || 0x0A || 0x01 || 32-byte public key); the signature is Ed25519 over the text.

Key strings, as golang.org/x/mod/sumdb/note writes them (the ecosystem's tools read these):
verifier `<name>+<8 hex digits of the id>+<base64(0x01 || public key)>`, signer
`PRIVATE+KEY+<name>+<id>+<base64(0x01 || 32-byte seed)>`. A key string whose id is not the id
of its name and key is refused: the id would never match what the key signs.

`open_note` takes a stranger's bytes. Per the spec it ignores signatures by keys it was not
given (same name with another id, or another name with the same id, is another key); it
verifies every signature by a known key and rejects the whole note if one fails; and it rejects
a note no known key signed. Limits, checked before any signature work: MAX_NOTE_BYTES of note
and MAX_SIGNATURES signature lines (the spec asks verifiers to accept at least 16).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01                      # the spec's signature type byte for Ed25519
SIGNATURE_PREFIX = "\u2014 "        # em dash, space
# A checkpoint note is a few hundred bytes; a megabyte is no note of this register's world.
MAX_NOTE_BYTES = 1024 * 1024
# The same bound golang.org/x/mod/sumdb/note applies (it must be at least 16).
MAX_SIGNATURES = 100
_SIGNER_PREFIX = "PRIVATE+KEY+"
_HEX_DIGITS = frozenset("0123456789abcdef")


class NoteError(ValueError):
    """A note that cannot be signed or opened (the reason is in the message)."""


class MalformedNote(NoteError):
    """Not a signed note: bad UTF-8, a control character, no blank line, a bad signature line."""


class NoteTooLarge(NoteError):
    """More bytes than MAX_NOTE_BYTES."""


class TooManySignatures(NoteError):
    """More signature lines than MAX_SIGNATURES."""


class InvalidNoteSignature(NoteError):
    """A signature by a known key (name and id) did not verify: the whole note is rejected."""


class UnverifiedNote(NoteError):
    """No signature by a known key: the text must be ignored."""


class KeyFormatError(ValueError):
    """A key string or key name that is not of the form this module reads."""


@dataclass(frozen=True)
class Verifier:
    """A known Ed25519 key: the (name, key id) a signature line names, and the public key."""

    name: str
    key_id: int
    public_key: bytes

    def verifies(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


class Signature(NamedTuple):
    """One signature line: who signed (name, key id) and its base64 as written."""

    name: str
    key_id: int
    base64: str


class OpenedNote(NamedTuple):
    """A verified note: its text and the signatures of known keys that verified it."""

    text: str
    signatures: tuple[Signature, ...]


# --- keys -----------------------------------------------------------------------------------

def check_key_name(name: str) -> str:
    """`name`, or KeyFormatError: key names are non-empty, with no Unicode space and no '+'."""
    if not isinstance(name, str) or not name:
        raise KeyFormatError("a key name must not be empty")
    if "+" in name or any(ch.isspace() for ch in name):
        raise KeyFormatError(f"a key name must not contain '+' or spaces: {name!r}")
    if any(ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        raise KeyFormatError(f"a key name must be text without control characters: {name!r}")
    return name


def key_id(name: str, public_key: bytes) -> int:
    """The Ed25519 key id: SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


def public_key_of(secret_key: bytes) -> bytes:
    """The raw public key of a raw (32-byte seed) Ed25519 secret key."""
    return _private(secret_key).public_key().public_bytes_raw()


def verifier_key(name: str, public_key: bytes) -> str:
    """The verifier key string `<name>+<hex id>+<base64(0x01 || public key)>`."""
    check_key_name(name)
    if len(public_key) != 32:
        raise KeyFormatError("an Ed25519 public key is 32 bytes")
    return f"{name}+{key_id(name, public_key):08x}+{_b64(bytes([ED25519]) + public_key)}"


def signer_key(name: str, secret_key: bytes) -> str:
    """The signer key string `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`."""
    ident = key_id(check_key_name(name), public_key_of(secret_key))
    return f"{_SIGNER_PREFIX}{name}+{ident:08x}+{_b64(bytes([ED25519]) + secret_key)}"


def parse_verifier_key(value: str) -> Verifier:
    """The Verifier a verifier key string names; KeyFormatError when it is not one."""
    name, ident, public = _key_parts(value, "verifier key")
    verifier = Verifier(name, ident, public)
    if key_id(name, public) != ident:
        raise KeyFormatError(f"the verifier key's id {ident:08x} is not the id of its name "
                             "and key")
    return verifier


def parse_signer_key(value: str) -> tuple[str, bytes]:
    """(name, 32-byte seed) of a signer key string; KeyFormatError when it is not one."""
    if not isinstance(value, str) or not value.startswith(_SIGNER_PREFIX):
        raise KeyFormatError("a signer key starts with PRIVATE+KEY+")
    name, ident, seed = _key_parts(value[len(_SIGNER_PREFIX):], "signer key")
    if key_id(name, public_key_of(seed)) != ident:
        raise KeyFormatError(f"the signer key's id {ident:08x} is not the id of its name and key")
    return name, seed


def _key_parts(value: str, what: str) -> tuple[str, int, bytes]:
    # The name and id have no '+'; the base64 of the key may well have some.
    parts = value.split("+", 2) if isinstance(value, str) else []
    if len(parts) != 3:
        raise KeyFormatError(f"a {what} is name+keyid+key")
    name, ident, key = parts
    check_key_name(name)
    if len(ident) != 8 or not set(ident) <= _HEX_DIGITS:
        raise KeyFormatError(f"a {what}'s id is 8 lowercase hex digits, not {ident!r}")
    raw = _unb64(key)
    if raw is None or len(raw) != 33 or raw[0] != ED25519:
        raise KeyFormatError(f"a {what}'s key is base64 of 0x01 and 32 bytes of Ed25519 key")
    return name, int(ident, 16), raw[1:]


def _private(secret_key: bytes) -> Ed25519PrivateKey:
    if not isinstance(secret_key, bytes) or len(secret_key) != 32:
        raise KeyFormatError("an Ed25519 secret key is a 32-byte seed")
    return Ed25519PrivateKey.from_private_bytes(secret_key)


# --- notes ----------------------------------------------------------------------------------

def sign_note(text: str, name: str, secret_key: bytes) -> str:
    """The signed note of `text` (which must end with a newline), with one Ed25519 signature."""
    check_key_name(name)
    body = _check_text(text)
    key = _private(secret_key)
    ident = key_id(name, key.public_key().public_bytes_raw())
    signature = _b64(struct.pack(">I", ident) + key.sign(body))
    return f"{text}\n{SIGNATURE_PREFIX}{name} {signature}\n"


def open_note(note: str | bytes, verifiers: Iterable[Verifier | str]) -> OpenedNote:
    """The text of `note` and its verified signatures, if a known key signed it; NoteError
    (one of its kinds) otherwise. `verifiers` are Verifier objects or verifier key strings."""
    known = _known(verifiers)
    raw = _note_bytes(note)
    if len(raw) > MAX_NOTE_BYTES:
        raise NoteTooLarge(f"a note is at most {MAX_NOTE_BYTES} bytes; this one is {len(raw)}")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedNote("a note must be UTF-8") from None
    _check_characters(decoded)
    split = decoded.rfind("\n\n")
    if split < 0:
        raise MalformedNote("a note has a blank line between its text and its signatures")
    text, block = decoded[: split + 1], decoded[split + 2:]
    if not block.endswith("\n"):
        raise MalformedNote("a note ends with a signature line and a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise TooManySignatures(f"a note has at most {MAX_SIGNATURES} signature lines; "
                                f"this one has {len(lines)}")
    body = text.encode("utf-8")
    verified: list[Signature] = []
    for line in lines:
        signature, sig_bytes = _signature_line(line)
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue                   # another key (a witness, a rotated key): ignored
        if not verifier.verifies(body, sig_bytes):
            raise InvalidNoteSignature(f"the signature of {signature.name} "
                                       f"({signature.key_id:08x}) does not verify")
        if signature not in verified:
            verified.append(signature)
    if not verified:
        raise UnverifiedNote("no signature of the note is by a known key")
    return OpenedNote(text, tuple(verified))


def _known(verifiers: Iterable[Verifier | str]) -> dict[tuple[str, int], Verifier]:
    known: dict[tuple[str, int], Verifier] = {}
    for given in verifiers:
        verifier = parse_verifier_key(given) if isinstance(given, str) else given
        earlier = known.setdefault((verifier.name, verifier.key_id), verifier)
        if earlier.public_key != verifier.public_key:
            # Two keys one signature line would name: no way to tell which one signed.
            raise KeyFormatError(f"two verifier keys share the name {verifier.name} and the "
                                 f"id {verifier.key_id:08x}")
    return known


def _note_bytes(note: str | bytes) -> bytes:
    if isinstance(note, bytes):
        return note
    if not isinstance(note, str):
        raise MalformedNote("a note is text or bytes")
    try:
        return note.encode("utf-8")
    except UnicodeEncodeError:         # a lone surrogate: no UTF-8 has it
        raise MalformedNote("a note must be UTF-8") from None


def _check_characters(text: str) -> None:
    bad = next((ch for ch in text if ord(ch) < 0x20 and ch != "\n"), None)
    if bad is not None:
        raise MalformedNote(f"a note must not contain the control character U+{ord(bad):04X}")


def _check_text(text: str) -> bytes:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise MalformedNote("a note's text must end with a newline")
    _check_characters(text)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedNote("a note's text must be UTF-8") from None


def _signature_line(line: str) -> tuple[Signature, bytes]:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote(f"a signature line starts with an em dash and a space: {line[:40]!r}")
    name, space, encoded = line[len(SIGNATURE_PREFIX):].rpartition(" ")
    try:
        check_key_name(name)
    except KeyFormatError:
        raise MalformedNote(f"a signature line names no valid key: {line[:40]!r}") from None
    raw = _unb64(encoded)
    if not space or raw is None or len(raw) < 5:
        raise MalformedNote(f"a signature is base64 of a key id and a signature: "
                            f"{line[:40]!r}")
    return Signature(name, int.from_bytes(raw[:4], "big"), encoded), raw[4:]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: str) -> bytes | None:
    """Standard base64 with padding, in its one canonical spelling; None otherwise."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return raw if _b64(raw) == value else None
