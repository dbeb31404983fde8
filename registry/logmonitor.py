"""The log's witness (SPEC §12, issue 15 item 4): what `licence-registry log monitor` runs.

An outside party keeps the last checkpoint it saw in a state file; each run fetches the
register's signed checkpoint, checks its signature against the keys it trusts, and proves with
RFC 9162 consistency that the new tree only extends the old one. Then it keeps the new one.

- Trust on first use: with no state, the verifier key at /log/key is trusted (or a key the
  operator pins, which /log/key must equal or which the log must announce a rotation from).
- Key rotation: a checkpoint signed by no trusted key is believed only when the log's new
  entries hold a `key` leaf whose "previous" is a trusted key, signed by it (Ed25519 over the
  UTF-8 new key string) and proven included in the new tree. The new key then replaces the
  previous one: a key rotated away (perhaps because it leaked) signs nothing more for us. Only
  the entries since the last checkpoint are searched, so an announcement made while the old
  key still signed checkpoints the monitor already accepted is not found (the register signs
  with the new key from the rotation on).
- From size 0 there is nothing to prove (RFC 9162 has no proof from the empty tree).
- HTTP: a `requests.Session`-like object; no redirect to another host, 10 s per request (also
  as a whole, against a server that drips), and answers of bounded size.

Errors: `LogFailure` (the log failed a check: evidence of misbehaviour, or answers not of the
protocol's shape), `CannotCheck` (the register could not be asked), `StateError` (the state
file cannot be used). The state file is written only after every check passed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from registry.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from registry.logleaf import KEY, LeafError, parse_leaf
from registry.logsigning import KeyLeafError, check_key_leaf
from registry.merkle import EMPTY_ROOT, ProofError, leaf_hash, verify_consistency, verify_inclusion
from registry.signednote import (
    KeyFormatError,
    NoteError,
    UnverifiedNote,
    open_note,
    parse_verifier_key,
)

TIMEOUT = 10.0
MAX_CHECKPOINT_BYTES = 1024 * 1024
MAX_KEY_BYTES = 64 * 1024
MAX_PROOF_BYTES = 1024 * 1024          # 64 hashes of base64 are ~3 KB; room for extensions
MAX_ENTRIES_BYTES = 32 * 1024 * 1024   # 1,000 leaves of a few hundred bytes, in base64
ENTRIES_PER_CALL = 1000
MAX_REDIRECTS = 3
STATE_FORMAT = 1


class MonitorError(Exception):
    """Why a run did not end with a trusted, consistent checkpoint."""


class LogFailure(MonitorError):
    """The log failed a check. `evidence` is the signed note that failed, when there is one."""

    def __init__(self, reason: str, evidence: str | None = None) -> None:
        super().__init__(reason)
        self.evidence = evidence


class CannotCheck(MonitorError):
    """The register could not be asked (network, timeout, an HTTP error status, a redirect
    away from it): nothing was learnt either way."""


class StateError(MonitorError):
    """The state file cannot be read or written, or contradicts the options."""


# --- state ----------------------------------------------------------------------------------

@dataclass
class MonitorState:
    origin: str
    keys: list[str]
    size: int
    root: bytes
    checkpoint: str          # the whole signed note last accepted: the witness's evidence
    seen: str                # when it was accepted (UTC, ISO 8601)
    url: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"format": STATE_FORMAT, "url": self.url, "origin": self.origin,
                "keys": list(self.keys), "size": self.size,
                "root": base64.b64encode(self.root).decode("ascii"),
                "checkpoint": self.checkpoint, "seen": self.seen}


def load_state(path: Path) -> MonitorState | None:
    """The state in `path`; None when there is no such file (the first run)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read the state file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
        state = MonitorState(origin=data["origin"], keys=list(data["keys"]),
                             size=data["size"], root=base64.b64decode(data["root"],
                                                                      validate=True),
                             checkpoint=data["checkpoint"], seen=data["seen"],
                             url=data.get("url", ""))
        for key in state.keys:
            parse_verifier_key(key)
    except (ValueError, KeyError, TypeError, binascii.Error, AttributeError) as exc:
        raise StateError(f"the state file {path} is not a monitor state ({exc}); move it "
                         "away to start again by trusting the register's key") from None
    if (not isinstance(state.size, int) or state.size < 0 or len(state.root) != 32
            or not state.keys or not isinstance(state.origin, str)):
        raise StateError(f"the state file {path} is not a monitor state (size, root or keys)")
    return state


