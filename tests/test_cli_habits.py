"""The command line's habits (issue 13, SPEC §8–§9): global options before or after the command
name, agency and licence type codes in any case with the closest codes named when unknown,
`mint` refusing what the catalogue does not know, progress on long work, complete --help."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from tqdm import tqdm

from ops import clibase, clicodes
from ops.cli import main
from ops.demo import demo_rows, rows_to_csv

from .support.clicommands import COMMANDS, ELSEWHERE
from .support.stores import BASE

OTHER = "https://licences.example.go.th/register"
GLOBAL = ("--store", "--store-url", "--base-iri")


def _cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def store(tmp_path) -> str:
    """An initialised embedded store's folder."""
    path = str(tmp_path / "store")
    assert _cli("--store", path, "init").exit_code == 0
    return path


def _csv(tmp_path: Path, rows: list[dict], name: str = "licences.csv") -> str:
    path = tmp_path / name
    path.write_text(rows_to_csv(rows), encoding="utf-8")
    return str(path)


# --- Global options before or after the command name ------------------------------------------

# Every command with arguments click accepts (the settings are read before any work is done);
# the COMMANDS table of test_base_iri.py plus the two commands it tests elsewhere.
ARGUMENTS = {**COMMANDS, "serve": ["serve"],
             "migrate-base": ["migrate-base", "--from", BASE, "--to", OTHER],
             "verify-credential": ["verify-credential", "{tmp}/credential.json"]}


def _arguments(name: str, tmp_path: Path) -> list[str]:
    (tmp_path / "backup").mkdir(exist_ok=True)
    values = {"csv": str(tmp_path / "x.csv"), "tmp": str(tmp_path), "backup": str(tmp_path /
              "backup"), "issuer": "bma", "type": "building-construction", "number": "1/2567"}
    return [arg.format(**values) for arg in ARGUMENTS[name]]


def test_the_table_covers_every_command():
    assert {n.split()[0] for n in ARGUMENTS} == set(main.commands)
    assert ELSEWHERE <= set(ARGUMENTS)


@pytest.mark.parametrize("option, value, setting", [
    ("--base-iri", "ftp://x", "BASE_IRI"), ("--store-url", "ftp://x", "STORE_URL")])
@pytest.mark.parametrize("name", sorted(ARGUMENTS))
def test_a_global_option_after_the_command_reaches_the_settings(name, option, value, setting,
                                                                 tmp_path):
    """A wrong value after the command name is the same usage error (exit 2, naming the
    setting) as before it, and stops the command before it does anything."""
    args = _arguments(name, tmp_path)
    for where in ([option, value, *args], [*args, option, value]):
        result = _cli("--store", str(tmp_path / "store"), *where)
        assert result.exit_code == 2, (where, result.output)
        assert f"Setting {setting} = {value!r}" in result.output, result.output
    assert not (tmp_path / "store").exists()


def test_the_one_after_the_command_wins(tmp_path):
    mint = ["mint", "--issuer", "bma", "--type", "building-construction", "1/2567"]
    iri = "/id/licence/bma/building-construction/1/2567"
    store = ["--store", str(tmp_path / "none")]
    both = _cli(*store, "--base-iri", BASE, *mint, "--base-iri", OTHER)
    assert both.exit_code == 0 and both.stdout.strip() == OTHER + iri
    # The one before the name is not read at all when the same option follows it.
    assert _cli(*store, "--base-iri", "ftp://x", *mint, "--base-iri", OTHER).exit_code == 0
    # Over the environment too, as a flag before the name is.
    env = {"LICENCE_REGISTRY_BASE_IRI": BASE}
    assert _cli(*store, *mint, "--base-iri", OTHER, env=env).stdout.strip() == OTHER + iri
    assert _cli(*store, *mint, env=env).stdout.strip() == BASE + iri


def test_validate_with_the_store_after_the_file(tmp_path, catalogue, store):
    """The issue's case: `validate f.csv --store DIR` was "No such option"."""
    path = _csv(tmp_path, list(demo_rows(catalogue, 3, agency="diw")))
    result = _cli("validate", path, "--store", store)
    assert result.exit_code == 0, result.output
    assert "no store at" not in result.output                  # it read that store
    missing = _cli("validate", path, "--store", str(tmp_path / "none"))
    assert missing.exit_code == 0 and f"no store at {tmp_path / 'none'}" in missing.output


def test_init_and_load_with_the_store_after_the_command(tmp_path, catalogue):
    path = str(tmp_path / "after")
    assert _cli("init", "--store", path, "--base-iri", OTHER).exit_code == 0
    rows = _csv(tmp_path, list(demo_rows(catalogue, 5, agency="dot")))
    loaded = _cli("load", rows, "--agency", "dot", "--store", path, "--base-iri", OTHER)
    assert loaded.exit_code == 0 and "5 created" in loaded.output, loaded.output
    # The store was minted under OTHER: the default base is refused, naming both.
    refused = _cli("--store", path, "dump", str(tmp_path / "d.nq"))
    assert refused.exit_code == 1 and OTHER in refused.output


