"""The licence side index (registry/licenceindex.py) over real stores: what it finds by name
(Thai and English, any part), by number (every variant a person types) and by juristic ID;
that it never holds a natural person's ID, nor their name unless the type is a public register;
FTS syntax in a query is text; it follows uploads and amendments, rebuilds, and serves paged
lists and figures."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from registry.licenceindex import LicenceIndex, drop_index, state_follows
from registry.licencesource import SourceRow
from tests.support.builders import key_of, rows_of
from tests.support.stores import BASE

# The holders the tests search for, by label: (holder_type, type wanted, name th, name en).
# `factory-operation` is a public register (names of natural persons published), and
# `hazardous-substance-possession` is not.
HOLDERS = {
    "siam": ("juristic", None, "บริษัท สยามคราฟท์ อุตสาหกรรม จำกัด", "Siam Kraft Industry Co., Ltd."),
    "chang": ("juristic", None, "ห้างหุ้นส่วนจำกัด ช่างไทยการโยธา",
              "Chang Thai Civil Works Limited Partnership"),
    "syntax": ("juristic", None, 'บริษัท "ดาว*เหนือ" จำกัด', 'Xylo "Star*" OR NEAR(Co) Ltd.'),
    "public_person": ("natural", "factory-operation", "นายสมศักดิ์ ทองดีเลิศ", "Somsak Thongdeelert"),
    "private_person": ("natural", "hazardous-substance-possession", "นางสาวมาลีวรรณ ศรีสุขสันต์",
                       "Maleewan Srisuksan"),
}


def _pick(pool: list[dict], holder_type: str, type_code: str | None, used: set[int]) -> dict:
    for i, row in enumerate(pool):
        if i not in used and row["holder_type"] == holder_type and (
                type_code is None or row["licence_type"] == type_code):
            used.add(i)
            return row
    raise AssertionError(f"no demo row of type {type_code}")


@pytest.fixture(scope="module")
def built(module_repo_of_each_kind, publish, catalogue, tmp_path_factory):
    """The holders above (plus 40 other licences) published in a store of each kind, and an
    index over it: (index, {label: row}, repo)."""
    repo = module_repo_of_each_kind
    pool = rows_of(catalogue, "diw", 240, seed=12)
    used: set[int] = set()
    labelled: dict[str, dict] = {}
    for label, (holder_type, type_code, th, en) in HOLDERS.items():
        row = dict(_pick(pool, holder_type, type_code, used))
        row.update(holder_name=th, holder_name_en=en)
        labelled[label] = row
    others = [pool[i] for i in range(len(pool)) if i not in used][:40]
    publish(repo, [*labelled.values(), *others])
    index = LicenceIndex(tmp_path_factory.mktemp("index") / "licences.sqlite", repo, BASE)
    index.refresh()
    yield index, labelled, repo
    index.close()


def _labels(found, labelled) -> set[str]:
    by_iri = {key_of(row).path: label for label, row in labelled.items()}
    return {by_iri.get(f"{r.issuer}/{r.type}/{r.number}", "other") for r in found}


def _thai_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))


# (query, or a function of the labelled rows giving it; the labels it must find, exactly)
SEARCHES = [
    ("สยามคราฟท์", {"siam"}),                 # a Thai word of the name
    ("ยามคราฟ", {"siam"}),                    # any part of it, across syllables
    ("คราฟท์ อุตสาห", {"siam"}),              # as typed, with its space
    ("kraft ind", {"siam"}),                  # English, any case
    ("KRAFT", {"siam"}),
    ("ช่างไทย", {"chang"}),
    ("Civil Works", {"chang"}),
    ("Works Civil", {"chang"}),               # words in another order
    ("Xy", {"syntax"}),                       # one or two letters: names starting with them
    ("ห้", {"chang"}),
    (lambda rows: rows["siam"]["licence_number"], {"siam"}),
    (lambda rows: _thai_digits(rows["siam"]["licence_number"]), {"siam"}),
    (lambda rows: " " + rows["siam"]["licence_number"].replace("/", " / ") + " ", {"siam"}),
    (lambda rows: rows["chang"]["licence_number"].replace("-", "\u2013").lower(), {"chang"}),
    (lambda rows: rows["siam"]["holder_id"], {"siam"}),
    (lambda rows: _thai_digits(rows["siam"]["holder_id"]), {"siam"}),
    (lambda rows: "-".join([rows["chang"]["holder_id"][:1], rows["chang"]["holder_id"][1:5],
                            rows["chang"]["holder_id"][5:]]), {"chang"}),
    ("สมศักดิ์ ทองดี", {"public_person"}),     # a natural person on a public register
    ("Thongdeelert", {"public_person"}),
    ("มาลีวรรณ", set()),                       # ... and on a register that is not public
    ("Maleewan", set()),
    (lambda rows: rows["private_person"]["holder_id"], set()),   # never their IDs
    (lambda rows: rows["public_person"]["holder_id"], set()),
    # FTS5 syntax is text: quotes, stars, NEAR(, OR, column filters, carets, minus
    ('"ดาว*เหนือ"', {"syntax"}),
    ("Star*", {"syntax"}),
    ("OR NEAR(Co)", {"syntax"}),
    ('"', set()),
    ('""', set()),
    ("*", set()),
    ("NEAR(", {"syntax"}),
    ("a OR b", set()),
    ("holder_name_en: Siam", set()),
    ("^Siam", set()),
    ("-Siam", set()),
    ("Siam AND NOT Kraft", set()),
    ("{holder_name_th}: x", set()),
    ("'; DROP TABLE licences; --", set()),
    ("", set()),
    ("   ", set()),
    ("\u200b", set()),
    ("x" * 100_000, set()),
    ("สยาม" * 5_000, set()),
]


@pytest.mark.parametrize("query, expected", SEARCHES,
                         ids=[q if isinstance(q, str) and len(q) < 30 else f"case{i}"
                              for i, (q, _) in enumerate(SEARCHES)])
def test_search_finds_what_a_person_types(built, query, expected):
    index, labelled, _ = built
    text = query(labelled) if callable(query) else query
    started = time.perf_counter()
    found = index.search(text)
    assert time.perf_counter() - started < 2
    assert _labels(found, labelled) == expected


def test_a_found_licence_says_what_pages_show(built):
    index, labelled, _ = built
    row = labelled["siam"]
    (found,) = index.search(row["licence_number"])
    assert found.iri == f"{BASE}/id/licence/{key_of(row).path}"
    assert (found.holder_id, found.holder_name_th, found.holder_name_en) == (
        row["holder_id"], *HOLDERS["siam"][2:])
    assert found.printed_number == row["licence_number"]
    assert found.status == row["status"]
    assert found.valid_from is not None
    if found.valid_until:
        assert found.effective_status(found.valid_until + dt.timedelta(days=1)) in (
            "expired", row["status"])


def test_natural_persons_ids_are_never_held(built):
    """Not in any row, nor anywhere in the index's file."""
    index, labelled, _ = built
    total, every = index.licences(limit=10_000)
    assert total == index.count() == len(every)
    people = [labelled["public_person"], labelled["private_person"]]
    by_path = {f"{r.issuer}/{r.type}/{r.number}": r for r in every}
    for person in people:
        held = by_path[key_of(person).path]
        assert held.holder_id == ""
    assert by_path[key_of(labelled["private_person"]).path].holder_name_th == ""
    assert by_path[key_of(labelled["private_person"]).path].holder_name_en == ""
    index.close()               # everything written to the main file
    raw = b"".join(Path(f"{index.path}{s}").read_bytes() for s in ("", "-wal")
                   if Path(f"{index.path}{s}").exists())
    for person in people:
        assert person["holder_id"].encode() not in raw
    assert HOLDERS["private_person"][2].encode() not in raw
    assert HOLDERS["private_person"][3].encode() not in raw


