"""The example queries of the SPARQL page (opendata/queries/*.rq) against demo licences.

One store for the module: demo licences published issuer by issuer as `load_demo` does, with a
few rows set up to make the answers checkable (dates around today, one licence type left out,
three licences of one company), then amendments, one of them twice. Every example is run
in-process with the union of all graphs as the default graph, as the endpoint does, and the
counting ones are checked against the records loaded, so a query that counted old versions
(`…/version/N` graphs) would fail here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

import pyoxigraph as ox
import pytest

from opendata.examples import ExampleError, load_examples, parse_example
from ops.demo import demo_rows
from registry import identifiers
from registry.dates import thai_today

from .support.builders import key_of
from .support.stores import BASE, initialised_store

TODAY = thai_today()
DEMO_COUNT = 400
CLCSTATUS = "https://w3id.org/clc/status/"
EXAMPLES = {example.id: example for example in load_examples()}


def _publish(publish, repo, rows: list[dict], latest: dict) -> Counter:
    """Each issuer uploads its own rows (one commit each); `latest` keeps every licence's
    newest record. Returns the uploads per agency."""
    by_issuer: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_issuer[row["issuer"]].append(row)
    uploads: Counter = Counter()
    for issuer, batch in sorted(by_issuer.items()):
        records = publish(repo, batch, issuer).records
        latest.update((record.key, record) for record in records)
        uploads[issuer] += 1
    return uploads


def _dated(row: dict, days: int, status: str = "active") -> dict:
    reason = "ระหว่างการตรวจสอบ" if status in ("suspended", "revoked") else ""
    return dict(row, issued=(TODAY - dt.timedelta(days=400)).isoformat(),
                valid_until=(TODAY + dt.timedelta(days=days)).isoformat(), status=status,
                status_reason=reason)


@pytest.fixture(scope="module")
def register(tmp_path_factory, catalogue, publish):
    """(store, latest record per licence key, facts the checks need)."""
    left_out = sorted(catalogue.types)[0]
    rows = [r for r in demo_rows(catalogue, DEMO_COUNT, seed=91) if r["licence_type"] != left_out]
    # Dates around today (the demo's own dates are around 2026-11-01, whenever the tests run).
    dated = {"today": 0, "in 30 days": 30, "in 90 days": 90, "in 91 days": 91,
             "yesterday": -1, "suspended": 10, "amended": 20}
    for i, name in enumerate(dated):
        rows[i] = _dated(rows[i], dated[name], "suspended" if name == "suspended" else "active")
    # One company holding three licences.
    juristic = [i for i, r in enumerate(rows) if r["holder_type"] == "juristic"][-3:]
    for i in juristic:
        rows[i] = dict(rows[i], **{k: rows[juristic[0]][k]
                                   for k in ("holder_id", "holder_name", "holder_name_en")})

    repo = initialised_store(tmp_path_factory.mktemp("examples") / "store")
    latest: dict = {}
    uploads = _publish(publish, repo, rows, latest)
    # Amendments: the licence expiring in 20 days is revoked; another one is suspended, then
    # revoked (three versions).
    twice = rows[len(dated)]
    reason = {"status_reason": "ฝ่าฝืนเงื่อนไขใบอนุญาต"}
    amended = rows[dated_index("amended", dated)]
    uploads += _publish(publish, repo, [dict(amended, status="revoked", **reason),
                                        dict(twice, status="suspended", **reason)], latest)
    uploads += _publish(publish, repo, [dict(twice, status="revoked", **reason)], latest)
    # A licence requiring the one that expired yesterday (example 17), published after it.
    expired = rows[dated_index("yesterday", dated)]
    extra = next(r for r in demo_rows(catalogue, 20, seed=92) if r["licence_type"] != left_out)
    uploads += _publish(publish, repo, [dict(extra, related_licences="/".join(
        expired[c] for c in ("issuer", "licence_type", "licence_number")))], latest)
    facts = {"left_out": left_out, "uploads": uploads, "holder": rows[juristic[0]]["holder_id"],
             "amended": {key_of(rows[dated_index("amended", dated)]): 2, key_of(twice): 3}}
    yield repo, latest, facts
    repo.close()


def dated_index(name: str, dated: dict) -> int:
    return list(dated).index(name)


def run(repo, example_id: str) -> list[dict]:
    """The example's answer as dicts of plain values (ASK: [{"boolean": …}])."""
    answer = repo.store.query(EXAMPLES[example_id].query, use_default_graph_as_union=True)
    if isinstance(answer, bool):
        return [{"boolean": answer}]
    names = [v.value for v in answer.variables]
    return [{n: _plain(row[n]) for n in names if row[n] is not None} for row in answer]


