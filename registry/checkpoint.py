"""C2SP transparency-log checkpoints (https://c2sp.org/tlog-checkpoint; SPEC §12).

The text of the signed note at `/log/checkpoint` (registry/signednote.py wraps it):

    <origin>
    <tree size, ASCII decimal, no leading zero>
    <base64 of the 32-byte RFC 9162 root hash>
    [extension lines, each non-empty]

each line ending with a newline. `parse_checkpoint` is strict, as a monitor must be: exactly
that shape, a size in 0..2**63-1 (what every Go client reads), one canonical base64 spelling
of exactly 32 bytes.

The register's origin is `log_origin(BASE_IRI)`: the base IRI without its scheme, then `/log`,
i.e. the schema-less URL of the log's own endpoints. `https://clc.example.go.th` →
`clc.example.go.th/log`; a port stays as written (`http://127.0.0.1:8000` →
`127.0.0.1:8000/log`) unless it is the scheme's default (`:443` for https, `:80` for http,
dropped so one register keeps one origin); a path stays (`https://gov.example/clc` →
`gov.example/clc/log`). A host is lowercase and, when not ASCII, in its IDNA (xn--) form, as
registry/didweb.py writes it. The origin is also the log key's name (the spec's SHOULD), so it
must obey key names' rules: a base whose path has a '+' or a space is refused.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import urlsplit

from registry.signednote import KeyFormatError, check_key_name

HASH_BYTES = 32
MAX_TREE_SIZE = 2**63 - 1
_SIZE = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_DEFAULT_PORTS = {"https": 443, "http": 80}


class CheckpointError(ValueError):
    """Not a checkpoint (the reason is in the message)."""


class Checkpoint(NamedTuple):
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()


def format_checkpoint(origin: str, size: int, root_hash: bytes,
                      extensions: Iterable[str] = ()) -> str:
    """The checkpoint text (ending with a newline) of a tree of `size` leaves and its root."""
    _check_origin(origin)
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_TREE_SIZE:
        raise CheckpointError(f"a tree size is an integer in 0..{MAX_TREE_SIZE}, not {size!r}")
    if not isinstance(root_hash, bytes) or len(root_hash) != HASH_BYTES:
        raise CheckpointError(f"a root hash is {HASH_BYTES} bytes")
    extra = tuple(extensions)
    for line in extra:
        _check_line(line, "an extension line")
    lines = [origin, str(size), base64.b64encode(root_hash).decode("ascii"), *extra]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint `text` writes; CheckpointError unless it is exactly of that shape."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise CheckpointError("a checkpoint ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint has an origin, a tree size and a root hash")
    origin, size_line, root_line, *extensions = lines
    _check_origin(origin)
    if not _SIZE.fullmatch(size_line) or int(size_line) > MAX_TREE_SIZE:
        raise CheckpointError(f"a tree size is a decimal number with no leading zero in "
                              f"0..{MAX_TREE_SIZE}: {size_line[:30]!r}")
    root = _root_hash(root_line)
    for line in extensions:
        _check_line(line, "an extension line")
    return Checkpoint(origin, int(size_line), root, tuple(extensions))


def log_origin(base_iri: str) -> str:
    """The origin line (and log key name) of the register at `base_iri`: `{host}/log`, with
    a non-default port and the base's path kept (see the module's docstring)."""
    parts = urlsplit(base_iri)
    host = parts.hostname
    if not host:
        raise ValueError(f"the base IRI {base_iri!r} has no host")
    try:
        name = host.encode("idna").decode("ascii") if ":" not in host else f"[{host}]"
        port = parts.port
    except (UnicodeError, ValueError):
        raise ValueError(f"the host of the base IRI {base_iri!r} is not valid") from None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        name += f":{port}"
    origin = name + parts.path.rstrip("/") + "/log"
    try:
        check_key_name(origin)
    except KeyFormatError:
        raise ValueError(f"the base IRI {base_iri!r} gives the log origin {origin!r}, which as "
                         "a key name may have no '+' or space") from None
    return origin


def _check_origin(origin: str) -> None:
    # The spec's MUST is "non-empty"; no '+' or space is only its SHOULD, so a parsed
    # checkpoint of another log may have them (log_origin's own never does).
    _check_line(origin, "the origin")


def _check_line(line: str, what: str) -> None:
    if not isinstance(line, str) or not line:
        raise CheckpointError(f"{what} must be a non-empty line")
    if any(ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF for ch in line):
        raise CheckpointError(f"{what} must be one line of text without control characters")


def _root_hash(line: str) -> bytes:
    try:
        root = base64.b64decode(line.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise CheckpointError(f"a root hash is base64: {line[:60]!r}") from None
    if len(root) != HASH_BYTES or base64.b64encode(root).decode("ascii") != line:
        raise CheckpointError(f"a root hash is the base64 of {HASH_BYTES} bytes: {line[:60]!r}")
    return root
