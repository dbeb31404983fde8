"""Coded columns written the way a Thai office writes them, read as their codes.

A clerk writes `เพิกถอน`, `นิติบุคคล`, `สาธารณะ`, a licence type's Thai title or an agency's
name; the standard stores `revoked`, `juristic`, `public`, the type's code, the agency's code.
`CodedValues.read` gives the code and whether it was read from a word (the upload then warns,
naming the reading, so the agency can check it) or was the code itself in another case
(accepted silently, as codes always were).

The words are Thai administrative usage: the statutes' own verbs (พักใช้ใบอนุญาต, เพิกถอน
ใบอนุญาต, คืนใบอนุญาต, ออกใบแทน) and the everyday words of registers (ใช้งาน, ปกติ, มีผล,
เลิกกิจการ). Words that could mean two codes are left out, or mapped with a hint:
- ยกเลิก (cancelled) is read as surrendered: in licensing it is what the holder asks for
  (ขอยกเลิกใบอนุญาต); an agency's sanction is เพิกถอน. The warning says so.
- ใบแทน (a replacement certificate) is not mapped: the replacement itself is active; only
  ออกใบแทน(แล้ว) / ถูกแทนที่ says that this licence was replaced.
- หมดอายุ / expired is not mapped: expiry is computed from valid_until, never uploaded.
- Business forms (บริษัท, ห้างหุ้นส่วน, company) are not holder types: an unregistered ordinary
  partnership (ห้างหุ้นส่วนสามัญ) is not a juristic person, so only the legal categories map.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from registry.hiddentext import HIDDEN_RE
from registry.model import Agency, Catalogue, LicenceType
from registry.records import ACCESS, HOLDER_TYPES, STATUSES

# column → code → the words read as that code; the first word is the one messages show.
WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "status": {
        "active": ("มีผลใช้บังคับ", "ใช้งาน", "ปกติ", "มีผล", "ยังมีผล", "อนุญาต", "ได้รับอนุญาต",
                   "valid", "in force"),
        "suspended": ("พักใช้", "พักใช้ใบอนุญาต", "ถูกพักใช้", "ถูกพักใช้ใบอนุญาต", "สั่งพักใช้ใบอนุญาต",
                      "พักการใช้ใบอนุญาต", "suspend", "suspension"),
        "revoked": ("เพิกถอน", "ถูกเพิกถอน", "เพิกถอนใบอนุญาต", "ถูกเพิกถอนใบอนุญาต",
                    "สั่งเพิกถอนใบอนุญาต", "revoke", "revocation"),
        "surrendered": ("คืนใบอนุญาต", "ขอคืนใบอนุญาต", "ยกเลิก", "ขอยกเลิก", "ขอยกเลิกใบอนุญาต",
                        "ยกเลิกตามคำขอ", "เลิกกิจการ", "เลิกประกอบกิจการ", "แจ้งเลิกกิจการ",
                        "แจ้งเลิกประกอบกิจการ", "surrender"),
        "replaced": ("ออกใบแทน", "ออกใบแทนแล้ว", "แทนที่", "ถูกแทนที่", "replace", "superseded"),
    },
    "holder_type": {
        "juristic": ("นิติบุคคล", "juristic person", "legal entity", "legal person"),
        "natural": ("บุคคลธรรมดา", "บุคคล", "natural person", "individual", "person"),
    },
    "document_access": {
        "public": ("สาธารณะ", "เปิดเผย", "เปิดเผยได้", "เปิดเผยต่อสาธารณะ", "open"),
        "restricted": ("จำกัดสิทธิ์", "จำกัด", "จำกัดสิทธิ", "จำกัดการเข้าถึง", "ต้องเข้าสู่ระบบ",
                       "เฉพาะผู้มีสิทธิ์", "ไม่เปิดเผย", "login required"),
    },
}
CODES: dict[str, tuple[str, ...]] = {"status": STATUSES, "holder_type": HOLDER_TYPES,
                                     "document_access": ACCESS}
# The rule code of the warning that names a reading, per column.
MAPPED_RULES = {"status": "status-mapped", "holder_type": "holder-type-mapped",
                "document_access": "document-access-mapped", "licence_type": "type-mapped",
                "issuer": "issuer-mapped"}
# Words read one way that may have been meant another: what the warning adds (en, th).
HINTS: dict[tuple[str, str], tuple[str, str]] = {
    ("status", "ยกเลิก"): (
        "If the agency cancelled the licence as a sanction, write เพิกถอน (revoked) instead.",
        "หากหน่วยงานสั่งยกเลิกใบอนุญาตเป็นการลงโทษ ให้ใช้ เพิกถอน (revoked) แทน"),
}


def fold(text: str) -> str:
    """A word as looked up: NFC, hidden characters and white space dropped, case folded (Thai
    writes no spaces between words, so "พักใช้ ใบอนุญาต" is "พักใช้ใบอนุญาต")."""
    text = HIDDEN_RE.sub("", unicodedata.normalize("NFC", text))
    return "".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class Reading:
    code: str
    mapped: bool            # read from a word, title or name (warned), not the code itself
    hint_en: str = ""
    hint_th: str = ""


def _word_index() -> dict[str, dict[str, Reading]]:
    index: dict[str, dict[str, Reading]] = {}
    for column, codes in WORDS.items():
        table = index.setdefault(column, {})
        for code, words in codes.items():
            for word in words:
                hint_en, hint_th = HINTS.get((column, word), ("", ""))
                table[fold(word)] = Reading(code, True, hint_en, hint_th)
        for code in CODES[column]:
            table[code] = Reading(code, False)
    return index


_WORDS = _word_index()


def accepted(column: str) -> tuple[str, str]:
    """(en, th) lists of a coded column's values, each code with its main Thai word."""
    shown = ", ".join(f"{code} ({words[0]})" for code, words in WORDS[column].items())
    return f"Write one of: {shown}.", f"ใช้ได้: {shown}"


