"""POST /api/v1/uploads (SPEC §5): keys, scope, all or nothing, dry runs, one error shape."""

from __future__ import annotations

import pytest

from ops.demo import demo_rows, rows_to_csv
from publishing.keys import issue_key, revoke_key

from .support.builders import post_upload
from .support.stores import BASE, licence_count


def test_upload_commits_and_counts(client, embedded_repo, diw_key, catalogue):
    body = rows_to_csv(demo_rows(catalogue, 25, agency="diw"))
    response = post_upload(client, body, diw_key)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert (result["created"], result["updated"], result["unchanged"]) == (25, 0, 0)
    assert result["upload_id"]
    assert licence_count(embedded_repo) == 25
    again = post_upload(client, body, diw_key).get_json()
    assert (again["created"], again["unchanged"]) == (0, 25)


def test_dry_run_writes_nothing(client, embedded_repo, diw_key, catalogue):
    before = embedded_repo.export_bytes()
    response = post_upload(client, rows_to_csv(demo_rows(catalogue, 5, agency="diw")), diw_key,
                           query="?dry_run=true")
    assert response.status_code == 200 and response.get_json()["dry_run"] is True
    assert embedded_repo.export_bytes() == before


@pytest.mark.parametrize("key, status", [(None, 401), ("Basic abc", 401), ("clc_not-a-key", 401)])
def test_keys_are_required(client, embedded_repo, catalogue, key, status):
    headers = {"Content-Type": "text/csv"}
    if key:
        headers["Authorization"] = key if " " in key else f"Bearer {key}"
    response = client.post("/api/v1/uploads", data=b"licence_number\n", headers=headers)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == "unauthorised"


def test_revoked_key_is_refused(client, embedded_repo, catalogue):
    key, record = issue_key(embedded_repo, BASE, "dot")
    assert revoke_key(embedded_repo, BASE, "diw", record.id) is None      # not diw's key
    assert revoke_key(embedded_repo, BASE, "dot", record.id) is not None
    assert post_upload(client, "licence_number,licence_type,issuer\n", key).status_code == 401


def test_keys_are_stored_hashed(embedded_repo, diw_key):
    assert diw_key.encode() not in embedded_repo.export_bytes()


def test_other_agencys_issuer_is_forbidden(client, embedded_repo, diw_key, catalogue):
    before = embedded_repo.export_bytes()
    body = rows_to_csv(demo_rows(catalogue, 3, agency="dot"))
    response = post_upload(client, body, diw_key)
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "out-of-scope"
    violated = {p["rule"] for p in error["problems"] if p["severity"] == "Violation"}
    assert violated == {"issuer-scope"}
    assert embedded_repo.export_bytes() == before


def test_one_bad_row_refuses_the_batch(client, embedded_repo, diw_key, catalogue):
    rows = list(demo_rows(catalogue, 40, agency="diw"))
    rows[17] = dict(rows[17], holder_id="0105556012340")     # wrong check digit
    before = embedded_repo.export_bytes()
    response = post_upload(client, rows_to_csv(rows), diw_key)
    assert response.status_code == 422
    problems = [p for p in response.get_json()["error"]["problems"] if p["severity"] == "Violation"]
    assert [(p["row"], p["field"], p["rule"]) for p in problems] == \
        [(19, "holder_id", "holder-id-checksum")]
    assert problems[0]["message"]["th"] and problems[0]["message"]["en"]
    assert embedded_repo.export_bytes() == before


@pytest.mark.parametrize("content_type", ["application/xml", "text/plain", ""])
def test_unsupported_types_415(client, diw_key, content_type):
    response = post_upload(client, "x", diw_key, content_type=content_type)
    assert response.status_code == 415
    assert "text/csv" in response.get_json()["error"]["detail"]


def test_huge_body_413(app, client, diw_key):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = post_upload(client, "x" * 5000, diw_key)
    assert response.status_code == 413
    assert response.get_json()["error"]["status"] == 413


def test_unreadable_csv_is_422(client, diw_key):
    response = client.post("/api/v1/uploads", data="a,b\n1,2\n".encode("utf-16"),
                           headers={"Content-Type": "text/csv",
                                    "Authorization": f"Bearer {diw_key}"})
    assert response.status_code == 422
    assert "UTF-8" in response.get_json()["error"]["detail"]


def test_agency_key_command(runner):
    assert runner.invoke("init").exit_code == 0
    result = runner.invoke("agency-key", "fda")
    assert result.exit_code == 0 and result.output.startswith("clc_")
    assert runner.invoke("agency-key", "no-such-agency").exit_code == 1
    listed = runner.invoke("agency-key", "fda", "--list")
    assert listed.exit_code == 0 and "created" in listed.output


