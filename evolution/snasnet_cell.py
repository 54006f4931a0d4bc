"""SNASNet's cell as its authors encode it: a 4×4 connection matrix over an input node
(0) and three nodes, ``m[i, j] = op`` meaning information flows from node i to node j —
forward where i < j, backward (read a step later) where i > j — with the op codes of
the released code: 0 zero, 1 identity, 2 LIF → conv 1×1 → BN, 3 LIF → conv 3×3 → BN,
4 avg-pool 3×3. Each node pair is forward or backward, not both.

The authors' random search draws a matrix (per pair: a fair coin for the direction, then
an op uniform over the five), prunes the nodes that do not reach node 3 or that node 0
does not reach (paths of up to four connections, counted before either pruning), and
keeps the matrix only where the direct connection 0 → 3 survives. That leaves 104,708
distinct cells (:func:`valid_matrices`). This module holds that procedure, the decoding
of a matrix into a snarc motif, and the canonical form of a ``snasnet-paper`` genome
(the derivation of its pruned matrix)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .space import Node, SearchSpace

# The six node pairs, in the order the released code builds its forward operations.
PAIRS = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
# op code -> snarc connection operations (``n`` is the cell's neuron parameter)
OPS = (
    "zero",
    "identity",
    "n | conv(1, c) | bn",
    "n | conv(3, c) | bn",
    "avgpool(3, stride: 1, padding: 1)",
)
# The published cells (the paper's and README's connection matrices, rows of m).
PUBLISHED = {
    "cifar10": "0303 0030 2002 0200",
    "cifar100": "0302 0030 3003 0000",
}


def parse_matrix(text: str) -> np.ndarray:
    """``"0302 0030 3003 0000"`` (rows of the matrix) -> a 4×4 int array."""
    rows = text.split()
    if len(rows) != 4 or any(len(r) != 4 or not r.isdigit() for r in rows):
        raise ValueError(
            f"'{text}': a SNASNet cell is 4 rows of 4 op codes, e.g. 0302 0030 3003 0000"
        )
    m = np.array([[int(ch) for ch in r] for r in rows], dtype=np.int64)
    if (m > 4).any() or np.diag(m).any():
        raise ValueError(f"'{text}': op codes are 0..4 and the diagonal is 0")
    if ((m != 0) & (m.T != 0)).any():
        raise ValueError(f"'{text}': a node pair is connected forward or backward, not both")
    return m


def prune(m: np.ndarray) -> np.ndarray:
    """The released code's sanity step, on a copy: reachability in up to four
    connections is computed once, then nodes 0-2 that do not reach node 3 are cut, then
    nodes 1-3 that node 0 does not reach."""
    m = m.copy()
    a = (m != 0).astype(np.int64)
    reach = a + a @ a + a @ a @ a + a @ a @ a @ a
    for node in range(3):
        if reach[node, 3] == 0:
            m[:, node] = 0
            m[node, :] = 0
    for node in range(1, 4):
        if reach[0, node] == 0:
            m[:, node] = 0
            m[node, :] = 0
    return m


def accepted(m: np.ndarray) -> bool:
    """The search keeps a pruned matrix only with the direct connection 0 -> 3."""
    return bool(m[0, 3] != 0)


def _matrix(choices) -> np.ndarray:
    """The matrix of one choice per pair of :data:`PAIRS`: 0 zero, 1-4 that op forward,
    5-8 op (choice - 4) backward."""
    m = np.zeros((4, 4), dtype=np.int64)
    for (i, j), c in zip(PAIRS, choices, strict=True):
        if 1 <= c <= 4:
            m[i, j] = c
        elif c > 4:
            m[j, i] = c - 4
    return m


def sample(rng: np.random.Generator) -> np.ndarray:
    """One matrix of the authors' random search: per pair a coin (forward or backward),
    then an op uniform over the five; pruned, redrawn until accepted."""
    while True:
        draws = [(int(rng.integers(2)), int(rng.integers(5))) for _ in PAIRS]
        m = prune(_matrix([op + 4 * backward if op else 0 for backward, op in draws]))
        if accepted(m):
            return m


def raw_matrices():
    """Every matrix the generator can draw (9 choices per pair: zero, four ops forward,
    four backward): 9**6 = 531,441."""
    for choices in itertools.product(range(9), repeat=len(PAIRS)):
        yield _matrix(choices)


def valid_matrices() -> set[bytes]:
    """The distinct pruned, accepted matrices (as bytes of int64 arrays)."""
    return {p.tobytes() for p in map(prune, raw_matrices()) if accepted(p)}


def motif(m: np.ndarray, name: str, neuron: str = "lif") -> str:
    """The snarc motif of a cell: nodes ``n0..n3`` sum their inputs (no neurons: the
    neuron sits on each conv connection, as in the released code), ``n0`` is the cell's
    input plus what backward connections bring, the output is ``n3``; a pruned or zero
    pair writes no connection."""
    lines = [
        f"motif {name}(c, n = {neuron}) {{",
        "  n0, n1, n2, n3 : none",
        "  in -> n0 : identity",
    ]
    for i, j in PAIRS:
        if m[i, j]:
            lines.append(f"  n{i} -> n{j} : {OPS[m[i, j]]}")
        if m[j, i]:
            lines.append(f"  n{j} ~> n{i} : {OPS[m[j, i]]}")
    for node in (1, 2):  # a feed-forward input, as the released cell's zero slot
        if not m[:node, node].any():
            lines.append(f"  n0 -> n{node} : zero")
    lines += ["  out n3", "}"]
    return "\n".join(lines)


# ------------------------------------------------------------ snasnet-paper genomes
def _pair(rule: str) -> tuple[int, int] | None:
    """``(i, j)`` of a pair rule ``pIJ`` of the ``snasnet-paper`` space, else None."""
    if len(rule) == 3 and rule[0] == "p" and rule[1:].isdigit():
        return int(rule[1]), int(rule[2])
    return None


def tree_matrix(space: SearchSpace, tree: Node) -> np.ndarray:
    """The matrix a ``snasnet-paper`` derivation chooses: rule ``pIJ`` takes alternative
    0 (forward, rule ``fwd``) or 1 (backward, rule ``bwd``); ``p03`` is forward and
    nonzero (rule ``fwd_nz``)."""
    from .space import Node

    m = np.zeros((4, 4), dtype=np.int64)

    def walk(node) -> None:
        if not isinstance(node, Node):
            return
        pair = _pair(node.rule)
        if pair is None:
            for c in node.children:
                walk(c)
            return
        i, j = pair
        op = next(c for c in node.children if isinstance(c, Node))
        code = op.alt + 1 if op.rule == "fwd_nz" else op.alt
        if op.rule == "bwd":
            m[j, i] = code
        else:
            m[i, j] = code

    walk(tree)
    return m


def canonical_tree(space: SearchSpace, tree: Node) -> Node:
    """The derivation of the pruned matrix: pruned or zero pairs become the forward
    ``zero``, so that every derivation of one network has one text (``p03`` is never
    pruned: the acceptance test keeps it)."""
    from .space import Node

    pruned = prune(tree_matrix(space, tree))

    def rebuild(node):
        if not isinstance(node, Node):
            return node
        pair = _pair(node.rule)
        if pair is None or node.rule == "p03":
            return Node(node.rule, node.alt, tuple(rebuild(c) for c in node.children))
        i, j = pair
        alt = 1 if pruned[j, i] else 0  # backward where the pruned matrix says so
        rule, code = ("bwd", int(pruned[j, i])) if alt else ("fwd", int(pruned[i, j]))
        op = Node(rule, code, tuple(space.literals[n] for n, _ in space.alternatives[rule][code]))
        kids = (space.literals[n] if t else op for n, t in space.alternatives[node.rule][alt])
        return Node(node.rule, alt, tuple(kids))

    return rebuild(tree)
