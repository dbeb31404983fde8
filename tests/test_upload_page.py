"""The upload page (SPEC §5, tier 1): sign in with the agency key, check a CSV, read each problem
next to its row in Thai or English, fix, publish, see the counts and the agency's history.

The form flow runs on Flask's test client; the same flow runs in a real Chromium (Playwright)
against the app served on loopback. Browser tests skip only outside CI when Chromium is absent.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest

from ops.demo import demo_rows, rows_to_csv
from publishing.keys import issue_key
from publishing.pipeline import commit, validate_csv
from publishing.uploadpage import CARRY_LIMIT
from publishing.uploads import list_uploads
from registry.bootstrap import load_catalogue
from registry.problems import rule_texts
from registry.validation import ValidationContext

from .support.browser import fits_width as _fits_width
from .support.stores import BASE

pytest_plugins = ["tests.support.browser"]      # chromium, live_server, open_page

BAD_ID = "0105556012340"                 # wrong check digit
BAD_ROW = 19                             # rows[17]: the header is row 1


@pytest.fixture
def diw_key(embedded_repo):
    key, _ = issue_key(embedded_repo, BASE, "diw")
    return key


@pytest.fixture
def good_rows(catalogue):
    return list(demo_rows(catalogue, 20, agency="diw"))


@pytest.fixture
def bad_rows(good_rows):
    rows = list(good_rows)
    rows[BAD_ROW - 2] = dict(rows[BAD_ROW - 2], holder_id=BAD_ID)
    return rows


def excel_csv(rows) -> bytes:
    """What Excel's "CSV UTF-8 (Comma delimited)" writes: a BOM and CRLF line ends."""
    return rows_to_csv(rows).replace("\n", "\r\n").encode("utf-8-sig")


def submit(client, key, action, data: bytes | None = None, lang="th", **fields):
    form = {"key": key, "action": action, "lang": lang, **fields}
    if data is not None:
        form["file"] = (io.BytesIO(data), "licences.csv")
    return client.post("/upload", data=form, content_type="multipart/form-data")


def article(html: str, row) -> str:
    """The block that shows one row's problems (and that row's cells)."""
    match = re.search(rf'<article class="row-problems" id="row-{row}".*?</article>', html, re.S)
    assert match, f"no problems shown for row {row}"
    return match.group(0)


def primary_message(block: str) -> str:
    return re.search(r'<p class="message" lang="(th|en)">(.*?)</p>', block, re.S).group(2)


def hidden(html: str, name: str) -> str:
    return re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', html).group(1)


def uploads_count(repo) -> int:
    return len(list_uploads(repo, BASE, "diw"))


# --- the form flow, on the test client ---------------------------------------------------------


def test_page_is_strict_and_self_contained(client):
    response = client.get("/upload")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    html = response.get_data(as_text=True)
    assert '<meta name="viewport"' in html
    assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", html, re.I)
    assert not re.search(r'(src|href)="(https?:)?//', html)          # no CDN, nothing external
    css = client.get("/static/upload.css")
    assert css.status_code == 200 and css.mimetype == "text/css"


@pytest.mark.parametrize("accept, query, lang", [
    (None, "", "th"), ("en-GB,en;q=0.9", "", "en"), ("th-TH,th;q=0.9,en;q=0.5", "", "th"),
    ("fr-FR", "", "th"), ("en", "?lang=th", "th"), (None, "?lang=en", "en")])
def test_language_defaults_from_accept_language_thai_first(client, accept, query, lang):
    headers = {"Accept-Language": accept} if accept else {}
    html = client.get("/upload" + query, headers=headers).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html


@pytest.mark.parametrize("lang, text", [("th", "รหัสหน่วยงานไม่ถูกต้อง"),
                                        ("en", "This key is not valid")])
def test_wrong_key_says_so(client, embedded_repo, lang, text):
    response = submit(client, "clc_not-a-key", "sign-in", lang=lang)
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert text in html and 'role="alert"' in html
    assert "clc_not-a-key" not in html                 # a wrong key is not echoed
    assert 'name="key" type="password"' in html        # sign in again


def test_empty_key_and_revoked_key(client, embedded_repo, diw_key):
    assert submit(client, "", "sign-in").status_code == 401
    from publishing.keys import list_keys, revoke_key
    record = next(k for k in list_keys(embedded_repo, BASE) if k.agency == "diw")
    revoke_key(embedded_repo, BASE, "diw", record.id)
    assert submit(client, diw_key, "sign-in").status_code == 401


