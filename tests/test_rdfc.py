"""RDFC-1.0 canonicalisation (registry.canon) against the W3C RDF Dataset Canonicalization
test suite, read in place from `../shared/vectors/rdf-canon/` and driven by its manifest.ttl:
- every RDFC10EvalTest: the canonical N-Quads equal the expected file byte for byte (one test
  uses SHA-384, named by rdfc:hashAlgorithm);
- every RDFC10MapTest: the issued identifiers map equals the expected JSON;
- the RDFC10NegativeEvalTest (poison graph, a 10-node clique) is refused as
  CanonicalisationTooComplex naming its limit, after a bounded number of steps (no timer).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.canon import (
    MAX_STEPS,
    CanonicalisationError,
    CanonicalisationTooComplex,
    canonical_nquads,
    issued_identifiers,
)
from registry.canonwork import Labelling, WorkExceeded

from .support.vectors import VECTORS, vectors_dir

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
RDFC = "https://w3c.github.io/rdf-canon/tests/vocab#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
HASHES = {"SHA256": "sha256", "SHA384": "sha384"}


def manifest() -> list[dict]:
    """The suite's tests as {id, type, action, result, hash}; one placeholder when the suite
    is absent, so the test skips (or fails under CI) with vectors_dir's reason."""
    path = VECTORS / "rdf-canon" / "manifest.ttl"
    if not path.is_file():
        return [{"id": "absent", "type": "absent"}]
    graph = ox.Dataset(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE,
                                base_iri=path.as_uri()))

    def value(subject, name: str, namespace: str = MF) -> str | None:
        found = [q.object.value for q in graph.quads_for_subject(subject)
                 if q.predicate.value == namespace + name]
        return found[0] if found else None

    tests = []
    for quad in graph.quads_for_predicate(RDF_TYPE):
        kind = quad.object.value
        if not kind.startswith(RDFC) or not kind.endswith("Test"):
            continue
        tests.append({"id": quad.subject.value.rsplit("#", 1)[-1], "type": kind[len(RDFC):],
                      "action": value(quad.subject, "action"),
                      "result": value(quad.subject, "result"),
                      "hash": HASHES[value(quad.subject, "hashAlgorithm", RDFC) or "SHA256"]})
    return sorted(tests, key=lambda test: test["id"])


TESTS = manifest()


def local(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


def of_type(kind: str) -> list[dict]:
    return [t for t in TESTS if t["type"] in (kind, "absent")]


@pytest.fixture(scope="module")
def suite() -> Path:
    return vectors_dir("rdf-canon")


def test_the_manifest_holds_the_whole_suite(suite):
    kinds = [t["type"] for t in TESTS]
    assert (kinds.count("RDFC10EvalTest"), kinds.count("RDFC10MapTest"),
            kinds.count("RDFC10NegativeEvalTest")) == (64, 21, 1)
    assert [t["id"] for t in TESTS if t["hash"] == "sha384"] == ["test075c", "test075m"]


@pytest.mark.parametrize("test", of_type("RDFC10EvalTest"), ids=lambda t: t["id"])
def test_canonical_nquads_equal_the_expected_file_byte_for_byte(suite, test):
    source = local(test["action"]).read_bytes()
    expected = local(test["result"]).read_text(encoding="utf-8")
    assert canonical_nquads(source, hash=test["hash"]) == expected


@pytest.mark.parametrize("test", of_type("RDFC10MapTest"), ids=lambda t: t["id"])
def test_issued_identifiers_equal_the_expected_map(suite, test):
    source = local(test["action"]).read_bytes()
    expected = json.loads(local(test["result"]).read_text(encoding="utf-8"))
    assert issued_identifiers(source, hash=test["hash"]) == expected


@pytest.mark.parametrize("test", of_type("RDFC10NegativeEvalTest"), ids=lambda t: t["id"])
def test_the_poison_graph_is_refused_after_a_bounded_number_of_steps(suite, test):
    source = local(test["action"]).read_bytes()
    started = time.perf_counter()
    with pytest.raises(CanonicalisationTooComplex, match=f"more than {MAX_STEPS} steps"):
        canonical_nquads(source)
    # It stopped: the refusal is by count, so it comes in the time MAX_STEPS steps take
    # (under a second here), not the hours pyoxigraph alone would spend.
    assert time.perf_counter() - started < 30
    labelling = Labelling(ox.parse(source, format=ox.RdfFormat.N_QUADS), budget=MAX_STEPS)
    with pytest.raises(WorkExceeded, match="steps"):
        labelling.labels()
    assert labelling.steps == MAX_STEPS + 1


def test_the_hardest_approved_tests_fit_the_budget_with_room(suite):
    """test044–046 ("poison – evil", computable) need 3,348 steps; MAX_STEPS leaves room."""
    for number in ("044", "045", "046"):
        source = (suite / "rdfc10" / f"test{number}-in.nq").read_bytes()
        labelling = Labelling(ox.parse(source, format=ox.RdfFormat.N_QUADS), budget=MAX_STEPS)
        labelling.labels()
        assert labelling.steps * 2 < MAX_STEPS


def test_a_look_alike_ring_past_the_budget_is_refused_too():
    """Not only cliques: a ring where each node points at the next two has first-degree
    hashes all alike and grows exponentially (26,080 steps at 16 nodes)."""
    ring = "".join(f"_:n{i} <http://e/p> _:n{(i + 1) % 16} .\n"
                   f"_:n{i} <http://e/p> _:n{(i + 2) % 16} .\n" for i in range(16))
    with pytest.raises(CanonicalisationTooComplex, match="max_steps"):
        canonical_nquads(ring)


def test_size_limits_are_refused_while_parsing():
    many = "".join(f"<http://e/s> <http://e/p> \"{i}\" .\n" for i in range(11))
    with pytest.raises(CanonicalisationTooComplex, match="more than 10 quads"):
        canonical_nquads(many, max_quads=10)
    blanks = "".join(f"_:b{i} <http://e/p> \"x\" .\n" for i in range(4))
    with pytest.raises(CanonicalisationTooComplex, match="more than 3 blank nodes"):
        canonical_nquads(blanks, max_blank_nodes=3)


def test_input_that_is_not_rdf_1_1_n_quads_is_a_clear_error():
    with pytest.raises(CanonicalisationError, match="not N-Quads"):
        canonical_nquads("<http://e/s> <http://e/p> .\n")
    with pytest.raises(CanonicalisationError, match="triple terms"):
        canonical_nquads("<http://e/s> <http://e/p> <<( <http://e/a> <http://e/b> _:x )>> .\n")


def test_quads_and_datasets_are_accepted_and_left_unchanged():
    quad = ox.Quad(ox.BlankNode("x"), ox.NamedNode("http://e/p"), ox.Literal("v"))
    dataset = ox.Dataset([quad])
    expected = '_:c14n0 <http://e/p> "v" .\n'
    assert canonical_nquads([quad, quad]) == expected
    assert canonical_nquads(dataset) == expected
    assert list(dataset) == [quad]
