"""Licence numbers and IRIs (SPEC §2), as pure functions.

A licence IRI is built from the number the agency already printed. Canonicalisation turns the
many ways a person can type that number (Thai digits, odd dashes, spaces, lower case) into one
form, so every variant leads to the same IRI.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from registry.hiddentext import DIRECTION_CONTROLS

MAX_NUMBER_LENGTH = 100
CODE_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")

# Thai digits ๐–๙ as ASCII: a str.translate table, shared by every reader of typed numbers.
THAI_DIGITS = {ord("๐") + i: str(i) for i in range(10)}
# Full-width ASCII forms U+FF01–U+FF5E sit exactly 0xFEE0 above their ASCII twins.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_DASHES = {cp: "-" for cp in (*range(0x2010, 0x2016), 0x2212, 0xFE58, 0xFE63, 0xFF0D)}
# Characters that are invisible or spacing but not all caught by str.isspace().
_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00A0, 0x180E, 0x00AD}
_STEP2: dict[int, str | int] = {**THAI_DIGITS, **_FULL_WIDTH}
_ALLOWED_PUNCTUATION = set("-./()_")


class InvalidNumber(ValueError):
    """A printed number that cannot become a canonical licence number.

    `rule` is the data-standard rule code; `en` and `th` say what was wrong.
    """

    def __init__(self, rule: str, en: str, th: str):
        super().__init__(en)
        self.rule = rule
        self.en = en
        self.th = th


class InvalidCode(ValueError):
    """An issuer or licence-type code that is not `[a-z0-9][a-z0-9-]{0,63}`."""


def _is_allowed(ch: str) -> bool:
    cp = ord(ch)
    return (
        ("A" <= ch <= "Z")
        or ("a" <= ch <= "z")
        or ("0" <= ch <= "9")
        or 0x0E01 <= cp <= 0x0E4F
        or ch in _ALLOWED_PUNCTUATION
    )


def describe_char(ch: str) -> str:
    """`'#' (U+0023 NUMBER SIGN)`: a character as a person can find it in the input."""
    name = unicodedata.name(ch, "unnamed character")
    shown = ch if ch.isprintable() and not ch.isspace() else ""
    return f"{shown!r} (U+{ord(ch):04X} {name})" if shown else f"U+{ord(ch):04X} {name}"


def canonical_number(printed: str) -> str:
    """The canonical form of a printed licence number (SPEC §2 steps 1–7).

    Raises InvalidNumber naming the offending character or segment.
    """
    text = unicodedata.normalize("NFC", printed)                       # 1
    text = text.translate(_STEP2)                                       # 2
    text = text.translate(_DASHES)                                      # 3
    # 4. Direction controls are format characters too, but they are kept for step 7 to refuse:
    # one in a number is no copy-and-paste slip but a way to make it display as another.
    text = "".join(                                                     # 4
        ch for ch in text
        if not ch.isspace() and ord(ch) not in _INVISIBLE
        and (unicodedata.category(ch) != "Cf" or ch in DIRECTION_CONTROLS)
    )
    text = "".join(ch.upper() if "a" <= ch <= "z" else ch for ch in text)  # 5
    text = text.strip("/")                                              # 6
    if not text:
        raise InvalidNumber(
            "number-required",
            "The licence number is empty.",
            "ไม่มีเลขที่ใบอนุญาต",
        )
    for segment in text.split("/"):
        if segment in ("", ".", ".."):
            shown, shown_th = (repr(segment), repr(segment)) if segment else ("empty", "ว่าง")
            raise InvalidNumber(
                "number-characters",
                f"The licence number {text!r} has an {shown} segment between slashes.",
                f"เลขที่ใบอนุญาต {text!r} มีช่วง {shown_th} ระหว่างเครื่องหมาย / "
                "(ต้องไม่ว่าง และไม่ใช่ '.' หรือ '..')",
            )
    for ch in text:                                                     # 7
        if not _is_allowed(ch):
            shown = describe_char(ch)
            raise InvalidNumber(
                "number-characters",
                f"The licence number {printed!r} contains the character {shown}, which is not "
                "allowed: use letters, digits, Thai characters and - . / ( ) _ only.",
                f"เลขที่ใบอนุญาต {printed!r} มีอักขระ {shown} ที่ไม่อนุญาต "
                "ใช้ได้เฉพาะตัวอักษร ตัวเลข อักษรไทย และ - . / ( ) _",
            )
    if len(text) > MAX_NUMBER_LENGTH:
        raise InvalidNumber(
            "number-characters",
            f"The licence number is {len(text)} characters long; "
            f"at most {MAX_NUMBER_LENGTH} are allowed.",
            f"เลขที่ใบอนุญาตยาว {len(text)} ตัวอักษร เกินกว่า {MAX_NUMBER_LENGTH} ตัวอักษรที่อนุญาต",
        )
    return text


def check_number_pattern(canonical: str, pattern: re.Pattern[str], type_code: str) -> None:
    """SPEC §2 step 8: the canonical number matches the licence type's declared pattern."""
    if pattern.fullmatch(canonical) is None:
        raise InvalidNumber(
            "number-pattern",
            f"The number {canonical!r} does not match the format of licence type "
            f"{type_code!r}; expected the pattern {pattern.pattern}.",
            f"เลขที่ {canonical!r} ไม่ตรงกับรูปแบบของใบอนุญาตประเภท {type_code!r} "
            f"รูปแบบที่ถูกต้องคือ {pattern.pattern}",
        )


