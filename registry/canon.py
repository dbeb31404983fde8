"""RDFC-1.0 canonical N-Quads of a dataset (W3C RDF Dataset Canonicalization 1.0), as the
`eddsa-rdfc-2022` cryptosuite signs and verifies them.

pyoxigraph computes the canonical form. Before it runs, the input is bounded, because
credentials come from strangers:
- size: at most `max_quads` quads and `max_blank_nodes` blank nodes, counted while parsing;
- work: RDFC-1.0 is exponential in blank nodes that look alike (the W3C poison graph runs for
  hours in pyoxigraph). registry.canonwork runs the labelling steps under a budget of
  `max_steps` and refuses with `CanonicalisationTooComplex` when it is passed. The count
  depends on the dataset alone, never on a clock, so every machine refuses the same input.
The labelling also gives the issued identifiers map (`issued_identifiers`).
"""

from __future__ import annotations

from collections.abc import Iterable

from pyoxigraph import (
    BlankNode,
    CanonicalizationAlgorithm,
    Dataset,
    Quad,
    RdfFormat,
    Triple,
    parse,
)

from .canonwork import Labelling, WorkExceeded
from .errors import RegistryError

ALGORITHMS = {"sha256": CanonicalizationAlgorithm.RDFC_1_0,
              "sha384": CanonicalizationAlgorithm.RDFC_1_0_SHA_384}

# A licence credential with its proof is under 100 quads and a handful of blank nodes; these
# leave room for any credential while keeping the pre-check's work small.
MAX_QUADS = 10_000
MAX_BLANK_NODES = 1_000
# Steps (calls of Hash N-Degree Quads plus permutations tried): the hardest approved W3C test
# (test044–046, "poison – evil") needs 3,348; the register's own credentials need 0.
MAX_STEPS = 10_000


class CanonicalisationError(RegistryError):
    status = 400
    code = "canonicalisation-failed"
    title = "The data cannot be canonicalised"


class CanonicalisationTooComplex(CanonicalisationError):
    status = 422
    code = "canonicalisation-too-complex"
    title = "The data is too complex to canonicalise"


def bounded_quads(data: str | bytes | Iterable[Quad], *, max_quads: int = MAX_QUADS,
                  max_blank_nodes: int = MAX_BLANK_NODES) -> list[Quad]:
    """The quads of `data` (N-Quads text, or quads / a pyoxigraph Dataset), refused as
    `CanonicalisationTooComplex` past either size limit and as `CanonicalisationError` when
    they are not RDF 1.1 N-Quads (RDFC-1.0 has no rule for triple terms)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        source = parse(data, format=RdfFormat.N_QUADS) if isinstance(data, bytes) else data
        quads: list[Quad] = []
        blanks: set[str] = set()
        for quad in source:
            if len(quads) == max_quads:
                raise CanonicalisationTooComplex(f"more than {max_quads} quads (the limit)")
            if isinstance(quad.subject, Triple) or isinstance(quad.object, Triple):
                raise CanonicalisationError("RDFC-1.0 has no rule for triple terms")
            quads.append(quad)
            blanks.update(t.value for t in (quad.subject, quad.object, quad.graph_name)
                          if isinstance(t, BlankNode))
            if len(blanks) > max_blank_nodes:
                raise CanonicalisationTooComplex(
                    f"more than {max_blank_nodes} blank nodes (the limit)")
    except SyntaxError as error:
        raise CanonicalisationError(f"not N-Quads: {error}") from error
    return quads


def issued_identifiers(data: str | bytes | Iterable[Quad], *, hash: str = "sha256",
                       max_quads: int = MAX_QUADS, max_blank_nodes: int = MAX_BLANK_NODES,
                       max_steps: int = MAX_STEPS) -> dict[str, str]:
    """RDFC-1.0's issued identifiers map: each input blank node label → its `c14nN`."""
    quads = bounded_quads(data, max_quads=max_quads, max_blank_nodes=max_blank_nodes)
    return _labels(quads, hash, max_steps)


def _labels(quads: list[Quad], hash: str, max_steps: int) -> dict[str, str]:
    if hash not in ALGORITHMS:
        raise ValueError(f"unknown hash {hash!r}: use one of {sorted(ALGORITHMS)}")
    try:
        return Labelling(quads, hash=hash, budget=max_steps).labels()
    except WorkExceeded as error:
        raise CanonicalisationTooComplex(
            f"canonicalising needs more than {max_steps} steps of RDFC-1.0's blank-node "
            "labelling (the limit, max_steps): too many blank nodes look alike") from error


def canonical_nquads(data: str | bytes | Iterable[Quad], *, hash: str = "sha256",
                     max_quads: int = MAX_QUADS, max_blank_nodes: int = MAX_BLANK_NODES,
                     max_steps: int = MAX_STEPS) -> str:
    """The canonical N-Quads of `data`: one line per distinct quad, each ending in "\\n",
    sorted in code point order, blank nodes named `c14nN` — byte for byte the W3C suite's
    expected files. `hash` is "sha256" (RDFC-1.0's default) or "sha384"."""
    quads = bounded_quads(data, max_quads=max_quads, max_blank_nodes=max_blank_nodes)
    _labels(quads, hash, max_steps)  # refuses what would take pyoxigraph too long
    dataset = Dataset(quads)
    dataset.canonicalize(ALGORITHMS[hash])
    return "".join(sorted(f"{quad} .\n" for quad in dataset))
