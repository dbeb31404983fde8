"""The example client of docs/api-clients.md (examples/clc_client.py) against a real
`licence-registry serve`: checking a CSV of numbers (found, not found, variant forms, a number
two licences share, exit codes, batches of 1,000), following the changes feed from a saved
cursor before and after an amending upload, and waiting on 429 as Retry-After says.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from ops.demo import demo_rows, rows_to_csv
from registry import identifiers

from .support.builders import key_of
from .support.realserver import RealServer
from .support.stores import BASE

ROOT = Path(__file__).parents[1]
CLIENT_PATH = ROOT / "examples" / "clc_client.py"


def _load_client():
    spec = importlib.util.spec_from_file_location("clc_client", CLIENT_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


clc = _load_client()


def _cli(cwd: Path, *args: str) -> str:
    """`licence-registry --store store --base-iri BASE ARGS` in `cwd`, as the server runs."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LICENCE_REGISTRY_")}
    done = subprocess.run([sys.executable, "-m", "ops.cli", "--store", "store", "--base-iri",
                           BASE, *args], cwd=cwd, capture_output=True, text=True, check=False,
                          env={**environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return done.stdout


def _rows(catalogue) -> dict[str, dict[str, str]]:
    """Five licences of diw's scope, by role: two share one number (same type, two issuers)."""
    rows = list(demo_rows(catalogue, 30, agency="diw"))
    shared = next(r for r in rows if r["issuer"] == "diw"
                  and r["licence_type"] == "factory-type2-notification")
    plain = [r for r in rows if r["issuer"] == "diw" and "/" in r["licence_number"]
             and r["licence_type"] != shared["licence_type"]]
    other_issuer = next(r["issuer"] for r in rows if r["issuer"] != "diw")
    picked = {"shared": shared, "twin": dict(shared, issuer=other_issuer),
              "thai": plain[0], "dashed": plain[1], "suspended": plain[2], "later": plain[3]}
    out = {name: dict(r, status="active", status_reason="", valid_until="")
           for name, r in picked.items()}
    out["suspended"].update(status="suspended", status_reason="ค้างชำระค่าธรรมเนียม")
    return out


def _iri(row: dict[str, str]) -> str:
    return identifiers.licence_iri(BASE, key_of(row))


def _upload(server: RealServer, key: str, rows: list[dict[str, str]]) -> None:
    response = requests.post(server.url + "/api/v1/uploads", data=rows_to_csv(rows).encode(),
                             headers={"Content-Type": "text/csv",
                                      "Authorization": f"Bearer {key}"}, timeout=60)
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def register(tmp_path_factory, catalogue):
    """A real server over a store holding five licences uploaded through the API by diw."""
    folder = tmp_path_factory.mktemp("register")
    _cli(folder, "init")
    key = _cli(folder, "agency-key", "diw").strip()
    rows = _rows(catalogue)
    with RealServer(folder, ["--store", "store", "--base-iri", BASE], []) as server:
        _upload(server, key, [r for name, r in rows.items() if name != "later"])
        yield server, key, rows


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, ["iri", "issuer", "type", "number"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _variant(number: str) -> str:
    """The number as people write it: Thai digits, an en dash for the hyphen."""
    return number.translate(str.maketrans("0123456789-", "๐๑๒๓๔๕๖๗๘๙–"))


def test_checking_a_csv_finds_each_form_and_says_which_are_not_good(register, tmp_path):
    server, _key, rows = register
    items = tmp_path / "numbers.csv"
    _write_csv(items, [
        {"iri": _iri(rows["thai"])},
        {"issuer": rows["dashed"]["issuer"], "type": rows["dashed"]["licence_type"],
         "number": _variant(rows["dashed"]["licence_number"])},
        {"number": _variant(rows["thai"]["licence_number"])},
        {"number": rows["shared"]["licence_number"]},
        {"number": "999/2599"},
        {"number": "no digits!"},
    ])
    client = clc.Client(server.url)
    results = client.check(clc.read_items(items))

    assert [r["position"] for r in results] == [1, 2, 3, 4, 5, 6]
    assert [r["found"] for r in results] == [True, True, True, True, False, False]
    assert [len(r["matches"]) for r in results] == [1, 1, 1, 2, 0, 0]
    assert "error" not in results[4] and results[5]["error"]["message"]["en"]
    assert {m["iri"] for m in results[3]["matches"]} == {_iri(rows["shared"]), _iri(rows["twin"])}
    assert results[1]["matches"][0]["iri"] == _iri(rows["dashed"])
    assert results[2]["matches"][0]["iri"] == _iri(rows["thai"])
    assert [clc.is_good(r) for r in results] == [True, True, True, True, False, False]

    out = tmp_path / "results.csv"
    done = subprocess.run([sys.executable, str(CLIENT_PATH), "check", "--base", server.url,
                           str(items), "--out", str(out)], capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    assert done.returncode == 1, done.stderr             # one number was not found
    assert "checked 6, found 4" in done.stdout, done.stdout
    written = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["position"] for r in written] == ["1", "2", "3", "4", "4", "5", "6"]  # per match
    assert [(r["found"], r["iri"], bool(r["error"])) for r in written[-2:]] == [
        ("false", "", False), ("false", "", True)]              # not found; unreadable
    assert {r["status"] for r in written[:-2]} == {"active"}


@pytest.mark.parametrize(("names", "code"), [
    (["thai", "dashed", "shared"], 0),            # all found, every match active
    (["thai", "suspended"], 1),                   # found, but one is suspended
])
def test_the_exit_code_says_whether_every_item_is_found_and_active(register, tmp_path,
                                                                  names, code):
    server, _key, rows = register
    items = _write_csv(tmp_path / "numbers.csv", [{"iri": _iri(rows[n])} for n in names])
    assert clc.main(["check", "--base", server.url, str(items)]) == code


def test_more_than_a_thousand_items_go_in_batches_numbered_through(register):
    server, _key, rows = register
    items: list = [{"number": f"{n}/2599"} for n in range(1500)]
    items[1199] = _iri(rows["thai"])
    results = clc.Client(server.url).check(items)
    assert len(results) == 1500 and [r["position"] for r in results] == list(range(1, 1501))
    assert [r["position"] for r in results if r["found"]] == [1200]


def _follow(server: RealServer, state: Path) -> list[list[str]]:
    done = subprocess.run([sys.executable, str(CLIENT_PATH), "follow", "--base", server.url,
                           "--state", str(state), "--once"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


def test_following_the_feed_gets_every_version_then_only_what_is_new(register, tmp_path):
    server, key, rows = register
    state = tmp_path / "cursor.json"
    first = _follow(server, state)
    uploaded = {_iri(r) for name, r in rows.items() if name != "later"}
    assert {(line[1], line[2]) for line in first} == {(iri, "1") for iri in uploaded}
    cursor = json.loads(state.read_text(encoding="utf-8"))["after"]
    assert cursor >= max(int(line[0]) for line in first)
    assert list(tmp_path.iterdir()) == [state]           # the temporary file was renamed
    # The library sees the same lines from the start.
    assert [[str(c["index"]), c["licence"], str(c["version"]), c["status"]]
            for c in clc.Client(server.url).changes()] == first

    assert _follow(server, state) == []                  # caught up: nothing again
    amended = dict(rows["thai"], holder_name="บริษัท ชื่อใหม่ จำกัด")
    _upload(server, key, [amended, rows["later"]])
    second = _follow(server, state)
    assert sorted((line[1], line[2]) for line in second) == sorted(
        [(_iri(rows["thai"]), "2"), (_iri(rows["later"]), "1")])
    assert min(int(line[0]) for line in second) > cursor


class _Answer:
    def __init__(self, status: int, headers: dict[str, str], body: dict):
        self.status_code, self.headers, self._body = status, headers, body
        self.links: dict = {}

    def json(self) -> dict:
        return self._body


class _FakeSession:
    """Answers 429 (Retry-After: 7) once, then the check's answer."""

    def __init__(self):
        self.headers: dict[str, str] = {}
        self.answers = [_Answer(429, {"Retry-After": "7"}, {"error": {"code": "too-many"}}),
                        _Answer(200, {}, {"results": [{"position": 1, "found": False}]})]
        self.calls: list[dict] = []

    def request(self, method, url, **kwargs):
        self.calls.append({"method": method, "url": url, **kwargs})
        return self.answers.pop(0)


def test_a_429_is_waited_out_as_retry_after_says_then_asked_again():
    waited: list[float] = []
    session = _FakeSession()
    client = clc.Client("http://register.invalid/", session=session, sleep=waited.append)
    assert client.check(["1/2599"]) == [{"position": 1, "found": False}]
    assert waited == [7.0] and len(session.calls) == 2
    assert all(call["timeout"] == clc.TIMEOUT for call in session.calls)
    assert session.headers["User-Agent"] == clc.USER_AGENT


def test_a_real_rate_limit_is_waited_on_then_reported(tmp_path):
    _cli(tmp_path, "init")
    waited: list[float] = []
    with RealServer(tmp_path, ["--store", "store", "--base-iri", BASE], [],
                    env={"LICENCE_REGISTRY_CHECK_RATE_LIMIT": "2"}) as server:
        client = clc.Client(server.url, sleep=waited.append, retries=2)
        assert len(client.check(["1/2599"])) == 1 and len(client.check(["2/2599"])) == 1
        with pytest.raises(clc.ApiError) as refused:
            client.check(["3/2599"])
    assert refused.value.status == 429
    assert refused.value.body["error"]["status"] == 429
    assert len(waited) == 2 and all(0 < seconds <= 60 for seconds in waited), waited


class _Stop(Exception):
    pass


def test_following_without_once_polls_every_so_often(register, tmp_path):
    server, _key, _rows = register
    waited: list[float] = []
    changes: list[dict] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        if len(waited) == 2:
            raise _Stop

    state = tmp_path / "cursor.json"
    with pytest.raises(_Stop):
        clc.follow(clc.Client(server.url), state, changes.append, once=False, every=5,
                   sleep=sleep)
    assert waited == [5, 5]
    assert changes and len({c["index"] for c in changes}) == len(changes)   # none twice
    assert json.loads(state.read_text(encoding="utf-8"))["after"] >= changes[-1]["index"]
