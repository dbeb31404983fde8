"""The register's Merkle log in the store (SPEC §12, issue 15): appended in the SAME change set
as the versions it records, and read back for checkpoints, entries and proofs.

Layout (public graphs of the main store; the log is published anyway):

- `{BASE}/graph/log`: `<{BASE}/log> clc:treeSize N ; clc:rootHash "base64"` — the head;
- tiles of stored hashes (C2SP tlog-tiles' geometry, height 8): `{BASE}/graph/log/tile/{L}/{t}`
  holds `<{BASE}/log/tile/{L}/{t}> clc:tileHashes "base64"`, up to 256 concatenated 32-byte
  hashes: the tree-level-8L node hashes with indices [256t, 256t + 256). Level 0 holds the
  leaf hashes; a tile that fills up gives its root to the tile level above;
- entry bundles: `{BASE}/graph/log/entries/{t}` holds `<{BASE}/log/entries/{t}> clc:logEntries
  "…"`, the leaf bytes of entries [256t, 256t + 256) joined by newlines (canonical JSON never
  holds a raw newline);
- each licence version's graph: `<licence> clc:logIndex N`, beside its version metadata.

An append rewrites only the head and the last (partial) tile of each level and the last bundle:
a ChangeSet replaces whole graphs, and these stay small (at most 256 hashes or entries). A
stored hash never changes once written (the tree only grows), so a proof for an older tree size
reads the same tiles. Any node the proofs need, `hash_at(level, index)`, is one tile read plus
at most 127 hashes (its complete subtree inside the tile); a proof at 1,000,000 entries reads a
handful of tiles.

Why appending is atomic with the change: registry/statusstore.py's docstring — one ChangeSet,
journalled by the embedded store and sent as one SPARQL Update to a remote one.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pyoxigraph as ox

from registry import identifiers, logleaf, merkle
from registry.store import ChangeSet, Repository

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
_CLC = "https://w3id.org/clc/def#"
TREE_SIZE = _CLC + "treeSize"
ROOT_HASH = _CLC + "rootHash"
TILE_HASHES = _CLC + "tileHashes"
LOG_ENTRIES = _CLC + "logEntries"
LOG_INDEX = _CLC + "logIndex"
_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


def log_iri(base: str) -> str:
    return f"{base}/log"


def head_graph_iri(base: str) -> str:
    return identifiers.graph_iri(base, "log")


def tile_iri(base: str, level: int, number: int) -> str:
    return f"{base}/log/tile/{level}/{number}"


def tile_graph_iri(base: str, level: int, number: int) -> str:
    return identifiers.graph_iri(base, f"log/tile/{level}/{number}")


def bundle_iri(base: str, number: int) -> str:
    return f"{base}/log/entries/{number}"


def bundle_graph_iri(base: str, number: int) -> str:
    return identifiers.graph_iri(base, f"log/entries/{number}")


def index_line(licence_iri: str, graph_iri: str, index: int) -> str:
    """The version graph's N-Quads line naming the log entry that records it."""
    return f'<{licence_iri}> <{LOG_INDEX}> "{index}"^^<{_INTEGER}> <{graph_iri}> .'


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _split_hashes(data: bytes) -> list[bytes]:
    return [data[i:i + merkle.HASH_SIZE] for i in range(0, len(data), merkle.HASH_SIZE)]


