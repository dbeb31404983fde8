"""Data-quality benchmark (issue 13, item 5): `/agencies/{code}/quality` and the `/agencies/`
overview as the app answers them (the licence side index, the link-check graphs, the uploads),
against the naive SPARQL aggregation of the same licence figures over the store, same data,
same run.

    python bench/quality.py [--sizes 10000,100000,1000000] [--runs 5] [--naive-runs 2]

For each size:
1. Demo licences (ops/demo.py), not timed. A real pyoxigraph store of them, bulk-loaded: up to
   `--full-store-max` (default 100,000) each record as the register writes it
   (registry/rdfmap.py); above it only what the naive query reads of a record (issuer, status,
   end date, version, document URL and checksum), so the comparison stays fair at a fraction of
   the loading time. Beside them: each issuer's uploads (one activity per 10,000 of its
   licences), the biggest agency's upload reports in the private store (10,000 problems kept
   each, with a summary), and a link-check graph per issuer (90% of documents reachable, and
   the counts the checker states of the graph itself).
2. The side index loaded from the same rows (`load_rows`, with the store's state, so the app
   takes it as current).
3. Through the app (Flask test client): the biggest agency's quality page (JSON and HTML) and
   the /agencies/ overview, "cold" (a new app: every figure computed) and "warm" (the figures
   kept); then each part alone (index GROUP BY one issuer / all, link-check aggregate one / all,
   newest uploads and their reports, latest upload per agency).
4. The naive approach: one SPARQL aggregate over the current records for the agency (by status,
   with document URL, with checksum, past their end date), and one for every agency.

Results are printed and written to bench/out/quality.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sizes import bulk_load, records_of, run_sizes, size_arguments  # noqa: E402

BASE = "http://127.0.0.1:8000"
TODAY = dt.date(2026, 11, 1)
STAMP = "2026-11-01T00:00:00Z"
PER_UPLOAD = 10_000

_P = {"issuedBy": "<https://schema.org/issuedBy>", "status": "<http://www.w3.org/ns/adms#status>",
      "validUntil": "<https://schema.org/validUntil>", "version": "<https://w3id.org/clc/def#version>",
      "document": "<https://w3id.org/clc/def#document>", "url": "<https://schema.org/url>",
      "checksum": "<http://spdx.org/rdf/terms#checksum>",
      "checksumValue": "<http://spdx.org/rdf/terms#checksumValue>"}
_XSD = "http://www.w3.org/2001/XMLSchema#"


def records(count: int, seed: int):
    """(catalogue, LicenceRecord) of demo rows (valid by construction: no pipeline)."""
    from ops.demo import demo_rows
    from registry.model import read_catalogue
    from registry.paths import CATALOGUE_DIR

    catalogue = read_catalogue(CATALOGUE_DIR)
    for rec in records_of(demo_rows(catalogue, count, seed=seed)):
        yield catalogue, rec


def _reduced_lines(rec) -> list[str]:
    """What the naive query reads of a record, as the register writes it."""
    from registry import identifiers

    iri = identifiers.licence_iri(BASE, rec.key)
    g = f"<{identifiers.licence_graph_iri(BASE, rec.key)}>"
    L = f"<{iri}>"
    lines = [f"{L} {_P['issuedBy']} <{identifiers.agency_iri(BASE, rec.key.issuer)}> {g} .",
             f"{L} {_P['status']} <https://w3id.org/clc/status/{rec.status}> {g} .",
             f'{L} {_P["version"]} "1"^^<{_XSD}integer> {g} .']
    if rec.valid_until:
        lines.append(f'{L} {_P["validUntil"]} "{rec.valid_until.isoformat()}"^^<{_XSD}date> {g} .')
    if rec.document_url or rec.document_sha256:
        D = f"<{identifiers.licence_part_iri(iri, 'document')}>"
        lines.append(f"{L} {_P['document']} {D} {g} .")
        if rec.document_url:
            lines.append(f"{D} {_P['url']} <{rec.document_url}> {g} .")
        if rec.document_sha256:
            C = f"<{identifiers.licence_part_iri(iri, 'checksum')}>"
            lines += [f"{D} {_P['checksum']} {C} {g} .",
                      f'{C} {_P["checksumValue"]} "{rec.document_sha256}"^^<{_XSD}hexBinary> {g} .']
    return lines


def _upload_lines(upload_id: str, agency: str, created: int, minute: int) -> list[str]:
    from registry import identifiers

    u = f"<{identifiers.upload_iri(BASE, upload_id)}>"
    g = f"<{identifiers.upload_graph_iri(BASE, upload_id)}>"
    ended = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
             ).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [f"{u} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
            f"<http://www.w3.org/ns/prov#Activity> {g} .",
            f"{u} <http://www.w3.org/ns/prov#wasAssociatedWith> "
            f"<{identifiers.agency_iri(BASE, agency)}> {g} .",
            f'{u} <http://www.w3.org/ns/prov#endedAtTime> "{ended}"^^<{_XSD}dateTime> {g} .',
            f'{u} <http://purl.org/dc/terms/identifier> "{upload_id}" {g} .',
            *(f'{u} <https://w3id.org/clc/def#{name}> "{n}"^^<{_XSD}integer> {g} .'
              for name, n in (("created", created), ("updated", 0), ("unchanged", 0)))]


_CHECKED_AT = f'"2026-10-31T02:00:00Z"^^<{_XSD}dateTime>'


def _check_lines(rec, reachable: bool) -> list[str]:
    from registry import identifiers

    g = f"<{identifiers.link_check_graph_iri(BASE, rec.key.issuer)}>"
    d = f"<{identifiers.licence_part_iri(identifiers.licence_iri(BASE, rec.key), 'document')}>"
    lines = [f"{d} <https://w3id.org/clc/def#lastChecked> {_CHECKED_AT} {g} .",
             f'{d} <https://w3id.org/clc/def#linkStatus> "{200 if reachable else 404}" {g} .']
    if reachable:
        lines.append(f"{d} <https://w3id.org/clc/def#lastReachable> {_CHECKED_AT} {g} .")
    return lines


def _check_count_lines(issuer: str, checked: int, reachable: int) -> list[str]:
    """The graph's own counts, as registry/linkchecks.py writes them."""
    from registry import identifiers

    g = f"<{identifiers.link_check_graph_iri(BASE, issuer)}>"
    return [f'{g} <https://w3id.org/clc/def#documentsChecked> "{checked}"^^<{_XSD}integer> {g} .',
            f'{g} <https://w3id.org/clc/def#documentsReachable> "{reachable}"^^<{_XSD}integer> '
            f"{g} .", f"{g} <http://purl.org/dc/terms/modified> {_CHECKED_AT} {g} ."]


