"""The base IRI a store was minted under (SPEC §9): recorded, and checked before use.

Every IRI the register mints starts with BASE_IRI, and every lookup builds the IRI it looks
for from the configured one. Served under another base, a store answers 404 for every licence
and 401 for every agency key while looking healthy; so the store remembers its base and
`serve`, the web app and every command refuse a store minted under another base, naming both
and the way out (`licence-registry migrate-base`, ops/rebase.py).

Where the base is kept: one quad in the bookkeeping graph `urn:x-licence-registry:base-iri` of
the PRIVATE store (store/privacy.py keeps `urn:x-licence-registry:` graphs out of the main
store, so it is in no dump and not at /sparql; `backup` copies it and `restore` puts it back
with the data it describes). It is a literal, not an IRI, so it names the base and is not an
IRI minted under it.

A store made before the base was recorded still says which base it was minted under: its
catalogue graph is `{BASE}/graph/catalogue` (identifiers.graph_iri). The first command that
finds one catalogue under the configured base records it. Readers without the private store
(`dumps` on a served store) check the catalogue graph alone, the base of the public data.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from registry.identifiers import graph_iri
from registry.namespaces import sparql_prefixes
from registry.settings import Settings
from registry.store import ChangeSet, Repository, StoreError
from registry.store.privacy import BOOKKEEPING_PREFIX

RECORD_GRAPH = BOOKKEEPING_PREFIX + "base-iri"
_STORE = ox.NamedNode(BOOKKEEPING_PREFIX + "store")
_MINTED_UNDER = ox.NamedNode(BOOKKEEPING_PREFIX + "minted-under")
_CATALOGUE_SUFFIX = graph_iri("", "catalogue")          # what follows the base
# The catalogue graph is the one holding licence types: found through the type index, cheap on
# any size of store (and on a remote one, one small query).
_CATALOGUE_GRAPHS = sparql_prefixes("cv") + """
SELECT DISTINCT ?g WHERE { GRAPH ?g { ?type a cv:EvidenceType } }"""


class BaseIriMismatch(StoreError):
    """The store was minted under another base IRI (or several) than the configured one."""

    def __init__(self, message: str, minted: frozenset[str], configured: str):
        super().__init__(message)
        self.minted = minted
        self.configured = configured


@dataclass(frozen=True)
class StoreBases:
    """What a store says of the base it was minted under."""

    recorded: str | None               # the private store's record (None: not recorded)
    catalogues: tuple[str, ...]        # the bases of the catalogue graphs in the main store

    @property
    def all(self) -> frozenset[str]:
        """Every base the store holds something minted under (empty: nothing minted yet)."""
        return frozenset(self.catalogues) | ({self.recorded} if self.recorded else set())


def recorded_base(repo: Repository) -> str | None:
    """The base the private store records; None when not recorded or when `repo` was opened
    without its private store (a reader of public data)."""
    try:
        private = repo.private
    except StoreError:
        return None
    found = private.objects(_STORE.value, _MINTED_UNDER.value, RECORD_GRAPH)
    return found[0].value if found else None


def catalogue_bases(repo: Repository) -> tuple[str, ...]:
    """The bases the main store's catalogue graphs are named under (normally one)."""
    graphs = {row["g"].value for row in repo.select(_CATALOGUE_GRAPHS)}
    return tuple(sorted(g[:-len(_CATALOGUE_SUFFIX)] for g in graphs
                        if g.endswith(_CATALOGUE_SUFFIX)))


def store_bases(repo: Repository) -> StoreBases:
    return StoreBases(recorded_base(repo), catalogue_bases(repo))


def _quads_on_lines_with(path: Path, needle: bytes) -> Iterator[ox.Quad]:
    """The quads on the N-Quads lines of `path` that hold `needle` (found by substring search,
    so a large file is read at disk speed; only those lines are parsed)."""
    with open(path, "rb") as handle:
        if not handle.seek(0, 2):
            return                        # mmap refuses an empty file
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start = data.find(needle)
            while start != -1:
                begin = data.rfind(b"\n", 0, start) + 1
                end = data.find(b"\n", start)
                end = len(data) if end == -1 else end
                yield from ox.parse(data[begin:end], format=ox.RdfFormat.N_QUADS)
                start = data.find(needle, end)