def save_state(path: Path, state: MonitorState) -> None:
    """Write `state` atomically: a temporary file beside `path`, flushed, then renamed."""
    text = json.dumps(state.to_json(), ensure_ascii=False, indent=2) + "\n"
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StateError(f"cannot write the state file {path}: {exc.strerror or exc}") from None


# --- HTTP -----------------------------------------------------------------------------------

def log_url(url: str) -> str:
    """The log's own URL (`…/log`) of a register's base URL, or of that URL itself."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL of a register")
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r}: give the register's base URL, without ?query or #fragment")
    path = parts.path.rstrip("/")
    if not path.endswith("/log"):
        path += "/log"
    return f"{parts.scheme}://{parts.netloc}{path}"


def _b64(value: Any, what: str) -> bytes:
    try:
        if not isinstance(value, str):
            raise TypeError
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (TypeError, binascii.Error, UnicodeEncodeError):
        raise LogFailure(f"{what} is not base64: {str(value)[:60]!r}") from None


class LogClient:
    """The five /log routes of one register, over `session` (requests.Session-like)."""

    def __init__(self, session: Any, url: str, timeout: float = TIMEOUT) -> None:
        self.session = session
        self.url = log_url(url)
        self.timeout = timeout
        self._origin = urlsplit(self.url)

    def get(self, path: str, limit: int, params: dict[str, int] | None = None) -> bytes:
        import requests

        url = f"{self.url}/{path}"
        deadline = time.monotonic() + self.timeout
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                with self.session.get(url, params=params, timeout=self.timeout,
                                      allow_redirects=False, stream=True) as response:
                    if response.is_redirect:
                        url = self._same_host(url, response.headers.get("Location", ""))
                        params = None          # the Location holds the whole URL
                        continue
                    if response.status_code != 200:
                        raise CannotCheck(f"{url} answered HTTP {response.status_code}")
                    return self._body(response, url, limit, deadline)
            except requests.RequestException as exc:
                raise CannotCheck(f"cannot reach {url}: {exc.__class__.__name__}: "
                                  f"{exc}") from None
        raise CannotCheck(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _same_host(self, url: str, location: str) -> str:
        target = urlsplit(urljoin(url, location))
        here = self._origin
        upgrade = (here.scheme, target.scheme) == ("http", "https")
        same_port = target.port == here.port or (upgrade and target.port in (None, 443))
        if (target.hostname != here.hostname or not same_port
                or target.scheme not in (here.scheme, "https")):
            raise CannotCheck(f"{url} redirects to {target.geturl()[:200]}, away from the "
                              "register: not followed")
        return target.geturl()

    def _body(self, response: Any, url: str, limit: int, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise LogFailure(f"{url} sent {declared} bytes; at most {limit} are read")
        body = bytearray()
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > limit:
                raise LogFailure(f"{url} sent more than {limit} bytes; refused")
            if time.monotonic() > deadline:
                raise CannotCheck(f"{url} took more than {self.timeout:.0f} s")
        return bytes(body)

    def json(self, path: str, limit: int, params: dict[str, int]) -> dict[str, Any]:
        raw = self.get(path, limit, params)
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise LogFailure(f"{self.url}/{path} did not answer JSON") from None
        if not isinstance(value, dict):
            raise LogFailure(f"{self.url}/{path} did not answer a JSON object")
        return value

    def checkpoint(self) -> bytes:
        return self.get("checkpoint", MAX_CHECKPOINT_BYTES)

    def key(self) -> str:
        try:
            return self.get("key", MAX_KEY_BYTES).decode("utf-8").strip()
        except UnicodeDecodeError:
            raise LogFailure(f"{self.url}/key is not UTF-8 text") from None

    def _hashes(self, path: str, params: dict[str, int]) -> list[bytes]:
        answer = self.json(path, MAX_PROOF_BYTES, params)
        for name, value in params.items():
            if answer.get(name) != value:
                raise LogFailure(f"{self.url}/{path} answered {name}={answer.get(name)!r}, "
                                 f"not the {value} asked for")
        hashes = answer.get("hashes")
        if not isinstance(hashes, list):
            raise LogFailure(f"{self.url}/{path} has no list of hashes")
        return [_b64(item, f"proof hash {n}") for n, item in enumerate(hashes)]

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        return self._hashes("proof/consistency", {"first": first, "second": second})

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return self._hashes("proof/inclusion", {"index": index, "size": size})

    def entries(self, start: int, end: int) -> Iterator[tuple[int, bytes]]:
        """(index, leaf bytes) of entries [start, end), in order, asked for in pages."""
        at = start
        while at < end:
            upto = min(end, at + ENTRIES_PER_CALL)
            answer = self.json("entries", MAX_ENTRIES_BYTES, {"start": at, "end": upto})
            listed = answer.get("entries")
            if not isinstance(listed, list) or not listed:
                raise LogFailure(f"{self.url}/entries?start={at}&end={upto} lists no entries")
            for item in listed[: upto - at]:
                if not isinstance(item, dict) or item.get("index") != at:
                    raise LogFailure(f"{self.url}/entries: entry {at} is missing or out of "
                                     "order")
                yield at, _b64(item.get("leaf"), f"the leaf of entry {at}")
                at += 1


# --- the run --------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What a successful run established, for the report."""

    state: MonitorState
    previous_size: int | None              # None on the first run
    trusted_first: str | None = None       # the key trusted on first use (or pinned)
    rotations: list[str] = field(default_factory=list)   # keys learnt from the log


