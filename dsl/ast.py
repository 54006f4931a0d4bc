"""Typed, immutable syntax tree of a snarc program.

Every node carries the :class:`Span` of the text it was parsed from, so that the
elaborator, the formatter and every backend can point back at the source.
The tree is built by :mod:`snarc.dsl.parser` and read by
:mod:`snarc.dsl.elaborate` (to the graph IR) and :mod:`snarc.dsl.formatter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Span:
    """A region of a source file: 1-based line/column, 0-based character offsets."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start_pos: int
    end_pos: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NO_SPAN = Span("<generated>", 0, 0, 0, 0, 0, 0)


@dataclass(frozen=True, kw_only=True)
class Node:
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


# ------------------------------------------------------------------ expressions


@dataclass(frozen=True, kw_only=True)
class Num(Node):
    value: int | float
    text: str  # as written, so the formatter keeps `2.0` as `2.0`


@dataclass(frozen=True, kw_only=True)
class Var(Node):
    name: str


@dataclass(frozen=True, kw_only=True)
class BinOp(Node):
    op: str  # one of + - * / %
    left: Expr
    right: Expr


@dataclass(frozen=True, kw_only=True)
class Neg(Node):
    operand: Expr


@dataclass(frozen=True, kw_only=True)
class Arg(Node):
    """A call argument: positional when ``name`` is None, else keyword."""

    name: str | None
    value: Expr


@dataclass(frozen=True, kw_only=True)
class Call(Node):
    """``name(args)``: a surrogate such as ``atan(2.0)`` or an operation such as ``conv(3, c)``."""

    name: str
    args: tuple[Arg, ...] = ()


Expr = Union[Num, Var, BinOp, Neg, Call]


# ------------------------------------------------------------------ statements


@dataclass(frozen=True, kw_only=True)
class Ref(Node):
    """A reference to a population, a cell, or the motif input ``in``."""

    name: str


@dataclass(frozen=True, kw_only=True)
class Import(Node):
    target: str  # dotted module (``std.autosnn``) or a path
    is_path: bool


@dataclass(frozen=True, kw_only=True)
class NeuronDef(Node):
    """``neuron plif = PLIF(tau: 2.0, ...)``."""

    name: str
    model: str
    args: tuple[Arg, ...]
    model_span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class NeuronRef(Node):
    """The neuron of a population: a name (``lif``, ``none``, a parameter) or an inline model."""

    name: str
    args: tuple[Arg, ...] | None = None  # None: by name; a tuple: inline ``LIF(...)``


@dataclass(frozen=True, kw_only=True)
class PopDecl(Node):
    """``a, b : lif [merge concat]``."""

    names: tuple[str, ...]
    neuron: NeuronRef
    merge: str | None = None
    merge_span: Span | None = field(default=None, compare=False, repr=False)
    name_spans: tuple[Span, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class Edge(Node):
    """``src -> dst : op | op [excitatory|inhibitory] [genetic(...)]``.

    ``arrow`` is ``->`` (forward), ``=>`` (residual), ``~>`` (feedback) or ``..>`` (lateral).
    """

    src: Ref
    arrow: str
    dst: Ref
    ops: tuple[Call, ...] = ()
    sign: str | None = None
    genetic: tuple[Arg, ...] | None = None
    genetic_span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class Cell(Node):
    """``cell c2 = motif(args) from c1, stem [merge sum]``."""

    name: str
    callee: str
    args: tuple[Arg, ...] | None  # None: written without parentheses
    sources: tuple[Ref, ...] = ()
    merge: str | None = None
    callee_span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class Out(Node):
    """``out b`` or ``out concat(a, b)`` / ``out sum(a, b)``."""

    refs: tuple[Ref, ...]
    merge: str | None = None


@dataclass(frozen=True, kw_only=True)
class Input(Node):
    """``input image(3, 32, 32) steps 8 [encode rate] [dt 1.0]``."""

    kind: str
    args: tuple[Arg, ...]
    steps: Expr
    encode: str | None = None
    dt: Expr | None = None


@dataclass(frozen=True, kw_only=True)
class Readout(Node):
    """``readout fc : vote(10) over mean``."""

    ref: Ref
    ops: tuple[Call, ...] = ()
    over: str = "mean"


Stmt = Union[PopDecl, Edge, Cell, Out, Input, Readout, NeuronDef]


@dataclass(frozen=True, kw_only=True)
class Param(Node):
    name: str
    default: Expr | None = None


@dataclass(frozen=True, kw_only=True)
class MotifDef(Node):
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]


@dataclass(frozen=True, kw_only=True)
class NetworkDef(Node):
    name: str
    body: tuple[Stmt, ...]


Item = Union[Import, NeuronDef, MotifDef, NetworkDef]


@dataclass(frozen=True)
class Comment:
    text: str  # including the leading '#'
    line: int
    column: int
    pos: int


@dataclass(frozen=True, kw_only=True)
class Module(Node):
    """One parsed file."""

    path: str
    items: tuple[Item, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)
    source: str = field(default="", compare=False, repr=False)

    @property
    def network(self) -> NetworkDef | None:
        nets = [i for i in self.items if isinstance(i, NetworkDef)]
        return nets[0] if nets else None
