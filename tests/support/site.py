"""The whole site as a visitor meets it, for the browser tests of every page (not a test module):
a real embedded store holding a small, fixed demo set published through the real pipeline, the
app built with a fixed day, served on loopback for the session.

The demo set covers every status a licence page draws (active, suspended, revoked, surrendered,
replaced, and expired by date), a juristic holder with several licences, a natural person, a
licence with three versions and a public document whose checksum `/verify` finds, two licences
sharing a number (the 300 choices page) and three uploads. Everything a page shows is fixed:
today is FIXED_DAY (the app's clock) and each upload is committed at a fixed moment with a fixed
upload ID, so two runs draw the same pixels (the screenshot tests rely on it).

A test module takes the `site` fixture with
`pytest_plugins = ["tests.support.browser", "tests.support.site"]`; the page table imports
it before pytest registers it as a plugin, hence PYTEST_DONT_REWRITE (which spares the warning).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from ops.demo import rows_to_csv
from publishing import pipeline
from publishing.service import Upload, publish
from registry import identifiers
from registry.bootstrap import load_catalogue
from registry.events import licences_committed
from registry.records import COLUMNS
from registry.settings import load_settings
from registry.signingkeys import SigningKeys, signing_keys_path
from registry.store.embedded import EmbeddedRepository
from registry.thaiid import with_check_digit
from web.app import create_app
from web.state import state_of

from .sharedstores import copy_of_store
from .stores import BASE

FIXED_DAY = dt.date(2026, 11, 16)           # "today" for every page of the site
AGENCY = "diw"
# The licence document whose SHA-256 the active licence carries (what /verify is shown).
DOCUMENT = b"%PDF-1.4\n% Central Licence Catalogue: a demo licence document\n%%EOF\n"
DOCUMENT_SHA256 = hashlib.sha256(DOCUMENT).hexdigest()
SIAM = with_check_digit("010555800123")      # juristic: several licences
LANNA = with_check_digit("010556100456")     # juristic: the surrendered, replaced and twin
PERSON = with_check_digit("310010045678")    # a natural person (no holder page: PDPA)
SHARED_NUMBER = "101/2568"                   # on two licence types: /resolve offers both
# Each upload's moment (and so its ID): the first publishes every licence, the second changes
# two, the third one (the active licence reaches version 3).
UPLOADS = (dt.datetime(2026, 1, 20, 3, 0, tzinfo=dt.UTC),
           dt.datetime(2026, 5, 4, 2, 30, tzinfo=dt.UTC),
           dt.datetime(2026, 9, 1, 7, 15, tzinfo=dt.UTC))


def _row(number: str, licence_type: str, holder: str, issued: str, valid_until: str = "",
         status: str = "active", reason: str = "", **more: str) -> dict[str, str]:
    row = {column: "" for column in COLUMNS}
    names = {SIAM: ("juristic", "บริษัท สยามฟู้ด จำกัด", "Siam Food Co., Ltd."),
             LANNA: ("juristic", "บริษัท ลานนาเทรดดิ้ง จำกัด", "Lanna Trading Co., Ltd."),
             PERSON: ("natural", "สมชาย ใจดี", "Somchai Jaidee")}
    kind, name_th, name_en = names[holder]
    row.update(licence_number=number, licence_type=licence_type, issuer=AGENCY,
               holder_type=kind, holder_id=holder, holder_name=name_th, holder_name_en=name_en,
               premises_address="99/9 ถนนพหลโยธิน แขวงสามเสนใน เขตพญาไท", province="กรุงเทพมหานคร",
               issued=issued, valid_until=valid_until, status=status, status_reason=reason,
               **more)
    return row


def first_rows() -> dict[str, dict[str, str]]:
    """The licences of the first upload, by the status (or role) each stands for."""
    document = {"document_url": "https://eservice.diw.go.th/licences/siam-101-2568.pdf",
                "document_sha256": DOCUMENT_SHA256, "document_media_type": "application/pdf",
                "document_access": "public"}
    return {
        "active": _row(SHARED_NUMBER, "hazardous-substance-possession", SIAM, "2026-01-15",
                       "2027-01-14", **document),
        "suspended": _row("102/2568", "hazardous-substance-production", SIAM, "2026-01-15",
                          "2027-01-14"),
        "revoked": _row("3-106-12/2560", "factory-operation", SIAM, "2017-03-02",
                        status="revoked", reason="ฝ่าฝืนเงื่อนไขใบอนุญาตซ้ำหลังได้รับคำเตือน"),
        "expired": _row("57/2566", "hazardous-substance-possession", SIAM, "2023-06-01",
                        "2024-05-30"),
        "surrendered": _row("88/2567", "hazardous-substance-possession", LANNA, "2024-02-01",
                            "2025-01-31", status="surrendered"),
        "replaced": _row("3-64-7/2561", "factory-operation", LANNA, "2018-08-08",
                         status="replaced"),
        "twin": _row(SHARED_NUMBER, "hazardous-substance-production", LANNA, "2026-02-01",
                     "2027-01-31"),
        "natural": _row("1-20-345/2565", "factory-operation", PERSON, "2022-09-09"),
    }


def later_uploads(rows: dict[str, dict[str, str]]) -> list[list[dict[str, str]]]:
    """The second upload (the active licence moves, the suspended one is suspended) and the
    third (the active licence gains conditions)."""
    moved = dict(rows["active"], premises_address="12/3 ถนนวิภาวดีรังสิต แขวงจตุจักร เขตจตุจักร")
    suspended = dict(rows["suspended"], status="suspended",
                     status_reason="ไม่ปฏิบัติตามเงื่อนไขใบอนุญาต ระหว่างการตรวจสอบ")
    conditions = dict(moved, conditions="ต้องแสดงใบอนุญาตไว้ในที่เปิดเผย เห็นได้ง่าย ณ สถานประกอบการ")
    return [[moved, suspended], [conditions]]


def upload_id_at(moment: dt.datetime) -> str:
    """The fixed ID of the upload committed at `moment` (the pipeline's shape, no random part)."""
    return f"{moment:%Y%m%dT%H%M%SZ}-00000000"


def publish_at(repo: EmbeddedRepository, rows: list[dict[str, str]], moment: dt.datetime) -> str:
    """Publish `rows` as AGENCY the way publishing.service.publish does (its checks, then the
    pipeline's commit, then the commit's signal), committed at `moment` with a fixed upload ID;
    the upload's ID."""
    catalogue = load_catalogue(repo)
    settings = load_settings({"STORE": str(repo.path), "BASE_IRI": BASE}, environ={})
    checked = publish(repo, base=BASE, catalogue=catalogue, agency=AGENCY,
                      uploads=Upload("text/csv", rows_to_csv(rows).encode()), dry_run=True,
                      sender=None, settings=settings)
    report = checked.reports[""]
    assert not report.violations and len(report.records) == len(rows), report.violations
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "new_upload_id", upload_id_at)
        result = pipeline.commit(repo, report.records, base=BASE, catalogue=catalogue,
                                 agency=AGENCY, now=moment, problems=report.problems)
    licences_committed.send(None, settings=settings)
    return result.upload_id