def test_paged_lists_figures_and_iris(built):
    index, labelled, _ = built
    today = dt.date(2025, 6, 1)
    total, page = index.licences(issuer="diw", limit=10)
    assert total == index.count() and len(page) == 10
    assert [r.number for r in page] == sorted(r.number for r in page)
    by_status = {status: index.licences(status=status, today=today, limit=1000)
                 for status in ("active", "expired", "suspended", "revoked", "surrendered")}
    assert sum(n for n, _ in by_status.values()) == total
    for status, (_, rows) in by_status.items():
        assert {r.effective_status(today) for r in rows} <= {status}
    one_type = page[0].type
    count, rows = index.licences(type=one_type, limit=1000)
    assert count == len(rows) and {r.type for r in rows} == {one_type}
    assert index.licences(issuer="no-such-agency") == (0, [])
    figures = index.figures(today)
    assert figures.licences == total
    assert figures.active == by_status["active"][0]
    assert figures.agencies == 1 and figures.types == len({r.type for r in index.licences(
        limit=1000)[1]})
    juristic = {r.holder_id for r in index.licences(limit=1000)[1] if r.holder_id}
    assert figures.holders == len(juristic)
    chunks = [index.iris(offset, 7) for offset in range(0, total, 7)]
    every = [iri for chunk in chunks for iri in chunk]
    assert len(every) == len(set(every)) == total
    assert every == index.iris(0, total)      # a stable order


