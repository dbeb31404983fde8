"""`licence-registry` commands (SPEC §8): output, exit codes 0/1/2, nothing written on refusal."""

from __future__ import annotations

import gzip
import json

import pyoxigraph as ox
import pytest
import rdflib

from ops.cli import main
from ops.demo import bad_rows, demo_rows, rows_to_csv
from registry.settings import ENV_PREFIX, SETTINGS
from registry.statuslist import PURPOSES
from registry.statusstore import next_counter, status_list
from registry.store.embedded import EmbeddedRepository

from .support.crash_harness import lists_disagree
from .support.stores import BASE


@pytest.fixture
def initialised(runner):
    result = runner.invoke("init")
    assert result.exit_code == 0, result.output
    assert "quads in catalogue" in result.output
    return runner


def _canonical(nquads: bytes) -> set[str]:
    dataset = ox.Dataset(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {str(q) for q in dataset}


def _csv(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text(rows_to_csv(rows), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("args, code, expected", [
    (["--issuer", "bma-bangrak", "--type", "building-construction", "๑๒๓/๒๕๖๗"], 0,
     f"{BASE}/id/licence/bma-bangrak/building-construction/123/2567"),
    (["--issuer", "bma-bangrak", "--type", "building-construction", "12#3/2567"], 1,
     "U+0023 NUMBER SIGN"),
    (["--issuer", "bma-bangrak", "--type", "building-construction", "ABC"], 1,
     "expected the pattern"),
    (["--issuer", "BMA", "--type", "building-construction", "1/2567"], 0,     # any case
     f"{BASE}/id/licence/bma/building-construction/1/2567"),
    (["--issuer", "bma-bangrak", "--type", "no-such-type", "1/2567"], 1, "Unknown licence type"),
    (["--issuer", "bma-bangrak", "1/2567"], 2, "Missing option '--type'"),
])
def test_mint(runner, args, code, expected):
    result = runner.invoke("mint", *args)
    assert result.exit_code == code
    assert expected in result.output


def test_usage_errors_exit_2(runner):
    assert runner.invoke("no-such-command").exit_code == 2
    assert runner.invoke("load").exit_code == 2
    result = runner.invoke("--base-iri", "ftp://x", "init", store_args=False)
    assert result.exit_code == 2 and "BASE_IRI" in result.output


def test_help_lists_every_command_and_setting(runner):
    """Every command of the group and every setting of the SETTINGS table, named in --help
    (a command as its own row of the command list: `dump` does not stand for `dumps`), and
    every command answers its own --help."""
    result = runner.invoke("--help", store_args=False)
    assert result.exit_code == 0, result.output
    listed = {line.split()[0] for line in
              result.output.split("Commands:", 1)[1].split("Settings", 1)[0].splitlines()
              if line.strip()}
    assert listed == set(main.commands)
    for setting in SETTINGS:
        assert f"{ENV_PREFIX}{setting.name} (default " in result.output, setting.name
    for name in main.commands:
        helped = runner.invoke(name, "--help", store_args=False)
        assert helped.exit_code == 0 and f"Usage: main {name} " in helped.output, name


def test_demo_data_is_deterministic(runner, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert runner.invoke("demo-data", "--count", "50", str(a)).exit_code == 0
    assert runner.invoke("demo-data", "--count", "50", str(b)).exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text(encoding="utf-8").count("\n") == 51


def test_validate_json_report_and_exit_code(initialised, tmp_path, catalogue):
    good = list(demo_rows(catalogue, 4))
    broken = next(r for rule, _, r in bad_rows(catalogue) if rule == "holder-id-checksum")
    path = _csv(tmp_path, "batch.csv", good[:2] + [broken] + good[2:])
    result = initialised.invoke("validate", "--json", path)
    assert result.exit_code == 1
    report = json.loads(result.output)[path]
    assert report["valid"] is False and report["rows"] == 5
    problem = next(p for p in report["problems"] if p["severity"] == "Violation")
    assert (problem["row"], problem["field"], problem["rule"]) == (4, "holder_id",
                                                                    "holder-id-checksum")
    assert problem["message"]["th"] and problem["message"]["en"]
    assert initialised.invoke("validate", _csv(tmp_path, "ok.csv", good)).exit_code == 0


def test_validate_refuses_unreadable_files(initialised, tmp_path):
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("licence_number,licence_type,issuer\n1/2567,x,\xe9\n".encode("latin-1"))
    result = initialised.invoke("validate", str(latin))
    assert result.exit_code == 1 and "UTF-8" in result.output
    typo = tmp_path / "typo.csv"
    typo.write_text("licence_number,licence_type,issuer,valid_untill\n", encoding="utf-8")
    result = initialised.invoke("validate", str(typo))
    assert result.exit_code == 1 and "valid_untill" in result.output


def test_load_all_or_nothing(initialised, tmp_path, catalogue):
    agency = "diw"
    rows = list(demo_rows(catalogue, 30, agency=agency))
    broken = dict(rows[20], valid_until="31/02/2570")
    bad = _csv(tmp_path, "bad.csv", rows[:20] + [broken] + rows[21:])
    dump_before = tmp_path / "before.nq"
    initialised.invoke("dump", str(dump_before))
    result = initialised.invoke("load", bad, "--agency", agency)
    assert result.exit_code == 1
    assert "row 22, valid_until, date-format" in result.output
    dump_after = tmp_path / "after.nq"
    initialised.invoke("dump", str(dump_after))
    assert dump_before.read_bytes() == dump_after.read_bytes()

    good = _csv(tmp_path, "good.csv", rows)
    result = initialised.invoke("load", good, "--agency", agency, "--dry-run")
    assert result.exit_code == 0 and "30 licences would be published" in result.output
    initialised.invoke("dump", str(dump_after))
    assert dump_before.read_bytes() == dump_after.read_bytes()

    result = initialised.invoke("load", good, "--agency", agency, "--json")
    assert result.exit_code == 0
    counts = json.loads(result.output.strip().splitlines()[-1])
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (30, 0, 0)
    result = initialised.invoke("load", good, "--agency", "bma")
    assert result.exit_code == 1 and "issuer-scope" in result.output


def test_dump_backup_restore(initialised, tmp_path, catalogue):
    rows = list(demo_rows(catalogue, 20, agency="dot"))
    loaded = initialised.invoke("load", _csv(tmp_path, "d.csv", rows), "--agency", "dot")
    assert loaded.exit_code == 0
    key = initialised.invoke("agency-key", "dot").output.splitlines()[0]
    out = tmp_path / "dump.nq.gz"
    result = initialised.invoke("dump", str(out))
    assert result.exit_code == 0 and "sha256:" in result.output
    dataset = rdflib.Dataset()
    dataset.parse(data=gzip.decompress(out.read_bytes()).decode(), format="nquads")
    assert len(dataset) > 500
    assert not any("/graph/private" in str(g.identifier) for g in dataset.graphs())
    dumped = gzip.decompress(out.read_bytes())
    assert b"keyHash" not in dumped and key.encode() not in dumped

    backup = tmp_path / "backup"
    assert initialised.invoke("backup", str(backup)).exit_code == 0
    original = gzip.decompress((backup / "dataset.nq.gz").read_bytes())
    more = list(demo_rows(catalogue, 25, agency="dot"))[20:]
    initialised.invoke("load", _csv(tmp_path, "e.csv", more), "--agency", "dot")
    result = initialised.invoke("restore", str(backup))
    assert result.exit_code == 0, result.output
    again = tmp_path / "again"
    initialised.invoke("backup", str(again))
    restored = gzip.decompress((again / "dataset.nq.gz").read_bytes())
    # Isomorphic (shapes have blank nodes), but for the status counter: it goes on from where
    # the replaced store had reached (20 in the backup, 25 before the restore), so no status
    # position is ever handed out twice.
    counter = "#nextStatusCounter> "
    differ = _canonical(original) ^ _canonical(restored)
    assert [line.split(counter)[1].split("^^")[0] for line in sorted(differ)] == ['"20"', '"25"']

    (backup / "dataset.nq.gz").write_bytes(b"tampered")
    result = initialised.invoke("restore", str(backup))
    assert result.exit_code == 1 and "SHA-256" in result.output


@pytest.mark.remote
@pytest.mark.parametrize("engine", ["oxigraph", "virtuoso"])
def test_remote_store_by_flag(request, engine, tmp_path, catalogue):
    from click.testing import CliRunner

    from ops.cli import main

    from .support.stores import engine_repository, engine_settings, licence_count

    servers = request.getfixturevalue(f"{engine}_servers")
    repo = engine_repository(engine, servers)           # emptied
    settings = {f"LICENCE_REGISTRY_{name}": value for name, value
                in engine_settings(engine, servers).items() if name != "STORE_URL"}
    cli = CliRunner(env={**settings,
                         "LICENCE_REGISTRY_SIGNING_KEYS": str(tmp_path / "signing-keys.json")})
    remote = ["--store-url", servers[0]]
    assert cli.invoke(main, [*remote, "init"]).exit_code == 0
    rows = list(demo_rows(catalogue, 20, agency="fda"))
    result = cli.invoke(main, [*remote, "load", _csv(tmp_path, "f.csv", rows), "--agency", "fda"])
    assert result.exit_code == 0, result.output
    assert "20 created" in result.output
    assert licence_count(repo) == 20


def test_restore_keeps_status_lists_and_records_agreeing(initialised, tmp_path, catalogue):
    """A backup holds the status-list graphs (public graphs of the main store) with the
    records: a restore puts both back together. The counter goes on from where the replaced
    store had reached: positions handed out after the backup are never handed out again."""
    rows = list(demo_rows(catalogue, 25, agency="dot"))
    suspended = {"status": "suspended", "status_reason": "ตรวจพบการฝ่าฝืน"}
    first = [dict(rows[0], **suspended), *rows[1:20]]
    assert initialised.invoke("load", _csv(tmp_path, "a.csv", first), "--agency", "dot"
                              ).exit_code == 0
    backup = tmp_path / "backup"
    assert initialised.invoke("backup", str(backup)).exit_code == 0

    def lists():
        repo = EmbeddedRepository(initialised.store)
        try:
            return {p: status_list(repo, BASE, p, 0) for p in PURPOSES}, next_counter(repo, BASE)
        finally:
            repo.close()

    before = lists()
    changed = [dict(rows[0], status="active", status_reason=""),
               dict(rows[1], status="revoked", status_reason="ฝ่าฝืนกฎหมายซ้ำ"), *rows[20:]]
    assert initialised.invoke("load", _csv(tmp_path, "b.csv", changed), "--agency", "dot"
                              ).exit_code == 0
    assert lists() != before
    assert initialised.invoke("restore", str(backup)).exit_code == 0
    restored_lists, counter = lists()
    assert restored_lists == before[0] and before[1] == 20 and counter == 25
    assert lists_disagree(initialised.store, BASE) == []
    # The five licences the restore lost come back at new positions, lists still agreeing.
    assert initialised.invoke("load", _csv(tmp_path, "b.csv", changed), "--agency", "dot"
                              ).exit_code == 0
    assert lists_disagree(initialised.store, BASE) == [] and lists()[1] == 30
