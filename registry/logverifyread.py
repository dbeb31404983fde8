"""The store-reading half of `licence-registry log verify` (SPEC §12, issue 15 item 4): the
SHA-256 of every licence version's record, recomputed from the store exactly as
registry/logleaf.py computes it (`content_nquads`: content only, bookkeeping left out, graph
names dropped), for the caller to compare with the log's leaves.

Every licence version graph is read whole — the current record `{BASE}/graph/licence/…` and
each kept version `…/version/N` — so any added, removed or changed triple changes what is
hashed exactly as it would change logleaf's hash. Nothing is trusted from the store but the
graph's own triples.

Why this shape (bench/logverify.py): decoding terms is what reading an on-disk pyoxigraph store
costs (a RocksDB lookup per IRI or long literal, per occurrence). A graph's N-Triples dump
decodes subject, predicate and object once each and writes them exactly as logleaf expects;
SPARQL that builds the text itself (GROUP_CONCAT of STR(?o) with predicate codes, nested
grouping by subject) measured no cheaper, because every expression costs about what a lookup
saves. So the work is split instead: an embedded store's graphs are shared between worker
processes, each opening the same read-only checkpoint (`Repository.read_replica()`). A remote
store is read with plain SPARQL, a chunk of graphs at a time.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox

from registry import identifiers
from registry import recordterms as terms
from registry.logleaf import NotCanonicalFast, content_nquads
from registry.store.interface import Repository

CHUNK = 2000                # graphs per worker task: progress granularity, little overhead
_VERSION = f"<{terms.VERSION.value}>"
_GRAPH_QUERY = "SELECT ?g ?s ?p ?o WHERE { #VALUES_G# GRAPH ?g { ?s ?p ?o } }"
_GRAPHS_QUERY = ("SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
                 "FILTER(STRSTARTS(STR(?g), {prefix})) }}")

Progress = Callable[[int, int], None]     # (graphs done, graphs in all)


class VersionHash(NamedTuple):
    """One licence version graph's record hash, as logleaf computes it. `problem` says why
    there is no hash (then `sha256` is ""): a blank node, no or many `clc:version`, a licence
    that is not the one the graph is named for."""
    graph: str
    licence: str
    version: int
    sha256: str
    problem: str | None = None


def licence_of_graph(base: str, graph: str) -> str:
    """The licence IRI a licence version graph is named for (`…/version/N` dropped)."""
    tail = graph[len(identifiers.licence_graph_prefix(base)):]
    head, marker, number = tail.rpartition("/version/")
    if marker and number.isdigit():
        tail = head
    return identifiers.licence_iri_prefix(base) + tail


def hash_of_lines(graph: str, licence: str, lines: list[str]) -> VersionHash:
    """The VersionHash of a graph from its N-Triples lines as pyoxigraph writes them."""
    start = f"<{licence}> {_VERSION} "
    versions = [line[len(start):].rsplit(" ", 1)[0] for line in lines if line.startswith(start)]
    if len(versions) != 1:
        return VersionHash(graph, licence, 0, "", f"{len(versions)} clc:version of <{licence}>")
    try:
        version = int(versions[0].split('"')[1])
    except (IndexError, ValueError):
        return VersionHash(graph, licence, 0, "", f"clc:version {versions[0]} is not a number")
    try:
        text = content_nquads(lines, licence, named=False)
    except NotCanonicalFast:
        return VersionHash(graph, licence, version, "", "a blank node in the record")
    return VersionHash(graph, licence, version, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _lines_of(data: bytes | None) -> list[str]:
    # Not splitlines(): literals hold U+0085, U+2028… unescaped (registry/logleaf.py).
    return (data or b"").decode("utf-8").split("\n")[:-1]


def hashes_in_store(store: ox.Store, base: str, graphs: list[str]) -> list[VersionHash]:
    """The VersionHash of each of `graphs` in an open pyoxigraph store."""
    out = []
    for graph in graphs:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        out.append(hash_of_lines(graph, licence_of_graph(base, graph), _lines_of(data)))
    return out


# In a worker process: the checkpoint, opened once per process and kept for its next chunks.
_worker_stores: dict[str, ox.Store] = {}


def _worker_hashes(task: tuple[str, str, list[str]]) -> list[VersionHash]:
    folder, base, graphs = task
    store = _worker_stores.get(folder)
    if store is None:
        store = _worker_stores[folder] = ox.Store.read_only(folder)
    return hashes_in_store(store, base, graphs)


def licence_graphs_in_store(store: ox.Store, base: str) -> list[str]:
    """Every licence version graph's IRI (current records and kept versions), store order."""
    prefix = identifiers.licence_graph_prefix(base)
    return [g.value for g in store.named_graphs()
            if isinstance(g, ox.NamedNode) and g.value.startswith(prefix)]


def _chunks(graphs: list[str], size: int) -> list[list[str]]:
    return [graphs[i:i + size] for i in range(0, len(graphs), size)]


def checkpoint_hashes(folder: Path, base: str, *, processes: int = 2,
                      progress: Progress | None = None) -> Iterator[VersionHash]:
    """Every licence version graph's VersionHash from a read-only checkpoint folder, shared
    among `processes` worker processes (1: in this process)."""
    store = ox.Store.read_only(str(folder))
    graphs = licence_graphs_in_store(store, base)
    done = 0
    if progress:
        progress(0, len(graphs))
    tasks = [(str(folder), base, chunk) for chunk in _chunks(graphs, CHUNK)]
    if processes <= 1 or len(tasks) <= 1:
        for _folder, _base, chunk in tasks:
            found = hashes_in_store(store, base, chunk)
            done += len(found)
            if progress:
                progress(done, len(graphs))
            yield from found
        return
    del store   # each worker opens its own
    # spawn: never fork a process holding RocksDB handles and threads.
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for found in pool.imap(_worker_hashes, tasks):
            done += len(found)
            if progress:
                progress(done, len(graphs))
            yield from found


def sparql_hashes(repo: Repository, base: str, *, chunk: int = 200,
                  progress: Progress | None = None) -> Iterator[VersionHash]:
    """The same through the repository's SPARQL (a remote store): correct, not fast."""
    prefix = ox.Literal(identifiers.licence_graph_prefix(base))   # serialised, never pasted
    rows = repo.select(_GRAPHS_QUERY.format(prefix=prefix))
    graphs = sorted(row["g"].value for row in rows)
    if progress:
        progress(0, len(graphs))
    for start in range(0, len(graphs), chunk):
        part = graphs[start:start + chunk]
        by_graph: dict[str, list[str]] = {g: [] for g in part}
        for row in repo.select_graphs(_GRAPH_QUERY, part, chunk):
            by_graph[row["g"].value].append(f"{row['s']} {row['p']} {row['o']} .")
        for graph in part:
            yield hash_of_lines(graph, licence_of_graph(base, graph), by_graph[graph])
        if progress:
            progress(start + len(part), len(graphs))


def default_processes() -> int:
    """Every core: the read is CPU-bound in the store engine and shares out evenly."""
    return max(1, os.cpu_count() or 1)


def version_hashes(repo: Repository, base: str, *, processes: int | None = None,
                   progress: Progress | None = None) -> Iterator[VersionHash]:
    """Every licence version graph's (graph, licence, version, sha256) as registry/logleaf.py
    computes it: from a read-only checkpoint when the store is on this machine (in
    `processes` processes, every core when None), else SPARQL."""
    processes = processes or default_processes()
    folder = repo.read_replica()
    if folder is None:
        yield from sparql_hashes(repo, base, progress=progress)
    else:
        yield from checkpoint_hashes(folder, base, processes=processes, progress=progress)
