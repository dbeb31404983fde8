"""Related licences (SPEC §13, issue 16 item 3): a licence names the licences it requires
(`related_licences`, `dct:requires`); the round trip in CSV, JSON, JSON-LD and Turtle, the
checks (well formed, not itself, in the register or the same batch), the pages ("requires" and
"required by"), and SPARQL example 17."""

from __future__ import annotations

import datetime as dt
import json

import pyoxigraph as ox
import pytest

from opendata.examples import load_examples
from ops.demo import rows_to_csv
from publishing.formatbase import XLSX_TYPE
from registry import identifiers
from registry.credential import credential_subject
from registry.credentialrdf import content_lines
from registry.dates import thai_today
from registry.relatedlicences import read_references, split_references
from tests.support import axe
from tests.support.builders import key_of, licence_path, post_upload, rows_of
from tests.support.rdfbodies import CONTEXT_URL, jsonld_node, turtle_body
from tests.support.stores import BASE, licence_count
from tests.support.workbooks import workbook_bytes

pytest_plugins = ["tests.support.browser"]      # chromium

REQUIRES = "http://purl.org/dc/terms/requires"
JSON, JSONLD, TURTLE = "application/json", "application/ld+json", "text/turtle"


def _thai_digits(text: str) -> str:
    return text.translate({ord("0") + i: chr(ord("๐") + i) for i in range(10)})


def path_of(row: dict) -> str:
    return f"{row['issuer']}/{row['licence_type']}/{row['licence_number']}"


def iri_of(row: dict) -> str:
    return identifiers.licence_iri(BASE, key_of(row))


@pytest.fixture
def two(catalogue):
    """(required, dependent): two licences of diw's scope, neither expiring (so the pages say
    "active" whatever the day)."""
    required, dependent = rows_of(catalogue, "diw", 2, seed=5)
    return dict(required, valid_until=""), dict(dependent, valid_until="")


def stored_requires(repo, row: dict) -> set[str]:
    rows = repo.select("SELECT ?d ?r WHERE { GRAPH ?g { ?d <" + REQUIRES + "> ?r } }",
                       {"d": ox.NamedNode(iri_of(row))})
    return {r["r"].value for r in rows}


def doc_requires(client, row: dict) -> set[str]:
    """The dct:requires objects of the licence's /doc/ Turtle."""
    response = client.get(licence_path("doc", key_of(row)) + "?format=ttl")
    assert response.status_code == 200
    triples = ox.parse(response.data, format=ox.RdfFormat.TURTLE)
    return {t.object.value for t in triples if t.predicate.value == REQUIRES}


def error_of(response) -> dict:
    return response.get_json()["error"]


def violations(response) -> set[tuple]:
    return {(p["row"], p["field"], p["rule"]) for p in error_of(response)["problems"]
            if p["severity"] == "Violation"}


# --- reading a cell --------------------------------------------------------------------------

@pytest.mark.parametrize("text, count", [
    ("", 0), ("a/b/1", 1), ("a/b/1; a/b/2", 2), ("a/b/1|a/b/2\na/b/3", 3),
    ("a/b/1\r\n\r\na/b/2;;", 2), ("  ;  ", 0),
])
def test_a_cell_splits_at_semicolons_bars_and_new_lines(text, count):
    assert len(split_references(text)) == count


def test_every_way_of_writing_a_licence_reads_as_one_key():
    key = identifiers.LicenceKey("dbd", "factory-licence", "ก.123/2567")
    iri = identifiers.licence_iri(BASE, key)
    cell = "\n".join([iri, identifiers.iri_to_uri(iri), "dbd/factory-licence/ก.๑๒๓/๒๕๖๗",
                      "dbd/factory-licence/ ก.123/2567 ", "dbd/factory-licence/ก.123/2567/"])
    keys, problems = read_references(2, cell, BASE, None)
    assert (keys, problems) == ((key,), [])
    # the number keeps its slashes: issuer and type are the first two segments
    assert read_references(2, "dbd/factory-licence/123/2567", BASE, None)[0][0].number == \
        "123/2567"


