"""Whatever a client sends, no 500 comes back (issue 10): every route, every upload format.

Routes are enumerated from `app.url_map`, so a new route is fuzzed without a word here; the
parameters each one reads are found by running it once with a recording `request.args`/`form`
(a real request, nothing mocked), so a new parameter is fuzzed too. The apps propagate
exceptions: a bug fails the test with its traceback instead of becoming a 500 to look for.

Side effects: GET routes and dry-run uploads use one store with a few licences; every other
POST goes to a throwaway store of its own (a fuzzed `dry_run=maybe` would publish).
`CLC_FUZZ_EXAMPLES` raises the examples per route and per format for a deeper local run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from dataclasses import dataclass
from urllib.parse import quote, quote_from_bytes, unquote_to_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict

from opendata.dumpschedule import DumpsState
from opendata.sparql import SparqlState
from ops.demo import demo_rows
from publishing.ratelimit import FailureLimiter
from publishing.rdfinput import project_context
from publishing.uploads import list_uploads
from registry import identifiers
from registry.bootstrap import load_catalogue
from registry.logsigning import log_signing_keys
from registry.records import COLUMNS
from registry.signingkeys import SigningKeys, log_keys_path, signing_keys_path
from web.app import create_app
from web.state import state_of

from .support.builders import agency_key
from .support.stores import BASE, initialised_store

EXAMPLES = int(os.environ.get("CLC_FUZZ_EXAMPLES", "50"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
UPLOAD_TYPES = ("text/csv", "application/json", "application/ld+json", "text/turtle")
CONTEXT_URL = f"{BASE}/contexts/licence.jsonld"


# --- Finding the parameters a route reads -------------------------------------------------------

class RecordingParams(ImmutableMultiDict):
    """request.args / request.form that note every name a route asks for."""

    read: set[str] = set()

    def __getitem__(self, key):
        RecordingParams.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingParams.read.add(key)
        return super().__contains__(key)

    def getlist(self, key, type=None):          # noqa: A002 - werkzeug's signature
        RecordingParams.read.add(key)
        return super().getlist(key, type)


# --- The stores and apps ------------------------------------------------------------------------

@dataclass
class World:
    app: object              # GET routes and dry runs: a store with a few licences
    scratch: object          # every other POST: a throwaway store
    key: str                 # diw's agency key in `app`
    scratch_key: str         # diw's agency key in `scratch`
    seeds: dict[str, list[str]]       # path-variable values that exist, by variable name
    seed_params: dict[str, str]       # query values that reach a route's deeper checks
    read_by: dict[tuple[str, str], list[str]]     # (rule, method) → names that route reads

    @property
    def params(self) -> list[str]:
        """Every parameter name any route reads."""
        return sorted({name for names in self.read_by.values() for name in names})

    def routes(self):
        for rule in sorted(self.app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}) or ["OPTIONS"]:
                yield rule, method

    def app_for(self, method: str):
        return self.scratch if method == "POST" else self.app


def _build(publish, folder, licences: int):
    repo = initialised_store(folder)
    catalogue = load_catalogue(repo)
    rows = [r for r in demo_rows(catalogue, 40, agency="diw")][:licences]
    records = publish(repo, rows, "diw").records if rows else []
    key = agency_key(repo, "diw")
    app = create_app({"STORE": str(folder), "BASE_IRI": BASE, "SPARQL_WORKERS": 1},
                     repository=repo)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    # The key file `init` makes: without it the credential routes answer 503.
    SigningKeys(signing_keys_path(state_of(app).settings)).ensure(dt.datetime.now(dt.UTC))
    # And the log's (`log init` makes it): without it /log/checkpoint and /log/key answer 503.
    log_signing_keys(log_keys_path(state_of(app).settings)).ensure(dt.datetime.now(dt.UTC))

    class RecordingRequest(app.request_class):
        parameter_storage_class = RecordingParams
    app.request_class = RecordingRequest
    return app, repo, key, records, rows


@pytest.fixture(scope="module")
def world(tmp_path_factory, publish):
    app, repo, key, records, rows = _build(publish, tmp_path_factory.mktemp("fuzz") / "store", 4)
    scratch_folder = tmp_path_factory.mktemp("scratch") / "store"
    scratch, scratch_repo, scratch_key, _, _ = _build(publish, scratch_folder, 0)
    seeds = {"rest": [r.key.path for r in records],
             "upload_id": [u["upload_id"] for u in list_uploads(repo, BASE, "diw")],
             "kind": ["agency", "licence-type"], "code": ["diw", "factory-operation"],
             "purpose": ["revocation", "suspension"]}
    seed_params = {"issuer": "diw", "query": "ASK {}", "number": rows[0]["licence_number"],
                   "sha256": "0" * 64, "key": key, "action": "dry-run"}
    made = World(app, scratch, key, scratch_key, seeds, seed_params, {})
    made.read_by = _discover(made)
    yield made
    for each, store in ((app, repo), (scratch, scratch_repo)):
        executor = state_of(each).part(SparqlState).executor
        if executor is not None:
            executor.close()
        dumps = state_of(each).part(DumpsState).process
        if dumps is not None:                           # a fuzzed POST that published
            dumps.join(60)
        store.close()


_VARIABLE = re.compile(r"<(?:[^<>:]+:)?(\w+)>")


def _fill(rule, values: dict[str, str]) -> str:
    """The rule's path with each variable replaced by an already percent-encoded segment."""
    return _VARIABLE.sub(lambda m: values[m.group(1)], rule.rule)