def test_refresh_follows_uploads_and_amendments(repo, publish, catalogue, tmp_path):
    rows = [r for r in rows_of(catalogue, "diw", 60, seed=31) if r["holder_type"] == "juristic"]
    rows = rows[:12]
    first, later = rows[:6], rows[6:]
    first[0].update(holder_name="บริษัท ปลาทองทะเล จำกัด", holder_name_en="Goldfish Sea Co., Ltd.")
    publish(repo, first)
    index = LicenceIndex(tmp_path / "index.sqlite", repo, BASE)
    assert index.refresh() == 6 and index.count() == 6
    assert index.refresh() == 0                       # nothing changed: one cheap query
    later[0].update(holder_name="บริษัท นกกระจิบ จำกัด", holder_name_en="Wren Co., Ltd.")
    publish(repo, later)
    assert index.search("นกกระจิบ") == []             # not yet looked
    index.refresh()
    assert [r.holder_name_en for r in index.search("กระจิ")] == ["Wren Co., Ltd."]
    amended = dict(first[0], status="revoked", status_reason="ฝ่าฝืนเงื่อนไข",
                   holder_name="บริษัท ปลาเงินทะเล จำกัด", holder_name_en="Silverfish Sea Co., Ltd.")
    publish(repo, [amended])
    index.refresh()
    assert index.count() == 12                        # a new version, not a new licence
    assert index.search("ปลาทอง") == []               # the old name is gone
    (found,) = index.search("Silverfish")
    assert found.status == "revoked"
    index.close()


def test_an_upload_committed_late_with_an_older_time_is_not_missed(embedded_repo, catalogue,
                                                                    tmp_path):
    """A big upload takes its time when its commit begins, so it can land after uploads with
    later times: the index follows uploads, not times."""
    from publishing.pipeline import commit
    from registry.validation import ValidationContext, check_batch

    rows = [r for r in rows_of(catalogue, "diw", 40, seed=41) if r["holder_type"] == "juristic"]
    rows[0].update(holder_name="บริษัท มาก่อน จำกัด", holder_name_en="Came First Co., Ltd.")
    rows[1].update(holder_name="บริษัท มาทีหลัง จำกัด", holder_name_en="Came Later Co., Ltd.")
    context = ValidationContext.for_agency(catalogue, "diw")
    now = dt.datetime.now(dt.UTC)
    index = LicenceIndex(tmp_path / "index.sqlite", embedded_repo, BASE)
    for row, moment in ((rows[0], now), (rows[1], now - dt.timedelta(days=3))):
        records, _ = check_batch([(2, row)], context)
        commit(embedded_repo, records, base=BASE, catalogue=catalogue, agency="diw", now=moment)
        index.refresh()
    assert {r.holder_name_en for r in index.search("Came")} == {"Came First Co., Ltd.",
                                                                "Came Later Co., Ltd."}
    index.close()