def test_without_a_base_any_licence_iri_is_read_by_its_path():
    """`licence-registry validate` knows no base: an IRI is read by its path there."""
    key = identifiers.LicenceKey("dbd", "factory-licence", "123/2567")
    iri = identifiers.licence_iri("https://licences.example.go.th", key)
    assert read_references(2, iri, "", None) == ((key,), [])
    _keys, problems = read_references(2, "https://example.org/licence/1", "", None)
    assert [p.rule for p in problems] == ["related-licence-reference"]


# --- the round trip in each format ---------------------------------------------------------------

def _csv(dependent, reference):
    return rows_to_csv([dict(dependent, related_licences=reference)]), "text/csv"


def _json(dependent, reference):
    return json.dumps([dict(dependent, related_licences=reference)], ensure_ascii=False), JSON


def _jsonld(dependent, reference):
    node = jsonld_node(dependent)
    node["requires"] = reference
    return json.dumps({"@context": CONTEXT_URL, "@graph": [node]}, ensure_ascii=False), JSONLD


def _turtle(dependent, reference):
    return turtle_body([dependent], f"\n<{iri_of(dependent)}> <{REQUIRES}> <{reference}> .\n"), \
        TURTLE


FORMS = {
    "iri": lambda r: iri_of(r),
    "percent-encoded iri": lambda r: identifiers.iri_to_uri(iri_of(r)),
    "issuer/type/number variant": lambda r: f"{r['issuer']}/{r['licence_type']}/ "
                                            f"{_thai_digits(r['licence_number']).lower()} ",
    "json object": lambda r: [{"issuer": r["issuer"], "type": r["licence_type"],
                               "number": r["licence_number"]}],
    "json list of strings": lambda r: [path_of(r), iri_of(r)],
}
CASES = [("csv", _csv, "iri"), ("csv", _csv, "percent-encoded iri"),
         ("csv", _csv, "issuer/type/number variant"),
         ("json", _json, "issuer/type/number variant"), ("json", _json, "json object"),
         ("json", _json, "json list of strings"),
         ("jsonld", _jsonld, "iri"), ("jsonld", _jsonld, "percent-encoded iri"),
         ("turtle", _turtle, "iri"), ("turtle", _turtle, "percent-encoded iri")]