def _plain(term):
    if isinstance(term, ox.Literal) and term.datatype.value.endswith("#integer"):
        return int(term.value)
    return term.value


def current_total(latest: dict) -> int:
    return len(latest)


def status_now(record) -> str:
    if record.status == "active" and record.valid_until and record.valid_until < TODAY:
        return "expired"
    return record.status


# --- The files ---------------------------------------------------------------------------------


def test_there_are_enough_examples_each_with_titles_and_its_own_prefixes():
    assert len(EXAMPLES) >= 12
    assert list(EXAMPLES) == sorted(EXAMPLES)
    for example in EXAMPLES.values():
        assert example.title_th and example.title_en and example.title_th != example.title_en
        assert not example.query.startswith("#") and "PREFIX " in example.query
        # The note in both languages: the Thai one in Thai, each opening the editor's text
        assert re.search("[\u0e00-\u0e7f]{20}", example.note_th), example.id
        assert not re.search("[\u0e00-\u0e7f]", example.note_en), example.id
        for lang in ("th", "en"):
            text = example.text(lang)
            assert text.startswith("# ") and text.endswith(example.query)
            assert example.note(lang).splitlines()[0] in text
            # pyoxigraph knows no prefix of its own: an undeclared one is a syntax error here.
            ox.Store().query(text)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { ?s ?p ?o }\n",                                        # no titles
    "# th: ทดสอบ\nSELECT * WHERE { ?s ?p ?o }\n",                           # half the titles
    "# th: ทดสอบ\n# en: Test\n#\n# note\nASK {}\n",                         # a note in no language
    "# th: ทดสอบ\n# en: Test\n#\n# [en]\n# a note\nASK {}\n",               # no Thai note
    "# th: ทดสอบ\n# en: Test\n# [en]\n# a note\n# [th]\n#\nASK {}\n",         # an empty one
])
def test_a_file_without_its_titles_or_notes_is_refused(text):
    with pytest.raises(ExampleError):
        parse_example("99-refused", text)


def test_a_file_read_into_titles_notes_and_query():
    example = parse_example("99-ok", "# th: ทดสอบ\n# en: Test\n#\n# [en]\n# A note,\n#\n"
                                     "#   indented.\n#\n# [th]\n# หมายเหตุ\nASK {}\n")
    assert (example.title_th, example.title_en, example.query) == ("ทดสอบ", "Test", "ASK {}\n")
    assert (example.note_en, example.note_th) == ("A note,\n\n  indented.", "หมายเหตุ")
    assert example.text("en") == "# A note,\n#\n#   indented.\nASK {}\n"
    assert example.text("th") == "# หมายเหตุ\nASK {}\n"


# --- Every example answers ---------------------------------------------------------------------


@pytest.mark.parametrize("example_id", sorted(EXAMPLES))
def test_every_example_answers(register, example_id):
    repo, _, _ = register
    rows = run(repo, example_id)
    assert rows, f"{example_id} returned nothing"
    assert rows != [{"boolean": False}]


# --- Exact answers: current records counted once -----------------------------------------------


def _counts(rows, key: str, value: str = "licences") -> dict:
    return {row.get(key): row[value] for row in rows}


def test_counts_per_agency_type_province_and_year_add_up_to_the_current_licences(register):
    repo, latest, _ = register
    total = current_total(latest)
    agencies = _counts(run(repo, "01-licences-per-agency"), "agency")
    assert agencies == {identifiers.agency_iri(BASE, a): n
                        for a, n in Counter(k.issuer for k in latest).items()}
    types = _counts(run(repo, "02-licences-per-type"), "type")
    assert types == {identifiers.licence_type_iri(BASE, t): n
                     for t, n in Counter(k.type for k in latest).items()}
    assert _counts(run(repo, "03-licences-per-province"), "province") == \
        Counter(r.province for r in latest.values())
    pairs = run(repo, "04-licences-per-agency-and-type")
    assert sum(row["licences"] for row in pairs) == total
    assert len(pairs) == len({(k.issuer, k.type) for k in latest})
    years = run(repo, "16-licences-issued-per-year")
    assert {row["year"]: row["licences"] for row in years} == \
        Counter(r.issued.year for r in latest.values())
    assert all(row["year_be"] == row["year"] + 543 for row in years)


