"""`licence-registry log init`: the Merkle log of a store made before the log (SPEC §12, issue
15 item 1), built as the register would have built it, in ONE change set.

Order: the register appends, per commit, a leaf for each new version and then the upload's
leaf. A store without a log no longer says in which order one commit wrote its versions, so the
order here is fixed and documented instead: commits (uploads) by time — an upload's
`prov:endedAtTime`, a version's `dct:modified` for versions whose upload graph is not in the
store — then by upload IRI; inside one commit, its versions by licence IRI, then version
number, then the upload's own leaf. Every version graph (the current one and each
`…/version/N` copy) and every upload graph (`{BASE}/graph/upload/{id}`) gets one leaf.

Why one change set: each version graph is rewritten with its `clc:logIndex` line, and the log's
graphs (head, tiles, bundles) are written with it, so a kill leaves either the whole log or the
store as it was (registry/statusstore.py `assign_missing_positions`, the same pattern: the
graphs are streamed through a temporary N-Quads file, never all held in memory).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from registry import identifiers, logleaf, logstore
from registry.namespaces import sparql_prefixes
from registry.store import ChangeSet, Repository

# Versions: every licence graph that holds a record's version metadata.
_VERSIONS_QUERY = sparql_prefixes("clc", "dct", "prov") + """
SELECT ?prefix ?g ?licence ?version ?modified ?generated ?part ?index WHERE {
  GRAPH ?g {
    ?licence clc:version ?version ; dct:modified ?modified ; prov:wasGeneratedBy ?generated .
    OPTIONAL { ?generated dct:isPartOf ?part }
    OPTIONAL { ?licence clc:logIndex ?index }
  }
  FILTER(STRSTARTS(STR(?g), ?prefix))
}"""
_UPLOADS_QUERY = sparql_prefixes("prov") + """
SELECT ?prefix ?g ?upload ?ended WHERE {
  GRAPH ?g { ?upload prov:endedAtTime ?ended }
  FILTER(STRSTARTS(STR(?g), ?prefix))
}"""


class LogInitError(ValueError):
    """The store cannot be given a log this way; the message says why and what to do."""


@dataclass(frozen=True)
class StoredVersion:
    graph: str
    licence: str
    version: int
    time: str
    upload: str
    log_index: int | None


@dataclass
class _Commit:
    """One upload's share of the log: its versions, then its own leaf (when its graph is
    in the store)."""

    upload: str
    time: str
    graph: str | None = None
    versions: list[StoredVersion] = field(default_factory=list)


@dataclass(frozen=True)
class InitResult:
    versions: int
    uploads: int
    relabelled: int        # versions that named an entry of a log no longer in the store
    root: bytes


def stored_versions(repo: Repository, base: str) -> list[StoredVersion]:
    """Every version graph's licence, version, time, upload and log index (None: unlogged)."""
    rows = repo.select(_VERSIONS_QUERY,
                       {"prefix": ox.Literal(identifiers.licence_graph_prefix(base))})
    found = []
    for row in rows:
        part = row.get("part")
        index = row.get("index")
        found.append(StoredVersion(
            graph=row["g"].value, licence=row["licence"].value,
            version=int(row["version"].value), time=row["modified"].value,
            upload=(part or row["generated"]).value,
            log_index=None if index is None else int(index.value)))
    return found


def stored_uploads(repo: Repository, base: str) -> list[tuple[str, str, str]]:
    """(graph, upload IRI, prov:endedAtTime) of every upload graph."""
    prefix = identifiers.upload_graph_iri(base, "")
    rows = repo.select(_UPLOADS_QUERY, {"prefix": ox.Literal(prefix)})
    return [(row["g"].value, row["upload"].value, row["ended"].value) for row in rows]


def log_order(versions: Iterable[StoredVersion],
              uploads: Iterable[tuple[str, str, str]]) -> list[_Commit]:
    """The commits in the order the log takes them (this module's docstring)."""
    commits: dict[str, _Commit] = {}
    for graph, upload, ended in uploads:
        commits[upload] = _Commit(upload, ended, graph)
    for version in versions:
        commit = commits.setdefault(version.upload, _Commit(version.upload, version.time))
        commit.versions.append(version)
    for commit in commits.values():
        commit.versions.sort(key=lambda v: (v.licence, v.version))
        if commit.graph is None:      # no upload graph: the commit's time is its versions'
            commit.time = min(v.time for v in commit.versions)
    return sorted(commits.values(), key=lambda c: (c.time, c.upload))


