"""Typed node and edge records of the graph IR, and the graph class that holds them.

networkx keeps each node's and edge's attributes in a dict that it makes with the
graph's ``node_attr_dict_factory`` / ``edge_attr_dict_factory``. :class:`IRGraph` makes
them :class:`NodeRecord` and :class:`EdgeRecord` instead: dataclasses with declared,
typed fields, read as attributes (``g.nodes[n].shape`` is ``g.nodes[n]["shape"]``).
They also answer the mapping protocol, so networkx can build, copy and iterate them and
code written against string keys keeps working; a key that is not a field is an error
(a typo no longer creates an attribute nobody reads).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, fields
from typing import Any

import networkx as nx


class _Record(MutableMapping):
    """The mapping protocol over a dataclass's fields (no keys but the fields)."""

    def _names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self._names():
            raise KeyError(f"{type(self).__name__} has no field '{key}'")
        setattr(self, key, value)

    def __delitem__(self, key: str) -> None:
        raise TypeError(f"{type(self).__name__} fields cannot be deleted")

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def copy(self) -> dict:
        return {k: getattr(self, k) for k in self._names()}


@dataclass(eq=False)
class NodeRecord(_Record):
    """A node of the IR (see :mod:`snarc.dsl.ir` for what each field means)."""

    kind: str = ""  # input | neuron | relay | readout
    neuron: Any = None  # NeuronSpec or None
    merge: str = "sum"  # sum | concat
    span: Any = None  # Span of the declaration
    scope: str = ""  # the cell path ("c2"; "" at top level)
    motif: str | None = None  # the motif that scope instantiates
    shape: tuple[int, ...] | None = None  # output shape (per sample)
    params: int = 0  # learnable parameters of the node and its incoming connections
    own_params: int = 0  # learnable parameters of the node itself (PLIF)


@dataclass(eq=False)
class EdgeRecord(_Record):
    """A connection of the IR (see :mod:`snarc.dsl.ir`)."""

    kind: str = ""  # forward | residual | feedback | lateral
    delay: int = 0  # 1: reads the source's output of step t-1
    calls: tuple = ()  # OpCall, as written (set by instantiation, never rewritten)
    ops: tuple = ()  # OpSpec, in order: derived from calls by the shapes pass
    sign: str | None = None  # None | excitatory | inhibitory
    gene_call: Any = None  # GeneticCall as written, or None
    genetic: Any = None  # GeneticSpec: derived from gene_call by the genetics pass
    span: Any = None
    order: int = 0  # declaration order
    in_shape: tuple[int, ...] | None = None
    out_shape: tuple[int, ...] | None = None
    params: int = 0


class IRGraph(nx.MultiDiGraph):
    """The IR's graph: a MultiDiGraph whose node and edge attributes are records."""

    node_attr_dict_factory = NodeRecord
    edge_attr_dict_factory = EdgeRecord