def test_expiring_in_90_days_is_exactly_the_active_ones_in_range(register):
    repo, latest, _ = register
    found = {identifiers.parse_licence_iri(BASE, row["licence"]) for row in
             run(repo, "05-active-licences-expiring-in-90-days")}
    expected = {key for key, r in latest.items() if r.status == "active" and r.valid_until
                and TODAY <= r.valid_until <= TODAY + dt.timedelta(days=90)}
    assert found == expected
    assert len(expected) >= 3              # today, in 30 days, in 90 days (at least)


def test_the_amended_licence_is_counted_in_its_current_state_only(register):
    repo, latest, facts = register
    revoked = {identifiers.parse_licence_iri(BASE, row["licence"])
               for row in run(repo, "06-licences-revoked-this-year")}
    assert revoked == {key for key, r in latest.items() if r.status == "revoked"}
    assert set(facts["amended"]) <= revoked
    statuses = _counts(run(repo, "07-statuses"), "status")
    assert statuses == {CLCSTATUS + s: n for s, n in
                        Counter(status_now(r) for r in latest.values()).items()}
    assert sum(statuses.values()) == current_total(latest)


def test_bcg_tiers_and_types_without_licences(register, catalogue):
    repo, latest, facts = register
    themes = run(repo, "08-bcg-theme-coverage")
    assert sum(row["licence_types"] for row in themes) == len(catalogue.types)
    assert sum(row["licences"] for row in themes) == current_total(latest)
    by_theme = {row.get("theme", "").rsplit("/", 1)[-1]: row["licences"] for row in themes}
    expected = dict.fromkeys({t.bcg_theme for t in catalogue.types.values()}, 0)
    for key in latest:
        expected[catalogue.types[key.type].bcg_theme] += 1
    assert by_theme == expected
    levels = run(repo, "09-eservice-level-by-roadmap-phase")
    assert sum(row["licence_types"] for row in levels) == len(catalogue.types)
    unused = {row["type"] for row in run(repo, "10-licence-types-without-licences")}
    assert unused == {identifiers.licence_type_iri(BASE, t) for t in catalogue.types
                      if t not in {k.type for k in latest}}
    assert identifiers.licence_type_iri(BASE, facts["left_out"]) in unused
    tiers = run(repo, "11-agencies-by-readiness-tier")
    assert len(tiers) == len(catalogue.agencies)
    assert sum(row["licences"] for row in tiers) == current_total(latest)
    assert all(row["tier"] == catalogue.agencies[row["agency"].rsplit("/", 1)[-1]].tier
               for row in tiers)


def test_holders_uploads_documents_and_versions(register):
    repo, latest, facts = register
    holders = run(repo, "12-juristic-persons-with-most-licences")
    assert holders[0]["holder"] == f"{BASE}/id/juristic-person/{facts['holder']}"
    assert holders[0]["licences"] == 3 and holders[0]["juristic_id"] == facts["holder"]
    assert holders[0]["name_th"] and holders[0]["name_en"]
    uploads = run(repo, "13-uploads-per-agency")
    assert {row["agency"]: row["uploads"] for row in uploads} == \
        {identifiers.agency_iri(BASE, a): n for a, n in facts["uploads"].items()}
    assert sum(row["created"] for row in uploads) == current_total(latest)
    assert sum(row["updated"] for row in uploads) == 3
    [documents] = run(repo, "14-documents-with-and-without-sha256")
    assert documents["licences"] == current_total(latest)
    assert documents["with_document"] == sum(bool(r.document_url) for r in latest.values())
    assert documents["with_sha256"] == sum(bool(r.document_sha256) for r in latest.values())
    assert documents["without_document"] == documents["licences"] - documents["with_document"]
    versions = run(repo, "15-licences-amended-most")
    assert {identifiers.parse_licence_iri(BASE, row["licence"]): row["versions"]
            for row in versions} == facts["amended"]
    assert versions[0]["versions"] == 3
    assert versions[0]["status"] == CLCSTATUS + "revoked"
    assert versions[0]["previous_status"] == CLCSTATUS + "suspended"


def test_old_versions_are_really_in_the_default_graph(register):
    """What the idiom guards against: without it the amended licences count twice or more."""
    repo, latest, _ = register
    naive = repo.store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?l <https://schema.org/issuedBy> ?a }",
        use_default_graph_as_union=True)
    assert int(next(naive)["n"].value) == current_total(latest) + 1 + 2
