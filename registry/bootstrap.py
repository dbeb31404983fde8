"""Setting up a store: vocabulary, shapes and catalogue graphs (`licence-registry init`)."""

from __future__ import annotations

from collections import defaultdict
from importlib.resources.abc import Traversable

import pyoxigraph as ox

from registry.identifiers import graph_iri
from registry.model import Catalogue, catalogue_quads, read_catalogue
from registry.paths import CATALOGUE_DIR, SHAPES_DIR, VOCAB_DIR, turtle_files
from registry.store import ChangeSet, Repository
from registry.store.privacy import is_private_graph

PRIVATE = "private"


def is_public_graph(base: str, graph: str) -> bool:
    """False for what must never be published: `{BASE}/graph/private…` (key hashes, upload
    reports) and the store's own bookkeeping (`urn:x-licence-registry:…`, the write lease).

    The one rule is `store.privacy.is_private_graph`, which also keeps private graphs out of
    the main store; it needs no `base` (kept here for callers)."""
    return not is_private_graph(graph)


def _turtle_quads(folder: Traversable, graph: ox.NamedNode) -> list[ox.Quad]:
    quads: list[ox.Quad] = []
    for resource in turtle_files(folder):
        quads.extend(ox.Quad(t.subject, t.predicate, t.object, graph)
                     for t in ox.parse(resource.read_bytes(), format=ox.RdfFormat.TURTLE))
    return quads


def init_store(repo: Repository, base: str,
               catalogue_dir: Traversable = CATALOGUE_DIR) -> dict[str, int]:
    """Replace the vocabulary, shapes and catalogue graphs in one change set; counts per graph.

    Running it again after editing `data/catalogue/` updates the catalogue; licences stay.
    Records `base` as the base the store is minted under (registry/baseiri.py); raises
    BaseIriMismatch, writing nothing, for a store minted under another.
    """
    from registry.baseiri import BaseIriMismatch, mismatch_message, record_base, store_bases

    bases = store_bases(repo)
    problem = mismatch_message(bases, base, "being initialised")
    if problem:
        raise BaseIriMismatch(problem, bases.all, base)
    catalogue = read_catalogue(catalogue_dir)
    graphs = {name: ox.NamedNode(graph_iri(base, name))
              for name in ("vocab", "shapes", "catalogue")}
    quads = (_turtle_quads(VOCAB_DIR, graphs["vocab"]) + _turtle_quads(SHAPES_DIR, graphs["shapes"])
             + catalogue_quads(catalogue, base, graphs["catalogue"]))
    if bases.recorded != base:
        record_base(repo, base)      # first: a store with a catalogue always has its record
    repo.apply(ChangeSet.from_quads(quads, replace=[g.value for g in graphs.values()]))
    counts: dict[str, int] = defaultdict(int)
    for quad in quads:
        if isinstance(quad.graph_name, ox.NamedNode):     # all are: each part names its graph
            counts[quad.graph_name.value.rsplit("/", 1)[-1]] += 1
    return dict(counts)


def is_initialised(repo: Repository, base: str) -> bool:
    return bool(repo.existing_graphs([graph_iri(base, "catalogue")]))


def load_catalogue(repo: Repository) -> Catalogue:
    from registry.model import catalogue_from_repository

    return catalogue_from_repository(repo)
