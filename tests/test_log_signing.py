"""The Merkle log's key file and signed checkpoints (registry/logsigning.py, issue 15 item 2):
checkpoint notes a verifier opens with the served key, rotation to a new key announced by a
`key` leaf signed by the old one, and a log key file whose errors name it and its own commands
while the credential key file's stay as they were."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pytest

from registry.checkpoint import parse_checkpoint
from registry.logleaf import KEY, LICENCE_VERSION, Leaf, LeafError, leaf_bytes, parse_leaf
from registry.logsigning import (
    LOG_ROTATE_COMMAND,
    CheckpointSigner,
    KeyLeafError,
    check_key_leaf,
    log_signing_keys,
)
from registry.settings import load_settings
from registry.signednote import (
    InvalidNoteSignature,
    UnverifiedNote,
    open_note,
    parse_verifier_key,
    public_key_of,
    verifier_key,
)
from registry.signingkeys import SigningKeyError, SigningKeys, log_keys_path, timestamp

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=30)
BASE = "https://licences.example.go.th"
ORIGIN = "licences.example.go.th/log"
ROOT = hashlib.sha256(b"root").digest()


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700, parents=True)
    os.chmod(folder, 0o700)
    return folder


def _signer(tmp_path: Path) -> CheckpointSigner:
    keys = log_signing_keys(_folder(tmp_path) / "log-keys.json")
    keys.ensure(NOW)
    return CheckpointSigner(keys, BASE)


# --- checkpoints ------------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "root"), [(0, hashlib.sha256(b"").digest()), (1, ROOT),
                                            (2**40, bytes(32))])
def test_a_checkpoint_note_opens_with_the_served_key(tmp_path, size, root):
    signer = _signer(tmp_path)
    served = signer.verifier_key()
    assert served.startswith(ORIGIN + "+") and parse_verifier_key(served).name == ORIGIN
    note = signer.checkpoint_note(size, root)
    opened = open_note(note, [served])
    assert parse_checkpoint(opened.text)[:3] == (ORIGIN, size, root)
    assert [s.name for s in opened.signatures] == [ORIGIN]
    assert signer.checkpoint_note(size, root) == note            # kept, and deterministic
    assert CheckpointSigner(signer.keys, BASE).checkpoint_note(size, root) == note  # any worker


def test_the_cache_keeps_only_the_last_few_notes(tmp_path):
    signer = _signer(tmp_path)
    notes = [signer.checkpoint_note(size, ROOT) for size in range(1, 20)]
    assert len(signer._notes) == 8
    assert signer.checkpoint_note(1, ROOT) == notes[0]             # signed again, same bytes


def test_after_rotation_the_new_key_signs_and_both_are_listed(tmp_path):
    signer = _signer(tmp_path)
    old = signer.verifier_key()
    before = signer.checkpoint_note(5, ROOT)
    log_signing_keys(signer.keys.path).rotate(LATER)            # as `log rotate-key` would
    new = signer.verifier_key()
    assert new != old and signer.verifier_keys() == [old, new]
    after = signer.checkpoint_note(5, ROOT)                    # same tree head, new signature
    assert after != before
    assert open_note(after, [new]).text == open_note(before, [old]).text
    with pytest.raises(UnverifiedNote):
        open_note(after, [old])
    [handover] = signer.handovers()
    assert [k.retired is None for k in handover] == [False, True]


def test_a_tampered_checkpoint_does_not_open(tmp_path):
    signer = _signer(tmp_path)
    note = signer.checkpoint_note(7, ROOT)
    forged = note.replace("\n7\n", "\n8\n")
    with pytest.raises(InvalidNoteSignature):
        open_note(forged, [signer.verifier_key()])


# --- key leaves -------------------------------------------------------------------------------

def _rotated(tmp_path: Path) -> tuple[CheckpointSigner, Leaf, str]:
    """A signer after one rotation, the leaf announcing it, and the old verifier key."""
    signer = _signer(tmp_path)
    old = signer.verifier_key()
    previous = signer.keys.current_key()
    new = signer.keys.rotate(LATER)
    return signer, signer.key_leaf(12, previous, new, timestamp(LATER)), old


def test_a_key_leaf_round_trips_and_the_old_key_vouches_for_the_new(tmp_path):
    signer, leaf, old = _rotated(tmp_path)
    data = leaf_bytes(leaf)
    value = json.loads(data)
    assert set(value) == {"index", "kind", "key", "previous", "signature", "time"}
    assert value["kind"] == "key" and value["index"] == 12
    assert value["time"] == "2027-01-02T09:00:00Z"
    assert value["previous"] == old and value["key"] == signer.verifier_key()
    assert parse_leaf(data) == leaf
    assert check_key_leaf(leaf, old) == signer.verifier_key()


def test_a_key_leaf_is_refused_with_any_other_trusted_key(tmp_path):
    signer, leaf, old = _rotated(tmp_path)
    stranger = _signer(tmp_path / "stranger")
    elsewhere = CheckpointSigner(signer.keys, "https://other.example.go.th")
    for trusted in (signer.verifier_key(),        # the new key cannot vouch for itself
                    stranger.verifier_key(),      # another log's key of the same name
                    elsewhere.verifier_keys()[0]):  # the same key under another name
        with pytest.raises(KeyLeafError):
            check_key_leaf(leaf, trusted)
    with pytest.raises(KeyLeafError, match="trusted key is not a verifier key"):
        check_key_leaf(leaf, "not a key")
    version = Leaf(kind=LICENCE_VERSION, index=3, licence=f"{BASE}/id/licence/x", version=1,
                   time="2026-12-03T09:00:00Z", upload=f"{BASE}/id/upload/u", sha256="ab" * 32)
    with pytest.raises(KeyLeafError, match="not a key leaf"):
        check_key_leaf(version, old)


def _flip(text: str, position: int) -> str:
    ch = text[position]
    other = "B" if ch == "A" else "A"
    return text[:position] + other + text[position + 1:]


def test_a_flipped_character_in_what_is_signed_is_refused(tmp_path):
    _, leaf, old = _rotated(tmp_path)
    data = leaf_bytes(leaf).decode()
    refused = 0
    for field in ("key", "previous", "signature"):
        value = getattr(leaf, field)
        start = data.index(f'"{field}":"') + len(field) + 4
        for position in range(start, start + len(value)):
            changed = _flip(data, position).encode()
            try:
                parsed = parse_leaf(changed)
            except LeafError:
                refused += 1
                continue
            with pytest.raises(KeyLeafError):
                check_key_leaf(parsed, old)
            refused += 1
    assert refused == len(leaf.key or "") + len(leaf.previous or "") + len(leaf.signature or "")


def test_a_key_leaf_made_with_the_wrong_previous_key_is_refused(tmp_path):
    signer, leaf, old = _rotated(tmp_path)
    stranger = _signer(tmp_path / "stranger")
    lied = dataclasses.replace(leaf, signature=CheckpointSigner(stranger.keys, BASE).key_leaf(
        12, stranger.keys.current_key(), signer.keys.current_key(), leaf.time).signature)
    with pytest.raises(KeyLeafError, match="does not verify"):
        check_key_leaf(lied, old)


_SIG = "A" * 86 + "=="        # base64 of 64 zero bytes


def _key(seed: bytes, name: str = ORIGIN) -> str:
    return verifier_key(name, public_key_of(hashlib.sha256(seed).digest()))


@pytest.mark.parametrize(("change", "reason"), [
    ({"key": "x+1234abcd+AQ=="}, "not a verifier key"),
    ({"previous": ORIGIN}, "not a verifier key"),
    ({"key": ORIGIN + "+00000000+" + _key(b"b").split("+", 2)[2]}, "not the id of"),
    ({"previous": _key(b"b")}, "other than the previous"),
    ({"signature": "A" * 84 + "=="}, "64-byte"),                 # 63 bytes
    ({"signature": _SIG.rstrip("=")}, "64-byte"),                # padding left off
    ({"signature": "A" * 85 + "B=="}, "64-byte"),                # not the canonical spelling
    ({"signature": "-" + _SIG[1:]}, "64-byte"),                  # base64url
    ({"signature": 7}, "64-byte"),
    ({"time": "2026-12-03T09:00:00+07:00"}, "UTC"),
    ({"index": -1}, "non-negative"),
])
def test_malformed_key_leaves_are_refused(change, reason):
    good = {"index": 1, "kind": KEY, "key": _key(b"b"), "previous": _key(b"a"),
            "signature": _SIG, "time": "2026-12-03T09:00:00Z"}
    assert parse_leaf(json.dumps(good, sort_keys=True, separators=(",", ":")).encode()) == \
        Leaf(**good)
    with pytest.raises(LeafError, match=reason):
        leaf_bytes(Leaf(**{**good, **change}))
    data = json.dumps({**good, **change}, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(LeafError):
        parse_leaf(data)


@pytest.mark.parametrize("extra", [{"sha256": "ab" * 32}, {"upload": f"{BASE}/id/upload/u"}])
def test_a_key_leaf_has_exactly_its_own_keys(extra):
    value = {"index": 1, "kind": KEY, "key": _key(b"b"), "previous": _key(b"a"),
             "signature": _SIG, "time": "2026-12-03T09:00:00Z", **extra}
    with pytest.raises(LeafError, match="has keys"):
        parse_leaf(json.dumps(value, sort_keys=True, separators=(",", ":")).encode())
    del value["signature"]
    with pytest.raises(LeafError, match="has keys"):
        parse_leaf(json.dumps(value, sort_keys=True, separators=(",", ":")).encode())


# --- the key files ----------------------------------------------------------------------------

def test_the_default_log_key_file_is_beside_the_store_and_apart_from_the_signing_keys(tmp_path):
    settings = load_settings({"STORE": str(tmp_path / "var" / "store")}, environ={})
    assert log_keys_path(settings) == tmp_path / "var" / "keys" / "log-keys.json"
    named = load_settings({"LOG_KEYS": "elsewhere/log.json"}, environ={})
    assert log_keys_path(named) == Path("elsewhere/log.json").absolute()


def _broken(path: Path, how: str) -> None:
    if how == "missing":
        path.unlink()
    elif how == "readable":
        os.chmod(path, 0o644)
    elif how == "damaged":
        path.write_text("{")


# (how the file is broken, text every message has, text of the credential file's, log's)
BREAKAGES = [
    ("missing", "There is no {what} {path}: run `{create}` to make one.",
     "licence-registry init", "licence-registry log init"),
    ("readable", "The {what} {path} may be read or written by group or others",
     "`licence-registry keys rotate`", f"`{LOG_ROTATE_COMMAND}`"),
    ("readable", "Run: chmod 600 {path}", "", ""),
    ("damaged", "The {what} {path} is not a usable key file", "", ""),
]


@pytest.mark.parametrize(("how", "message", "credential", "log"), BREAKAGES)
def test_each_key_file_names_itself_and_its_commands(tmp_path, how, message, credential, log):
    folder = _folder(tmp_path)
    for keys, what, create, command in (
            (SigningKeys(folder / "signing-keys.json"), "signing key file",
             "licence-registry init", credential),
            (log_signing_keys(folder / "log-keys.json"), "log key file",
             "licence-registry log init", log)):
        keys.ensure(NOW)
        _broken(keys.path, how)
        with pytest.raises(SigningKeyError) as refused:
            keys.current_key()
        text = str(refused.value)
        assert message.format(what=what, path=keys.path, create=create) in text
        assert command in text
        other = "log key file" if what == "signing key file" else "signing key file"
        assert other not in text


def test_the_two_key_files_are_never_read_as_each_other(tmp_path):
    folder = _folder(tmp_path)
    credential = SigningKeys(folder / "signing-keys.json")
    credential.ensure(NOW)
    with pytest.raises(SigningKeyError, match="log key file .*its format is not "
                                              "'licence-registry log keys 1'"):
        log_signing_keys(credential.path).all_keys()
    log = log_signing_keys(folder / "log-keys.json")
    log.ensure(NOW)
    with pytest.raises(SigningKeyError, match="signing key file .*its format is not "
                                              "'licence-registry signing keys 1'"):
        SigningKeys(log.path).all_keys()
    assert oct(os.stat(log.path).st_mode & 0o777) == "0o600"
