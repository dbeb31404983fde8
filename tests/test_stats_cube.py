"""The statistics cube (issue 17; registry/statscube.py): kept by every commit, its example
queries answer exactly what the raw aggregates answer, for any today; `stats rebuild` finds and
fixes a broken cell; a store without a cube gets it whole from its next commit.

One store for the module, changed step by step (uploads, then amendments); after each step every
cube query is run beside its raw example for several "todays" around the month's edges (NOW()
replaced by the date: the raw and the cube query use the same expression for today)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from opendata.examples import load_examples
from ops.demo import demo_rows
from registry import statscube, statsrebuild
from registry.store import ChangeSet

from .support.stores import BASE, initialised_store

EXAMPLES = {example.id: example for example in load_examples()}
PAIRS = {"00-cube-01-licences-per-agency": "01-licences-per-agency",
         "00-cube-02-licences-per-type": "02-licences-per-type",
         "00-cube-03-licences-per-province": "03-licences-per-province",
         "00-cube-04-licences-per-agency-and-type": "04-licences-per-agency-and-type",
         "00-cube-07-statuses": "07-statuses",
         "00-cube-16-licences-issued-per-year": "16-licences-issued-per-year"}
BASE_DAY = dt.date(2026, 12, 15)
# Todays around the edges: a month's first and last day, the 15th, a year's turn.
TODAYS = [BASE_DAY, dt.date(2026, 12, 1), dt.date(2026, 11, 30), dt.date(2027, 1, 1),
          dt.date(2026, 12, 31), dt.date(2027, 3, 16)]


def answer(repo, example_id: str, today: dt.date) -> Counter:
    """The example's rows as a multiset of (name, value) tuples, with `today` for NOW()."""
    query = EXAMPLES[example_id].query.replace(
        "NOW()", f'"{today.isoformat()}T00:00:00Z"^^xsd:dateTime')
    rows = repo.store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in rows.variables]
    return Counter(tuple((n, str(row[n])) for n in names if row[n] is not None) for row in rows)


def assert_cube_equals_raw(repo, todays=TODAYS) -> None:
    for cube_id, raw_id in PAIRS.items():
        for today in todays if "07" in raw_id else todays[:1]:
            raw = answer(repo, raw_id, today)
            assert raw, raw_id
            assert answer(repo, cube_id, today) == raw, (cube_id, today)


def _by_issuer(rows):
    grouped = defaultdict(list)
    for row in rows:
        grouped[row["issuer"]].append(row)
    return sorted(grouped.items())


def _dated(row, issued: dt.date, until: dt.date | None, status="active", province=None):
    reason = "ระหว่างการตรวจสอบ" if status in ("suspended", "revoked") else ""
    changed = dict(row, issued=issued.isoformat(), status=status, status_reason=reason,
                   valid_until=until.isoformat() if until else "")
    if province is not None:
        changed["province"] = province
    return changed


@pytest.fixture(scope="module")
def store(tmp_path_factory, catalogue, publish):
    """(store, the rows published so far, keyed by their position)."""
    repo = initialised_store(tmp_path_factory.mktemp("cube") / "store")
    rows = list(demo_rows(catalogue, 240, seed=35))
    # End dates on every edge of the todays: the day before, the day itself, the day after.
    edges = [d + dt.timedelta(days=k) for d in TODAYS for k in (-1, 0, 1)]
    for i, until in enumerate(edges):
        rows[i] = _dated(rows[i], dt.date(2024, 3, 1), until)
    rows[len(edges)] = _dated(rows[len(edges)], dt.date(2025, 1, 2), None)  # never expires
    for issuer, batch in _by_issuer(rows):
        publish(repo, batch, issuer)
    yield repo, rows
    repo.close()


def test_the_cube_equals_the_raw_aggregates_after_uploads(store):
    repo, _ = store
    assert statscube.cube_present(repo, BASE)
    assert_cube_equals_raw(repo)


def test_amendments_move_the_counts(store, publish):
    """A status change, a province change, a re-issue (new dates), an expired licence
    suspended, a suspended one made active again: each in its own upload."""
    repo, rows = store
    provinces = sorted({r["province"] for r in rows if r["province"]})
    other = next(p for p in provinces if p != rows[30]["province"])
    amendments = [
        dict(rows[0], status="revoked", status_reason="ฝ่าฝืนเงื่อนไข"),
        dict(rows[30], province=other),
        _dated(rows[1], dt.date(2026, 12, 2), dt.date(2031, 12, 1)),
        dict(rows[2], status="suspended", status_reason="ระหว่างการตรวจสอบ"),
    ]
    for amended in amendments:
        publish(repo, [amended], amended["issuer"])
        assert_cube_equals_raw(repo)
    publish(repo, [dict(amendments[3], status="active", status_reason="")], rows[2]["issuer"])
    publish(repo, [rows[40]], rows[40]["issuer"])          # unchanged: no effect
    assert_cube_equals_raw(repo)


def _first_cell(repo):
    graph = statscube.totals_graph_iri(BASE)
    counts = statscube.read_counts(repo, BASE, [graph])[graph]
    key = next(k for k in sorted(counts) if k[0] == "by-status")
    return graph, counts, key


