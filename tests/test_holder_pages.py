"""Juristic persons' pages (SPEC §10): /id/juristic-person/{id} → 303 → /doc/…, negotiated as
HTML and every RDF format; the current licences with their effective status on the app's day;
feeds and QR; 301 from variant forms; and no page, ever, for a natural person (PDPA).

Real stores of each kind, licences published through the real pipeline, real HTTP through the
test client, a fixed day (`create_app(..., clock=...)`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyoxigraph as ox
import pytest

from registry import identifiers, thaiid
from registry import recordterms as terms
from registry.bootstrap import load_catalogue
from web.app import create_app

from .support.builders import key_of, licence_path, rows_of
from .support.docpages import BROWSER, RDF_FORMATS, check_outline, decoded_qr, triples_of
from .support.htmltree import parse
from .support.stores import BASE

TODAY = dt.date(2026, 6, 15)
HOLDER = thaiid.with_check_digit("010555601234")      # holds four current licences
OTHER = thaiid.with_check_digit("010555609876")       # took over one of them (an amendment)
UNKNOWN = thaiid.with_check_digit("010555600001")     # a juristic ID holding nothing
NATURAL = thaiid.with_check_digit("110170012345")     # a natural person who holds a licence
BAD_CHECK = HOLDER[:12] + str((int(HOLDER[12]) + 1) % 10)
NAMES = {HOLDER: ("บริษัท ทดสอบหนึ่ง จำกัด", "Test One Co., Ltd."),
         OTHER: ("บริษัท ทดสอบสอง จำกัด", "Test Two Co., Ltd.")}
NATURAL_NAME = "นายสมชาย ใจดี"


@dataclass
class Register:
    client: object
    rows: dict[str, dict[str, str]]

    def iri(self, name: str) -> str:
        return identifiers.licence_iri(BASE, key_of(self.rows[name]))


def _row(row, holder: str, *, until: dt.date | None, status: str = "active") -> dict[str, str]:
    changed = {"issued": "2020-01-01", "valid_until": until.isoformat() if until else "",
               "status": status, "status_reason": "" if status == "active" else "ฝ่าฝืนเงื่อนไข"}
    if holder == NATURAL:
        changed.update(holder_type="natural", holder_id=NATURAL, holder_name=NATURAL_NAME,
                       holder_name_en="")
    else:
        changed.update(holder_type="juristic", holder_id=holder, holder_name=NAMES[holder][0],
                       holder_name_en=NAMES[holder][1])
    return {**row, **changed}


@pytest.fixture(scope="module")
def register(module_repo_of_each_kind, publish) -> Register:
    repo = module_repo_of_each_kind
    pool = iter(rows_of(load_catalogue(repo), "diw", 6, seed=7))
    rows = {
        "active": _row(next(pool), HOLDER, until=TODAY + dt.timedelta(days=30)),
        "last-day": _row(next(pool), HOLDER, until=TODAY),
        "expired": _row(next(pool), HOLDER, until=TODAY - dt.timedelta(days=1)),
        "revoked": _row(next(pool), HOLDER, until=None, status="revoked"),
        "moved": _row(next(pool), HOLDER, until=None),
        "natural": _row(next(pool), NATURAL, until=None),
    }
    publish(repo, rows.values())
    rows["moved"] = _row(rows["moved"], OTHER, until=None)     # version 2: another holder
    publish(repo, [rows["moved"]])
    app = create_app({"BASE_IRI": BASE}, repository=repo, clock=lambda: TODAY)
    return Register(app.test_client(), rows)


HELD = {"active": "active", "last-day": "active", "expired": "expired", "revoked": "revoked"}


def test_id_answers_303_to_doc_keeping_the_query(register):
    for path, location in [
        (f"/id/juristic-person/{HOLDER}", f"/doc/juristic-person/{HOLDER}"),
        (f"/id/juristic-person/{HOLDER}?lang=en&format=ttl",
         f"/doc/juristic-person/{HOLDER}?lang=en&format=ttl"),
    ]:
        response = register.client.get(path, headers={"Accept": BROWSER})
        assert response.status_code == 303, path
        assert response.headers["Location"] == location
        assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("lang", ["th", "en"])
def test_html_lists_current_licences_with_status_on_the_apps_day(register, lang):
    response = register.client.get(f"/doc/juristic-person/{HOLDER}?lang={lang}",
                                   headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    check_outline(html, lang)
    tree = parse(html)
    assert NAMES[HOLDER][0 if lang == "th" else 1] in tree.find("h1").text
    items = tree.find("section", "held-licences").find_all("li")
    shown = {item.find("a").attrs["href"].split("?")[0]: item.attrs["data-status"]
             for item in items}
    assert shown == {licence_path("doc", key_of(register.rows[name])): status
                     for name, status in HELD.items()}       # "moved" is OTHER's now
    expiry = (TODAY - dt.timedelta(days=1))
    expected_day = (f"{expiry.day} มิ.ย. {expiry.year + 543}" if lang == "th"
                    else f"{expiry.day} Jun {expiry.year}")
    assert expected_day in html                               # Buddhist Era in Thai
    for fmt in ("atom", "ics"):
        assert f'href="/feeds/expiring?holder={HOLDER}&amp;format={fmt}"' in html
    assert f'src="/qr/juristic-person/{HOLDER}"' in html
    assert NATURAL not in html and NATURAL_NAME not in html


def test_effective_status_follows_the_injected_clock(register, module_repo_of_each_kind):
    later = create_app({"BASE_IRI": BASE}, repository=module_repo_of_each_kind,
                       clock=lambda: TODAY + dt.timedelta(days=1)).test_client()
    tree = parse(later.get(f"/doc/juristic-person/{HOLDER}", headers={"Accept": BROWSER})
                 .get_data(as_text=True))
    statuses = {i.find("a").attrs["href"].split("?")[0]: i.attrs["data-status"]
                for i in tree.find("section", "held-licences").find_all("li")}
    assert statuses[licence_path("doc", key_of(register.rows["last-day"]))] == "expired"
    assert statuses[licence_path("doc", key_of(register.rows["active"]))] == "active"


@pytest.mark.parametrize("fmt, media_type, parser", RDF_FORMATS)
def test_rdf_holds_the_holder_as_stored_and_its_current_licences(register, fmt, media_type,
                                                                 parser):
    holder = ox.NamedNode(identifiers.juristic_person_iri(BASE, HOLDER))
    by_accept = register.client.get(f"/doc/juristic-person/{HOLDER}",
                                    headers={"Accept": media_type})
    by_param = register.client.get(f"/doc/juristic-person/{HOLDER}?format={fmt}")
    for response in (by_accept, by_param):
        assert response.mimetype == media_type
        assert "Accept" in response.headers["Vary"] and response.headers["ETag"]
        triples = triples_of(response, parser)
        assert triples >= {
            ox.Triple(holder, terms.TYPE, terms.LEGAL_ENTITY),
            ox.Triple(holder, terms.DCT_IDENTIFIER, ox.Literal(HOLDER)),
            ox.Triple(holder, terms.LEGAL_NAME, ox.Literal(NAMES[HOLDER][0], language="th")),
            ox.Triple(holder, terms.LEGAL_NAME, ox.Literal(NAMES[HOLDER][1], language="en")),
        }
        subjects = {t.subject.value for t in triples if t.predicate == terms.SUBJECT}
        assert subjects == {register.iri(name) for name in HELD}
        assert all(t.object == holder for t in triples if t.predicate == terms.SUBJECT)
        assert NATURAL.encode() not in response.data


def test_conditional_get_406_and_cors(register):
    path = f"/doc/juristic-person/{HOLDER}?format=ttl"
    first = register.client.get(path, headers={"Origin": "https://example.org"})
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    again = register.client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    refused = register.client.get(f"/doc/juristic-person/{HOLDER}",
                                  headers={"Accept": "application/pdf"})
    assert refused.status_code == 406


def test_other_holder_has_the_moved_licence(register):
    triples = triples_of(register.client.get(f"/doc/juristic-person/{OTHER}?format=nt"),
                         ox.RdfFormat.N_TRIPLES)
    assert {t.subject.value for t in triples if t.predicate == terms.SUBJECT} == \
        {register.iri("moved")}


# Every ID without a page gets the same 404, which never repeats the ID.
NO_PAGE = {
    "natural person": NATURAL,
    "bad check digit": BAD_CHECK,
    "juristic, no licence": UNKNOWN,
    "twelve digits": HOLDER[:12],
    "not digits": "abcdefghijklm",
    "natural person, variant": "1-1017-00123-45-" + NATURAL[-1],
}


@pytest.mark.parametrize("what", NO_PAGE)
@pytest.mark.parametrize("kind", ["id", "doc", "qr"])
def test_no_page_is_the_same_404_for_every_id_without_one(register, what, kind):
    raw = NO_PAGE[what]
    page = register.client.get(f"/{kind}/juristic-person/{raw}", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.mimetype == "text/html"
    data = register.client.get(f"/{kind}/juristic-person/{raw}",
                               headers={"Accept": "application/json"})
    assert data.status_code == 404 and data.mimetype == "application/json"
    assert data.json["error"]["code"] == "holder-not-found"
    reference = register.client.get(f"/{kind}/juristic-person/{UNKNOWN}",
                                    headers={"Accept": "application/json"})
    assert data.json == reference.json              # tells nothing about whose ID it was
    for response in (page, data):
        digits = thaiid.canonical_id(raw)
        assert digits.encode() not in response.data and raw.encode() not in response.data
        assert NATURAL_NAME.encode() not in response.data


THAI = HOLDER.translate({ord(str(i)): chr(ord("๐") + i) for i in range(10)})
VARIANTS = [THAI, f"{HOLDER[0]}-{HOLDER[1:5]}-{HOLDER[5:10]}-{HOLDER[10:12]}-{HOLDER[12]}",
            f"{HOLDER[:4]} {HOLDER[4:]}"]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("kind", ["id", "doc", "qr"])
def test_variant_forms_answer_301_to_the_canonical_id(register, variant, kind):
    response = register.client.get(f"/{kind}/juristic-person/{variant}?lang=en")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/{kind}/juristic-person/{HOLDER}?lang=en"


def test_qr_codes_of_the_holder_iri(register):
    iri = identifiers.juristic_person_iri(BASE, HOLDER)
    svg = register.client.get(f"/qr/juristic-person/{HOLDER}")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.data.startswith(b"<svg") and f"<title>{iri}</title>".encode() in svg.data
    png = register.client.get(f"/qr/juristic-person/{HOLDER}?format=png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert decoded_qr(png.data) == [iri]


def test_a_natural_persons_id_is_nowhere_in_the_licence_data(register):
    """The ID a natural person's row carried is dropped before anything is stored."""
    for fmt, _, parser in RDF_FORMATS:
        response = register.client.get(licence_path("doc", key_of(register.rows["natural"]))
                                       + f"?format={fmt}")
        assert NATURAL.encode() not in response.data
        triples_of(response, parser)
