"""`/stats` (opendata/stats.py): the statistics cube as an HTML table with filters, CSV for
Excel and every RDF format; each answer agrees with the licences published, and a bad filter
is a 400 in the one error shape, in Thai and English."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict

import pyoxigraph as ox
import pytest

from ops.demo import demo_rows
from registry import statscube

from .support.htmltree import parse
from .support.stores import BASE

BROWSER = {"Accept": "text/html"}
THAI_DIGITS_OF = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


@pytest.fixture(scope="module")
def published(module_repo, publish, catalogue):
    """The records published, one upload per issuer, one amended (a status change)."""
    rows = list(demo_rows(catalogue, 120, seed=17))
    by_issuer = defaultdict(list)
    for row in rows:
        by_issuer[row["issuer"]].append(row)
    latest = {}
    for issuer, batch in sorted(by_issuer.items()):
        latest.update((r.key, r) for r in publish(module_repo, batch, issuer).records)
    amended = dict(rows[0], status="revoked", status_reason="ฝ่าฝืนเงื่อนไข")
    latest.update((r.key, r) for r in publish(module_repo, [amended], amended["issuer"]).records)
    return list(latest.values())


@pytest.fixture(scope="module")
def client(module_app, published):
    return module_app.test_client()


def expected(records, **filters) -> Counter:
    """Licences per (issuer, type) among `records` matching the filters."""
    def keep(r) -> bool:
        return all(str(value) == {"agency": r.key.issuer, "type": r.key.type,
                                  "province": r.province, "status": r.status,
                                  "year": str(r.issued.year)}[name]
                   for name, value in filters.items())
    return Counter((r.key.issuer, r.key.type) for r in records if keep(r))


def html_table(client, query: str) -> Counter:
    page = client.get("/stats" + query, headers=BROWSER)
    assert page.status_code == 200, page.data[:300]
    tree = parse(page.get_data(as_text=True))
    found = Counter({(row.attrs["data-agency"], row.attrs["data-type"]): int(
        row.find("td", "num").attrs["data-licences"]) for row in tree.find_all("tr")
        if row.attrs.get("data-agency")})
    foot = tree.find("tfoot")
    if found:
        assert int(foot.find("td").attrs["data-licences"]) == sum(found.values())
    return found


def _filters(records):
    first = records[0]
    province = next(r.province for r in records if r.province)
    return [{}, {"agency": first.key.issuer}, {"type": first.key.type},
            {"province": province}, {"status": "revoked"}, {"year": first.issued.year},
            {"agency": first.key.issuer, "year": first.issued.year, "status": "active"}]


def _query(filters: dict) -> str:
    from urllib.parse import urlencode
    return "?" + urlencode(filters) if filters else ""


def test_the_table_agrees_with_the_licences_under_every_filter(client, published):
    for filters in _filters(published):
        assert html_table(client, _query(filters)) == expected(published, **filters), filters
    assert expected(published, status="revoked")           # the amendment is counted


def test_csv_for_excel(client, published):
    for filters in _filters(published)[:3]:
        query = _query(filters)
        answer = client.get("/stats" + (query + "&" if query else "?") + "format=csv")
        assert answer.status_code == 200 and answer.mimetype == "text/csv"
        text = answer.get_data(as_text=True)
        assert text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text[1:])))
        assert Counter({(r["agency"], r["licence_type"]): int(r["licences"]) for r in rows}) \
            == expected(published, **filters)
        assert all(r["agency_th"] and r["licence_type_en"] for r in rows)
    by_header = client.get("/stats", headers={"Accept": "text/csv"})
    assert by_header.mimetype == "text/csv"


@pytest.mark.parametrize(("fmt", "media_type", "rdf_format"), [
    ("ttl", "text/turtle", ox.RdfFormat.TURTLE),
    ("jsonld", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("nt", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML),
])
def test_every_rdf_format_holds_the_observations(client, published, fmt, media_type,
                                                  rdf_format):
    first = published[0]
    for filters in ({}, {"province": next(r.province for r in published if r.province)},
                    {"agency": first.key.issuer}):
        query = _query({**filters, "format": fmt})
        answer = client.get("/stats" + query)
        assert answer.status_code == 200 and answer.mimetype == media_type
        triples = list(ox.parse(answer.data, format=rdf_format))
        measure = ox.NamedNode(statscube.MEASURE)
        total = sum(int(t.object.value) for t in triples if t.predicate == measure)
        assert total == sum(expected(published, **filters).values())
        datasets = {t.subject.value for t in triples
                    if t.object == ox.NamedNode("http://purl.org/linked-data/cube#DataSet")}
        assert statscube.dataset_iri(BASE, "licences") in datasets
    by_header = client.get("/stats", headers={"Accept": media_type})
    assert by_header.mimetype == media_type


@pytest.mark.parametrize("query", [
    "?agency=no-such-agency", "?type=nope", "?province=Atlantis", "?status=expired",
    "?year=99", "?year=๒๕", "?year=2300", "?year=2800", "?year=2024&year=2025", "?format=xls",
])
def test_a_bad_filter_is_a_400_in_both_languages(client, query):
    answer = client.get("/stats" + query)
    assert answer.status_code == 400
    body = answer.get_json()["error"]
    assert body["status"] == 400 and body["code"] == "bad-request"
    name = query[1:].split("=")[0]
    assert body["parameter"] == name
    assert set(body["message"]) == {"th", "en"} and name in body["message"]["en"]
    page = client.get("/stats" + query + "&lang=en", headers=BROWSER)
    assert page.status_code == 400 and page.mimetype == "text/html"


def test_a_buddhist_era_year_filters_like_its_common_era_year(client, published):
    year = published[0].issued.year
    wanted = expected(published, year=year)
    assert wanted
    for typed in (str(year + 543), str(year + 543).translate(THAI_DIGITS_OF)):
        assert html_table(client, f"?year={typed}") == wanted
        csv_rows = client.get(f"/stats?year={typed}&format=csv").get_data(as_text=True)
        assert csv_rows == client.get(f"/stats?year={year}&format=csv").get_data(as_text=True)
    # The Thai page shows the year in the Buddhist Era; the English one, and the links, in CE.
    for lang, shown in (("th", year + 543), ("en", year)):
        page = parse(client.get(f"/stats?year={year + 543}&lang={lang}", headers=BROWSER)
                     .get_data(as_text=True))
        [box] = [n for n in page.find_all("input") if n.attrs.get("id") == "year"]
        assert box.attrs["value"] == str(shown)
        [csv_link] = [n for n in page.find_all("a") if n.attrs.get("data-format") == "csv"]
        assert csv_link.attrs["href"] == f"?year={year}&format=csv"


def test_the_page_names_the_filters_in_both_languages(client):
    for lang, word in (("th", "สถิติใบอนุญาต"), ("en", "Licence statistics")):
        page = client.get(f"/stats?lang={lang}", headers=BROWSER).get_data(as_text=True)
        assert word in page
        assert 'name="province"' in page and 'name="year"' in page
