"""Every `licence-registry` command with arguments that make it run, for the tables that go
over all of them (tests/test_base_iri.py, tests/test_cli_habits.py).

Placeholders in braces are filled by each test: {csv}, {issuer}, {type}, {number}, {tmp},
{backup}.
"""

from __future__ import annotations

AGENCY = "bma-bangrak"

COMMANDS = {
    "init": ["init"],
    "load": ["load", "--agency", AGENCY, "{csv}"],
    "validate": ["validate", "--agency", AGENCY, "{csv}"],
    "mint": ["mint", "--issuer", "{issuer}", "--type", "{type}", "{number}"],
    "agency-key": ["agency-key", AGENCY],
    "agency-key --list": ["agency-key", "--list", AGENCY],
    "demo-data": ["demo-data", "--count", "3", "{tmp}/demo.csv"],
    "dump": ["dump", "{tmp}/dump.nq"],
    "dumps": ["dumps", "--dumps-dir", "{tmp}/dumps"],
    "backup": ["backup", "{tmp}/backup"],
    "restore": ["restore", "{backup}"],
    "sync-replica": ["sync-replica"],
    "check-links": ["check-links"],
    "reindex": ["reindex"],
    "keys rotate": ["keys", "rotate"],
    "keys list": ["keys", "list"],
    "credential-bundle": ["credential-bundle", "{tmp}/bundle"],
    "log init": ["log", "init"],
    "log verify": ["log", "verify"],
    "log key": ["log", "key"],
    "log rotate-key": ["log", "rotate-key"],
    "stats rebuild": ["stats", "rebuild"],
}
# Commands tested on their own below: `serve` (a real process), `migrate-base` (the way out);
# `verify-credential` needs a credential of the register to succeed
# (tests/test_credential_verify.py checks it refuses a store minted under another base).
# `log monitor URL` reads another register over HTTP, never a store (tests/test_log_monitor.py).
ELSEWHERE = {"serve", "migrate-base", "verify-credential"}