def check_code(code: str, what: str) -> str:
    """An issuer or licence-type code, unchanged if valid."""
    if not isinstance(code, str) or CODE_RE.fullmatch(code) is None:
        raise InvalidCode(
            f"{what} code {code!r} is not valid: use 1–64 lowercase ASCII letters, digits "
            "and '-', starting with a letter or digit."
        )
    return code


@dataclass(frozen=True, slots=True)
class LicenceKey:
    """What identifies a licence: issuer code, type code, canonical number."""

    issuer: str
    type: str
    number: str

    @property
    def path(self) -> str:
        """`{issuer}/{type}/{number}`, the tail shared by /id/, /doc/, /qr/ and graph IRIs."""
        return f"{self.issuer}/{self.type}/{self.number}"


def licence_iri_prefix(base: str) -> str:
    """What every licence IRI starts with."""
    return f"{base}/id/licence/"


def licence_iri(base: str, key: LicenceKey) -> str:
    """The licence IRI (Unicode form: Thai characters stay as they are)."""
    return licence_iri_prefix(base) + key.path


def licence_part_iri(licence: str, part: str) -> str:
    """A node of a licence's record, named by a fragment of the licence IRI: `identifier`,
    `holder` (a natural person, never identified by their ID), `premises`, `document`,
    `checksum` (of the document)."""
    return f"{licence}#{part}"


def licence_graph_iri(base: str, key: LicenceKey) -> str:
    """The named graph that holds a licence's current record."""
    return licence_graph_prefix(base) + key.path


def licence_version_graph_iri(base: str, key: LicenceKey, version: int) -> str:
    """The immutable named graph of one past version of a licence."""
    return f"{licence_graph_iri(base, key)}/version/{version}"


def licence_credential_iri(base: str, key: LicenceKey, version: int) -> str:
    """The IRI of one version's verifiable credential (SPEC §11): where it is served, and not
    the licence IRI, which names the permit and not a statement about it."""
    return f"{base}/credential/licence/{key.path}?version={version}"


def _minted_under(path: str) -> Callable[[str, str], str]:
    """The minting function `(base, tail) → {base}/{path}/{tail}`."""
    def mint(base: str, tail: str) -> str:
        return f"{base}/{path}/{tail}"
    return mint