def test_rebuild_finds_and_fixes_a_broken_cell(store):
    repo, _ = store
    assert statsrebuild.rebuild(repo, BASE, dry_run=True).in_step
    graph, counts, key = _first_cell(repo)
    right = counts[key]
    counts[key] += 5                                   # broken by hand
    repo.apply(ChangeSet(replace=[graph], payload="".join(
        line + "\n" for line in statscube.graph_lines(BASE, graph, counts)).encode()))
    found = statsrebuild.rebuild(repo, BASE, dry_run=True)
    assert [(d.graph, d.dataset, d.stored, d.counted) for d in found.differences] == \
        [(graph, "by-status", right + 5, right)]
    assert not found.written and "stored" in found.differences[0].describe()
    assert statsrebuild.rebuild(repo, BASE, dry_run=True).differences  # a dry run wrote nothing
    fixed = statsrebuild.rebuild(repo, BASE)
    assert fixed.written and len(fixed.differences) == 1
    assert statsrebuild.rebuild(repo, BASE, dry_run=True).in_step
    assert_cube_equals_raw(repo)


def test_a_store_without_the_cube_gets_it_whole_from_its_next_commit(store, publish):
    repo, rows = store
    graphs = [*statscube.stored_cube_graphs(repo, BASE), statscube.structure_graph_iri(BASE)]
    repo.apply(ChangeSet(replace=graphs, payload=b""))
    assert not statscube.cube_present(repo, BASE)
    assert not statsrebuild.rebuild(repo, BASE, dry_run=True).in_step
    publish(repo, [dict(rows[50], status="suspended", status_reason="ระหว่างการตรวจสอบ")],
            rows[50]["issuer"])
    assert statscube.cube_present(repo, BASE)
    assert statsrebuild.rebuild(repo, BASE, dry_run=True).in_step
    assert_cube_equals_raw(repo)


def test_ensure_cube_builds_only_a_missing_cube(store):
    repo, _ = store
    assert not statsrebuild.ensure_cube(repo, BASE)
    repo.apply(ChangeSet(replace=[statscube.structure_graph_iri(BASE)], payload=b""))
    assert statsrebuild.ensure_cube(repo, BASE)
    assert statsrebuild.rebuild(repo, BASE, dry_run=True).in_step


@pytest.mark.parametrize(("until", "today", "expired"), [
    (dt.date(2026, 12, 14), dt.date(2026, 12, 15), True),     # the day before: expired
    (dt.date(2026, 12, 15), dt.date(2026, 12, 15), False),    # valid through its last day
    (dt.date(2026, 11, 30), dt.date(2026, 12, 1), True),      # last month's last day
    (dt.date(2026, 12, 31), dt.date(2026, 12, 1), False),
])
def test_one_licence_expires_by_the_day(tmp_path, catalogue, publish, until, today, expired):
    repo = initialised_store(tmp_path / "store")
    try:
        row = _dated(next(demo_rows(catalogue, 1, seed=7)), dt.date(2024, 1, 1), until)
        publish(repo, [row], row["issuer"])
        statuses = dict(answer(repo, "00-cube-07-statuses", today))
        found = {dict(r)["status"].rsplit("/", 1)[-1].rstrip(">") for r in statuses}
        assert found == {"expired" if expired else "active"}
        assert statuses == dict(answer(repo, "07-statuses", today))
    finally:
        repo.close()


def test_the_stats_rebuild_command(runner, tmp_path, catalogue):
    """`init` makes the (empty) cube; `load` keeps it; `stats rebuild --dry-run` exits 1 on a
    difference and changes nothing; `stats rebuild` fixes it and says how many cells."""
    from ops.demo import rows_to_csv
    from registry.store.embedded import EmbeddedRepository

    assert runner.invoke("init").exit_code == 0
    csv = tmp_path / "dot.csv"
    csv.write_text(rows_to_csv(list(demo_rows(catalogue, 12, agency="dot"))), encoding="utf-8")
    assert runner.invoke("load", str(csv), "--agency", "dot").exit_code == 0
    agrees = runner.invoke("stats", "rebuild", "--dry-run")
    assert agrees.exit_code == 0 and "agrees" in agrees.output
    repo = EmbeddedRepository(runner.store)
    try:
        graph = next(g for g in statscube.stored_cube_graphs(repo, BASE)
                     if "/graph/stats/by-pair/dot/" in g)
        repo.apply(ChangeSet(replace=[graph], payload=b""))
    finally:
        repo.close()
    dry = runner.invoke("stats", "rebuild", "--dry-run")
    assert dry.exit_code == 1 and "stored 0, counted" in dry.output and "nothing was" in dry.output
    assert runner.invoke("stats", "rebuild", "--dry-run").exit_code == 1
    fixed = runner.invoke("stats", "rebuild")
    assert fixed.exit_code == 0 and "differing cells fixed" in fixed.output
    assert runner.invoke("stats", "rebuild", "--dry-run").exit_code == 0