def build(path: Path, count: int, seed: int, full: bool):
    """The store (see the module's docstring), the index rows, the biggest agency's uploads."""

    from registry import identifiers, rdfmap
    from registry.bootstrap import init_store
    from registry.licencesource import SourceRow
    from registry.store.embedded import EmbeddedRepository

    repo = EmbeddedRepository(path, create=True)
    init_store(repo, BASE)
    repo.close()
    nq = path.parent / f"quality-{count}.nq"
    rng = random.Random(seed)  # noqa: S311 — repeatable benchmark data
    rows, per_issuer, checked, reachable = [], Counter(), Counter(), Counter()
    with open(nq, "w", encoding="utf-8") as out:
        for catalogue, rec in records(count, seed):
            issuer = rec.key.issuer
            upload_id = f"bench-{issuer}-{per_issuer[issuer] // PER_UPLOAD}"
            per_issuer[issuer] += 1
            if full:
                public = catalogue.types[rec.key.type].public_register
                lines = rdfmap.content_lines(rec, BASE, public)
                lines += rdfmap.version_lines(
                    rec, BASE, version=1, record_digest=rdfmap.legacy_digest(lines),
                    timestamp=STAMP,
                    agency=issuer, upload_iri=identifiers.upload_iri(BASE, upload_id),
                    previous_status=None)
            else:
                lines = _reduced_lines(rec)
            if rec.document_url:
                up = rng.random() < 0.9
                lines += _check_lines(rec, up)
                checked[issuer] += 1
                reachable[issuer] += up
            out.write("\n".join(lines) + "\n")
            rows.append(SourceRow(
                identifiers.licence_iri(BASE, rec.key), issuer, rec.key.type, rec.key.number,
                rec.printed_number, rec.holder_id, "", "", rec.status, rec.issued.isoformat(),
                rec.valid_until.isoformat() if rec.valid_until else "", STAMP,
                bool(rec.document_url), bool(rec.document_sha256)))
        for issuer, n in sorted(checked.items()):
            out.write("\n".join(_check_count_lines(issuer, n, reachable[issuer])) + "\n")
        minute = 0
        uploads: dict[str, list[str]] = {}
        for issuer, n in sorted(per_issuer.items()):
            for block in range(0, n, PER_UPLOAD):
                upload_id = f"bench-{issuer}-{block // PER_UPLOAD}"
                minute += 1
                out.write("\n".join(_upload_lines(upload_id, issuer,
                                                  min(PER_UPLOAD, n - block), minute)) + "\n")
                uploads.setdefault(issuer, []).append(upload_id)
    load_s = bulk_load(path, nq)
    top = per_issuer.most_common(1)[0][0]
    return rows, top, uploads[top], per_issuer, load_s


