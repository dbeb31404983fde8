"""Log leaves (registry/logleaf.py, issue 15 item 1): their canonical JSON bytes, what parsing
refuses, and what the record hash covers: content only, never bookkeeping or graph names."""

from __future__ import annotations

import dataclasses
import hashlib

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import identifiers, logleaf, rdfmap
from registry.logleaf import LICENCE_VERSION, UPLOAD, Leaf, LeafError
from registry.records import LicenceRecord
from tests.support.builders import AWKWARD, awkward_demo_records, stored_version_lines

BASE = "https://licences.example.go.th"
TIME = "2026-11-01T03:00:00Z"
UPLOAD_IRI = f"{BASE}/id/upload/u1"
AGENCY_IRI = f"{BASE}/id/agency/diw"
H = "ab" * 32

VERSION_LEAF = Leaf(kind=LICENCE_VERSION, index=7, licence=f"{BASE}/id/licence/x", version=2,
                    time=TIME, upload=UPLOAD_IRI, sha256=H)
UPLOAD_LEAF = Leaf(kind=UPLOAD, index=0, upload=UPLOAD_IRI, time=TIME, agency=AGENCY_IRI,
                   sha256=H)


@pytest.mark.parametrize("leaf, golden", [
    (VERSION_LEAF, '{"index":7,"kind":"licence-version","licence":"https://licences.example.go.th'
                   '/id/licence/x","sha256":"' + H + '","time":"2026-11-01T03:00:00Z",'
                   '"upload":"https://licences.example.go.th/id/upload/u1","version":2}'),
    (UPLOAD_LEAF, '{"agency":"https://licences.example.go.th/id/agency/diw","index":0,'
                  '"kind":"upload","sha256":"' + H + '","time":"2026-11-01T03:00:00Z",'
                  '"upload":"https://licences.example.go.th/id/upload/u1"}'),
])
def test_leaf_bytes_are_golden_and_parse_back(leaf, golden):
    assert logleaf.leaf_bytes(leaf) == golden.encode()
    assert logleaf.parse_leaf(golden.encode()) == leaf


@pytest.mark.parametrize("value, golden", [
    ({"b": 1, "a": 2}, '{"a":2,"b":1}'),                                  # keys sorted
    ({"a": 'q"\\/'}, '{"a":"q\\"\\\\/"}'),                                 # / not escaped
    ({"a": "\b\t\n\f\r\u0000\u001f"}, '{"a":"\\b\\t\\n\\f\\r\\u0000\\u001f"}'),
    ({"a": "ก\u007f\u2028🙂"}, '{"a":"ก\u007f\u2028🙂"}'),                 # as itself, UTF-8
    ({"a": 0, "b": -3, "c": 2**53 - 1}, '{"a":0,"b":-3,"c":9007199254740991}'),
])
def test_canonical_json_is_rfc_8785(value, golden):
    assert logleaf.canonical_json(value) == golden.encode("utf-8")


@pytest.mark.parametrize("value", [{"a": 1.0}, {"a": True}, {"a": None}, {"a": [1]},
                                   {"a": 2**53}, {1: "a"}, {"a": "\ud800"}])
def test_canonical_json_refuses_what_a_leaf_never_holds(value):
    with pytest.raises(LeafError):
        logleaf.canonical_json(value)


_GOOD = logleaf.leaf_bytes(VERSION_LEAF).decode()


@pytest.mark.parametrize("text", [
    " " + _GOOD, _GOOD + "\n", _GOOD.replace(",", ", ", 1), _GOOD.replace(":", ": ", 1),
    _GOOD.replace('"index":7,"kind":"licence-version"', '"kind":"licence-version","index":7'),
    _GOOD.replace('"index":7', '"index":7.0'), _GOOD.replace('"index":7', '"index":7e0'),
    _GOOD.replace('"index":7', '"index":"7"'), _GOOD.replace('"index":7', '"index":-1'),
    _GOOD.replace('"version":2', '"version":0'), _GOOD.replace('"version":2', '"version":true'),
    _GOOD.replace('"index":7', '"index":07'), _GOOD.replace("x", "\\u0078"),
    _GOOD.replace('"index":7', '"index":7,"index":7'), _GOOD[:-1] + ',"extra":1}',
    _GOOD.replace(',"version":2', ""), _GOOD.replace("licence-version", "key-rotation"),
    _GOOD.replace(H, H.upper()), _GOOD.replace(H, H[:-2]),
    _GOOD.replace(TIME, "2026-11-01T03:00:00+07:00"), _GOOD.replace(TIME, "2026-11-01"),
    _GOOD.replace("https://licences.example.go.th/id/licence/x", "ftp://a/b"),
    _GOOD.replace("/id/licence/x", "/id/licence/x y"),
    '[' + _GOOD + ']', "null", "", "{}",
])
def test_parse_refuses_anything_not_canonical_or_well_formed(text):
    with pytest.raises(LeafError):
        logleaf.parse_leaf(text.encode("utf-8"))


def test_parse_refuses_bytes_that_are_not_utf_8():
    with pytest.raises(LeafError):
        logleaf.parse_leaf(_GOOD.encode("utf-8").replace(b"x", b"\xff"))


