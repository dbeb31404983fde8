"""`licence-registry log verify`: the Merkle log checked against the store it records (SPEC §12,
issue 15 item 4). Every leaf is read back and parsed; the tree is recomputed from the leaves
and must give the stored root and the stored leaf-level tiles; every licence-version leaf must
be the leaf of a version graph the store holds (its SHA-256 recomputed from the graph, its
version, time and upload), and every version graph must name, by its `clc:logIndex`, the leaf
that records it; every upload leaf is recomputed from its upload graph; key leaves must each be
signed by the key before them.

Recomputing the versions' hashes is the slow part (one per version graph): `version_hashes`
is the engine that does it, a function (repo, base, progress) -> (graph IRI, licence IRI,
version, sha256) for every version graph; by default registry/logverifyread.py's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from registry import logleaf, logstore, logverifyread, merkle
from registry.loginit import StoredVersion, stored_uploads, stored_versions
from registry.logleaf import Leaf, LeafError
from registry.logsigning import KeyLeafError, check_key_leaf
from registry.store import Repository

Progress = Callable[[int], None]
VersionHashes = Callable[[Repository, str, Progress | None],
                         Iterable[tuple[str, str, int, str]]]


@dataclass(frozen=True)
class Problem:
    """One disagreement: at log entry `index` and/or about `licence` version `version`."""

    text: str
    index: int | None = None
    licence: str | None = None
    version: int | None = None

    def __str__(self) -> str:
        where = []
        if self.licence is not None:
            where.append(f"{self.licence} version {self.version}")
        if self.index is not None:
            where.append(f"log entry {self.index}")
        return f"{', '.join(where)}: {self.text}" if where else self.text


@dataclass
class LogCheck:
    """What `check_log` found: the log's size and root, its entries by kind, and problems."""

    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    versions: int = 0
    uploads: int = 0
    keys: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def stored_version_hashes(repo: Repository, base: str, progress: Progress | None = None, *,
                          processes: int | None = None) -> Iterable[tuple[str, str, int, str]]:
    """(graph, licence, version, sha256) of every version graph, recomputed by
    registry/logverifyread.py (`processes` processes over a read-only checkpoint, every core
    when None, or SPARQL for a remote store). A graph no leaf can be made of yields the sha256
    "" (a mismatch)."""
    told = [0]

    def advanced(done: int, _total: int) -> None:     # the engine counts; `progress` adds
        if progress is not None and done > told[0]:
            progress(done - told[0])
            told[0] = done

    for found in logverifyread.version_hashes(repo, base, processes=processes,
                                              progress=advanced):
        yield found.graph, found.licence, found.version, found.sha256


def check_log(repo: Repository, base: str, *, version_hashes: VersionHashes | None = None,
              progress: Progress | None = None,
              on_total: Callable[[int], None] | None = None,
              processes: int | None = None) -> LogCheck:
    """Check the log of the store at `base` against the store (this module's docstring).
    `on_total(n)` is told how many steps (entries, then version graphs) `progress(k)` counts;
    `processes` read the store's versions (every core when None)."""
    engine = version_hashes or functools.partial(stored_version_hashes, processes=processes)
    reader = logstore.LogReader(repo, base)
    found = LogCheck(size=reader.size(), root=reader.root())
    versions = stored_versions(repo, base)
    if on_total is not None:
        on_total(found.size + len(versions))
    leaves = _read_entries(reader, found, progress)
    _check_versions(repo, base, leaves, versions, engine, found, progress)
    _check_uploads(repo, base, leaves, found)
    return found


def _read_entries(reader: logstore.LogReader, found: LogCheck,
                  progress: Progress | None) -> list[Leaf | None]:
    """Every entry parsed (None where unreadable), the tree recomputed from them and compared
    with the stored tiles and root, and the key leaves' chain checked."""
    leaves: list[Leaf | None] = []
    hashes: list[bytes] = []
    complete = True
    for start in range(0, found.size, logstore.TILE_WIDTH):
        end = min(start + logstore.TILE_WIDTH, found.size)
        entries = reader.entries(start, end)
        if len(entries) != end - start:
            found.problems.append(Problem(
                f"the log's entry bundle {start // logstore.TILE_WIDTH} holds {len(entries)} "
                f"entries, not {end - start} (entries {start}..{end - 1}): entries are missing",
                index=start + len(entries)))
            complete = False
            entries = entries + [b""] * (end - start - len(entries))
        for index, data in enumerate(entries[:end - start], start):
            hashes.append(merkle.leaf_hash(data))
            leaves.append(_parsed(data, index, found))
        if progress is not None:
            progress(end - start)
    _check_tree(reader, hashes, complete, found)
    _check_key_chain(leaves, found)
    return leaves


def _parsed(data: bytes, index: int, found: LogCheck) -> Leaf | None:
    try:
        leaf = logleaf.parse_leaf(data)
    except LeafError as error:
        found.problems.append(Problem(f"not a well-formed leaf ({error})", index=index))
        return None
    if leaf.index != index:
        found.problems.append(Problem(f"the leaf says it is entry {leaf.index}", index=index))
    kind = {logleaf.LICENCE_VERSION: "versions", logleaf.UPLOAD: "uploads", logleaf.KEY: "keys"}
    setattr(found, kind[leaf.kind], getattr(found, kind[leaf.kind]) + 1)
    return leaf


