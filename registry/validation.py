"""The fast validator: SPEC §4 applied to one upload row at a time.

This is the path every upload takes. It enforces the same rules as `shapes/licence.ttl` (and the
rules SHACL cannot express), naming the same rule codes; `tests/test_standard_equivalence.py`
shows pyshacl and this module give the same verdict on every row of the test corpus. It exists
because pyshacl needs about 20 s per 1,000 licences (docs/benchmarks.md), and an agency's
batch can be 100,000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyoxigraph as ox

from registry import identifiers, thaiid
from registry.codedvalues import CodedValues, accepted
from registry.dates import InvalidDate, parse_date
from registry.hiddentext import describe, has_hidden_characters, hidden_characters
from registry.model import Catalogue
from registry.problems import WARNING, Problem, problem
from registry.records import ACCESS, HOLDER_TYPES, NEEDS_REASON, STATUSES, LicenceRecord
from registry.relatedlicences import read_references
from registry.rowvalues import CONTROL_CHARACTER_RE, normalise_row

# The top-level types of shapes/licence.ttl (clcshape:document-media-type): not "example",
# which RFC 4735 reserves for examples in documentation.
MEDIA_TYPE_RE = re.compile(
    r"(application|audio|font|haptics|image|message|model|multipart|text|video)"
    r"/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
# An https URL that is also a valid IRI: no spaces, quotes, angle brackets or other characters
# RFC 3987 forbids, so it can be stored as an IRI and shown as a link safely.
HTTPS_RE = re.compile(r"https://[^\s<>\"{}|\\^`\x00-\x1f\x7f]+")
# CONTROL_CHARACTER_RE (registry/rowvalues.py): C0 control characters but tab, line feed and
# carriage return, and DEL (clcshape:text-control-characters).
# The columns stored as the agency wrote them. The others are codes, dates, IDs, URLs and
# checksums, which their own rules refuse when they hold such a character.
FREE_TEXT_COLUMNS = ("licence_number", "holder_name", "holder_name_en", "premises_address",
                     "province", "status_reason", "conditions")


@dataclass
class ValidationContext:
    catalogue: Catalogue
    agency: str | None = None          # the uploading agency; None: scope is not checked
    scope: frozenset[str] = field(default_factory=frozenset)
    base: str = ""                     # where IRIs given in RDF uploads must live
    # The catalogue's readings of coded values (titles, names), built once per upload.
    coded: CodedValues = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.coded = CodedValues(self.catalogue)

    @classmethod
    def for_agency(cls, catalogue: Catalogue, agency: str | None, base: str = ""
                   ) -> ValidationContext:
        return cls(catalogue, agency, catalogue.scope_of(agency) if agency else frozenset(), base)


def is_https_url(value: str) -> bool:
    """An https URL with a host that is also a valid IRI (as pyoxigraph, which stores it,
    checks)."""
    if HTTPS_RE.fullmatch(value) is None:
        return False
    try:
        ox.NamedNode(value)
        return bool(urlsplit(value).hostname)
    except ValueError:
        return False


def control_character(value: str) -> int | None:
    """Where (0-based, in `value` as given) the first control character is that would be
    stored, i.e. inside the value once its edge white space is trimmed; None if there is none."""
    start = len(value) - len(value.lstrip())
    found = CONTROL_CHARACTER_RE.search(value, start, start + len(value.strip()))
    return None if found is None else found.start()


def check_row(row: int | str, raw: dict[str, str], ctx: ValidationContext
              ) -> tuple[LicenceRecord | None, list[Problem]]:
    """One row → a checked record (None when any Violation) and every problem found.

    The row's values are read first (registry/rowvalues.py: Thai words for codes, provinces,
    dates), then checked as the standard says."""
    raw, problems = normalise_row(row, raw, ctx.coded)
    add = problems.append

    def get(name: str) -> str:
        return (raw.get(name) or "").strip()

    # 1. number, type, issuer; the number's canonical form and its type's pattern
    printed = get("licence_number")
    number = None
    if not printed:
        add(problem(row, "licence_number", "number-required"))
    else:
        try:
            number = identifiers.canonical_number(printed)
        except identifiers.InvalidNumber as exc:
            add(problem(row, "licence_number", exc.rule, exc.en, exc.th))
    type_code = get("licence_type")
    licence_type = ctx.catalogue.types.get(type_code)
    if not type_code:
        add(problem(row, "licence_type", "type-required"))
    elif licence_type is None:
        closest = ", ".join(f"{t.code} ({t.title_th})"
                            for t in ctx.coded.closest_types(type_code))
        add(problem(row, "licence_type", "type-exists",
                    f"Unknown licence type {type_code[:200]!r}."
                    + (f" Closest: {closest}." if closest else ""),
                    f"ไม่พบประเภทใบอนุญาต {type_code[:200]!r}"
                    + (f" ประเภทที่ใกล้เคียง: {closest}" if closest else "")))
    issuer = get("issuer")
    if not issuer:
        add(problem(row, "issuer", "issuer-required"))
    elif licence_type is not None and issuer not in licence_type.authorities:
        unknown_en = unknown_th = ""
        if issuer not in ctx.catalogue.agencies:
            closest = ", ".join(f"{a.code} ({a.label_th})"
                                for a in ctx.coded.closest_agencies(issuer))
            unknown_en = f" No agency has the code {issuer[:100]!r}" + (
                f"; closest: {closest}." if closest else ".")
            unknown_th = f" ไม่มีหน่วยงานรหัส {issuer[:100]!r}" + (
                f" รหัสที่ใกล้เคียง: {closest}" if closest else "")
        add(problem(row, "issuer", "issuer-authority",
                    f"{issuer[:100]!r} may not issue {type_code!r}; its authorities are "
                    f"{', '.join(sorted(licence_type.authorities))}.{unknown_en}",
                    f"{issuer[:100]!r} ไม่มีอำนาจออกใบอนุญาต {type_code!r} หน่วยงานที่มีอำนาจคือ "
                    f"{', '.join(sorted(licence_type.authorities))}{unknown_th}"))
    if number is not None and licence_type is not None:
        try:
            identifiers.check_number_pattern(number, licence_type.pattern, type_code)
        except identifiers.InvalidNumber as exc:
            add(problem(row, "licence_number", exc.rule, exc.en, exc.th))
    # 3. the uploading agency's scope
    if issuer and ctx.agency is not None and issuer not in ctx.scope:
        add(problem(row, "issuer", "issuer-scope",
                    f"Agency {ctx.agency!r} may publish for {', '.join(sorted(ctx.scope))}, "
                    f"not {issuer!r}.",
                    f"หน่วยงาน {ctx.agency!r} เผยแพร่ได้เฉพาะ {', '.join(sorted(ctx.scope))} "
                    f"ไม่ใช่ {issuer!r}"))

    # 3b. the licences this one requires: well formed, not itself (existence: the store's)
    related, found = read_references(
        row, raw.get("related_licences") or "", ctx.base,
        identifiers.LicenceKey(issuer, type_code, number) if number else None)
    problems.extend(found)

    given_iri = raw.get("_iri")
    if given_iri:
        _check_given_iri(row, given_iri, identifiers.LicenceKey(issuer, type_code, number)
                         if number else None, ctx, add)

    # 4–5. dates (read, and Buddhist-Era years converted, by normalise_row)
    issued = valid_until = None
    for column in ("issued", "valid_until"):
        text = get(column)
        if not text:
            if column == "issued":
                add(problem(row, column, "issued-required"))
            continue
        try:
            parsed = parse_date(text)
        except InvalidDate as exc:
            add(problem(row, column, "date-format", exc.en, exc.th))
            continue
        if column == "issued":
            issued = parsed.value
        else:
            valid_until = parsed.value
    if issued and valid_until and valid_until < issued:
        add(problem(row, "valid_until", "dates-order",
                    f"{valid_until.isoformat()} is before {issued.isoformat()}.",
                    f"{valid_until.isoformat()} อยู่ก่อน {issued.isoformat()}"))

    # 6. status
    status = get("status").lower() or "active"
    reason = get("status_reason")
    if status not in STATUSES:
        write_en, write_th = accepted("status")
        add(problem(row, "status", "status-scheme", f"Got {status[:100]!r}. {write_en}",
                    f"ค่าที่ได้รับ {status[:100]!r} {write_th}"))
    elif status in NEEDS_REASON and not reason:
        add(problem(row, "status_reason", "status-reason"))

    # 7. holder
    holder_type = get("holder_type").lower()
    holder_id = thaiid.canonical_id(get("holder_id"))
    if holder_type not in HOLDER_TYPES:
        write_en, write_th = accepted("holder_type")
        add(problem(row, "holder_type", "holder-type", f"Got {holder_type[:100]!r}. {write_en}",
                    f"ค่าที่ได้รับ {holder_type[:100]!r} {write_th}"))
    # A name in a language other than th/en is a name all the same (labels-language refuses it).
    elif holder_type == "juristic" and not (get("holder_name") or get("holder_name_en")
                                            or raw.get("_labels_bad_language")):
        add(problem(row, "holder_name", "holder-name-required"))
    if holder_id or holder_type == "juristic":
        thirteen = thaiid.is_thirteen_digits(holder_id)
        if not thirteen:
            add(problem(row, "holder_id", "holder-id-format"))
        # Whatever its length, as clcshape:holder-juristic-prefix checks it (pattern ^0).
        if holder_type == "juristic" and holder_id and not holder_id.startswith("0"):
            add(problem(row, "holder_id", "holder-juristic-prefix"))
        if thirteen and not thaiid.has_valid_check_digit(holder_id):
            add(problem(row, "holder_id", "holder-id-checksum"))

    # 8. document
    url = get("document_url")
    login = get("document_login_url")
    for column, value in (("document_url", url), ("document_login_url", login)):
        if value and not is_https_url(value):
            add(problem(row, column, "document-https", f"Got {value[:200]!r}.",
                        f"ค่าที่ได้รับ {value[:200]!r}"))
    sha = get("document_sha256").lower()
    if sha and SHA256_RE.fullmatch(sha) is None:
        add(problem(row, "document_sha256", "document-checksum"))
    media_type = get("document_media_type").lower()
    if media_type and MEDIA_TYPE_RE.fullmatch(media_type) is None:
        add(problem(row, "document_media_type", "document-media-type",
                    f"Got {media_type[:100]!r}.", f"ค่าที่ได้รับ {media_type[:100]!r}"))
    access = get("document_access").lower() or "public"
    if access not in ACCESS:
        write_en, write_th = accepted("document_access")
        add(problem(row, "document_access", "document-access",
                    f"Got {access[:50]!r}. {write_en}", f"ค่าที่ได้รับ {access[:50]!r} {write_th}"))
    elif access == "restricted" and not login:
        add(problem(row, "document_login_url", "document-login-required"))

    # 9. labels: reachable from RDF uploads only (a CSV row has one th and one en column); the
    # reader (publishing/rdfinput.py) passes the names it could not place.
    bad_language = raw.get("_labels_bad_language")
    if bad_language:
        add(problem(row, "holder_name", "labels-language", f"Got {bad_language[:300]}.",
                    f"ค่าที่ได้รับ {bad_language[:300]}"))
    for language in (raw.get("_labels_duplicate") or "").split():
        add(problem(row, "holder_name_en" if language == "en" else "holder_name",
                    "labels-unique", f"More than one name in {language!r}.",
                    f"มีชื่อภาษา {language!r} มากกว่าหนึ่งชื่อ"))

    # Free text: no control characters (one search a value; the position only on a hit)
    for column in FREE_TEXT_COLUMNS:
        free_text = raw.get(column)
        if free_text and CONTROL_CHARACTER_RE.search(free_text):
            at = control_character(free_text)
            if at is not None:
                code_point = f"U+{ord(free_text[at]):04X}"
                add(problem(row, column, "text-control-characters",
                            f"{column} has {code_point} at character {at + 1}.",
                            f"{column} มีอักขระ {code_point} ที่ตำแหน่งที่ {at + 1}"))
    # Free text: characters a reader cannot see (a warning; the value is stored as given and
    # the pages flag it), naming the first one, where it is, and how many there are. One search
    # over the row's text first (on 20,000 demo rows 59 ms, against 143 ms column by column).
    texts = [raw.get(column) or "" for column in FREE_TEXT_COLUMNS]
    if has_hidden_characters("\n".join(texts)):
        for column, value in zip(FREE_TEXT_COLUMNS, texts, strict=True):
            if hidden := hidden_characters(value):
                at, first = hidden[0]
                count = f"{len(hidden)} such character{'s' if len(hidden) > 1 else ''}"
                add(problem(row, column, "text-hidden-characters",
                            f"{column} has {describe(first)} at character {at + 1} ({count} "
                            "in all).",
                            f"{column} มีอักขระ {describe(first)} ที่ตำแหน่งที่ {at + 1}"
                            f" (มีอักขระลักษณะนี้ทั้งหมด {len(hidden)} ตัว)"))

    if any(p.severity != WARNING for p in problems):
        return None, problems
    if number is None or issued is None:    # each is a Violation above when missing or wrong
        raise AssertionError("a row without violations has a licence number and issue date")
    record = LicenceRecord(
        row=row, key=identifiers.LicenceKey(issuer, type_code, number), printed_number=printed,
        issued=issued, valid_until=valid_until, status=status, status_reason=reason,
        holder_type=holder_type, holder_id=holder_id if holder_type == "juristic" else "",
        holder_name=get("holder_name"), holder_name_en=get("holder_name_en"),
        premises_address=get("premises_address"), province=get("province"),
        conditions=get("conditions"), document_url=url, document_sha256=sha,
        document_media_type=media_type, document_access=access, document_login_url=login,
        related_licences=related)
    return record, problems


def _check_given_iri(row, given: str, key: identifiers.LicenceKey | None,
                     ctx: ValidationContext, add) -> None:
    """An IRI the upload gave (RDF `@id`, subject or graph) must be the minted one, and never
    one of another agency's issuers: naming it is an attempt to write there (issuer-scope)."""
    try:
        named = identifiers.parse_licence_iri(ctx.base, given)
    except (identifiers.InvalidCode, identifiers.InvalidNumber, UnicodeDecodeError):
        add(problem(row, "@id", "record-iri", f"Got {given[:200]!r}.", f"ค่าที่ได้รับ {given[:200]!r}"))
        return
    if ctx.agency is not None and named.issuer not in ctx.scope:
        add(problem(row, "@id", "issuer-scope",
                    f"{given[:200]!r} belongs to issuer {named.issuer!r}, outside the scope of "
                    f"{ctx.agency!r}.",
                    f"{given[:200]!r} เป็นของหน่วยงาน {named.issuer!r} "
                    f"ซึ่งอยู่นอกขอบเขตของ {ctx.agency!r}"))
    elif key is not None and named != key:
        add(problem(row, "@id", "record-iri",
                    f"Got {given[:200]!r}; the record's IRI is "
                    f"{identifiers.licence_iri(ctx.base, key)!r}.",
                    f"ค่าที่ได้รับ {given[:200]!r} แต่ IRI ของระเบียนคือ "
                    f"{identifiers.licence_iri(ctx.base, key)!r}"))