# The register's other IRIs: every IRI under the base is minted in this module. Each function
# takes (base, tail); an empty tail gives the prefix that a reader strips.
licence_type_iri = _minted_under("id/licence-type")        # by type code
agency_iri = _minted_under("id/agency")                    # by issuer code
juristic_person_iri = _minted_under("id/juristic-person")  # a licence holder, by 13-digit ID
upload_iri = _minted_under("id/upload")                    # a prov:Activity, by upload id
api_key_iri = _minted_under("id/key")                      # by the key's hash (private data)
# Named graphs: `{BASE}/graph/{name}` (catalogue, vocab, shapes, private); one per upload for
# its prov:Activity and counts (so a change set writes only new or replaced graphs: see
# ChangeSet); one per upload for its report, private (its problems may quote what agencies
# sent); one per issuer for the link checks of its documents.
graph_iri = _minted_under("graph")
upload_graph_iri = _minted_under("graph/upload")
upload_report_graph_iri = _minted_under("graph/private/upload")
link_check_graph_iri = _minted_under("graph/link-checks")


def licence_graph_prefix(base: str) -> str:
    """What every licence graph IRI (current record or past version) starts with."""
    return graph_iri(base, "licence/")


def doc_path(kind: str, tail: str) -> str:
    """The page (`/doc/…`, a path under the base) of what `/id/{kind}/{tail}` names: `licence`
    (tail: the key's path), `licence-type` or `agency` (tail: the code)."""
    return f"/doc/{kind}/{tail}"


def sparql_endpoint(base: str) -> str:
    """The public SPARQL endpoint (also the base of a query's relative IRIs)."""
    return f"{base}/sparql"


def licence_key(issuer: str, type_code: str, printed_number: str) -> LicenceKey:
    """The key of a licence from its codes and printed number (without the type pattern check).

    Raises InvalidCode or InvalidNumber.
    """
    return LicenceKey(check_code(issuer, "Issuer"), check_code(type_code, "Licence type"),
                      canonical_number(printed_number))


def mint(base: str, issuer: str, type_code: str, printed_number: str) -> str:
    """The IRI of a licence from its codes and printed number (without the type pattern check)."""
    return licence_iri(base, licence_key(issuer, type_code, printed_number))


def parse_licence_path(path: str) -> LicenceKey:
    """`{issuer}/{type}/{number…}` (Unicode or percent-encoded) → LicenceKey, canonicalising.

    Raises InvalidCode or InvalidNumber.
    """
    parts = unquote(path, errors="strict").split("/", 2)
    if len(parts) != 3:
        raise InvalidCode(f"{path!r} is not issuer/type/number.")
    return licence_key(*parts)


def parse_licence_iri(base: str, iri: str) -> LicenceKey:
    """The key of a licence IRI under `base`, in Unicode or URI form."""
    prefix = licence_iri_prefix(base)
    uri_prefix = iri_to_uri(prefix)
    if iri.startswith(prefix):
        return parse_licence_path(iri[len(prefix):])
    if iri.startswith(uri_prefix):
        return parse_licence_path(iri[len(uri_prefix):])
    raise InvalidCode(f"{iri!r} is not a licence IRI under {base}.")


# RFC 3987 → RFC 3986: percent-encode everything outside ASCII as UTF-8, keep the rest.
_URI_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"<>\\^`{|}%')


def iri_to_uri(iri: str) -> str:
    """The URI form of an IRI: non-ASCII characters percent-encoded as UTF-8."""
    return quote(iri, safe=_URI_SAFE + "%")


def uri_to_iri(uri: str) -> str:
    """The IRI form of a URI: percent-encoded UTF-8 sequences for non-ASCII decoded."""
    # Only decode sequences that form non-ASCII characters; an encoded ASCII delimiter such
    # as %2F must stay encoded or it would change the path.
    def decode(match: re.Match[str]) -> str:
        raw = bytes.fromhex(match.group(0).replace("%", ""))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return match.group(0)
        return text

    return re.sub(r"(?:%[89A-Fa-f][0-9A-Fa-f])+", decode, uri)
