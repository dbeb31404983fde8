"""Coded columns in Thai (and English words): each reading, each refusal, table-driven."""

from __future__ import annotations

import pytest

from registry.codedvalues import WORDS, CodedValues, Reading, accepted
from registry.records import ACCESS, HOLDER_TYPES, STATUSES


@pytest.fixture(scope="module")
def coded(catalogue) -> CodedValues:
    return CodedValues(catalogue)


@pytest.mark.parametrize("column, text, code", [
    # status: the statutes' verbs and the registers' words
    ("status", "ใช้งาน", "active"), ("status", "ปกติ", "active"), ("status", "มีผล", "active"),
    ("status", "มีผลใช้บังคับ", "active"), ("status", "อนุญาต", "active"),
    ("status", "In Force", "active"), ("status", "valid", "active"),
    ("status", "พักใช้", "suspended"), ("status", "พักใช้ใบอนุญาต", "suspended"),
    ("status", "พักใช้ ใบอนุญาต", "suspended"), ("status", "ถูกพักใช้", "suspended"),
    ("status", "Suspension", "suspended"),
    ("status", "เพิกถอน", "revoked"), ("status", "ถูกเพิกถอน", "revoked"),
    ("status", "ถูกเพิกถอนใบอนุญาต", "revoked"), ("status", " เพิกถอน ", "revoked"),
    ("status", "revocation", "revoked"),
    ("status", "คืนใบอนุญาต", "surrendered"), ("status", "ยกเลิก", "surrendered"),
    ("status", "เลิกกิจการ", "surrendered"), ("status", "แจ้งเลิกประกอบกิจการ", "surrendered"),
    ("status", "ออกใบแทน", "replaced"), ("status", "แทนที่", "replaced"),
    ("status", "ถูกแทนที่", "replaced"),
    # holder type: the legal categories only
    ("holder_type", "นิติบุคคล", "juristic"), ("holder_type", "Juristic Person", "juristic"),
    ("holder_type", "บุคคลธรรมดา", "natural"), ("holder_type", "individual", "natural"),
    ("holder_type", "Natural person", "natural"),
    # document access
    ("document_access", "สาธารณะ", "public"), ("document_access", "เปิดเผย", "public"),
    ("document_access", "จำกัด", "restricted"), ("document_access", "จำกัดสิทธิ์", "restricted"),
    ("document_access", "ต้องเข้าสู่ระบบ", "restricted"),
    ("document_access", "ไม่เปิดเผย", "restricted"),
])
def test_words_are_read_as_codes(coded, column, text, code):
    reading = coded.read(column, text.strip())
    assert reading is not None and (reading.code, reading.mapped) == (code, True)


@pytest.mark.parametrize("column, codes", [
    ("status", STATUSES), ("holder_type", HOLDER_TYPES), ("document_access", ACCESS)])
def test_codes_in_any_case_are_codes_not_readings(coded, column, codes):
    for code in codes:
        for text in (code, code.upper(), code.title()):
            assert coded.read(column, text) == Reading(code, False)


def test_a_code_with_a_space_inside_is_a_reading(coded):
    assert coded.read("status", "sus pended") == Reading("suspended", True)
    assert coded.read("status", "active\u200b") == Reading("active", True)


@pytest.mark.parametrize("column, text", [
    # expiry is computed, never uploaded
    ("status", "หมดอายุ"), ("status", "expired"),
    # the replacement certificate itself is active: not read as replaced
    ("status", "ใบแทน"),
    # renewal keeps a licence active under a new end date: an upload, not a status
    ("status", "ต่ออายุ"),
    # business forms are not legal categories (an ordinary partnership is not juristic)
    ("holder_type", "บริษัท"), ("holder_type", "company"), ("holder_type", "ห้างหุ้นส่วน"),
    ("document_access", "ลับ"), ("document_access", "secret"),
])
def test_ambiguous_or_wrong_words_are_not_read(coded, column, text):
    assert coded.read(column, text) is None


def test_cancelled_carries_a_hint_towards_revoked(coded):
    reading = coded.read("status", "ยกเลิก")
    assert reading is not None and reading.code == "surrendered"
    assert "เพิกถอน" in reading.hint_en and "เพิกถอน" in reading.hint_th


def test_no_word_means_two_codes():
    for column, codes in WORDS.items():
        seen: dict[str, str] = {}
        for code, words in codes.items():
            for word in words:
                assert seen.setdefault(word, code) == code, (column, word)


def test_accepted_values_name_every_code_with_its_thai_word():
    for column, codes in WORDS.items():
        en, th = accepted(column)
        for code, words in codes.items():
            assert f"{code} ({words[0]})" in en and f"{code} ({words[0]})" in th


def test_licence_types_by_title_in_thai_or_english_or_by_code(coded, catalogue):
    for licence_type in catalogue.types.values():
        for title in (licence_type.title_th, licence_type.title_en,
                      licence_type.title_en.upper(), " " + licence_type.title_th + " ",
                      licence_type.title_th.replace(" ", "")):
            assert coded.read("licence_type", title.strip()) == Reading(licence_type.code, True)
        assert coded.read("licence_type", licence_type.code.upper()) == \
            Reading(licence_type.code, False)


def test_issuers_by_code_in_any_case_or_by_a_unique_name(coded, catalogue):
    diw = catalogue.agencies["diw"]
    assert coded.read("issuer", "DIW") == Reading("diw", False)
    assert coded.read("issuer", diw.label_th) == Reading("diw", True)
    assert coded.read("issuer", diw.label_en.lower()) == Reading("diw", True)
    assert coded.read("issuer", "Department of Nowhere") is None


def test_a_name_two_agencies_share_is_not_read(catalogue):
    import dataclasses

    from registry.model import Catalogue
    twin = dataclasses.replace(catalogue.agencies["dot"], label_th="กรมโรงงานอุตสาหกรรม")
    shared = Catalogue(catalogue.types, {**catalogue.agencies, "dot": twin})
    coded = CodedValues(shared)
    assert coded.read("issuer", "กรมโรงงานอุตสาหกรรม") is None
    assert coded.read("issuer", "Department of Industrial Works") == Reading("diw", True)


@pytest.mark.parametrize("text, nearest", [
    ("factory-operations", "factory-operation"),
    ("ใบอนุญาตประกอบกิจการโรงงาน", "factory-operation"),
])
def test_closest_licence_types(coded, text, nearest):
    assert coded.closest_types(text)[0].code == nearest


@pytest.mark.parametrize("text, nearest", [("diww", "diw"), ("กรมโรงงาน", "diw"),
                                           ("bma-bangrack", "bma-bangrak")])
def test_closest_agencies(coded, text, nearest):
    assert nearest in [a.code for a in coded.closest_agencies(text)]
