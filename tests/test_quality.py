"""An agency's data quality (issue 13, item 5): `/agencies/{code}/quality` as HTML in the
visitor's language and as JSON, and the figures on `/agencies/`.

One real store for the module: 30 licences of diw published through the publish service (its
warnings are the demo's Buddhist-Era dates), with known statuses and documents, a natural person
among the holders; a second upload whose report (the private store) quotes that person, as a
report kept before reports had a summary; a link check of diw's documents (15 reachable, 5 not).
fda and dot have a few licences and no check. The app's clock is fixed.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sqlite3
from collections import Counter

import pyoxigraph as ox
import pytest

from ops.demo import rows_to_csv
from publishing import pipeline
from publishing.pipeline import REPORT as PIPELINE_REPORT
from publishing.pipeline import CommitResult
from publishing.service import Upload
from publishing.service import publish as publish_service
from registry import identifiers, linkchecks, uploadreports
from registry.bootstrap import load_catalogue
from registry.licenceindex import SCHEMA_VERSION, LicenceIndex
from registry.problems import rule_texts
from registry.store import ChangeSet
from registry.thaiid import with_check_digit
from registry.uploadreports import REPORT
from web.app import create_app

from .support.builders import rows_of
from .support.stores import BASE

TODAY = dt.date(2026, 11, 1)
BROWSER = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
PERSON_ID = with_check_digit("110170012345")
PERSON_TH, PERSON_EN = "สมหญิง ตัวอย่างดี", "Somying Tuayangdee"
QUOTED = "ข้อความที่ถูกยกมาจากแถว"          # a report's own words: never on a page
UNREACHABLE = 5


def _diw_rows(catalogue) -> list[dict[str, str]]:
    """30 diw licences: 10 with no document, 5 with a link and no SHA-256, 15 with both;
    20 active and valid, 5 active past their end date, 2 suspended, 1 revoked, 1 surrendered,
    1 replaced; row 5 a natural person."""
    rows = rows_of(catalogue, "diw", 30, seed=3)
    for i, row in enumerate(rows):
        row.update(document_url="", document_sha256="", document_media_type="",
                   document_access="", document_login_url="", status="active", status_reason="",
                   valid_until="01/01/2573")                      # 2030, Buddhist Era
        if i >= 10:
            row.update(document_url=f"https://eservice.diw.go.th/l/{i}.pdf",
                       document_media_type="application/pdf", document_access="public")
        if i >= 15:
            row["document_sha256"] = f"{i:064x}"
        if 20 <= i < 25:
            row.update(issued="2024-01-01", valid_until="2025-01-01")
        status = {25: "suspended", 26: "suspended", 27: "revoked", 28: "surrendered",
                  29: "replaced"}.get(i)
        if status:
            row.update(status=status, status_reason="ตามคำสั่งของพนักงานเจ้าหน้าที่")
    rows[5].update(holder_type="natural", holder_id=PERSON_ID, holder_name=PERSON_TH,
                   holder_name_en=PERSON_EN)
    return rows


def commit_later(repo, rows: list[dict[str, str]], publish) -> CommitResult:
    """Publish diw's rows as the publish service does, committed a minute from now: the newest
    upload whatever second the first one ended in."""
    checked = publish_service(repo, base=BASE, catalogue=load_catalogue(repo), agency="diw",
                              uploads=Upload("text/csv", rows_to_csv(rows).encode()),
                              dry_run=True, sender=None, settings=publish.settings_of(repo))
    report = checked.reports[""]
    assert not report.violations
    return pipeline.commit(repo, report.records, base=BASE, catalogue=load_catalogue(repo),
                           agency="diw", problems=report.problems,
                           now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))


@pytest.fixture(scope="module")
def published(module_repo, catalogue, publish):
    repo = module_repo
    rows = _diw_rows(catalogue)
    first = publish(repo, rows, "diw")
    second = commit_later(repo, [dict(rows[0], premises_address="1 ถนนใหม่"),
                                 dict(rows[1], premises_address="2 ถนนใหม่")], publish)
    # The second upload's report as kept before reports had a summary, quoting a natural person.
    quoted = [{"row": 2, "field": "holder_name", "rule": "text-hidden-characters",
               "severity": "Warning",
               "message": {"th": f"{QUOTED} {PERSON_TH} {PERSON_ID}",
                           "en": f"{QUOTED} {PERSON_EN} {PERSON_ID}"}}] * 3
    upload = identifiers.upload_iri(BASE, second.upload_id)
    graph = identifiers.upload_report_graph_iri(BASE, second.upload_id)
    report = json.dumps({"problems": quoted, "more_problems": 4}, ensure_ascii=False)
    repo.private.apply(ChangeSet.from_quads(
        [ox.Quad(ox.NamedNode(upload), ox.NamedNode(REPORT), ox.Literal(report),
                 ox.NamedNode(graph))], replace=[graph]))
    publish(repo, rows_of(catalogue, "fda", 3, seed=4), "fda")
    publish(repo, rows_of(catalogue, "dot", 2, seed=5), "dot")
    # diw's link check: the first UNREACHABLE documents answer 404, the others 200.
    targets = linkchecks.documents_to_check(repo, BASE, "diw")
    assert len(targets) == 20
    when = dt.datetime(2026, 10, 30, 3, 0, tzinfo=dt.UTC)
    results = {t.url: linkchecks.CheckResult(t.url, "404" if n < UNREACHABLE else "200", when)
               for n, t in enumerate(targets)}
    linkchecks.record_results(repo, BASE, targets, results, ["diw"])
    return first


@pytest.fixture(scope="module")
def client(module_repo, published):
    app = create_app({"STORE": str(module_repo.path), "BASE_IRI": BASE},
                     repository=module_repo, clock=lambda: TODAY)
    return app.test_client()


def page(client, url: str, lang: str = "en") -> str:
    response = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}", headers=BROWSER)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def expected_warnings(published) -> Counter:
    """Warnings by rule over diw's two newest uploads: the first's, and the second's stored
    report (3 problems kept, 4 more uncounted)."""
    counted = Counter(p.rule for p in published.problems if p.severity == "Warning")
    counted["text-hidden-characters"] += 3
    return counted


def test_the_figures_as_json(client, published):
    response = client.get("/agencies/diw/quality?format=json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert client.get("/agencies/diw/quality",
                      headers={"Accept": "application/json"}).json == response.json
    data = response.json
    assert data["agency"] == "diw" and data["tier"] == 3 and data["today"] == "2026-11-01"
    assert data["iri"] == f"{BASE}/id/agency/diw" and data["scope"]["en"]
    assert data["licences"] == {"total": 30, "by_status": {
        "active": 20, "expired": 5, "suspended": 2, "revoked": 1, "surrendered": 1,
        "replaced": 1}}
    documents = data["documents"]
    assert (documents["with_url"], documents["with_sha256"]) == (20, 15)
    assert (documents["share_with_url"], documents["share_with_sha256"]) == (0.6667, 0.5)
    check = documents["link_check"]
    assert (check["checked"], check["reachable"], check["unreachable"]) == (20, 15, 5)
    assert check["last_checked"] == "2026-10-30T03:00:00Z"
    assert documents["reachable"] == 15 and documents["share_reachable"] == 0.5
    uploads = data["uploads"]
    assert uploads["read"] == 2 and uploads["uncounted"] == 4
    assert uploads["latest"]["upload_id"] != published.result.upload_id   # the second one
    warnings = {w["rule"]: w for w in uploads["warnings"]}
    assert {rule: w["count"] for rule, w in warnings.items()} == dict(expected_warnings(published))
    assert warnings["text-hidden-characters"]["uploads"] == 1
    hidden = rule_texts()["text-hidden-characters"]
    assert warnings["text-hidden-characters"]["message"] == {"th": hidden.th, "en": hidden.en}
    counts = [w["count"] for w in uploads["warnings"]]
    assert counts == sorted(counts, reverse=True)


def test_what_to_fix_next_is_ranked_by_harm(client, published):
    fixes = client.get("/agencies/diw/quality?format=json").json["to_fix"]
    top_warning = max(expected_warnings(published).items(), key=lambda kv: (kv[1], kv[0]))
    assert [(f["kind"], f["count"]) for f in fixes] == [
        ("unreachable", 5), ("no_document_url", 10), ("no_sha256", 15), ("past_end_date", 5),
        ("warning", top_warning[1])]
    assert fixes[-1]["rule"] == top_warning[0]
    assert fixes[3]["href"] == "/doc/agency/diw?status=expired#licences"
    assert fixes[0]["href"].startswith("/sparql?query=")
    assert all(f["message"]["th"] and f["message"]["en"] for f in fixes)
    assert "Licences with no document link: 10." in fixes[1]["message"]["en"]


def test_the_sparql_links_list_what_to_fix(client):
    fixes = client.get("/agencies/diw/quality?format=json").json["to_fix"]
    for kind, expected in (("unreachable", 5), ("no_document_url", 10), ("no_sha256", 15)):
        href = next(f["href"] for f in fixes if f["kind"] == kind)
        answer = client.get(href, headers={"Accept": "application/sparql-results+json"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert len(answer.json["results"]["bindings"]) == expected, kind


def test_the_page_in_each_language(client, published):
    english = page(client, "/agencies/diw/quality")
    assert english.count("<h1") == 1 and "Data quality" in english
    assert "Department of Industrial Works" in english
    assert re.search(r'<dd data-total="30">30</dd>', english)
    for status, count in (("active", 20), ("expired", 5), ("suspended", 2), ("replaced", 1)):
        assert f'<tr data-status="{status}" data-count="{count}">' in english
    assert 'href="/doc/agency/diw?status=expired&amp;lang=en#licences"' in english
    for measure, count in (("with_url", 20), ("with_sha256", 15), ("reachable", 15)):
        assert f'data-measure="{measure}" data-count="{count}"' in english
    assert "66.7%" in english and "50.0%" in english
    assert 'data-checked="20" data-unreachable="5"' in english
    kinds = re.findall(r'<li data-fix="([a-z0-9_]+)" data-count="(\d+)"', english)
    assert kinds[:4] == [("unreachable", "5"), ("no_document_url", "10"), ("no_sha256", "15"),
                         ("past_end_date", "5")]
    for rule, count in expected_warnings(published).items():
        assert f'<tr data-rule="{rule}" data-count="{count}">' in english
    assert html.escape(rule_texts()["text-hidden-characters"].en, quote=False) in english
    assert "/doc/upload/" in english and "Readiness tier" in english
    thai = page(client, "/agencies/diw/quality", "th")
    assert "คุณภาพข้อมูล" in thai and "กรมโรงงานอุตสาหกรรม" in thai
    assert rule_texts()["text-hidden-characters"].th in html.unescape(thai)
    assert "สิ่งที่ควรแก้ไขก่อน" in thai and 'lang="th"' in thai
    for body in (english, thai):
        assert "<script" not in body and " style=" not in body


def test_a_natural_persons_data_never_appears(client, module_repo):
    report = uploadreports.stored_report(module_repo, BASE, client.get(
        "/agencies/diw/quality?format=json").json["uploads"]["latest"]["upload_id"])
    assert report is not None and PERSON_ID in json.dumps(report, ensure_ascii=False)
    bodies = [client.get("/agencies/diw/quality?format=json").get_data(as_text=True),
              page(client, "/agencies/diw/quality"), page(client, "/agencies/diw/quality", "th"),
              page(client, "/agencies/"), page(client, "/agencies/", "th")]
    for body in bodies:
        for secret in (PERSON_ID, PERSON_TH, PERSON_EN, QUOTED, "holder_name\""):
            assert secret not in html.unescape(body), secret


def test_an_agency_never_checked_nor_uploading(client):
    fda = client.get("/agencies/fda/quality?format=json").json
    assert fda["licences"]["total"] == 3 and fda["documents"]["link_check"] is None
    assert fda["documents"]["reachable"] is None
    assert "Not checked yet" in page(client, "/agencies/fda/quality")
    dopa = client.get("/agencies/dopa/quality?format=json").json
    assert dopa["licences"]["total"] == 0 and dopa["uploads"]["latest"] is None
    assert dopa["to_fix"] == []
    body = page(client, "/agencies/dopa/quality")
    assert "has not uploaded anything yet" in body and "Nothing to fix" in body


@pytest.mark.parametrize("path", ["/agencies/nosuch/quality", "/agencies/BAD%20CODE/quality",
                                  "/agencies/" + "x" * 70 + "/quality"])
def test_an_unknown_agency_is_not_found(client, path):
    as_json = client.get(path, headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and as_json.json["error"]["status"] == 404
    as_page = client.get(path + "?lang=en", headers=BROWSER)
    assert as_page.status_code == 404 and as_page.mimetype == "text/html"
    assert "<h1" in as_page.get_data(as_text=True)


def test_formats_offered_and_refused(client):
    assert client.get("/agencies/diw/quality?format=ttl").status_code == 400
    assert client.get("/agencies/diw/quality", headers={"Accept": "text/turtle"}).status_code \
        == 406
    plain = client.get("/agencies/diw/quality")          # no Accept: the page
    assert plain.status_code == 200 and plain.mimetype == "text/html"
    assert "Accept" in plain.headers["Vary"] and plain.headers["ETag"]
    again = client.get("/agencies/diw/quality", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304


def test_the_national_overview(client):
    english = page(client, "/agencies/")
    row = re.search(r'<tr data-code="diw">(.*?)</tr>', english, re.S)[1]
    assert 'href="/agencies/diw/quality?lang=en"' in row
    assert "Document link 66% · SHA-256 50% · reachable 50%" in row
    assert re.search(r'data-last-upload="\d{4}-\d\d-\d\dT', row)
    fda = re.search(r'<tr data-code="fda">(.*?)</tr>', english, re.S)[1]
    assert "reachable not checked yet" in fda
    dopa = re.search(r'<tr data-code="dopa">(.*?)</tr>', english, re.S)[1]
    assert "No licences yet" in dopa and 'data-last-upload=""' in dopa
    thai = page(client, "/agencies/", "th")
    assert "ลิงก์เอกสาร 66% · SHA-256 50% · เปิดได้ 50%" in thai


def test_the_agency_page_links_its_quality(client):
    body = page(client, "/doc/agency/diw")
    assert 'href="/agencies/diw/quality?lang=en"' in body


def test_a_new_link_check_shows_at_once(client, module_repo):
    targets = linkchecks.documents_to_check(module_repo, BASE, "dot")
    assert targets
    assert client.get("/agencies/dot/quality?format=json").json["documents"]["link_check"] \
        is None
    when = dt.datetime(2026, 10, 31, tzinfo=dt.UTC)
    linkchecks.record_results(module_repo, BASE, targets,
                              {t.url: linkchecks.CheckResult(t.url, "200", when)
                               for t in targets}, ["dot"])
    fresh = client.get("/agencies/dot/quality?format=json").json["documents"]["link_check"]
    assert fresh == {"checked": len(targets), "reachable": len(targets), "unreachable": 0,
                     "last_checked": "2026-10-31T00:00:00Z"}


def test_the_checker_counts_each_issuers_documents_in_its_graph(module_repo, published):
    graph = identifiers.link_check_graph_iri(BASE, "diw")
    stated = {t.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: t.object.value
              for t in module_repo.graph_triples(graph) if t.subject.value == graph}
    assert stated == {"documentsChecked": "20", "documentsReachable": "15",
                      "modified": "2026-10-30T03:00:00Z"}


def test_the_report_predicate_is_the_pipelines():
    assert REPORT == PIPELINE_REPORT


def test_rule_counts_pass_on_only_rule_codes():
    counted = uploadreports.rule_counts([
        {"summary": [{"rule": "date-buddhist-era", "severity": "Warning", "count": 7},
                     {"rule": "<b>Somchai 1101700123458</b>", "severity": "Warning", "count": 1},
                     {"rule": "status-mapped", "severity": "Warning", "count": "many"}]},
        {"problems": [{"rule": "date-buddhist-era", "severity": "Warning"}] * 2,
         "more_problems": 3},
    ])
    assert [(r.rule, r.count, r.uploads) for r in counted.rules] == [("date-buddhist-era", 9, 2)]
    assert counted.uncounted == 3


def test_the_index_keeps_document_columns_and_an_old_file_is_rebuilt(module_repo, published,
                                                                     tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:           # an index file of schema 2: no document columns
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', '2'), ('base', ?)", (BASE,))
        db.execute("CREATE TABLE licences (id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, "
                   "issuer TEXT NOT NULL)")
    index = LicenceIndex(path, module_repo, BASE)
    assert not index.is_built()
    index.refresh()
    assert index.is_built() and SCHEMA_VERSION == "4"
    by_status = {c.status: c for c in index.quality_counts(TODAY, "diw")}
    assert sum(c.licences for c in by_status.values()) == 30
    assert sum(c.with_document_url for c in by_status.values()) == 20
    assert sum(c.with_sha256 for c in by_status.values()) == 15
    assert (by_status["active"].licences, by_status["active"].past_end_date) == (25, 5)
    assert "expired" not in by_status                 # never stored: derived from the dates
    every = index.quality_counts(TODAY)
    assert {c.issuer for c in every} == {"diw", "fda", "dot"}
    index.close()
