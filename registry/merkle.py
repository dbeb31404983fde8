"""RFC 9162 §2.1 Merkle tree arithmetic for the public log (SPEC §12): hashes, roots, inclusion
and consistency proofs, and their verification.

- Hashes (§2.1.1): a leaf is `SHA-256(0x00 || data)`, an interior node `SHA-256(0x01 || left ||
  right)`, the empty tree's root `SHA-256("")`.
- Generation never rehashes the log. It reads stored hashes of *complete* subtrees through
  `hash_at(level, index)`: the root of the 2**level leaves starting at leaf `index * 2**level`
  (level 0 = the leaf hashes). RFC 9162's recursive split of `[0, n)` at the largest power of two
  below n only ever yields such aligned ranges, and at most one range per proof is incomplete
  (it is then rebuilt from its ≤ log2(n) complete parts), so a root or a proof costs O(log n)
  look-ups. A store of tiles (C2SP tlog-tiles) or of one row per complete node answers them;
  `MemoryTree` is the in-memory reference.
- Verification follows §2.1.3.2 and §2.1.4.2 step by step. It raises `ProofError` with the
  reason (a monitor reports *why* a proof failed) and returns None when the proof holds.
  Beyond the arithmetic it applies the stricter policy of the transparency-dev vectors: hashes
  must be 32 bytes, a proof must have exactly the expected length (no trailing hashes), and a
  consistency proof needs 0 < first ≤ second, with an empty proof when first == second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index) -> stored hash of the complete subtree of 2**level leaves at index * 2**level.
HashAt = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof that does not hold, or a request for one that cannot exist; the message says why."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly below `size` (size ≥ 2): RFC 9162's k."""
    return 1 << ((size - 1).bit_length() - 1)


def _range_hash(start: int, end: int, hash_at: HashAt) -> bytes:
    """MTH of leaves [start, end), where start is aligned as RFC 9162's recursion leaves it."""
    size = end - start
    if size & (size - 1) == 0:  # complete: one stored hash
        level = size.bit_length() - 1
        return hash_at(level, start >> level)
    k = _split(size)
    return node_hash(_range_hash(start, start + k, hash_at), _range_hash(start + k, end, hash_at))


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[0:n]) of a list of leaf hashes (§2.1.1): for tests and small trees."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:  # RFC 9162's unbalanced right edge: the odd node moves up unchanged
            paired.append(level[-1])
        level = paired
    return level[0]


def tree_root(size: int, hash_at: HashAt) -> bytes:
    """MTH of the first `size` leaves from stored complete-subtree hashes, O(log n) look-ups."""
    if size < 0:
        raise ProofError(f"tree size {size} is negative")
    return EMPTY_ROOT if size == 0 else _range_hash(0, size, hash_at)


def inclusion_proof(index: int, size: int, hash_at: HashAt) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf side first."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(_range_hash(start + k, end, hash_at))
            end = start + k
        else:
            path.append(_range_hash(start, start + k, hash_at))
            start += k
    path.reverse()  # the recursion emits the root side first; the proof lists the leaf side first
    return path


def consistency_proof(first: int, second: int, hash_at: HashAt) -> list[bytes]:
    """PROOF(first, D[0:second]) of RFC 9162 §2.1.4.1 (0 < first ≤ second; empty when equal)."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    proof: list[bytes] = []
    start, end, m, whole = 0, second, first, True
    # SUBPROOF(m, D[start:end], whole), unrolled; the siblings are collected root side first.
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append(_range_hash(start + k, end, hash_at))
            end = start + k
        else:
            proof.append(_range_hash(start, start + k, hash_at))
            start, m, whole = start + k, m - k, False
    if not whole:  # the old tree's subtree is not the old root itself: the verifier needs it
        proof.append(_range_hash(start, end, hash_at))
    proof.reverse()
    return proof


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} is {len(value)} bytes, not {HASH_SIZE}")


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes],
                     root: bytes) -> None:
    """RFC 9162 §2.1.3.2: `leaf` (a leaf hash) is entry `index` of the tree of `size` with
    `root`. Raises ProofError saying why not."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    _check_hash("the leaf hash", leaf)
    for position, sibling in enumerate(proof):
        _check_hash(f"proof hash {position}", sibling)
    fn, sn, r = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError(f"the proof has {len(proof)} hashes, more than the tree needs")
        if fn & 1 or fn == sn:
            r = node_hash(sibling, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the proof has {len(proof)} hashes, fewer than the tree needs")
    if r != root:
        raise ProofError("the proof leads to a different root hash")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2: the tree of `second` with `second_root` extends the tree of `first`
    with `first_root`. Raises ProofError saying why not."""
    if first <= 0:
        raise ProofError(f"first size {first}: a proof from the empty tree proves nothing")
    if first > second:
        raise ProofError(f"first size {first} is larger than second size {second}")
    if first == second:
        if proof:
            raise ProofError("the sizes are equal but the proof is not empty")
        if first_root != second_root:
            raise ProofError("the sizes are equal but the root hashes differ")
        return
    if not proof:
        raise ProofError("the proof is empty")
    _check_hash("the first root", first_root)
    _check_hash("the second root", second_root)
    for position, item in enumerate(proof):
        _check_hash(f"proof hash {position}", item)
    path = list(proof)
    if first & (first - 1) == 0:  # first is a complete subtree: its root starts the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for item in path[1:]:
        if sn == 0:
            raise ProofError(f"the proof has {len(proof)} hashes, more than the trees need")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(item, fr), node_hash(item, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, item)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the proof has {len(proof)} hashes, fewer than the trees need")
    if fr != first_root:
        raise ProofError("the proof does not lead to the first root hash")
    if sr != second_root:
        raise ProofError("the proof does not lead to the second root hash")


class MemoryTree:
    """The in-memory reference store: every level's hashes of complete subtrees, appended leaf
    by leaf (about 2 hashes per leaf). A persistent store keeps the same (level, index) → hash
    rows, or C2SP tlog-tiles, and answers `hash_at` the same way."""

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, leaf: bytes) -> int:
        """Append one leaf hash; returns its index. Completes any subtree it closes."""
        index = self.size
        node, level = leaf, 0
        self._levels[0].append(node)
        while len(self._levels[level]) % 2 == 0:
            node = node_hash(self._levels[level][-2], node)
            level += 1
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(node)
        return index

    def hash_at(self, level: int, index: int) -> bytes:
        try:
            return self._levels[level][index]
        except IndexError:
            raise ProofError(f"no complete subtree at level {level}, index {index}") from None

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self.size if size is None else self._within(size), self.hash_at)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else self._within(size),
                               self.hash_at)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        return consistency_proof(first, self.size if second is None else self._within(second),
                                 self.hash_at)

    def _within(self, size: int) -> int:
        if not 0 <= size <= self.size:
            raise ProofError(f"tree size {size} is not between 0 and {self.size}")
        return size
