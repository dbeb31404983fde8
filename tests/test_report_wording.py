"""The words of reports (issue 13, SPEC §5): every Thai message is as complete as its English one,
and no message meant for a clerk speaks RDF.

Three sources: every rule's text in the standard (shapes/licence.ttl, each shape and pipeline
rule with its variants), every problem the bad-rows corpus produces (ops/demo.py `bad_rows`) with
its summary line, and every `Invalid…(en, th)` a reader raises (found in the source, so a new
refusal is covered the day it is written).

Complete: the Thai text has Thai letters and carries the same specifics as the English one — the
same numbers, the same quoted values (a problem's details), the same interpolated values (a
reader's f-strings).

Who reads what. Clerks read what a CSV or .xlsx upload can produce: on the upload page, in the
CLI, in report.csv. Developers read what only an RDF or JSON upload can produce, and may meet the
words of their formats there (IRI, node, `@id`):
- DEVELOPER_RULES: rules only RDF and JSON uploads reach (the record IRI given as `@id`, a graph
  name or a subject; the language tags of names, which a CSV row cannot carry), and any problem
  in the `@id` field;
- DEVELOPER_MODULES: the readers of JSON, JSON-LD and Turtle bodies.
Everything else is for clerks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ops.demo import bad_rows, demo_rows
from registry.problems import rule_shapes, rule_text, summarise
from registry.validation import ValidationContext, check_batch

ROOT = Path(__file__).resolve().parent.parent
JARGON = re.compile(r"\b(IRI|URI|RDF|node|literal|graph|triple|SHACL|xsd|datatype|predicate)s?\b",
                    re.IGNORECASE)
THAI = re.compile("[\u0e01-\u0e4e]")
NUMBER = re.compile(r"\d+")
QUOTED = re.compile(r"(?<![A-Za-z])'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")

DEVELOPER_RULES = {"record-iri", "labels-language", "labels-unique"}
DEVELOPER_MODULES = {"publishing/jsoninput.py", "publishing/rdfinput.py", "publishing/rdfrows.py"}
# Interpolations the English and the Thai give differently on purpose (besides a name's `_en`
# and `_th` or `ENGLISH_` and `THAI_` forms, which stand for each other).
SAME_IN_THAI = {
    # the template's columns: the English headers in English, the Thai headers in Thai
    "', '.join(COLUMNS)": "', '.join(COLUMNS.values())",
    # a year: Common Era in English, Buddhist Era in Thai
    "year": "year + BUDDHIST_ERA_OFFSET",
}
_LANGUAGE_PART = re.compile(r"_(en|th|EN|TH)\b|\b(ENGLISH|THAI)_")


def jargon(text: str) -> list[str]:
    return JARGON.findall(text)


def missing_numbers(en: str, th: str) -> set[str]:
    return {n for n in NUMBER.findall(en) if n not in NUMBER.findall(th)}


def missing_specifics(en: str, th: str) -> set[str]:
    """What the English says that the Thai does not: numbers and quoted values."""
    return missing_numbers(en, th) | {q for q in QUOTED.findall(en) if q not in th}


@pytest.mark.parametrize("en, th, found", [
    ("The date must be an xsd:date.", "วันที่", ["xsd"]),
    ("The record's IRI and its graph.", "ระเบียน", ["IRI", "graph"]),
    ("Each node is a literal.", "แต่ละ", ["node", "literal"]),
    ("The document URL must start with https:.", "ลิงก์", []),
])
def test_jargon_is_found_by_word(en, th, found):
    assert jargon(en) + jargon(th) == found


@pytest.mark.parametrize("en, th, missing", [
    ("'1/2/67' was read as 2024-02-01.", "'1/2/67' ถูกแปลงเป็น 2024-02-01", set()),
    ("'1/2/67' was read as 2024-02-01.", "ถูกแปลงแล้ว", {"'1/2/67'", "1", "2", "67", "2024",
                                                      "02", "01"}),
    ("It must be 13 digits.", "ต้องเป็นตัวเลข 13 หลัก", set()),
    ("The agency's page and 'x'.", "หน้าของหน่วยงาน 'x'", set()),    # an apostrophe is no quote
])
def test_specifics_are_numbers_and_quoted_values(en, th, missing):
    assert missing_specifics(en, th) == missing


# --- the rules of the standard ----------------------------------------------------------------

SHAPES = rule_shapes()


@pytest.mark.parametrize("shape", SHAPES, ids=[f"{s.code}:{'/'.join(sorted(s.fields))}"
                                              for s in SHAPES])
def test_each_rule_speaks_thai_as_fully_as_english(shape):
    en, th = shape.messages["en"], shape.messages["th"]
    assert THAI.search(th), th
    assert not missing_numbers(en, th), (missing_numbers(en, th), en, th)
    if shape.labels:            # a SPARQL constraint's message template has none
        assert THAI.search(shape.labels["th"]) and shape.labels["en"]
    if shape.code not in DEVELOPER_RULES:
        assert not jargon(en) and not jargon(th), (en, th)


# --- the problems of the bad rows -------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_problems(catalogue):
    """Every problem of every bad row, checked as an agency whose scope lacks the scope row's
    issuer (so issuer-scope is produced too)."""
    found = []
    rows = bad_rows(catalogue)
    issuer = next(row["issuer"] for rule, _, row in rows if rule == "issuer-scope")
    outsider = next(a for a in sorted(catalogue.agencies) if issuer not in catalogue.scope_of(a)
                    and catalogue.scope_of(a))
    scoped = ValidationContext.for_agency(catalogue, outsider)
    for rule, _, row in rows:
        ctx = scoped if rule == "issuer-scope" else ValidationContext(catalogue)
        found.extend(check_batch(iter([(2, row)]), ctx)[1])
    # and a batch of demo rows: the warnings real files get (names differ, dates, values)
    found.extend(check_batch(enumerate(demo_rows(catalogue, 300, seed=3), start=2),
                             ValidationContext(catalogue))[1])
    return found


def test_the_corpus_produces_every_rule_it_lists(catalogue, corpus_problems):
    assert {p.rule for p in corpus_problems} >= {rule for rule, _, _ in bad_rows(catalogue)}


def test_every_problem_speaks_thai_as_fully_as_english(corpus_problems):
    for p in corpus_problems:
        assert THAI.search(p.th), p
        text = rule_text(p.rule, p.field)
        details_en = p.en.removeprefix(text.en)
        details_th = p.th.removeprefix(text.th)
        assert not missing_specifics(details_en, details_th), (p.rule, p.en, p.th)
        if p.rule not in DEVELOPER_RULES and p.field != "@id":
            assert not jargon(p.en) and not jargon(p.th), p


def test_every_summary_line_speaks_thai_as_fully_as_english(corpus_problems):
    for line in summarise(corpus_problems):
        assert THAI.search(line.th), line
        assert not missing_specifics(line.en, line.th), (line.en, line.th)


# --- the refusals of the readers --------------------------------------------------------------

def _messages(path: Path):
    """Each `Invalid…(…, en, th)` call in a module: (line, en node, th node)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
        if not name.startswith("Invalid"):
            continue
        texts = [a for a in node.args if isinstance(a, ast.JoinedStr | ast.Constant)
                 and (isinstance(a, ast.JoinedStr) or isinstance(a.value, str))]
        keywords = {k.arg: k.value for k in node.keywords}
        if "en" in keywords and "th" in keywords:
            yield node.lineno, keywords["en"], keywords["th"]
        elif len(texts) >= 2:
            yield node.lineno, texts[-2], texts[-1]


