"""The graph IR: what every backend reads.

An elaborated network is an :class:`~snarc.dsl.records.IRGraph`, a
:class:`networkx.MultiDiGraph` whose node and edge attributes are typed records
(:class:`~snarc.dsl.records.NodeRecord`, :class:`~snarc.dsl.records.EdgeRecord`: read
``g.nodes[n].shape``; the fields below). Node ids are hierarchical
names (``c2.b``: population ``b`` of cell ``c2``). Shapes are per sample, without the
time and batch axes: ``(C, H, W)`` for maps, ``(F,)`` for vectors.

Node fields
    ``kind``      ``"input"``, ``"neuron"`` (a population of spiking or leaky neurons),
                  ``"relay"`` (merges its inputs and passes them on: pooling cells,
                  motif outputs) or ``"readout"``
    ``neuron``    :class:`NeuronSpec` or ``None``
    ``merge``     ``"sum"`` or ``"concat"`` (how incoming edges combine)
    ``shape``     output shape
    ``params``    learnable parameters of the node itself (PLIF time constants)
    ``scope``     the cell path the node belongs to (``"c2"``, ``""`` at top level)
    ``motif``     the motif that scope instantiates (``None`` at top level)
    ``span``      :class:`~snarc.dsl.ast.Span` of the declaration

Edge fields
    ``kind``      ``"forward"``, ``"residual"``, ``"feedback"`` or ``"lateral"``
    ``delay``     0, or 1 for feedback and lateral edges (they read step t-1)
    ``calls``     tuple of :class:`OpCall`: the operations as written, arguments bound
    ``ops``       tuple of :class:`OpSpec`, applied in order (derived from ``calls``)
    ``sign``      ``None``, ``"excitatory"`` (positive part) or ``"inhibitory"`` (negative part)
    ``gene_call`` :class:`GeneticCall` as written, or ``None``
    ``genetic``   :class:`GeneticSpec` (derived from ``gene_call``) or ``None``

Instantiation writes what the program says (``calls``, ``gene_call``); each pass adds
the fields it derives and never rewrites what an earlier step wrote.
    ``in_shape``, ``out_shape``, ``params``, ``order`` (declaration order), ``span``

Graph attributes (``G.graph``)
    ``name``, ``path``, ``timesteps``, ``dt``, ``input`` (:class:`InputSpec`),
    ``readout`` (:class:`ReadoutSpec`), ``gene_pools`` (pool → :class:`GenePool`),
    ``genes`` ((node, pool, unit) → number of gene vectors), ``params`` (total),
    ``warnings`` (list of :class:`~snarc.dsl.errors.SnarcError` that were not fatal)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .ast import NO_SPAN, Span
from .neuron_models import NEURON_MODELS

Shape = tuple[int, ...]


@dataclass(frozen=True)
class NeuronSpec:
    """A neuron model with every parameter resolved (defaults filled in)."""

    model: str  # LIF, IF, PLIF, ALIF, Izhikevich, LI
    params: tuple[tuple[str, Any], ...]  # sorted (name, value); surrogate as (name, alpha)
    name: str | None = None  # the definition it came from, for display
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.params).get(key, default)

    @property
    def spiking(self) -> bool:
        return NEURON_MODELS[self.model].spiking

    @property
    def learnable(self) -> int:
        """Learnable parameters per population (the model's, and a learned threshold)."""
        return NEURON_MODELS[self.model].learnable + (1 if self.get("learn_threshold") else 0)

    def describe(self) -> str:
        parts = []
        for k, v in self.params:
            if isinstance(v, tuple):
                parts.append(f"{k}={v[0]}({v[1]:g})")
            elif isinstance(v, float):
                parts.append(f"{k}={v:g}")
            else:
                parts.append(f"{k}={v}")
        return f"{self.model}({', '.join(parts)})"


@dataclass(frozen=True)
class OpSpec:
    """One synaptic operation with resolved arguments and shapes."""

    name: str
    args: tuple[tuple[str, Any], ...]
    in_shape: Shape
    out_shape: Shape
    params: int
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.args).get(key, default)

    def describe(self) -> str:
        """As it would be written: required arguments by position, others only if not default."""
        from .signatures import OPS, REQUIRED

        args = dict(self.args)
        parts = []
        for a in OPS[self.name].signature:
            if a.name not in args:
                continue
            v = args[a.name]
            if a.default is REQUIRED:
                parts.append(_show(v))
            elif v != a.default:
                parts.append(f"{a.name}: {_show(v)}")
        return f"{self.name}({', '.join(parts)})" if parts else self.name


def _show(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


@dataclass(frozen=True)
class OpCall:
    """An operation as a connection writes it, its arguments bound: what instantiation
    records; the shapes pass derives the connection's :class:`OpSpec` chain from it."""

    name: str
    args: dict  # argument name -> bound value
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class GeneticCall:
    """``genetic(rank: R, pool: P)`` as a connection writes it; the genetics pass
    derives the connection's :class:`GeneticSpec` from it."""

    rank: int
    pool: str | None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class GeneticSpec:
    """A genetically encoded weight: ``W = X_post · O · X_preᵀ``.

    ``X_post`` are the gene vectors of the destination's neurons (rows
    ``post_offset .. post_offset + post_units`` of the destination's gene table for
    this pool), ``X_pre`` those of the source's neurons, ``O`` the pool's interaction
    matrix (one ``rank × rank`` matrix per kernel offset for a convolution).
    """

    pool: str
    rank: int
    op_index: int  # which op of the chain is encoded
    pre: tuple[str, str]  # (node, unit) gene table of the source
    post: tuple[str, str]  # (node, unit) gene table of the destination
    post_offset: int
    post_units: int
    pre_units: int


@dataclass(frozen=True)
class GenePool:
    name: str
    rank: int
    kernel: tuple[int, int] | None  # None for linear maps
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def params(self) -> int:
        offsets = self.kernel[0] * self.kernel[1] if self.kernel else 1
        return offsets * self.rank * self.rank


@dataclass(frozen=True)
class InputSpec:
    kind: str  # image, frames, vector
    shape: Shape
    encode: str  # direct, rate, events
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class ReadoutSpec:
    node: str  # the IR node whose output is read
    over: str  # mean, sum, max, last
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


def ir_fingerprint(graph) -> dict:
    """Everything that gives a network its meaning, without source spans.

    Two programs with equal fingerprints compile to the same module; the formatter's
    tests use this to show that formatting never changes meaning.
    """
    return {
        "graph": {
            k: graph.graph[k]
            for k in (
                "name",
                "timesteps",
                "dt",
                "input",
                "readout",
                "gene_pools",
                "genes",
                "params",
            )
        },
        "nodes": sorted(
            (n, tuple(sorted((k, repr(v)) for k, v in d.items() if k != "span")))
            for n, d in graph.nodes(data=True)
        ),
        "edges": sorted(
            (u, v, tuple(sorted((k, repr(x)) for k, x in d.items() if k != "span")))
            for u, v, d in graph.edges(data=True)
        ),
    }
