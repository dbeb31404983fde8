"""Problems found in uploaded records, in the report format of SPEC §5, and their summary.

The wording of each rule comes from the data standard itself (`shapes/licence.ttl`, `sh:message`
@th/@en, and `rdfs:label` for the rule's short name), so the SHACL shapes and the pipeline speak
with one voice. `summarise` folds repeated problems into one line each (712 Buddhist-Era dates are
one line with the count and the first rows); `report_csv` is the report as a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable

import pyoxigraph as ox

from registry.csvsafe import safe_csv
from registry.paths import SHAPES_DIR, turtle_files
from registry.records import COLUMNS

VIOLATION = "Violation"
WARNING = "Warning"
_SH = "http://www.w3.org/ns/shacl#"
_SHAPE_NS = "https://w3id.org/clc/shapes#"
_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_FIELD = "https://w3id.org/clc/def#field"


@dataclass(frozen=True, slots=True)
class RuleText:
    th: str
    en: str
    severity: str
    label_th: str = ""          # the rule's short name (rdfs:label), for headlines
    label_en: str = ""


@dataclass(frozen=True, slots=True)
class RuleShape:
    """One shape or pipeline rule of the standard: its code, wording, severity, columns."""

    code: str
    messages: dict[str, str]
    labels: dict[str, str]
    severity: str
    fields: frozenset[str]

    def text(self) -> RuleText:
        return RuleText(self.messages.get("th", self.messages.get("en", self.code)),
                        self.messages.get("en", self.code), self.severity,
                        self.labels.get("th", self.labels.get("en", self.code)),
                        self.labels.get("en", self.code))


@lru_cache(maxsize=1)
def rule_shapes() -> tuple[RuleShape, ...]:
    """Every shape and pipeline rule of the standard with a message, in the order of the files."""
    return read_rule_shapes(SHAPES_DIR)


def read_rule_shapes(shapes_dir: Traversable) -> tuple[RuleShape, ...]:
    """Every shape and pipeline rule with a message in `shapes_dir`, in the order of the files."""
    found: dict[str, dict] = {}
    for resource in turtle_files(shapes_dir):
        for quad in ox.parse(resource.read_bytes(), format=ox.RdfFormat.TURTLE):
            subject = quad.subject
            if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(_SHAPE_NS):
                continue
            shape = found.setdefault(subject.value, {"messages": {}, "labels": {},
                                                     "severity": VIOLATION, "fields": set()})
            predicate, value = quad.predicate.value, quad.object
            if predicate == _SH + "message" and isinstance(value, ox.Literal):
                shape["messages"].setdefault(value.language or "en", value.value)
            elif predicate == _LABEL and isinstance(value, ox.Literal):
                shape["labels"].setdefault(value.language or "en", value.value)
            elif predicate == _SH + "severity":
                shape["severity"] = value.value[len(_SH):]
            elif predicate == _FIELD and isinstance(value, ox.Literal):
                shape["fields"].add(value.value)
    return tuple(RuleShape(iri[len(_SHAPE_NS):].split("--")[0], s["messages"], s["labels"],
                        s["severity"], frozenset(s["fields"]))
                 for iri, s in found.items() if s["messages"])


@lru_cache(maxsize=1)
def rule_texts(shapes_dir: Traversable = SHAPES_DIR) -> dict[str, RuleText]:
    """rule code → its messages and severity, read from the shapes (variants `code--x` fold:
    the first shape of the code speaks for it; `rule_text` picks the variant of a column)."""
    texts: dict[str, RuleText] = {}
    for shape in (rule_shapes() if shapes_dir == SHAPES_DIR else read_rule_shapes(shapes_dir)):
        texts.setdefault(shape.code, shape.text())
    return texts


@lru_cache(maxsize=512)
def rule_text(rule: str, field: str = "") -> RuleText:
    """The wording of `rule` for a problem in column `field`: the variant that names the column
    (date-format of `valid_until` speaks of the expiry date), else the rule's own."""
    for shape in rule_shapes():
        if shape.code == rule and field in shape.fields:
            return shape.text()
    return rule_texts().get(rule) or RuleText(rule, rule, VIOLATION, rule, rule)


