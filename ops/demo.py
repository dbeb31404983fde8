"""Deterministic synthetic licences that pass the standard, and rows that break each rule.

Holders, IDs and addresses are invented (IDs with valid check digits); agencies, licence types
and number formats come from the real catalogue.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import re

# The regex parser's own reading of a number pattern (Python ≥ 3.11, as the project requires).
import re._parser as sre_parse  # type: ignore[import-not-found]
from collections.abc import Iterator
from re._constants import (  # type: ignore[import-not-found]
    ANY,
    BRANCH,
    CATEGORY,
    CATEGORY_DIGIT,
    IN,
    LITERAL,
    MAX_REPEAT,
    MIN_REPEAT,
    NEGATE,
    NOT_LITERAL,
    RANGE,
    SUBPATTERN,
)

from registry.model import Catalogue
from registry.records import COLUMNS
from registry.thaiid import with_check_digit

SEED = 2567


def _sample(items, rng: random.Random) -> str:
    out = []
    for op, arg in items:
        if op == LITERAL:
            out.append(chr(arg))
        elif op == NOT_LITERAL:
            out.append("A" if chr(arg) != "A" else "B")
        elif op == ANY:
            out.append(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ"))
        elif op == IN:
            out.append(_pick_in(arg, rng))
        elif op == BRANCH:
            out.append(_sample(rng.choice(arg[1]), rng))
        elif op == SUBPATTERN:
            out.append(_sample(arg[-1], rng))
        elif op in (MAX_REPEAT, MIN_REPEAT):
            low, high, sub = arg
            high = min(high, low + 4)
            out.extend(_sample(sub, rng) for _ in range(rng.randint(low, high)))
        elif op == CATEGORY:
            out.append(str(rng.randint(0, 9)))
        else:                   # anchors (AT) and the like produce no text
            continue
    return "".join(out)


def _pick_in(items, rng: random.Random) -> str:
    choices: list[str] = []
    for op, arg in items:
        if op == NEGATE:
            return "A"
        if op == LITERAL:
            choices.append(chr(arg))
        elif op == RANGE:
            low, high = arg
            choices.append(chr(rng.randint(low, high)))
        elif op == CATEGORY and arg == CATEGORY_DIGIT:
            choices.append(str(rng.randint(0, 9)))
    return rng.choice(choices) if choices else "0"


_BE_YEAR = re.compile(r"25[0-9]{2}(?=[^0-9]*$)")
_BE_YEAR_SHORT = re.compile(r"(?<=/)[0-9]{2}$")          # "…/67" for 2567


def realistic_number(example: str, pattern: re.Pattern[str], rng: random.Random,
                     be_year: int) -> str:
    """A number shaped like the type's printed example (its letters kept, its digits new, its
    Buddhist-Era year the year of issue); a sample of the pattern when that does not fit."""
    if example:
        year = _BE_YEAR.search(example) or _BE_YEAR_SHORT.search(example)
        start, end = year.span() if year else (len(example), len(example))

        def fresh(text: str) -> str:
            return "".join(str(rng.randint(0, 9)) if ch.isdigit() else ch for ch in text)

        printed_year = str(be_year)[-(end - start):] if year else ""
        candidate = fresh(example[:start]) + printed_year + fresh(example[end:])
        if pattern.fullmatch(candidate):
            return candidate
    candidate = sample_number(pattern, rng)
    with_year = _BE_YEAR.sub(str(be_year), candidate, count=1)
    return with_year if pattern.fullmatch(with_year) else candidate


def sample_number(pattern: re.Pattern[str], rng: random.Random) -> str:
    """A random string matching `pattern` (tries until one fullmatches)."""
    parsed = sre_parse.parse(pattern.pattern)
    for _ in range(50):
        candidate = _sample(parsed, rng)
        if pattern.fullmatch(candidate):
            return candidate
    raise ValueError(f"could not generate a number for pattern {pattern.pattern}")


_FIRST_TH = ["สมชาย", "สมหญิง", "วิชัย", "มาลี", "ประเสริฐ", "กัลยา", "สุรชัย", "นภา", "อนุชา",
             "ปราณี", "ธนพล", "ศิริพร", "ชัยวัฒน์", "วรรณา", "ณัฐพล", "พิมพ์ชนก"]
_LAST_TH = ["ใจดี", "สุขสวัสดิ์", "ศรีสมบูรณ์", "วงศ์ไทย", "รัตนพันธ์", "ทองคำ", "บุญมา", "แสงทอง",
            "พูลสวัสดิ์", "จันทร์เพ็ญ", "เจริญผล", "มีสุข"]
_FIRST_EN = ["Somchai", "Somying", "Wichai", "Malee", "Prasert", "Kanlaya", "Surachai", "Napa",
             "Anucha", "Pranee", "Thanaphon", "Siriporn", "Chaiwat", "Wanna", "Nattaphon",
             "Pimchanok"]
_LAST_EN = ["Jaidee", "Suksawat", "Srisomboon", "Wongthai", "Rattanaphan", "Thongkham",
            "Boonma", "Saengthong", "Poonsawat", "Chanpen", "Charoenphon", "Meesuk"]
_COMPANY_TH = ["สยามฟู้ด", "รุ่งเรืองอุตสาหกรรม", "ไทยพัฒนา", "เจริญทรัพย์", "ศรีนคร", "ลานนาเทรดดิ้ง",
               "อีสานพัฒนา", "ทะเลใต้", "กรีนเอนเนอร์ยี", "ชัยมงคล"]
_COMPANY_EN = ["Siam Food", "Rungruang Industry", "Thai Pattana", "Charoensap", "Sri Nakhon",
               "Lanna Trading", "Isan Pattana", "Thale Tai", "Green Energy", "Chaimongkol"]
# Official Thai names (data/catalogue/provinces.csv), as the register stores them.
_PROVINCES = ["กรุงเทพมหานคร", "เชียงใหม่", "ขอนแก่น", "ชลบุรี", "ภูเก็ต", "นครราชสีมา", "สงขลา",
              "ระยอง", "พระนครศรีอยุธยา", "เชียงราย"]
_STREETS = ["ถนนสุขุมวิท", "ถนนเจริญกรุง", "ถนนนิมมานเหมินท์", "ถนนมิตรภาพ", "ถนนพหลโยธิน",
            "ถนนเพชรเกษม", "ถนนรัษฎา"]


def _holder(rng: random.Random) -> dict[str, str]:
    if rng.random() < 0.6:
        i = rng.randrange(len(_COMPANY_TH))
        ident = with_check_digit("0" + "".join(str(rng.randint(0, 9)) for _ in range(11)))
        return {"holder_type": "juristic", "holder_id": ident,
                "holder_name": f"บริษัท {_COMPANY_TH[i]} จำกัด",
                "holder_name_en": f"{_COMPANY_EN[i]} Co., Ltd."}
    first, last = rng.randrange(len(_FIRST_TH)), rng.randrange(len(_LAST_TH))
    ident = with_check_digit(str(rng.randint(1, 8)) + "".join(str(rng.randint(0, 9))
                                                            for _ in range(11)))
    return {"holder_type": "natural", "holder_id": ident,
            "holder_name": f"{_FIRST_TH[first]} {_LAST_TH[last]}",
            "holder_name_en": f"{_FIRST_EN[first]} {_LAST_EN[last]}"}


def demo_rows(catalogue: Catalogue, count: int, seed: int = SEED,
              today: dt.date = dt.date(2026, 11, 1), agency: str | None = None
              ) -> Iterator[dict[str, str]]:
    """`count` valid, distinct licence rows: the same rows for the same seed and catalogue.

    With `agency`, only issuers in that agency's scope (a batch that agency may upload).
    """
    rng = random.Random(seed)  # noqa: S311 — seeded on purpose: repeatable demo data, no secrets
    scope = catalogue.scope_of(agency) if agency else None
    types = [t for t in sorted(catalogue.types.values(), key=lambda t: t.code)
             if scope is None or t.authorities & scope]
    if not types:
        raise ValueError(f"agency {agency!r} may not publish any licence type")
    seen: set[tuple[str, str, str]] = set()
    produced = 0
    while produced < count:
        licence_type = rng.choice(types)
        issuer = rng.choice(sorted(licence_type.authorities if scope is None
                                   else licence_type.authorities & scope))
        issued = today - dt.timedelta(days=rng.randint(0, 365 * 6))
        if rng.random() < 0.95:
            number = realistic_number(licence_type.number_example, licence_type.pattern, rng,
                                      issued.year + 543)
        else:       # a number space larger than the example's, so big demo sets stay distinct
            number = sample_number(licence_type.pattern, rng)
        if (issuer, licence_type.code, number) in seen:
            continue
        seen.add((issuer, licence_type.code, number))
        years = licence_type.validity_years
        valid_until = issued + dt.timedelta(days=365 * years - 1) if years else None
        roll = rng.random()
        status, reason = "active", ""
        if roll < 0.04:
            status, reason = "suspended", "ไม่ปฏิบัติตามเงื่อนไขใบอนุญาต ระหว่างการตรวจสอบ"
        elif roll < 0.07:
            status, reason = "revoked", "ฝ่าฝืนกฎหมายซ้ำหลังได้รับคำเตือน"
        elif roll < 0.09:
            status = "surrendered"
        row = {column: "" for column in COLUMNS}
        row.update(_holder(rng))
        row.update({
            "licence_number": number, "licence_type": licence_type.code, "issuer": issuer,
            "premises_address": f"{rng.randint(1, 999)}/{rng.randint(1, 99)} "
                                f"{rng.choice(_STREETS)}",
            "province": rng.choice(_PROVINCES),
            # Half the rows write dates the Thai way (DD/MM/BE year) as Excel users do.
            "issued": _write_date(issued, rng), "status": status, "status_reason": reason,
            "valid_until": _write_date(valid_until, rng) if valid_until else "",
        })
        if rng.random() < 0.8:
            digest = hashlib.sha256(f"{issuer}/{licence_type.code}/{number}".encode()).hexdigest()
            restricted = rng.random() < 0.2
            row.update({
                "document_url": f"https://eservice.{issuer}.go.th/licences/{digest[:16]}.pdf",
                "document_sha256": digest, "document_media_type": "application/pdf",
                "document_access": "restricted" if restricted else "public",
                "document_login_url": (f"https://eservice.{issuer}.go.th/login" if restricted
                                       else ""),
            })
        if rng.random() < 0.3:
            row["conditions"] = "ต้องแสดงใบอนุญาตไว้ในที่เปิดเผย เห็นได้ง่าย ณ สถานประกอบการ"
        produced += 1
        yield row


def _write_date(value: dt.date, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return value.isoformat()
    return f"{value.day:02d}/{value.month:02d}/{value.year + 543}"


def rows_to_csv(rows, extra: tuple[str, ...] = ()) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*COLUMNS, *extra], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def bad_rows(catalogue: Catalogue) -> list[tuple[str, str, dict[str, str]]]:
    """(rule, field, row): one valid demo row broken in exactly one way per rule of the standard.

    docs/data-standard.md lists the rules; tests load these rows and expect that rule, that
    field, and nothing written.
    """
    base_rows = list(demo_rows(catalogue, 60, seed=7))
    juristic = next(r for r in base_rows if r["holder_type"] == "juristic" and r["document_url"])
    natural = next(r for r in base_rows if r["holder_type"] == "natural")
    other_type = next(t for t in sorted(catalogue.types.values(), key=lambda t: t.code)
                      if juristic["issuer"] not in t.authorities)
    outsider = next(a for a in sorted(catalogue.agencies) if a not in
                    catalogue.types[juristic["licence_type"]].authorities)

    def broken(**changes: str) -> dict[str, str]:
        return {**juristic, **changes}

    wrong_check = juristic["holder_id"][:12] + str((int(juristic["holder_id"][12]) + 1) % 10)
    natural_bad = natural["holder_id"][:12] + str((int(natural["holder_id"][12]) + 1) % 10)
    return [
        ("number-required", "licence_number", broken(licence_number="")),
        ("number-characters", "licence_number", broken(licence_number="12#4/2567")),
        ("number-characters", "licence_number", broken(licence_number="12//2567")),
        ("number-pattern", "licence_number", broken(licence_number="ZZZ-NOT-A-NUMBER-999")),
        ("type-required", "licence_type", broken(licence_type="")),
        ("type-exists", "licence_type", broken(licence_type="no-such-licence-type")),
        ("issuer-required", "issuer", broken(issuer="")),
        ("issuer-authority", "issuer", broken(issuer=outsider)),
        ("issued-required", "issued", broken(issued="")),
        ("dates-order", "valid_until", broken(issued="2024-05-01", valid_until="2024-04-30")),
        ("date-format", "issued", broken(issued="2024-02-30")),
        ("date-format", "valid_until", broken(valid_until="next year")),
        ("status-scheme", "status", broken(status="expired")),
        ("status-reason", "status_reason", broken(status="revoked", status_reason="")),
        ("holder-type", "holder_type", broken(holder_type="company")),
        ("holder-id-format", "holder_id", broken(holder_id="01055")),
        ("holder-id-checksum", "holder_id", broken(holder_id=wrong_check)),
        ("holder-id-checksum", "holder_id", {**natural, "holder_id": natural_bad}),
        ("holder-juristic-prefix", "holder_id", broken(holder_id=with_check_digit("110550012345"))),
        ("document-https", "document_url", broken(document_url="http://example.go.th/a.pdf")),
        ("document-https", "document_url", broken(document_url="javascript:alert(1)")),
        ("document-checksum", "document_sha256", broken(document_sha256="abc123")),
        ("document-media-type", "document_media_type", broken(document_media_type="pdf")),
        ("document-access", "document_access", broken(document_access="secret")),
        ("document-login-required", "document_login_url",
         broken(document_access="restricted", document_login_url="")),
        # a line break inside a spreadsheet cell, saved as a vertical tab
        ("text-control-characters", "premises_address",
         broken(premises_address=juristic["premises_address"].replace(" ", "\v", 1))),
        # An ID of its own: rows naming one juristic person describe one holder, named by the
        # other rows.
        ("holder-name-required", "holder_name",
         broken(holder_id=with_check_digit("010555600017"), holder_name="", holder_name_en="")),
        ("province-known", "province", broken(province="เชียงใม่")),      # a typing mistake
        ("related-licence-reference", "related_licences", broken(related_licences="factory 12")),
        ("related-licence-self", "related_licences", broken(related_licences="/".join(
            (juristic["issuer"], juristic["licence_type"], juristic["licence_number"])))),
        ("issuer-scope", "issuer", broken()),   # valid row; the uploading agency lacks scope
        ("date-buddhist-era", "issued", broken(issued="01/02/2566")),   # a warning only
    ] + [("type-exists", "licence_type", broken(licence_type=other_type.code + "-x"))]


def bad_rows_csv(catalogue: Catalogue) -> str:
    """The bad rows as the file `data/demo/bad-licences.csv`: the template's columns plus
    `expected_rule` and `expected_field` (strip those two before uploading it)."""
    return rows_to_csv([{**row, "expected_rule": rule, "expected_field": field}
                        for rule, field, row in bad_rows(catalogue)],
                       extra=("expected_rule", "expected_field"))