@pytest.fixture(scope="module")
def records(catalogue) -> list[LicenceRecord]:
    """Checked demo records, each status, and awkward text in every text field."""
    return awkward_demo_records(catalogue)


def _content(record: LicenceRecord) -> list[str]:
    return rdfmap.content_lines(record, BASE, True)


def _stored(record: LicenceRecord, *, version: int = 2, graph: str | None = None,
            extra: tuple[str, ...] = ()) -> list[ox.Quad]:
    """The quads a version graph holds: content, version metadata (an amendment's change
    activity included), a status counter, and `extra` lines; moved to `graph` if given."""
    lines = [*stored_version_lines(record, BASE, version=version, time=TIME,
                                   upload_iri=UPLOAD_IRI), *extra]
    quads = list(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS))
    if graph is not None:
        quads = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph)) for q in quads]
    return quads


def test_fast_path_is_rdfc_1_0_and_rdfmap_text_on_every_record(records):
    for record in records:
        iri = identifiers.licence_iri(BASE, record.key)
        quads = _stored(record)
        fast = logleaf.record_nquads(quads, iri)
        assert fast == logleaf.record_nquads_rdfc(quads, iri)
        graph = identifiers.licence_graph_iri(BASE, record.key)
        assert fast == logleaf.nquads_of_lines(_content(record), graph), record.holder_name


def test_the_hash_leaves_out_bookkeeping_graph_names_and_the_change_activity(records):
    record = records[5]
    iri = identifiers.licence_iri(BASE, record.key)
    graph = identifiers.licence_graph_iri(BASE, record.key)
    content = logleaf.nquads_of_lines(_content(record), graph)
    later = rdfmap.superseded_line(iri, 3, f"{graph}/version/2")
    log_index = (f"<{iri}> <https://w3id.org/clc/def#logIndex> \"9\"^^"
                 f"<http://www.w3.org/2001/XMLSchema#integer> <{graph}> .")
    for quads in (_stored(record), _stored(record, version=1), _stored(record, version=4),
                  _stored(record, graph=f"{graph}/version/2"),
                  _stored(record, extra=(log_index,)),
                  _stored(record, graph=f"{graph}/version/2", extra=(later,))):
        assert logleaf.record_nquads(quads, iri) == content


def test_equal_records_hash_equal_and_any_change_hashes_differently(records):
    record = records[12]
    iri = identifiers.licence_iri(BASE, record.key)

    def leaf(rec: LicenceRecord) -> Leaf:
        return logleaf.version_leaf(_stored(rec), iri, 3)

    same = leaf(dataclasses.replace(record))
    assert same == leaf(record)
    changes = {"status": "suspended", "status_reason": "x", "holder_name": record.holder_name + "x",
               "conditions": "new", "premises_address": "elsewhere", "printed_number": "P-1",
               "document_url": "https://example.org/d.pdf"}
    seen = {same.sha256}
    for field, value in changes.items():
        changed = leaf(dataclasses.replace(record, **{field: value}))
        assert changed.sha256 not in seen, field
        seen.add(changed.sha256)


def test_version_leaf_reads_version_time_and_upload_from_the_store(records):
    record = records[0]
    iri = identifiers.licence_iri(BASE, record.key)
    for version in (1, 2):
        leaf = logleaf.version_leaf(_stored(record, version=version), iri, 11)
        assert (leaf.kind, leaf.index, leaf.licence, leaf.version, leaf.time, leaf.upload) == \
            (LICENCE_VERSION, 11, iri, version, TIME, UPLOAD_IRI)
        assert logleaf.parse_leaf(logleaf.leaf_bytes(leaf)) == leaf


def test_golden_record_hash():
    quads = [ox.Quad(ox.NamedNode(f"{BASE}/id/licence/x"),
                     ox.NamedNode("http://purl.org/dc/terms/identifier"), ox.Literal("ก\"1\n")),
             ox.Quad(ox.NamedNode(f"{BASE}/id/licence/x"),
                     ox.NamedNode("http://purl.org/dc/terms/modified"), ox.Literal(TIME))]
    text = logleaf.record_nquads(quads, f"{BASE}/id/licence/x")
    assert text == (f'<{BASE}/id/licence/x> <http://purl.org/dc/terms/identifier> '
                    '"ก\\"1\\n" .\n')
    assert logleaf.sha256_hex(text) == GOLDEN_SHA


GOLDEN_SHA = "964c412a5a2616609413d987959f7bfbd6cb316891aa4612293820c66ba595dd"


