"""Conditional GET (RFC 9110 §13.1.2, §15.4.5): every route that sends an ETag answers 304 when
If-None-Match names it — compared WEAKLY, so `W/"x"` matches `"x"` — or is `*`, in a list with
any spacing, and the 304 carries the ETag, Vary and Cache-Control the 200 carries.

Table-driven: routes × header forms, on a real app over a real store with licences and dumps.
"""

from __future__ import annotations

import datetime as dt

import pytest

from opendata.dumpgen import dumps_dir, regenerate
from ops.demo import demo_rows
from registry.signingkeys import SigningKeys, signing_keys_path
from web.state import state_of

from .support.builders import app_over, licence_path
from .support.stores import BASE, initialised_store

TURTLE = {"Accept": "text/turtle"}
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def site(tmp_path_factory, catalogue, publish):
    """An app over a store with three diw licences, its dumps generated; and a licence path."""
    folder = tmp_path_factory.mktemp("conditional")
    repo = initialised_store(folder / "store")
    rows = [r for r in demo_rows(catalogue, 120, agency="diw") if r["issuer"] == "diw"][:3]
    keys = publish(repo, rows, "diw").keys
    app = app_over(repo)
    regenerate(repo, BASE, dumps_dir(state_of(app).settings))
    licence = licence_path("doc", keys[0])
    qr = licence.replace("/doc/", "/qr/", 1)
    credential = licence.replace("/doc/", "/credential/", 1)
    SigningKeys(signing_keys_path(state_of(app).settings)).ensure(dt.datetime.now(dt.UTC))
    yield app, {"licence": licence, "qr": qr, "credential": credential,
                "type": rows[0]["licence_type"]}
    repo.close()


# (name, path template, request headers): every GET route that sends an ETag.
ROUTES = [
    ("licence turtle", "{licence}", TURTLE),
    ("licence page", "{licence}", HTML),
    ("licence version", "{licence}?version=1", TURTLE),
    ("licence-type turtle", "/doc/licence-type/{type}", TURTLE),
    ("licence-type page", "/doc/licence-type/{type}", HTML),
    ("agency page", "/doc/agency/diw", HTML),
    ("qr code", "{qr}", {}),
    ("licence types page", "/catalogue/", HTML),
    ("licence types json-ld", "/catalogue/?format=jsonld", {}),
    ("agencies page", "/agencies/?tier=1", HTML),
    ("dcat", "/catalogue.ttl", {}),
    ("dump listing", "/dumps/", {"Accept": "application/json"}),
    ("dump file", "/dumps/licences.ttl", {}),
    ("atom feed", "/feeds/expiring?issuer=diw", {}),
    ("ical feed", "/feeds/expiring?issuer=diw&format=ics", {}),
    ("upload schema", "/schemas/licence-upload.json", {}),
    ("json-ld context", "/contexts/licence.jsonld", {}),
    ("credential", "{credential}", {}),
    ("credential version", "{credential}?version=1", {"Accept": "application/ld+json"}),
    ("status list", "/status/revocation/0", {}),
    ("did document", "/.well-known/did.json", {}),
    ("credential context", "/contexts/credentials/v1.jsonld", {}),
    ("sparql results", "/sparql?query=ASK%20%7B%7D", {"Accept": "application/sparql-results+json"}),
    ("sparql description", "/sparql", TURTLE),
]

# (name, If-None-Match built from the current tag's opaque part, expected status).
FORMS = [
    ("strong", lambda tag: f'"{tag}"', 304),
    ("weak", lambda tag: f'W/"{tag}"', 304),
    ("list with spaces", lambda tag: f'"nope-1" ,  W/"{tag}" ,"nope-2"', 304),
    ("list, strong last", lambda tag: f'W/"nope-1", "{tag}"', 304),
    ("star", lambda tag: "*", 304),
    ("other tag", lambda tag: '"nope-1"', 200),
    ("other weak tag", lambda tag: f'W/"{tag}x"', 200),
    ("other list", lambda tag: '"nope-1", W/"nope-2"', 200),
]

SAME_ON_304 = ("ETag", "Vary", "Cache-Control", "Access-Control-Allow-Origin")


def opaque(etag: str) -> str:
    """The tag's opaque part: `W/"x"` or `"x"` → `x`."""
    return etag.removeprefix("W/").strip('"')


@pytest.mark.parametrize("name, path, headers", ROUTES, ids=[r[0] for r in ROUTES])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("form, header, status", FORMS, ids=[f[0] for f in FORMS])
def test_if_none_match_is_compared_weakly(site, name, path, headers, method, form, header,
                                          status):
    app, values = site
    client = app.test_client()
    url = path.format(**values)
    first = client.open(url, method=method, headers=headers)
    assert first.status_code == 200, (url, first.status_code, first.data[:300])
    etag = first.headers.get("ETag")
    assert etag, f"{url} sends no ETag"
    again = client.open(url, method=method,
                        headers={**headers, "If-None-Match": header(opaque(etag))})
    assert again.status_code == status, (url, again.headers.get("If-None-Match"), etag)
    if status == 304:
        assert again.data == b""
        for field in SAME_ON_304:
            assert again.headers.get(field) == first.headers.get(field), (url, field)


@pytest.mark.parametrize("name, path, headers", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_304_drops_the_body_but_not_the_validators(site, name, path, headers):
    """Also with If-Modified-Since present: If-None-Match wins (RFC 9110 §13.2.2)."""
    app, values = site
    client = app.test_client()
    url = path.format(**values)
    first = client.get(url, headers=headers)
    stale = client.get(url, headers={**headers, "If-None-Match": '"nope"',
                                     "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})
    assert stale.status_code == 200 and stale.data == first.data, url