def dataset_bases(public: Path, private: Path) -> StoreBases:
    """What a backup's two parts (N-Quads, one quad a line, as `restore` splits them) say of
    the base they were minted under, read as `store_bases` reads a store."""
    recorded = None
    for quad in _quads_on_lines_with(private, RECORD_GRAPH.encode()):
        if quad.graph_name == ox.NamedNode(RECORD_GRAPH) and quad.predicate == _MINTED_UNDER \
                and not isinstance(quad.object, ox.Triple):     # always: record_change's literal
            recorded = quad.object.value
    graphs = {q.graph_name.value for q in _quads_on_lines_with(public, _CATALOGUE_SUFFIX.encode())
              if isinstance(q.graph_name, ox.NamedNode)}
    return StoreBases(recorded, tuple(sorted(g[:-len(_CATALOGUE_SUFFIX)] for g in graphs
                                             if g.endswith(_CATALOGUE_SUFFIX))))


def record_change(base: str) -> ChangeSet:
    """The private store's change that records `base` (replacing any earlier record)."""
    return ChangeSet.from_quads(
        [ox.Quad(_STORE, _MINTED_UNDER, ox.Literal(base), ox.NamedNode(RECORD_GRAPH))],
        replace=[RECORD_GRAPH])


def record_base(repo: Repository, base: str) -> None:
    repo.private.apply(record_change(base))


def where(settings: Settings) -> str:
    """The store the settings name, as an operator would recognise it."""
    return settings.store_url or settings.store


def mismatch_message(bases: StoreBases, configured: str, store: str) -> str | None:
    """Why the store cannot be used under `configured`, naming every base involved and the
    way out; None when it can (nothing minted yet, or minted under `configured` alone)."""
    minted = bases.all
    if not minted or minted == {configured}:
        return None
    if len(minted) == 1:
        (old,) = minted
        return (f"The store {store} was minted under the base IRI {old}, but the base IRI "
                f"is now {configured} (--base-iri or LICENCE_REGISTRY_BASE_IRI): under it "
                f"every licence would be not found and every agency key refused. Run with "
                f"--base-iri {old}, or re-mint the store under the new base with: "
                f"licence-registry migrate-base --from {old} --to {configured}")
    if bases.recorded and len(bases.catalogues) == 1:
        # The private store (with the record) is re-minted after the main one.
        (catalogue,) = bases.catalogues
        return (f"The store {store} records that it was minted under the base IRI "
                f"{bases.recorded}, but its catalogue is under {catalogue}: a `migrate-base` "
                f"was interrupted between the main store and the private one. Finish it by "
                f"running it again: licence-registry migrate-base --from {bases.recorded} "
                f"--to {catalogue} (then run with --base-iri {catalogue}; the base IRI is now "
                f"{configured}).")
    # Catalogues under two bases: (before this check existed) an `init` under another base.
    target = configured if configured in minted else (bases.recorded or sorted(minted)[0])
    fixes = "; ".join(f"licence-registry migrate-base --from {other} --to {target}"
                      for other in sorted(minted - {target}))
    said = [f"its record says {bases.recorded}"] if bases.recorded else []
    said += [f"it holds a catalogue under {b}" for b in bases.catalogues]
    return (f"The store {store} is minted under more than one base IRI ({'; '.join(said)}), "
            f"and the base IRI is now {configured}: an interrupted `migrate-base`, or an "
            f"`init` under another base. Re-mint it all under one base, then run with that "
            f"base: {fixes}")


def check_base(repo: Repository, settings: Settings, *, record: bool = False) -> None:
    """Raise BaseIriMismatch unless the store can be used under the configured BASE_IRI.

    `record`: a store made before the base was recorded, whose catalogue is under the
    configured base, gets its record now (first use). Store errors propagate."""
    configured = settings.base_iri
    bases = store_bases(repo)
    problem = mismatch_message(bases, configured, where(settings))
    if problem:
        raise BaseIriMismatch(problem, bases.all, configured)
    if record and bases.recorded is None and bases.catalogues:
        record_base(repo, configured)


def check_in_fresh_process(settings: Settings) -> str | None:
    """`check_base` (recording a first use) in a new spawned process, for the gunicorn master,
    which must never open the embedded store itself (server.in_fresh_process says why). The
    refusal's message, or None. A store that cannot be opened here is left to the start-up
    that follows, which reports it as before."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_problem_of, settings).result()


def _problem_of(settings: Settings) -> str | None:
    from registry.store.opening import open_repository

    try:
        repo = open_repository(settings)
    except StoreError:
        return None                  # no store yet (serve --demo makes one), or unreachable
    try:
        check_base(repo, settings, record=True)
    except BaseIriMismatch as exc:
        return str(exc)
    except StoreError:
        return None
    finally:
        repo.close()
    return None