def _check_tree(reader: logstore.LogReader, hashes: list[bytes], complete: bool,
                found: LogCheck) -> None:
    """The stored leaf-level tiles must hold the entries' hashes, and the stored root must be
    the root of the tree of the entries (which covers every higher tile a proof reads)."""
    mismatched = []
    for index, expected in enumerate(hashes):
        try:
            stored = reader.hash_at(0, index)
        except merkle.ProofError:
            stored = None
        if stored != expected:
            mismatched.append(index)
    if mismatched:
        shown = ", ".join(str(i) for i in mismatched[:10])
        found.problems.append(Problem(
            f"the stored leaf hashes (tiles of level 0) differ from the hashes of the entries "
            f"at {len(mismatched)} entr{'y' if len(mismatched) == 1 else 'ies'} ({shown}"
            f"{', …' if len(mismatched) > 10 else ''})", index=mismatched[0]))
    if complete and merkle.root_hash(hashes) != found.root:
        found.problems.append(Problem(
            f"the stored root hash {logstore.b64(found.root)} is not the root of the tree of the "
            f"log's {found.size} entries ({logstore.b64(merkle.root_hash(hashes))})"))


def _check_key_chain(leaves: list[Leaf | None], found: LogCheck) -> None:
    """Each key leaf signed by the key it replaces, and that key the one the last key leaf
    announced (the first one's `previous` is the log's first key)."""
    current: str | None = None
    for leaf in leaves:
        if leaf is None or leaf.kind != logleaf.KEY or leaf.previous is None:
            continue
        if current is not None and leaf.previous != current:
            found.problems.append(Problem(
                f"hands over from {leaf.previous}, but the key in use was {current}",
                index=leaf.index))
        try:
            current = check_key_leaf(leaf, leaf.previous)
        except KeyLeafError as error:
            found.problems.append(Problem(str(error), index=leaf.index))
            current = leaf.key


def _check_versions(repo: Repository, base: str, leaves: list[Leaf | None],
                    versions: list[StoredVersion], engine: VersionHashes, found: LogCheck,
                    progress: Progress | None) -> None:
    by_graph = {v.graph: v for v in versions}
    for graph, licence, number, sha256 in engine(repo, base, progress):
        version = by_graph.pop(graph, None)
        if version is None:
            continue
        problem = _version_problem(version, sha256, leaves)
        if problem is not None:
            found.problems.append(Problem(problem, index=version.log_index, licence=licence,
                                          version=number))
    for version in by_graph.values():        # the engine did not read it
        found.problems.append(Problem(f"its graph {version.graph} could not be read",
                                      index=version.log_index, licence=version.licence,
                                      version=version.version))
    named = {v.log_index for v in versions}
    for leaf in leaves:
        if (leaf is not None and leaf.kind == logleaf.LICENCE_VERSION
                and leaf.index not in named):
            found.problems.append(Problem(
                "the log records this version, but no version graph in the store names this "
                "entry (a version deleted or renumbered)", index=leaf.index,
                licence=leaf.licence, version=leaf.version))


def _version_problem(version: StoredVersion, sha256: str,
                     leaves: list[Leaf | None]) -> str | None:
    index = version.log_index
    if index is None:
        return f"not in the log: its graph {version.graph} has no clc:logIndex"
    if not 0 <= index < len(leaves):
        return f"its clc:logIndex {index} is beyond the log's {len(leaves)} entries"
    leaf = leaves[index]
    if leaf is None:
        return f"its clc:logIndex names entry {index}, which is not readable"
    if leaf.kind != logleaf.LICENCE_VERSION:
        return f"its clc:logIndex names entry {index}, a {leaf.kind} leaf"
    if (leaf.licence, leaf.version) != (version.licence, version.version):
        return (f"its clc:logIndex names entry {index}, which records {leaf.licence} "
                f"version {leaf.version}")
    if leaf.sha256 != sha256:
        return (f"the record changed since it was logged: its content hashes to sha256 "
                f"{sha256 or '(unreadable record)'}, the log says {leaf.sha256}")
    if (leaf.time, leaf.upload) != (version.time, version.upload):
        return (f"its time or upload changed since it was logged: the store says "
                f"{version.time} by {version.upload}, the log {leaf.time} by {leaf.upload}")
    return None


def _check_uploads(repo: Repository, base: str, leaves: list[Leaf | None],
                   found: LogCheck) -> None:
    graphs = {upload: graph for graph, upload, _ in stored_uploads(repo, base)}
    logged: set[str] = set()
    for leaf in leaves:
        if leaf is None or leaf.kind != logleaf.UPLOAD or leaf.upload is None:
            continue
        if leaf.upload in logged:
            found.problems.append(Problem(f"upload {leaf.upload} is in the log twice",
                                          index=leaf.index))
        logged.add(leaf.upload)
        graph = graphs.get(leaf.upload)
        if graph is None:
            found.problems.append(Problem(
                f"records upload {leaf.upload}, whose graph the store does not hold",
                index=leaf.index))
            continue
        try:
            again = logleaf.upload_leaf(repo.graph_triples(graph), leaf.upload, leaf.index)
        except LeafError as error:
            found.problems.append(Problem(f"upload graph {graph}: {error}", index=leaf.index))
            continue
        if again != leaf:
            found.problems.append(Problem(
                f"upload {leaf.upload} changed since it was logged (its graph {graph} gives "
                f"another leaf)", index=leaf.index))
    for upload, graph in sorted(graphs.items()):
        if upload not in logged:
            found.problems.append(Problem(f"upload {upload} (graph {graph}) is not in the log"))