def test_upload_leaf_of_an_activity_graph():
    graph = f"{BASE}/graph/upload/u1"
    prov = "http://www.w3.org/ns/prov#"
    lines = [f"<{UPLOAD_IRI}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{prov}Activity>",
             f"<{UPLOAD_IRI}> <{prov}wasAssociatedWith> <{AGENCY_IRI}>",
             f'<{UPLOAD_IRI}> <{prov}endedAtTime> "{TIME}"^^'
             "<http://www.w3.org/2001/XMLSchema#dateTime>",
             f'<{UPLOAD_IRI}> <http://purl.org/dc/terms/identifier> "u1"']
    quads = list(ox.parse("".join(f"{line} <{graph}> .\n" for line in lines).encode(),
                          format=ox.RdfFormat.N_QUADS))
    leaf = logleaf.upload_leaf(quads, UPLOAD_IRI, 4)
    assert (leaf.kind, leaf.index, leaf.upload, leaf.time, leaf.agency) == \
        (UPLOAD, 4, UPLOAD_IRI, TIME, AGENCY_IRI)
    assert leaf.sha256 == logleaf.sha256_hex("".join(sorted(f"{line} .\n" for line in lines)))
    assert logleaf.record_nquads(quads) == logleaf.record_nquads_rdfc(quads)


def test_a_blank_node_takes_the_general_way():
    quads = [ox.Quad(ox.NamedNode(UPLOAD_IRI), ox.NamedNode(f"{BASE}/p"), ox.BlankNode("b"))]
    with pytest.raises(logleaf.NotCanonicalFast):
        logleaf.record_nquads(quads)
    assert logleaf.record_nquads_rdfc(quads) == f"<{UPLOAD_IRI}> <{BASE}/p> _:c14n0 .\n"


def test_the_commit_s_hash_is_the_hash_of_its_text(records):
    for record in records[-len(AWKWARD):]:
        graph = identifiers.licence_graph_iri(BASE, record.key)
        assert logleaf.sha256_of_lines(_content(record), graph) == \
            logleaf.sha256_hex(logleaf.nquads_of_lines(_content(record), graph))
    with pytest.raises(LeafError):
        logleaf.nquads_of_lines(_content(records[0]), f"{BASE}/graph/other")


@pytest.mark.parametrize("base", [BASE, "http://127.0.0.1:8000", "https://ทะเบียน.example/ใบ"])
def test_the_commit_s_leaf_bytes_are_leaf_bytes(records, base):
    for n, record in enumerate(records):
        licence = identifiers.licence_iri(base, record.key)
        upload = f"{base}/id/upload/20261203T050000Z-0a1b2c3d"
        for index, version in ((n, 1), (2**53 - 1, 99)):
            digest = logleaf.sha256_of_lines(_content(record),
                                             identifiers.licence_graph_iri(BASE, record.key))
            made = logleaf.version_leaf_bytes(index, licence, version, TIME, upload, digest)
            assert made == logleaf.leaf_bytes(logleaf.Leaf(
                kind=logleaf.LICENCE_VERSION, index=index, licence=licence, version=version,
                time=TIME, upload=upload, sha256=digest))
            assert logleaf.parse_leaf(made).licence == licence


def test_the_commit_s_record_hash_is_the_canonical_one(records):
    # One hash serves as the stored fingerprint and the leaf's record hash: the commit's fast
    # way must give the canonical text's hash on every kind of record, and on lines it cannot
    # take the fast way (repeated, a raw tab, another graph) the general way's, or its error.
    for record in records:
        graph = identifiers.licence_graph_iri(BASE, record.key)
        lines = _content(record)
        assert logleaf.record_hash(lines, graph) == logleaf.sha256_of_lines(lines, graph)
        assert logleaf.record_hash(lines + lines[:2], graph) == \
            logleaf.sha256_of_lines(lines, graph)                        # repeated lines
        assert logleaf.record_hash(lines, graph) != rdfmap.legacy_digest(lines)
    with pytest.raises(LeafError):
        logleaf.record_hash(_content(records[0]), f"{BASE}/graph/other")


@settings(max_examples=150, deadline=None)
@given(text=st.text(st.characters(codec="utf-8"), min_size=1, max_size=40))
def test_the_commit_s_record_hash_is_pyoxigraph_s_canonical_hash_for_any_text(records, text):
    # rdfmap must write every literal canonically (controls included) for the commit's hash
    # to be the one `log verify` recomputes from what pyoxigraph stored.
    record = dataclasses.replace(records[0], conditions=text)
    graph = identifiers.licence_graph_iri(BASE, record.key)
    lines = _content(record)
    stored = ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_QUADS)
    expected = logleaf.sha256_hex(logleaf.record_nquads(
        stored, identifiers.licence_iri(BASE, record.key)))
    assert logleaf.record_hash(lines, graph) == expected


@pytest.mark.parametrize("text", ["ข้อ 1\tข้อ 2", "a\\tb\t\"c\"", "\t\\\t", "x\x08y\x0cz\x01"])
def test_an_old_version_s_fingerprint_is_computed_as_it_was_stored(records, text):
    # Before the log, rdfmap wrote controls raw (but line feed and return): a version stored
    # then must still be told unchanged when the same row comes again.
    def before(value: str) -> str:
        return (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                .replace("\r", "\\r"))
    record = dataclasses.replace(records[0], conditions=text)
    lines = _content(record)
    now = rdfmap._literal(text, "th")
    assert any(now in line for line in lines) and "\t" not in "".join(lines)
    stored_then = [line.replace(now, f'"{before(text)}"@th') for line in lines]
    assert rdfmap.legacy_digest(lines) == hashlib.sha256(
        "\n".join(sorted(stored_then)).encode()).hexdigest()
