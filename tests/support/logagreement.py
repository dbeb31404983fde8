"""Whether a store's Merkle log agrees with the records it holds (issue 15: "kill -9 at 10
moments of a 100,000-row upload: log and store agree every time").

Used by tests/test_log_crash.py and bench/crash.py after each kill, on the reopened store:

1. the log's size is the number of licence versions (graphs whose licence has `clc:version`)
   plus the number of uploads (graphs `{BASE}/graph/upload/…`), plus any `key` entries (a log
   key's rotation is recorded in the log alone);
2. every version's `clc:logIndex` names a licence-version entry of that licence and version, no
   two versions name the same entry, every upload has exactly one upload entry, and every entry
   is one of those; the leaf's sha256 is the one recomputed from the stored graph
   (registry/logleaf.py `version_leaf`) for a sample of the versions plus every version of the
   last commit (the upload a kill interrupted, if it landed), and for every upload;
3. the stored root is the RFC 9162 root of the entries' leaf hashes, and the stored tiles give
   the same root;
4. the entries are numbered 0..size-1, none missing.
"""

from __future__ import annotations

import random
from pathlib import Path

from registry import identifiers, logleaf, logstore, merkle
from registry.namespaces import sparql_prefixes
from registry.store import Repository
from registry.store.embedded import EmbeddedRepository

_VERSIONS = sparql_prefixes("clc") + """
SELECT ?g ?licence ?version ?index WHERE {
  GRAPH ?g { ?licence clc:version ?version OPTIONAL { ?licence clc:logIndex ?index } }
}"""
_UPLOADS = sparql_prefixes("prov") + """
SELECT ?g ?upload WHERE { GRAPH ?g { ?upload prov:endedAtTime ?ended } }"""
_SHOWN = 20          # problems listed in full; the rest are counted


def log_disagreements(store: Path | Repository, base: str, *, sample: int = 200,
                      seed: int = 0, recent_sample: int | None = None) -> list[str]:
    """What in the store's log disagrees with its records (empty: they agree). `store`: an
    embedded store's folder (opened, so recovered, and closed), or a repository. `sample`:
    how many versions outside the last commit get their hash recomputed; `recent_sample`: how
    many of the last commit's (None: all of them)."""
    repo = EmbeddedRepository(store) if isinstance(store, Path) else store
    try:
        problems = _disagreements(repo, base, sample, random.Random(seed), recent_sample)
    finally:
        if isinstance(store, Path):
            repo.close()
    if len(problems) > _SHOWN:
        problems = [*problems[:_SHOWN], f"… and {len(problems) - _SHOWN} more"]
    return problems


def _disagreements(repo: Repository, base: str, sample: int, rng: random.Random,
                   recent_sample: int | None) -> list[str]:
    reader = logstore.LogReader(repo, base)
    size = reader.size()
    entries = reader.entries(0, size)
    problems: list[str] = []
    if len(entries) != size:
        problems.append(f"the log's size is {size}, its bundles hold {len(entries)} entries")
    leaves: list[logleaf.Leaf | None] = []
    for position, data in enumerate(entries):
        try:
            leaf = logleaf.parse_leaf(data)
        except logleaf.LeafError as error:
            problems.append(f"entry {position}: not a leaf ({error})")
            leaves.append(None)
            continue
        if leaf.index != position:                                        # check 4
            problems.append(f"entry {position} says it is entry {leaf.index}")
        leaves.append(leaf)
    problems.extend(_root_problems(reader, entries, size))                # check 3
    versions = repo.select(_VERSIONS)
    uploads_prefix = identifiers.upload_graph_iri(base, "")
    uploads = [row for row in repo.select(_UPLOADS) if row["g"].value.startswith(uploads_prefix)]
    keys = sum(1 for leaf in leaves if leaf is not None and leaf.kind == logleaf.KEY)
    if size != len(versions) + len(uploads) + keys:                       # check 1
        problems.append(f"the log has {size} entries; the store {len(versions)} versions, "
                        f"{len(uploads)} uploads (and the log {keys} key entries)")
    named: dict[int, str] = {}
    named.update(_upload_problems(repo, uploads, leaves, problems))
    named.update(_version_problems(repo, versions, leaves, problems, sample, rng,
                                   recent_sample))
    for index, leaf in enumerate(leaves):
        if leaf is not None and leaf.kind != logleaf.KEY and index not in named:
            problems.append(f"entry {index} ({leaf.kind}) records nothing the store holds")
    return problems


