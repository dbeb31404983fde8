"""What every resolver page shares: the language and the words in it."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

LANGUAGES = ("th", "en")

# Per language: a word, or a table of words (statuses), by key.
WORDS: dict[str, dict[str, Any]] = {
    "th": {
        "site": "แคตตาล็อกใบอนุญาตกลาง", "licence": "ใบอนุญาต", "number": "เลขที่",
        "type": "ประเภทใบอนุญาต", "issuer": "หน่วยงานผู้ออก", "holder": "ผู้ถือใบอนุญาต",
        "holder_id": "เลขทะเบียนนิติบุคคล", "natural_person": "บุคคลธรรมดา (ไม่เปิดเผยชื่อ)",
        "premises": "สถานที่ประกอบการ", "valid_from": "วันที่ออก/มีผล", "valid_until": "ใช้ได้ถึง",
        "no_end": "ไม่มีวันหมดอายุ", "conditions": "เงื่อนไข", "document": "เอกสารใบอนุญาต",
        "open_document": "เปิดเอกสารของหน่วยงาน",
        "no_online_copy": "หน่วยงานไม่ได้เผยแพร่ไฟล์ทางออนไลน์",
        "restricted": "ต้องเข้าสู่ระบบของหน่วยงาน",
        "checksum": "ค่า SHA-256", "history": "ประวัติการแก้ไข", "version": "ฉบับที่",
        "current": "ฉบับปัจจุบัน", "cite": "อ้างอิง IRI นี้", "qr": "คิวอาร์โค้ดของใบอนุญาต",
        "reason": "เหตุผล", "viewing_old": "คุณกำลังดูฉบับเก่า", "see_current": "ดูฉบับปัจจุบัน",
        "not_found": "ไม่พบใบอนุญาตนี้ในทะเบียน", "did_you_mean": "คุณหมายถึง",
        "several": "พบใบอนุญาตหลายรายการที่มีเลขนี้", "other_language": "English",
        "data": "ข้อมูลแบบ RDF",
        "last_reachable": "เข้าถึงได้ล่าสุด", "never_reachable": "ยังไม่เคยเข้าถึงได้",
        "last_checked": "ตรวจสอบลิงก์ล่าสุด",
        "status": {"active": "ใช้ได้", "expired": "หมดอายุ", "suspended": "ถูกพักใช้",
                   "revoked": "ถูกเพิกถอน", "surrendered": "เลิกใช้แล้ว (ผู้ถือขอยกเลิก)",
                   "replaced": "ถูกแทนที่ด้วยใบอนุญาตใหม่"},
    },
    "en": {
        "site": "Central Licence Catalogue", "licence": "Licence", "number": "Number",
        "type": "Licence type", "issuer": "Issued by", "holder": "Holder",
        "holder_id": "Juristic person ID",
        "natural_person": "A natural person (name not published)",
        "premises": "Premises", "valid_from": "Issued / valid from", "valid_until": "Valid until",
        "no_end": "Does not expire", "conditions": "Conditions", "document": "Licence document",
        "open_document": "Open the agency's document",
        "no_online_copy": "The agency does not publish the file online.",
        "restricted": "The agency's login is needed",
        "checksum": "SHA-256", "history": "Version history", "version": "Version",
        "current": "current", "cite": "Cite this IRI", "qr": "QR code of this licence",
        "reason": "Reason", "viewing_old": "You are viewing an earlier version",
        "see_current": "See the current version",
        "not_found": "This licence is not in the register", "did_you_mean": "Did you mean",
        "several": "Several licences have this number", "other_language": "ภาษาไทย",
        "data": "Data as RDF",
        "last_reachable": "Last reachable", "never_reachable": "not reachable yet",
        "last_checked": "link last checked",
        "status": {"active": "Valid", "expired": "Expired", "suspended": "Suspended",
                   "revoked": "Revoked", "surrendered": "Surrendered by the holder",
                   "replaced": "Replaced by a new licence"},
    },
}


def preferred_language() -> str:
    """`?lang=` first, then the browser's Accept-Language; Thai when neither says."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default="th") or "th"


def page_context(lang: str) -> dict:
    from registry.bootstrap import load_catalogue

    catalogue = current_app.extensions.get("catalogue")
    if catalogue is None:     # read once: the catalogue changes only with `init` and a restart
        catalogue = current_app.extensions["catalogue"] = load_catalogue(
            current_app.extensions["repository"])
    return {"lang": lang, "other": "en" if lang == "th" else "th", "t": WORDS[lang],
            "catalogue": catalogue, "base": current_app.config["REGISTRY"]["BASE_IRI"]}
