"""Builders the test modules share (not a test module): licence rows of one agency, CSV bodies,
keys, apps over a store, requests to the upload API, the paths of a licence, checked demo
records and tampered credentials."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from flask import Flask

from ops.demo import demo_rows, rows_to_csv
from publishing.keys import issue_key
from registry import identifiers
from registry.bootstrap import init_store
from registry.model import Catalogue
from registry.records import STATUSES, LicenceRecord
from registry.store import Repository
from registry.store.embedded import EmbeddedRepository
from registry.validation import ValidationContext, check_row
from web.app import create_app

from .stores import BASE


def rows_of(catalogue: Catalogue, issuer: str, count: int, seed: int = 1) -> list[dict[str, str]]:
    """`count` demo licences whose issuer is `issuer` (demo_rows for an agency also gives its
    provincial offices' licences)."""
    rows = [r for r in demo_rows(catalogue, 40 * count, seed=seed, agency=issuer)
            if r["issuer"] == issuer]
    assert len(rows) >= count
    return rows[:count]


def rows_of_both_holder_kinds(catalogue: Catalogue, count: int,
                              agency: str = "diw") -> list[dict[str, str]]:
    """`count` demo rows of `agency`'s scope, juristic and natural holders both among them."""
    rows = list(demo_rows(catalogue, count, agency=agency))
    assert {r["holder_type"] for r in rows} == {"juristic", "natural"}
    return rows


def checked_demo_records(catalogue: Catalogue, count: int = 80) -> list[LicenceRecord]:
    """Demo rows checked into records (every holder kind, with and without end dates and
    documents): what the credential tests build credentials from."""
    context = ValidationContext(catalogue)
    out = []
    for n, row in enumerate(demo_rows(catalogue, count), start=2):
        record, _problems = check_row(n, row, context)
        assert record is not None
        out.append(record)
    return out


# Text that tests escaping everywhere: Thai with stacked marks, quotes, backslashes, line
# breaks, tabs, controls, astral characters.
AWKWARD = ["ร้านค้า ผู้ใหญ่ ก่อ ทั้ง น้ำ ชั่ว", 'He said "no" \\ then\nleft\r\n\ttab',
           "\u0000\u0001\u001f\u007f\u0085\u2028\u2029", "emoji 🙂 𝔘 \U0010fffd",
           "ก\u0e4c\u0e4c\u0e31\u0e34 (marks stacked)", "' < > & { } |", " leading and trailing "]


def awkward_demo_records(catalogue: Catalogue) -> list[LicenceRecord]:
    """Checked demo records, then one of each status, then one with each AWKWARD text in every
    text field (the last len(AWKWARD) records)."""
    out = checked_demo_records(catalogue)
    for n, status in enumerate(STATUSES):
        out.append(dataclasses.replace(out[n], status=status,
                                       status_reason=AWKWARD[n % len(AWKWARD)]))
    for n, text in enumerate(AWKWARD):
        out.append(dataclasses.replace(out[n + 10], holder_name=text, holder_name_en=text,
                                       premises_address=text, province=text, conditions=text,
                                       status_reason=text, printed_number=text))
    return out


def with_value(document: dict, path: tuple, value: Any) -> dict:
    """A deep copy of `document` with the value at `path` (keys and list indexes) replaced:
    a tampered credential."""
    changed = copy.deepcopy(document)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def key_of(row: dict[str, str]) -> identifiers.LicenceKey:
    """The licence a row names (its canonical number)."""
    return identifiers.licence_key(row["issuer"], row["licence_type"], row["licence_number"])


def licence_path(kind: str, key: identifiers.LicenceKey) -> str:
    """The licence's /id/ or /doc/ path, as a URI (percent-encoded)."""
    return identifiers.iri_to_uri(f"/{kind}/licence/{key.path}")


def agency_key(repo: Repository, agency: str) -> str:
    """A new API key of `agency` (its secret)."""
    key, _ = issue_key(repo, BASE, agency)
    return key


def app_over(repo: EmbeddedRepository, **settings: Any) -> Flask:
    """The web app over an embedded store (its STORE and BASE_IRI, and any other settings)."""
    return create_app({"STORE": str(repo.path), "BASE_IRI": BASE, **settings}, repository=repo)


def post_upload(client, body: str | bytes, key: str | None, content_type: str = "text/csv",
                query: str = ""):
    """POST `body` to /api/v1/uploads with the agency's key (none when `key` is None)."""
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    data = body.encode() if isinstance(body, str) else body
    return client.post("/api/v1/uploads" + query, data=data, headers=headers)


# What only the commit sets (its time, its upload): left out when two uploads' graphs compare.
SET_ON_COMMIT = {"http://purl.org/dc/terms/modified", "http://www.w3.org/ns/prov#wasGeneratedBy"}


def licence_graphs(repo: Repository) -> set[tuple[str, str, str, str]]:
    """Every quad of the licence graphs, without what only the commit sets."""
    solutions = repo.select(
        "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
        f"FILTER(STRSTARTS(STR(?g), \"{BASE}/graph/licence/\")) }}")
    return {(str(r["g"]), str(r["s"]), str(r["p"]), str(r["o"])) for r in solutions
            if r["p"].value not in SET_ON_COMMIT}


def csv_upload_graphs(folder, rows: list[dict[str, str]]) -> set[tuple[str, str, str, str]]:
    """The licence graphs `rows` make when uploaded as CSV by diw to a fresh store in
    `folder`: what every other format of the same rows must store."""
    repo = EmbeddedRepository(folder / "store", create=True)
    try:
        init_store(repo, BASE)
        key, _ = issue_key(repo, BASE, "diw")
        client = create_app({"STORE": str(repo.path), "BASE_IRI": BASE},
                            repository=repo).test_client()
        response = post_upload(client, rows_to_csv(rows), key)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["created"] == len(rows)
        return licence_graphs(repo)
    finally:
        repo.close()


def stored_version_lines(record: LicenceRecord, base: str, *, version: int, time: str,
                         upload_iri: str) -> list[str]:
    """A licence graph's N-Quads lines as the commit writes them: content, version metadata (an
    amendment's change activity too) and a status counter, in the licence's own graph."""
    from registry import logleaf, rdfmap

    content = rdfmap.content_lines(record, base, True)
    own = identifiers.licence_graph_iri(base, record.key)
    iri = identifiers.licence_iri(base, record.key)
    return content + rdfmap.version_lines(
        record, base, version=version, record_digest=logleaf.record_hash(content, own),
        timestamp=time,
        agency=record.key.issuer, upload_iri=upload_iri,
        previous_status=None if version == 1 else "active") + [
        f"<{iri}> <https://w3id.org/clc/def#statusCounter> \"5\"^^"
        f"<http://www.w3.org/2001/XMLSchema#integer> <{own}> ."]
