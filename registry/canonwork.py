"""How much work RDFC-1.0 needs for a dataset, counted by running its blank-node labelling
(W3C RDF Dataset Canonicalization 1.0, §4.4–4.8) under a budget, before pyoxigraph runs it.

Why: pyoxigraph's canonicalisation has no limit, and RDFC-1.0 is exponential in blank nodes
that look alike (the spec's poison-graph test, a 10-node clique, runs for hours). Credentials
come from strangers, so the register must refuse such input, and refuse it the same way on
every machine: a timer would accept a dataset on an idle server and refuse it on a busy one.
So this module runs the labelling steps themselves — first-degree hashes, then the N-degree
recursion over permutations of look-alike blank nodes — counting each call of Hash N-Degree
Quads and each permutation tried, and stops with `WorkExceeded` when the count passes the
budget. The count depends on the dataset alone. Datasets whose blank nodes all have distinct
first-degree hashes (the register's own credentials) never reach the recursion: the check
then costs one hash per blank node.

The labels computed here are RDFC-1.0's; tests/test_rdfc.py checks them against the W3C
suite, so the count is the count of the real algorithm, not an estimate of it.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Iterable

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad

HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384}


class WorkExceeded(Exception):
    """The labelling needed more steps than the budget allows."""


class Issuer:
    """An identifier issuer (§4.5): `prefix` + counter, remembering the order of issue."""

    def __init__(self, prefix: str, issued: dict[str, str] | None = None):
        self.prefix = prefix
        self.issued: dict[str, str] = dict(issued or {})

    def issue(self, existing: str) -> str:
        if existing not in self.issued:
            self.issued[existing] = f"{self.prefix}{len(self.issued)}"
        return self.issued[existing]

    def copy(self) -> Issuer:
        return Issuer(self.prefix, self.issued)


def _blank(term) -> str | None:
    return term.value if isinstance(term, BlankNode) else None


class Labelling:
    """One run of the labelling over `quads`, with at most `budget` counted steps."""

    def __init__(self, quads: Iterable[Quad], *, hash: str = "sha256", budget: int):
        self.digest = HASHES[hash]
        self.budget = budget
        self.steps = 0
        self.mentions: dict[str, list[Quad]] = defaultdict(list)
        for quad in dict.fromkeys(quads):  # a dataset is a set: duplicates count once
            for name in {_blank(quad.subject), _blank(quad.object), _blank(quad.graph_name)}:
                if name is not None:
                    self.mentions[name].append(quad)
        self.first_degree = {name: self._first_degree(name) for name in self.mentions}
        self.canonical = Issuer("c14n")

    def _hash(self, text: str) -> str:
        return self.digest(text.encode("utf-8")).hexdigest()

    def _step(self) -> None:
        self.steps += 1
        if self.steps > self.budget:
            raise WorkExceeded(f"more than {self.budget} steps")

    def _first_degree(self, name: str) -> str:
        """Hash First Degree Quads (§4.6): the node's quads with it as _:a, others as _:z."""
        def stand_in(term):
            blank = _blank(term)
            return term if blank is None else BlankNode("a" if blank == name else "z")
        lines = sorted(
            str(Quad(stand_in(q.subject), q.predicate, stand_in(q.object),
                     stand_in(q.graph_name) if _blank(q.graph_name) else q.graph_name)) + " .\n"
            for q in self.mentions[name])
        return self._hash("".join(lines))

    def labels(self) -> dict[str, str]:
        """The issued identifiers map (§4.4): input blank node label → c14nN."""
        by_hash: dict[str, list[str]] = defaultdict(list)
        for name, first in self.first_degree.items():
            by_hash[first].append(name)
        alike: list[list[str]] = []
        for first in sorted(by_hash):
            if len(by_hash[first]) == 1:
                self.canonical.issue(by_hash[first][0])
            else:
                alike.append(by_hash[first])
        for names in alike:
            paths = []
            for name in names:
                if name in self.canonical.issued:
                    continue
                temporary = Issuer("b")
                temporary.issue(name)
                paths.append(self._n_degree(name, temporary))
            for _, issuer in sorted(paths, key=lambda path: path[0]):
                for existing in issuer.issued:
                    self.canonical.issue(existing)
        return self.canonical.issued

    def _related(self, related: str, quad: Quad, issuer: Issuer, position: str) -> str:
        """Hash Related Blank Node (§4.7)."""
        text = position
        if position != "g":
            text += f"<{quad.predicate.value}>"
        if related in self.canonical.issued:
            text += "_:" + self.canonical.issued[related]
        elif related in issuer.issued:
            text += "_:" + issuer.issued[related]
        else:
            text += self.first_degree[related]
        return self._hash(text)

    def _n_degree(self, name: str, issuer: Issuer) -> tuple[str, Issuer]:
        """Hash N-Degree Quads (§4.8), each call and each permutation counted as a step."""
        self._step()
        related_by_hash: dict[str, list[str]] = defaultdict(list)
        for quad in self.mentions[name]:
            for position, term in (("s", quad.subject), ("o", quad.object),
                                   ("g", quad.graph_name)):
                related = _blank(term)
                if related is not None and related != name:
                    related_by_hash[self._related(related, quad, issuer, position)].append(related)
        data = ""
        for related_hash in sorted(related_by_hash):
            data += related_hash
            chosen_path, chosen_issuer = "", None
            for permutation in itertools.permutations(related_by_hash[related_hash]):
                self._step()
                found = self._path(permutation, issuer.copy(), chosen_path)
                if found is not None and (not chosen_path or found[0] < chosen_path):
                    chosen_path, chosen_issuer = found
            data += chosen_path
            issuer = chosen_issuer or issuer
        return self._hash(data), issuer

    def _path(self, permutation: tuple[str, ...], issuer: Issuer,
              chosen_path: str) -> tuple[str, Issuer] | None:
        """One permutation's path (§4.8.3 step 5.4), or None once it cannot beat the chosen."""
        def worse(path: str) -> bool:
            return bool(chosen_path) and len(path) >= len(chosen_path) and path > chosen_path
        path, recursion = "", []
        for related in permutation:
            if related in self.canonical.issued:
                path += "_:" + self.canonical.issued[related]
            else:
                if related not in issuer.issued:
                    recursion.append(related)
                path += "_:" + issuer.issue(related)
            if worse(path):
                return None
        for related in recursion:
            result_hash, result_issuer = self._n_degree(related, issuer)
            path += "_:" + issuer.issue(related) + f"<{result_hash}>"
            issuer = result_issuer
            if worse(path):
                return None
        return path, issuer


def relabelled(quads: Iterable[Quad], labels: dict[str, str]) -> list[Quad]:
    """`quads` with their blank nodes renamed by `labels` (for checking a labelling)."""
    def rename(term):
        blank = _blank(term)
        return term if blank is None else BlankNode(labels[blank])
    return [Quad(rename(q.subject), q.predicate, rename(q.object),
                 q.graph_name if isinstance(q.graph_name, (DefaultGraph, NamedNode))
                 else rename(q.graph_name))
            for q in quads]
