"""Genetic operators on derivation trees. Every operator is pure: it takes a seeded
``numpy.random.Generator`` and returns new trees, never editing its arguments.

* :func:`random_genome` - a depth-bounded random derivation of the start rule;
* :func:`mutate` - replace the subtree of one rule with a fresh derivation of the same
  rule; the place is drawn with weights per scale (micro, meso, macro);
* :func:`crossover` - swap the subtrees of one rule between two parents;
* :func:`point_mutate`, :func:`cut_crossover` - AutoSNN's operators: every choice
  switches with a probability; one cut point over the choices in order;
* :func:`make_child` - run an operator until its child is a valid program that has not
  been seen, within a bounded number of tries, and count the invalid ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..dsl.errors import SnarcError
from .space import DEFAULT_MAX_DEPTH, SCALES, Node, SearchSpace, SpaceError, genome_hash


@dataclass(frozen=True)
class Rates:
    """Relative chance that a mutation lands on a rule of each scale."""

    micro: float = 1.0
    meso: float = 1.0
    macro: float = 0.5

    def of(self, scale: str) -> float:
        return getattr(self, scale)

    @classmethod
    def parse(cls, text: str) -> Rates:
        """``"micro=1,meso=1,macro=0.5"`` (missing scales keep their default)."""
        values = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, val = part.partition("=")
            if key not in SCALES or not val:
                raise ValueError(
                    f"bad mutation rate '{part}': write SCALE=RATE with SCALE one of {', '.join(SCALES)}"
                )
            try:
                values[key] = float(val)
            except ValueError:
                raise ValueError(f"mutation rate '{part}': '{val}' is not a number") from None
            if not math.isfinite(values[key]) or values[key] < 0:
                raise ValueError(f"mutation rate '{part}' must be a finite number >= 0")
        if values and not any(values.get(s, getattr(cls, s)) > 0 for s in SCALES):
            raise ValueError("at least one mutation rate must be above 0")
        return cls(**values)


def random_genome(
    space: SearchSpace, rng: np.random.Generator, max_depth: int = DEFAULT_MAX_DEPTH
) -> Node:
    return space.derive(rng, max_depth=max_depth)


def mutate(
    space: SearchSpace,
    tree: Node,
    rng: np.random.Generator,
    rates: Rates = Rates(),
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Node:
    """One rule's subtree replaced by a fresh derivation of that rule.

    The root is a candidate only where nothing else varies. The new subtree differs
    from the old one where the rule allows it (a few redraws).
    """
    sites = space.sites(tree)
    inner = [s for s in sites if s.path] or sites
    if not inner:
        raise SpaceError(f"space '{space.name}' has a single sentence: nothing to mutate")
    weights = np.array([rates.of(s.scale) for s in inner], float)
    if weights.sum() <= 0:
        raise SpaceError("every mutation rate of the scales in this space is 0")
    site = inner[int(rng.choice(len(inner), p=weights / weights.sum()))]
    depth = len(site.path)
    for _ in range(8):
        new = space.derive(rng, site.node.rule, max_depth=max_depth, depth=depth)
        if new != site.node:
            break
    return space.replace(tree, site.path, new)


def crossover(space: SearchSpace, a: Node, b: Node, rng: np.random.Generator) -> tuple[Node, Node]:
    """Swap the subtrees of one rule that both parents use (drawn uniformly among such
    rules, then one place in each parent)."""
    sa = [s for s in space.sites(a) if s.path]
    sb = [s for s in space.sites(b) if s.path]
    rules_b = {s.node.rule for s in sb}
    common = sorted({s.node.rule for s in sa} & rules_b)
    # rules whose subtrees differ between the parents make a real exchange
    differing = [
        r
        for r in common
        if {s.node for s in sa if s.node.rule == r} != {s.node for s in sb if s.node.rule == r}
    ]
    pool = differing or common
    if not pool:
        return a, b
    rule = pool[int(rng.integers(len(pool)))]
    xa = [s for s in sa if s.node.rule == rule]
    xb = [s for s in sb if s.node.rule == rule]
    pa = xa[int(rng.integers(len(xa)))]
    pb = xb[int(rng.integers(len(xb)))]
    return space.replace(a, pa.path, pb.node), space.replace(b, pb.path, pa.node)


def point_mutate(
    space: SearchSpace,
    tree: Node,
    rng: np.random.Generator,
    p: float,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Node:
    """AutoSNN's mutation: every choice of the derivation switches, with probability
    ``p``, to a *different* alternative (drawn uniformly; what it expands to is derived
    afresh); choices inside a switched one are not visited again."""
    out = tree
    switched: list[tuple[int, ...]] = []
    for site in space.choices(tree):
        if any(site.path[: len(s)] == s for s in switched) or rng.random() >= p:
            continue
        n = len(space.alternatives[site.node.rule])
        alt = int(rng.integers(n - 1))
        alt += alt >= site.node.alt  # uniform over the others
        new = space.derive_alternative(rng, site.node.rule, alt, max_depth, len(site.path))
        out = space.replace(out, site.path, new)
        switched.append(site.path)
    return out


def cut_crossover(space: SearchSpace, a: Node, b: Node, rng: np.random.Generator) -> Node:
    """AutoSNN's crossover: the outermost choices of ``a`` in order, cut at a point drawn
    uniformly among the inner ones; the child keeps ``a``'s choices before the cut and
    takes ``b``'s from it on (where ``b`` has the same rule at the same place)."""
    sites = space.choices(a, outermost=True)
    if len(sites) < 2:
        return a
    cut = int(rng.integers(1, len(sites)))
    from_b = {s.path: s.node for s in space.choices(b, outermost=True)}
    child = a
    for site in sites[cut:]:
        other = from_b.get(site.path)
        if other is not None and other.rule == site.node.rule:
            child = space.replace(child, site.path, other)
    return child


@dataclass
class Child:
    tree: Node
    text: str
    hash: str
    parents: tuple[str, ...]
    operator: str


@dataclass
class Validator:
    """Turns trees into canonical programs and checks them, with a memo per text."""

    space: SearchSpace
    max_params: int | None = None
    _ok: dict = field(default_factory=dict)

    def __call__(self, tree: Node) -> tuple[str, str] | None:
        """``(canonical text, hash)`` of a valid tree, None for an invalid one."""
        sentence = self.space.sentence(tree)
        if sentence in self._ok:
            return self._ok[sentence]
        try:
            text, module = self.space.parsed(tree)  # one parse: formatted and elaborated
            self.space.validate(module, self.max_params)
            result = (text, genome_hash(text))
        except SnarcError:
            result = None
        self._ok[sentence] = result
        return result


def make_child(
    produce: Callable[[], tuple[Node, tuple[str, ...], str]],
    validate: Validator,
    seen: set[str],
    retries: int = 20,
) -> tuple[Child | None, int, int]:
    """Draw children from ``produce`` until one is valid and not in ``seen``.

    Returns ``(child, invalid, duplicates)``; after ``retries`` draws the last valid
    child is returned even if it was seen (its stored scores are reused), and None if
    no draw was valid.
    """
    invalid = duplicates = 0
    last: Child | None = None
    for _ in range(max(1, retries)):
        tree, parents, op = produce()
        checked = validate(tree)
        if checked is None:
            invalid += 1
            continue
        text, h = checked
        last = Child(tree, text, h, parents, op)
        if h in seen:
            duplicates += 1
            continue
        return last, invalid, duplicates
    return last, invalid, duplicates