class _Stored:
    """Reads of the log's graphs, each tile and bundle read once per instance."""

    def __init__(self, repo: Repository, base: str):
        self.repo = repo
        self.base = base
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def size(self) -> int:
        found = self.repo.objects(log_iri(self.base), TREE_SIZE, head_graph_iri(self.base))
        return int(found[0].value) if found else 0

    def stored_root(self) -> bytes | None:
        found = self.repo.objects(log_iri(self.base), ROOT_HASH, head_graph_iri(self.base))
        return base64.b64decode(found[0].value) if found else None

    def tile(self, level: int, number: int) -> list[bytes]:
        held = self._tiles.get((level, number))
        if held is None:
            found = self.repo.objects(tile_iri(self.base, level, number), TILE_HASHES,
                                      tile_graph_iri(self.base, level, number))
            held = _split_hashes(base64.b64decode(found[0].value)) if found else []
            self._tiles[(level, number)] = held
        return held

    def bundle(self, number: int) -> list[bytes]:
        found = self.repo.objects(bundle_iri(self.base, number), LOG_ENTRIES,
                                  bundle_graph_iri(self.base, number))
        return [line.encode("utf-8") for line in found[0].value.split("\n")] if found else []

    def hash_at(self, level: int, index: int) -> bytes:
        """The root of the complete subtree of 2**level leaves starting at leaf
        index * 2**level (merkle.py's interface)."""
        tile_level, within = divmod(level, TILE_HEIGHT)
        first = index << within
        count = 1 << within
        number, offset = divmod(first, TILE_WIDTH)
        hashes = self.tile(tile_level, number)[offset:offset + count]
        if len(hashes) < count:
            raise merkle.ProofError(f"the log holds no complete subtree at level {level}, "
                                    f"index {index}")
        return hashes[0] if count == 1 else merkle.root_hash(hashes)