@pytest.mark.parametrize("name, body_of, form", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_round_trip(client, embedded_repo, diw_key, two, name, body_of, form):
    required, dependent = two
    assert post_upload(client, rows_to_csv([required]), diw_key).status_code == 200
    body, media_type = body_of(dependent, FORMS[form](required))
    response = post_upload(client, body, diw_key, content_type=media_type)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 1
    canonical = iri_of(required)
    assert stored_requires(embedded_repo, dependent) == {canonical}
    assert doc_requires(client, dependent) == {canonical}
    as_jsonld = client.get(licence_path("doc", key_of(dependent)) + "?format=jsonld")
    assert as_jsonld.status_code == 200 and canonical in as_jsonld.get_data(as_text=True)
    # The same upload again changes nothing: the record hash covers dct:requires.
    again = post_upload(client, body, diw_key, content_type=media_type)
    assert again.get_json()["unchanged"] == 1, again.get_json()
    # The credential signs it too: its subject (and the fast path's canonical lines) hold it.
    statements = embedded_repo.graph_triples(identifiers.licence_graph_iri(BASE,
                                                                           key_of(dependent)))
    assert credential_subject(statements, iri_of(dependent))["requires"] == canonical
    assert any(REQUIRES in line for line in content_lines(statements, iri_of(dependent)))


def test_a_workbook_cell_with_several_lines(client, embedded_repo, diw_key, catalogue, two):
    required, dependent = two
    other = dict(rows_of(catalogue, "diw", 3, seed=6)[2], valid_until="")
    cell = f"{path_of(required)}\n{iri_of(other)}"      # a line break inside the cell
    body = workbook_bytes([required, other, dict(dependent, related_licences=cell)])
    response = post_upload(client, body, diw_key, content_type=XLSX_TYPE)
    assert response.status_code == 200, response.get_json()
    assert stored_requires(embedded_repo, dependent) == {iri_of(required), iri_of(other)}


def test_re_upload_unchanged_with_and_without_related_licences(client, diw_key, two):
    required, dependent = two
    body = rows_to_csv([required, dict(dependent, related_licences=path_of(required))])
    assert post_upload(client, body, diw_key).get_json()["created"] == 2
    assert post_upload(client, body, diw_key).get_json()["unchanged"] == 2
    # Dropping the relation is a change; the next identical upload is unchanged again.
    plain = rows_to_csv([required, dependent])
    assert post_upload(client, plain, diw_key).get_json()["updated"] == 1
    assert post_upload(client, plain, diw_key).get_json()["unchanged"] == 2


def test_duplicates_in_one_cell_are_collapsed(client, embedded_repo, diw_key, two):
    required, dependent = two
    cell = f"{path_of(required)}; {iri_of(required)} | {identifiers.iri_to_uri(iri_of(required))}"
    body = rows_to_csv([required, dict(dependent, related_licences=cell)])
    assert post_upload(client, body, diw_key).status_code == 200
    assert stored_requires(embedded_repo, dependent) == {iri_of(required)}


# --- the checks ----------------------------------------------------------------------------------

REFUSED = [
    ("self", lambda req, dep: path_of(dep), "related-licence-self"),
    ("self as a variant", lambda req, dep: identifiers.licence_iri_prefix(BASE)
     + f"{dep['issuer']}/{dep['licence_type']}/{_thai_digits(dep['licence_number'])}",
     "related-licence-self"),
    ("unknown", lambda req, dep: f"{req['issuer']}/{req['licence_type']}/NO-SUCH-9999",
     "related-licence-exists"),
    ("malformed", lambda req, dep: "factory 12", "related-licence-reference"),
    ("bad code", lambda req, dep: "DIW!/x/1", "related-licence-reference"),
    ("another register", lambda req, dep: "https://example.org/id/licence/diw/x/1",
     "related-licence-reference"),
]


@pytest.mark.parametrize("label, reference, rule", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_and_nothing_written(client, embedded_repo, diw_key, two, label, reference,
                                     rule):
    required, dependent = two
    value = reference(required, dependent)
    before = licence_count(embedded_repo)
    # the required licence rides in the same (refused) batch: all or nothing
    body = rows_to_csv([required, dict(dependent, related_licences=value)])
    response = post_upload(client, body, diw_key)
    assert response.status_code == 422, response.get_json()
    assert violations(response) == {(3, "related_licences", rule)}
    problem = next(p for p in error_of(response)["problems"] if p["rule"] == rule)
    shown = value.strip()[:60]
    if rule != "related-licence-exists":
        assert shown in problem["message"]["en"] and shown in problem["message"]["th"]
    else:
        assert "NO-SUCH-9999" in problem["message"]["en"] and \
            "NO-SUCH-9999" in problem["message"]["th"]
    assert licence_count(embedded_repo) == before


def test_a_dry_run_checks_existence_too(client, diw_key, two):
    required, dependent = two
    body = rows_to_csv([dict(dependent, related_licences=path_of(required))])
    response = post_upload(client, body, diw_key, query="?dry_run=true")
    assert response.status_code == 422
    assert violations(response) == {(2, "related_licences", "related-licence-exists")}


def test_a_target_only_in_the_same_batch_is_accepted(client, embedded_repo, diw_key, two):
    required, dependent = two
    # the dependant first: order within the batch does not matter
    body = rows_to_csv([dict(dependent, related_licences=path_of(required)), required])
    response = post_upload(client, body, diw_key)
    assert response.status_code == 200 and response.get_json()["created"] == 2
    assert stored_requires(embedded_repo, dependent) == {iri_of(required)}


def test_a_target_of_another_agency_is_accepted(client, embedded_repo, diw_key, catalogue,
                                                publish, two):
    other = rows_of(catalogue, "dbd", 1)[0]
    publish(embedded_repo, [other], agency="dbd")
    _required, dependent = two
    body = rows_to_csv([dict(dependent, related_licences=iri_of(other))])
    response = post_upload(client, body, diw_key)
    assert response.status_code == 200, response.get_json()
    assert stored_requires(embedded_repo, dependent) == {iri_of(other)}


def test_a_json_object_with_a_slash_in_its_codes_is_refused(client, diw_key, two):
    required, dependent = two
    reference = [{"issuer": "diw/x", "type": required["licence_type"], "number": "1"}]
    response = post_upload(client, json.dumps([dict(dependent, related_licences=reference)]),
                           diw_key, content_type=JSON)
    assert response.status_code == 422


# --- the pages -----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, requires, required_by", [
    ("th", "ต้องมีใบอนุญาต", "ใบอนุญาตที่ต้องใช้ใบนี้"), ("en", "Requires", "Required by")])
