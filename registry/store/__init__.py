"""The repository: the one interface views and the pipeline use to reach the store.

Two implementations: `EmbeddedRepository` (pyoxigraph on disk, one owning process) and
`RemoteRepository` (any SPARQL 1.1 Query/Update/Graph Store Protocol server). Every write is a
`ChangeSet` — whole named graphs replaced, quads added — applied all or nothing.

Each register has two stores: the main one (public data only: the public SPARQL endpoint reads
all of it) and `Repository.private` (key hashes, upload reports, the remote write lease). The
main repository refuses any change set that names or writes a private graph
(registry/store/privacy.py).

The interface is `registry.store.interface`; `registry.store.opening` opens the implementation
the settings name. This package module re-exports the interface only, so that it and the
implementations never import each other.
"""

from registry.store.interface import (
    ChangeSet,
    QueryAccess,
    Repository,
    StoreError,
    StoreNotInitialised,
    Term,
)

__all__ = ["ChangeSet", "QueryAccess", "Repository", "StoreError", "StoreNotInitialised", "Term"]
