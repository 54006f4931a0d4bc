"""Search spaces: Lark grammars whose sentences are snarc programs.

A space is a ``.lark`` file (Lark's EBNF) in which every terminal is a literal
string. A sentence is the literals of a derivation joined by spaces; statements in
the literals end with ``;`` (the language accepts ``;`` for a line break), so that a
sentence is one line of snarc, and the formatter turns it into the canonical text
that identifies a genome.

Rules are tagged with a scale by a comment on the line above them::

    // @micro
    edge_op: "conv(3, c) | bn" | "conv(5, c) | bn"

A rule without a tag takes the scale of the nearest tagged rule above it in the
derivation tree, ``macro`` at the top. Lark expands ``?``, ``*``, ``+`` and
templates into plain rules; helper rules it invents take their parent's scale.

A genome is a derivation tree of :class:`Node`; it is pure data, and every operator
returns a new tree (the parent is never edited).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..dsl.errors import SnarcError
from ..dsl.hashing import short_hash
from ..util.fileio import read_text

SCALES = ("micro", "meso", "macro")
DEFAULT_MAX_DEPTH = 40


class SpaceError(SnarcError, ValueError):
    """A search-space grammar that cannot be used, or a genome that does not fit it."""

    kind = "search space error"


@dataclass(frozen=True)
class Node:
    """One rule application: ``rule`` expanded by its alternative ``alt``."""

    rule: str
    alt: int
    children: tuple  # of Node | str (a terminal's literal text)

    def leaves(self):
        for c in self.children:
            if isinstance(c, Node):
                yield from c.leaves()
            else:
                yield c

    def to_json(self):
        return [
            self.rule,
            self.alt,
            [c.to_json() if isinstance(c, Node) else c for c in self.children],
        ]

    @classmethod
    def from_json(cls, data) -> Node:
        rule, alt, children = data
        return cls(
            rule, alt, tuple(c if isinstance(c, str) else cls.from_json(c) for c in children)
        )

    def dumps(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"))

    def size(self) -> int:
        return 1 + sum(c.size() for c in self.children if isinstance(c, Node))


@dataclass(frozen=True)
class Site:
    """A place in a tree: the path of child indices from the root, its node and scale."""

    path: tuple[int, ...]
    node: Node
    scale: str


def genome_hash(text: str) -> str:
    """The identity of a genome: SHA-256 of its canonical text (16 hex digits)."""
    return short_hash(text)


_TAG = re.compile(r"^\s*//\s*@(micro|meso|macro)\b")
_RULE = re.compile(r"^\s*[?!]?([a-z_][a-z_0-9]*)\s*(?:\{[^}]*\})?\s*(?:\.-?\d+)?\s*:")


def _scale_tags(text: str, origin: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    pending: str | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _TAG.match(line)
        if m:
            pending = m.group(1)
            continue
        m = _RULE.match(line)
        if m:
            if pending:
                tags[m.group(1)] = pending
            pending = None
        elif line.strip() and not line.strip().startswith("//") and pending:
            raise SpaceError(
                f"{origin}:{lineno}: a '// @{pending}' tag must stand right above a rule"
            )
    return tags


def _description(text: str) -> str:
    lines = []
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("//"):
            break
        s = s[2:].strip()
        if not s.startswith("@"):
            lines.append(s)
    return " ".join(x for x in lines if x).strip()


def spaces_dir():
    return resources.files("snarc.grammars").joinpath("spaces")


def shipped_spaces() -> list[str]:
    return sorted(
        p.name[: -len(".lark")] for p in spaces_dir().iterdir() if p.name.endswith(".lark")
    )


def load_space(name_or_path: str | Path) -> SearchSpace:
    """A shipped space by name (``autosnn``) or a ``.lark`` file."""
    s = str(name_or_path)
    if s.endswith(".lark") or "/" in s or Path(s).is_file():
        path = Path(s)
        try:
            text = read_text(path, "search space")
        except SnarcError as err:
            raise SpaceError(err.message) from None
        return SearchSpace(text, str(path), name=path.stem)
    if s not in shipped_spaces():
        raise SpaceError(
            f"unknown search space '{s}'",
            hint=f"shipped spaces: {', '.join(shipped_spaces())}; or give a FILE.lark",
        )
    res = spaces_dir().joinpath(s + ".lark")
    return SearchSpace(res.read_text(encoding="utf-8"), f"grammars/spaces/{s}.lark", name=s)


class SearchSpace:
    """A compiled search-space grammar: derive, enumerate, validate sentences."""

    def __init__(
        self, text: str, origin: str = "<space>", name: str = "space", start: str = "start"
    ):
        from lark import Lark
        from lark.exceptions import GrammarError, LarkError
        from lark.lexer import PatternStr

        self.text, self.origin, self.name, self.start = text, origin, name, start
        self.description = _description(text)
        try:
            lark = Lark(text, parser="earley", lexer="dynamic", start=start, keep_all_tokens=True)
        except (GrammarError, LarkError) as err:
            raise SpaceError(f"{origin}: not a valid Lark grammar: {err}".strip()) from None
        self.literals: dict[str, str] = {}
        for term in lark.terminals:
            if isinstance(term.pattern, PatternStr):
                self.literals[str(term.name)] = term.pattern.value
        alts: dict[str, list] = {}
        for rule in lark.rules:
            alts.setdefault(str(rule.origin.name), []).append(rule)
        self.alternatives: dict[str, list[tuple[tuple[str, bool], ...]]] = {}
        for origin_name, rules in alts.items():
            rules = sorted(rules, key=lambda r: (r.order, tuple(str(s.name) for s in r.expansion)))
            self.alternatives[origin_name] = [
                tuple((str(s.name), s.is_term) for s in r.expansion) for r in rules
            ]
            for r in rules:
                for s in r.expansion:
                    if s.is_term and str(s.name) not in self.literals:
                        pattern = next(
                            (t.pattern for t in lark.terminals if t.name == s.name), None
                        )
                        raise SpaceError(
                            f"{origin}: terminal {s.name} (in rule '{origin_name}') is a regular expression "
                            f"({getattr(pattern, 'value', '?')!s}); a search space can only use literal strings",
                            hint='write its choices as alternatives: size: "3" | "5"',
                        )
        if start not in self.alternatives:
            raise SpaceError(f"{origin}: the grammar has no '{start}' rule")
        self.tags = _scale_tags(text, origin)
        unknown = set(self.tags) - set(self.alternatives)
        if unknown:
            raise SpaceError(
                f"{origin}: tagged rules not in the grammar: {', '.join(sorted(unknown))}"
            )
        self._heights()
        from .canonical import CANONICAL, canonical_name

        self.canonical_form = canonical_name(text)
        if self.canonical_form is not None and self.canonical_form not in CANONICAL:
            raise SpaceError(
                f"{origin}: unknown canonical form '{self.canonical_form}'",
                hint="one of " + ", ".join(sorted(CANONICAL)),
            )
        self._canonicalise = CANONICAL.get(self.canonical_form)

    # ------------------------------------------------------------ grammar analysis
    def _heights(self) -> None:
        """Least derivation height of each rule and alternative (fixed point)."""
        inf = float("inf")
        h = dict.fromkeys(self.alternatives, inf)
        changed = True
        while changed:
            changed = False
            for rule, alts in self.alternatives.items():
                best = min(self._alt_height(a, h) for a in alts)
                if best < h[rule]:
                    h[rule], changed = best, True
        bad = sorted(r for r, v in h.items() if v == inf)
        if bad:
            raise SpaceError(
                f"{self.origin}: rules that never end in a sentence (every alternative recurses): {', '.join(bad)}"
            )
        self.height = h
        # rules whose derivations can differ: more than one alternative, or a child that varies
        var = {r for r, a in self.alternatives.items() if len(a) > 1}
        changed = True
        while changed:
            changed = False
            for rule, alts in self.alternatives.items():
                if rule not in var and any(not t and n in var for a in alts for n, t in a):
                    var.add(rule)
                    changed = True
        self.variable = frozenset(var)

    def _alt_height(self, alt, h=None) -> float:
        h = self.height if h is None else h
        return 1 + max((h[n] for n, t in alt if not t), default=0)

    def scale_of(self, rule: str, parent_scale: str = "macro") -> str:
        return self.tags.get(rule, parent_scale)

    def rules_by_scale(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {s: [] for s in SCALES}
        for rule, scale in self.tags.items():
            out[scale].append(rule)
        return out

    # ------------------------------------------------------------ derivation
    def derive(
        self,
        rng: np.random.Generator,
        rule: str | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
        depth: int = 0,
    ) -> Node:
        """A random derivation of ``rule`` (the start rule by default), uniform over the
        alternatives that can still finish within ``max_depth``."""
        rule = rule or self.start
        alts = self.alternatives[rule]
        fits = [i for i, a in enumerate(alts) if depth + self._alt_height(a) <= max_depth]
        if not fits:  # past the bound: the shallowest way out
            low = min(self._alt_height(a) for a in alts)
            fits = [i for i, a in enumerate(alts) if self._alt_height(a) == low]
        i = fits[int(rng.integers(len(fits)))] if len(fits) > 1 else fits[0]
        return self._build(rule, i, lambda r: self.derive(rng, r, max_depth, depth + 1))

    def derive_alternative(
        self,
        rng: np.random.Generator,
        rule: str,
        alt: int,
        max_depth: int = DEFAULT_MAX_DEPTH,
        depth: int = 0,
    ) -> Node:
        """``rule`` expanded by its alternative ``alt``, the rest derived at random."""
        return self._build(rule, alt, lambda r: self.derive(rng, r, max_depth, depth + 1))

    def choices(self, tree: Node, outermost: bool = False) -> list[Site]:
        """The places in ``tree`` whose rule has several alternatives, in pre-order
        (``outermost``: only those inside no other such place)."""
        out: list[Site] = []
        for site in self.sites(tree):
            if len(self.alternatives[site.node.rule]) < 2:
                continue
            if outermost and any(site.path[: len(o.path)] == o.path for o in out):
                continue
            out.append(site)
        return out

    def _build(self, rule, i, child) -> Node:
        kids = []
        for name, is_term in self.alternatives[rule][i]:
            kids.append(self.literals[name] if is_term else child(name))
        return Node(rule, i, tuple(kids))

    def covering(self) -> list[Node]:
        """Derivations that together use every alternative of every rule (a finite
        space): the i-th takes alternative ``min(i, n - 1)`` of each rule of n."""
        most = max(len(a) for a in self.alternatives.values())
        return [self._chosen(lambda n, i=i: min(i, n - 1)) for i in range(most)]

    def _chosen(self, choose, rule: str | None = None, _stack: tuple = ()) -> Node:
        rule = rule or self.start
        if rule in _stack:
            raise SpaceError(f"{self.origin}: rule '{rule}' is recursive, so the space is infinite")
        i = choose(len(self.alternatives[rule]))
        return self._build(rule, i, lambda r: self._chosen(choose, r, (*_stack, rule)))

    def enumerate(self, rule: str | None = None, _stack: tuple = ()):
        """Every derivation of a finite grammar (an error for a recursive one)."""
        rule = rule or self.start
        if rule in _stack:
            raise SpaceError(f"{self.origin}: rule '{rule}' is recursive, so the space is infinite")
        import itertools

        for i, alt in enumerate(self.alternatives[rule]):
            options = [
                [self.literals[n]] if t else list(self.enumerate(n, (*_stack, rule)))
                for n, t in alt
            ]
            for combo in itertools.product(*options):
                yield Node(rule, i, tuple(combo))

    def count(self, rule: str | None = None, _stack: tuple = ()) -> int:
        """How many derivations the grammar has (without listing them)."""
        rule = rule or self.start
        if rule in _stack:
            raise SpaceError(f"{self.origin}: rule '{rule}' is recursive, so the space is infinite")
        total = 0
        for alt in self.alternatives[rule]:
            n = 1
            for name, t in alt:
                if not t:
                    n *= self.count(name, (*_stack, rule))
            total += n
        return total

    # ------------------------------------------------------------ trees
    def sites(self, tree: Node, variable_only: bool = True) -> list[Site]:
        """Pre-order list of the places in ``tree`` (rules whose derivations can vary)."""
        out: list[Site] = []

        def walk(node: Node, path: tuple, parent_scale: str) -> None:
            scale = self.scale_of(node.rule, parent_scale)
            if not variable_only or node.rule in self.variable:
                out.append(Site(path, node, scale))
            for k, c in enumerate(node.children):
                if isinstance(c, Node):
                    walk(c, (*path, k), scale)

        walk(tree, (), "macro")
        return out

    @staticmethod
    def replace(tree: Node, path: tuple[int, ...], new: Node) -> Node:
        if not path:
            return new
        k = path[0]
        kids = list(tree.children)
        kids[k] = SearchSpace.replace(kids[k], path[1:], new)
        return Node(tree.rule, tree.alt, tuple(kids))

    def check_tree(self, tree: Node) -> None:
        """Raise :class:`SpaceError` unless ``tree`` is a derivation of this grammar."""
        alts = self.alternatives.get(tree.rule)
        if alts is None or not 0 <= tree.alt < len(alts):
            raise SpaceError(
                f"genome does not fit space '{self.name}': no alternative {tree.alt} of rule '{tree.rule}'"
            )
        alt = alts[tree.alt]
        if len(alt) != len(tree.children):
            raise SpaceError(
                f"genome does not fit space '{self.name}': rule '{tree.rule}' has the wrong children"
            )
        for (name, is_term), c in zip(alt, tree.children):
            if is_term:
                if c != self.literals[name]:
                    raise SpaceError(
                        f"genome does not fit space '{self.name}': {c!r} where {self.literals[name]!r} belongs"
                    )
            elif not isinstance(c, Node) or c.rule != name:
                raise SpaceError(
                    f"genome does not fit space '{self.name}': rule '{name}' expected in '{tree.rule}'"
                )
            else:
                self.check_tree(c)

    # ------------------------------------------------------------ sentences
    def normal(self, tree: Node) -> Node:
        """The derivation in the space's canonical form (itself where it has none)."""
        return tree if self._canonicalise is None else self._canonicalise(self, tree)

    def sentence(self, tree: Node) -> str:
        return " ".join(self.normal(tree).leaves())

    def parsed(self, tree: Node):
        """``(canonical text, Module)`` of a derivation, from one parse of its sentence
        (raises SnarcSyntaxError if invalid). Formatting preserves meaning, so the
        Module elaborates as the canonical text would."""
        from ..dsl import format_module, parse

        module = parse(self.sentence(tree), f"<{self.name} genome>")
        return format_module(module), module

    def canonical(self, tree: Node) -> str:
        """The formatted snarc program of a derivation (raises SnarcSyntaxError if invalid)."""
        return self.parsed(tree)[0]

    def validate(self, program, max_params: int | None = None):
        """Elaborate a program (canonical text, or its parsed Module); returns the IR graph
        or raises SnarcError."""
        from ..dsl import DEFAULT_MAX_PARAMS, elaborate, parse

        module = parse(program, f"<{self.name} genome>") if isinstance(program, str) else program
        graph = elaborate(module, max_params=max_params or DEFAULT_MAX_PARAMS)
        if graph is None:
            raise SpaceError(f"a sentence of space '{self.name}' has no network")
        return graph

    def __repr__(self) -> str:
        return f"SearchSpace({self.name!r}, rules={len(self.alternatives)})"