@pytest.mark.remote
def test_load_with_the_remote_store_after_the_command(oxigraph_server, private_oxigraph_server,
                                                      tmp_path, catalogue):
    from .support.stores import empty_remote_store

    for url in (oxigraph_server, private_oxigraph_server):
        empty_remote_store(url)
    env = {"LICENCE_REGISTRY_PRIVATE_STORE_URL": private_oxigraph_server,
           "LICENCE_REGISTRY_SIGNING_KEYS": str(tmp_path / "signing-keys.json")}
    assert _cli("init", "--store-url", oxigraph_server, "--base-iri", OTHER,
                env=env).exit_code == 0
    rows = _csv(tmp_path, list(demo_rows(catalogue, 4, agency="fda")))
    result = _cli("load", rows, "--agency", "FDA", "--store-url", oxigraph_server,
                  "--base-iri", OTHER, env=env)
    assert result.exit_code == 0 and "4 created" in result.output, result.output


# --- --help -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(main.commands))
def test_help_lists_every_option_with_its_help(name):
    command = main.commands[name]
    assert isinstance(command, clibase.RegistryCommand)        # so it takes the global options
    assert command.help and command.help.strip()
    options = [p for p in command.params if isinstance(p, click.Option)]
    assert {o.opts[0] for o in options} >= set(GLOBAL)
    result = _cli(name, "--help")
    assert result.exit_code == 0
    for option in options:
        assert option.help and option.help.strip(), (name, option.opts)
        assert option.opts[0] in result.output, (name, option.opts)


def test_the_group_help_says_where_global_options_go():
    assert all(p.help for p in main.params if isinstance(p, click.Option))
    result = _cli("--help")
    assert "before or after the command name" in " ".join(result.output.split())