@dataclass(frozen=True)
class Site:
    """The served site and what its pages are about."""

    url: str                                   # http://127.0.0.1:{port}
    keys: dict[str, identifiers.LicenceKey]    # by status or role (see first_rows)
    uploads: tuple[str, ...]                   # upload IDs, in order

    def licence(self, which: str) -> str:
        """The licence page's path (percent-encoded)."""
        return identifiers.iri_to_uri(f"/doc/licence/{self.keys[which].path}")

    def page(self, path: str, lang: str) -> str:
        """The full URL of `path` in `lang` (the page's own ?lang= switch)."""
        joiner = "&" if "?" in path else "?"
        return f"{self.url}{path}{joiner}lang={lang}"

    def local(self, url: str) -> str | None:
        """`url` on this server: the site's own URLs, and the register's IRIs (minted under
        BASE, which pages link as they are); None for another site."""
        for root in (self.url, BASE):
            if url == root or url.startswith(root + "/") or url.startswith(root + "?"):
                return self.url + url[len(root):]
        return None

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


class QuietHandler(WSGIRequestHandler):
    """Logs no line per request: a crawl makes hundreds, which would bury a failure's report."""

    def log_request(self, code="-", size="-") -> None:
        pass


@contextmanager
def served(app) -> Iterator[str]:
    """`app` on a real HTTP server on loopback, in a thread, while the block runs; its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture(scope="session")
def site(tmp_path_factory, initialised_template) -> Iterator[Site]:
    """The demo site, served for the session (the store, app and server are made once)."""
    repo = copy_of_store(initialised_template, tmp_path_factory.mktemp("site") / "store")
    rows = first_rows()
    uploads = [publish_at(repo, list(rows.values()), UPLOADS[0])]
    for batch, moment in zip(later_uploads(rows), UPLOADS[1:], strict=True):
        uploads.append(publish_at(repo, batch, moment))
    keys = {name: identifiers.licence_key(row["issuer"], row["licence_type"],
                                          row["licence_number"]) for name, row in rows.items()}
    app = create_app({"STORE": str(repo.path), "BASE_IRI": BASE}, repository=repo,
                     clock=lambda: FIXED_DAY)
    # The key file `init` makes: licence pages link their signed credential (issue 14).
    SigningKeys(signing_keys_path(state_of(app).settings)).ensure(UPLOADS[0])
    try:
        with served(app) as url:
            yield Site(url, keys, tuple(uploads))
    finally:
        repo.close()
