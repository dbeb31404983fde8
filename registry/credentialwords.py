"""The words of a credential check (registry/credentialcheck.py), in Thai and English: one row
per problem code and per effective status. The codes are stable (API clients and scripts read
them); the words may be improved. The CLI prints both languages; the web page shows the
visitor's (resolver/verify.py reads the same table for its JSON answer).
"""

from __future__ import annotations

# code: (Thai, English)
PROBLEM_WORDS: dict[str, tuple[str, str]] = {
    # The input itself.
    "not-json": ("ข้อมูลที่ส่งมาไม่ใช่ JSON", "The input is not JSON."),
    "too-large": ("ข้อมูลที่ส่งมามีขนาดใหญ่เกินกว่าจะเป็นข้อมูลรับรองดิจิทัล",
                  "The input is too large to be a credential."),
    "not-a-credential": ("ข้อมูลที่ส่งมาไม่ใช่ข้อมูลรับรองดิจิทัล (Verifiable Credential)",
                         "The input is not a verifiable credential."),
    # The credential's proof (registry/dataintegrity.py VerificationResult codes).
    "no-proof": ("ข้อมูลรับรองนี้ไม่มีลายมือชื่อดิจิทัล", "The credential has no proof."),
    "proof-set": ("ข้อมูลรับรองนี้มีลายมือชื่อดิจิทัลหลายชุด ทะเบียนรับเพียงชุดเดียว",
                  "The credential has several proofs; the register accepts one."),
    "unsupported-proof": ("ลายมือชื่อดิจิทัลไม่ใช่แบบ eddsa-rdfc-2022 ที่ทะเบียนใช้",
                          "The proof is not of the eddsa-rdfc-2022 kind the register uses."),
    "bad-proof": ("ลายมือชื่อดิจิทัลมีรูปแบบไม่ถูกต้อง", "The proof is malformed."),
    "wrong-purpose": ("ลายมือชื่อดิจิทัลไม่ได้ทำขึ้นเพื่อรับรองข้อมูล (assertionMethod)",
                      "The proof was not made for assertions (assertionMethod)."),
    "unknown-key": ("กุญแจที่ใช้ลงลายมือชื่อไม่อยู่ในเอกสาร DID ของทะเบียน",
                    "The signing key is not listed in the register's DID document."),
    "bad-proof-value": ("ค่าลายมือชื่อ (proofValue) ไม่ใช่ลายมือชื่อ Ed25519",
                        "The proofValue is not an Ed25519 signature."),
    "invalid-document": ("ข้อมูลรับรองนี้ไม่ใช่ JSON-LD ที่ตรวจสอบได้ "
                         "(เช่น อ้างถึง @context ภายนอกซึ่งทะเบียนไม่ดึงมา)",
                         "The credential is not JSON-LD that can be checked (for example, it "
                         "names an outside @context, which the register never fetches)."),
    "signature-mismatch": ("ลายมือชื่อไม่ตรงกับข้อมูลรับรอง: มีการแก้ไขข้อมูลหลังลงนาม "
                           "หรือลงนามด้วยกุญแจอื่น",
                           "The signature does not match: the credential was changed after "
                           "signing, or signed with another key."),
    "other-issuer": ("ข้อมูลรับรองนี้ไม่ได้ออกโดยทะเบียนนี้ (ผู้ออกหรือกุญแจเป็น DID อื่น)",
                     "The credential was not issued by this register (its issuer or key "
                     "belongs to another DID)."),
    "no-did-document": ("ไม่มีเอกสาร DID ของทะเบียนให้ใช้ตรวจสอบ",
                        "The register's DID document is not available to check against."),
    "invalid-dates": ("วันที่เริ่มหรือสิ้นสุดของข้อมูลรับรองไม่ใช่วันเวลาที่ถูกต้อง",
                      "The credential's validFrom or validUntil is not a valid date-time."),
    # Its status.
    "status-missing": ("ข้อมูลรับรองนี้ไม่มีรายการสถานะการเพิกถอนและการพักใช้",
                       "The credential has no revocation and suspension status entries."),
    "status-entry-invalid": ("รายการสถานะ (credentialStatus) ของข้อมูลรับรองไม่ถูกต้อง",
                             "A status entry (credentialStatus) of the credential is malformed."),
    "status-list-unavailable": ("หารายการสถานะที่ข้อมูลรับรองอ้างถึงไม่พบ",
                                "The status list the credential names cannot be found."),
    "status-list-unverified": ("ลายมือชื่อของรายการสถานะตรวจสอบไม่ผ่าน",
                               "The status list's proof does not verify."),
    "status-list-other-issuer": ("รายการสถานะไม่ได้ออกโดยทะเบียนนี้",
                                 "The status list was not issued by this register."),
    "status-list-purpose": ("รายการสถานะมีวัตถุประสงค์ไม่ตรงกับที่ข้อมูลรับรองอ้างถึง",
                            "The status list's purpose is not the one the credential names."),
    "status-list-invalid": ("รายการสถานะอ่านไม่ได้ หรือไม่มีตำแหน่งที่ข้อมูลรับรองอ้างถึง",
                            "The status list cannot be read, or has no entry at the credential's "
                            "index."),
}

# Effective status: (Thai, English)
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "active": ("ใช้ได้: ลายมือชื่อถูกต้อง ไม่ถูกเพิกถอน ไม่ถูกพักใช้ และยังไม่หมดอายุ",
               "Valid: the proof verifies, and it is not revoked, suspended or expired."),
    "revoked": ("ถูกเพิกถอนแล้ว (รวมถึงการคืนใบอนุญาตหรือการออกใบแทน)",
                "Revoked (this includes a licence surrendered or replaced)."),
    "suspended": ("ถูกพักใช้", "Suspended."),
    "expired": ("หมดอายุแล้ว", "Expired."),
    "not-yet-valid": ("ยังไม่ถึงวันเริ่มใช้", "Not valid yet."),
    "unknown": ("ไม่ทราบสถานะ: ตรวจสอบไม่สำเร็จ ดูปัญหาที่พบ",
                "Unknown: the check did not succeed; see the problems found."),
}


def problem_words(code: str) -> tuple[str, str]:
    return PROBLEM_WORDS[code]


def status_words(status: str) -> tuple[str, str]:
    return STATUS_WORDS[status]