def _unique_names(items, *attributes: str) -> dict[str, str]:
    """folded name → code, for names (titles, labels) that only one item has."""
    seen: dict[str, set[str]] = {}
    for item in items:
        for attribute in attributes:
            if name := fold(getattr(item, attribute)):
                seen.setdefault(name, set()).add(item.code)
    return {name: next(iter(codes)) for name, codes in seen.items() if len(codes) == 1}


class CodedValues:
    """The readings of one catalogue's coded values: build once per upload (a few hundred
    names), read every row."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._types = _unique_names(catalogue.types.values(), "title_th", "title_en")
        self._agencies = _unique_names(catalogue.agencies.values(), "label_th", "label_en")
        self._type_codes = {code.casefold(): code for code in catalogue.types}
        self._agency_codes = {code.casefold(): code for code in catalogue.agencies}

    def read(self, column: str, text: str) -> Reading | None:
        """The code `text` stands for in `column`, or None when it names none (then the
        column's own rule refuses it). `text` is stripped; "" is not read."""
        if column in _WORDS:
            table = _WORDS[column]
            found = table.get(text) or table.get(text.casefold())
            if found is not None:
                return found
            found = table.get(fold(text))
            # A code with spaces or hidden characters inside is a reading too, and warned of.
            return Reading(found.code, True) if found is not None and not found.mapped else found
        if column == "licence_type":
            codes, names = self._type_codes, self._types
        elif column == "issuer":
            codes, names = self._agency_codes, self._agencies
        else:
            raise KeyError(column)
        code = codes.get(text.casefold())
        if code is not None:
            return Reading(code, False)
        code = names.get(fold(text))
        return None if code is None else Reading(code, True)

    def closest_types(self, text: str, n: int = 3) -> list[LicenceType]:
        """Licence types whose code or title is nearest to `text`, nearest first."""
        return [self.catalogue.types[code] for code in
                _closest(text, {**self._types, **{fold(c): c for c in self.catalogue.types}}, n)]

    def closest_agencies(self, text: str, n: int = 3) -> list[Agency]:
        """Agencies whose code or name is nearest to `text`, nearest first."""
        return [self.catalogue.agencies[code] for code in
                _closest(text, {**self._agencies, **{fold(c): c for c in self.catalogue.agencies}},
                         n)]


def _closest(text: str, names: dict[str, str], n: int) -> list[str]:
    codes: list[str] = []
    # Titles are at most a few hundred characters: a longer cell is cut (bounded work).
    for key in difflib.get_close_matches(fold(text[:500]), list(names), n=n * 3, cutoff=0.5):
        if names[key] not in codes:
            codes.append(names[key])
    return codes[:n]