@dataclass(frozen=True, slots=True)
class Problem:
    row: int | str | None   # spreadsheet row (header is row 1), node IRI; None: the whole file
    field: str
    rule: str
    severity: str
    th: str
    en: str

    def as_json(self) -> dict:
        return {"row": self.row, "field": self.field, "rule": self.rule,
                "severity": self.severity, "message": {"th": self.th, "en": self.en}}

    @classmethod
    def from_json(cls, body: dict) -> Problem:
        """The problem of an `as_json()` body (a stored report, an API answer)."""
        return cls(body["row"], body["field"] or "", body["rule"], body["severity"],
                   body["message"]["th"], body["message"]["en"])


def problem(row: int | str | None, field: str, rule: str, en: str = "", th: str = ""
            ) -> Problem:
    """A problem worded by the standard, with the specific detail (value, expected form) after
    it."""
    text = rule_text(rule, field)
    return Problem(row, field, rule, text.severity,
                   f"{text.th} {th}".strip() if th else text.th,
                   f"{text.en} {en}".strip() if en else text.en)


# --- Summaries: repeated problems as one line each -------------------------------------------

MAX_DETAILS = 3         # a group's distinct details named in its line; more are counted
MAX_DISTINCT_COUNTED = 1000     # distinct details counted in a group; past it, "more than"


@dataclass(frozen=True, slots=True)
class ProblemSummary:
    """The problems of one rule in one column: how many, the first rows, one line th/en."""

    severity: str
    rule: str
    field: str
    count: int
    rows: tuple[int | str | None, ...]      # the first rows, in file order, each once
    th: str
    en: str

    def as_json(self) -> dict:
        return {"rule": self.rule, "field": self.field, "severity": self.severity,
                "count": self.count, "rows": list(self.rows),
                "message": {"th": self.th, "en": self.en}}


class _Group:
    """The problems of one (severity, rule, field) as they are counted."""

    __slots__ = ("first", "count", "rows", "seen_rows", "details")

    def __init__(self, first: Problem):
        self.first = first
        self.count = 0
        self.rows: list[int | str | None] = []                # the first rows
        self.seen_rows: set[int | str | None] = set()         # every row
        self.details: dict[tuple[str, str], None] = {}      # distinct (en, th), in order

    def add(self, found: Problem, first_rows: int) -> None:
        self.count += 1
        if found.row not in self.seen_rows:
            self.seen_rows.add(found.row)
            if len(self.rows) < first_rows:
                self.rows.append(found.row)
        if len(self.details) < MAX_DISTINCT_COUNTED:
            self.details.setdefault(_details(found), None)


def _details(found: Problem) -> tuple[str, str]:
    """What a problem says beyond its rule's text (the value, the expected form)."""
    text = rule_text(found.rule, found.field)
    return (found.en.removeprefix(text.en).strip() if found.en.startswith(text.en) else found.en,
            found.th.removeprefix(text.th).strip() if found.th.startswith(text.th) else found.th)


def summarise(problems: Iterable[Problem], first_rows: int = 10) -> list[ProblemSummary]:
    """`problems` grouped by (severity, rule, field): violations first, then the most frequent;
    each group with its count, its first `first_rows` rows, and one line in Thai and English."""
    groups: dict[tuple[str, str, str], _Group] = {}
    for found in problems:
        key = (found.severity, found.rule, found.field)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(found)
        group.add(found, first_rows)
    ordered = sorted(enumerate(groups.values()),
                     key=lambda item: (item[1].first.severity == WARNING, -item[1].count, item[0]))
    return [_summary(group) for _, group in ordered]


def _summary(group: _Group) -> ProblemSummary:
    """One line: how many, where (the column), what (the rule's text, and the details when they
    are few), and the first rows."""
    first = group.first
    rows_en, rows_th = _rows_text(group.rows, len(group.seen_rows))
    column_en, column_th = _column_text(first.field)
    if group.count == 1:
        en, th = f"{column_en}{first.en} {rows_en}", f"{column_th}{first.th} {rows_th}"
    else:
        text = rule_text(first.rule, first.field)
        what_en = text.en if first.en.startswith(text.en) else first.rule
        what_th = text.th if first.th.startswith(text.th) else first.rule
        details = [d for d in group.details if any(d)]
        if len(group.details) > MAX_DETAILS:
            more = "more than " if len(group.details) >= MAX_DISTINCT_COUNTED else ""
            more_th = "มากกว่า" if more else ""
            what_en += f" ({more}{len(group.details):,} different details: see each row.)"
            what_th += f" (รายละเอียดต่างกัน{more_th} {len(group.details):,} แบบ ดูที่แต่ละแถว)"
        else:
            what_en += _joined([en for en, _ in details if en], ".")
            what_th += _joined([th for _, th in details if th], "")
        en = f"{group.count:,} × {column_en}{what_en} {rows_en}"
        th = f"{group.count:,} รายการ {column_th}{what_th} {rows_th}"
    return ProblemSummary(first.severity, first.rule, first.field, group.count,
                          tuple(group.rows), th, en)