def test_sign_in_keeps_the_key_in_a_hidden_field_only(client, embedded_repo, diw_key):
    response = submit(client, diw_key, "sign-in")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "กรมโรงงานอุตสาหกรรม" in html
    assert hidden(html, "key") == diw_key
    assert diw_key not in "".join(re.findall(r'(?:href|action|src)="([^"]*)"', html))
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert 'type="file"' in html and 'value="dry-run"' in html and 'value="publish"' in html


@pytest.mark.parametrize("lang", ["th", "en"])
def test_dry_run_shows_the_problem_next_to_its_row(client, embedded_repo, diw_key, bad_rows,
                                                   lang):
    before = embedded_repo.export_bytes()
    response = submit(client, diw_key, "dry-run", excel_csv(bad_rows), lang=lang)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    block = article(html, BAD_ROW)
    text = rule_texts()["holder-id-checksum"]
    other = "en" if lang == "th" else "th"
    assert 'data-rule="holder-id-checksum"' in block and 'data-field="holder_id"' in block
    assert primary_message(block).startswith(getattr(text, lang))
    assert f'<p class="message-other" lang="{other}">{getattr(text, other)}' in block
    assert f'<td class="bad"><bdi>{BAD_ID}</bdi></td>' in block     # the cell at fault, in its row
    assert f'<th scope="row" class="rownum">{BAD_ROW}</th>' in block
    assert ("แถวที่ 19" if lang == "th" else "Row 19") in block
    violations = re.findall(r'class="problem severity-violation"', html)
    assert len(violations) == 1
    assert embedded_repo.export_bytes() == before


def test_language_switch_rechecks_the_same_file(client, embedded_repo, diw_key, bad_rows):
    first = submit(client, diw_key, "dry-run", excel_csv(bad_rows)).get_data(as_text=True)
    content = hidden(first, "content")
    assert base64.b64decode(content) == excel_csv(bad_rows)
    switched = submit(client, diw_key, "language", lang="en", content=content,
                      filename="licences.csv")
    html = switched.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert primary_message(article(html, BAD_ROW)).startswith(
        rule_texts()["holder-id-checksum"].en)
    assert uploads_count(embedded_repo) == 0


def test_fix_check_publish_then_counts_and_history(client, embedded_repo, diw_key, good_rows):
    checked = submit(client, diw_key, "dry-run", excel_csv(good_rows))
    assert checked.status_code == 200
    html = checked.get_data(as_text=True)
    assert "ไฟล์ถูกต้อง: 20 แถว" in html and 'id="publish-checked"' in html
    assert uploads_count(embedded_repo) == 0
    published = submit(client, diw_key, "publish", content=hidden(html, "content"),
                       filename="licences.csv")
    assert published.status_code == 200
    html = published.get_data(as_text=True)
    assert re.search(r'id="count-created">20<', html)
    assert re.search(r'id="count-updated">0<', html) and re.search(r'id="count-unchanged">0<', html)
    upload_id = re.search(r'id="upload-id">([^<]+)<', html).group(1)
    assert re.search(rf'<tr data-upload="{upload_id}" class="latest">', html)
    history = list_uploads(embedded_repo, BASE, "diw")
    assert [(u["upload_id"], u["created"], u["updated"], u["unchanged"]) for u in history] == \
        [(upload_id, 20, 0, 0)]
    assert 'name="content"' not in html        # a published file is never carried to resend

    again = submit(client, diw_key, "publish", excel_csv(good_rows), lang="en")
    html = again.get_data(as_text=True)
    assert re.search(r'id="count-unchanged">20<', html)
    assert len(re.findall(r"<tr data-upload=", html)) == 2
    switched = submit(client, diw_key, "language", lang="th",
                      last_upload=hidden(html, "last_upload"))
    assert re.search(r'id="count-unchanged">20<', switched.get_data(as_text=True))
    assert uploads_count(embedded_repo) == 2


