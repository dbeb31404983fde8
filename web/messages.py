"""The site's words in Thai and English: one table, keyed by message id, and its lookup.

A message id is `<area>.<name>`: `common` holds what every page shows (the site's name, the
language switch, the site navigation); the other areas are one page or family of pages each
(`licence`, `term`, `home`, `upload`, `sparql`, `lists`, `dumps`, `error`). Templates read a
page's words as `t.<name>` from `words(lang, area)`; Python code asks `message(id, lang)`.
A text is usually a string (some are `str.format` patterns: `{n}`), sometimes a list (steps)
or a table of words by code (statuses, levels, themes, navigation).
"""

from __future__ import annotations

from functools import cache
from types import MappingProxyType
from typing import Any

LANGUAGES = ("th", "en")        # the two columns of MESSAGES, in this order
COMMON = "common"

# message id → (Thai, English)
MESSAGES: dict[str, tuple[Any, Any]] = {
    # Every page
    "common.site": ("แคตตาล็อกใบอนุญาตกลาง", "Central Licence Catalogue"),
    "common.other_language": ("English", "ภาษาไทย"),     # the switch, in the language it leads to
    "common.language_name": ("ไทย", "English"),           # a language's own name for itself
    "common.data": ("ข้อมูลแบบ RDF", "Data as RDF"),
    "common.nav": (
        {"catalogue": "ประเภทใบอนุญาต", "agencies": "หน่วยงาน", "dumps": "ดาวน์โหลด",
         "sparql": "SPARQL", "dcat": "DCAT-AP"},
        {"catalogue": "Licence types", "agencies": "Agencies", "dumps": "Downloads",
         "sparql": "SPARQL", "dcat": "DCAT-AP"}),
    # The home page (shows both languages at once)
    "home.intro": (
        "ตรวจสอบใบอนุญาตของทางราชการ: สแกนคิวอาร์โค้ดบนใบอนุญาต หรือพิมพ์เลขที่ใบอนุญาต",
        "Check a Thai government licence: scan the QR code on it, or type its number."),
    "home.number_label": ("เลขที่ใบอนุญาต", "Licence number"),
    "home.find": ("ค้นหา", "Find"),
    # A licence's page, the choice between licences of one number, a licence not found
    "licence.licence": ("ใบอนุญาต", "Licence"),
    "licence.number": ("เลขที่", "Number"),
    "licence.type": ("ประเภทใบอนุญาต", "Licence type"),
    "licence.issuer": ("หน่วยงานผู้ออก", "Issued by"),
    "licence.holder": ("ผู้ถือใบอนุญาต", "Holder"),
    "licence.holder_id": ("เลขทะเบียนนิติบุคคล", "Juristic person ID"),
    "licence.natural_person": (
        "บุคคลธรรมดา (ไม่เปิดเผยชื่อ)",
        "A natural person (name not published)"),
    "licence.premises": ("สถานที่ประกอบการ", "Premises"),
    "licence.valid_from": ("วันที่ออก/มีผล", "Issued / valid from"),
    "licence.valid_until": ("ใช้ได้ถึง", "Valid until"),
    "licence.no_end": ("ไม่มีวันหมดอายุ", "Does not expire"),
    "licence.conditions": ("เงื่อนไข", "Conditions"),
    "licence.document": ("เอกสารใบอนุญาต", "Licence document"),
    "licence.open_document": ("เปิดเอกสารของหน่วยงาน", "Open the agency's document"),
    "licence.no_online_copy": (
        "หน่วยงานไม่ได้เผยแพร่ไฟล์ทางออนไลน์",
        "The agency does not publish the file online."),
    "licence.restricted": ("ต้องเข้าสู่ระบบของหน่วยงาน", "The agency's login is needed"),
    "licence.checksum": ("ค่า SHA-256", "SHA-256"),
    "licence.history": ("ประวัติการแก้ไข", "Version history"),
    "licence.version": ("ฉบับที่", "Version"),
    "licence.current": ("ฉบับปัจจุบัน", "current"),
    "licence.cite": ("อ้างอิง IRI นี้", "Cite this IRI"),
    "licence.qr": ("คิวอาร์โค้ดของใบอนุญาต", "QR code of this licence"),
    "licence.reason": ("เหตุผล", "Reason"),
    "licence.viewing_old": ("คุณกำลังดูฉบับเก่า", "You are viewing an earlier version"),
    "licence.see_current": ("ดูฉบับปัจจุบัน", "See the current version"),
    "licence.not_found": ("ไม่พบใบอนุญาตนี้ในทะเบียน", "This licence is not in the register"),
    "licence.did_you_mean": ("คุณหมายถึง", "Did you mean"),
    "licence.several": ("พบใบอนุญาตหลายรายการที่มีเลขนี้", "Several licences have this number"),
    "licence.last_reachable": ("เข้าถึงได้ล่าสุด", "Last reachable"),
    "licence.never_reachable": ("ยังไม่เคยเข้าถึงได้", "not reachable yet"),
    "licence.last_checked": ("ตรวจสอบลิงก์ล่าสุด", "link last checked"),
    "licence.status": (
        {"active": "ใช้ได้", "expired": "หมดอายุ", "suspended": "ถูกพักใช้", "revoked": "ถูกเพิกถอน",
         "surrendered": "เลิกใช้แล้ว (ผู้ถือขอยกเลิก)", "replaced": "ถูกแทนที่ด้วยใบอนุญาตใหม่"},
        {"active": "Valid", "expired": "Expired", "suspended": "Suspended", "revoked": "Revoked",
         "surrendered": "Surrendered by the holder", "replaced": "Replaced by a new licence"}),
    # A licence type's or an agency's page (with the "lists" words)
    "term.issues": ("ใบอนุญาตที่ออก", "Licence types it issues"),
    "term.legal_basis": ("กฎหมาย", "Legal basis"),
    "term.number_format": ("รูปแบบเลขที่", "Number format"),
    "term.roadmap_phase": ("ระยะ", "Roadmap phase"),
    # /catalogue/ and /agencies/
    "lists.types_title": ("ประเภทใบอนุญาต", "Licence types"),
    "lists.agencies_title": ("หน่วยงาน", "Agencies"),
    "lists.types_intro": (
        "ประเภทใบอนุญาตทั้งหมดในแคตตาล็อก พร้อมหน่วยงานผู้มีอำนาจ ธีม BCG ระยะตามแผนงาน "
        "และระดับบริการอิเล็กทรอนิกส์",
        "Every licence type in the catalogue, with its competent authorities, BCG theme, roadmap "
        "phase and e-service level."),
    "lists.agencies_intro": (
        "หน่วยงานที่ออกใบอนุญาต ระดับ ความพร้อม และจำนวนใบอนุญาตที่เผยแพร่",
        "The agencies that issue licences: level, readiness tier and how many licences each has "
        "published."),
    "lists.code": ("รหัส", "Code"),
    "lists.title": ("ชื่อ", "Title"),
    "lists.authorities": ("หน่วยงานผู้มีอำนาจ", "Competent authorities"),
    "lists.bcg": ("ธีม BCG", "BCG theme"),
    "lists.phase": ("ระยะ", "Phase"),
    "lists.eservice": ("ระดับ e-service", "E-service level"),
    "lists.public_register": ("ทะเบียนสาธารณะ", "Public register"),
    "lists.example": ("ตัวอย่างเลขที่", "Number example"),
    "lists.name": ("ชื่อหน่วยงาน", "Agency"),
    "lists.level": ("ระดับ", "Level"),
    "lists.tier": ("ความพร้อม", "Readiness tier"),
    "lists.parent": ("สังกัด", "Part of"),
    "lists.licences": ("ใบอนุญาตที่เผยแพร่", "Licences published"),
    "lists.agency": ("หน่วยงาน", "Agency"),
    "lists.any": ("ทั้งหมด", "any"),
    "lists.filter": ("กรอง", "Filter"),
    "lists.clear_filters": ("ล้างตัวกรอง", "Clear filters"),
    "lists.shown": ("รายการที่แสดง", "Shown"),
    "lists.yes": ("ใช่", "yes"),
    "lists.no": ("ไม่ใช่", "no"),
    "lists.none": ("ไม่พบรายการที่ตรงกับตัวกรอง", "Nothing matches these filters."),
    "lists.total": ("รวม", "Total"),
    "lists.levels": (
        {"central": "ส่วนกลาง", "regional": "ส่วนภูมิภาค", "local": "ส่วนท้องถิ่น"},
        {"central": "central", "regional": "regional", "local": "local"}),
    "lists.themes": (
        {"bio": "เศรษฐกิจชีวภาพ", "circular": "เศรษฐกิจหมุนเวียน", "green": "เศรษฐกิจสีเขียว"},
        {"bio": "bio-economy", "circular": "circular economy", "green": "green economy"}),
    # /dumps/
    "dumps.title": ("ไฟล์ข้อมูลทั้งหมด (ดัมพ์)", "Downloads (dumps)"),
    "dumps.file": ("ไฟล์", "File"),
    "dumps.format": ("รูปแบบ", "Format"),
    "dumps.size": ("ขนาด (ไบต์)", "Size (bytes)"),
    "dumps.modified": ("สร้างเมื่อ", "Generated"),
    "dumps.none": ("ยังไม่มีไฟล์ข้อมูล กำลังสร้าง…", "No dumps yet: being generated…"),
    "dumps.generating": (
        "กำลังสร้างชุดใหม่ ไฟล์ด้านล่างยังใช้ได้จนกว่าจะเสร็จ",
        "A new set is being generated; the files below stay valid until it is done."),
    "dumps.triples": ("จำนวนทริปเปิล", "Triples"),
    "dumps.about": (
        "ข้อมูลสาธารณะทั้งหมดของทะเบียน (รวมทุกกราฟสาธารณะเป็นทริปเปิลชุดเดียว) "
        "สร้างใหม่หลังการนำเข้าทุกครั้ง ตรวจสอบไฟล์ด้วยค่า SHA-256",
        "All the register's public data (the union of its public graphs, as one set of triples), "
        "regenerated after every upload. Check a file with its SHA-256."),
    "dumps.catalogue": ("คำอธิบายชุดข้อมูล (DCAT-AP)", "Dataset description (DCAT-AP)"),
    # /sparql, the query page
    "sparql.title": ("สืบค้นทะเบียนด้วย SPARQL", "Query the register with SPARQL"),
    "sparql.intro": (
        "ถามคำถามกับข้อมูลสาธารณะทั้งหมดของทะเบียนใบอนุญาตด้วยภาษา SPARQL 1.1 ดูผลลัพธ์เป็นตาราง "
        "หรือดาวน์โหลดเป็นไฟล์",
        "Ask questions of all the public data of the licence register in SPARQL 1.1; read the "
        "results as a table or download them as a file."),
    "sparql.endpoint": ("โปรแกรมส่งคำค้นมาที่", "Programs send their queries to"),
    "sparql.default_graph": (
        "กราฟตั้งต้น (default graph) คือกราฟสาธารณะทุกกราฟรวมกัน ซึ่งรวมฉบับเก่าของใบอนุญาตที่ถูกแก้ไขด้วย "
        "(กราฟ …/version/N) ตัวอย่างคำค้นจึงใช้ GRAPH ?g คู่กับ MINUS เพื่อนับเฉพาะระเบียนฉบับปัจจุบัน",
        "The default graph is the union of all public graphs, including the old versions of "
        "amended licences (graphs …/version/N): the example queries use GRAPH ?g with a MINUS to "
        "count current records only."),
    "sparql.limits": ("ข้อจำกัด", "Limits"),
    "sparql.limit_rows": (
        "ผลลัพธ์สูงสุด {n} แถวต่อคำค้น หากถึงขีดจำกัดจะแจ้งให้ทราบเสมอ",
        "At most {n} results per query; reaching the cap is always reported."),
    "sparql.limit_time": (
        "คำค้นที่ใช้เวลาเกิน {s} วินาทีจะถูกหยุด",
        "A query running longer than {s} seconds is stopped."),
    "sparql.read_only": (
        "อ่านได้อย่างเดียว: ไม่รับคำสั่งแก้ไขข้อมูล (SPARQL Update)",
        "Read-only: SPARQL Update is refused."),
    "sparql.no_service": (
        "ไม่อนุญาตให้ใช้ SERVICE (การเรียกบริการ SPARQL ภายนอก)",
        "SERVICE (calling other SPARQL services) is not allowed."),
    "sparql.query_label": ("คำค้น SPARQL", "SPARQL query"),
    "sparql.run": ("ค้นหา", "Run query"),
    "sparql.example": ("ตัวอย่าง", "Example"),
    "sparql.results": ("ผลลัพธ์", "Results"),
    "sparql.rows": ("{n} แถว", "{n} rows"),
    "sparql.elapsed": ("ใช้เวลา {ms} มิลลิวินาที", "answered in {ms} ms"),
    "sparql.truncated": (
        "ผลลัพธ์ถึงขีดจำกัด {n} แถว จึงถูกตัดไว้เพียงเท่านี้ แถวที่เกินไม่ได้ส่งมา เพิ่ม LIMIT/OFFSET "
        "หรือเงื่อนไขที่แคบลงเพื่อดูส่วนที่เหลือ",
        "The results reached the cap of {n} rows and were cut there: the rows beyond it were not "
        "sent. Add LIMIT/OFFSET or narrow the query to see the rest."),
    "sparql.shown_only": (
        "หน้านี้แสดง {shown} แถวแรกจาก {n} แถว ดาวน์โหลดเพื่อดูทั้งหมด",
        "This page shows the first {shown} of {n} rows; download them to see all."),
    "sparql.no_rows": ("ไม่พบผลลัพธ์ (0 แถว)", "No results (0 rows)."),
    "sparql.ask": ("คำตอบ", "Answer"),
    "sparql.true": ("ใช่ (true)", "Yes (true)"),
    "sparql.false": ("ไม่ใช่ (false)", "No (false)"),
    "sparql.error": ("คำค้นนี้ทำงานไม่สำเร็จ", "The query failed"),
    "sparql.download": ("ดาวน์โหลดผลลัพธ์ของคำค้นนี้", "Download the results of this query"),
    "sparql.examples": ("ตัวอย่างคำค้น", "Example queries"),
    "sparql.examples_intro": (
        "เลือกตัวอย่างเพื่อเปิดในช่องคำค้น แล้วกด ค้นหา คำอธิบายอยู่ในหมายเหตุ (#) ของแต่ละคำค้น",
        "Pick an example to open it in the editor, then run it; the comments (#) in each query "
        "explain it."),
    "sparql.row": ("ลำดับ", "Row"),
    "sparql.table_caption": ("ผลลัพธ์ของคำค้น", "Query results"),
    # /upload, the upload page for agency staff
    "upload.title": ("ส่งข้อมูลใบอนุญาต", "Publish licences"),
    "upload.language": ("ภาษา", "Language"),
    "upload.sign_in_heading": ("เข้าสู่ระบบด้วยรหัสหน่วยงาน", "Sign in with your agency key"),
    "upload.key_label": ("รหัสหน่วยงาน (API key)", "Agency key"),
    "upload.key_help": (
        "รหัสที่ได้รับจากผู้ดูแลแคตตาล็อก ขึ้นต้นด้วย clc_",
        "The key the catalogue administrators gave your agency; it starts with clc_."),
    "upload.sign_in": ("เข้าสู่ระบบ", "Sign in"),
    "upload.no_key": ("กรุณากรอกรหัสหน่วยงาน", "Enter your agency key."),
    "upload.bad_key": (
        "รหัสหน่วยงานไม่ถูกต้อง หรือถูกยกเลิกแล้ว กรุณาตรวจสอบแล้วลองอีกครั้ง",
        "This key is not valid or has been revoked. Check it and try again."),
    "upload.too_many": (
        "ใส่รหัสหน่วยงานผิดหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่",
        "Too many wrong keys. Please wait a minute and try again."),
    "upload.signed_in_as": ("เข้าสู่ระบบในนาม", "Signed in as"),
    "upload.sign_out": ("ออกจากระบบ", "Sign out"),
    "upload.upload_heading": ("ส่งไฟล์ใบอนุญาต", "Send a licence file"),
    "upload.steps": (
        [
            "ตรวจสอบไฟล์ก่อน (ยังไม่บันทึกข้อมูล)",
            "ถ้าพบปัญหา แก้ไขแถวนั้นใน Excel บันทึก แล้วเลือกไฟล์ใหม่และตรวจสอบอีกครั้ง",
            "เมื่อไม่มีปัญหา กด “เผยแพร่”",
        ],
        [
            "Check the file first (nothing is saved).",
            "If there are problems, fix those rows in Excel, save, choose the file again and "
            "check again.",
            "When there are no problems, press “Publish”.",
        ]),
    "upload.file_label": ("ไฟล์ใบอนุญาต (CSV UTF-8)", "Licence file (CSV UTF-8)"),
    "upload.file_help": (
        "ใน Excel เลือก “บันทึกเป็น” → “CSV UTF-8 (คั่นด้วยจุลภาค)” ใช้คอลัมน์ตามแบบฟอร์ม",
        "In Excel choose “Save As” → “CSV UTF-8 (Comma delimited)”. Use the template's columns."),
    "upload.template": ("ดาวน์โหลดแบบฟอร์ม licences.csv", "Download the licences.csv template"),
    "upload.dry_run": ("ตรวจสอบ (ยังไม่บันทึก)", "Check (dry run)"),
    "upload.publish": ("เผยแพร่", "Publish"),
    "upload.no_file": ("กรุณาเลือกไฟล์ CSV", "Choose a CSV file."),
    "upload.xlsx": (
        "ไฟล์นี้เป็นสมุดงาน Excel (.xlsx) ให้เปิดใน Excel แล้ว “บันทึกเป็น” → “CSV UTF-8 "
        "(คั่นด้วยจุลภาค)” ก่อน",
        "This is an Excel workbook (.xlsx). Open it in Excel and “Save As” → “CSV UTF-8 (Comma "
        "delimited)” first."),
    "upload.file_named": ("ไฟล์", "File"),
    "upload.problems_heading": (
        "พบปัญหา {n} รายการ ใน {rows} แถว — ยังไม่ได้บันทึกข้อมูลใด ๆ",
        "{n} problem(s) in {rows} row(s) — nothing was saved."),
    "upload.file_problems_heading": (
        "ไฟล์มีปัญหา {n} รายการ — ยังไม่ได้บันทึกข้อมูลใด ๆ",
        "{n} problem(s) with the file — nothing was saved."),
    "upload.out_of_scope": (
        "ไฟล์มีใบอนุญาตของหน่วยงานที่หน่วยงานของท่านไม่มีสิทธิ์เผยแพร่ — ยังไม่ได้บันทึกข้อมูลใด ๆ",
        "The file has licences of an issuer your agency may not publish for — nothing was saved."),
    "upload.fix_hint": (
        "แก้ไขแถวเหล่านี้ในไฟล์ บันทึก แล้วเลือกไฟล์ใหม่เพื่อตรวจสอบอีกครั้ง",
        "Fix these rows in the file, save it, choose it again and check again."),
    "upload.more_rows": (
        "แสดง {shown} แถวแรก จากทั้งหมด {total} แถวที่มีปัญหา",
        "Showing the first {shown} of {total} rows with problems."),
    "upload.row_n": ("แถวที่ {n}", "Row {n}"),
    "upload.whole_file": ("ทั้งไฟล์", "Whole file"),
    "upload.col_field": ("คอลัมน์", "Column"),
    "upload.col_rule": ("กฎ", "Rule"),
    "upload.col_message": ("ปัญหา", "Problem"),
    "upload.Violation": ("ต้องแก้ไข", "Must fix"),
    "upload.Warning": ("คำเตือน", "Warning"),
    "upload.row_in_file": ("แถวนี้ในไฟล์ของท่าน", "This row in your file"),
    "upload.dry_ok": (
        "ไฟล์ถูกต้อง: {rows} แถว ใบอนุญาต {licences} รายการ — ยังไม่ได้บันทึก",
        "The file is valid: {rows} row(s), {licences} licence(s) — nothing saved yet."),
    "upload.warnings": (
        "คำเตือน {n} รายการ (ไม่ขัดขวางการเผยแพร่ แต่โปรดตรวจสอบ)",
        "{n} warning(s) (these do not stop publishing, but please check them)"),
    "upload.publish_this": ("เผยแพร่ไฟล์นี้", "Publish this file"),
    "upload.choose_again": (
        "ไฟล์มีขนาดใหญ่ ให้เลือกไฟล์เดิมอีกครั้งแล้วกด “เผยแพร่”",
        "The file is large: choose it again and press “Publish”."),
    "upload.published": ("เผยแพร่แล้ว", "Published"),
    "upload.created": ("ใหม่", "New"),
    "upload.updated": ("ปรับปรุง", "Updated"),
    "upload.unchanged": ("ไม่เปลี่ยนแปลง", "Unchanged"),
    "upload.upload_id": ("รหัสการส่ง", "Upload id"),
    "upload.history_heading": ("ประวัติการส่งข้อมูลของหน่วยงาน", "Your agency's uploads"),
    "upload.history_empty": ("ยังไม่มีการส่งข้อมูล", "No uploads yet."),
    "upload.time": ("เวลา (เวลาประเทศไทย)", "Time (Thailand)"),
    # The error page a browser gets (web/errors.py): a heading by status, then the way forward
    "error.heading": (
        {400: "คำขอไม่ถูกต้อง", 401: "ต้องใช้รหัสหน่วยงาน", 403: "ไม่อนุญาตให้ทำรายการนี้",
         404: "ไม่พบหน้าที่ต้องการ", 405: "หน้านี้ไม่รับคำขอแบบนี้", 406: "ไม่มีข้อมูลในรูปแบบที่ขอ",
         413: "ข้อมูลที่ส่งมามีขนาดใหญ่เกินไป", 415: "ไม่รับข้อมูลประเภทนี้",
         422: "ข้อมูลไม่ผ่านการตรวจสอบ", 429: "มีคำขอมากเกินไป กรุณารอสักครู่",
         500: "ระบบขัดข้อง", 503: "ระบบยังไม่พร้อมให้บริการ"},
        {400: "The request is not valid", 401: "An agency key is needed",
         403: "This is not allowed", 404: "Page not found",
         405: "This page does not take this kind of request",
         406: "Not available in the format asked for", 413: "What was sent is too large",
         415: "This kind of content is not accepted", 422: "The data did not pass the checks",
         429: "Too many requests: please wait a moment", 500: "Something went wrong on our side",
         503: "The service is not available"}),
    "error.other_4xx": ("ทำรายการนี้ไม่ได้", "This request cannot be answered"),
    "error.code": ("รหัสข้อผิดพลาด", "Error code"),
    "error.try_later": ("กรุณาลองใหม่อีกครั้งภายหลัง", "Please try again later."),
    "error.home": ("กลับหน้าแรก", "Back to the home page"),
    "error.find_licence": ("ค้นหาใบอนุญาตด้วยเลขที่", "Find a licence by its number"),
    "error.find": ("ค้นหา", "Find"),
    "error.did_you_mean": ("คุณหมายถึง", "Did you mean"),
}


@cache
def words(lang: str, *areas: str) -> MappingProxyType[str, Any]:
    """The words of `areas` (and the common ones) in `lang`, by name within their area; an area
    named later wins over an earlier one. Read-only: every request shares it."""
    column = LANGUAGES.index(lang)
    chosen: dict[str, Any] = {}
    for area in (COMMON, *areas):
        prefix = area + "."
        chosen.update((mid.removeprefix(prefix), texts[column])
                      for mid, texts in MESSAGES.items() if mid.startswith(prefix))
    return MappingProxyType(chosen)


def message(message_id: str, lang: str) -> Any:
    """One message in `lang` (KeyError for an id not in MESSAGES)."""
    return MESSAGES[message_id][LANGUAGES.index(lang)]
