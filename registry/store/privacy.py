"""Which graphs are private, and the guard that keeps them out of the main store.

The public SPARQL endpoint reads the main store with the union of all its graphs as the default
graph, so the main store must hold public data only. Private graphs live in a store of their
own (`Repository.private`):

- `{BASE}/graph/private` and `{BASE}/graph/private/…`: agency key hashes, upload reports;
- `urn:x-licence-registry:…`: the store's own bookkeeping (the remote write lease).

The rule needs no `{BASE}`: the first `/graph/` segment of the IRI's path is the one minted by
`identifiers.graph_iri`, so `{BASE}/graph/licence/graph/private/1` (issuer `graph`, type
`private`) stays public.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import pyoxigraph as ox

BOOKKEEPING_PREFIX = "urn:x-licence-registry:"
_PRIVATE_SEGMENT = "private"

# Every N-Quads line that puts a quad in a private graph holds one of these: the first two as
# pyoxigraph writes IRIs, a backslash when an IRI is spelled with \u escapes. (A single byte is
# searched with memchr, ten times faster than "\\u"; the few literals with escaped quotes that
# it also finds are parsed and pass.)
_NEEDLES = (b"/graph/private", BOOKKEEPING_PREFIX.encode(), b"\\")


def is_private_graph(iri: str) -> bool:
    """True for a graph that must never be in the main store (nor published)."""
    if iri.startswith(BOOKKEEPING_PREFIX):
        return True
    _, found, rest = urlsplit(iri).path.partition("/graph/")
    return bool(found) and (rest == _PRIVATE_SEGMENT or rest.startswith(_PRIVATE_SEGMENT + "/"))


def is_private_quad(quad: ox.Quad) -> bool:
    return isinstance(quad.graph_name, ox.NamedNode) and is_private_graph(quad.graph_name.value)


def _line_is_private(line: bytes) -> bool:
    """Whether one N-Quads line writes a private graph. Only lines holding a needle are parsed;
    a line that does not parse is left to the store, which refuses the whole payload."""
    if not any(needle in line for needle in _NEEDLES):
        return False
    try:
        return any(is_private_quad(q) for q in ox.parse(line, format=ox.RdfFormat.N_QUADS))
    except SyntaxError:
        return False


def _lines_with_needles(data: bytes | mmap.mmap) -> Iterator[bytes]:
    """The lines of `data` holding a needle, found by substring search (fast on large files)."""
    for needle in _NEEDLES:
        start = data.find(needle)
        while start != -1:
            begin = data.rfind(b"\n", 0, start) + 1
            end = data.find(b"\n", start)
            end = len(data) if end == -1 else end
            yield data[begin:end]
            start = data.find(needle, end)


def _payload_writes_private(part: bytes | Path) -> bool:
    if isinstance(part, bytes):
        return any(_line_is_private(line) for line in _lines_with_needles(part))
    with open(part, "rb") as handle:
        if not handle.seek(0, 2):
            return False                  # mmap refuses an empty file
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return any(_line_is_private(line) for line in _lines_with_needles(data))


def private_graphs_named(replace: Iterable[str], parts: Iterable[bytes | Path]) -> list[str]:
    """The private graphs a change set names in `replace`, plus `"(payload)"` when its payload
    writes one (the payload should write only graphs it names, but that is what is checked)."""
    found = sorted(g for g in replace if is_private_graph(g))
    if any(_payload_writes_private(part) for part in parts):
        found.append("(payload)")
    return found


def split_nquads(source: Iterable[bytes], public: IO[bytes], private: IO[bytes]
                 ) -> tuple[int, int]:
    """Copy N-Quads lines (one quad a line, as `backup` writes them) to `public` or `private`
    by the rule above; the number of lines written to each."""
    counts = [0, 0]
    for line in source:
        if not line.strip():
            continue
        is_private = _line_is_private(line)
        (private if is_private else public).write(line if line.endswith(b"\n") else line + b"\n")
        counts[is_private] += 1
    return counts[0], counts[1]
