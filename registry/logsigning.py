"""The Merkle log's signing key and signed checkpoints (SPEC §12, issue 15 item 2).

The log has its own Ed25519 key file (setting LOG_KEYS), of the same form and kept as safely as
the credential key file (registry/signingkeys.py), but separate: the two keys answer for
different things and rotate apart. Its signed-note key name is the log's origin
(`log_origin(base)`, e.g. `licences.example.go.th/log`), as tlog-checkpoint recommends.

`CheckpointSigner` turns a tree size and root hash into the signed note `GET /log/checkpoint`
serves, and gives the verifier key strings `GET /log/key` serves. Ed25519 is deterministic, so
every worker signing the same checkpoint with the same key serves the same bytes; the last few
notes are kept so that a busy endpoint signs each tree head once.

A rotation is announced in the log itself by a `key` leaf (registry/logleaf.py): the new
verifier key string, the previous one, and the previous key's signature over the new key
string's UTF-8 bytes. A monitor that trusts the previous key learns the new one from the log
(`check_key_leaf`). The signature covers the new key only, not the leaf's index or time: the
leaf's place is fixed by the log's own hashes, and announcing the same key twice says nothing
new.
"""

from __future__ import annotations

import base64
import collections
import os
import threading

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.checkpoint import format_checkpoint, log_origin
from registry.dataintegrity import decode_public_multikey
from registry.logleaf import KEY, Leaf, leaf_bytes, signature_bytes
from registry.signednote import KeyFormatError, parse_verifier_key, sign_note, verifier_key
from registry.signingkeys import SigningKey, SigningKeys

LOG_KEY_FILE = "log key file"
LOG_KEYS_FORMAT = "licence-registry log keys 1"
LOG_CREATE_COMMAND = "licence-registry log init"
LOG_ROTATE_COMMAND = "licence-registry log rotate-key"
# Checkpoints signed and kept: the current tree head and the few before it are what is asked.
NOTES_KEPT = 8


class KeyLeafError(ValueError):
    """A key leaf that does not show the trusted key handing over to a new one."""


def log_signing_keys(path: str | os.PathLike[str]) -> SigningKeys:
    """The log key file at `path` (registry/signingkeys.py `log_keys_path(settings)`), its
    errors naming it and the log's own commands."""
    return SigningKeys(path, what=LOG_KEY_FILE, create_command=LOG_CREATE_COMMAND,
                       rotate_command=LOG_ROTATE_COMMAND, file_format=LOG_KEYS_FORMAT)


def note_verifier_key(name: str, key: SigningKey) -> str:
    """`key`'s verifier key string under the key name `name`: `name+hexid+base64`."""
    return verifier_key(name, decode_public_multikey(key.public_multibase))


class CheckpointSigner:
    """Signs the checkpoints of the log at `base` with the current key of `keys` (read afresh
    on every call: a rotation by another process is seen at once)."""

    def __init__(self, keys: SigningKeys, base: str) -> None:
        self.keys = keys
        self.origin = log_origin(base)
        self._notes: collections.OrderedDict[tuple[int, bytes, str], str] = \
            collections.OrderedDict()
        self._lock = threading.Lock()

    def verifier_key(self) -> str:
        """The current key's verifier key string (what GET /log/key serves)."""
        return note_verifier_key(self.origin, self.keys.current_key())

    def verifier_keys(self) -> list[str]:
        """Every key the log has used, oldest first, the retired ones too."""
        return [note_verifier_key(self.origin, key) for key in self.keys.all_keys()]

    def checkpoint_note(self, size: int, root: bytes) -> str:
        """The tlog-checkpoint of (`size`, `root`) as a signed note by the current key."""
        key = self.keys.current_key()
        # The public key, not the short id, names the signer: a lost and remade file could
        # in theory reuse an id.
        cache_key = (size, root, key.public_multibase)
        with self._lock:
            note = self._notes.get(cache_key)
            if note is not None:
                self._notes.move_to_end(cache_key)
                return note
        note = sign_note(format_checkpoint(self.origin, size, root), self.origin, key.secret_key)
        with self._lock:
            self._notes[cache_key] = note
            while len(self._notes) > NOTES_KEPT:
                self._notes.popitem(last=False)
        return note

    def key_leaf(self, index: int, previous: SigningKey, new: SigningKey, time: str) -> Leaf:
        """The leaf announcing that `new` follows `previous` (at log index `index`, at `time`,
        an xsd:dateTime in UTC: registry/signingkeys.py `timestamp`)."""
        announced = note_verifier_key(self.origin, new)
        signature = Ed25519PrivateKey.from_private_bytes(previous.secret_key).sign(
            announced.encode("utf-8"))
        leaf = Leaf(kind=KEY, index=index, time=time, key=announced,
                    previous=note_verifier_key(self.origin, previous),
                    signature=base64.b64encode(signature).decode("ascii"))
        leaf_bytes(leaf)                     # checks its form (raises LeafError)
        return leaf

    def handovers(self) -> list[tuple[SigningKey, SigningKey]]:
        """(previous, new) for each rotation the key file records, oldest first: what the log
        should announce. A rotation that stopped between rewriting the key file and appending
        its leaf is found by comparing these with the log's key leaves (the retired key is
        still in the file, so the announcement can still be signed)."""
        keys = self.keys.all_keys()
        return list(zip(keys, keys[1:], strict=False))


def check_key_leaf(leaf: Leaf, trusted_verifier_key: str) -> str:
    """The new verifier key `leaf` announces, if the key trusted so far
    (`trusted_verifier_key`, a verifier key string) signed it; KeyLeafError otherwise."""
    if leaf.kind != KEY or leaf.key is None or leaf.previous is None:
        raise KeyLeafError(f"log entry {leaf.index} is a {leaf.kind} leaf, not a key leaf")
    try:
        trusted = parse_verifier_key(trusted_verifier_key)
    except KeyFormatError as error:
        raise KeyLeafError(f"the trusted key is not a verifier key ({error})") from None
    try:
        previous = parse_verifier_key(leaf.previous)
        new = parse_verifier_key(leaf.key)
    except KeyFormatError as error:
        raise KeyLeafError(f"log entry {leaf.index} names a malformed key ({error})") from None
    if previous != trusted:
        raise KeyLeafError(f"log entry {leaf.index} hands over from {leaf.previous}, not from "
                           f"the trusted key {trusted_verifier_key}")
    if new.name != trusted.name:
        raise KeyLeafError(f"log entry {leaf.index} announces a key named {new.name}, not "
                           f"{trusted.name} (the log's origin)")
    signature = signature_bytes(leaf.signature)
    if signature is None or not trusted.verifies(leaf.key.encode("utf-8"), signature):
        raise KeyLeafError(f"log entry {leaf.index}: the trusted key's signature over the new "
                           f"key {leaf.key} does not verify")
    return leaf.key