def test_both_pages_show_the_link(client, diw_key, two, lang, requires, required_by):
    required, dependent = two
    body = rows_to_csv([required, dict(dependent, related_licences=path_of(required))])
    assert post_upload(client, body, diw_key).status_code == 200
    page = client.get(licence_path("doc", key_of(dependent)) + f"?lang={lang}")
    html = page.get_data(as_text=True)
    assert requires in html and required_by not in html
    assert f'href="{licence_path("doc", key_of(required))}?lang={lang}"' in html
    assert f'data-related="{key_of(required).path}" data-related-status="active"' in html
    page = client.get(licence_path("doc", key_of(required)) + f"?lang={lang}")
    html = page.get_data(as_text=True)
    assert required_by in html and f"<dt>{requires}</dt>" not in html
    assert f'href="{licence_path("doc", key_of(dependent))}?lang={lang}"' in html


def test_the_page_follows_the_required_licence_status(client, diw_key, two):
    required, dependent = two
    body = rows_to_csv([required, dict(dependent, related_licences=path_of(required))])
    assert post_upload(client, body, diw_key).status_code == 200
    url = licence_path("doc", key_of(dependent)) + "?lang=en"
    first = client.get(url)
    revoked = dict(required, status="revoked", status_reason="ฝ่าฝืนเงื่อนไข")
    assert post_upload(client, rows_to_csv([revoked]), diw_key).get_json()["updated"] == 1
    # the dependant's own record did not change, but its page did: a new ETag, not a 304
    second = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert 'data-related-status="revoked"' in second.get_data(as_text=True)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_related_lists_pass_axe(client, diw_key, two, chromium, lang):
    """The pages with both lists, as served, in Chromium with axe: nothing serious."""
    required, dependent = two
    body = rows_to_csv([required, dict(dependent, related_licences=path_of(required))])
    assert post_upload(client, body, diw_key).status_code == 200
    locale = "th-TH" if lang == "th" else "en-US"
    context = axe.axe_context(chromium, axe.axe_source(), locale=locale)
    try:
        page = context.new_page()
        for row in (dependent, required):
            html = client.get(licence_path("doc", key_of(row)) + f"?lang={lang}").get_data(
                as_text=True)
            assert 'class="related related-' in html
            page.set_content(html)
            found = axe.blocking(axe.violations(page))
            assert not found, axe.describe(found)
    finally:
        context.close()


# --- SPARQL example 17 ---------------------------------------------------------------------------

def test_example_17_finds_the_licences_whose_required_licence_is_revoked_or_expired(
        embedded_repo, catalogue, publish):
    today = thai_today()
    r_revoked, r_expired, r_active, d1, d2, d3, d4 = rows_of(catalogue, "diw", 7, seed=17)
    old = (today - dt.timedelta(days=400)).isoformat()
    targets = [dict(r_revoked, status="revoked", status_reason="ฝ่าฝืนเงื่อนไข"),
               dict(r_expired, issued=old, valid_until=(today - dt.timedelta(days=1)).isoformat(),
                    status="active"),
               dict(r_active, issued=old, valid_until=today.isoformat(), status="active")]
    publish(embedded_repo, targets)
    publish(embedded_repo, [dict(d1, related_licences=path_of(r_revoked)),
                            dict(d2, related_licences=path_of(r_expired)),
                            dict(d3, related_licences=path_of(r_active)),
                            dict(d4, related_licences=f"{path_of(r_active)};{path_of(r_revoked)}")])
    example = next(e for e in load_examples()
                   if e.id == "17-licences-requiring-a-revoked-or-expired-licence")
    answer = embedded_repo.store.query(example.query, use_default_graph_as_union=True)
    found = {(row["licence"].value, row["required"].value, row["requiredStatus"].value)
             for row in answer}
    status = "https://w3id.org/clc/status/"
    assert found == {(iri_of(d1), iri_of(r_revoked), status + "revoked"),
                     (iri_of(d2), iri_of(r_expired), status + "expired"),
                     (iri_of(d4), iri_of(r_revoked), status + "revoked")}