def _discover(world: World) -> dict[tuple[str, str], list[str]]:
    """The parameter names each route reads, running it once bare and once with seeds."""
    found: dict[tuple[str, str], list[str]] = {}
    for rule, method in world.routes():
        path = _fill(rule, {name: quote((world.seeds.get(name) or ["x"])[0], safe="/")
                            for name in rule.arguments})
        app = world.app_for(method)
        key = world.scratch_key if app is world.scratch else world.key
        RecordingParams.read = set()
        for query in ({}, world.seed_params):
            form = dict(query, key=key) if method == "POST" else None
            app.test_client().open(path, method=method, query_string=query, data=form,
                                   headers={"Authorization": f"Bearer {key}"})
        found[rule.rule, method] = sorted(RecordingParams.read)
    return found


@pytest.mark.parametrize("rule, method, names", [
    ("/api/v1/uploads", "GET", {"limit"}),
    ("/api/v1/uploads", "POST", {"dry_run"}),
    ("/feeds/expiring", "GET", {"days", "holder", "issuer", "type", "format"}),
    ("/doc/licence/<path:rest>", "GET", {"version", "at", "format", "lang"}),
    ("/sparql", "GET", {"query"}),
    ("/resolve", "GET", {"number"}),
    ("/verify", "GET", {"sha256"}),
    ("/upload", "POST", {"key", "action"}),
])
def test_discovery_finds_the_parameters_routes_read(world, rule, method, names):
    """Discovery must not go blind: routes are known to read at least these."""
    assert names <= set(world.read_by[rule, method])


# --- Strategies: hostile values -----------------------------------------------------------------

LONG_CELL = "ก" * 140_000                      # past csv's 131,072-character default
HOSTILE_TEXT = [
    "", " ", "1" * 5000, "-" + "9" * 20, "9" * 20, "1e999999", "-0", "NaN", "Infinity",
    "x" * 3000, LONG_CELL, "\x00", "a\x00b", "\u202e\u2066evil\u2069", "\ufeff", "\ud800",
    "=HYPERLINK(\"http://127.0.0.1/\")", "+cmd|' /C calc'!A0", "-1+1", "@SUM(1)", "\t=1",
    "\r\n", "\"", "'", "<script>", "]]>", "%00", "../../etc/passwd", "javascript:alert(1)",
    "http://127.0.0.1:1/", "https://x/" + "a" * 3000, "๒๕๖๗-๑๓-๔๐", "2024-02-30",
    "9999999-01-01", "e\u0301" * 500, "😀" * 100, "\\", "\\u0000", "_:b0", "@id", "diw",
]
hostile_text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=50))


class Raw(str):
    """JSON text written as it is: numbers json.dumps cannot write, broken syntax."""


def deep(depth: int, open_: str = "[", close: str = "]") -> Raw:
    return Raw(open_ * depth + close * depth)


HOSTILE_JSON = [Raw("1" * 5000), Raw("1" * 5000 + ".5"), Raw("-" + "9" * 20), Raw("1e999999"),
                Raw("-1e-999999"), Raw("NaN"), Raw("-Infinity"), Raw("1" * 101), Raw("0.5"),
                None, True, [], {}, deep(10), deep(500), deep(900), deep(990), deep(5000),
                Raw('{"a":' * 900 + "1" + "}" * 900), {"@value": "x", "@language": "\x00"},
                {"@list": ["x"]}, {"@id": "_:b0"}, {"@type": "@json", "@value": {"a": 1}}]
