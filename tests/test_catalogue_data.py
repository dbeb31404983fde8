"""The bundled catalogue, vocabulary, context and template: complete, consistent, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld

from publishing.csvinput import read_csv
from registry.paths import SHAPES_DIR, TEMPLATE_CSV, VOCAB_DIR, turtle_files
from registry.problems import rule_texts
from registry.records import COLUMNS
from registry.validation import ValidationContext, check_batch


def test_catalogue_is_big_and_spans_every_level(catalogue):
    assert len(catalogue.types) >= 40
    authorities = {a for t in catalogue.types.values() for a in t.authorities}
    assert len(authorities) >= 10
    assert {catalogue.agencies[a].level for a in authorities} == {"central", "regional", "local"}
    for t in catalogue.types.values():
        assert t.title_th and t.title_en and t.number_example
        assert t.pattern.fullmatch(t.number_example), t.code
        assert t.eservice_level in {"L0", "L1", "L2", "L3"} and t.phase in {1, 2, 3}
    for a in catalogue.agencies.values():
        assert a.label_th and a.label_en and a.tier in {1, 2, 3}


# Rules that name a value read from a Thai word, a name, a title or a short year.
READINGS = ("status-mapped", "holder-type-mapped", "document-access-mapped", "type-mapped",
            "issuer-mapped", "province-mapped", "date-two-digit-year")


def test_every_rule_has_thai_and_english_messages():
    texts = rule_texts()
    documented = {"number-required", "number-characters", "number-pattern", "type-required",
                  "issuer-required", "type-exists", "issuer-authority", "issuer-scope",
                  "issued-required", "dates-order", "date-format", "date-buddhist-era",
                  "status-scheme", "status-reason", "holder-type", "holder-id-format",
                  "holder-id-checksum", "holder-juristic-prefix", "document-https",
                  "document-checksum", "document-media-type", "document-access",
                  "document-login-required", "labels-language",
                  "labels-unique", "batch-duplicate", "record-iri", "text-control-characters",
                  "holder-name-differs", "holder-name-required", "province-known",
                  *READINGS}
    assert documented <= set(texts), documented - set(texts)
    for code in documented:
        assert texts[code].th != texts[code].en
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in texts[code].th), code
    assert texts["date-buddhist-era"].severity == "Warning"
    assert texts["holder-name-differs"].severity == "Warning"
    # Values read from Thai words, names, titles, short years: warnings, never refusals.
    assert {texts[code].severity for code in READINGS} == {"Warning"}


@pytest.mark.parametrize("folder", [VOCAB_DIR, SHAPES_DIR])
def test_turtle_parses_with_both_libraries(folder):
    resources = turtle_files(folder)
    assert resources
    for resource in resources:
        text = resource.read_bytes()
        assert len(rdflib.Graph().parse(data=text, format="turtle")) == \
            len(list(ox.parse(text, format=ox.RdfFormat.TURTLE)))


def test_own_terms_have_thai_and_english_labels():
    graph = rdflib.Graph().parse(data=(VOCAB_DIR / "clc.ttl").read_bytes(), format="turtle")
    clc = "https://w3id.org/clc/def#"
    terms = {s for s in graph.subjects() if str(s).startswith(clc) and str(s) != clc}
    assert len(terms) >= 15
    for term in terms:
        langs = {o.language for o in graph.objects(term, rdflib.RDFS.label)}
        assert {"th", "en"} <= langs, term


def test_context_is_local_and_expands_offline():
    context = json.loads((VOCAB_DIR / "context.jsonld").read_text(encoding="utf-8"))
    text = json.dumps(context)
    assert '"@import"' not in text
    doc = {"@context": context["@context"], "@id": "http://127.0.0.1:8000/id/licence/a/b/1",
           "status": "revoked", "validFrom": "2024-01-01"}

    def no_network(url, options=None):
        raise AssertionError(f"tried to fetch {url}")

    expanded = jsonld.expand(doc, {"documentLoader": no_network})
    flat = json.dumps(expanded)
    assert "https://w3id.org/clc/status/revoked" in flat
    assert "http://www.w3.org/2001/XMLSchema#date" in flat


def test_template_has_the_spec_columns_and_passes(catalogue):
    text = TEMPLATE_CSV.read_text(encoding="utf-8")
    parsed = read_csv(text)
    assert parsed.columns == list(COLUMNS)
    records, problems = check_batch(parsed.rows, ValidationContext(catalogue))
    assert records and not [p for p in problems if p.severity == "Violation"]


def test_published_bad_rows_match_the_code(catalogue):
    from ops.demo import bad_rows_csv

    # The repository's example file, not package data (pyproject.toml does not ship data/demo/).
    demo = Path(__file__).resolve().parent.parent / "data" / "demo" / "bad-licences.csv"
    published = demo.read_text(encoding="utf-8")
    assert published == bad_rows_csv(catalogue), "regenerate: licence-registry demo-data --bad"
