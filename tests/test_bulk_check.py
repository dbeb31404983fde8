"""`POST /api/v1/check` (SPEC §13, issue 16): many licences checked at once.

Item reading is table-tested as pure functions (registry/bulklookup.py); the route is tested
through the app over a real store whose licences were published as an agency publishes them
(tests/support/sharedstores.py: a public licence and its twin sharing its number, a Thai number,
a revoked licence…), and an amendment goes through the real upload API.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from ops.demo import rows_to_csv
from registry import bulklookup, identifiers
from registry.checkindex import IndexSource
from registry.licenceindex import LicenceIndex
from resolver.bulkcheck import CSV_COLUMNS, MAX_BODY_BYTES, CheckLimiter
from web.requestlimit import RequestLimiter, RequestLimitExceeded
from web.state import state_of

from .support.builders import agency_key, app_over, post_upload
from .support.publish import dumps_made
from .support.sharedstores import copy_of_store, resolver_licences
from .support.stores import BASE
from .support.stores import store_kind_on_every_engine as store_kind  # noqa: F401 Virtuoso too

CHECK = "/api/v1/check"
ORIGIN = "https://another-agency.example"
KEY = identifiers.LicenceKey("diw", "factory-operation", "จ3-106-12/2560")
THAI_IRI = identifiers.licence_iri(BASE, KEY)


# Item reading (pure): every form, every variant, every mistake.
@pytest.mark.parametrize(("item", "key", "number", "error"), [
    (THAI_IRI, KEY, None, None),
    (identifiers.iri_to_uri(THAI_IRI), KEY, None, None),                        # percent-encoded
    (f"{BASE}/doc/licence/{KEY.path}", KEY, None, None),                          # the page
    (identifiers.iri_to_uri(f"{BASE}/doc/licence/{KEY.path}"), KEY, None, None),
    # A Thai digit and an en dash in the IRI.
    (f"{BASE}/id/licence/diw/factory-operation/จ๓–106-12/2560", KEY, None, None),
    (f"{BASE}/id/licence/diw/factory-operation/12/2560", identifiers.LicenceKey(
        "diw", "factory-operation", "12/2560"), None, None),
    ({"issuer": "diw", "type": "factory-operation", "number": " จ3-106-12/๒๕๖๐ "}, KEY, None,
     None),
    ({"issuer": "diw", "licence_type": "factory-operation", "licence_number": "จ3-106-12/2560"},
     KEY, None, None),
    ({"iri": THAI_IRI}, KEY, None, None),
    ("ab-1/2560", None, "AB-1/2560", None),                                       # lower case
    ("１２３／２５６７", None, "123/2567", None),                                   # full width
    ("ａｂ‐๑", None, "AB-1", None),                                                # hyphen U+2010
    ("12 3\u200b/2567", None, "123/2567", None),                                  # spaces
    ({"number": "๑๒๓−2567"}, None, "123-2567", None),                              # minus sign
    ("", None, None, "invalid-number"),
    ("12#3", None, None, "invalid-number"),
    ("https://elsewhere.example/id/licence/diw/factory-operation/1", None, None,
     "not-a-licence-iri"),
    (f"{BASE}/id/licence/diw/factory-operation", None, None, "not-a-licence-iri"),
    (f"{BASE}/id/licence/DIW/factory-operation/1", None, None, "not-a-licence-iri"),
    (f"{BASE}/id/licence/diw/factory-operation/1%FF", None, None, "not-a-licence-iri"),
    ({"issuer": "DIW", "type": "factory-operation", "number": "1"}, None, None, "invalid-issuer"),
    ({"issuer": "diw", "type": "a b", "number": "1"}, None, None, "invalid-type"),
    ({"issuer": "diw", "number": "1"}, None, None, "incomplete-item"),
    ({"type": "factory-operation"}, None, None, "incomplete-item"),
    ({}, None, None, "incomplete-item"),
    ({"number": 12}, None, None, "field-not-text"),
])
def test_items_are_read_as_keys_numbers_or_errors(item, key, number, error):
    wanted = bulklookup.read_item(BASE, item, 1)
    if error:
        assert wanted.error is not None and wanted.error.code == error, wanted
        assert wanted.key is None and wanted.number is None
        assert wanted.error.en and wanted.error.th
    else:
        assert wanted == bulklookup.Wanted(key=key, number=number)


@pytest.mark.parametrize(("item", "found"), [
    (12, "a number"), (None, "null"), (True, "a boolean"), ([1], "an array"), (1.5, "a number")])
def test_an_item_neither_string_nor_object_is_unreadable(item, found):
    with pytest.raises(bulklookup.UnreadableItem) as raised:
        bulklookup.read_item(BASE, item, 7)
    assert (raised.value.position, raised.value.found) == (7, found)


# The limiter (an injected clock: no sleeping).
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limiter_slides_and_says_when_to_come_back():
    clock = Clock()
    limiter = RequestLimiter(limit=3, window=60, clock=clock)
    for step in (0, 10, 20):
        clock.now = 1000 + step
        limiter.take("a")
    clock.now = 1030
    with pytest.raises(RequestLimitExceeded) as raised:
        limiter.take("a")
    assert raised.value.retry_after == 30            # the first request leaves at 1060
    limiter.take("b")                                # another address is counted apart
    clock.now = 1060
    limiter.take("a")                                # the first has left the window
    with pytest.raises(RequestLimitExceeded) as again:
        limiter.take("a")
    assert again.value.retry_after == 10


def test_the_limiter_forgets_the_least_recent_clients_first():
    limiter = RequestLimiter(limit=1, window=60, max_clients=3, clock=Clock())
    for client in ("a", "b", "c", "d"):
        limiter.take(client)
    assert limiter.tracked() == 3
    limiter.take("a")                    # forgotten, so counted afresh
    with pytest.raises(RequestLimitExceeded):
        limiter.take("d")


# Through the app: one store for the module, read only.
@pytest.fixture(scope="module")
def world(tmp_path_factory, initialised_template, publish):
    repo = copy_of_store(initialised_template, tmp_path_factory.mktemp("check") / "store")
    keys, rows = resolver_licences(repo, publish)
    app = app_over(repo)
    yield app, keys, rows
    repo.close()


@pytest.fixture
def client(world):
    app = world[0]
    state_of(app).install(CheckLimiter(limit=10_000, window=60))
    state_of(app).clock = lambda: dt.date(2026, 12, 3)
    return app.test_client()


def post(client, body, content_type="application/json", **kwargs):
    data = json.dumps(body, ensure_ascii=False).encode() if not isinstance(
        body, str | bytes) else body
    return client.post(CHECK, data=data, headers={"Content-Type": content_type,
                                                  **kwargs.pop("headers", {})}, **kwargs)


def test_every_item_form_finds_its_licence(client, world):
    _, keys, _ = world
    public, thai = keys["public"], keys["thai"]
    items = [
        identifiers.licence_iri(BASE, public),
        identifiers.iri_to_uri(identifiers.licence_iri(BASE, thai)),
        f"{BASE}/doc/licence/{thai.path}",
        {"issuer": public.issuer, "type": public.type, "number": public.number.lower()},
        {"number": "จ๓-106-12/2560"},
        "จ3 – 106-12/๒๕๖๐",
    ]
    response = post(client, {"items": items})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    assert answer["date"] == "2026-12-03"
    assert (answer["checked"], answer["found"]) == (6, 6)
    for n, result in enumerate(answer["results"], start=1):
        assert result["position"] == n and result["item"] == items[n - 1]
        assert result["found"] is True and len(result["matches"]) == 1 and "error" not in result
        match = result["matches"][0]
        assert {k: result[k] for k in match} == match          # one match: copied up
    assert answer["results"][0]["iri"] == identifiers.licence_iri(BASE, public)
    for result in answer["results"][1:3] + answer["results"][4:]:
        assert result["iri"] == identifiers.licence_iri(BASE, thai)       # Unicode form
        assert (result["issuer"], result["licence_type"], result["number"]) == (
            "diw", "factory-operation", "จ3-106-12/2560")


def test_a_bare_number_finds_every_licence_with_it(client, world):
    _, keys, _ = world
    public, twin = keys["public"], keys["twin"]
    result = post(client, [public.number]).get_json()["results"][0]
    assert result["found"] is True
    assert sorted(m["iri"] for m in result["matches"]) == sorted(
        identifiers.licence_iri(BASE, k) for k in (public, twin))
    assert "iri" not in result                  # several matches: none copied up
    assert {m["licence_type"] for m in result["matches"]} == {public.type, twin.type}


def test_unknown_and_invalid_items_are_answered_in_place(client, world):
    _, keys, _ = world
    items = ["NO-SUCH-NUMBER-1", {"issuer": "diw", "type": "factory-operation", "number": "9/1"},
             "12#3", {"issuer": "diw"}, identifiers.licence_iri(BASE, keys["revoked"])]
    answer = post(client, items).get_json()
    assert (answer["checked"], answer["found"]) == (5, 1)
    unknown, missing, invalid, incomplete, revoked = answer["results"]
    for result in (unknown, missing):
        assert result["found"] is False and result["matches"] == [] and "error" not in result
    assert invalid["error"]["code"] == "invalid-number"
    assert "U+0023" in invalid["error"]["message"]["en"] and invalid["error"]["message"]["th"]
    assert incomplete["error"]["code"] == "incomplete-item"
    assert revoked["status"] == "revoked"


def test_the_answer_says_what_the_record_says(client, world):
    app, keys, rows = world
    repo = state_of(app).repository
    key = keys["public"]
    iri = identifiers.licence_iri(BASE, key)
    graph = identifiers.licence_graph_iri(BASE, key)
    result = post(client, [iri]).get_json()["results"][0]
    clc = "https://w3id.org/clc/def#"
    assert result["version"] == int(repo.objects(iri, clc + "version", graph)[0].value)
    logged = repo.objects(iri, clc + "logIndex", graph)
    assert result["log_index"] == (int(logged[0].value) if logged else None)
    assert result["document_sha256"] == rows["public"]["document_sha256"].lower()
    until = repo.objects(iri, "https://schema.org/validUntil", graph)
    assert result["valid_until"] == (until[0].value if until else None)
    bare = post(client, [identifiers.licence_iri(BASE, keys["bare"])]).get_json()["results"][0]
    assert bare["found"] is True and bare["document_sha256"] is None


def test_csv_in_and_out(client, world):
    _, keys, _ = world
    public, thai = keys["public"], keys["thai"]
    body = ("\ufeffiri,issuer,licence_type,licence_number\r\n"
            f"{identifiers.iri_to_uri(identifiers.licence_iri(BASE, thai))},,,\r\n"
            f",{public.issuer},{public.type},{public.number}\r\n"
            "\r\n"
            f",,,{public.number}\r\n"
            ",,,=1+1\r\n")
    response = post(client, body.encode(), "text/csv", headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_position: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        by_position.setdefault(row[0], []).append(row)
    assert sorted(by_position) == ["2", "3", "5", "6"]             # row numbers in the file
    assert by_position["2"][0][3] == identifiers.licence_iri(BASE, thai)
    assert by_position["3"][0][2] == "true" and by_position["3"][0][7] == "active"
    assert len(by_position["5"]) == 2                               # one row per match
    refused, = by_position["6"]
    assert refused[2] == "false" and refused[3] == "" and "U+003D" in refused[12]
    assert refused[1].startswith("{") and "=1+1" in refused[1]
    assert refused[12].startswith("The licence number")
    as_json = post(client, body.encode("utf-8"), "text/csv; charset=utf-8").get_json()
    assert as_json["checked"] == 4 and as_json["results"][1]["item"] == {
        "issuer": public.issuer, "licence_type": public.type, "licence_number": public.number}


@pytest.mark.parametrize(("query", "accept", "mimetype"), [
    ("", None, "application/json"), ("", "text/csv", "text/csv"),
    ("?format=csv", "application/json", "text/csv"), ("?format=json", "text/csv",
                                                      "application/json"),
    ("", "text/html", "application/json"), ("", "text/csv;q=0.5, application/json",
                                            "application/json")])
def test_the_answer_format(client, query, accept, mimetype):
    headers = {"Content-Type": "application/json"}
    if accept:
        headers["Accept"] = accept
    response = client.post(CHECK + query, data=b'["1"]', headers=headers)
    assert response.status_code == 200 and response.mimetype == mimetype


def test_csv_cells_cannot_become_formulas(client):
    response = post(client, ["-1", "+1", "@1"], headers={"Accept": "text/csv"})
    cells = [row[1] for row in csv.reader(io.StringIO(response.get_data(as_text=True)))][1:]
    assert cells == ["'-1", "'+1", "'@1"]


def test_a_thousand_items_pass_and_one_more_is_refused(client, world):
    _, keys, _ = world
    items = [identifiers.licence_iri(BASE, keys["public"])] + [f"N-{n}" for n in range(999)]
    answer = post(client, items).get_json()
    assert (answer["checked"], answer["found"]) == (1000, 1)
    refused = post(client, items + ["one more"])
    assert refused.status_code == 413
    error = refused.get_json()["error"]
    assert error["code"] == "too-many-items" and (error["count"], error["limit"]) == (1001, 1000)
    assert "1,001" in error["message"]["en"] and "1,000" in error["message"]["th"]
    csv_body = "number\n" + "".join(f"{n}\n" for n in range(1001))
    assert post(client, csv_body, "text/csv").status_code == 413


@pytest.mark.parametrize(("body", "content_type", "status", "code", "says"), [
    (b"[]", "application/json", 422, "invalid-check-request", "no items"),
    (b'{"items": []}', "application/json", 422, "invalid-check-request", "no items"),
    (b'{"things": ["1"]}', "application/json", 422, "invalid-check-request", "items"),
    (b'"1"', "application/json", 422, "invalid-check-request", "got str"),
    (b"null", "application/json", 422, "invalid-check-request", "got null"),
    (b'["1", 2]', "application/json", 422, "invalid-check-request", "Item 2 is a number"),
    (b'["1", null]', "application/json", 422, "invalid-check-request", "Item 2 is null"),
    (b'["1",', "application/json", 400, "unreadable-body", "not valid JSON"),
    (b"", "application/json", 400, "unreadable-body", "not valid JSON"),
    (b'["\xff"]', "application/json", 400, "unreadable-body", "UTF-8"),
    (b"name,holder\nx,y\n", "text/csv", 422, "invalid-check-request", "name, holder"),
    (b"", "text/csv", 422, "invalid-check-request", "no items"),
    (b"number\n", "text/csv", 422, "invalid-check-request", "no items"),
    (b'number\n"1\n', "text/csv", 400, "unreadable-body", "row"),
    (b"<items/>", "application/xml", 415, "unsupported-media-type", "application/xml"),
    (b"1", "text/plain", 415, "unsupported-media-type", "text/plain"),
    (b"x" * (MAX_BODY_BYTES + 1), "application/json", 413, "body-too-large", "bytes"),
])
def test_bad_bodies_are_refused_naming_what_was_wrong(client, body, content_type, status, code,
                                                     says):
    response = client.post(CHECK, data=body, headers={"Content-Type": content_type})
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code and says in error["detail"], error
    assert error["message"]["th"] and error["message"]["en"] == error["detail"]
    assert response.headers["Cache-Control"] == "no-store"


def test_no_content_type_is_refused(client):
    response = client.post(CHECK, data=b'["1"]')
    assert response.status_code == 415


def test_bad_format_is_refused(client):
    response = client.post(CHECK + "?format=xml", data=b'["1"]',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "format" in response.get_json()["error"]["detail"]


def test_the_rate_limit_answers_429_then_recovers(world):
    app = world[0]
    clock = Clock()
    state_of(app).install(CheckLimiter(limit=2, window=60, clock=clock))
    client = app.test_client()
    for _ in range(2):
        assert post(client, ["1"]).status_code == 200
    clock.now += 15
    refused = post(client, ["1"])
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "45"
    error = refused.get_json()["error"]
    assert error["code"] == "too-many-requests" and error["retry_after"] == 45
    assert error["message"]["th"] and "2 requests in 60 seconds" in error["detail"]
    other = client.post(CHECK, data=b'["1"]', environ_base={"REMOTE_ADDR": "192.0.2.7"},
                        headers={"Content-Type": "application/json"})
    assert other.status_code == 200                     # counted per address
    clock.now += 45
    assert post(client, ["1"]).status_code == 200       # the window has moved on


def test_the_rate_limit_is_read_from_the_settings(world, tmp_path, initialised_template):
    repo = copy_of_store(initialised_template, tmp_path / "store")
    try:
        app = app_over(repo, CHECK_RATE_LIMIT=1, CHECK_RATE_WINDOW=30)
        client = app.test_client()
        assert post(client, ["1"]).status_code == 200
        refused = post(client, ["1"])
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 30
    finally:
        repo.close()


@pytest.mark.parametrize(("today", "status"), [
    (dt.date(2000, 1, 1), "active"), (dt.date(9999, 1, 1), "expired")])
def test_expiry_follows_the_apps_clock(client, world, today, status):
    app, keys, _ = world
    state_of(app).clock = lambda: today
    items = [identifiers.licence_iri(BASE, k) for k in keys.values()]
    answer = post(client, items).get_json()
    assert answer["date"] == today.isoformat()
    with_end = [r for r in answer["results"] if r["valid_until"] and r["status"] != "revoked"]
    assert with_end and {r["status"] for r in with_end} == {status}
    assert {r["status"] for r in answer["results"] if r["item"].endswith(
        keys["revoked"].path)} == {"revoked"}


def test_cors_preflight_and_open_answers(client):
    preflight = client.options(CHECK, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    answer = post(client, ["1"], headers={"Origin": ORIGIN})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" in answer.headers["Access-Control-Expose-Headers"]
    described = client.get(CHECK).get_json()
    assert described["method"] == "POST" and described["max_items"] == 1000


# An amendment through the real upload API: its own store, written.
def test_an_amended_licence_answers_its_new_version_and_status(embedded_repo, publish):
    keys, rows = resolver_licences(embedded_repo, publish)
    app = app_over(embedded_repo)
    client = app.test_client()
    key = keys["public"]
    iri = identifiers.licence_iri(BASE, key)
    before = post(client, [iri]).get_json()["results"][0]
    amended = dict(rows["public"], status="suspended", status_reason="ตรวจพบการฝ่าฝืน")
    uploaded = post_upload(client, rows_to_csv([amended]), agency_key(embedded_repo, "diw"))
    assert uploaded.status_code == 200, uploaded.get_data(as_text=True)
    after = post(client, [iri]).get_json()["results"][0]
    graph = identifiers.licence_graph_iri(BASE, key)
    clc = "https://w3id.org/clc/def#"
    assert after["version"] == before["version"] + 1 == int(
        embedded_repo.objects(iri, clc + "version", graph)[0].value)
    logged = embedded_repo.objects(iri, clc + "logIndex", graph)
    assert after["log_index"] == (int(logged[0].value) if logged else None)
    assert after["status"] == "suspended"
    dumps_made(app)


def test_a_commit_by_another_process_is_answered_at_once(embedded_repo, publish):
    """The route reads the side index, brought up to the store at each request: a change
    committed by another process (here the publish service, no app to tell) is in the very next
    answer, not a few seconds later."""
    keys, rows = resolver_licences(embedded_repo, publish)
    app = app_over(embedded_repo)
    client = app.test_client()
    iri = identifiers.licence_iri(BASE, keys["public"])
    assert post(client, [iri]).get_json()["results"][0]["status"] == "active"
    publish(embedded_repo, [dict(rows["public"], status="revoked",
                                 status_reason="เพิกถอนตามคำสั่ง")])
    after = post(client, [iri]).get_json()["results"][0]
    assert (after["status"], after["version"]) == ("revoked", 2)
    dumps_made(app)


def _sources(repo, path):
    index = LicenceIndex(path, repo, BASE)
    index.refresh()
    return {"store": bulklookup.StoreSource(repo, BASE), "index": IndexSource(index, BASE)}


@pytest.mark.parametrize("source", ["store", "index"])
def test_the_batched_look_up_on_each_kind_of_store(repo, publish, tmp_path, source):
    """The core alone, embedded and remote (a real `oxigraph serve`), from the store and from
    the side index: keys, numbers, unknowns."""
    keys, _ = resolver_licences(repo, publish)
    public, twin, thai = keys["public"], keys["twin"], keys["thai"]
    wanted = [bulklookup.read_item(BASE, item, n) for n, item in enumerate([
        identifiers.licence_iri(BASE, thai), public.number, "NO-SUCH-1", "12#3",
        {"issuer": "diw", "type": thai.type, "number": "9/9"}], start=1)]
    reader = _sources(repo, tmp_path / "index.sqlite")[source]
    found = bulklookup.look_up(reader, BASE, wanted, dt.date(2026, 12, 3))
    assert [[m.key for m in matches] for matches in found] == [
        [thai], sorted([public, twin], key=lambda k: (k.issuer, k.type)), [], [], []]
    assert found[0][0].iri == identifiers.licence_iri(BASE, thai) and found[0][0].version == 1


def test_the_index_answers_exactly_what_the_store_holds(embedded_repo, publish, tmp_path):
    """Every licence of the shared set, after an amendment (a new version, a new log index, a
    new status and date): the side index's answer equals the store's, field for field."""
    keys, rows = resolver_licences(embedded_repo, publish)
    publish(embedded_repo, [dict(rows["public"], status="suspended",
                                 status_reason="ระหว่างตรวจสอบ", valid_until="2027-01-31")])
    every = [bulklookup.Wanted(key=k) for k in keys.values()]
    every += [bulklookup.Wanted(number=k.number) for k in keys.values()]
    answers = {name: bulklookup.look_up(reader, BASE, every, dt.date(2026, 12, 3))
               for name, reader in _sources(embedded_repo, tmp_path / "i.sqlite").items()}
    assert answers["index"] == answers["store"]
    amended = answers["index"][list(keys).index("public")][0]
    assert (amended.version, amended.status, amended.valid_until) == (
        2, "suspended", dt.date(2027, 1, 31))
    assert amended.log_index is not None and amended.document_sha256