# --- mint -------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, iri", [
    (["--issuer", "BMA-Bangrak", "--type", "Building-Construction", "1/2567"],
     "/id/licence/bma-bangrak/building-construction/1/2567"),
    (["--issuer", " diw ", "--type", "factory-operation", "3-106-12/2560"],
     "/id/licence/diw/factory-operation/3-106-12/2560"),
])
def test_mint_takes_codes_in_any_case(args, iri, tmp_path):
    result = _cli("--store", str(tmp_path / "none"), "mint", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == BASE + iri


@pytest.mark.parametrize("args, lines", [
    (["--issuer", "nosuch", "--type", "building-construction"],
     ["Unknown agency 'nosuch'", "ไม่พบรหัสหน่วยงาน 'nosuch'", "  diw  กรมโรงงานอุตสาหกรรม / "
      "Department of Industrial Works"]),           # nothing close: every code listed
    (["--issuer", "bma-bangrk", "--type", "building-construction"],
     ["Unknown agency 'bma-bangrk'. The closest codes:", "รหัสที่ใกล้เคียงที่สุด",
      "  bma-bangrak  สำนักงานเขตบางรัก"]),
    (["--issuer", "bma", "--type", "building-constrution"],
     ["Unknown licence type 'building-constrution'", "ไม่พบรหัสประเภทใบอนุญาต",
      "  building-construction  ใบอนุญาตก่อสร้างอาคาร (อ.1) / Building construction permit"]),
    (["--issuer", "diw", "--type", "building-construction"],
     ["'diw' does not issue licences of type 'building-construction'",
      "'diw' ไม่ได้ออกใบอนุญาตประเภท 'building-construction'", "  bma-bangrak  ",
      "  pattaya  "]),
])
def test_mint_refuses_what_the_catalogue_does_not_know(args, lines, tmp_path):
    result = _cli("--store", str(tmp_path / "none"), "mint", *args, "1/2567")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""                                  # no IRI printed
    for line in lines:
        assert line in result.output, result.output


def test_mint_reads_the_store_catalogue(store):
    result = _cli("--store", store, "mint", "--issuer", "nosuch", "--type",
                  "building-construction", "1/2567")
    assert result.exit_code == 1 and "Unknown agency 'nosuch'" in result.output


# --- Agency codes in any case -----------------------------------------------------------------

def test_closest_codes_by_code_or_name(catalogue):
    agencies = clicodes.agencies(catalogue)
    assert [n.code for n in clicodes.closest("diww", agencies)][0] == "diw"
    assert "diw" in [n.code for n in clicodes.closest("Industrial Works", agencies)]
    assert "diw" in [n.code for n in clicodes.closest("กรมโรงงาน", agencies)]
    assert clicodes.closest("zzzzzz", agencies) == []
    assert len(clicodes.closest("bma", agencies)) <= clicodes.CLOSEST
    assert clicodes.resolve_agency(catalogue, "DIW") == "diw"
    with pytest.raises(clibase.Refused):
        clicodes.resolve_agency(catalogue, "")


def _agency_commands(tmp_path: Path, csv: str) -> dict[str, list[str]]:
    """Every command that takes an agency code, with the code as {agency}."""
    return {"load": ["load", csv, "--agency", "{agency}", "--dry-run"],
            "validate": ["validate", csv, "--agency", "{agency}"],
            "agency-key": ["agency-key", "--list", "{agency}"],
            "demo-data": ["demo-data", "--count", "2", "--agency", "{agency}",
                          str(tmp_path / "demo.csv")],
            "check-links": ["check-links", "--agency", "{agency}"]}


def test_every_command_taking_an_agency_takes_it_in_any_case(store, tmp_path, catalogue):
    csv = _csv(tmp_path, list(demo_rows(catalogue, 3, agency="dot")))
    for name, args in _agency_commands(tmp_path, csv).items():
        good = _cli("--store", store, *[a.format(agency="DoT") for a in args])
        assert good.exit_code == 0, (name, good.output)
        bad = _cli("--store", store, *[a.format(agency="dott") for a in args])
        assert bad.exit_code == 1, (name, bad.output)
        assert "Unknown agency 'dott'" in bad.output and "ไม่พบรหัสหน่วยงาน" in bad.output
        assert "  dot  กรมการท่องเที่ยว / Department of Tourism" in bad.output, bad.output
    assert (tmp_path / "demo.csv").exists()


def test_load_publishes_under_the_catalogue_code(store, tmp_path, catalogue):
    rows = list(demo_rows(catalogue, 3, agency="diw"))
    result = _cli("--store", store, "load", _csv(tmp_path, rows), "--agency", "DIW")
    assert result.exit_code == 0 and "3 created" in result.output, result.output
    key = _cli("--store", store, "agency-key", "Diw")
    assert key.exit_code == 0 and "for diw." in key.stderr


# --- Progress ---------------------------------------------------------------------------------

@pytest.fixture
def shown(monkeypatch):
    """Progress bars drawn as on a terminal (CliRunner's stderr is not one)."""
    monkeypatch.setattr(clibase, "tqdm", lambda *a, **k: tqdm(*a, **{**k, "disable": False}))


def test_long_commands_show_progress(shown, tmp_path, catalogue):
    """Each command that can run long draws a bar on stderr, and only there."""
    store = ["--store", str(tmp_path / "store")]
    csv = _csv(tmp_path, list(demo_rows(catalogue, 30, agency="diw")))
    steps = [
        (["init"], "init: catalogue"),
        (["demo-data", "--count", "30", str(tmp_path / "demo.csv")], "generating"),
        (["validate", csv], "checking licences.csv"),
        (["load", csv, "--agency", "diw"], "publishing"),
        (["dump", str(tmp_path / "d.nq")], "dump: writing"),
        (["dumps", "--dumps-dir", str(tmp_path / "dumps")], "dumps: "),
        (["backup", str(tmp_path / "b")], "backup: private store"),
        (["restore", str(tmp_path / "b")], "restore: main store"),
        (["reindex"], "search index"),
        (["check-links", "--agency", "dot"], "checking links"),
        (["migrate-base", "--from", BASE, "--to", OTHER], "re-minting"),
    ]
    for args, bar in steps:
        result = _cli(*store, *args)
        assert result.exit_code == 0, (args, result.output)
        assert bar in result.stderr, (args, result.stderr)
        assert bar not in result.stdout, args


def test_progress_shows_on_a_terminal_only(tmp_path):
    """For real: a bar on stderr when it is a terminal; none when it is a file or pipe."""
    command = [sys.executable, "-m", "ops.cli", "--store", str(tmp_path / "none"),
               "demo-data", "--count", "2000"]
    primary, secondary = pty.openpty()
    # A terminal 100 columns wide (a new pty has none, and tqdm would draw a bar of nothing).
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    seen: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:                 # the terminal closed (EIO)
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        on_terminal = subprocess.run([*command, str(tmp_path / "a.csv")], stderr=secondary,
                                     stdout=subprocess.PIPE, timeout=120, check=True)
    finally:
        os.close(secondary)
    reader.join(timeout=10)
    os.close(primary)
    assert "generating" in b"".join(seen).decode("utf-8", "replace")
    assert b"generating" not in on_terminal.stdout
    piped = subprocess.run([*command, str(tmp_path / "b.csv")], capture_output=True,
                           timeout=120, check=True)
    assert b"generating" not in piped.stderr + piped.stdout