def test_rebuild_and_a_dropped_index(built, tmp_path):
    index, labelled, repo = built
    copy = LicenceIndex(tmp_path / "copy.sqlite", repo, BASE)
    progress: list[tuple[int, int]] = []
    assert copy.rebuild(progress=lambda done, total: progress.append((done, total))) \
        == index.count()
    assert progress[-1] == (index.count(), index.count())
    assert _labels(copy.search("Kraft"), labelled) == {"siam"}
    copy.close()
    drop_index(copy.path)
    assert not copy.path.exists()
    again = LicenceIndex(copy.path, repo, BASE)
    assert not again.is_built()
    again.refresh_if_due()                            # first use builds it
    assert again.count() == index.count()
    again.close()


def test_another_base_or_another_store_state_rebuilds(built, tmp_path):
    index, _, repo = built
    stale = LicenceIndex(tmp_path / "stale.sqlite", repo, BASE)
    stale.load_rows([SourceRow("http://old/id/licence/x/y/1", "x", "y", "1", "1", "", "Ghost",
                               "Ghost", "active", "2020-01-01", "", "2020-01-01T00:00:00Z")],
                    state="1|2020-01-01T00:00:00Z|2020-01-01T00:00:00Z|0")
    assert stale.search("Ghost")
    stale.refresh()                                   # a state the store cannot follow from
    assert stale.search("Ghost") == [] and stale.count() == index.count()
    stale.close()
    other = LicenceIndex(tmp_path / "stale.sqlite", repo, "https://elsewhere.example")
    assert not other.is_built()                       # minted under another base
    other.close()


def test_the_cli_reindexes_and_restore_leaves_no_stale_index(runner, tmp_path, catalogue):
    from registry.settings import load_settings
    from registry.store.embedded import EmbeddedRepository
    from web.searchindex import index_path

    assert runner.invoke("init").exit_code == 0
    path = index_path(load_settings({"STORE": str(runner.store)}, environ={}))
    assert path.exists()
    csv = tmp_path / "one.csv"
    from ops.demo import rows_to_csv
    rows = rows_of(catalogue, "diw", 3, seed=5)
    csv.write_text(rows_to_csv(rows), encoding="utf-8")
    assert runner.invoke("backup", str(tmp_path / "empty-backup")).exit_code == 0
    assert runner.invoke("load", str(csv), "--agency", "diw").exit_code == 0
    done = runner.invoke("reindex")
    assert done.exit_code == 0 and "3 current licences" in done.output
    assert "reindex" in runner.invoke("--help", store_args=False).output
    restored = runner.invoke("restore", str(tmp_path / "empty-backup"))
    assert restored.exit_code == 0, restored.output
    repo = EmbeddedRepository(runner.store)
    try:
        index = LicenceIndex(path, repo, BASE)
        assert index.is_built() and index.count() == 0
        index.close()
    finally:
        repo.close()


# When the index reads only the new uploads' records, and when it reads everything again.
_T0, _T1, _T2 = "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z"


@pytest.mark.parametrize(("known", "now", "follows"), [
    (f"2|{_T0}|{_T1}|5", f"2|{_T0}|{_T1}|5", True),          # nothing new
    (f"2|{_T0}|{_T1}|5", f"3|{_T0}|{_T2}|9", True),          # one more upload, its entries
    (f"2|{_T0}|{_T1}|5", f"2|{_T0}|{_T1}|9", False),         # the log built afterwards
    (f"2|{_T0}|{_T1}|0", f"2|{_T0}|{_T1}|9", False),         # (`log init` on an older store)
    (f"2|{_T0}|{_T1}|5", f"3|{_T0}|{_T2}|4", False),         # a log that shrank
    (f"2|{_T0}|{_T1}|5", f"1|{_T0}|{_T0}|3", False),         # restored to an earlier backup
    (f"2|{_T0}|{_T1}|5", f"3|{_T1}|{_T2}|9", False),         # another store
    (f"2|{_T0}|{_T1}", f"2|{_T0}|{_T1}|5", False),           # an index of an older state form
])
def test_which_store_states_follow_by_uploads_alone(known, now, follows):
    assert state_follows(known, now) is follows
