"""Re-minting a store under a new base IRI (`licence-registry migrate-base`).

Every IRI that starts with the old base — subjects, objects, graph names, datatypes, in the
main store and in the private one — is rewritten to start with the new one. Each store is
changed by ONE change set that replaces every graph it holds (under both names), applied as
every write is: all or nothing, and on the embedded store journaled, so a crash is replayed or
never happened. The main store goes first, the private one (with the new record of the base)
second: killed between the two, the store is minted under both bases, every command refuses
it naming the `migrate-base` that finishes the work, and running it again does.

The store's own bookkeeping (`urn:x-licence-registry:…`: the remote write lease, the replica
mark) mentions no base and is left alone; the record is replaced.

Record fingerprints (`clc:recordDigest`, the SHA-256 of the record's canonical N-Quads, or
before the public log of its N-Quads lines; both name the base) are recomputed, so an
unchanged row uploaded again after the move is still "unchanged" rather than a new version. A
fingerprint is recomputed only when the stored quads give back the stored fingerprint, which
proves they are what it was made of; one that does not is kept and counted.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from publishing.pipeline import PayloadFiles
from registry import logleaf, logstore
from registry import recordterms as terms
from registry.baseiri import record_change
from registry.loginit import append_unlogged, has_log, init_log
from registry.store import ChangeSet, Repository, StoreError
from registry.store.privacy import BOOKKEEPING_PREFIX

Progress = Callable[[int], object]

# Statements a record's fingerprint leaves out (rdfmap.version_lines, history's superseded
# mark): about the version, not the licence.
_VERSION_PREDICATES = frozenset(t.value for t in (
    terms.VERSION, terms.RECORD_DIGEST, terms.MODIFIED, terms.WAS_GENERATED_BY,
    terms.SUPERSEDED_BY_VERSION, terms.STATUS_COUNTER, terms.LOG_INDEX))
_VERSION_GRAPH = re.compile(r"/version/\d+$")


class RebaseRefused(StoreError):
    """The store holds something the migration cannot rewrite; nothing was written."""


@dataclass
class Rebased:
    main_quads: int = 0
    private_quads: int = 0
    rewritten: int = 0              # quads that named the old base
    fingerprints: int = 0           # record fingerprints recomputed
    fingerprints_kept: int = 0      # ... and left as they were (see the module's doc)
    logged: int = 0                 # entries of the new log built under the new base


class _Rewriter:
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new
        self._prefixes = tuple(old + sep for sep in "/#?")

    def iri(self, value: str) -> str:
        if value == self.old or value.startswith(self._prefixes):
            return self.new + value[len(self.old):]
        return value

    def minted_under_old(self, term) -> bool:
        return isinstance(term, ox.NamedNode) and self.iri(term.value) != term.value

    def term(self, term):
        if isinstance(term, ox.NamedNode):
            value = self.iri(term.value)
            return term if value == term.value else ox.NamedNode(value)
        if isinstance(term, ox.Literal) and term.language is None:
            datatype = self.iri(term.datatype.value)
            if datatype != term.datatype.value:
                return ox.Literal(term.value, datatype=ox.NamedNode(datatype))
        if isinstance(term, ox.Triple):         # an RDF 1.2 triple term
            return ox.Triple(self.term(term.subject), self.term(term.predicate),
                             self.term(term.object))
        return term

    def quad(self, quad: ox.Quad) -> ox.Quad:
        return ox.Quad(self.term(quad.subject), self.term(quad.predicate),
                       self.term(quad.object), self.term(quad.graph_name))


def _legacy_fingerprint(quads: list[ox.Quad], licence: ox.NamedNode, graph: str) -> str:
    """rdfmap.legacy_digest of the record `licence` in `quads`, its lines written in `graph`
    (the licence's graph: a replaced version keeps the fingerprint it was made with there)."""
    change = licence.value + "#change-"
    lines = [f"{q.subject} {q.predicate} {q.object} <{graph}> ." for q in quads
             if not (q.subject == licence and q.predicate.value in _VERSION_PREDICATES)
             and not (isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(change))]
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def _fingerprint(quads: list[ox.Quad], licence: ox.NamedNode) -> str:
    """logleaf.record_hash of the record `licence` in `quads` (it names no graph): what a
    version's log leaf holds, and what a stored digest is brought up to."""
    return logleaf.sha256_hex(logleaf.record_nquads_rdfc(quads, licence.value))


def _refingerprint(old: list[ox.Quad], new: list[ox.Quad], graph: str, rewrite: _Rewriter,
                   result: Rebased) -> list[ox.Quad]:
    digests = [(i, q.subject, q.object) for i, q in enumerate(old)
               if q.predicate.value == terms.RECORD_DIGEST.value
               and isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal)]
    if not digests:
        return new
    record_graph = _VERSION_GRAPH.sub("", graph)
    for i, licence, digest in digests:
        if digest.value not in (_fingerprint(old, licence),
                                _legacy_fingerprint(old, licence, record_graph)):
            result.fingerprints_kept += 1
            continue
        # new[i].subject: the licence IRI as `rewrite` re-minted it; the fresh fingerprint is
        # the record hash (a legacy one is brought up to date on the way)
        fresh = _fingerprint(new, ox.NamedNode(rewrite.iri(licence.value)))
        new[i] = ox.Quad(new[i].subject, new[i].predicate,
                         ox.Literal(fresh, datatype=digest.datatype), new[i].graph_name)
        result.fingerprints += 1
    return new


