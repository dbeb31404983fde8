"""A Thai clerk's spreadsheet rows, end to end through `check_batch`: Thai words for the coded
columns, licence types and agencies by their Thai names, Thai dates, provinces however written;
what is read is stored as the standard's values and named in a warning, what cannot be read
is refused with the accepted values or the closest names."""

from __future__ import annotations

import datetime as dt

import pytest

from ops.demo import demo_rows
from registry import rdfmap
from registry.problems import WARNING
from registry.thaiid import with_check_digit
from registry.validation import ValidationContext, check_batch


@pytest.fixture(scope="module")
def clerk(catalogue):
    """Rows as the licensing section of a district office types them, from valid demo rows."""
    base = [r for r in demo_rows(catalogue, 80, seed=13)
            if r["holder_type"] == "juristic" and r["document_url"]][:6]
    natural = next(r for r in demo_rows(catalogue, 80, seed=13) if r["holder_type"] == "natural")

    def thai(row):
        licence_type = catalogue.types[row["licence_type"]]
        agency = catalogue.agencies[row["issuer"]]
        return {**row, "licence_type": licence_type.title_th, "issuer": agency.label_th}

    login = "https://eservice.example.go.th/login"
    return catalogue, [
        (2, {**thai(base[0]), "holder_type": "นิติบุคคล", "status": "เพิกถอน",
             "status_reason": "ฝ่าฝืนเงื่อนไขใบอนุญาต", "issued": "1 ก.พ. 2567",
             "valid_until": "31/1/70", "province": "กทม.", "document_access": "สาธารณะ"}),
        (3, {**thai(natural), "holder_type": "บุคคลธรรมดา", "status": "ปกติ",
             "issued": "15/03/2566", "valid_until": "", "province": "TH-50",
             "document_access": "จำกัดสิทธิ์", "document_login_url": login,
             "document_url": "", "document_sha256": "", "document_media_type": ""}),
        (4, {**thai(base[1]), "holder_type": "นิติบุคคล", "holder_name": "", "holder_name_en": "",
             "holder_id": with_check_digit("010555612345"), "status": "ใช้งาน",
             "issued": "๑ มี.ค. ๖๗", "valid_until": "", "province": "จ.ขอนแก่น"}),
        (5, {**base[2], "province": "เชียงใม่", "issued": "2024-01-10", "valid_until": ""}),
        (6, {**base[3], "issued": "31/4/67", "valid_until": ""}),
        (7, {**base[4], "status": "หมดอายุ", "issued": "2024-01-10", "valid_until": ""}),
        (8, {**base[5], "licence_type": "ใบอนุญาตที่ไม่มีจริง", "issued": "2024-01-10",
             "valid_until": ""}),
    ]


def found(problems, row, rule):
    return [p for p in problems if p.row == row and p.rule == rule]