def _constant_text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    return "".join(str(v.value) for v in getattr(node, "values", [])
                   if isinstance(v, ast.Constant))


def _interpolated(node: ast.expr) -> set[str]:
    """The values an f-string interpolates, as source, without their language part."""
    return {_LANGUAGE_PART.sub("", ast.unparse(v.value)) for v in getattr(node, "values", [])
            if isinstance(v, ast.FormattedValue)}


READERS = sorted(p for p in [*(ROOT / "publishing").glob("*.py"), ROOT / "registry" / "dates.py",
                             ROOT / "registry" / "identifiers.py"])
MESSAGES = [(path, line, en, th) for path in READERS for line, en, th in _messages(path)]


def test_the_readers_refusals_are_found():
    assert len(MESSAGES) >= 20
    assert {path.name for path, *_ in MESSAGES} >= {"csvinput.py", "uploadformats.py"}


@pytest.mark.parametrize("path, line, en, th", MESSAGES,
                         ids=[f"{p.relative_to(ROOT)}:{n}" for p, n, _, _ in MESSAGES])
def test_each_refusal_speaks_thai_as_fully_as_english(path, line, en, th):
    en_text, th_text = _constant_text(en), _constant_text(th)
    assert THAI.search(th_text), (line, th_text)
    assert {n for n in NUMBER.findall(en_text)} <= set(NUMBER.findall(th_text)), (en_text,
                                                                                  th_text)
    given = _interpolated(th)
    missing = {value for value in _interpolated(en)
               if value not in given and SAME_IN_THAI.get(value) not in given}
    assert not missing, (missing, en_text, th_text)
    if str(path.relative_to(ROOT)) not in DEVELOPER_MODULES:
        assert not jargon(en_text) and not jargon(th_text), (en_text, th_text)