hostile_json = st.one_of(hostile_text, st.sampled_from(HOSTILE_JSON), st.integers(),
                         st.floats(allow_nan=False, allow_infinity=False))


def to_json(value, ascii_only: bool = False) -> str:
    if isinstance(value, Raw):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=ascii_only)}: "
                               f"{to_json(v, ascii_only)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")     # a lone surrogate: invalid UTF-8


@st.composite
def spoilt(draw, body: bytes) -> bytes:
    """The body, now and then with bytes that are not UTF-8 (or a BOM) spliced in."""
    if draw(st.integers(0, 7)) > 0:
        return body
    at = draw(st.integers(0, len(body)))
    junk = draw(st.sampled_from([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00",
                                 b"\xe0\xb8"]))
    return body[:at] + junk + body[at:]


@st.composite
def licence_rows(draw, base_rows) -> list[dict]:
    """One to three real licence rows, some of their values replaced by hostile ones."""
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        row = dict(draw(st.sampled_from(base_rows)))
        for column in draw(st.lists(st.sampled_from(list(COLUMNS)), max_size=4)):
            row[column] = draw(hostile_text)
        rows.append(row)
    return rows


@st.composite
def csv_body(draw, base_rows) -> bytes:
    rows = draw(licence_rows(base_rows))
    required = ["licence_number", "licence_type", "issuer"]
    others = draw(st.permutations([c for c in COLUMNS if c not in required]))
    columns = draw(st.permutations(required + others[:draw(st.integers(0, len(others)))]))
    if draw(st.integers(0, 9)) == 0:
        columns = columns[1:]                     # a required column missing
    headers = [COLUMNS[c] if draw(st.booleans()) else c for c in columns]
    if draw(st.integers(0, 9)) == 0:
        headers.append(draw(hostile_text))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        cells = [row.get(c, "") for c in columns]
        if draw(st.booleans()):
            writer.writerow(cells)
        else:                                     # unquoted: commas and quotes break the shape
            out.write(",".join(cells) + draw(st.sampled_from(["\n", "\r\n", "\r", ""])))
    return draw(spoilt(encoded(out.getvalue())))


@st.composite
def json_body(draw, base_rows) -> bytes:
    rows = draw(licence_rows(base_rows))
    items: list = []
    for row in rows:
        item = {k: v for k, v in row.items() if draw(st.integers(0, 9)) > 0}
        for key in draw(st.lists(st.sampled_from(list(COLUMNS) + ["licences", "@id", ""]),
                                 max_size=3)):
            item[key] = draw(hostile_json)
        items.append(item)
    if draw(st.integers(0, 4)) == 0:
        items.append(draw(hostile_json))
    document = {"licences": items} if draw(st.booleans()) else items
    return draw(spoilt(encoded(to_json(document, draw(st.booleans())))))


def _jsonld_node(row: dict) -> dict:
    get = lambda c: row.get(c) or ""  # noqa: E731
    return {"id": identifiers.mint(BASE, "diw", "factory-operation", "1/2560"),
            "type": ["Licence", "Evidence"], "identifier": {"notation": get("licence_number")},
            "licenceType": f"{BASE}/id/licence-type/{get('licence_type')}",
            "issuer": f"{BASE}/id/agency/{get('issuer')}", "validFrom": get("issued"),
            "validUntil": get("valid_until"), "status": get("status"),
            "conditions": get("conditions"),
            "holder": {"type": "JuristicPerson", "number": get("holder_id"),
                       "legalName": {"th": get("holder_name"), "en": get("holder_name_en")}},
            "premises": {"fullAddress": get("premises_address"), "province": get("province")},
            "document": {"access": get("document_access"), "url": get("document_url"),
                         "checksum": {"algorithm": "sha256",
                                      "checksumValue": get("document_sha256")}}}


def _nodes(value):
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _nodes(inner)


