"""The register's Ed25519 signing keys, in one secret file outside the store (SPEC §11).

The file (setting SIGNING_KEYS) holds every key the register ever used: the current one signs,
the retired ones stay so that the DID document keeps them and old credentials still verify.
It is JSON:

    {"format": "licence-registry signing keys 1",
     "keys": [{"id": "key-…", "publicKeyMultibase": "z6Mk…", "secretKeyMultibase": "z3u2…",
               "created": "2026-12-03T09:00:00Z", "retired": null}, …]}

Safety: made with mode 0600 in a folder made 0700; a file that group or others may read or
write is refused (never silently repaired: someone may already have copied it). Every change is
written to a temporary file, flushed to disk, then renamed over the old one, so a crash leaves
either the old file or the new one, never half a key file; a lock file serialises two rotations.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.dataintegrity import (
    DataIntegrityError,
    decode_secret_multikey,
    encode_public_multikey,
    encode_secret_multikey,
    public_key_of,
)
from registry.settings import Settings

FORMAT = "licence-registry signing keys 1"
FILE_MODE = 0o600
FOLDER_MODE = 0o700
# How long the key file must have been unchanged before its parsed keys are kept (see _read).
SETTLED_NS = 2_000_000_000


class SigningKeyError(ValueError):
    """The key file cannot be used; the message names the file and what to do."""


@dataclass(frozen=True)
class SigningKey:
    """One Ed25519 key: `id` is its fragment in the DID document (`{did}#{id}`)."""

    id: str
    public_multibase: str
    secret_multibase: str = field(repr=False)       # never in a log line or a traceback
    created: str
    retired: str | None = None

    @property
    def secret_key(self) -> bytes:
        """The raw 32-byte secret (the Ed25519 seed) to sign with."""
        return decode_secret_multikey(self.secret_multibase)

    def as_json(self) -> dict:
        return {"id": self.id, "publicKeyMultibase": self.public_multibase,
                "secretKeyMultibase": self.secret_multibase, "created": self.created,
                "retired": self.retired}


def signing_keys_path(settings: Settings) -> Path:
    """The settings' key file: SIGNING_KEYS, or keys/signing-keys.json beside the STORE folder
    (outside it: a backup or a copy of the store must not carry the secret)."""
    if settings.signing_keys:
        return Path(settings.signing_keys)
    return Path(settings.store).parent / "keys" / "signing-keys.json"


def log_keys_path(settings: Settings) -> Path:
    """The settings' log key file (the Merkle log's checkpoint key, SPEC §12): LOG_KEYS, or
    keys/log-keys.json beside the STORE folder, like the credential key file."""
    if settings.log_keys:
        return Path(settings.log_keys)
    return Path(settings.store).parent / "keys" / "log-keys.json"


def timestamp(now: dt.datetime) -> str:
    """`now` as an XML Schema dateTime in UTC to the second (2026-12-03T09:00:00Z)."""
    if now.tzinfo is None:
        raise ValueError("the moment must carry its time zone")
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_key(now: dt.datetime, taken: Collection[str] = ()) -> SigningKey:
    """A fresh Ed25519 key; its id is made from its public key (a lost and remade file never
    reuses an id that old credentials name with another key)."""
    while True:
        secret = Ed25519PrivateKey.generate().private_bytes_raw()
        public = public_key_of(secret)
        key_id = "key-" + hashlib.sha256(public).hexdigest()[:12]
        if key_id not in taken:
            return SigningKey(key_id, encode_public_multikey(public),
                              encode_secret_multikey(secret), timestamp(now))


class SigningKeys:
    """The key file at `path`. Looks at it afresh on every call (`keys rotate` may change it
    under a running process): opened and its mode checked each time, parsed again only when it
    changed — a new file (rotation renames one over it), size, modification or change time —
    since checking each secret against its public key costs more than the rest of a read.

    The same class keeps another key file (the log's, registry/logsigning.py): `what` names the
    file in error messages, `create_command`/`rotate_command` are the commands they suggest,
    and `file_format` is the format line the file must carry (so one file is never read as the
    other)."""

    def __init__(self, path: str | os.PathLike[str], *, what: str = "signing key file",
                 create_command: str = "licence-registry init",
                 rotate_command: str = "licence-registry keys rotate",
                 file_format: str = FORMAT) -> None:
        self.path = Path(path)
        self.what = what
        self.create_command = create_command
        self.rotate_command = rotate_command
        self.file_format = file_format
        # (inode, size, mtime_ns, ctime_ns) of the file last parsed, and its keys.
        self._parsed: tuple[tuple[int, int, int, int], tuple[SigningKey, ...]] | None = None

    # --- reading --------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.exists()

    def all_keys(self) -> list[SigningKey]:
        """Every key, oldest first, the retired ones too. Raises SigningKeyError."""
        return self._read()

    def current_key(self) -> SigningKey:
        """The one key that is not retired: the one to sign with."""
        return next(k for k in self._read() if k.retired is None)

    # --- changing -------------------------------------------------------------------------

    def ensure(self, now: dt.datetime) -> bool:
        """Make the file with one key if it is absent; whether it was made. An existing file
        is checked (mode, content) and left as it is."""
        with self._locked():
            if self.path.exists():
                self._read()
                return False
            self._write([new_key(now)])
            return True

    def rotate(self, now: dt.datetime) -> SigningKey:
        """Add a new current key and mark the old one retired (it stays in the file); the new
        key. Makes the file when it is absent (then nothing is retired)."""
        with self._locked():
            keys = self._read() if self.path.exists() else []
            stamp = timestamp(now)
            kept = [k if k.retired else SigningKey(k.id, k.public_multibase, k.secret_multibase,
                                                   k.created, stamp) for k in keys]
            fresh = new_key(now, {k.id for k in keys})
            self._write([*kept, fresh])
            return fresh

    # --- the file -------------------------------------------------------------------------

    def _check_mode(self, mode: int) -> None:
        if mode & 0o077:
            raise SigningKeyError(
                f"The {self.what} {self.path} may be read or written by group or others "
                f"(mode {stat.S_IMODE(mode):04o}); it holds the register's secret keys. Run: "
                f"chmod 600 {self.path}   (and consider the key exposed: "
                f"`{self.rotate_command}`).")

    def _read(self) -> list[SigningKey]:
        try:
            with open(self.path, "rb") as handle:
                status = os.fstat(handle.fileno())
                self._check_mode(status.st_mode)
                stamp = (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
                parsed = self._parsed
                if parsed is not None and parsed[0] == stamp:
                    return list(parsed[1])
                raw = handle.read()
                # File times tick coarsely (a few ms): a file changed that recently could change
                # again with the same times, so it is only kept once it has been still a while.
                settled = time.time_ns() - status.st_mtime_ns > SETTLED_NS
        except FileNotFoundError:
            raise SigningKeyError(f"There is no {self.what} {self.path}: run "
                                  f"`{self.create_command}` to make one.") from None
        except OSError as exc:
            raise SigningKeyError(f"Cannot read the {self.what} {self.path}: "
                                  f"{exc.strerror}.") from None
        keys = self._parse(raw)
        self._parsed = (stamp, tuple(keys)) if settled else None
        return keys

    def _parse(self, raw: bytes) -> list[SigningKey]:
        try:
            data = json.loads(raw)
            if data.get("format") != self.file_format:
                raise ValueError(f"its format is not {self.file_format!r}")
            keys = [SigningKey(k["id"], k["publicKeyMultibase"], k["secretKeyMultibase"],
                               k["created"], k.get("retired")) for k in data["keys"]]
            for key in keys:
                if encode_public_multikey(public_key_of(key.secret_key)) != key.public_multibase:
                    raise ValueError(f"key {key.id}'s public key does not match its secret")
            if [k.retired for k in keys].count(None) != 1:
                raise ValueError("it must have exactly one current (not retired) key")
        except (ValueError, KeyError, TypeError, AttributeError, DataIntegrityError) as exc:
            raise SigningKeyError(f"The {self.what} {self.path} is not a usable key file "
                                  f"({exc}).") from None
        return keys

    def _write(self, keys: list[SigningKey]) -> None:
        """Write `keys` atomically: a temporary file (mode 0600) in the same folder, flushed to
        disk, renamed over the file, and the folder flushed so the rename survives a crash."""
        folder = self.path.parent
        body = json.dumps({"format": self.file_format, "keys": [k.as_json() for k in keys]},
                          indent=2).encode() + b"\n"
        handle, temporary = tempfile.mkstemp(prefix=".signing-keys-", dir=folder)  # 0600
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the key file's lock (a sibling file) so two rotations never lose a key; makes
        the folder (0700, whatever the umask) when it is absent."""
        folder = self.path.parent
        if not folder.exists():
            folder.mkdir(parents=True, mode=FOLDER_MODE)
            os.chmod(folder, FOLDER_MODE)
        lock = os.open(self.path.with_name(self.path.name + ".lock"),
                       os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
        finally:
            os.close(lock)
