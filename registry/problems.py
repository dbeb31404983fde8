"""Problems found in uploaded records, in the report format of SPEC §5.

The wording of each rule comes from the data standard itself (`shapes/licence.ttl`, `sh:message`
@th/@en), so the SHACL shapes and the pipeline speak with one voice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable

import pyoxigraph as ox

from registry.paths import SHAPES_DIR, turtle_files

VIOLATION = "Violation"
WARNING = "Warning"
_SH = "http://www.w3.org/ns/shacl#"
_SHAPE_NS = "https://w3id.org/clc/shapes#"


@dataclass(frozen=True, slots=True)
class RuleText:
    th: str
    en: str
    severity: str


@lru_cache(maxsize=1)
def rule_texts(shapes_dir: Traversable = SHAPES_DIR) -> dict[str, RuleText]:
    """rule code → its messages and severity, read from the shapes (variants `code--x` fold)."""
    messages: dict[str, dict[str, str]] = {}
    severities: dict[str, str] = {}
    for resource in turtle_files(shapes_dir):
        for quad in ox.parse(resource.read_bytes(), format=ox.RdfFormat.TURTLE):
            subject = quad.subject
            if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(_SHAPE_NS):
                continue
            code = subject.value[len(_SHAPE_NS):].split("--")[0]
            if quad.predicate.value == _SH + "message" and isinstance(quad.object, ox.Literal):
                messages.setdefault(code, {}).setdefault(quad.object.language or "en",
                                                         quad.object.value)
            elif quad.predicate.value == _SH + "severity":
                severities[code] = quad.object.value[len(_SH):]
    return {code: RuleText(m.get("th", m.get("en", code)), m.get("en", code),
                           severities.get(code, VIOLATION))
            for code, m in messages.items()}


@dataclass(frozen=True, slots=True)
class Problem:
    row: int | str          # spreadsheet row (header is row 1) or node IRI
    field: str
    rule: str
    severity: str
    th: str
    en: str

    def as_json(self) -> dict:
        return {"row": self.row, "field": self.field, "rule": self.rule,
                "severity": self.severity, "message": {"th": self.th, "en": self.en}}


def problem(row: int | str, field: str, rule: str, en: str = "", th: str = "") -> Problem:
    """A problem worded by the standard, with the specific detail (value, expected form) after
    it."""
    text = rule_texts().get(rule) or RuleText(rule, rule, VIOLATION)
    return Problem(row, field, rule, text.severity,
                   f"{text.th} {th}".strip() if th else text.th,
                   f"{text.en} {en}".strip() if en else text.en)