def _joined(details: list[str], stop: str) -> str:
    """" 'x' is not a date; 'y' is not a date." (nothing for no details)."""
    if not details:
        return ""
    text = "; ".join(d.rstrip(".") for d in details)
    return f" {text}{stop}"


def _column_text(field: str) -> tuple[str, str]:
    if not field:
        return "", ""
    thai = COLUMNS.get(field)
    return f"{field}: ", (f"{thai} ({field}): " if thai else f"{field}: ")


def _rows_text(rows: Sequence[int | str | None], row_count: int) -> tuple[str, str]:
    """"Rows 2, 3, 5, … (first 10 of 712 shown)." and its Thai."""
    if list(rows) == [None]:
        return "(the whole file)", "(ทั้งไฟล์)"
    shown_en = ", ".join("the whole file" if r is None else str(r) for r in rows)
    shown_th = ", ".join("ทั้งไฟล์" if r is None else str(r) for r in rows)
    if row_count == 1:
        return f"Row {shown_en}.", f"แถวที่ {shown_th}"
    if row_count == len(rows):
        return f"Rows {shown_en}.", f"แถวที่ {shown_th}"
    return (f"Rows {shown_en}, … (first {len(rows)} of {row_count:,} shown).",
            f"แถวที่ {shown_th}, … (แสดง {len(rows)} แถวแรกจาก {row_count:,} แถว)")


def headline(summaries: Sequence[ProblemSummary], rows: int, most: int = 5) -> tuple[str, str]:
    """One sentence naming every kind of violation of a refused batch, by the rule's short name,
    with its count and first rows: "12 problems in 9 rows: 3 × Issuer within the uploader's
    scope (issuer-scope; rows 2, 5, 9), …". Warnings are counted at the end."""
    violations = [s for s in summaries if s.severity != WARNING]
    warnings = sum(s.count for s in summaries if s.severity == WARNING)
    kinds_en, kinds_th = [], []
    for s in violations:
        text = rule_text(s.rule, s.field)
        where_en = ", ".join("whole file" if r is None else str(r) for r in s.rows[:most])
        where_th = ", ".join("ทั้งไฟล์" if r is None else str(r) for r in s.rows[:most])
        more = ", …" if len(s.rows) > most or s.count > len(s.rows) else ""
        row_word = "rows" if len(s.rows) > 1 or more else "row"
        label_en = f" {text.label_en}" if text.label_en != s.rule else ""
        label_th = f" {text.label_th}" if text.label_th != s.rule else ""
        column = f" in {s.field}" if s.field else ""
        column_th = f" คอลัมน์ {s.field}" if s.field else ""
        kinds_en.append(f"{s.count:,} ×{label_en}{column} ({s.rule}; {row_word} "
                        f"{where_en}{more})")
        kinds_th.append(f"{s.count:,} รายการ{label_th}{column_th} ({s.rule} แถวที่ "
                        f"{where_th}{more})")
    count = sum(s.count for s in violations)
    en = f"{count:,} problem(s) in {rows:,} row(s): " + "; ".join(kinds_en) + "."
    th = f"พบปัญหา {count:,} รายการ ใน {rows:,} แถว: " + "; ".join(kinds_th)
    if warnings:
        en += f" Also {warnings:,} warning(s)."
        th += f" และคำเตือน {warnings:,} รายการ"
    return th, en


REPORT_COLUMNS = ("row", "field", "rule", "severity", "message_th", "message_en")


def report_csv(problems: Iterable[dict], extra: Sequence[str] = ()) -> str:
    """Problems (their `as_json()` bodies) as a CSV for Excel: a UTF-8 byte-order mark first
    (else Excel on Windows garbles Thai), cells that look like formulas neutralised. `extra`
    names more keys of each body to add as columns after the standard ones (the CLI's `file`)."""
    return "\ufeff" + safe_csv(
        [*REPORT_COLUMNS, *extra],
        ([str(p["row"]) if p["row"] is not None else "", p["field"] or "", p["rule"],
          p["severity"], p["message"]["th"], p["message"]["en"], *(str(p[k]) for k in extra)]
         for p in problems))
