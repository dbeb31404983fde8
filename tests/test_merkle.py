"""RFC 9162 Merkle arithmetic (registry/merkle.py): the transparency-dev vectors read from
`../shared/vectors/merkle/` (never copied into the project) — all 98 inclusion and 98
consistency cases give the expected verdict — plus the RFC 9162 §2.1.5 example tree and property
tests: proofs generated from the in-memory reference verify, and any flipped byte fails.

Which expected verdicts are policy rather than RFC 9162 arithmetic (checked by running the bare
§2.1.3.2 / §2.1.4.2 algorithms over the vectors): §2.1.4.2 assumes 0 < first < second, so every
consistency case outside that range is decided by policy — first == 0 (7 cases: the bare loop
never ends on first - 1 = -1), first > second (4), and first == second (9: accepted only with an
empty proof and equal roots, as transparency-dev does; the bare algorithm refuses every empty
proof). For inclusion, index ≥ size (size 0 included) is the RFC's own step 1; only
`single-entry/empty-root-and-leaf` (an empty leaf hash equal to an empty root, no proof) needs the
policy that hashes are 32 bytes. Trailing proof hashes fail by the arithmetic's `sn == 0` step.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import merkle
from registry.merkle import MemoryTree, ProofError

from .support.vectors import VECTORS, vectors_dir


def _cases(kind: str) -> list[str]:
    folder = VECTORS / "merkle" / kind
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.json"))


def _read(kind: str, name: str) -> dict:
    return json.loads((vectors_dir("merkle") / kind / name).read_text(encoding="utf-8"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(case: dict) -> list[bytes]:
    return [_b64(item) for item in case["proof"] or []]


def _verdict(check, *args) -> bool:
    try:
        check(*args)
    except ProofError:
        return False
    return True


INCLUSION = _cases("inclusion")
CONSISTENCY = _cases("consistency")


def test_the_vector_counts_are_as_the_issue_says():
    vectors_dir("merkle")
    assert (len(INCLUSION), len(CONSISTENCY)) == (98, 98)


@pytest.mark.parametrize("name", INCLUSION or ["missing"])
def test_inclusion_vector(name):
    case = _read("inclusion", name)
    ok = _verdict(merkle.verify_inclusion, _b64(case["leafHash"]), case["leafIdx"],
                  case["treeSize"], _proof(case), _b64(case["root"]))
    assert ok is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("name", CONSISTENCY or ["missing"])
def test_consistency_vector(name):
    case = _read("consistency", name)
    ok = _verdict(merkle.verify_consistency, case["size1"], case["size2"], _b64(case["root1"]),
                  _b64(case["root2"]), _proof(case))
    assert ok is not case["wantErr"], case["desc"]


def test_consistency_outside_the_rfc_range_is_decided_by_policy():
    cases = {name: _read("consistency", name) for name in CONSISTENCY}
    policy = [name for name, c in cases.items() if not 0 < c["size1"] < c["size2"]]
    assert len(policy) == 20
    for name in policy:
        case = cases[name]
        try:
            merkle.verify_consistency(case["size1"], case["size2"], _b64(case["root1"]),
                                      _b64(case["root2"]), _proof(case))
        except ProofError as refused:
            assert re.search(r"size|empty tree", str(refused)), (name, refused)


# RFC 9162 §2.1.5's example: seven leaves d0..d6; the paths and proofs it draws.
def _example() -> tuple[MemoryTree, list[bytes]]:
    tree, leaves = MemoryTree(), [merkle.leaf_hash(bytes([i])) for i in range(7)]
    for leaf in leaves:
        tree.append(leaf)
    return tree, leaves


def test_rfc_example_tree():
    tree, d = _example()
    h = merkle.node_hash
    a, b, c = h(d[0], d[1]), h(d[2], d[3]), h(d[4], d[5])
    g, i = h(a, b), h(c, d[6])
    assert tree.root() == h(g, i) == merkle.root_hash(d)
    assert tree.inclusion_proof(0) == [d[1], b, i]     # PATH(d0) = [b, h, l]
    assert tree.inclusion_proof(3) == [d[2], a, i]     # PATH(d3) = [c, g, l]
    assert tree.inclusion_proof(4) == [d[5], d[6], g]  # PATH(d4) = [f, j, k]
    assert tree.inclusion_proof(6) == [c, g]           # PATH(d6) = [i, k]
    assert tree.consistency_proof(3, 7) == [d[2], d[3], a, i]  # PROOF(3) = [c, d, g, l]
    assert tree.consistency_proof(4, 7) == [i]                 # PROOF(4) = [l]
    assert tree.consistency_proof(6, 7) == [c, d[6], g]        # PROOF(6) = [i, j, k]
    assert tree.consistency_proof(7, 7) == []


def test_hashes_and_empty_tree():
    assert merkle.root_hash([]) == merkle.EMPTY_ROOT == MemoryTree().root()
    assert merkle.leaf_hash(b"") == bytes.fromhex(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    with pytest.raises(ProofError, match="not in a tree"):
        MemoryTree().inclusion_proof(0)
    with pytest.raises(ProofError, match="no consistency proof"):
        MemoryTree().consistency_proof(0, 0)


def test_generation_reads_only_log_many_subtree_hashes():
    tree, looked_up = MemoryTree(), []
    for i in range(100_000):
        tree.append(merkle.leaf_hash(i.to_bytes(4, "big")))

    def counting(level: int, index: int) -> bytes:
        looked_up.append((level, index))
        return tree.hash_at(level, index)

    for index in (0, 31_337, 99_999):
        looked_up.clear()
        proof = merkle.inclusion_proof(index, 99_999 + 1, counting)
        assert len(looked_up) <= 2 * 17, looked_up
        merkle.verify_inclusion(tree.hash_at(0, index), index, tree.size, proof, tree.root())
    looked_up.clear()
    merkle.consistency_proof(65_537, 99_999, counting)
    assert len(looked_up) <= 2 * 17


def _flip(value: bytes, position: int) -> bytes:
    position %= len(value)
    return value[:position] + bytes([value[position] ^ 1]) + value[position + 1:]


def _grown(size: int) -> MemoryTree:
    tree = MemoryTree()
    for i in range(size):
        tree.append(merkle.leaf_hash(i.to_bytes(4, "big")))
    return tree


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(0, n - 1), st.integers(1, n), st.integers(0, 10_000))))
def test_generated_inclusion_proofs_verify(params):
    full, index_seed, size, flip_at = params
    tree = _grown(full)
    size = max(size, index_seed + 1)
    index, root, leaf = index_seed, tree.root(size), tree.hash_at(0, index_seed)
    proof = tree.inclusion_proof(index, size)
    assert root == merkle.root_hash([tree.hash_at(0, i) for i in range(size)])
    merkle.verify_inclusion(leaf, index, size, proof, root)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(_flip(leaf, flip_at), index, size, proof, root)
    with pytest.raises(ProofError):
        merkle.verify_inclusion(leaf, index, size, proof, _flip(root, flip_at))
    if proof:
        hit = flip_at % len(proof)
        bad = proof[:hit] + [_flip(proof[hit], flip_at)] + proof[hit + 1:]
        with pytest.raises(ProofError):
            merkle.verify_inclusion(leaf, index, size, bad, root)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(leaf, index, size, proof + [root], root)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(1, n), st.integers(0, 10_000))))
def test_consistency_between_any_two_sizes_verifies(params):
    second, first, flip_at = params
    tree = _grown(second)
    old, new = tree.root(first), tree.root()
    proof = tree.consistency_proof(first)
    merkle.verify_consistency(first, second, old, new, proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(first, second, _flip(old, flip_at), new, proof)
    with pytest.raises(ProofError):
        merkle.verify_consistency(first, second, old, _flip(new, flip_at), proof)
    if proof:
        hit = flip_at % len(proof)
        bad = proof[:hit] + [_flip(proof[hit], flip_at)] + proof[hit + 1:]
        with pytest.raises(ProofError):
            merkle.verify_consistency(first, second, old, new, bad)
