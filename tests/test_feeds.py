"""/feeds/expiring (SPEC §7): exactly the current, active licences expiring in the window, as
Atom and iCalendar read back with real parsers, against both store kinds."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
from icalendar import Calendar

from opendata import feeds
from ops.demo import demo_rows
from registry import identifiers
from registry.bootstrap import load_catalogue
from registry.dates import thai_today
from registry.thaiid import with_check_digit
from web.app import create_app

from .support.stores import BASE

A = "{http://www.w3.org/2005/Atom}"
HOLDER = with_check_digit("010555601234")
OTHER_HOLDER = with_check_digit("010555609876")
THAI = {ord(str(d)): chr(ord("๐") + d) for d in range(10)}

# name: (holder, days from today to valid_until (None: no end), status, in the holder's feed,
#        in the issuer's feed); all issued by the same agency unless named "other-issuer".
CASES = {
    "soon": (HOLDER, 10, "active", True, True),
    "today": (HOLDER, 0, "active", True, True),
    "last-day-of-window": (HOLDER, 90, "active", True, True),
    "after-window": (HOLDER, 91, "active", False, False),
    "expired": (HOLDER, -1, "active", False, False),
    "revoked": (HOLDER, 20, "revoked", False, False),
    "suspended": (HOLDER, 25, "suspended", False, False),
    "surrendered": (HOLDER, 26, "surrendered", False, False),
    "replaced": (HOLDER, 27, "replaced", False, False),
    "no-end": (HOLDER, None, "active", False, False),
    "other-holder": (OTHER_HOLDER, 15, "active", False, True),
    "natural": ("natural", 12, "active", False, True),
    "other-issuer": (HOLDER, 11, "active", True, False),
}
# Amended after a first upload: (first valid_until, then valid_until, then status, in feeds).
AMENDED = {
    "renewed": (30, 400, "active", False),          # its old version is in the window
    "shortened": (200, 40, "active", True),         # listed once, from the current record
    "revoked-later": (35, 35, "revoked", False),
}


@dataclass
class Register:
    client: object
    today: dt.date
    issuer: str
    iris: dict[str, str]                 # case name → licence IRI
    rows: dict[str, dict[str, str]]      # case name → the row as uploaded last
    catalogue: object

    def expected(self, *, holder: bool, type_code: str = "") -> list[str]:
        """The IRIs the feed must list, by valid_until then IRI (the feed's order)."""
        chosen = [name for name, case in CASES.items() if case[3 if holder else 4]]
        chosen += [name for name, case in AMENDED.items() if case[3]]
        chosen = [n for n in chosen if not type_code or self.rows[n]["licence_type"] == type_code]
        return sorted((self.iris[n] for n in chosen),
                      key=lambda iri: (self.until(iri), iri))

    def until(self, iri: str) -> str:
        name = next(n for n, i in self.iris.items() if i == iri)
        return self.rows[name]["valid_until"]


def _publish(publish, repo, rows):
    """Each issuer publishes its own rows."""
    by_issuer = defaultdict(list)
    for row in rows:
        by_issuer[row["issuer"]].append(row)
    for issuer, group in sorted(by_issuer.items()):
        publish(repo, group, issuer)


def _iri(row) -> str:
    return identifiers.mint(BASE, row["issuer"], row["licence_type"], row["licence_number"])


# The tests here only read: one register of each store kind, and one app for the bad requests,
# for the whole module (tests/conftest.py).
@pytest.fixture(scope="module")
def client(module_app):
    return module_app.test_client()


@pytest.fixture(scope="module")
def register(module_repo_of_each_kind, publish):
    """Licences loaded through the real pipeline, dated relative to a fixed 'today'."""
    return _register(module_repo_of_each_kind, publish)


def _register(repo, publish) -> Register:
    # The app's clock says what today is: one day for the module, so no test depends on the
    # real date staying the same while it runs.
    today = thai_today()
    catalogue = load_catalogue(repo)
    pool = list(demo_rows(catalogue, 800, seed=21))
    issuer = Counter(r["issuer"] for r in pool).most_common(1)[0][0]
    mine = iter(r for r in pool if r["issuer"] == issuer and r["holder_type"] == "juristic")
    natural = next(r for r in pool if r["issuer"] == issuer and r["holder_type"] == "natural")
    elsewhere = next(r for r in pool if r["issuer"] != issuer and r["holder_type"] == "juristic")

    def dated(row, days, status="active", holder=HOLDER):
        changes = {"issued": (today - dt.timedelta(days=400)).isoformat(),
                   "valid_until": ("" if days is None
                                   else (today + dt.timedelta(days=days)).isoformat()),
                   "status": status,
                   "status_reason": "" if status == "active" else "ตามคำสั่งนายทะเบียน"}
        if holder != "natural":
            changes.update(holder_type="juristic", holder_id=holder,
                           holder_name=f"บริษัท ทดสอบ {holder[-4:]} จำกัด",
                           holder_name_en=f"Test {holder[-4:]} Co., Ltd.")
        return {**row, **changes}

    rows = {}
    for name, (holder, days, status, _, _) in CASES.items():
        base_row = natural if holder == "natural" else elsewhere if name == "other-issuer" \
            else next(mine)
        rows[name] = dated(base_row, days, status, holder)
    first = {name: dated(next(mine), before) for name, (before, *_) in AMENDED.items()}
    _publish(publish, repo, [*rows.values(), *first.values()])
    for name, (_, after, status, _) in AMENDED.items():
        rows[name] = dated(first[name], after, status)
    _publish(publish, repo, [rows[name] for name in AMENDED])

    client = create_app({"BASE_IRI": BASE}, repository=repo, clock=lambda: today).test_client()
    return Register(client, today, issuer, {n: _iri(r) for n, r in rows.items()}, rows,
                    catalogue)


def atom_entries(response) -> list[ET.Element]:
    """The entries of a valid Atom feed (RFC 4287's required elements checked)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)  # noqa: S314 — the app's own feed, not untrusted input
    assert feed.tag == A + "feed"
    for parent in (feed, *feed.findall(A + "entry")):
        for required in ("id", "title", "updated"):
            found = parent.findall(A + required)
            assert len(found) == 1 and found[0].text, (parent.tag, required)
        dt.datetime.fromisoformat(parent.find(A + "updated").text)      # RFC 3339
        assert parent.find(A + "id").text.startswith("http")
    assert [a.find(A + "name").text for a in feed.findall(A + "author")]   # entries have none
    assert any(link.get("rel") == "self" for link in feed.findall(A + "link"))
    entries = feed.findall(A + "entry")
    for entry in entries:
        links = [link for link in entry.findall(A + "link")
                 if link.get("rel", "alternate") == "alternate"]
        assert links, "an entry without content needs an alternate link"
    return entries


def calendar_events(response) -> list:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["VERSION"]) == "2.0"
    assert "Central Licence Catalogue" in str(calendar["PRODID"])
    return list(calendar.walk("VEVENT"))


def test_holder_feed_lists_exactly_the_current_active_licences_in_the_window(register):
    expected = register.expected(holder=True)
    assert len(expected) == 5
    response = register.client.get(f"/feeds/expiring?holder={HOLDER}&days=90")
    entries = atom_entries(response)
    assert [e.find(A + "id").text for e in entries] == expected
    assert [e.find(A + "link").get("href") for e in entries] == \
        [identifiers.iri_to_uri(iri) for iri in expected]
    for entry in entries:
        iri = entry.find(A + "id").text
        row = next(r for n, r in register.rows.items() if register.iris[n] == iri)
        summary = entry.find(A + "summary").text
        assert row["valid_until"] in summary and row["holder_name"] in summary
        assert register.catalogue.agencies[row["issuer"]].label_en in summary
        title = entry.find(A + "title").text
        assert register.catalogue.types[row["licence_type"]].title_th in title
        assert row["licence_number"] in title

    events = calendar_events(register.client.get(f"/feeds/expiring?holder={HOLDER}&format=ics"))
    assert [str(e["URL"]) for e in events] == [identifiers.iri_to_uri(i) for i in expected]
    for event, iri in zip(events, expected, strict=True):
        assert event.decoded("DTSTART") == dt.date.fromisoformat(register.until(iri))
        assert not isinstance(event.decoded("DTSTART"), dt.datetime)          # all-day
        assert str(event["UID"]) == feeds.licence_uid(iri)
        (alarm,) = event.walk("VALARM")
        assert alarm.decoded("TRIGGER") == -dt.timedelta(days=30)
        assert "Last valid day" in str(event["SUMMARY"]) and "เลขที่" in str(event["SUMMARY"])


def test_issuer_feed_and_type_filter(register):
    expected = register.expected(holder=False)
    atom = register.client.get(f"/feeds/expiring?issuer={register.issuer}")   # days: 90
    assert [e.find(A + "id").text for e in atom_entries(atom)] == expected
    ics = register.client.get(f"/feeds/expiring?issuer={register.issuer}",
                              headers={"Accept": "text/calendar"})
    assert [str(e["URL"]) for e in calendar_events(ics)] == \
        [identifiers.iri_to_uri(i) for i in expected]

    type_code = register.rows["soon"]["licence_type"]
    typed = register.expected(holder=False, type_code=type_code)
    response = register.client.get(
        f"/feeds/expiring?issuer={register.issuer}&type={type_code}&days=90")
    assert [e.find(A + "id").text for e in atom_entries(response)] == typed
    assert register.iris["soon"] in typed


def test_the_window_follows_days(register):
    longer = register.client.get(f"/feeds/expiring?holder={HOLDER}&days=91")
    ids = [e.find(A + "id").text for e in atom_entries(longer)]
    assert register.iris["after-window"] in ids
    assert register.iris["renewed"] not in ids        # its current record ends in 400 days
    one = register.client.get(f"/feeds/expiring?holder={HOLDER}&days=1")
    assert [e.find(A + "id").text for e in atom_entries(one)] == [register.iris["today"]]


def test_holder_forms_agree(register):
    plain = register.client.get(f"/feeds/expiring?holder={HOLDER}").data
    for form in (HOLDER.translate(THAI), f"{BASE}/id/juristic-person/{HOLDER}",
                 f"{HOLDER[0]}-{HOLDER[1:5]}-{HOLDER[5:10]}-{HOLDER[10:12]}-{HOLDER[12]}"):
        assert register.client.get("/feeds/expiring", query_string={"holder": form}).data == plain


def test_natural_persons_appear_only_as_the_licence_page_shows_them(register):
    row = register.rows["natural"]
    body = register.client.get(f"/feeds/expiring?issuer={register.issuer}").get_data(as_text=True)
    ics = register.client.get(f"/feeds/expiring?issuer={register.issuer}&format=ics").data
    text = body + Calendar.from_ical(ics).to_ical().decode()
    assert register.iris["natural"] in text
    assert row["holder_id"] not in text
    if register.catalogue.types[row["licence_type"]].public_register:
        assert row["holder_name"] in text
    else:
        assert row["holder_name"] not in text and row["holder_name_en"] not in text
        assert "A natural person (name not published)" in text


def test_caching_headers_and_etag(register):
    url = f"/feeds/expiring?holder={HOLDER}"
    first = register.client.get(url)
    assert "max-age=" in first.headers["Cache-Control"] and first.headers["ETag"]
    assert "Accept" in first.headers["Vary"]
    again = register.client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    ics = register.client.get(url + "&format=ics")
    assert ics.headers["ETag"] != first.headers["ETag"]
    assert register.client.get(url + "&format=ics").data == ics.data     # stable: same bytes


def test_the_cap_is_stated(register, monkeypatch):
    monkeypatch.setattr(feeds, "MAX_ENTRIES", 2)
    response = register.client.get(f"/feeds/expiring?holder={HOLDER}")
    entries = atom_entries(response)
    assert [e.find(A + "id").text for e in entries] == register.expected(holder=True)[:2]
    subtitle = ET.fromstring(response.data).find(A + "subtitle").text  # noqa: S314 — our feed
    assert "at most 2 entries" in subtitle and "More than 2 licences match" in subtitle
    calendar = Calendar.from_ical(register.client.get(
        f"/feeds/expiring?holder={HOLDER}&format=ics").data)
    assert len(calendar.walk("VEVENT")) == 2 and "More than 2" in str(calendar["DESCRIPTION"])


def test_empty_feed_is_still_a_valid_feed(register):
    nobody = with_check_digit("010555600000")
    assert atom_entries(register.client.get(f"/feeds/expiring?holder={nobody}")) == []
    assert calendar_events(register.client.get(f"/feeds/expiring?holder={nobody}&format=ics")) == []


# Bad requests: answered before any query, in the project's error shape.

def error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()["error"]
    assert body["status"] == status and body["code"] and body["detail"]
    return body


@pytest.mark.parametrize("query, parameter", [
    ("", "holder|issuer"),
    (f"holder={HOLDER}&issuer=diw", "holder|issuer"),
    (f"holder={HOLDER}&holder={OTHER_HOLDER}", "holder"),
    (f"holder={HOLDER}&days=0", "days"),
    (f"holder={HOLDER}&days=367", "days"),
    (f"holder={HOLDER}&days=-5", "days"),
    (f"holder={HOLDER}&days=ninety", "days"),
    (f"holder={HOLDER}&days=9e1", "days"),
    (f"holder={HOLDER}&format=rss", "format"),
])
def test_bad_parameters_are_named(client, query, parameter):
    body = error(client.get("/feeds/expiring?" + query), 400)
    assert body["parameter"] == parameter
    assert all(part in body["detail"] for part in parameter.split("|"))


@pytest.mark.parametrize("holder", [
    '0105556012345"', HOLDER + '" } UNION { ?s ?p ?o } #', "<" + HOLDER + ">", HOLDER + ">",
    "} UNION {", "01055560123", HOLDER + "0",
    HOLDER[:12] + str((int(HOLDER[12]) + 1) % 10),            # wrong check digit
    with_check_digit("310100012345"),                          # a natural person's ID
    f"{BASE}/id/juristic-person/{HOLDER}" + "> } UNION { ?s ?p ?o",
])
def test_hostile_or_wrong_holder_is_refused(client, holder):
    body = error(client.get("/feeds/expiring", query_string={"holder": holder}), 400)
    assert body["parameter"] == "holder"


@pytest.mark.parametrize("issuer", ['diw"', "diw> } UNION { ?s ?p ?o", "} UNION {", "DIW",
                                    "no-such-agency", ""])
def test_hostile_or_unknown_issuer_is_not_found(client, issuer):
    body = error(client.get("/feeds/expiring", query_string={"issuer": issuer}), 404)
    assert body["code"] == "agency-not-found"


@pytest.mark.parametrize("type_code", ['x" } UNION {', "no-such-type"])
def test_unknown_type_is_not_found(client, type_code):
    body = error(client.get("/feeds/expiring",
                            query_string={"issuer": "diw", "type": type_code}), 404)
    assert body["code"] == "licence-type-not-found"


def test_format_negotiation(client):
    url = f"/feeds/expiring?holder={HOLDER}"
    assert client.get(url).mimetype == "application/atom+xml"
    assert client.get(url, headers={"Accept": "text/calendar"}).mimetype == "text/calendar"
    assert client.get(url + "&format=atom", headers={"Accept": "text/calendar"}
                      ).mimetype == "application/atom+xml"
    assert client.get(url, headers={"Accept": "*/*"}).mimetype == "application/atom+xml"
    assert client.get(url, headers={"Accept": "application/xml"}).mimetype == \
        "application/atom+xml"
    assert client.get(url + "&format=ICS").mimetype == "text/calendar"
    error(client.get(url, headers={"Accept": "application/json"}), 406)