@pytest.mark.parametrize("padding, carried", [(10_000, True), (14_000, False)])
def test_only_small_files_come_back_in_the_page(client, embedded_repo, diw_key, good_rows,
                                                padding, carried):
    """Up to CARRY_LIMIT the checked file returns in a hidden field (and stays under Flask's
    form-field limit when sent back); a larger one must be chosen again to publish."""
    rows = [dict(row, conditions="ก" * (padding // 3)) for row in good_rows]   # 3 bytes each
    data = excel_csv(rows)
    assert (len(data) <= CARRY_LIMIT) is carried
    html = submit(client, diw_key, "dry-run", data).get_data(as_text=True)
    assert ('id="publish-checked"' in html) is carried
    assert ("เลือกไฟล์เดิมอีกครั้ง" in html) is not carried
    if carried:
        published = submit(client, diw_key, "publish", content=hidden(html, "content"),
                           filename="licences.csv")
        assert published.status_code == 200
        assert re.search(r'id="count-created">20<', published.get_data(as_text=True))


def test_publish_with_a_bad_row_writes_nothing(client, embedded_repo, diw_key, bad_rows):
    before = embedded_repo.export_bytes()
    response = submit(client, diw_key, "publish", excel_csv(bad_rows))
    assert response.status_code == 422
    assert 'data-rule="holder-id-checksum"' in article(response.get_data(as_text=True), BAD_ROW)
    assert embedded_repo.export_bytes() == before


def test_other_agencys_licences_are_refused(client, embedded_repo, diw_key, catalogue):
    response = submit(client, diw_key, "publish",
                      excel_csv(list(demo_rows(catalogue, 3, agency="dot"))), lang="en")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "may not publish for" in html and 'data-rule="issuer-scope"' in html
    assert uploads_count(embedded_repo) == 0


@pytest.mark.parametrize("data, status, text", [
    (None, 400, "กรุณาเลือกไฟล์ Excel หรือ CSV"),
    (b"PK\x03\x04rest-of-a-workbook", 422, "สมุดงาน Excel"),
    ("เลขที่ใบอนุญาต\n1\n".encode("utf-16"), 422, "UTF-8"),
    ("เลขที่ใบอนุญาต\n1\n".encode("cp874"), 422, 'data-rule="column-required"'),
    (b"licence_number,colour\n1,red\n", 422, "colour"),
])
def test_unreadable_files_are_explained(client, embedded_repo, diw_key, data, status, text):
    response = submit(client, diw_key, "dry-run", data)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_api_still_answers_json(client, diw_key, good_rows):
    """The page and the API share process_upload; the API's answer is unchanged."""
    response = client.post("/api/v1/uploads?dry_run=true", data=excel_csv(good_rows),
                           headers={"Content-Type": "text/csv",
                                    "Authorization": f"Bearer {diw_key}"})
    assert response.status_code == 200
    assert response.get_json() | {"problems": [], "summary": []} == {
        "dry_run": True, "valid": True, "rows": 20, "licences": 20, "problems": [], "summary": []}


def test_list_uploads_is_per_agency_newest_first(client, embedded_repo, diw_key, catalogue):
    dot_key, _ = issue_key(embedded_repo, BASE, "dot")
    submit(client, dot_key, "publish", excel_csv(list(demo_rows(catalogue, 2, agency="dot"))))
    stored = load_catalogue(embedded_repo)
    rows = list(demo_rows(catalogue, 3, agency="diw"))
    for n, batch in enumerate((rows[:2], rows)):         # a second apart: times order them
        report = validate_csv(excel_csv(batch), ValidationContext.for_agency(stored, "diw", BASE))
        commit(embedded_repo, report.records, base=BASE, catalogue=stored, agency="diw",
               now=dt.datetime(2026, 11, 21, 12, 0, n, tzinfo=dt.UTC))
    diw = list_uploads(embedded_repo, BASE, "diw")
    assert [(u["created"], u["unchanged"], u["ended"]) for u in diw] == [
        (1, 2, "2026-11-21T12:00:01Z"), (2, 0, "2026-11-21T12:00:00Z")]
    assert all(u["iri"] == f"{BASE}/id/upload/{u['upload_id']}" for u in diw)
    assert [u["created"] for u in list_uploads(embedded_repo, BASE, "dot")] == [2]
    assert len(list_uploads(embedded_repo, BASE, "diw", limit=1)) == 1
    html = submit(client, diw_key, "sign-in").get_data(as_text=True)
    # Thailand's time, the Thai page in the Buddhist Era; the machine-readable moment in UTC
    assert '<time datetime="2026-11-21T12:00:01Z">21 พ.ย. 2569 19:00</time>' in html
    english = submit(client, diw_key, "sign-in", lang="en").get_data(as_text=True)
    assert '<time datetime="2026-11-21T12:00:01Z">21 Nov 2026 19:00</time>' in english


def test_template_download(client):
    response = client.get("/upload/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).startswith("\ufefflicence_number,licence_type,issuer")


# --- the same flow in a real browser -----------------------------------------------------------

SCREENSHOTS = Path(os.environ.get("UPLOAD_PAGE_SCREENSHOTS", "/tmp"))


@pytest.fixture
def page(open_page, live_server):
    """A Chromium page that records every console error or warning, page error, CSP violation
    and failed or refused subresource in `page.errors` (see tests/support/browser.py).

    The page shows a refused upload or a wrong key with a 4xx status on purpose: Chromium's
    "Failed to load resource: … 422" about the page itself (its own URL) is not an error."""
    return open_page(locale="th-TH", width=1280, height=900,
                     refused_documents=(f"{live_server}/upload", f"{live_server}/upload?lang=en"))


@pytest.mark.browser
def test_browser_check_fix_publish(page, live_server, diw_key, bad_rows, good_rows, tmp_path):
    bad_file, good_file = tmp_path / "licences.csv", tmp_path / "fixed" / "licences.csv"
    good_file.parent.mkdir()
    bad_file.write_bytes(excel_csv(bad_rows))
    good_file.write_bytes(excel_csv(good_rows))
    thai = rule_texts()["holder-id-checksum"]

    page.goto(f"{live_server}/upload")
    assert page.get_attribute("html", "lang") == "th"           # from Accept-Language th-TH
    page.fill("#key", diw_key)
    page.click("#sign-in")
    assert "กรมโรงงานอุตสาหกรรม" in page.inner_text("#agency")

    page.set_input_files("#file", str(bad_file))
    page.click("#dry-run")
    row = page.locator(f"#row-{BAD_ROW}")
    assert f"แถวที่ {BAD_ROW}" in row.locator("h3").inner_text()
    problem = row.locator('tr[data-rule="holder-id-checksum"]')
    assert problem.locator(".message").inner_text().startswith(thai.th)
    assert not problem.locator(".message-other").is_visible()  # English one click away
    problem.locator("summary").click()
    assert problem.locator(".message-other").inner_text().startswith(thai.en)
    assert row.locator("td.bad").inner_text() == BAD_ID
    assert row.locator("th.rownum").last.inner_text() == str(BAD_ROW)
    page.screenshot(path=str(SCREENSHOTS / "upload-page-problems.png"))
    page.set_viewport_size({"width": 390, "height": 844})         # a phone
    assert _fits_width(page), "the page scrolls sideways on a phone"
    assert row.locator(".message").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "upload-page-phone.png"), full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.wait_for_load_state("load")
    page.click("#lang-en")
    assert page.get_attribute("html", "lang") == "en"
    row = page.locator(f"#row-{BAD_ROW}")
    assert f"Row {BAD_ROW}" in row.locator("h3").inner_text()
    assert row.locator('tr[data-rule="holder-id-checksum"] .message').inner_text() \
        .startswith(thai.en)

    page.set_input_files("#file", str(good_file))
    page.click("#dry-run")
    assert "The file is valid: 20 row(s)" in page.inner_text("#result")
    assert page.locator(".problem.severity-violation").count() == 0
    page.click("#publish-checked")
    assert page.inner_text("#count-created") == "20"
    assert page.inner_text("#count-updated") == "0"
    upload_id = page.inner_text("#upload-id")
    assert page.locator(f'#history tr[data-upload="{upload_id}"]').is_visible()
    page.screenshot(path=str(SCREENSHOTS / "upload-page-published.png"), full_page=True)
    assert page.errors == []


@pytest.mark.browser
def test_browser_wrong_key(page, live_server):
    page.goto(f"{live_server}/upload?lang=en")
    page.fill("#key", "clc_wrong")
    page.click("#sign-in")
    assert "not valid" in page.inner_text("#message")
    # Leave only once the page has loaded whole: leaving sooner aborts its icon's request,
    # which the recorder rightly counts.
    page.wait_for_load_state("load")
    page.click("#lang-th")
    assert page.get_attribute("html", "lang") == "th"
    assert page.errors == []


def test_page_sign_in_is_slowed_down_after_repeated_bad_keys(client):
    codes = [client.post("/upload", data={"key": "clc_guess", "action": "sign-in"}).status_code
             for _ in range(6)]
    assert codes == [401] * 5 + [429]