def test_a_thai_clerks_rows(clerk):
    catalogue, rows = clerk
    records, problems = check_batch(rows, ValidationContext(catalogue))
    by_row = {r.row: r for r in records}
    violations = {(p.row, p.field, p.rule) for p in problems if p.severity != WARNING}
    assert violations == {
        (4, "holder_name", "holder-name-required"),
        (5, "province", "province-known"),
        (6, "issued", "date-format"),
        (7, "status", "status-scheme"),
        (8, "licence_type", "type-exists"),
    }
    # Read and stored as the standard's values
    first, second = by_row[2], by_row[3]
    original = rows[0][1]
    assert (first.status, first.holder_type, first.document_access) == (
        "revoked", "juristic", "public")
    assert first.key.type in catalogue.types and first.key.issuer in catalogue.agencies
    assert catalogue.types[first.key.type].title_th == original["licence_type"]
    assert (first.issued, first.valid_until) == (dt.date(2024, 2, 1), dt.date(2027, 1, 31))
    assert first.province == "กรุงเทพมหานคร"
    assert (second.status, second.holder_type, second.document_access, second.province) == (
        "active", "natural", "restricted", "เชียงใหม่")
    assert second.issued == dt.date(2023, 3, 15)
    lines = "\n".join(rdfmap.content_lines(first, "https://example.org", False))
    assert '"กรุงเทพมหานคร"@th' in lines and "/status/revoked>" in lines

    # Every reading is a warning naming what was read as what, in both languages
    warnings = {(p.row, p.field, p.rule) for p in problems if p.severity == WARNING}
    assert {(2, "status", "status-mapped"), (2, "holder_type", "holder-type-mapped"),
            (2, "document_access", "document-access-mapped"),
            (2, "licence_type", "type-mapped"), (2, "issuer", "issuer-mapped"),
            (2, "province", "province-mapped"), (2, "issued", "date-buddhist-era"),
            (2, "valid_until", "date-two-digit-year"), (3, "province", "province-mapped"),
            (3, "status", "status-mapped"), (3, "issued", "date-buddhist-era"),
            (4, "issued", "date-two-digit-year"), (4, "province", "province-mapped")} <= warnings
    revoked, = found(problems, 2, "status-mapped")
    assert "'เพิกถอน' was read as revoked." in revoked.en
    assert "'เพิกถอน' อ่านเป็น revoked" in revoked.th
    bangkok, = found(problems, 2, "province-mapped")
    assert "'กทม.' was read as กรุงเทพมหานคร (Krung Thep Maha Nakhon, TH-10)." in bangkok.en
    assert "อ่านเป็น กรุงเทพมหานคร (Krung Thep Maha Nakhon, TH-10)" in bangkok.th
    short, = found(problems, 2, "date-two-digit-year")
    assert "the year 70 was read as 2570 BE, which is 2027; stored as 2027-01-31" in short.en
    assert "ปี 70 อ่านเป็น พ.ศ. 2570 ตรงกับ ค.ศ. 2027" in short.th
    type_read, = found(problems, 2, "type-mapped")
    assert f"was read as {first.key.type}" in type_read.en

    # What cannot be read is refused with what would be accepted
    province, = found(problems, 5, "province-known")
    assert "เชียงใหม่ (Chiang Mai, TH-50)" in province.en
    assert "ชื่อที่ใกล้เคียง: เชียงใหม่ (Chiang Mai, TH-50)" in province.th
    april, = found(problems, 6, "date-format")
    assert "April 2024 has 30 days" in april.en and "เดือนเมษายน พ.ศ. 2567 มี 30 วัน" in april.th
    expired, = found(problems, 7, "status-scheme")
    for text in (expired.en, expired.th):
        assert "revoked (เพิกถอน)" in text and "suspended (พักใช้)" in text
    unknown_type, = found(problems, 8, "type-exists")
    assert "Closest:" in unknown_type.en and "ประเภทที่ใกล้เคียง:" in unknown_type.th
    nameless, = found(problems, 4, "holder-name-required")
    assert "name" in nameless.en and "ชื่อ" in nameless.th


def test_unmapped_holder_type_and_access_name_the_accepted_values(catalogue):
    row = next(r for r in demo_rows(catalogue, 40, seed=3) if r["holder_type"] == "juristic")
    _records, problems = check_batch(
        [(2, {**row, "holder_type": "บริษัท", "document_access": "ลับ"})],
        ValidationContext(catalogue))
    holder, = [p for p in problems if p.rule == "holder-type"]
    assert "juristic (นิติบุคคล)" in holder.en and "natural (บุคคลธรรมดา)" in holder.th
    assert "'บริษัท'" in holder.en
    access, = [p for p in problems if p.rule == "document-access"]
    assert "public (สาธารณะ)" in access.en and "restricted (จำกัดสิทธิ์)" in access.th


def test_an_unknown_issuer_names_the_closest_agencies(catalogue):
    row = next(iter(demo_rows(catalogue, 5, seed=3)))
    issuer = row["issuer"]
    _records, problems = check_batch([(2, {**row, "issuer": issuer + "x"})],
                                     ValidationContext(catalogue))
    authority, = [p for p in problems if p.rule == "issuer-authority"]
    assert f"No agency has the code '{issuer}x'; closest: {issuer} (" in authority.en
    assert f"ไม่มีหน่วยงานรหัส '{issuer}x' รหัสที่ใกล้เคียง: {issuer} (" in authority.th


def test_canonical_values_raise_no_warning(catalogue):
    rows = list(enumerate(demo_rows(catalogue, 100), start=2))
    _records, problems = check_batch(rows, ValidationContext(catalogue))
    assert not [p for p in problems if p.rule.endswith("-mapped")]