def test_repeated_bad_keys_are_slowed_down(client):
    answers = [post_upload(client, "x", "clc_wrong-guess").status_code for _ in range(7)]
    assert answers[:5] == [401] * 5 and answers[5:] == [429, 429]
    response = post_upload(client, "x", "clc_wrong-guess")
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["error"]["code"] == "too-many-requests"


def test_agency_lists_only_its_own_uploads(client, embedded_repo, diw_key, catalogue):
    dot_key, _ = issue_key(embedded_repo, BASE, "dot")
    diw_rows = demo_rows(catalogue, 3, agency="diw")
    dot_rows = demo_rows(catalogue, 4, agency="dot")
    assert post_upload(client, rows_to_csv(diw_rows), diw_key).status_code == 200
    assert post_upload(client, rows_to_csv(dot_rows), dot_key).status_code == 200
    mine = client.get("/api/v1/uploads", headers={"Authorization": f"Bearer {diw_key}"}).get_json()
    assert mine["agency"] == "diw"
    assert [u["created"] for u in mine["uploads"]] == [3]
    assert client.get("/api/v1/uploads").status_code == 401


def test_openapi_describes_the_upload_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    post_op = spec["paths"]["/api/v1/uploads"]["post"]
    assert {"200", "401", "403", "413", "415", "422", "429"} <= set(post_op["responses"])
    assert "text/csv" in post_op["requestBody"]["content"]


def test_openapi_names_every_api_route_and_method(app, client):
    """The description and the app agree: each /api/v1 route's methods are described (the
    open check and changes APIs without a key), and nothing described is missing."""
    spec = client.get("/api/v1/openapi.json").get_json()
    served = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.rule != "/api/v1/openapi.json":
            path = rule.rule.replace("<", "{").replace(">", "}").replace("{path:", "{")
            served.setdefault(path, set()).update(
                m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    assert {"/api/v1/uploads", "/api/v1/check", "/api/v1/changes"} <= set(spec["paths"])
    for path, operations in spec["paths"].items():
        assert path in served, path
        assert set(operations) <= served[path], path
    assert spec["paths"]["/api/v1/check"]["post"]["security"] == []
    assert spec["paths"]["/api/v1/changes"]["get"]["security"] == []


def test_an_upload_keeps_its_report_for_its_agency_only(client, embedded_repo, diw_key, catalogue):
    rows = [dict(r, issued="01/02/2566", valid_until="")
            for r in demo_rows(catalogue, 3, agency="diw")]
    answer = post_upload(client, rows_to_csv(rows), diw_key).get_json()
    detail = client.get(f"/api/v1/uploads/{answer['upload_id']}",
                        headers={"Authorization": f"Bearer {diw_key}"})
    assert detail.status_code == 200
    report = detail.get_json()["report"]
    assert {p["rule"] for p in report["problems"]} == {"date-buddhist-era"}
    dot_key, _ = issue_key(embedded_repo, BASE, "dot")
    other = client.get(f"/api/v1/uploads/{answer['upload_id']}",
                       headers={"Authorization": f"Bearer {dot_key}"})
    assert other.status_code == 404
    # Reports live in a private graph of the private store: never in the public data.
    from registry.bootstrap import is_public_graph
    graphs = {q.graph_name.value for q in embedded_repo.private.store.quads_for_pattern(
        None, None, None, None) if "report" in q.predicate.value}
    assert graphs and not any(is_public_graph(BASE, g) for g in graphs)


def test_one_bad_row_among_ten_thousand_refuses_the_batch(client, embedded_repo, diw_key,
                                                          catalogue):
    rows = list(demo_rows(catalogue, 10_000, agency="diw"))
    rows[7_321] = dict(rows[7_321], document_sha256="not-a-checksum")
    before = embedded_repo.export_bytes()
    response = post_upload(client, rows_to_csv(rows), diw_key)
    assert response.status_code == 422
    violations = [(p["row"], p["field"], p["rule"])
                  for p in response.get_json()["error"]["problems"]
                  if p["severity"] == "Violation"]
    assert violations == [(7_323, "document_sha256", "document-checksum")]
    assert embedded_repo.export_bytes() == before


def test_report_as_csv(client, diw_key, catalogue):
    rows = [dict(r, issued="01/02/2566", valid_until="")
            for r in demo_rows(catalogue, 2, agency="diw")]
    answer = post_upload(client, rows_to_csv(rows), diw_key).get_json()
    response = client.get(f"/api/v1/uploads/{answer['upload_id']}/report.csv",
                          headers={"Authorization": f"Bearer {diw_key}"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    assert text.startswith("row,field,rule,severity,message_th,message_en")
    assert text.count("date-buddhist-era") == 2          # formula cells: tests/test_csvsafe.py