def write_reports(repo, upload_ids: list[str]) -> None:
    """Each upload's report as the pipeline keeps it: 10,000 problems and the summary."""
    import pyoxigraph as ox

    from registry import identifiers
    from registry.store import ChangeSet
    from registry.uploadreports import REPORT

    problem = {"row": 2, "field": "issued", "rule": "date-buddhist-era", "severity": "Warning",
               "message": {"th": "ปีของวันที่เป็นปีพุทธศักราช ระบบแปลงเป็นปีคริสต์ศักราชแล้ว "
                                 "'10/03/2565' ถูกแปลงเป็น 2022-03-10",
                           "en": "The year of the date is a Buddhist-Era year and was converted "
                                 "to the Common Era (minus 543); please check it. '10/03/2565' "
                                 "was read as 2022-03-10."}}
    summary = [{"rule": rule, "field": "issued", "severity": "Warning", "count": n,
                "rows": list(range(2, 12)), "message": problem["message"]}
               for rule, n in (("date-buddhist-era", 9000), ("status-mapped", 700),
                               ("province-mapped", 300))]
    report = json.dumps({"problems": [problem] * 10_000, "more_problems": 0, "summary": summary},
                        ensure_ascii=False)
    for upload_id in upload_ids:
        graph = identifiers.upload_report_graph_iri(BASE, upload_id)
        repo.private.apply(ChangeSet.from_quads(
            [ox.Quad(ox.NamedNode(identifiers.upload_iri(BASE, upload_id)), ox.NamedNode(REPORT),
                     ox.Literal(report), ox.NamedNode(graph))], replace=[graph]))


def timed(call, runs: int) -> dict:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"runs": runs, "p50_ms": round(statistics.median(times), 1),
            "max_ms": round(times[-1], 1)}


def naive_query(agency: str | None) -> str:
    """The licence figures straight from the store: current records by (issuer,) status, past
    their end date or not, with a document URL, with a checksum."""
    from registry.history import current_record
    from registry.namespaces import sparql_prefixes

    issuer = f"<{BASE}/id/agency/{agency}>" if agency else "?issuer"
    group = "?status ?past" if agency else "?issuer ?status ?past"
    return sparql_prefixes("clc", "schema", "adms", "spdx", "xsd") + f"""
SELECT {group} (COUNT(?l) AS ?n) (COUNT(?url) AS ?urls) (COUNT(?sha) AS ?shas) WHERE {{
  GRAPH ?g {{
    ?l schema:issuedBy {issuer} ; adms:status ?status ; clc:version ?v .
    OPTIONAL {{ ?l schema:validUntil ?until }}
    OPTIONAL {{ ?l clc:document/schema:url ?url }}
    OPTIONAL {{ ?l clc:document/spdx:checksum/spdx:checksumValue ?sha }}
  }}
  {current_record("?g")}
  BIND(COALESCE(?until < "{TODAY.isoformat()}"^^xsd:date, false) AS ?past)
}} GROUP BY {group}"""


