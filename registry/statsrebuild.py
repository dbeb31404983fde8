"""`licence-registry stats rebuild`: the statistics cube recomputed from the current records,
compared cell by cell with what is stored, and (unless a dry run) written in one change set
(docs/stats.md). Also what `init` and `restore` run when a store has no cube yet."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from registry import statscube as cube
from registry.store import ChangeSet, Repository


@dataclass(frozen=True)
class Difference:
    """One cell whose stored count is not the count of the licences."""

    graph: str
    dataset: str
    values: tuple[str, ...]          # N-Triples terms, in the dataset's dimension order
    stored: int
    counted: int

    def describe(self) -> str:
        names = cube.DATASETS[self.dataset][1]
        where = ", ".join(f"{name}={value}" for name, value in zip(names, self.values, strict=True)
                          if value)
        return f"{self.dataset} [{where}]: stored {self.stored}, counted {self.counted}"


@dataclass
class RebuildResult:
    differences: list[Difference]
    structure_missing: bool
    written: bool

    @property
    def in_step(self) -> bool:
        return not self.differences and not self.structure_missing


def compare(stored: cube.Counts, counted: cube.Counts) -> list[Difference]:
    """Every cell whose count differs (a cell absent on one side counts 0 there)."""
    differences: list[Difference] = []
    for graph in sorted(set(stored) | set(counted)):
        held, expected = stored.get(graph, Counter()), counted.get(graph, Counter())
        for key in sorted(set(held) | set(expected)):
            if held[key] != expected[key] and (held[key] > 0 or expected[key] > 0):
                differences.append(Difference(graph, key[0], key[1], held[key], expected[key]))
    return differences


def rebuild(repo: Repository, base: str, *, dry_run: bool = False,
            progress: Callable[[int], object] | None = None) -> RebuildResult:
    """Recompute, compare and (unless `dry_run`, and only when something differs) replace
    every cube graph in one change set, inside the write lock so no commit comes between."""
    with repo.writing():
        counted = cube.counts_from_licences(repo, base, progress)
        present = cube.stored_cube_graphs(repo, base)
        stored = cube.read_counts(repo, base, present)
        differences = compare(stored, counted)
        missing = not cube.cube_present(repo, base)
        result = RebuildResult(differences, missing, written=False)
        if dry_run or result.in_step:
            return result
        graphs = sorted(set(present) | set(counted))
        fd, name = tempfile.mkstemp(suffix=".nq", dir=repo.scratch_dir())
        path = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                for graph in graphs:
                    out.write("".join(line + "\n" for line in
                                      cube.graph_lines(base, graph, counted.get(graph, Counter()))))
                out.write("".join(line + "\n" for line in cube.structure_lines(base)))
            repo.apply(ChangeSet(replace=[*graphs, cube.structure_graph_iri(base)], payload=path))
        finally:
            path.unlink(missing_ok=True)
        result.written = True
        return result


def ensure_cube(repo: Repository, base: str) -> bool:
    """Build the cube when the store has none (a store from before it, or a restored backup
    of one); whether it was built."""
    if cube.cube_present(repo, base):
        return False
    return rebuild(repo, base).written
