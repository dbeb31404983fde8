"""`licence-registry log monitor` against a real `licence-registry serve` (SPEC §12): the outside
witness over real HTTP, before and after an upload, and after the log was rewritten.

tests/test_log_monitor.py covers the monitor's every check against a loopback fake of the
routes; this is the whole path once: the served checkpoint, key and proofs, a store that
grows between runs, and one whose log history was quietly changed.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
from click.testing import CliRunner

from ops.cli import main
from ops.demo import demo_rows
from publishing.pipeline import commit
from registry import logstore
from registry.bootstrap import load_catalogue
from registry.settings import load_settings
from registry.store import ChangeSet
from registry.store.opening import open_repository
from registry.validation import ValidationContext, check_batch

from .support.realserver import RealServer
from .support.stores import BASE


def _monitor(url: str, state) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["log", "monitor", url, "--state", str(state)])
    return result.exit_code, result.output


def _serve(tmp_path) -> RealServer:
    return RealServer(tmp_path, ["--store", "store", "--base-iri", BASE],
                      ["--demo", "--demo-count", "20"])


def _with_store(tmp_path, change) -> None:
    settings = load_settings({"STORE": str(tmp_path / "store"), "BASE_IRI": BASE}, environ={})
    repo = open_repository(settings)
    try:
        change(repo)
    finally:
        repo.close()


def _amend(repo) -> None:
    """Five of the demo licences uploaded again as suspended: five new versions, logged."""
    catalogue = load_catalogue(repo)
    rows = [dict(r, status="suspended", status_reason="ค้างชำระค่าธรรมเนียม")
            for r in demo_rows(catalogue, 20)][:5]
    records, problems = check_batch(list(enumerate(rows, start=2)),
                                    ValidationContext(catalogue))
    assert records and not [p for p in problems if p.severity == "Violation"], problems
    by_issuer: dict[str, list] = {}
    for record in records:
        by_issuer.setdefault(record.key.issuer, []).append(record)
    for agency, own in by_issuer.items():
        assert commit(repo, own, base=BASE, catalogue=catalogue, agency=agency).updated


def _rewrite_history(repo) -> None:
    """The log's stored root replaced by another tree's: what a register that rewrote its
    past would serve (the signature is still its own)."""
    head = logstore.head_graph_iri(BASE)
    size = logstore.LogReader(repo, BASE).size()
    lines = [f'<{logstore.log_iri(BASE)}> <{logstore.TREE_SIZE}> "{size}"^^'
             f'<http://www.w3.org/2001/XMLSchema#integer> <{head}> .',
             f'<{logstore.log_iri(BASE)}> <{logstore.ROOT_HASH}> '
             f'{ox.Literal(logstore.b64(bytes(32)))} <{head}> .']
    repo.apply(ChangeSet(replace=[head], payload="\n".join(lines).encode() + b"\n"))


def test_the_monitor_follows_a_real_register_and_catches_a_rewritten_history(tmp_path):
    state = tmp_path / "monitor.json"
    with _serve(tmp_path) as server:
        code, output = _monitor(server.url, state)
        assert code == 0, (output, server.output())
    first = json.loads(state.read_text(encoding="utf-8"))
    assert first["size"] > 20

    _with_store(tmp_path, _amend)
    with _serve(tmp_path) as server:
        code, output = _monitor(server.url, state)
        assert code == 0, (output, server.output())
    second = json.loads(state.read_text(encoding="utf-8"))
    assert second["size"] > first["size"] and second["origin"] == first["origin"]

    _with_store(tmp_path, _rewrite_history)
    with _serve(tmp_path) as server:
        code, output = _monitor(server.url, state)
    assert code == 1 and "NOT consistent" in output and "forked" in output, output
    # The state keeps the last checkpoint that verified: the evidence is not overwritten.
    assert json.loads(state.read_text(encoding="utf-8")) == second
