"""The 77 provinces of Thailand as catalogue data (real facts), and the names that find them."""

from __future__ import annotations

import re

import pytest

from registry.provinces import Province, all_provinces, closest_provinces, find_province
from tests.support import reference

# ISO 3166-2:TH: Bangkok (TH-10) and 76 provinces, numbered by region with gaps between them.
ISO_NUMBERS = [*range(10, 28), *range(30, 50), *range(50, 59), *range(60, 68), *range(70, 78),
               *range(80, 87), *range(90, 97)]


def test_seventy_seven_provinces_with_their_iso_codes():
    provinces = all_provinces()
    assert len(provinces) == 77
    assert [p.code for p in provinces] == [f"TH-{n}" for n in ISO_NUMBERS]
    assert len({p.name_th for p in provinces}) == 77 and len({p.name_en for p in provinces}) == 77
    for p in provinces:
        assert re.fullmatch(r"[\u0e01-\u0e4e]+", p.name_th), p
        assert re.fullmatch(r"[A-Z][a-z]+( [A-Z][a-z]+)*", p.name_en), p


@pytest.mark.parametrize("code, name_th, name_en", [
    ("TH-10", "กรุงเทพมหานคร", "Krung Thep Maha Nakhon"),
    ("TH-11", "สมุทรปราการ", "Samut Prakan"),
    ("TH-14", "พระนครศรีอยุธยา", "Phra Nakhon Si Ayutthaya"),
    ("TH-20", "ชลบุรี", "Chon Buri"),
    ("TH-27", "สระแก้ว", "Sa Kaeo"),
    ("TH-30", "นครราชสีมา", "Nakhon Ratchasima"),
    ("TH-33", "ศรีสะเกษ", "Si Sa Ket"),
    ("TH-38", "บึงกาฬ", "Bueng Kan"),            # the newest province (2011)
    ("TH-39", "หนองบัวลำภู", "Nong Bua Lam Phu"),
    ("TH-50", "เชียงใหม่", "Chiang Mai"),
    ("TH-58", "แม่ฮ่องสอน", "Mae Hong Son"),
    ("TH-67", "เพชรบูรณ์", "Phetchabun"),
    ("TH-76", "เพชรบุรี", "Phetchaburi"),
    ("TH-80", "นครศรีธรรมราช", "Nakhon Si Thammarat"),
    ("TH-82", "พังงา", "Phangnga"),
    ("TH-83", "ภูเก็ต", "Phuket"),
    ("TH-84", "สุราษฎร์ธานี", "Surat Thani"),
    ("TH-90", "สงขลา", "Songkhla"),
    ("TH-96", "นราธิวาส", "Narathiwat"),
])
def test_known_facts(code, name_th, name_en):
    assert find_province(code) == Province(code, name_th, name_en)


def test_pattaya_is_a_city_not_a_province():
    assert find_province("TH-S") is None
    assert find_province("พัทยา") is None and find_province("Pattaya") is None


@pytest.mark.parametrize("text, code", [
    ("กรุงเทพมหานคร", "TH-10"), ("กรุงเทพฯ", "TH-10"), ("กรุงเทพ", "TH-10"), ("กทม.", "TH-10"),
    ("กทม", "TH-10"), ("Bangkok", "TH-10"), ("BANGKOK", "TH-10"), ("Bangkok Metropolis", "TH-10"),
    ("Krung Thep Maha Nakhon", "TH-10"), ("krungthepmahanakhon", "TH-10"),
    ("TH-10", "TH-10"), ("th-10", "TH-10"), ("TH10", "TH-10"), ("th 50", "TH-50"),
    ("จ.เชียงใหม่", "TH-50"), ("จ. เชียงใหม่", "TH-50"), ("จังหวัดเชียงใหม่", "TH-50"),
    ("จังหวัด เชียงใหม่", "TH-50"), ("Chiang Mai Province", "TH-50"), ("ChiangMai", "TH-50"),
    ("chiang  mai", "TH-50"), (" เชียงใหม่ ", "TH-50"), ("Changwat Chiang Mai", "TH-50"),
    ("จันทบุรี", "TH-22"), ("จ.จันทบุรี", "TH-22"),        # a name that starts with จ
    ("Chonburi", "TH-20"), ("Buriram", "TH-31"), ("Sisaket", "TH-33"), ("Phang Nga", "TH-82"),
    ("อยุธยา", "TH-14"), ("Ayutthaya", "TH-14"), ("โคราช", "TH-30"), ("Korat", "TH-30"),
    ("Nakhon Sri Thammarat", "TH-80"), ("กรุงเทพ\u200bมหานคร", "TH-10"),
    ("บึงกาฬ", "TH-38"), ("Bueng Kan", "TH-38"), ("Sa Kaeo", "TH-27"),
])
def test_names_codes_and_aliases_find_one_province(text, code):
    found = find_province(text)
    assert found is not None and found.code == code, text


@pytest.mark.parametrize("text", ["", "  ", "Atlantis", "เชียงใม่", "TH-99", "10", "จังหวัด",
                                  "Thailand", "เขตบางรัก"])
def test_other_text_finds_none(text):
    assert find_province(text) is None


@pytest.mark.parametrize("text, nearest", [
    ("เชียงใม่", "TH-50"), ("Chiang Mia", "TH-50"), ("Bangkork", "TH-10"), ("ขอนแกน", "TH-40"),
    ("Songkla", "TH-90"), ("นครราชสิมา", "TH-30"),
])
def test_closest_names(text, nearest):
    closest = closest_provinces(text)
    assert closest and closest[0].code == nearest and len(closest) <= 3
    assert len({p.code for p in closest}) == len(closest)


def test_closest_of_nothing_alike_is_empty():
    assert closest_provinces("xyzzy-12345") == []


def test_the_shape_lists_the_same_provinces():
    """shapes/licence.ttl (province-known) carries the Thai names of provinces.csv."""
    from rdflib import RDF, Literal
    from rdflib.collection import Collection
    from rdflib.namespace import SH

    g = reference.shapes_graph()
    shape = next(s for s in g.subjects(RDF.type, SH.PropertyShape)
                 if reference.rule_code(s) == "province-known")
    branches = Collection(g, g.value(shape, SH["or"]))
    listed = next(Collection(g, g.value(branch, SH["in"])) for branch in branches
                  if g.value(branch, SH["in"]) is not None)
    assert list(listed) == [Literal(p.name_th, lang="th") for p in all_provinces()]
