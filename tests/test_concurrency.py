"""Concurrent uploads end in a state equal to some serial order: no update is lost."""

from __future__ import annotations

import threading

from ops.demo import demo_rows, rows_to_csv
from publishing.keys import issue_key
from registry.history import versions
from registry.identifiers import LicenceKey, canonical_number

from .support.builders import post_upload
from .support.stores import BASE, licence_count


def test_four_agencies_at_once_and_two_amending_the_same_licences(app, embedded_repo, catalogue):
    agencies = ["diw", "dot", "fda", "bma"]
    keys = {a: issue_key(embedded_repo, BASE, a)[0] for a in [*agencies, "chiangmai-industry"]}
    # diw may publish for its provincial office too: both amend the same licences at once.
    shared = [r for r in demo_rows(catalogue, 400, agency="chiangmai-industry")
              if r["issuer"] == "chiangmai-industry" and r["status"] == "active"][:40]
    first = post_upload(app.test_client(), rows_to_csv(shared), keys["chiangmai-industry"])
    assert first.status_code == 200, first.get_json()

    bodies = {a: rows_to_csv(demo_rows(catalogue, 150, seed=len(a), agency=a)) for a in agencies}
    amendments = {
        "diw": rows_to_csv([dict(r, status="suspended", status_reason="คำสั่ง A") for r in shared]),
        "chiangmai-industry": rows_to_csv([dict(r, conditions="เงื่อนไขใหม่ B") for r in shared]),
    }
    answers: dict[str, list[int]] = {}

    def send(agency: str, body: str, key: str):
        response = post_upload(app.test_client(), body, key)       # a client per thread
        answers.setdefault(agency, []).append(response.status_code)

    jobs = [(a, bodies[a], keys[a]) for a in agencies]
    jobs += [(a, body, keys[a]) for a, body in amendments.items()]
    threads = [threading.Thread(target=send, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(code == 200 for codes in answers.values() for code in codes), answers

    assert licence_count(embedded_repo) == 40 + 150 * len(agencies)
    for row in shared:
        key = LicenceKey(row["issuer"], row["licence_type"],
                         canonical_number(row["licence_number"]))
        history = versions(embedded_repo, BASE, key)
        # Created, then amended twice — in one order or the other, never one lost.
        assert [v.number for v in history] == [1, 2, 3]
        final, middle = (_status_and_conditions(embedded_repo, v.graph) for v in history[2:0:-1])
        amendment_a = ("https://w3id.org/clc/status/suspended", None)
        # Either order is a serial order: the last amendment is current, the other is version 2.
        assert {final[1] == "เงื่อนไขใหม่ B", middle[1] == "เงื่อนไขใหม่ B"} == {True, False}
        assert (final[0] == amendment_a[0]) == (middle[1] == "เงื่อนไขใหม่ B")


def _status_and_conditions(repo, graph):
    triples = repo.graph_triples(graph)
    value = lambda p: next((t.object.value for t in triples if t.predicate.value == p), None)  # noqa: E731
    return (value("http://www.w3.org/ns/adms#status"), value("https://w3id.org/clc/def#conditions"))
