"""A stored licence read back for display is the record that was uploaded."""

from __future__ import annotations

import datetime as dt

from ops.demo import demo_rows
from registry.bootstrap import load_catalogue
from resolver.licence import load_licence

from .support.builders import key_of
from .support.stores import BASE


def test_view_matches_the_uploaded_record(repo, publish):
    catalogue = load_catalogue(repo)
    rows = [r for r in demo_rows(catalogue, 200, agency="diw")
            if r["holder_type"] == "juristic" and r["document_access"] == "restricted"][:1]
    record, = publish(repo, rows, "diw").records
    view = load_licence(repo, BASE, record.key)
    assert view.printed_number == rows[0]["licence_number"]
    assert (view.valid_from, view.valid_until) == (record.issued, record.valid_until)
    assert view.status == record.status and view.version == 1 and view.is_current
    assert view.holder_type == "juristic" and view.holder_id == record.holder_id
    assert view.holder_names == {"th": record.holder_name, "en": record.holder_name_en}
    assert (view.premises, view.province) == (record.premises_address, record.province)
    assert view.document.sha256 == record.document_sha256
    assert view.document.target == record.document_login_url        # restricted: login page
    assert record.status == "active" and record.valid_until         # so by 2099 it has expired
    assert view.effective_status(dt.date(2099, 1, 1)) == "expired"


def test_unknown_licence_and_past_versions(repo, publish):
    catalogue = load_catalogue(repo)
    rows = list(demo_rows(catalogue, 1, agency="dot"))
    key = key_of(rows[0])
    assert load_licence(repo, BASE, key) is None
    publish(repo, rows, "dot")
    publish(repo, [dict(rows[0], status="revoked", status_reason="ฝ่าฝืน")], "dot")
    assert load_licence(repo, BASE, key).status == "revoked"
    old = load_licence(repo, BASE, key, version=1)
    assert old.status == rows[0]["status"] and not old.is_current
    assert load_licence(repo, BASE, key, version=3) is None
    assert load_licence(repo, BASE, key, on=dt.date(2000, 1, 1)) is None