def run_size(count: int, work: Path, runs: int, naive_runs: int, full_store_max: int) -> dict:
    from opendata import qualityqueries
    from opendata.pages import LicenceCounts, licence_counts
    from registry import uploadreports
    from registry.licenceindex import LicenceIndex
    from registry.licencesource import index_state, store_state
    from registry.store.embedded import EmbeddedRepository
    from web.app import create_app
    from web.searchindex import index_path
    from web.state import state_of

    print(f"== {count:,} licences", flush=True)
    path = work / f"store-{count}"
    full = count <= full_store_max
    started = time.perf_counter()
    rows, top, top_uploads, per_issuer, load_s = build(path, count, seed=count, full=full)
    result: dict = {"licences": count, "store": "full records" if full else "figures only",
                    "agencies": len(per_issuer), "top_agency": top,
                    "top_agency_licences": per_issuer[top],
                    "generate_s": round(time.perf_counter() - started - load_s, 1),
                    "bulk_load_s": round(load_s, 1)}
    repo = EmbeddedRepository(path)
    write_reports(repo, top_uploads[-5:])
    settings = {"STORE": str(path), "BASE_IRI": BASE}

    def new_app():
        return create_app(settings, repository=repo, clock=lambda: TODAY)

    app = new_app()
    index = LicenceIndex(index_path(state_of(app).settings, repo), repo, BASE)
    started = time.perf_counter()
    index.load_rows(rows, state=index_state(repo, BASE))
    result["index_load_s"] = round(time.perf_counter() - started, 1)
    result["index_file_mb"] = round(os.path.getsize(index.path) / 1e6, 1)
    del rows
    print(f"  built: {result}", flush=True)
    html = {"Accept": "text/html"}
    pages = {
        "quality json": (f"/agencies/{top}/quality?format=json", {}),
        "quality html": (f"/agencies/{top}/quality?lang=en", html),
        "agencies overview html": ("/agencies/?lang=en", html),
    }
    through_app: dict = {}
    for name, (url, headers) in pages.items():
        fresh_clients = [new_app().test_client() for _ in range(max(2, runs // 2))]
        for client in fresh_clients:    # the catalogue read (every page's first look), not timed
            assert client.get("/agencies/no-such-agency/quality").status_code == 404
        fresh = iter(fresh_clients)

        def cold(url=url, headers=headers, fresh=fresh):
            response = next(fresh).get(url, headers=headers)   # a new app: nothing kept
            assert response.status_code == 200, (url, response.status_code)
        warm = new_app().test_client()
        warm.get(url, headers=headers)
        through_app[name] = {"cold": timed(cold, max(2, runs // 2)),
                             "warm": timed(lambda u=url, h=headers, c=warm: c.get(u, headers=h),
                                           runs)}
        print(f"  app    {name:26} {through_app[name]}", flush=True)
    result["through_app"] = through_app
    parts: dict = {}
    with app.app_context():
        def uncached(ask):
            def run():
                index._figures.clear()       # noqa: SLF001 — time the work, not the cache
                state_of(app).part(qualityqueries.QualityCache).kept.clear()
                state_of(app).part(LicenceCounts).cached = None
                return ask()
            return run
        asks = {
            "index: one agency": lambda: index.quality_counts(TODAY, top),
            "index: every agency": lambda: index.quality_counts(TODAY),
            "link checks: one agency": lambda: qualityqueries.link_counts(repo, BASE, top),
            "link checks: every agency": lambda: qualityqueries.all_link_counts(repo, BASE),
            "newest uploads + 5 reports": lambda: qualityqueries.agency_uploads(repo, BASE, top),
            "latest upload per agency": lambda: uploadreports.latest_uploads(repo, BASE),
            "store state (cache key)": lambda: store_state(repo),
            "licence counts (existing /agencies/ SPARQL)": lambda: licence_counts(repo, BASE),
        }
        for name, ask in asks.items():
            parts[name] = timed(uncached(ask), runs)
            print(f"  part   {name:44} {parts[name]}", flush=True)
    result["parts_uncached"] = parts
    naive = {"one agency": timed(lambda: repo.select(naive_query(top)), naive_runs),
             "every agency": timed(lambda: repo.select(naive_query(None)), naive_runs)}
    for name, figures in naive.items():
        print(f"  naive  {name:26} {figures}", flush=True)
    result["naive_sparql"] = naive
    check = {(r["status"].value.rsplit("/", 1)[-1], r["past"].value): int(r["n"].value)
             for r in repo.select(naive_query(top))}
    figures = {c.status: c.licences for c in index.quality_counts(TODAY, top)}
    assert sum(check.values()) == sum(figures.values()), (check, figures)
    index.close()
    repo.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size_arguments(parser)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--naive-runs", type=int, default=2)
    parser.add_argument("--full-store-max", type=int, default=100_000)
    args = parser.parse_args()
    run_sizes("quality", args.sizes, args.work,
              lambda size, work: run_size(size, work, args.runs, args.naive_runs,
                                          args.full_store_max))


if __name__ == "__main__":
    main()
