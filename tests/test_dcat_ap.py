"""/catalogue.ttl against the official DCAT-AP 3.0.0 SHACL shapes (SEMICeu, CC-BY 4.0), read at
test time from `../shared/vectors/dcat-ap-3.0.0/` beside the project (never copied into it):
`shapes.ttl` (mandatory properties) and `range.ttl` (the classes of referenced resources) give
no violation; `shapes_recommended.ttl` warns only about what docs/catalogue.md says is missing.

Served by a real app over a real store with licences of two agencies and generated dumps, so
every kind of distribution is present.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import rdflib

from opendata.dumpgen import dumps_dir, regenerate
from ops.demo import demo_rows
from web.state import state_of

from .support.builders import app_over
from .support.stores import BASE, initialised_store

VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "vectors" / "dcat-ap-3.0.0"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")


# What shapes_recommended.ttl still asks for, and why it is not given (docs/catalogue.md):
# no contact point is configured for the operator; the register has no temporal coverage or
# first-issue date that would be true of every dataset; Thailand's outline (bbox, centroid)
# belongs to the EU country table its IRI names.
RECOMMENDED_NOT_GIVEN = {str(DCAT.contactPoint), str(DCT.temporal), str(DCT.issued),
                         str(DCAT.bbox), str(DCAT.centroid)}


def shapes(*names: str) -> rdflib.Graph:
    if not VECTORS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{VECTORS} is missing: CI must have the shared conformance vectors")
        pytest.skip(f"the DCAT-AP 3.0.0 shapes are not beside the project ({VECTORS})")
    graph = rdflib.Graph()
    for name in names:
        graph.parse(VECTORS / name, format="turtle")
    return graph


@pytest.fixture(scope="module")
def catalogue_ttl(tmp_path_factory, catalogue, publish) -> bytes:
    folder = tmp_path_factory.mktemp("dcat-ap")
    repo = initialised_store(folder / "store")
    for agency in ("diw", "fda"):
        rows = [r for r in demo_rows(catalogue, 150, agency=agency) if r["issuer"] == agency][:2]
        publish(repo, rows, agency)
    app = app_over(repo)
    regenerate(repo, BASE, dumps_dir(state_of(app).settings))
    response = app.test_client().get("/catalogue.ttl")
    repo.close()
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    return response.data


def results(data: bytes, shapes_graph: rdflib.Graph) -> list[dict[str, str]]:
    import pyshacl

    graph = rdflib.Graph().parse(data=data, format="turtle")
    _, report, _ = pyshacl.validate(graph, shacl_graph=shapes_graph, inference="none")
    out = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        value = report.value(result, SH.value)
        out.append({
            "severity": str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
            "focus": str(report.value(result, SH.focusNode)),
            "path": str(report.value(result, SH.resultPath)),
            "constraint": str(report.value(result, SH.sourceConstraintComponent)),
            "value": str(value) if value is not None else "",
            "datatype": str(getattr(value, "datatype", "") or ""),
            "message": str(report.value(result, SH.resultMessage)),
        })
    return out


def readable(found: list[dict[str, str]]) -> str:
    return "\n".join(f"{r['severity']}: {r['focus']} {r['path']} = {r['value']!r}: {r['message']}"
                     for r in sorted(found, key=lambda r: (r["path"], r["focus"])))


def test_no_violation_of_the_mandatory_and_range_shapes(catalogue_ttl):
    found = results(catalogue_ttl, shapes("shapes.ttl", "range.ttl"))
    assert not found, f"{len(found)} DCAT-AP 3.0.0 violations:\n{readable(found)}"


def test_recommended_properties_missing_only_where_documented(catalogue_ttl):
    found = results(catalogue_ttl, shapes("shapes_recommended.ttl"))
    assert {r["severity"] for r in found} <= {"Warning"}
    unexpected = [r for r in found if r["path"] not in RECOMMENDED_NOT_GIVEN]
    assert not unexpected, f"DCAT-AP 3.0.0 recommendations not met:\n{readable(unexpected)}"
    print(Counter(r["path"] for r in found))