class LogReader:
    """The log as stored: its size, roots, entries and proofs (for the routes and the tools)."""

    def __init__(self, repo: Repository, base: str):
        self._stored = _Stored(repo, base)

    def size(self) -> int:
        return self._stored.size()

    def head(self) -> tuple[int, bytes]:
        """(size, root) as the head graph holds them, read in ONE query, so that a commit
        between two reads cannot pair one size with another's root (a checkpoint)."""
        stored = self._stored
        rows = stored.repo.select(
            f"SELECT ?g ?log ?size ?root WHERE {{ GRAPH ?g {{ ?log <{TREE_SIZE}> ?size ; "
            f"<{ROOT_HASH}> ?root }} }}",
            {"g": ox.NamedNode(head_graph_iri(stored.base)),
             "log": ox.NamedNode(log_iri(stored.base))})
        if not rows:
            return 0, merkle.EMPTY_ROOT
        return int(rows[0]["size"].value), base64.b64decode(rows[0]["root"].value)

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the tree of `size` entries (the whole log when None)."""
        current = self.size()
        if size is None or size == current:
            stored = self._stored.stored_root()
            if stored is not None or current == 0:
                return stored or merkle.EMPTY_ROOT
            size = current
        self._within(size, current)
        return merkle.tree_root(size, self._stored.hash_at)

    def hash_at(self, level: int, index: int) -> bytes:
        return self._stored.hash_at(level, index)

    def entries(self, start: int, end: int) -> list[bytes]:
        """The leaf bytes of entries [start, end), as far as the log reaches."""
        found: list[bytes] = []
        for number in range(start // TILE_WIDTH, (max(end, start + 1) - 1) // TILE_WIDTH + 1):
            bundle = self._stored.bundle(number)
            first = number * TILE_WIDTH
            found.extend(bundle[max(start - first, 0):max(end - first, 0)])
        return found

    def record_hashes(self, wanted: dict[int, str]) -> dict[int, str]:
        """For each `index: licence IRI` wanted, the record hash its licence-version leaf holds
        (what the commit tells an unchanged re-upload by), each bundle read once; an index
        whose leaf is missing, of another kind or of another licence is left out."""
        found: dict[int, str] = {}
        by_bundle: dict[int, list[int]] = {}
        for index in wanted:
            by_bundle.setdefault(index // TILE_WIDTH, []).append(index)
        for number, indices in by_bundle.items():
            bundle = self._stored.bundle(number)
            for index in indices:
                offset = index - number * TILE_WIDTH
                if offset >= len(bundle):
                    continue
                try:
                    leaf = logleaf.parse_leaf(bundle[offset])
                except logleaf.LeafError:
                    continue
                if leaf.kind == logleaf.LICENCE_VERSION and leaf.index == index \
                        and leaf.licence == wanted[index] and leaf.sha256:
                    found[index] = leaf.sha256
        return found

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        self._within(size, self.size())
        return merkle.inclusion_proof(index, size, self._stored.hash_at)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        self._within(second, self.size())
        return merkle.consistency_proof(first, second, self._stored.hash_at)

    @staticmethod
    def _within(size: int, current: int) -> None:
        if not 0 <= size <= current:
            raise merkle.ProofError(f"the log has {current} entries, not {size}")


class LogBook:
    """The log work of one commit: read the log's head and last tiles from `repo` (inside
    `repo.writing()`), take appended leaves, and give back the graphs to replace and their
    lines, to go into the commit's one change set."""

    def __init__(self, repo: Repository, base: str):
        self.base = base
        self._stored = _Stored(repo, base)
        self.start = self._stored.size()
        self._leaves: list[bytes] = []

    @property
    def next_index(self) -> int:
        """The index the next appended leaf takes (its leaf bytes must say so)."""
        return self.start + len(self._leaves)

    def append(self, leaf: bytes) -> int:
        """Append one leaf (canonical bytes whose index is `next_index`); its index."""
        index = self.next_index
        self._leaves.append(leaf)
        return index

    def change(self) -> tuple[list[str], list[str]]:
        """(graphs to replace, their N-Quads lines): the head, every tile and bundle the new
        leaves touch. Empty when nothing was appended."""
        if not self._leaves:
            return [], []
        end = self.next_index
        graphs: list[str] = []
        lines: list[str] = []
        written: dict[tuple[int, int], list[bytes]] = {}
        new = [merkle.leaf_hash(leaf) for leaf in self._leaves]
        level = 0
        while new:
            before = self.start >> (TILE_HEIGHT * level)
            first_tile = before // TILE_WIDTH
            held = self._stored.tile(level, first_tile)[:before - first_tile * TILE_WIDTH]
            hashes = held + new
            new = []
            for offset in range(0, len(hashes), TILE_WIDTH):
                number = first_tile + offset // TILE_WIDTH
                tile = hashes[offset:offset + TILE_WIDTH]
                written[(level, number)] = tile
                self._add(graphs, lines, tile_graph_iri(self.base, level, number),
                          tile_iri(self.base, level, number), TILE_HASHES, b64(b"".join(tile)))
                if len(tile) == TILE_WIDTH:       # full now (it was not before: it is written)
                    new.append(merkle.root_hash(tile))
            level += 1
        self._add_bundles(graphs, lines)
        root = merkle.tree_root(end, _Overlay(written, self._stored).hash_at)
        head = head_graph_iri(self.base)
        graphs.append(head)
        lines.append(f'<{log_iri(self.base)}> <{TREE_SIZE}> "{end}"^^<{_INTEGER}> <{head}> .')
        lines.append(f'<{log_iri(self.base)}> <{ROOT_HASH}> "{b64(root)}" <{head}> .')
        return graphs, lines

    def _add_bundles(self, graphs: list[str], lines: list[str]) -> None:
        first_bundle = self.start // TILE_WIDTH
        held = self._stored.bundle(first_bundle)[:self.start - first_bundle * TILE_WIDTH]
        leaves = held + self._leaves
        for offset in range(0, len(leaves), TILE_WIDTH):
            number = first_bundle + offset // TILE_WIDTH
            text = b"\n".join(leaves[offset:offset + TILE_WIDTH]).decode("utf-8")
            self._add(graphs, lines, bundle_graph_iri(self.base, number),
                      bundle_iri(self.base, number), LOG_ENTRIES, text)

    @staticmethod
    def _add(graphs: list[str], lines: list[str], graph: str, subject: str, predicate: str,
             text: str) -> None:
        graphs.append(graph)
        lines.append(f"<{subject}> <{predicate}> {ox.Literal(text)} <{graph}> .")


class _Overlay(_Stored):
    """The stored tiles with this commit's tiles over them: the new tree's root."""

    def __init__(self, written: dict[tuple[int, int], list[bytes]], stored: _Stored):
        super().__init__(stored.repo, stored.base)
        self._tiles = {**stored._tiles, **written}


def append_leaves(repo: Repository, base: str,
                  make_leaves: Callable[[int], list[bytes]]) -> list[int]:
    """Append the leaves `make_leaves(first_index)` gives, in a change set of their own (a key
    rotation's announcement); their indices."""
    with repo.writing():
        book = LogBook(repo, base)
        indices = [book.append(leaf) for leaf in make_leaves(book.next_index)]
        graphs, lines = book.change()
        if graphs:
            repo.apply(ChangeSet(replace=graphs, payload="".join(
                line + "\n" for line in lines).encode("utf-8")))
    return indices