def _root_problems(reader: logstore.LogReader, entries: list[bytes], size: int) -> list[str]:
    problems = []
    stored = reader.root()
    recomputed = merkle.root_hash([merkle.leaf_hash(data) for data in entries])
    if stored != recomputed:
        problems.append(f"the stored root {stored.hex()} is not the entries' {recomputed.hex()}")
    if size:
        try:
            from_tiles = merkle.tree_root(size, reader.hash_at)
        except merkle.ProofError as error:
            problems.append(f"the stored tiles do not reach {size} entries ({error})")
        else:
            if from_tiles != stored:
                problems.append(f"the stored tiles give the root {from_tiles.hex()}")
    return problems


def _entry(leaves: list[logleaf.Leaf | None], index: int) -> logleaf.Leaf | None:
    return leaves[index] if 0 <= index < len(leaves) else None


def _upload_problems(repo: Repository, uploads, leaves: list[logleaf.Leaf | None],
                     problems: list[str]) -> dict[int, str]:
    """Each upload has one upload entry, whose hash is its activity graph's."""
    by_upload: dict[str, list[int]] = {}
    for index, leaf in enumerate(leaves):
        if leaf is not None and leaf.kind == logleaf.UPLOAD and leaf.upload is not None:
            by_upload.setdefault(leaf.upload, []).append(index)
    named: dict[int, str] = {}
    for row in uploads:
        upload = row["upload"].value
        found = by_upload.get(upload, [])
        if len(found) != 1:
            problems.append(f"upload {upload}: {len(found)} upload entries, not one")
            continue
        named[found[0]] = upload
        again = logleaf.upload_leaf(repo.graph_triples(row["g"].value), upload, found[0])
        if again != leaves[found[0]]:
            problems.append(f"upload {upload}: entry {found[0]} is not its activity's leaf")
    return named


def _version_problems(repo: Repository, versions, leaves: list[logleaf.Leaf | None],
                      problems: list[str], sample: int, rng: random.Random,
                      recent_sample: int | None) -> dict[int, str]:
    """Each version names an entry of its licence and version; the hashes of a sample and of
    the last commit's versions are recomputed from the store."""
    uploads_at = [i for i, leaf in enumerate(leaves)
                  if leaf is not None and leaf.kind == logleaf.UPLOAD]
    last_commit_from = uploads_at[-2] + 1 if len(uploads_at) > 1 else 0
    named: dict[int, str] = {}
    recent, older = [], []
    for row in versions:
        graph, licence = row["g"].value, row["licence"].value
        version = int(row["version"].value)
        if row.get("index") is None:
            problems.append(f"{graph}: version {version} names no log entry")
            continue
        index = int(row["index"].value)
        leaf = _entry(leaves, index)
        if leaf is None or (leaf.kind, leaf.licence, leaf.version) != (
                logleaf.LICENCE_VERSION, licence, version):
            problems.append(f"{graph}: entry {index} is not {licence} version {version}")
            continue
        if index in named:
            problems.append(f"{graph} and {named[index]} both name entry {index}")
        named[index] = graph
        (recent if index >= last_commit_from else older).append((graph, licence, leaf))
    if recent_sample is not None:
        recent = rng.sample(recent, min(recent_sample, len(recent)))
    checked = recent + rng.sample(older, min(sample, len(older)))
    for graph, licence, leaf in checked:
        try:
            again = logleaf.version_leaf(repo.graph_triples(graph), licence, leaf.index)
        except logleaf.LeafError as error:
            problems.append(f"{graph}: no leaf can be made of it ({error})")
            continue
        if again.sha256 != leaf.sha256:
            problems.append(f"{graph}: entry {leaf.index} has sha256 {leaf.sha256}, "
                            f"the stored record {again.sha256}")
    return named
