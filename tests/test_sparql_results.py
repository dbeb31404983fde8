"""Results written by opendata/sparqlresults.py: the cap counted exactly however pyoxigraph
chunks its output, and every term coming back as it went in, in every results format."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opendata import sparqlresults as fmt

ROWS = 5000
P = ox.NamedNode("http://example.org/p")


@pytest.fixture(scope="module")
def store():
    # Long literals so that pyoxigraph hands its TSV to the writer in several chunks.
    store = ox.Store()
    store.extend(ox.Quad(ox.NamedNode(f"http://example.org/s{i:05d}"), P,
                         ox.Literal(f"row {i}\t" + "ก" * 40 + "\n" * (i % 2)), ox.DefaultGraph())
                 for i in range(ROWS))
    return store


ORDERED = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"


def subjects(body: bytes, media_type: str) -> list[str]:
    if media_type == fmt.JSON:
        return [b["s"]["value"] for b in json.loads(body)["results"]["bindings"]]
    if media_type == fmt.CSV:
        return [row[0] for row in list(csv.reader(io.StringIO(body.decode())))[1:]]
    return [s["s"].value for s in ox.parse_query_results(body, format={
        fmt.TSV: ox.QueryResultsFormat.TSV, fmt.XML: ox.QueryResultsFormat.XML}[media_type])]


@pytest.mark.parametrize("media_type", fmt.RESULT_TYPES)
@pytest.mark.parametrize("limit, count, truncated", [
    (0, 0, True), (1, 1, True), (999, 999, True), (4999, 4999, True),
    (5000, 5000, False), (5001, 5000, False), (50_000, 5000, False)])
def test_the_cap_is_exact_whatever_the_chunks(store, media_type, limit, count, truncated):
    body, was_truncated, was_count = fmt.write_results(store.query(ORDERED), media_type, limit)
    assert (was_count, was_truncated) == (count, truncated)
    expected = [f"http://example.org/s{i:05d}" for i in range(count)]
    assert subjects(body, media_type) == expected
    if media_type == fmt.JSON:
        assert json.loads(body).get("truncated", False) is truncated


@pytest.mark.parametrize("query, count", [
    ("SELECT * WHERE {}", 1),                        # one solution binding nothing
    ("SELECT * WHERE { FILTER(false) }", 0),
    ("SELECT ?x WHERE { FILTER(false) }", 0),
    ("SELECT ?x WHERE { VALUES ?x { UNDEF 1 } }", 2),
])
@pytest.mark.parametrize("media_type", fmt.RESULT_TYPES)
def test_empty_and_unbound_results(media_type, query, count):
    body, truncated, was_count = fmt.write_results(ox.Store().query(query), media_type, 10)
    assert (was_count, truncated) == (count, False)
    if media_type == fmt.JSON:
        assert len(json.loads(body)["results"]["bindings"]) == count


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
terms = st.one_of(
    text.map(ox.Literal),
    st.tuples(text, st.sampled_from(["th", "en", "en-GB"])).map(
        lambda t: ox.Literal(t[0], language=t[1])),
    st.integers(-10**20, 10**20).map(ox.Literal),
    st.dates().map(lambda d: ox.Literal(d.isoformat(), datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#date"))),
    st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True).map(
        lambda s: ox.NamedNode(f"https://w3id.org/clc/id/{s}")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(terms, st.booleans()), min_size=1, max_size=12),
       st.sampled_from([fmt.JSON, fmt.XML, fmt.TSV]), st.integers(0, 14))
def test_terms_come_back_as_they_went_in(rows, media_type, limit):
    """Whatever the literal (tabs, newlines, quotes, Thai, language tags, datatypes), each
    solution reads back as pyoxigraph's own serialisation of it, capped or not."""
    store = ox.Store()
    store.extend(ox.Quad(ox.NamedNode(f"http://example.org/s{i:02d}"), P, term,
                         ox.NamedNode(f"http://example.org/g{int(flag)}"))
                 for i, (term, flag) in enumerate(rows))
    query = "SELECT ?s ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?s"
    body, truncated, count = fmt.write_results(store.query(query), media_type, limit)
    wanted = [tuple(s) for s in store.query(query)]
    assert (count, truncated) == (min(limit, len(wanted)), len(wanted) > limit)
    native = {fmt.JSON: ox.QueryResultsFormat.JSON, fmt.XML: ox.QueryResultsFormat.XML,
              fmt.TSV: ox.QueryResultsFormat.TSV}[media_type]
    if media_type == fmt.XML:
        wanted = [tuple(as_xml_can_carry(t) for t in row) for row in wanted]
    assert [tuple(s) for s in ox.parse_query_results(body, format=native)] == wanted[:limit]


def as_xml_can_carry(term):
    """XML 1.0 has no way to write most C0 control characters: U+FFFD stands for them."""
    if isinstance(term, ox.Literal) and not term.language:
        return ox.Literal(fmt._XML_FORBIDDEN.sub("\ufffd", term.value), datatype=term.datatype)
    if isinstance(term, ox.Literal):
        return ox.Literal(fmt._XML_FORBIDDEN.sub("\ufffd", term.value), language=term.language)
    return term


@pytest.mark.parametrize("limit", [1, 10])       # pyoxigraph's writer, then the one here
def test_xml_results_are_well_formed_whatever_the_characters(limit):
    """A carriage return comes back as itself; characters XML cannot carry as U+FFFD, so an XML
    parser (expat, as SPARQLWrapper uses) never fails on a licence's text."""
    from xml.dom.minidom import parseString

    store = ox.Store()
    for i, value in enumerate(["a\rb", "x\x0by\x01", "t\tn\n", "\ufffe"]):
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), P, ox.Literal(value)))
    body, _, _ = fmt.write_results(store.query(ORDERED), fmt.XML, limit)
    values = [n.firstChild.data if n.firstChild else ""
              for n in parseString(body).getElementsByTagName("literal")]  # noqa: S318 — ours
    assert values == ["a\rb", "x\ufffdy\ufffd", "t\tn\n", "\ufffd"][:limit]