@st.composite
def jsonld_body(draw, base_rows) -> bytes:
    nodes = [_jsonld_node(row) for row in draw(licence_rows(base_rows))]
    terms = sorted(k for k in project_context() if not k.startswith("@"))
    for node in nodes:
        inner = list(_nodes(node))
        for _ in range(draw(st.integers(0, 3))):
            target = draw(st.sampled_from(inner))
            key = draw(st.sampled_from(terms + ["@id", "@type", "@value", "@language",
                                                "@list", "@reverse", "@included", "@context",
                                                "@graph", "@index", "@nest", "id", "type"]))
            target[key] = draw(hostile_json)
    context = draw(st.sampled_from([CONTEXT_URL, project_context(), None, "https://x/",
                                    {"@import": CONTEXT_URL}, [CONTEXT_URL, {"x": "_:b"}]]))
    document = {"@context": context, "@graph": nodes}
    if draw(st.booleans()):
        document["@id"] = draw(st.sampled_from([f"{BASE}/graph/x", "_:g", "relative"]))
    return draw(spoilt(encoded(to_json(document, draw(st.booleans())))))


PREFIXES = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in sorted(project_context().items())
                   if isinstance(iri, str) and iri.startswith("http"))


@st.composite
def turtle_term(draw) -> str:
    value = draw(hostile_text)
    literal = json.dumps(value, ensure_ascii=False)
    well_formed = [literal, literal + "@th", literal + "^^xsd:date", literal + "^^xsd:integer",
                   f"<https://x.example/{quote(encoded(value))}>", "1" * 5000, "1e999999",
                   "[ clc:conditions " * 300 + literal + " ]" * 300, "( " * 300 + ")" * 300,
                   f"[ a legal:LegalEntity ; dct:identifier {literal} ; legal:legalName "
                   f"{literal}@th ]",
                   "<<( <https://x.example/s> schema:url <https://x.example/o> )>>",  # RDF 1.2
                   f"<< <https://x.example/s> clc:conditions {literal} >>"]
    hostile = [f"<{value}>", value, '"""' + value + '"""', literal + "@" + value,
               json.dumps(value), "[ " * 300 + "]" * 300]
    if draw(st.integers(0, 3)) > 0:
        return draw(st.sampled_from(well_formed))
    return draw(st.sampled_from(hostile))


@st.composite
def turtle_body(draw, base_rows) -> bytes:
    row = draw(st.sampled_from(base_rows))
    subject = identifiers.mint(BASE, row["issuer"], row["licence_type"], row["licence_number"])
    statements = [("a", "schema:GovernmentPermit, cv:Evidence"),
                  ("adms:identifier", f"[ skos:notation {json.dumps(row['licence_number'])} ]"),
                  ("dct:conformsTo", f"<{BASE}/id/licence-type/{row['licence_type']}>"),
                  ("schema:issuedBy", f"<{BASE}/id/agency/{row['issuer']}>"),
                  ("schema:validFrom", json.dumps(row["issued"]) + "^^xsd:date"),
                  ("adms:status", "clcstatus:active")]
    predicates = ["clc:conditions", "clc:statusReason", "schema:validUntil", "dct:subject",
                  "locn:address", "clc:document", "adms:identifier", "schema:url"]
    for _ in range(draw(st.integers(0, 4))):
        statements.append((draw(st.sampled_from(predicates)), draw(turtle_term())))
    text = PREFIXES + f"<{subject}> " + " ;\n  ".join(f"{p} {o}" for p, o in statements) + " .\n"
    return draw(spoilt(encoded(text)))


def upload_bodies(content_type: str, base_rows):
    plausible = {"text/csv": csv_body, "application/json": json_body,
                 "application/ld+json": jsonld_body, "text/turtle": turtle_body}[content_type]
    return st.one_of(st.binary(max_size=300), st.text(max_size=300).map(encoded),
                     plausible(base_rows), plausible(base_rows))


# --- Strategies: requests -----------------------------------------------------------------------

NUMBERS = ["-1", "0", "1", "9" * 20, "-" + "9" * 20, "9" * 5000, "1.5", "1e3", " 1", "+1",
           "0x10", "٣", "๓", "00000000000000000000001"]
DATES = ["9999-12-31", "0001-01-01", "2024-02-30", "2024-W01-1", "20240101", "2567-01-01",
         "๒๕๖๗-๐๑-๐๑", "2024-01-01T00:00:00Z", "-2024-01-01", "+12024-01-01"]
RAW_ENCODINGS = ["%FF", "%C0%80", "%ED%A0%80", "%", "%G1", "%00", "%E0%B8", "%2F", "%0A", "+"]