def _rewrite_store(store: Repository, rewrite: _Rewriter, work: Path, result: Rebased,
                   progress: Progress) -> tuple[ChangeSet, int]:
    """The change set that re-mints `store`, and the number of quads it holds."""
    exported = work / "export.nq"
    with exported.open("wb") as out:
        store.export(out)
    graphs: set[str] = set()
    count = 0
    payload = PayloadFiles(str(work))       # in parts: the bulk loader's memory is per part
    with exported.open("rb") as source:
        # An export lists a graph's quads together, so a record is read whole here. (Were a
        # graph split, each part is still rewritten; its fingerprint is then kept, not redone.)
        for graph, run in itertools.groupby(ox.parse(source, format=ox.RdfFormat.N_QUADS),
                                            key=lambda q: q.graph_name):
            held = list(run)
            count += len(held)
            progress(len(held))
            if isinstance(graph, ox.NamedNode) and _in_log(graph.value, rewrite.old):
                graphs.add(graph.value)     # dropped: `migrate` builds a new log (see there)
                continue
            # A version minted under the old base leaves its log (dropped above): no index.
            old = held if not rewrite.minted_under_old(graph) else [
                q for q in held if q.predicate.value != terms.LOG_INDEX.value]
            new = [rewrite.quad(q) for q in old]
            changed = sum(a != b for a, b in zip(old, new, strict=True))
            if isinstance(graph, ox.DefaultGraph):
                if changed:
                    raise RebaseRefused(
                        f"The default graph of {type(store).__name__} holds {changed} statements "
                        f"naming {rewrite.old}; the register writes only named graphs, so they "
                        "were put there by hand: move them to a named graph, then migrate. "
                        "Nothing was written.")
                continue
            if graph.value.startswith(BOOKKEEPING_PREFIX):
                continue
            result.rewritten += changed
            new = _refingerprint(old, new, graph.value, rewrite, result)
            graphs.update((graph.value, rewrite.iri(graph.value)))
            nquads = ox.serialize(new, format=ox.RdfFormat.N_QUADS) or b""
            # Not splitlines(): it also splits at U+2028 and U+0085, which literals may hold.
            payload.add(nquads.decode().rstrip("\n").split("\n"))
    payload.close()
    exported.unlink()
    return ChangeSet(replace=sorted(graphs), payload=list(payload.paths)), count


def migrate(repo: Repository, old: str, new: str, progress: Progress = lambda n: None,
            stage: Callable[[str], object] = lambda name: None) -> Rebased:
    """Re-mint the main store and the private one under `new`; record `new` as the base.
    `progress` is told of each quad read, `stage` of the long writes that follow.

    Holds the write lock (the remote write lease) throughout, so no commit falls between
    reading a store and replacing it."""
    rewrite = _Rewriter(old, new)
    result = Rebased()
    with repo.writing():
        with tempfile.TemporaryDirectory(dir=repo.scratch_dir()) as main_dir, \
                tempfile.TemporaryDirectory(dir=repo.private.scratch_dir()) as private_dir:
            main, result.main_quads = _rewrite_store(repo, rewrite, Path(main_dir), result,
                                                     progress)
            private, result.private_quads = _rewrite_store(repo.private, rewrite,
                                                           Path(private_dir), result, progress)
            record = record_change(new)
            private = ChangeSet(replace=[*private.replace, *record.replace],
                                payload=[*private.parts(), *record.parts()])
            stage("writing the main store")
            try:
                repo.apply(main)
            except StoreError as exc:
                raise StoreError(f"Nothing was re-minted (the main store refused the change): "
                                 f"{exc}") from exc
            stage("writing the private store")
            try:
                repo.private.apply(private)
            except StoreError as exc:
                raise StoreError(f"The main store is re-minted under {new} but the private one "
                                 f"refused the change, so it is still under {old}: run this "
                                 f"command again to finish. {exc}") from exc
            stage("building the log under the new base")
            built = (append_unlogged if has_log(repo, new) else init_log)(repo, new)
            result.logged = built.versions + built.uploads if built is not None else 0
    return result


def _in_log(graph: str, base: str) -> bool:
    """Whether `graph` is one of the Merkle log's graphs under `base` (registry/logstore.py).
    Its leaves name the licences' IRIs and its checkpoints the origin, both under the old
    base: the log of the new base is a new log (another origin), built from the versions."""
    head = logstore.head_graph_iri(base)
    return graph == head or graph.startswith(head + "/")
