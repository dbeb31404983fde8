"""iCalendar TEXT values (RFC 5545 §3.3.11) in /feeds/expiring?format=ics: backslash, semicolon,
comma and newline are escaped in every TEXT property — NAME, X-WR-CALNAME, X-WR-CALDESC,
DESCRIPTION, SUMMARY — so a name holding them reads back exactly, with the icalendar library
and with a strict line-based reader written here from the RFC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from icalendar import Calendar, vText
from icalendar.parser import unescape_backslash

from opendata import feeds
from opendata.feeds import Expiring, Feed, FeedQuery
from ops.demo import demo_rows
from registry import identifiers
from registry.bootstrap import load_catalogue
from registry.dates import thai_today
from registry.thaiid import with_check_digit
from web.app import create_app

from .support.stores import BASE

NASTY = "A; B, C\\D\nE"                  # every character TEXT must escape
NASTY_TH = "กรม ก; ข, ค\\ง\nจ"
TEXT_PROPERTIES = {"NAME", "X-WR-CALNAME", "X-WR-CALDESC", "DESCRIPTION", "SUMMARY"}
UNESCAPE = {"\\": "\\", ";": ";", ",": ",", "n": "\n", "N": "\n"}


def content_lines(data: bytes) -> list[tuple[str, str, str]]:
    """(component, property name, raw value) of every content line, read strictly: CRLF line
    ends, folding undone (CRLF + one space or tab, §3.1), the value after the first colon
    outside a quoted parameter value."""
    text = data.decode("utf-8")
    assert "\n" not in text.replace("\r\n", ""), "a bare LF in the stream"
    out, stack = [], []
    for line in text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n"):
        if not line:
            continue
        quoted, cut = False, None
        for at, char in enumerate(line):
            if char == '"':
                quoted = not quoted
            elif char == ":" and not quoted:
                cut = at
                break
        assert cut is not None, f"no value in {line!r}"
        name, value = line[:cut].split(";", 1)[0].upper(), line[cut + 1:]
        if name == "BEGIN":
            stack.append(value)
        elif name == "END":
            assert stack.pop() == value
        else:
            out.append((stack[-1], name, value))
    return out


def unescape_text(raw: str) -> str:
    """One TEXT value (§3.3.11): only the four escapes; an unescaped `,` or `;` would make it a
    list or a structured value, which these properties are not."""
    out, chars = [], iter(raw)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            assert following in UNESCAPE, f"invalid escape \\{following} in {raw!r}"
            out.append(UNESCAPE[following])
        else:
            assert char not in ",;", f"unescaped {char!r} in TEXT value {raw!r}"
            out.append(char)
    return "".join(out)


def text_values(data: bytes) -> dict[tuple[str, str], list[str]]:
    values: dict[tuple[str, str], list[str]] = {}
    for component, name, raw in content_lines(data):
        if name in TEXT_PROPERTIES:
            values.setdefault((component, name), []).append(unescape_text(raw))
    return values


def library_values(data: bytes) -> dict[tuple[str, str], list[str]]:
    """The same values as the icalendar library reads them back. It types NAME and X-WR-* as
    unknown and keeps their raw text, so those go through its TEXT unescaping."""
    values: dict[tuple[str, str], list[str]] = {}
    for component in Calendar.from_ical(data).walk():
        for name in TEXT_PROPERTIES:
            if name in component:
                value = component[name]
                text = str(value) if isinstance(value, vText) else \
                    unescape_backslash(value.to_ical().decode("utf-8"))
                values.setdefault((component.name, name), []).append(text)
    return values


@pytest.fixture
def nasty_feed(catalogue):
    """A feed whose agency, licence type and holder names hold every character to escape."""
    issuer = "diw"
    licence_type = next(t for t in sorted(catalogue.types.values(), key=lambda t: t.code)
                        if issuer in t.authorities)
    renamed = dataclasses.replace(
        catalogue, agencies={**catalogue.agencies, issuer: dataclasses.replace(
            catalogue.agencies[issuer], label_th=NASTY_TH, label_en=NASTY)},
        types={**catalogue.types, licence_type.code: dataclasses.replace(
            licence_type, title_th=NASTY_TH, title_en=NASTY)})
    key = identifiers.LicenceKey(issuer, licence_type.code, "1-2568")
    today = dt.date(2026, 1, 10)
    entry = Expiring(iri=identifiers.licence_iri(BASE, key), key=key, printed_number="1/2568",
                     valid_until=today + dt.timedelta(days=5),
                     modified=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
                     version=2, holder_id=with_check_digit("010555601234"),
                     holder_names={"th": NASTY_TH, "en": NASTY})
    query = FeedQuery(days=90, today=today, issuer=issuer, type=licence_type.code)
    return Feed(query, [entry], False, BASE, renamed)


def test_every_text_property_is_escaped_and_reads_back(nasty_feed):
    feed, entry = nasty_feed, nasty_feed.entries[0]
    data = feeds.icalendar(feed)
    expected = {
        ("VCALENDAR", "NAME"): [feed.title],
        ("VCALENDAR", "X-WR-CALNAME"): [feed.title],
        ("VCALENDAR", "DESCRIPTION"): [feed.description],
        ("VCALENDAR", "X-WR-CALDESC"): [feed.description],
        ("VEVENT", "SUMMARY"): [
            feed.entry_title(entry, "วันสุดท้ายที่ใช้ได้: ", "Last valid day: ")],
        ("VEVENT", "DESCRIPTION"): [feed.entry_text(entry) + "\n" + entry.iri],
        ("VALARM", "DESCRIPTION"): [
            f"30 วันก่อนหมดอายุ / 30 days before expiry: {feed.entry_title(entry)}"],
    }
    assert NASTY in feed.title and "," in feed.description           # the test tests something
    assert text_values(data) == expected
    assert library_values(data) == expected


def test_a_holder_name_with_separators_reaches_the_calendar_intact(repo, catalogue, publish):
    """Through the route: a juristic person named with `;`, `,`, `\\` and a line break."""
    loaded = load_catalogue(repo)
    holder = with_check_digit("010555609999")
    row = next(r for r in demo_rows(loaded, 200, agency="diw") if r["issuer"] == "diw")
    today = thai_today()
    row = dict(row, status="active", status_reason="", holder_type="juristic", holder_id=holder,
               holder_name=NASTY_TH + " จำกัด", holder_name_en=NASTY + " Co., Ltd.",
               issued=(today - dt.timedelta(days=300)).isoformat(),
               valid_until=(today + dt.timedelta(days=20)).isoformat())
    publish(repo, [row], "diw")
    client = create_app({"BASE_IRI": BASE}, repository=repo, clock=lambda: today).test_client()
    response = client.get("/feeds/expiring", query_string={"holder": holder, "format": "ics"})
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    strict, library = text_values(response.data), library_values(response.data)
    assert strict == library
    (description,) = strict[("VEVENT", "DESCRIPTION")]
    assert NASTY + " Co., Ltd." in description and NASTY_TH + " จำกัด" in description
    (calendar_name,) = strict[("VCALENDAR", "X-WR-CALNAME")]
    assert holder in calendar_name
