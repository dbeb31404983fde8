"""`licence-registry log monitor` (registry/logmonitor.py, ops/clilogmonitor.py) against a real
HTTP server on loopback serving a log (tests/support/logserver.py): trust on first use,
consistency, and each way a log can fail a witness."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from click.testing import CliRunner

from ops.clilogmonitor import monitor_command
from registry.checkpoint import format_checkpoint
from registry.logleaf import canonical_json
from registry.logmonitor import LogClient, LogFailure, load_state, log_url, monitor
from registry.signednote import sign_note

from .support.logserver import FakeLog, new_seed, serving

ORIGIN = "licences.example.test/log"


@pytest.fixture
def log():
    fake = FakeLog(ORIGIN)
    fake.add_versions(120)
    return fake


@pytest.fixture
def server(log):
    with serving(log) as running:
        yield running


def _url(server) -> str:
    return f"http://127.0.0.1:{server.server_port}"


def _run(server, state, *extra):
    result = CliRunner().invoke(monitor_command, [_url(server), "--state", str(state), *extra])
    return result.exit_code, result.output


def test_first_run_trusts_the_key_and_saves_the_checkpoint(server, log, tmp_path):
    state = tmp_path / "state.json"
    code, output = _run(server, state)
    assert code == 0, output
    assert f"Trusted on first use: {log.key}" in output
    saved = json.loads(state.read_text(encoding="utf-8"))
    assert saved["origin"] == ORIGIN and saved["keys"] == [log.key] and saved["size"] == 120
    assert saved["checkpoint"] == log.checkpoint() and saved["seen"].endswith("Z")
    assert load_state(state).root == log.tree.root()


def test_a_later_run_proves_the_log_only_grew(server, log, tmp_path):
    state = tmp_path / "state.json"
    assert _run(server, state)[0] == 0
    log.add_versions(125)
    code, output = _run(server, state)
    assert (code, "consistent: 120 → 245 entries") == (0, output.strip()[:29]), output
    assert load_state(state).size == 245
    code, output = _run(server, state)
    assert code == 0 and "consistent: 245 entries, unchanged" in output


def test_the_url_may_name_the_log_itself(server, tmp_path):
    state = tmp_path / "state.json"
    result = CliRunner().invoke(monitor_command, [_url(server) + "/log/", "--state", str(state)])
    assert result.exit_code == 0, result.output
    assert log_url("https://x.example/clc") == "https://x.example/clc/log"


def _unchanged(state, run):
    before = state.read_bytes()
    code, output = run()
    assert code == 1, output
    assert "NOT consistent" in output and "still holds the last good checkpoint" in output
    assert state.read_bytes() == before
    return output


def test_a_rewritten_history_is_caught_and_the_state_kept(server, log, tmp_path):
    state = tmp_path / "state.json"
    assert _run(server, state)[0] == 0
    fork = log.forked(at=50)
    server.log = fork
    output = _unchanged(state, lambda: _run(server, state))
    assert "forked" in output
    fork.add_versions(30)
    output = _unchanged(state, lambda: _run(server, state))
    assert "does not extend the tree of 120" in output
    assert fork.checkpoint() in output          # the evidence is printed


def test_a_checkpoint_signed_by_an_unknown_key_fails(server, log, tmp_path):
    state = tmp_path / "state.json"
    assert _run(server, state)[0] == 0
    log.add_versions(3)
    log.seed = new_seed(9)                      # a new key, never announced
    output = _unchanged(state, lambda: _run(server, state))
    assert "signed by no trusted key" in output and "announce no rotation" in output


def test_an_announced_rotation_is_followed(server, log, tmp_path):
    state = tmp_path / "state.json"
    assert _run(server, state)[0] == 0
    old_key = log.key
    log.add_versions(1100)                      # the announcement is past the first page
    new_key = log.rotate(new_seed(7))
    log.add_versions(2)
    code, output = _run(server, state)
    assert code == 0, output
    assert f"Key rotation announced in the log and now trusted: {new_key}" in output
    assert load_state(state).keys == [new_key] and old_key != new_key
    log.add_versions(1)
    assert _run(server, state)[0] == 0


def test_a_rotation_signed_by_another_key_is_not_believed(server, log, tmp_path):
    state = tmp_path / "state.json"
    assert _run(server, state)[0] == 0
    log.seed = new_seed(8)                      # an impostor announces its own successor
    log.rotate(new_seed(7))
    log.seed = new_seed(7)
    output = _unchanged(state, lambda: _run(server, state))
    assert "announce no rotation" in output


def test_a_pinned_key_must_be_the_served_one_or_announced(server, log, tmp_path):
    first = log.key
    log.rotate(new_seed(5))
    code, output = _run(server, tmp_path / "a.json", "--key", first)
    assert code == 0, output
    assert load_state(tmp_path / "a.json").keys == [log.key]
    code, output = _run(server, tmp_path / "b.json", "--key", FakeLog(ORIGIN, new_seed(6)).key)
    assert code == 1 and not (tmp_path / "b.json").exists()
    code, output = _run(server, tmp_path / "c.json", "--key", "not a key")
    assert code == 2 and "--key" in output


def test_another_origin_fails(server, log, tmp_path):
    state = tmp_path / "state.json"
    assert _run(server, state)[0] == 0
    log.add_versions(1)     # signed by the trusted key, but of another log
    text = format_checkpoint("other.example.test/log", log.tree.size, log.tree.root())
    server.overrides["/log/checkpoint"] = (200, {}, sign_note(text, ORIGIN, log.seed).encode())
    assert "not of 'licences.example.test/log'" in _unchanged(state, lambda: _run(server, state))


def test_a_smaller_tree_fails(server, log, tmp_path):
    state = tmp_path / "state.json"
    assert _run(server, state)[0] == 0
    smaller = FakeLog(ORIGIN, log.seed)
    for leaf in log.leaves[:100]:
        smaller.append(leaf)
    server.log = smaller
    assert "shrank from 120 to 100" in _unchanged(state, lambda: _run(server, state))


def test_a_bad_signature_fails(server, log, tmp_path):
    state = tmp_path / "state.json"
    assert _run(server, state)[0] == 0
    note = log.checkpoint().replace("\n120\n", "\n121\n")
    server.overrides["/log/checkpoint"] = (200, {}, note.encode())
    assert "does not verify" in _unchanged(state, lambda: _run(server, state))


def test_an_unreachable_register_is_exit_3(tmp_path):
    with serving(FakeLog(ORIGIN)) as running:
        url = _url(running)
    result = CliRunner().invoke(monitor_command, [url, "--state", str(tmp_path / "s.json")])
    assert result.exit_code == 3 and "try again later" in result.output


def test_a_redirect_to_another_host_is_not_followed(server, tmp_path):
    server.overrides["/log/key"] = (302, {"Location": "http://localhost:1/log/key"}, b"")
    code, output = _run(server, tmp_path / "s.json")
    assert code == 3 and "not followed" in output


def test_an_oversized_checkpoint_is_refused(server, tmp_path):
    server.overrides["/log/checkpoint"] = (200, {}, b"x" * (1024 * 1024 + 1))
    with requests.Session() as session, pytest.raises(LogFailure, match="at most 1048576"):
        monitor(LogClient(session, _url(server)), tmp_path / "s.json")


def test_a_corrupt_state_file_is_a_usage_error(server, tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{}", encoding="utf-8")
    code, output = _run(server, state)
    assert code == 2 and "not a monitor state" in output


def test_a_key_entry_from_the_trusted_key_with_a_bad_signature_fails(server, log, tmp_path):
    state = tmp_path / "state.json"
    assert _run(server, state)[0] == 0
    new_key = FakeLog(ORIGIN, new_seed(4)).key
    log.append(canonical_json({"index": len(log.leaves), "kind": "key", "key": new_key,
                               "previous": log.key, "signature": base64.b64encode(
                                   b"\0" * 64).decode(), "time": "2026-01-02T00:00:00Z"}))
    log.seed = new_seed(4)
    output = _unchanged(state, lambda: _run(server, state))
    assert "entry 120 announces a rotation from a trusted key that does not hold" in output
