"""Reading a JSON upload (SPEC §5): an array of licence objects, or `{"licences": [...]}`.

Each object has the CSV template's columns (English names) as keys and strings as values. The
body is checked against `data/schemas/licence-upload.json` (JSON Schema 2020-12, served at
`/schemas/licence-upload.json`) before anything is mapped, so a misspelt key, a missing
`licence_number` or a number where text belongs is refused naming the record and the field.
Records are numbered by their position in the array, starting at 1 (docs/decisions.md).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from publishing.formatbase import InvalidUploadFormat
from registry.paths import UPLOAD_SCHEMA
from registry.records import COLUMNS

SCHEMA_PATH = UPLOAD_SCHEMA
MAX_REPORTED = 20            # schema errors listed in one refusal
MAX_NUMBER_CHARS = 100       # a longer JSON number is refused (see parse_json)

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "true/false",
               int: "a number", float: "a number", type(None): "null"}


@lru_cache(maxsize=1)
def upload_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = upload_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidUploadFormat(
                f"The key {key!r} appears twice in one object; each field may be given once.",
                f"คีย์ {key!r} ซ้ำกันในออบเจกต์เดียว แต่ละฟิลด์ระบุได้ครั้งเดียว")
        out[key] = value
    return out


class _Refused(str):
    """A number (or NaN/Infinity) kept as its text by the parser, to be refused by name once
    its place in the document is known (the parser's hooks are not told where they are)."""


def _first_refused(document: Any) -> tuple[list[str | int], _Refused] | None:
    """The path to the first refused value in document order. Iterative: depth is no limit."""
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Refused):
            return path, node
        if isinstance(node, dict):
            stack.extend((value, [*path, key]) for key, value in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((value, [*path, n]) for n, value in reversed(list(enumerate(node))))
    return None


def _record_and_field(path: list[str | int]) -> tuple[int | None, str | None]:
    """Where a JSON upload's value is: (licence number from 1, field); None where not known."""
    if path[:1] == ["licences"]:
        path = path[1:]
    row = path[0] + 1 if path and isinstance(path[0], int) else None
    field = path[1] if row is not None and len(path) > 1 and isinstance(path[1], str) else None
    return row, field


def _refusal(path: list[str | int], value: _Refused) -> InvalidUploadFormat:
    where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    where = where.lstrip(".") or "the top level"
    row, field = _record_and_field(path)
    if value in ("NaN", "Infinity", "-Infinity"):
        what_en, what_th = f"{value} is not a JSON value", f"{value} ไม่ใช่ค่าใน JSON"
    else:
        what_en = (f"the number {value[:20]}… has {len(value):,} characters; numbers longer "
                   f"than {MAX_NUMBER_CHARS} characters are not accepted")
        what_th = (f"ตัวเลข {value[:20]}… ยาว {len(value):,} ตัวอักษร "
                   f"ไม่รับตัวเลขที่ยาวเกิน {MAX_NUMBER_CHARS} ตัวอักษร")
    return InvalidUploadFormat(
        f"At {where}: {what_en} (every field of a licence is text in quotes).",
        f"ที่ {where}: {what_th} (ทุกฟิลด์ของใบอนุญาตเป็นข้อความในเครื่องหมายคำพูด)",
        row=row, field=field)


def parse_json(body: bytes) -> Any:
    """The body as JSON (UTF-8, a BOM allowed), decoded once; errors give line and column.

    A number longer than MAX_NUMBER_CHARS (Python refuses to convert an integer of more than
    4,300 digits; no licence field is a number at all) and the non-JSON NaN and Infinity are
    refused naming where they are; for a JSON upload, `row` and `field` say which licence and
    field."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidUploadFormat(f"The body is not UTF-8 (byte {exc.start}).",
                                  f"ข้อมูลไม่ได้เข้ารหัสแบบ UTF-8 (ไบต์ที่ {exc.start})") from None
    refused: list[_Refused] = []

    def constant(raw: str) -> _Refused:
        refused.append(_Refused(raw))
        return refused[-1]

    def number(convert):
        return lambda raw: convert(raw) if len(raw) <= MAX_NUMBER_CHARS else constant(raw)

    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys,
                              parse_int=number(int), parse_float=number(float),
                              parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise InvalidUploadFormat(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            f"ข้อมูลไม่ใช่ JSON ที่ถูกต้อง: {exc.msg} ที่บรรทัด {exc.lineno} คอลัมน์ {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidUploadFormat("The JSON is nested too deeply.",
                                  "ข้อมูล JSON ซ้อนกันลึกเกินไป") from None
    if refused:
        found = _first_refused(document)
        raise _refusal(*found) if found else _refusal([], refused[0])
    return document


def _describe(error) -> tuple[int, str, str]:
    """(sort key, English, Thai) for one schema error, naming the record and the field."""
    path = list(error.absolute_path)
    if path and path[0] == "licences":
        path = path[1:]
    index = path[0] if path and isinstance(path[0], int) else None
    field = path[1] if len(path) > 1 else None
    if index is None:
        where_en, where_th = "The body", "ข้อมูล"
    else:
        where_en = f"Licence {index + 1} (array index {index})"
        where_th = f"ใบอนุญาตลำดับที่ {index + 1} (ตำแหน่ง {index} ในอาร์เรย์)"
    kind = error.validator
    if index is None:
        if kind == "maxItems":
            return -1, (f"The body holds more than {error.validator_value:,} licences; "
                        "split it into several uploads."), \
                (f"ข้อมูลมีใบอนุญาตเกิน {error.validator_value:,} รายการ "
                 "กรุณาแบ่งส่งเป็นหลายครั้ง")
        if kind == "additionalProperties" and isinstance(error.instance, dict):
            extra = ", ".join(repr(k) for k in sorted(error.instance) if k != "licences")
            return -1, (f"The body's object may only have the key 'licences'; got {extra}."), \
                f"ออบเจกต์ของข้อมูลมีได้เพียงคีย์ 'licences' แต่พบ {extra}"
        return -1, ("The body must be an array of licence objects or {\"licences\": [...]}; "
                    f"{error.message}."), \
            ("ข้อมูลต้องเป็นอาร์เรย์ของออบเจกต์ใบอนุญาต หรือ {\"licences\": [...]} "
             f"({error.message})")
    if kind == "required" and isinstance(error.instance, dict):
        missing = ", ".join(repr(k) for k in error.validator_value if k not in error.instance)
        return index, f"{where_en}: the required field(s) {missing} are missing.", \
            f"{where_th}: ไม่มีฟิลด์ที่จำเป็น {missing}"
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        extra = ", ".join(repr(k) for k in error.instance if k not in COLUMNS)
        return index, (f"{where_en}: field(s) {extra} are not template columns; use "
                       f"{', '.join(COLUMNS)}."), \
            f"{where_th}: ฟิลด์ {extra} ไม่มีในแบบฟอร์ม ใช้ได้เฉพาะ {', '.join(COLUMNS)}"
    got = _JSON_TYPES.get(type(error.instance), "another type")
    shown = json.dumps(error.instance, ensure_ascii=False)[:100]
    if field is not None:
        return index, (f"{where_en}, field {field!r}: the value must be text in quotes "
                       f"(a JSON string); got {got} {shown}."), \
            (f"{where_th} ฟิลด์ {field!r}: ค่าต้องเป็นข้อความในเครื่องหมายคำพูด (JSON string) "
             f"แต่ได้รับ {shown}")
    return index, f"{where_en}: must be an object with the template's fields; got {got} {shown}.", \
        f"{where_th}: ต้องเป็นออบเจกต์ที่มีฟิลด์ตามแบบฟอร์ม แต่ได้รับ {shown}"


def check_schema(document: Any) -> None:
    """Raise InvalidUploadFormat listing (up to MAX_REPORTED) schema violations, in order."""
    errors = list(itertools.islice(_validator().iter_errors(document), MAX_REPORTED + 1))
    if not errors:
        return
    described = sorted({_describe(e) for e in errors[:MAX_REPORTED]}, key=lambda d: (d[0], d[1]))
    more = " …and more." if len(errors) > MAX_REPORTED else ""
    more_th = " …และอื่น ๆ" if more else ""
    raise InvalidUploadFormat(
        "The JSON does not follow /schemas/licence-upload.json: "
        + " ".join(en for _i, en, _th in described) + more,
        "ข้อมูล JSON ไม่เป็นไปตาม /schemas/licence-upload.json: "
        + " ".join(th for _i, _en, th in described) + more_th)


def read_json(body: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a JSON upload, numbered from 1 by array position."""
    document = parse_json(body)
    check_schema(document)
    items = document["licences"] if isinstance(document, dict) else document
    return ((position, _as_row(position, item)) for position, item in enumerate(items, start=1))


def _as_row(position: int, item: dict[str, Any]) -> dict[str, str]:
    """A licence object as a row of text: `related_licences` given as an array (of references,
    or of {"issuer", "type", "number"}) becomes one cell, a reference a line."""
    related = item.get("related_licences")
    if not isinstance(related, list):
        return item
    lines = []
    for value in related:
        if isinstance(value, dict):
            if "/" in value["issuer"] + value["type"]:
                # Joined, the slash would move the split between type and number.
                raise InvalidUploadFormat(
                    f"related_licences: {json.dumps(value, ensure_ascii=False)[:200]} has a / "
                    "in its issuer or type code.",
                    f"related_licences: {json.dumps(value, ensure_ascii=False)[:200]} "
                    "มีเครื่องหมาย / ในรหัสหน่วยงานหรือประเภท", row=position, field="related_licences")
            value = f"{value['issuer']}/{value['type']}/{value['number']}"
        lines.append(value)
    return {**item, "related_licences": "\n".join(lines)}
