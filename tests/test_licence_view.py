"""A stored licence read back for display is the record that was uploaded."""

from __future__ import annotations

import datetime as dt

from ops.demo import demo_rows
from publishing.pipeline import commit
from registry.bootstrap import load_catalogue
from registry.validation import ValidationContext, check_batch
from resolver.licence import load_licence

from .conftest import BASE


def test_view_matches_the_uploaded_record(repo):
    catalogue = load_catalogue(repo)
    rows = [r for r in demo_rows(catalogue, 200, agency="diw")
            if r["holder_type"] == "juristic" and r["document_access"] == "restricted"][:1]
    records, _ = check_batch(enumerate(rows, start=2), ValidationContext(catalogue))
    record = records[0]
    commit(repo, records, base=BASE, catalogue=catalogue, agency="diw")
    view = load_licence(repo, BASE, record.key)
    assert view.printed_number == rows[0]["licence_number"]
    assert (view.valid_from, view.valid_until) == (record.issued, record.valid_until)
    assert view.status == record.status and view.version == 1 and view.is_current
    assert view.holder_type == "juristic" and view.holder_id == record.holder_id
    assert view.holder_names == {"th": record.holder_name, "en": record.holder_name_en}
    assert (view.premises, view.province) == (record.premises_address, record.province)
    assert view.document.sha256 == record.document_sha256
    assert view.document.target == record.document_login_url        # restricted: login page
    assert view.effective_status(dt.date(2099, 1, 1)) in ("expired", record.status)


def test_unknown_licence_and_past_versions(repo):
    catalogue = load_catalogue(repo)
    rows = list(demo_rows(catalogue, 1, agency="dot"))
    records, _ = check_batch(enumerate(rows, start=2), ValidationContext(catalogue))
    key = records[0].key
    assert load_licence(repo, BASE, key) is None
    commit(repo, records, base=BASE, catalogue=catalogue, agency="dot")
    revoked = dict(rows[0], status="revoked", status_reason="ฝ่าฝืน")
    records2, _ = check_batch(enumerate([revoked], start=2), ValidationContext(catalogue))
    commit(repo, records2, base=BASE, catalogue=catalogue, agency="dot")
    assert load_licence(repo, BASE, key).status == "revoked"
    old = load_licence(repo, BASE, key, version=1)
    assert old.status == rows[0]["status"] and not old.is_current
    assert load_licence(repo, BASE, key, version=3) is None
    assert load_licence(repo, BASE, key, on=dt.date(2000, 1, 1)) is None
