"""The register's signing keys and DID (SPEC §11, issue 14 item 2): a secret key file outside
the store (0600 in a 0700 folder, written atomically, refused when others may read it),
rotation that keeps retired keys, did:web from the base IRI, a DID document with every public
key and no secret, and the `keys` and `init` commands."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from ops.cli import main
from registry.dataintegrity import decode_public_multikey, public_key_of
from registry.didweb import did_document, did_document_path, did_for_base
from registry.settings import load_settings
from registry.signingkeys import SigningKeyError, SigningKeys, signing_keys_path

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=400)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _made(tmp_path: Path) -> SigningKeys:
    keys = SigningKeys(tmp_path / "keys" / "signing-keys.json")
    assert keys.ensure(NOW) is True
    return keys


# --- The key file -----------------------------------------------------------------------------

def test_the_file_is_made_0600_in_a_0700_folder_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        keys = _made(tmp_path)
    finally:
        os.umask(previous)
    assert _mode(keys.path) == 0o600
    assert _mode(keys.path.parent) == 0o700
    [key] = keys.all_keys()
    assert keys.current_key() == key and key.retired is None and key.created == \
        "2026-12-03T09:00:00Z"
    assert public_key_of(key.secret_key) == decode_public_multikey(key.public_multibase)
    assert keys.ensure(LATER) is False                   # made once, then kept
    assert keys.all_keys() == [key]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o644])
def test_a_file_others_may_read_is_refused_naming_it_and_the_chmod(tmp_path, mode):
    keys = _made(tmp_path)
    os.chmod(keys.path, mode)
    for use in (keys.all_keys, keys.current_key, lambda: keys.rotate(LATER),
                lambda: keys.ensure(LATER)):
        with pytest.raises(SigningKeyError) as refused:
            use()
        assert str(keys.path) in str(refused.value)
        assert f"chmod 600 {keys.path}" in str(refused.value)
    os.chmod(keys.path, 0o600)
    assert len(keys.all_keys()) == 1


def test_a_damaged_or_missing_file_is_refused_clearly(tmp_path):
    keys = _made(tmp_path)
    data = json.loads(keys.path.read_text())
    other = SigningKeys(tmp_path / "other" / "signing-keys.json")
    other.ensure(NOW)
    data["keys"][0]["publicKeyMultibase"] = other.current_key().public_multibase
    keys.path.write_text(json.dumps(data))
    with pytest.raises(SigningKeyError, match="does not match its secret"):
        keys.all_keys()
    keys.path.write_text("{")
    with pytest.raises(SigningKeyError, match="not a usable key file"):
        keys.current_key()
    with pytest.raises(SigningKeyError, match="licence-registry init"):
        SigningKeys(tmp_path / "absent.json").all_keys()


def test_rotate_adds_a_key_and_keeps_the_old_ones_retired(tmp_path):
    keys = _made(tmp_path)
    [first] = keys.all_keys()
    second = keys.rotate(LATER)
    third = keys.rotate(LATER + dt.timedelta(days=1))
    listed = keys.all_keys()
    assert [k.id for k in listed] == [first.id, second.id, third.id]
    assert len({k.public_multibase for k in listed}) == 3
    assert listed[0].retired == "2028-01-07T09:00:00Z" and listed[0].secret_multibase == \
        first.secret_multibase                          # the same key, only marked retired
    assert listed[1].retired == "2028-01-08T09:00:00Z"
    assert keys.current_key() == third and third.retired is None
    assert _mode(keys.path) == 0o600


def test_an_unchanged_file_is_parsed_once_and_any_change_is_seen_at_once(tmp_path, monkeypatch):
    """The parsed keys are kept while the file is the same (inode, size, times) and has been
    for a while; a rotation by another process (the CLI), a rewrite in place, or a chmod is
    seen on the very next call."""
    keys = _made(tmp_path)
    parsed = []
    real_parse = SigningKeys._parse
    monkeypatch.setattr(SigningKeys, "_parse",
                        lambda self, raw: parsed.append(1) or real_parse(self, raw))
    first = keys.current_key()
    keys.current_key()
    assert len(parsed) == 2          # just written: file times are coarse, so not kept yet
    _settle(keys.path)
    assert keys.current_key() == first and keys.all_keys() == [first]
    assert keys.current_key() == first
    assert len(parsed) == 3
    rotated = SigningKeys(keys.path).rotate(LATER)           # as `keys rotate` would
    assert keys.current_key() == rotated
    _settle(keys.path)
    assert keys.current_key() == rotated
    text = keys.path.read_bytes()
    keys.path.write_bytes(text.replace(b'"keys"', b'"kees"'))    # same size, same inode
    with pytest.raises(SigningKeyError, match="not a usable key file"):
        keys.current_key()
    keys.path.write_bytes(text)
    _settle(keys.path)
    assert keys.current_key() == rotated
    os.chmod(keys.path, 0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        keys.current_key()


def _settle(path: Path) -> None:
    """As if the file had last been written an hour ago."""
    hour_ago = os.stat(path).st_mtime - 3600
    os.utime(path, (hour_ago, hour_ago))


def test_rotate_makes_a_missing_file(tmp_path):
    keys = SigningKeys(tmp_path / "k" / "signing-keys.json")
    fresh = keys.rotate(NOW)
    assert keys.all_keys() == [fresh] and _mode(keys.path) == 0o600


def test_a_failure_before_the_rename_leaves_the_old_file_whole(tmp_path, monkeypatch):
    keys = _made(tmp_path)
    before = keys.path.read_bytes()

    def crash(source, target):
        raise OSError("power cut between the write and the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        keys.rotate(LATER)
    monkeypatch.undo()
    assert keys.path.read_bytes() == before
    assert len(keys.all_keys()) == 1
    leftovers = {p.name for p in keys.path.parent.iterdir()} - {keys.path.name,
                                                                keys.path.name + ".lock"}
    assert leftovers == set()                            # no half-written temporary file


def test_the_default_file_is_beside_the_store_not_in_it(tmp_path):
    settings = load_settings({"STORE": str(tmp_path / "var" / "store")}, environ={})
    path = signing_keys_path(settings)
    assert path == tmp_path / "var" / "keys" / "signing-keys.json"
    assert Path(settings.store) not in path.parents
    named = load_settings({"SIGNING_KEYS": str(tmp_path / "elsewhere.json")}, environ={})
    assert signing_keys_path(named) == tmp_path / "elsewhere.json"


def test_a_key_never_shows_its_secret_in_its_repr(tmp_path):
    key = _made(tmp_path).current_key()
    assert key.secret_multibase not in repr(key)


# --- did:web ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("base", "did", "document"), [
    ("http://127.0.0.1:8000", "did:web:127.0.0.1%3A8000", "/.well-known/did.json"),
    ("https://licences.example.go.th", "did:web:licences.example.go.th", "/.well-known/did.json"),
    ("https://Licences.Example.go.th", "did:web:licences.example.go.th", "/.well-known/did.json"),
    ("https://licences.example.go.th/register", "did:web:licences.example.go.th:register",
     "/did.json"),
    ("https://example.go.th:8443/a/b", "did:web:example.go.th%3A8443:a:b", "/did.json"),
    ("https://example.go.th/ใบอนุญาต", "did:web:example.go.th:%E0%B9%83%E0%B8%9A%E0%B8%AD%E0%B8%99"
     "%E0%B8%B8%E0%B8%8D%E0%B8%B2%E0%B8%95", "/did.json"),
    # A Thai domain name as DNS sees it (checked against the `idna` package's IDNA 2008).
    ("https://ทะเบียน.ไทย", "did:web:xn--o3cec6a6d5a5e.xn--o3cw4h", "/.well-known/did.json"),
])
def test_did_web_from_the_base_iri(base, did, document):
    assert did_for_base(base) == did
    assert did_document_path(base) == document


@pytest.mark.parametrize("base", ["http://[::1]:8000", "https://example.go.th/a//b"])
def test_a_base_no_did_web_can_name_is_refused(base):
    with pytest.raises(ValueError):
        did_for_base(base)


def test_the_did_document_lists_every_key_and_no_secret(tmp_path):
    keys = _made(tmp_path)
    keys.rotate(LATER)
    listed = keys.all_keys()
    document = did_document("http://127.0.0.1:8000", listed)
    did = "did:web:127.0.0.1%3A8000"
    assert document["@context"] == ["https://www.w3.org/ns/did/v1",
                                    "https://w3id.org/security/multikey/v1"]
    assert document["id"] == did
    assert document["verificationMethod"] == [
        {"id": f"{did}#{k.id}", "type": "Multikey", "controller": did,
         "publicKeyMultibase": k.public_multibase} for k in listed]
    # Retired keys too: credentials they signed still verify.
    assert document["assertionMethod"] == [f"{did}#{k.id}" for k in listed]
    serialised = json.dumps(document)
    for key in listed:
        assert key.secret_multibase not in serialised


# --- The commands -----------------------------------------------------------------------------

def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _no_secret_in(output: str, keys: SigningKeys) -> None:
    for key in keys.all_keys():
        assert key.secret_multibase not in output
    assert "secretKeyMultibase" not in output


def test_init_makes_the_key_file_and_keys_rotate_and_list(tmp_path):
    store = ["--store", str(tmp_path / "var" / "store")]
    keys = SigningKeys(tmp_path / "var" / "keys" / "signing-keys.json")
    made = _cli(*store, "init")
    assert made.exit_code == 0, made.output
    assert f"Signing key file made: {keys.path}" in made.output
    assert _mode(keys.path) == 0o600 and _mode(keys.path.parent) == 0o700
    [first] = keys.all_keys()
    again = _cli(*store, "init")
    assert f"Signing key file kept: {keys.path}" in again.output
    assert keys.all_keys() == [first]

    rotated = _cli(*store, "keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    current = keys.current_key()
    assert current.id in rotated.output and current.id != first.id
    assert "did:web:127.0.0.1%3A8000" in rotated.output
    assert "http://127.0.0.1:8000/.well-known/did.json" in rotated.output

    listed = _cli("keys", "list", *store)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0] == "DID did:web:127.0.0.1%3A8000"
    assert lines[1].startswith(f"{first.id}  created {first.created}  retired ")
    assert lines[2] == f"{current.id}  created {current.created}  current"
    for output in (made.output, again.output, rotated.output, listed.output):
        _no_secret_in(output, keys)


def test_the_keys_commands_read_the_signing_keys_setting(tmp_path):
    store = ["--store", str(tmp_path / "store")]
    named = tmp_path / "secret" / "mine.json"
    env = {"LICENCE_REGISTRY_SIGNING_KEYS": str(named)}
    assert CliRunner(env=env).invoke(main, [*store, "init"]).exit_code == 0
    assert _mode(named) == 0o600
    assert not (tmp_path / "keys" / "signing-keys.json").exists()   # (the log's key is there)
    os.chmod(named, 0o644)
    refused = CliRunner(env=env).invoke(main, [*store, "keys", "list"])
    assert refused.exit_code == 1
    assert f"chmod 600 {named}" in refused.output


def test_keys_need_an_initialised_store(tmp_path):
    result = _cli("--store", str(tmp_path / "none"), "keys", "rotate")
    assert result.exit_code == 1, result.output
    assert not (tmp_path / "keys").exists()
