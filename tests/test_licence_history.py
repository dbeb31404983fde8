"""A licence's version history (resolver/changes.py): what changed, each version's effective
status on its day, the cap on versions drawn, and the licence page's history never
contradicting its banner, for every status, by an injected clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from ops.demo import demo_rows
from registry import identifiers
from registry.bootstrap import load_catalogue
from registry.dates import display_date, thai_today
from registry.history import Version
from resolver import changes
from resolver.licence import Document, LicenceView, load_licence, views_for_history
from web.app import create_app

from .support.builders import key_of, licence_path
from .support.stores import BASE

KEY = identifiers.LicenceKey("dot", "tour-guide", "27-91878")
DOCUMENT = Document(url="https://example.go.th/a.pdf", media_type="application/pdf",
                    sha256="a" * 64, access="public")


def view(**fields) -> LicenceView:
    base = LicenceView(iri="https://example.org/id/licence/dot/tour-guide/27-91878", key=KEY,
                       status="active", valid_from=dt.date(2023, 1, 15),
                       valid_until=dt.date(2028, 1, 14), holder_type="juristic",
                       holder_id="0105556000001",
                       holder_names={"th": "บริษัท ก จำกัด", "en": "A Co., Ltd."},
                       premises="1 ถนนสุขุมวิท", province="กรุงเทพมหานคร",
                       document=dataclasses.replace(DOCUMENT))
    return dataclasses.replace(base, **fields)


C = changes.Change


@pytest.mark.parametrize("before, after, expected", [
    (None, view(), ()),                                                  # first version
    (view(), view(), ()),                                                # nothing shown changed
    (view(version=1, modified="x"), view(version=2, modified="y"), ()),  # bookkeeping only
    (view(), view(status="suspended", status_reason="ค้างชำระ"),
     (C("status", "active", "suspended"), C("reason", None, "ค้างชำระ"))),
    (view(), view(valid_until=dt.date(2033, 1, 14)),
     (C("valid_until", dt.date(2028, 1, 14), dt.date(2033, 1, 14)),)),
    (view(), view(valid_until=None), (C("valid_until", dt.date(2028, 1, 14), None),)),
    (view(valid_from=None), view(), (C("valid_from", None, dt.date(2023, 1, 15)),)),
    (view(), view(holder_names={"th": "บริษัท ข จำกัด", "en": "A Co., Ltd."}),
     (C("holder_th", "บริษัท ก จำกัด", "บริษัท ข จำกัด"),)),
    (view(), view(holder_names={"th": "บริษัท ก จำกัด"}), (C("holder_en", "A Co., Ltd.", None),)),
    (view(), view(holder_id="0105556000002"),
     (C("holder_id", "0105556000001", "0105556000002"),)),
    (view(), view(premises="2 ถนนพระราม 4", province="นนทบุรี"),
     (C("premises", "1 ถนนสุขุมวิท", "2 ถนนพระราม 4"), C("province", "กรุงเทพมหานคร", "นนทบุรี"))),
    (view(), view(conditions="ห้ามเปิดหลัง 22.00 น."), (C("conditions", None, "ห้ามเปิดหลัง 22.00 น."),)),
    (view(), view(document=dataclasses.replace(DOCUMENT, url="https://example.go.th/b.pdf",
                                               sha256="b" * 64)),
     (C("document_url", "https://example.go.th/a.pdf", "https://example.go.th/b.pdf"),
      C("checksum", "a" * 64, "b" * 64))),
    (view(), view(document=dataclasses.replace(DOCUMENT, access="restricted",
                                               media_type="image/png")),
     (C("access", "public", "restricted"), C("media_type", "application/pdf", "image/png"))),
    (view(), view(document=None),          # the document withdrawn: every part of it goes
     (C("document_url", "https://example.go.th/a.pdf", None), C("checksum", "a" * 64, None),
      C("access", "public", None), C("media_type", "application/pdf", None))),
    (view(document=None), view(document=Document(url="https://example.go.th/c.pdf")),
     (C("document_url", None, "https://example.go.th/c.pdf"), C("access", None, "public"))),
])
def test_what_changed_between_two_versions(before, after, expected):
    assert changes.diff(before, after) == expected


def versions(*recorded: str) -> list[Version]:
    return [Version(n, moment, "active", f"g{n}") for n, moment in enumerate(recorded, start=1)]


TODAY = dt.date(2030, 6, 1)


@pytest.mark.parametrize("recorded, number, day", [
    (["2023-01-15T03:00:00Z"], 1, TODAY),                                   # current: today
    (["2023-01-15T03:00:00Z", "2024-02-01T03:00:00Z"], 1, dt.date(2024, 2, 1)),
    (["2023-01-15T03:00:00Z", "2024-02-01T03:00:00Z"], 2, TODAY),
    # 18:00 UTC is already the next day in Thailand (UTC+7)
    (["2023-01-15T03:00:00Z", "2024-01-31T18:00:00Z"], 1, dt.date(2024, 2, 1)),
    # a clock before the replacement (a test's, or a page asked ?at=): never after today
    (["2023-01-15T03:00:00Z", "2031-01-01T03:00:00Z"], 1, TODAY),
])
def test_the_day_a_versions_status_is_told_for(recorded, number, day):
    assert changes.status_day(versions(*recorded), number, TODAY) == day


@pytest.mark.parametrize("on, number, day", [
    (None, 2, TODAY), (None, 1, dt.date(2024, 2, 1)),
    (dt.date(2023, 6, 1), 1, dt.date(2023, 6, 1)), (dt.date(2099, 1, 1), 2, TODAY),
])
def test_the_day_the_banner_is_told_for(on, number, day):
    both = versions("2023-01-15T03:00:00Z", "2024-02-01T03:00:00Z")
    assert changes.banner_day(both, number, TODAY, on) == day


def test_each_version_has_its_effective_status_on_its_day():
    # v1: active until 2023-12-31, replaced (renewed late) on 2024-02-01: it had expired by
    # then. v2: renewed, active until 2028. v3: suspended. Today v3 is current.
    history = versions("2023-01-15T03:00:00Z", "2024-02-01T03:00:00Z", "2025-03-01T03:00:00Z")
    views = {1: view(version=1, valid_until=dt.date(2023, 12, 31)),
             2: view(version=2), 3: view(version=3, status="suspended")}
    told = changes.history(history, views, TODAY)
    assert [(e.number, e.effective_status, e.current, e.first) for e in told.entries] == [
        (3, "suspended", True, False), (2, "active", False, False), (1, "expired", False, True)]
    assert told.entries[2].changes == ()                       # "first recorded"
    assert told.entries[1].changes == (C("valid_until", dt.date(2023, 12, 31),
                                         dt.date(2028, 1, 14)),)
    assert told.entries[0].changes == (C("status", "active", "suspended"),)
    assert told.total == 3 and told.hidden == 0


def test_the_current_version_says_what_the_banner_says():
    """Recorded active, valid until a day now past: expired today, in history and banner."""
    history = versions("2023-01-15T03:00:00Z")
    current = view(valid_until=dt.date(2030, 5, 31))
    entry, = changes.history(history, {1: current}, TODAY).entries
    assert entry.effective_status == current.effective_status(TODAY) == "expired"


def test_a_long_history_is_capped_and_reads_only_what_it_shows():
    many = versions(*(f"2024-01-01T00:{n // 60:02d}:{n % 60:02d}Z" for n in range(10_000)))
    wanted = changes.numbers_to_read(many, shown=50)
    assert wanted == list(range(9_950, 10_001))        # 50 shown and the one before them
    views = {n: view(version=n, conditions=str(n)) for n in wanted}
    told = changes.history(many, views, TODAY, shown=50)
    assert [e.number for e in told.entries] == list(range(10_000, 9_950, -1))
    assert told.total == 10_000 and told.hidden == 9_950
    assert told.entries[-1].changes == (C("conditions", "9950", "9951"),)   # oldest shown
    assert not told.entries[-1].first


# The page: one licence in each status, with two versions, and a clock the tests choose.

CLOCK = dt.date(2031, 6, 1)           # after the expired licence's end, before the others'
STATUSES = ("active", "expired", "suspended", "revoked", "surrendered", "replaced")


@pytest.fixture(scope="module")
def status_licences(module_repo, publish):
    catalogue = load_catalogue(module_repo)
    rows = [r for r in demo_rows(catalogue, 60, agency="dot", seed=7)
            if r["holder_type"] == "juristic" and r["status"] == "active"][:len(STATUSES)]
    first = [dict(r, issued="2023-01-15", valid_until="2033-01-14", conditions="") for r in rows]
    publish(module_repo, first, "dot")
    second = []
    for row, status in zip(first, STATUSES, strict=True):
        if status == "active":
            second.append(dict(row, conditions="ต้องแสดงใบอนุญาต"))
        elif status == "expired":
            second.append(dict(row, valid_until="2030-12-31"))
        else:
            second.append(dict(row, status=status, status_reason="ตามคำสั่งที่ 1/2569"))
    publish(module_repo, second, "dot")
    return {status: key_of(row) for row, status in zip(second, STATUSES, strict=True)}


@pytest.fixture(scope="module")
def clocked_client(module_repo):
    app = create_app({"STORE": str(module_repo.path), "BASE_IRI": BASE},
                     repository=module_repo, clock=lambda: CLOCK)
    return app.test_client()


def _page(client, key, query="", lang="th") -> str:
    response = client.get(licence_path("doc", key) + f"?lang={lang}{query}",
                          headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _banner(page: str) -> str:
    return re.search(r'class="banner status-(\w+)"', page)[1]


def _history(page: str) -> list[tuple[str, str]]:
    return re.findall(r'data-version="(\d+)" data-version-status="(\w+)"', page)


@pytest.mark.parametrize("status", STATUSES)
def test_history_never_contradicts_the_banner(clocked_client, status_licences, status):
    page = _page(clocked_client, status_licences[status])
    assert _banner(page) == status
    assert _history(page) == [("2", status), ("1", "active")]   # v1 was active when replaced
    current = page[page.index('data-version="2"'):page.index('data-version="1"')]
    assert "สถานะวันนี้" in current and "ฉบับปัจจุบัน" in current
    if status != "active":
        assert "ใช้ได้ (ฉบับปัจจุบัน)" not in page


@pytest.mark.parametrize("status, field, words", [
    ("active", "conditions", ["เงื่อนไข", "(ไม่มี)", "ต้องแสดงใบอนุญาต"]),
    ("expired", "valid_until", ["ใช้ได้ถึง", "14 ม.ค. 2576", "31 ธ.ค. 2573"]),
    ("revoked", "status", ["สถานะ", "ใช้ได้ → ถูกเพิกถอน"]),
])
def test_each_version_says_what_changed(clocked_client, status_licences, status, field, words):
    page = _page(clocked_client, status_licences[status])
    change = re.search(rf'<li data-field="{field}">(.*?)</li>', page, re.S)[1]
    text = re.sub(r"<[^>]+>", "", change)
    assert all(w in text for w in words), text
    assert "บันทึกครั้งแรก" in page                  # version 1


def test_an_old_versions_banner_is_told_for_the_day_it_was_replaced(clocked_client,
                                                                     status_licences):
    page = _page(clocked_client, status_licences["revoked"], "&version=1", lang="en")
    assert _banner(page) == "active" and "Status on" in page
    assert _history(page) == [("2", "revoked"), ("1", "active")]


def test_a_page_asked_for_a_day_tells_the_status_on_that_day(clocked_client, status_licences):
    """?at=: the version the register held at the end of that day, its status on that day."""
    day = thai_today()                         # the versions were recorded today (real clock)
    page = _page(clocked_client, status_licences["expired"], f"&at={day.isoformat()}", lang="th")
    assert _banner(page) == "active"           # valid until 2030: not expired on that day
    assert f"สถานะ ณ วันที่ {display_date(day, 'th')}" in page
    assert _history(page)[0] == ("2", "expired")      # the history still tells today's status


def _visible_text(page: str) -> str:
    """What a person reads: no <time> element, no code, no tags, no head."""
    body = page[page.index("<body"):]
    body = re.sub(r"<time\b[^>]*>.*?</time>", "", body, flags=re.S)
    body = re.sub(r"<code\b[^>]*>.*?</code>", "", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def test_thai_pages_show_buddhist_era_dates(clocked_client, status_licences):
    page = _page(clocked_client, status_licences["expired"], lang="th")
    assert "15 ม.ค. 2566" in page and "31 ธ.ค. 2573" in page           # valid from / until
    assert '<time datetime="2023-01-15">15 ม.ค. 2566</time>' in page
    assert re.search(r"บันทึกเมื่อ <time datetime=\"[0-9T:\-]+Z\">\d+ [^ ]+ 25\d\d</time>", page)
    assert ISO_DAY.findall(_visible_text(page)) == []


def test_english_pages_show_common_era_dates(clocked_client, status_licences):
    page = _page(clocked_client, status_licences["expired"], lang="en")
    assert '<time datetime="2023-01-15">15 Jan 2023</time>' in page
    assert "31 Dec 2030" in page and "2573" not in page
    assert "Status today" in page or "status today" in page
    assert ISO_DAY.findall(_visible_text(page)) == []


def test_the_tag_changes_with_the_clock(module_repo, status_licences):
    """The page's effective status follows the day: its ETag too (a cached page must not
    outlive the day its banner was right for)."""
    def etag(day):
        app = create_app({"STORE": str(module_repo.path), "BASE_IRI": BASE},
                         repository=module_repo, clock=lambda: day)
        return app.test_client().get(licence_path("doc", status_licences["active"]),
                                     headers={"Accept": "text/html"}).headers["ETag"]

    assert etag(CLOCK) != etag(CLOCK + dt.timedelta(days=1))


def test_the_versions_read_for_the_history_are_those_asked(module_repo, status_licences):
    licence = load_licence(module_repo, BASE, status_licences["revoked"])
    read = views_for_history(module_repo, licence, changes.numbers_to_read(licence.history))
    assert sorted(read) == [1, 2] and read[2] is licence          # the loaded one not read again
    assert (read[1].status, read[2].status) == ("active", "revoked")
    assert views_for_history(module_repo, licence, [1]).keys() == {1}


@pytest.mark.parametrize("stored, lang, shown", [
    ("กรุงเทพมหานคร", "th", "กรุงเทพมหานคร"),
    ("กรุงเทพมหานคร", "en", "กรุงเทพมหานคร (Krung Thep Maha Nakhon)"),
    ("เชียงใหม่", "en", "เชียงใหม่ (Chiang Mai)"),
    ("ไม่มีจังหวัดนี้", "en", "ไม่มีจังหวัดนี้"),    # stored before provinces were checked
    ("Bangkok", "en", "Bangkok"),
    ("กรุงเทพ\u200bมหานคร", "en", "กรุงเทพ\u200bมหานคร"),     # flagged on the page as it is
    ("", "en", ""),
])
def test_the_province_in_the_page_language(stored, lang, shown):
    assert view(province=stored).province_in(lang) == shown