def has_log(repo: Repository, base: str) -> bool:
    return logstore.LogReader(repo, base).size() > 0


def init_log(repo: Repository, base: str,
             progress: Callable[[int], None] | None = None,
             on_total: Callable[[int], None] | None = None) -> InitResult | None:
    """Build the log of a store that has none (None: the store already has one, nothing
    done). Raises LogInitError for a store with a log AND versions it does not name (a store
    put together from two others, or a log partly deleted): appending them now would put them
    out of order, and re-building would rewrite history a monitor may hold.

    `on_total(n)` is told how many graphs will be read; `progress(k)` after every k more."""
    with repo.writing():
        versions = stored_versions(repo, base)
        if has_log(repo, base):
            unlogged = [v for v in versions if v.log_index is None]
            if unlogged:
                first = unlogged[0]
                raise LogInitError(
                    f"The store already has a log, but {len(unlogged)} version(s) are not in "
                    f"it (e.g. {first.licence} version {first.version}, graph {first.graph}). "
                    "`log init` only builds the log of a store that has none; run "
                    "`licence-registry log verify` to see what the log and the store disagree "
                    "on, and restore the store from a backup made with its log.")
            return None
        commits = log_order(versions, stored_uploads(repo, base))
        if on_total is not None:
            on_total(sum(len(c.versions) + (c.graph is not None) for c in commits))
        return _write_log(repo, base, commits, progress)


def append_unlogged(repo: Repository, base: str,
                    progress: Callable[[int], None] | None = None) -> InitResult | None:
    """Append every version the log does not name, and every upload it has no leaf for, in the
    order `init_log` uses, after the entries already there (None: nothing to append). For
    `migrate-base` onto a base whose log already exists (a store minted under two bases): the
    versions re-minted under it come under its log now, so they are appended, never inserted."""
    with repo.writing():
        reader = logstore.LogReader(repo, base)
        logged = {leaf.upload for leaf in map(logleaf.parse_leaf, reader.entries(0, reader.size()))
                  if leaf.kind == logleaf.UPLOAD}
        commits = log_order([v for v in stored_versions(repo, base) if v.log_index is None],
                            [u for u in stored_uploads(repo, base) if u[1] not in logged])
        return _write_log(repo, base, commits, progress)


def _write_log(repo: Repository, base: str, commits: list[_Commit],
               progress: Callable[[int], None] | None) -> InitResult | None:
    book = logstore.LogBook(repo, base)
    counts = {"versions": 0, "uploads": 0, "relabelled": 0}
    fd, name = tempfile.mkstemp(suffix=".nq", dir=repo.scratch_dir())
    path = Path(name)
    try:
        replace: list[str] = []
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for commit in commits:
                for version in commit.versions:
                    _log_version(repo, book, version, out, counts)
                    replace.append(version.graph)
                if commit.graph is not None:
                    triples = repo.graph_triples(commit.graph)
                    book.append(logleaf.leaf_bytes(logleaf.upload_leaf(
                        triples, commit.upload, book.next_index)))
                    counts["uploads"] += 1
                if progress is not None:
                    progress(len(commit.versions) + (commit.graph is not None))
            graphs, lines = book.change()
            if not graphs:
                return None
            replace.extend(graphs)
            out.write("".join(line + "\n" for line in lines))
        repo.apply(ChangeSet(replace=replace, payload=path))
    finally:
        path.unlink(missing_ok=True)
    return InitResult(counts["versions"], counts["uploads"], counts["relabelled"],
                      logstore.LogReader(repo, base).root())


def _log_version(repo: Repository, book: logstore.LogBook, version: StoredVersion, out,
                 counts: dict[str, int]) -> None:
    """Append `version`'s leaf and write its graph again, with the line naming the leaf (an
    old `clc:logIndex`, of a log no longer in the store, dropped)."""
    triples = [t for t in repo.graph_triples(version.graph)
               if t.predicate.value != logstore.LOG_INDEX]
    leaf = logleaf.version_leaf(triples, version.licence, book.next_index)
    index = book.append(logleaf.leaf_bytes(leaf))
    node = ox.NamedNode(version.graph)
    for triple in triples:
        out.write(f"{ox.Quad(triple.subject, triple.predicate, triple.object, node)} .\n")
    out.write(logstore.index_line(version.licence, version.graph, index) + "\n")
    counts["versions"] += 1
    counts["relabelled"] += version.log_index is not None
