"""Agency and licence type codes as the command line takes them: the exact code, else the
same code in any case (`DIW` is `diw`); an unknown one is refused (exit 1) naming the closest
codes with their Thai and English names, so a typo or a guess is one step from the right code.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from ops.clibase import Refused
from registry.model import Catalogue

CLOSEST = 5             # at most this many codes suggested
_CUTOFF = 0.6           # difflib's likeness below which a code or name is not suggested


@dataclass(frozen=True)
class Named:
    """A code and what it names, in Thai and English."""

    code: str
    name_th: str
    name_en: str


@dataclass(frozen=True)
class CodeKind:
    """What a code is a code of, in both languages, for the refusal's two lines."""

    en: str
    th: str


AGENCY = CodeKind("agency", "หน่วยงาน")
LICENCE_TYPE = CodeKind("licence type", "ประเภทใบอนุญาต")


def agencies(catalogue: Catalogue) -> list[Named]:
    return [Named(a.code, a.label_th, a.label_en) for a in catalogue.agencies.values()]


def licence_types(catalogue: Catalogue) -> list[Named]:
    return [Named(t.code, t.title_th, t.title_en) for t in catalogue.types.values()]


def resolve_code(text: str, known: Iterable[Named], kind: CodeKind) -> str:
    """The code `text` stands for: itself when known, else the known code equal to it but for
    case (and surrounding spaces). Raises Refused naming the closest codes otherwise."""
    named = list(known)
    codes = {n.code for n in named}
    if text in codes:
        return text
    folded = text.strip().casefold()
    for code in codes:
        if code.casefold() == folded:
            return code
    raise Refused(unknown_message(text, named, kind))


def resolve_agency(catalogue: Catalogue, code: str) -> str:
    return resolve_code(code, agencies(catalogue), AGENCY)


def resolve_licence_type(catalogue: Catalogue, code: str) -> str:
    return resolve_code(code, licence_types(catalogue), LICENCE_TYPE)


def closest(text: str, known: list[Named], n: int = CLOSEST) -> list[Named]:
    """The known codes most like `text`: by the code, or by a Thai or English name (a name
    that contains the text, e.g. `industrial`, counts as close)."""
    wanted = text.strip().casefold()
    if not wanted:
        return []
    by_code = {k.code: k for k in known}
    score: dict[str, float] = {}
    for k in known:
        names = (k.code, k.name_th, k.name_en)
        likeness = max(difflib.SequenceMatcher(None, wanted, name.casefold()).ratio()
                       for name in names)
        if any(wanted in name.casefold() for name in names):
            likeness = max(likeness, 0.9)
        if likeness >= _CUTOFF:
            score[k.code] = likeness
    ranked = sorted(score, key=lambda code: (-score[code], code))
    return [by_code[code] for code in ranked[:n]]


def listing(named: Iterable[Named]) -> str:
    """One line a code: the code, its Thai name and its English name."""
    return "\n".join(f"  {n.code}  {n.name_th} / {n.name_en}" for n in named)


def unknown_message(text: str, known: list[Named], kind: CodeKind) -> str:
    """Two lines, English then Thai, and the closest codes (all of them when none is close)."""
    near = closest(text, known)
    if near:
        return (f"Unknown {kind.en} {text!r}. The closest codes:\n"
                f"ไม่พบรหัส{kind.th} {text!r} รหัสที่ใกล้เคียงที่สุด:\n" + listing(near))
    return (f"Unknown {kind.en} {text!r}, and no code is close to it. The codes are:\n"
            f"ไม่พบรหัส{kind.th} {text!r} และไม่มีรหัสที่ใกล้เคียง รหัสทั้งหมดคือ:\n"
            + listing(sorted(known, key=lambda n: n.code)))


def check_authority(catalogue: Catalogue, issuer: str, type_code: str) -> None:
    """Refuse an issuer that does not issue licences of this type, naming the ones that do."""
    licence_type = catalogue.types[type_code]
    if issuer in licence_type.authorities:
        return
    authorities = [n for n in agencies(catalogue) if n.code in licence_type.authorities]
    raise Refused(f"{issuer!r} does not issue licences of type {type_code!r}; the agencies "
                  f"that do:\n{issuer!r} ไม่ได้ออกใบอนุญาตประเภท {type_code!r} "
                  f"หน่วยงานที่ออกใบอนุญาตประเภทนี้:\n"
                  + listing(sorted(authorities, key=lambda n: n.code)))
