"""Bad input gets a 4xx in the one error shape, naming the field or parameter; never a 500.

Each test names an input that once answered 500 (issue 10, and what tests/test_fuzz_routes.py
found). The app propagates exceptions, so a bug fails the test with its traceback.
"""

from __future__ import annotations

import json

import pytest

from publishing.keys import issue_key

from .support.stores import BASE

HEADER = "licence_number,licence_type,issuer,holder_name\n"
HUGE_NUMBER = "1" * 5000               # past Python's 4,300-digit limit on int()


@pytest.fixture
def strict_client(app):
    app.config["PROPAGATE_EXCEPTIONS"] = True
    return app.test_client()


@pytest.fixture
def diw_key(embedded_repo):
    key, _ = issue_key(embedded_repo, BASE, "diw")
    return key


def one_error(response, status: int, code: str) -> dict:
    """The body is exactly the one error shape, with this status and code."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert list(body) == ["error"]
    error = body["error"]
    assert {"status", "code", "title", "detail"} <= set(error)
    assert (error["status"], error["code"]) == (status, code)
    return error


def upload(client, key, body: bytes, content_type: str):
    return client.post("/api/v1/uploads?dry_run=true", data=body,
                       headers={"Content-Type": content_type, "Authorization": f"Bearer {key}"})


# --- Upload bodies ------------------------------------------------------------------------------

def test_json_upload_with_a_5000_digit_number_names_record_and_field(strict_client, diw_key):
    body = f'[{{"licence_number": {HUGE_NUMBER}, "licence_type": "x", "issuer": "diw"}}]'
    error = one_error(upload(strict_client, diw_key, body.encode(), "application/json"),
                      422, "invalid-upload")
    assert "licence_number" in error["detail"] and "5,000 characters" in error["detail"]
    [problem] = error["problems"]
    assert (problem["row"], problem["field"]) == (1, "licence_number")


def test_json_upload_with_a_huge_number_under_licences_names_the_field(strict_client, diw_key):
    body = f'{{"licences": [{{}}, {{"holder_id": {HUGE_NUMBER}.5}}]}}'
    error = one_error(upload(strict_client, diw_key, body.encode(), "application/json"),
                      422, "invalid-upload")
    [problem] = error["problems"]
    assert (problem["row"], problem["field"]) == (2, "holder_id")


def test_json_upload_that_is_only_a_huge_number(strict_client, diw_key):
    error = one_error(upload(strict_client, diw_key, HUGE_NUMBER.encode(), "application/json"),
                      422, "invalid-upload")
    assert "5,000 characters" in error["detail"]


def test_jsonld_upload_with_a_5000_digit_number_names_the_key(strict_client, diw_key):
    body = json.dumps({"@context": f"{BASE}/contexts/licence.jsonld",
                       "@id": f"{BASE}/id/licence/diw/x/1"})[:-1] + f', "version": {HUGE_NUMBER}}}'
    error = one_error(upload(strict_client, diw_key, body.encode(), "application/ld+json"),
                      422, "invalid-upload")
    assert "version" in error["detail"] and "5,000 characters" in error["detail"]


def test_csv_cell_longer_than_131072_characters_names_row_and_column(strict_client, diw_key):
    body = HEADER + "1/2560,factory-operation,diw,ok\n" + \
        "2/2560,factory-operation,diw," + "ก" * 140_000 + "\n"
    error = one_error(upload(strict_client, diw_key, body.encode(), "text/csv"),
                      422, "invalid-upload")
    [problem] = error["problems"]
    assert (problem["row"], problem["field"]) == (3, "holder_name")
    assert "140,000" in error["detail"]


def test_csv_header_longer_than_131072_characters(strict_client, diw_key):
    body = "licence_number," + "x" * 140_000 + "\n"
    error = one_error(upload(strict_client, diw_key, body.encode(), "text/csv"),
                      422, "invalid-upload")
    assert len(error["detail"]) < 1000                 # the header is not echoed whole


# --- Integer query parameters -------------------------------------------------------------------

@pytest.mark.parametrize("limit", ["-1", "9" * 20, "9" * 5000, "x", "1.5", " 5", "٣", "1001"])
def test_upload_list_limit_out_of_range_or_not_a_number(strict_client, diw_key, limit):
    response = strict_client.get("/api/v1/uploads", query_string={"limit": limit},
                                 headers={"Authorization": f"Bearer {diw_key}"})
    error = one_error(response, 400, "bad-request")
    assert error["parameter"] == "limit" and "limit" in error["detail"]


def test_upload_list_limit_given_twice(strict_client, diw_key):
    response = strict_client.get("/api/v1/uploads?limit=1&limit=2",
                                 headers={"Authorization": f"Bearer {diw_key}"})
    assert one_error(response, 400, "bad-request")["parameter"] == "limit"


@pytest.mark.parametrize("limit", ["", "0", "1", "1000", "007"])
def test_upload_list_limit_in_range(strict_client, diw_key, limit):
    response = strict_client.get("/api/v1/uploads", query_string={"limit": limit},
                                 headers={"Authorization": f"Bearer {diw_key}"})
    assert response.status_code == 200 and response.get_json()["uploads"] == []


def test_feed_days_of_5000_digits(strict_client):
    response = strict_client.get("/feeds/expiring", query_string={"issuer": "diw",
                                                                  "days": "9" * 5000})
    assert one_error(response, 400, "bad-request")["parameter"] == "days"


@pytest.mark.parametrize("version", ["-1", "0", "9" * 20, "9" * 5000, "x"])
def test_licence_version_not_a_positive_number(strict_client, version):
    response = strict_client.get("/doc/licence/diw/factory-operation/จ3-106-12/2560",
                                 query_string={"version": version})
    assert one_error(response, 400, "bad-request")["parameter"] == "version"


# --- Found by tests/test_fuzz_routes.py ---------------------------------------------------------

TURTLE_LICENCE = f"""\
@prefix schema: <https://schema.org/> .
@prefix locn: <http://www.w3.org/ns/locn#> .
@prefix adms: <http://www.w3.org/ns/adms#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix clc: <https://w3id.org/clc/def#> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
<{BASE}/id/licence/diw/factory-operation/1-2560> a schema:GovernmentPermit ;
"""
TRIPLE_TERM = "<<( <https://x.example/s> <https://x.example/p> <https://x.example/o> )>>"


@pytest.mark.parametrize("statement, named", [
    ('locn:address ""', "locn:address"),                 # text where the premises' node goes
    (f"locn:address {TRIPLE_TERM}", "locn:address"),     # an RDF 1.2 triple term there
    (f"dct:subject {TRIPLE_TERM}", "dct:subject"),
    (f"adms:identifier {TRIPLE_TERM}", "adms:identifier"),
    (f"clc:document {TRIPLE_TERM}", "clc:document"),
    (f"clc:document [ spdx:checksum {TRIPLE_TERM} ]", "spdx:checksum"),
])
def test_turtle_part_of_a_licence_that_is_not_a_node(strict_client, diw_key, statement, named):
    body = TURTLE_LICENCE + f"  {statement} .\n"
    error = one_error(upload(strict_client, diw_key, body.encode(), "text/turtle"),
                      422, "invalid-upload")
    assert f"{named} must be a node" in error["detail"]


@pytest.fixture
def licence_path(embedded_repo, catalogue, publish):
    """The /doc/ path of one published licence."""
    from ops.demo import demo_rows

    published = publish(embedded_repo, demo_rows(catalogue, 1, agency="diw"))
    return "/doc/licence/" + published.keys[0].path


@pytest.mark.parametrize("at, status", [("9999-12-31", 200), ("0001-01-01", 404)])
def test_licence_as_it_was_on_the_last_or_first_day_there_is(strict_client, licence_path,
                                                             at, status):
    response = strict_client.get(licence_path, query_string={"at": at},
                                 headers={"Accept": "text/turtle"})
    assert response.status_code == status


# --- dry_run: anything but yes or no is refused, never taken for "publish" ------------------------

@pytest.mark.parametrize("value", ["maybe", "2", "treu", "on"])
def test_dry_run_that_is_neither_yes_nor_no_is_refused_and_writes_nothing(
        strict_client, diw_key, embedded_repo, value):
    before = embedded_repo.export_bytes()
    response = strict_client.post(f"/api/v1/uploads?dry_run={value}", data=b"licence_number\n",
                                  headers={"Content-Type": "text/csv",
                                           "Authorization": f"Bearer {diw_key}"})
    assert one_error(response, 400, "bad-request")["parameter"] == "dry_run"
    assert embedded_repo.export_bytes() == before


@pytest.mark.parametrize("value, dry", [("true", True), ("YES", True), ("1", True),
                                        ("false", False), ("0", False), ("", False)])
def test_dry_run_yes_and_no_spellings(strict_client, diw_key, value, dry):
    response = strict_client.post(f"/api/v1/uploads?dry_run={value}", data=b"[]",
                                  headers={"Content-Type": "application/json",
                                           "Authorization": f"Bearer {diw_key}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["dry_run"] is dry