def check_batch(rows, ctx: ValidationContext) -> tuple[list[LicenceRecord], list[Problem]]:
    """Every row checked, plus SPEC §4.10: one (issuer, type, number) at most once per batch;
    and a warning where one juristic person is named differently in two rows."""
    records: list[LicenceRecord] = []
    problems: list[Problem] = []
    first_row: dict[identifiers.LicenceKey, int | str] = {}
    first_holder: dict[str, LicenceRecord] = {}
    for row, raw in rows:
        record, found = check_row(row, raw, ctx)
        problems.extend(found)
        if record is None:
            continue
        earlier = first_row.setdefault(record.key, row)
        if earlier != row:
            problems.append(problem(row, "licence_number", "batch-duplicate",
                                    f"The same licence is also in row {earlier}.",
                                    f"ใบอนุญาตเดียวกันอยู่ในแถวที่ {earlier} แล้ว"))
            continue
        if record.holder_id:
            named = first_holder.setdefault(record.holder_id, record)
            if named is not record:
                problems.extend(_names_differ(record, named))
        records.append(record)
    return records, problems


def _names_differ(record: LicenceRecord, first: LicenceRecord) -> list[Problem]:
    """Warnings for names of the same juristic person that differ from the first row's, per
    language, where both rows give one (white space runs folded, case ignored)."""
    def folded(name: str) -> str:
        return " ".join(name.split()).casefold()
    found = []
    for column in ("holder_name", "holder_name_en"):
        ours, theirs = getattr(record, column), getattr(first, column)
        if ours and theirs and folded(ours) != folded(theirs):
            found.append(problem(
                record.row, column, "holder-name-differs",
                f"Row {first.row} names {record.holder_id} {theirs!r}; this row {ours!r}.",
                f"แถวที่ {first.row} ระบุชื่อ {record.holder_id} ว่า {theirs!r} "
                f"แถวนี้ระบุว่า {ours!r}"))
    return found