def _unverified_checkpoint(note: bytes) -> Checkpoint:
    """The checkpoint a note claims, before any signature is believed (to find its size)."""
    text = note.decode("utf-8", errors="replace")
    split = text.rfind("\n\n")
    try:
        return parse_checkpoint(text[: split + 1] if split >= 0 else text)
    except CheckpointError as exc:
        raise LogFailure(f"the checkpoint is not a checkpoint: {exc}") from None


def _learn_keys(client: LogClient, keys: list[str], start: int, claimed: Checkpoint,
                rotations: list[str]) -> list[str]:
    """The trusted keys after the rotations the entries [start, claimed.size) announce: each
    signed by a trusted key and included in the claimed tree (LogFailure otherwise)."""
    trusted = list(keys)
    for index, leaf in client.entries(start, claimed.size):
        try:
            fields = json.loads(leaf.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue                   # not JSON: not ours to read, and not a key leaf
        if not isinstance(fields, dict) or fields.get("kind") != KEY:
            continue
        previous = fields.get("previous")
        if previous not in trusted:
            continue
        try:
            announced = parse_leaf(leaf)
            if announced.index != index:
                raise LeafError(f"it says it is entry {announced.index}")
            new_key = check_key_leaf(announced, previous)
        except (LeafError, KeyLeafError) as exc:
            raise LogFailure(f"entry {index} announces a rotation from a trusted key that "
                             f"does not hold: {exc}") from None
        try:
            verify_inclusion(leaf_hash(leaf), index, claimed.size,
                             client.inclusion_proof(index, claimed.size), claimed.root_hash)
        except ProofError as exc:
            raise LogFailure(f"the key leaf at entry {index} is not proven included in the "
                             f"tree of {claimed.size}: {exc}") from None
        trusted[trusted.index(previous)] = new_key
        rotations.append(new_key)
    return trusted


def _open(client: LogClient, note: bytes, keys: list[str], start: int,
          rotations: list[str]) -> tuple[Checkpoint, list[str]]:
    """The verified checkpoint of `note` and the keys trusted from now on."""
    evidence = note.decode("utf-8", errors="replace")
    try:
        try:
            opened = open_note(note, keys)
        except UnverifiedNote:
            claimed = _unverified_checkpoint(note)
            if claimed.size < start:
                raise LogFailure(f"the checkpoint is signed by no trusted key (and its tree "
                                 f"of {claimed.size} is smaller than {start})",
                                 evidence) from None
            learnt = _learn_keys(client, keys, start, claimed, rotations)
            if learnt == keys:
                raise LogFailure(f"the checkpoint is signed by no trusted key, and entries "
                                 f"{start}..{claimed.size} announce no rotation from one",
                                 evidence) from None
            keys = learnt
            opened = open_note(note, keys)
        return parse_checkpoint(opened.text), keys
    except NoteError as exc:
        raise LogFailure(f"the checkpoint's signature: {exc}", evidence) from None
    except CheckpointError as exc:
        raise LogFailure(f"the checkpoint is not a checkpoint: {exc}", evidence) from None


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def first_run(client: LogClient, pinned_key: str | None = None) -> Outcome:
    """Trust /log/key (or `pinned_key`) and accept the checkpoint it signs."""
    served = client.key()
    trusted = pinned_key or served
    try:
        parse_verifier_key(trusted)
    except KeyFormatError as exc:
        raise LogFailure(f"{client.url}/key is not a verifier key: {exc}") from None
    note = client.checkpoint()
    rotations: list[str] = []
    checkpoint, keys = _open(client, note, [trusted], 0, rotations)
    if served not in keys:
        raise LogFailure(f"{client.url}/key is {served[:100]}, which is neither the pinned key "
                         "nor announced in the log by it")
    state = MonitorState(checkpoint.origin, keys, checkpoint.size, checkpoint.root_hash,
                         note.decode("utf-8"), _now(), client.url)
    return Outcome(state, None, trusted, rotations)


def next_run(client: LogClient, state: MonitorState) -> Outcome:
    """Check the register's checkpoint against `state`: trusted signature, same origin, and
    an append-only extension of the last tree."""
    note = client.checkpoint()
    evidence = note.decode("utf-8", errors="replace")
    rotations: list[str] = []
    checkpoint, keys = _open(client, note, state.keys, state.size, rotations)
    if checkpoint.origin != state.origin:
        raise LogFailure(f"the checkpoint is of the log {checkpoint.origin!r}, not of "
                         f"{state.origin!r}", evidence)
    if checkpoint.size < state.size:
        raise LogFailure(f"the log shrank from {state.size} to {checkpoint.size} entries",
                         evidence)
    if checkpoint.size == state.size:
        if checkpoint.root_hash != state.root:
            raise LogFailure(f"the log forked: a tree of {state.size} entries with another "
                             "root hash than the one seen", evidence)
    elif state.size > 0:
        proof = client.consistency_proof(state.size, checkpoint.size)
        try:
            verify_consistency(state.size, checkpoint.size, state.root, checkpoint.root_hash,
                               proof)
        except ProofError as exc:
            raise LogFailure(f"the tree of {checkpoint.size} does not extend the tree of "
                             f"{state.size} seen before (history rewritten?): {exc}",
                             evidence) from None
    elif state.root != EMPTY_ROOT:
        raise StateError("the state's tree of 0 entries has a root hash other than the empty "
                         "tree's")
    new_state = MonitorState(state.origin, keys, checkpoint.size, checkpoint.root_hash,
                             note.decode("utf-8"), _now(), client.url)
    return Outcome(new_state, state.size, None, rotations)


def monitor(client: LogClient, state_path: Path, pinned_key: str | None = None) -> Outcome:
    """One run: check the register's checkpoint against the state in `state_path` (trusting
    on first use when there is none), and save the new state only when every check passed."""
    state = load_state(state_path)
    if state is None:
        outcome = first_run(client, pinned_key)
    else:
        if pinned_key is not None and pinned_key not in state.keys:
            raise StateError(f"--key {pinned_key[:80]} is not a key the state file "
                             f"{state_path} trusts ({', '.join(state.keys)}); --key pins the "
                             "key of a first run only")
        outcome = next_run(client, state)
    save_state(state_path, outcome.state)
    return outcome
