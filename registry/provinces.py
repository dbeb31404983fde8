"""The 77 provinces of Thailand (Bangkok and 76 changwat), as `data/catalogue/provinces.csv`
lists them: ISO 3166-2:TH code, official Thai name, English name as ISO 3166-2:TH romanises it,
and the other names people write (กทม., Bangkok, โคราช…).

An upload may name a province in any of these ways; the register stores the official Thai name
(`find_province`), and an unknown name is refused with the closest ones (`closest_provinces`).
Pattaya (TH-S) has an ISO code of its own but is a city in Chon Buri, not a province: it is
not in the list.
"""

from __future__ import annotations

import csv
import difflib
import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from registry.hiddentext import HIDDEN_RE
from registry.paths import CATALOGUE_DIR

PROVINCES_CSV = CATALOGUE_DIR / "provinces.csv"

# Written before or after a province's name, never part of it: "จ.เชียงใหม่", "จังหวัดเชียงใหม่",
# "Chiang Mai Province". Tried only when the whole text names no province ("จันทบุรี" starts
# with จ).
_PREFIXES = ("จังหวัด", "จว", "จ", "changwat", "provinceof")
_SUFFIXES = ("province", "changwat")


@dataclass(frozen=True, slots=True)
class Province:
    code: str        # ISO 3166-2:TH, "TH-10"
    name_th: str     # the official name, the value the register stores: "กรุงเทพมหานคร"
    name_en: str     # as ISO 3166-2:TH romanises it: "Krung Thep Maha Nakhon"

    def label(self) -> str:
        """How a message names it: `กรุงเทพมหานคร (Krung Thep Maha Nakhon, TH-10)`."""
        return f"{self.name_th} ({self.name_en}, {self.code})"


def fold(text: str) -> str:
    """A name as looked up: NFC, hidden characters, white space, dots and dashes dropped,
    case folded. "จ. เชียงใหม่" → "จเชียงใหม่", "TH-50" → "th50", "Chon Buri" → "chonburi"."""
    text = HIDDEN_RE.sub("", unicodedata.normalize("NFC", text))
    return "".join(text.split()).replace(".", "").replace("-", "").casefold()


@dataclass(frozen=True, slots=True)
class _Index:
    provinces: tuple[Province, ...]
    official: dict[str, Province]      # the official Thai name as written (most rows' value)
    by_key: dict[str, Province]        # folded code, names and aliases → province
    names: dict[str, Province]         # folded Thai and English names and aliases (for difflib)


@lru_cache(maxsize=1)
def _index() -> _Index:
    provinces: list[Province] = []
    by_key: dict[str, Province] = {}
    names: dict[str, Province] = {}
    with io.TextIOWrapper(PROVINCES_CSV.open("rb"), encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            province = Province(row["code"].strip(), row["name_th"].strip(),
                                row["name_en"].strip())
            provinces.append(province)
            aliases = [a for a in (row.get("aliases") or "").split(";") if a.strip()]
            for name in (province.name_th, province.name_en, *aliases):
                names[fold(name)] = province
            by_key[fold(province.code)] = province
    by_key.update(names)
    return _Index(tuple(provinces), {p.name_th: p for p in provinces}, by_key, names)


def all_provinces() -> tuple[Province, ...]:
    """The 77 provinces in the order of their codes."""
    return _index().provinces


def find_province(text: str) -> Province | None:
    """The province `text` names (official or other name in Thai or English, or ISO code, in any
    case and spacing, with or without จ./จังหวัด or "Province"), or None."""
    index = _index()
    found = index.official.get(text)
    if found is not None:
        return found
    key = fold(text)
    if not key:
        return None
    by_key = index.by_key
    found = by_key.get(key)
    if found is not None:
        return found
    for prefix in _PREFIXES:
        if key.startswith(prefix) and (found := by_key.get(key[len(prefix):])):
            return found
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and (found := by_key.get(key[:-len(suffix)])):
            return found
    return None


def closest_provinces(text: str, n: int = 3) -> list[Province]:
    """Up to `n` provinces whose Thai or English names (or other names) are nearest to `text`,
    nearest first."""
    names = _index().names
    found: list[Province] = []
    # A name is short: a long cell is cut, so a hostile one costs no more than a real one.
    for key in difflib.get_close_matches(fold(text[:200]), list(names), n=n * 3, cutoff=0.5):
        if names[key] not in found:
            found.append(names[key])
    return found[:n]
