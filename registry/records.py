"""A licence record: the upload columns of SPEC §5 and the checked record they become."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry.identifiers import LicenceKey

# The CSV template's columns, in order, with the Thai header each one also answers to.
COLUMNS: dict[str, str] = {
    "licence_number": "เลขที่ใบอนุญาต",
    "licence_type": "ประเภทใบอนุญาต",
    "issuer": "หน่วยงานผู้ออกใบอนุญาต",
    "holder_type": "ประเภทผู้ถือใบอนุญาต",
    "holder_id": "เลขประจำตัวผู้ถือใบอนุญาต",
    "holder_name": "ชื่อผู้ถือใบอนุญาต",
    "holder_name_en": "ชื่อผู้ถือใบอนุญาตภาษาอังกฤษ",
    "premises_address": "ที่ตั้งสถานประกอบการ",
    "province": "จังหวัด",
    "issued": "วันที่ออกใบอนุญาต",
    "valid_until": "วันหมดอายุ",
    "status": "สถานะ",
    "status_reason": "เหตุผลของสถานะ",
    "document_url": "ลิงก์เอกสารใบอนุญาต",
    "document_sha256": "ค่า SHA-256 ของเอกสาร",
    "document_media_type": "ชนิดของเอกสาร",
    "document_access": "การเข้าถึงเอกสาร",
    "document_login_url": "ลิงก์เข้าสู่ระบบของหน่วยงาน",
    "conditions": "เงื่อนไขใบอนุญาต",
    # The licences this one depends on (dct:requires): IRIs or issuer/type/number, several
    # separated by `;`, `|` or a new line (registry/relatedlicences.py).
    "related_licences": "ใบอนุญาตที่เกี่ยวข้อง",
}
# Other names people use for the same column (SPEC §4 says "issued/valid_from").
EXTRA_ALIASES = {"valid_from": "issued", "วันที่มีผล": "issued"}

STATUSES = ("active", "suspended", "revoked", "surrendered", "replaced")
NEEDS_REASON = ("suspended", "revoked")
HOLDER_TYPES = ("juristic", "natural")
ACCESS = ("public", "restricted")


def column_for_header(header: str) -> str | None:
    """The column a header names (English name, Thai alias or extra alias), or None."""
    name = header.strip().lstrip("\ufeff")
    if name in COLUMNS:
        return name
    lowered = name.lower()
    if lowered in COLUMNS:
        return lowered
    for column, thai in COLUMNS.items():
        if name == thai:
            return column
    return EXTRA_ALIASES.get(name) or EXTRA_ALIASES.get(lowered)


@dataclass(slots=True)
class LicenceRecord:
    """A row that passed the standard, canonical and typed, ready to map to RDF."""

    row: int | str
    key: LicenceKey
    printed_number: str
    issued: dt.date
    valid_until: dt.date | None
    status: str
    status_reason: str
    holder_type: str
    holder_id: str              # juristic persons only; a natural person's ID is never kept
    holder_name: str
    holder_name_en: str
    premises_address: str
    province: str
    conditions: str
    document_url: str
    document_sha256: str
    document_media_type: str
    document_access: str
    document_login_url: str
    # The keys of the licences this one requires (dct:requires), each once, in the order given.
    related_licences: tuple[LicenceKey, ...] = ()
