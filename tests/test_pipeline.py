"""The upload pipeline against both stores: demo data loads, bad rows are refused precisely,
nothing half-written, versions kept, private data never stored."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from ops.demo import bad_rows, demo_rows, rows_to_csv
from ops.demoload import load_demo
from publishing.pipeline import commit, validate_csv
from registry import identifiers, rdfmap
from registry.bootstrap import load_catalogue
from registry.records import COLUMNS
from registry.store import ChangeSet
from registry.validation import ValidationContext, check_batch

from .support.stores import BASE


def numbered(rows, first=2):
    return list(enumerate(rows, start=first))


def rules(problems, severity="Violation"):
    return {(p.row, p.field, p.rule) for p in problems if p.severity == severity}


def test_demo_data_validates_and_loads(repo):
    loaded = load_demo(repo, BASE, 150)
    assert loaded == 150
    rows = repo.select("""PREFIX schema: <https://schema.org/>
        SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE { GRAPH ?g { ?l a schema:GovernmentPermit } }""")
    assert int(rows[0]["n"].value) == 150
    # Loading the same data again changes no licence: every one is unchanged, still version 1.
    licence_graphs = ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                      "FILTER(CONTAINS(STR(?g), '/graph/licence/')) }")
    before = repo.select(licence_graphs)[0]["n"].value
    load_demo(repo, BASE, 150)
    assert repo.select(licence_graphs)[0]["n"].value == before
    licences = repo.select("""PREFIX clc: <https://w3id.org/clc/def#>
        SELECT (MAX(?v) AS ?max) WHERE { GRAPH ?g { ?l clc:version ?v } }""")
    assert int(licences[0]["max"].value) == 1


@pytest.fixture(scope="module")
def bad_corpus(catalogue):
    return bad_rows(catalogue)


def test_every_bad_row_names_its_row_field_and_rule(catalogue, bad_corpus):
    ctx = ValidationContext(catalogue)
    for rule, field, row in bad_corpus:
        if rule in ("issuer-scope", "date-buddhist-era"):
            continue
        good = list(demo_rows(catalogue, 5, seed=11))
        batch = numbered(good[:3] + [row] + good[3:])       # the bad row is spreadsheet row 5
        records, problems = check_batch(batch, ctx)
        assert rules(problems) == {(5, field, rule)}, (rule, row)
        assert len(records) == 5
        found = next(p for p in problems if p.rule == rule)
        assert found.th and found.en and found.th != found.en


def test_scope_and_buddhist_era(catalogue, bad_corpus):
    row = next(r for rule, _, r in bad_corpus if rule == "issuer-scope")
    outsider = next(a for a in sorted(catalogue.agencies) if row["issuer"] not in
                    catalogue.scope_of(a))
    _, problems = check_batch(numbered([row]), ValidationContext.for_agency(catalogue, outsider))
    assert rules(problems) == {(2, "issuer", "issuer-scope")}
    row = next(r for rule, _, r in bad_corpus if rule == "date-buddhist-era")
    records, problems = check_batch(numbered([row]), ValidationContext(catalogue))
    assert rules(problems) == set()
    assert (2, "issued", "date-buddhist-era") in rules(problems, "Warning")
    assert records[0].issued.isoformat() == "2023-02-01"


def test_the_same_licence_twice_in_a_batch(catalogue):
    row = next(r for r in demo_rows(catalogue, 50) if "/" in r["licence_number"])
    variant = dict(row, licence_number=" " + row["licence_number"].lower().replace("-", "\u2013")
                   .translate({ord(str(d)): chr(ord("๐") + d) for d in range(10)}))
    records, problems = check_batch(numbered([row, variant]), ValidationContext(catalogue))
    assert rules(problems) == {(3, "licence_number", "batch-duplicate")}
    assert "row 2" in next(p.en for p in problems if p.rule == "batch-duplicate")


def test_one_juristic_person_named_differently_in_a_batch_is_a_warning(catalogue):
    rows = [r for r in demo_rows(catalogue, 80, seed=5) if r["holder_type"] == "juristic"][:4]
    first, renamed, spaced, other_company = rows
    holder = first["holder_id"]
    renamed = dict(renamed, holder_id=holder, holder_name="บริษัท ชื่อใหม่ จำกัด",
                   holder_name_en="")                  # no English name: nothing to compare
    spaced = dict(spaced, holder_id=holder, holder_name="  " + first["holder_name"].replace(
        " ", "   "), holder_name_en=first["holder_name_en"].upper())
    records, problems = check_batch(numbered([first, renamed, spaced, other_company]),
                                    ValidationContext(catalogue))
    assert len(records) == 4 and rules(problems) == set()          # accepted, all four
    differ = {found for found in rules(problems, "Warning") if found[2] == "holder-name-differs"}
    assert differ == {(3, "holder_name", "holder-name-differs")}
    warning = next(p for p in problems if p.rule == "holder-name-differs")
    assert "Row 2" in warning.en and holder in warning.en and "ชื่อใหม่" in warning.en
    assert "แถวที่ 2" in warning.th


def test_csv_with_bom_and_thai_headers_gives_the_same_iri(catalogue):
    row = next(iter(demo_rows(catalogue, 1)))
    english = rows_to_csv([row]).encode()
    thai_header = ",".join(COLUMNS.values())
    thai = ("\ufeff" + thai_header + "\n" + rows_to_csv([row]).split("\n", 1)[1]).encode()
    ctx = ValidationContext(catalogue)
    a, b = validate_csv(english, ctx), validate_csv(thai, ctx)
    assert a.ok and b.ok
    assert identifiers.licence_iri(BASE, a.records[0].key) == \
        identifiers.licence_iri(BASE, b.records[0].key)


def _one(catalogue, **changes):
    row = next(r for r in demo_rows(catalogue, 40, seed=3) if r["holder_type"] == "juristic")
    records, problems = check_batch(numbered([dict(row, **changes)]), ValidationContext(catalogue))
    assert not rules(problems), problems
    return records[0]


def test_a_version_stored_with_the_fingerprint_of_before_the_log_is_still_unchanged(repo):
    # Versions stored before the public log carry the older fingerprint (rdfmap.legacy_digest);
    # the same row uploaded again must not become a new version because of it.
    catalogue = load_catalogue(repo)
    first = _one(catalogue)
    agency = first.key.issuer
    commit(repo, [first], base=BASE, catalogue=catalogue, agency=agency)
    graph = identifiers.licence_graph_iri(BASE, first.key)
    iri = ox.NamedNode(identifiers.licence_iri(BASE, first.key))
    digest = ox.NamedNode("https://w3id.org/clc/def#recordDigest")
    log_index = ox.NamedNode("https://w3id.org/clc/def#logIndex")
    # The commit names the version's log entry and stores no fingerprint of its own ...
    assert not [t for t in repo.graph_triples(graph) if t.predicate == digest]
    assert [t for t in repo.graph_triples(graph) if t.predicate == log_index]
    # ... where a version stored before the log has a digest and no entry.
    legacy = rdfmap.legacy_digest(rdfmap.content_lines(first, BASE, True))
    kept = [t for t in repo.graph_triples(graph) if t.predicate != log_index]
    repo.apply(ChangeSet.from_quads([
        *(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in kept),
        ox.Quad(iri, digest, ox.Literal(legacy), ox.NamedNode(graph))], replace=[graph]))
    result = commit(repo, [first], base=BASE, catalogue=catalogue, agency=agency)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    changed = _one(catalogue, status="revoked", status_reason="ฝ่าฝืนเงื่อนไข")
    assert commit(repo, [changed], base=BASE, catalogue=catalogue, agency=agency).updated == 1


def test_amendments_keep_every_version(repo):
    catalogue = load_catalogue(repo)
    first = _one(catalogue)
    agency = first.key.issuer
    result = commit(repo, [first], base=BASE, catalogue=catalogue, agency=agency)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert commit(repo, [first], base=BASE, catalogue=catalogue, agency=agency).unchanged == 1

    revoked = _one(catalogue, status="revoked", status_reason="ฝ่าฝืนเงื่อนไข")
    result = commit(repo, [revoked], base=BASE, catalogue=catalogue, agency=agency)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)

    graph = identifiers.licence_graph_iri(BASE, first.key)
    old = identifiers.licence_version_graph_iri(BASE, first.key, 1)
    status = "http://www.w3.org/ns/adms#status"
    current = {(t.predicate.value, t.object.value) for t in repo.graph_triples(graph)}
    kept = {(t.predicate.value, t.object.value) for t in repo.graph_triples(old)}
    assert (status, "https://w3id.org/clc/status/revoked") in current
    assert (status, "https://w3id.org/clc/status/active") in kept
    assert ("https://w3id.org/clc/def#version", "2") in current
    assert ("https://w3id.org/clc/def#previousStatus",
            "https://w3id.org/clc/status/active") in current
    # The replaced record says which version replaced it; the current one never does.
    assert (SUPERSEDED, "2") in kept
    assert not [p for p, _ in current if p == SUPERSEDED]


SUPERSEDED = "https://w3id.org/clc/def#supersededByVersion"


def test_replaced_records_of_older_stores_get_their_mark(repo):
    """A store written before replaced records carried `clc:supersededByVersion` is brought up to
    date (by `init`, `restore` and the start of `serve`), once, on either kind of store."""
    from registry.history import mark_superseded

    catalogue = load_catalogue(repo)
    first = _one(catalogue)
    agency = first.key.issuer
    for status, reason in (("active", ""), ("suspended", "ตรวจพบการฝ่าฝืน"), ("revoked", "ฝ่าฝืน")):
        commit(repo, [_one(catalogue, status=status, status_reason=reason)], base=BASE,
               catalogue=catalogue, agency=agency)
    old = [identifiers.licence_version_graph_iri(BASE, first.key, n) for n in (1, 2)]
    unmarked = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g)) for g in old
                for t in repo.graph_triples(g) if t.predicate.value != SUPERSEDED]
    repo.apply(ChangeSet.from_quads(unmarked, replace=old))       # as an older register wrote them
    assert mark_superseded(repo) == 2
    marks = {g: [t.object.value for t in repo.graph_triples(g) if t.predicate.value == SUPERSEDED]
             for g in old + [identifiers.licence_graph_iri(BASE, first.key)]}
    assert list(marks.values()) == [["2"], ["3"], []]
    assert mark_superseded(repo) == 0


def test_natural_persons_id_is_never_stored_and_name_only_on_public_registers(repo, publish):
    catalogue = load_catalogue(repo)
    public = next(t for t in catalogue.types.values() if t.public_register)
    private = next(t for t in catalogue.types.values() if not t.public_register)
    rows = []
    for licence_type, seed in ((public, 1), (private, 2)):
        agency = sorted(licence_type.authorities)[0]
        row = next(r for r in demo_rows(catalogue, 400, seed=seed)
                   if r["holder_type"] == "natural")
        rows.append(dict(row, licence_type=licence_type.code, issuer=agency,
                         licence_number=_number_for(catalogue, licence_type.code, seed)))
    for row in rows:
        publish(repo, [row], row["issuer"])
    dump = repo.export_bytes().decode()
    for row in rows:
        assert row["holder_id"] not in dump
    assert rows[0]["holder_name"] in dump           # public register: name published
    assert rows[1]["holder_name"] not in dump       # otherwise not


def _number_for(catalogue, type_code, seed):
    import random

    from ops.demo import sample_number

    return sample_number(catalogue.types[type_code].pattern, random.Random(seed))


def test_hostile_text_is_stored_as_text(repo):
    catalogue = load_catalogue(repo)
    sneaky = '" } } ; DROP ALL ; INSERT DATA { <a> <b> "c'
    record = _one(catalogue, holder_name=sneaky, conditions="=cmd|' /C calc'!A0 <script>")
    commit(repo, [record], base=BASE, catalogue=catalogue, agency=record.key.issuer)
    names = repo.select("""PREFIX legal: <http://www.w3.org/ns/legal#>
        SELECT ?name WHERE { GRAPH ?g { ?h legal:legalName ?name } }""")
    assert sneaky in {r["name"].value for r in names}
    assert repo.ask("ASK { GRAPH ?g { ?s ?p ?o } }")      # nothing was dropped


def test_a_licence_as_of_a_version_or_a_date(repo):
    import datetime as dt

    from registry.history import record_triples, version_at, versions

    catalogue = load_catalogue(repo)
    first = _one(catalogue)
    agency = first.key.issuer
    day1 = dt.datetime(2025, 1, 10, 9, 0, tzinfo=dt.UTC)
    day2 = dt.datetime(2025, 3, 5, 9, 0, tzinfo=dt.UTC)
    commit(repo, [first], base=BASE, catalogue=catalogue, agency=agency, now=day1)
    suspended = _one(catalogue, status="suspended", status_reason="ระหว่างตรวจสอบ")
    commit(repo, [suspended], base=BASE, catalogue=catalogue, agency=agency, now=day2)

    history = versions(repo, BASE, first.key)
    assert [(v.number, v.status) for v in history] == [(1, "active"), (2, "suspended")]
    assert version_at(history, number=1).status == "active"
    assert version_at(history, on=dt.date(2025, 1, 9)) is None
    assert version_at(history, on=dt.date(2025, 1, 10)).number == 1
    assert version_at(history, on=dt.date(2025, 3, 4)).number == 1
    assert version_at(history, on=dt.date(2025, 3, 5)).number == 2
    assert version_at(history).number == 2
    old = {t.object.value for t in record_triples(repo, version_at(history, number=1))}
    assert "https://w3id.org/clc/status/active" in old and "ระหว่างตรวจสอบ" not in old


# --- documents without a URL, and text-control-characters, from real CSV text ---------------------

def _csv_report(catalogue, **changes):
    """One juristic demo row with a public document, changed (a function changes the row's own
    value), read by the CSV reader: it is row 2."""
    row = next(r for r in demo_rows(catalogue, 40, seed=3) if r["holder_type"] == "juristic"
               and r["document_url"] and r["document_access"] == "public")
    row = {**row, **{column: change(row[column]) if callable(change) else change
                     for column, change in changes.items()}}
    return validate_csv(rows_to_csv([row]).encode(), ValidationContext(catalogue))


LOGIN = "https://eservice.example.go.th/login"


@pytest.mark.parametrize("changes, expected", [
    # kept: what the document is, without where (the agency does not host it)
    ({"document_url": ""}, set()),
    ({"document_url": "", "document_media_type": ""}, set()),
    ({"document_url": "", "document_sha256": ""}, set()),
    ({"document_url": "", "document_access": "restricted", "document_login_url": LOGIN}, set()),
    ({"document_url": "", "document_sha256": "", "document_media_type": ""}, set()),
    # still checked without a URL
    ({"document_url": "", "document_sha256": "not-hex"},
     {("document_sha256", "document-checksum")}),
    ({"document_url": "", "document_access": "restricted"},
     {("document_login_url", "document-login-required")}),
])
def test_document_details_without_a_url_are_kept_and_checked(catalogue, changes, expected):
    report = _csv_report(catalogue, **changes)
    assert {(f, rule) for row, f, rule in rules(report.problems)} == expected
    if expected:
        assert not report.records
        return
    record, = report.records
    row = {**next(r for r in demo_rows(catalogue, 40, seed=3) if r["holder_type"] == "juristic"
                  and r["document_url"] and r["document_access"] == "public"), **changes}
    assert (record.document_sha256, record.document_media_type) == (
        row["document_sha256"], row["document_media_type"])
    lines = rdfmap.content_lines(record, "https://example.org", public_register=False)
    for value in (row["document_sha256"], row["document_media_type"]):
        assert not value or any(f'"{value}' in line for line in lines), value


@pytest.mark.parametrize("changes, field, where", [
    ({"holder_name": "บริษัท\vตัวอย่าง จำกัด"}, "holder_name", "U+000B at character 7"),
    ({"holder_name_en": "Acme\x00 Co., Ltd."}, "holder_name_en", "U+0000 at character 5"),
    # counted in the value as sent, leading spaces included
    ({"premises_address": "  12/3\x0cถนนสุขุมวิท"}, "premises_address", "U+000C at character 7"),
    ({"province": "ขอนแก่น\x7f"}, "province", "U+007F at character 8"),
    ({"conditions": "ข้อ 1\x1b ข้อ 2\x01"}, "conditions", "U+001B at character 6"),
    ({"status": "revoked", "status_reason": "\x08ฝ่าฝืนเงื่อนไข"}, "status_reason",
     "U+0008 at character 1"),
    # canonicalisation drops the vertical tab from the number, but the printed form keeps it
    ({"licence_number": lambda number: number[:2] + "\v" + number[2:]}, "licence_number",
     "U+000B at character 3"),
])
def test_control_characters_in_text_are_refused(catalogue, changes, field, where):
    report = _csv_report(catalogue, **changes)
    assert rules(report.problems) == {(2, field, "text-control-characters")}
    assert not report.records
    found = next(p for p in report.problems if p.rule == "text-control-characters")
    assert found.en.endswith(f"{field} has {where}.")
    assert found.en.startswith("The text holds an invisible control character")
    position = where.split()[-1]
    assert f"{field} มีอักขระ {where.split()[0]} ที่ตำแหน่งที่ {position}" in found.th


@pytest.mark.parametrize("changes", [
    {"conditions": "ข้อ 1\tแสดงใบอนุญาต\r\nข้อ 2\nห้ามโอน"},      # tab, CR and LF are text
    {"holder_name_en": "\vAcme Co., Ltd.\x1f "},                  # edge white space is trimmed
])
def test_tab_line_breaks_and_trimmed_edges_are_accepted(catalogue, changes):
    report = _csv_report(catalogue, **changes)
    assert not rules(report.problems) and len(report.records) == 1
    column, value = next(iter(changes.items()))
    assert getattr(report.records[0], column) == value.strip()