@st.composite
def query_value(draw, seeds: list[str]) -> str:
    """A value as it comes on the request line: ASCII, the rest percent-encoded (gunicorn and
    waitress both answer 400 to a raw byte above 0x7F before the app sees it). The kind is
    drawn first, so each kind comes about as often."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return quote(draw(st.sampled_from(NUMBERS)), safe="")
    if kind == 1:
        return quote(draw(st.sampled_from(DATES)), safe="")
    if kind == 2:
        return str(draw(st.integers(-10**25, 10**25)))
    if kind == 3:
        return draw(st.sampled_from(["", "a" * 10_000]))
    if kind == 4:
        return draw(st.sampled_from(RAW_ENCODINGS))
    if kind == 5:
        return quote(encoded(draw(st.text(max_size=40))), safe="")
    if kind == 6:
        return quote_from_bytes(draw(st.binary(max_size=20)), safe="")
    if kind == 7:
        return quote(encoded(draw(hostile_text)), safe="")
    return quote(draw(st.sampled_from(seeds)), safe="")


@st.composite
def query_string(draw, own: list[str], names: list[str], seed_params: dict[str, str]) -> str:
    """Fuzzed pairs, half the time after the seed values the route reads (so its later checks
    are reached: /feeds/expiring reads `days` only once `issuer` is good). Names are mostly the
    route's `own`, else any route's, else random; now and then one is given twice."""
    pairs = [(k, quote(v, safe="")) for k, v in seed_params.items()
             if k in own or not own] if draw(st.booleans()) else []
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3, 4]))):   # few: one bad masks others
        kind = draw(st.integers(0, 5))
        name = (draw(st.sampled_from(own or names)) if kind < 3
                else draw(st.sampled_from(names)) if kind == 3
                else quote(encoded(draw(st.text(max_size=10))), safe="") if kind == 4
                else draw(st.sampled_from(RAW_ENCODINGS)))
        pairs = [pair for pair in pairs if pair[0] != name]      # the fuzzed value, alone
        pairs.append((name, draw(query_value(sorted(seed_params.values())))))
    if pairs and draw(st.integers(0, 4)) == 0:
        pairs.append(pairs[-1])
    return "&".join(f"{k}={v}" if v or k else k for k, v in pairs)


def path_segment(is_path: bool):
    """Hostile path values (the caller takes a value that exists three times in four)."""
    return st.one_of(
        st.text(min_size=1, max_size=40).map(
            lambda t: quote(encoded(t), safe="/" if is_path else "")),
        st.sampled_from(RAW_ENCODINGS + ["..", "%2E%2E", "a/../b", "%FF%FE", "x" * 5000]),
        st.sampled_from(NUMBERS).map(lambda v: quote(v, safe="")))


@dataclass
class Call:
    path: str            # percent-encoded, as on the request line
    query: str
    body: dict | bytes | str | None
    content_type: str | None
    accept: str
    extra_headers: dict[str, str]


@st.composite
def calls(draw, world: World, rule, method: str) -> Call:
    # Mostly values that exist, so the route goes on to read its parameters.
    segments = {name: quote(draw(st.sampled_from(world.seeds[name])), safe="/")
                if name in world.seeds and draw(st.integers(0, 3)) > 0
                else draw(path_segment(f"<path:{name}>" in rule.rule))
                for name in rule.arguments}
    own = world.read_by.get((rule.rule, method), [])
    query = draw(query_string(own, world.params, world.seed_params))
    body, content_type = None, None
    if method == "POST":
        kind = draw(st.sampled_from(["none", "form", "multipart", "raw"]))
        fields = draw(st.lists(st.tuples(st.sampled_from(own or world.params), hostile_text),
                               max_size=5))
        if draw(st.booleans()):
            fields = list({**world.seed_params, "key": world.scratch_key}.items()) + fields
        fields.append(("key", world.scratch_key))
        if kind == "form":                        # as bytes: a lone surrogate is invalid UTF-8
            body = "&".join(f"{quote(encoded(k))}={quote(encoded(v))}" for k, v in fields)
            content_type = "application/x-www-form-urlencoded"
        elif kind == "multipart":                 # werkzeug's encoder needs valid text
            text = {k: v.encode("utf-8", "replace").decode() for k, v in fields}
            body = {**text, "file": (io.BytesIO(draw(st.binary(max_size=200))),
                                     draw(st.text(max_size=20)).encode("utf-8", "replace")
                                     .decode())}
        elif kind == "raw":
            body = draw(st.binary(max_size=300))
            content_type = draw(st.sampled_from([*UPLOAD_TYPES, "application/sparql-query",
                                                 "application/x-www-form-urlencoded",
                                                 "multipart/form-data", "x/y", ""]))
    accept = draw(st.sampled_from(["*/*", "*/*", "*/*", "*/*", "", "text/html",
                                   "application/json", "text/turtle",
                                   "application/ld+json", "text/csv", "image/png", "x/y;q=2",
                                   "application/sparql-results+json", ""]))
    header_value = st.one_of(st.sampled_from(["th", "en;q=2", "*;q=x", "th-TH,en;q=0.5", "*",
                                              '"abc"', "W/\"x\"", "Thu, 01 Jan 1970 00:00:00 GMT",
                                              "Fri, 31 Dec 9999 23:59:59 GMT", "bytes=0-0,-1"]),
                             st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                                     max_size=40))
    names = ["Accept-Language", "If-None-Match", "If-Modified-Since", "Range", "Origin",
             "Access-Control-Request-Method", "X-Forwarded-For"]
    extra = draw(st.dictionaries(st.sampled_from(names), header_value, max_size=3))
    return Call(_fill(rule, segments), query, body, content_type, accept, extra)


# --- The checks ---------------------------------------------------------------------------------

def assert_not_500(response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code,
                                        response.get_data(as_text=True)[:500])
    # A refusal of the request is the one error shape. (A 404 may carry an answer instead:
    # /verify's "no licence has this file" lists the checksum it looked for.)
    if response.status_code >= 400 and response.is_json and (
            response.status_code != 404 or "error" in response.get_json()):
        body = response.get_json()
        assert list(body) == ["error"], (what, body)
        assert {"status", "code", "title", "detail"} <= set(body["error"]), (what, body)


def send(world: World, method: str, call: Call):
    app = world.app_for(method)
    state_of(app).install(FailureLimiter())    # fuzzed keys must not lock out the rest
    # As a WSGI server passes them: the path's bytes (percent-decoded, maybe not UTF-8) and the
    # query string as sent, both carried as latin-1.
    environ = {"PATH_INFO": unquote_to_bytes(call.path).decode("latin-1"),
               "QUERY_STRING": call.query, "REQUEST_URI": f"{call.path}?{call.query}"}
    key = world.scratch_key if app is world.scratch else world.key
    headers = {"Authorization": f"Bearer {key}", "Accept": call.accept, **call.extra_headers}
    kwargs = {"data": call.body} if call.body is not None else {}
    if call.content_type is not None:
        kwargs["content_type"] = call.content_type
    return app.test_client().open(call.path, method=method, headers=headers,
                                  environ_overrides=environ, **kwargs)


def fuzz_route(world: World, rule, method: str) -> None:
    """EXAMPLES fuzzed requests to one route and method (its own scope: no loop variables)."""
    @FUZZ
    @given(call=calls(world, rule, method))
    def fuzz(call):
        assert_not_500(send(world, method, call), f"{method} {rule.rule}: {call}")
    fuzz()


def test_no_route_answers_500(world):
    """Every route of app.url_map, each method, EXAMPLES fuzzed requests each."""
    for rule, method in world.routes():
        fuzz_route(world, rule, method)


@pytest.mark.parametrize("content_type", UPLOAD_TYPES)
def test_no_upload_body_answers_500(world, content_type):
    base_rows = _base_rows(world)

    @FUZZ
    @given(body=upload_bodies(content_type, base_rows))
    def fuzz(body):
        response = world.app.test_client().post(
            "/api/v1/uploads?dry_run=true", data=body,
            headers={"Content-Type": content_type, "Authorization": f"Bearer {world.key}"})
        assert_not_500(response, f"{content_type}: {body[:300]!r}")
    fuzz()


def test_no_upload_page_file_answers_500(world):
    """The upload page reads a CSV file and shows its problem rows: the same bodies, dry run."""
    base_rows = _base_rows(world)

    @FUZZ
    @given(body=upload_bodies("text/csv", base_rows))
    def fuzz(body):
        state_of(world.app).install(FailureLimiter())
        response = world.app.test_client().post("/upload", data={
            "key": world.key, "action": "dry-run", "file": (io.BytesIO(body), "l.csv")})
        assert response.status_code < 500, (body[:300], response.status_code)
    fuzz()


def _base_rows(world: World) -> list[dict]:
    catalogue = load_catalogue(state_of(world.app).repository)
    return [dict(r) for r in demo_rows(catalogue, 5, agency="diw")]
