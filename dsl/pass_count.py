"""IR pass 5: parameters and neurons, and the parameter and node ceilings."""

from __future__ import annotations

from . import ast
from .errors import (
    SnarcResourceError,
)


def count(elab, net: ast.NetworkDef):
    g = elab.g
    total = 0
    neurons = 0
    for _node, d in g.nodes(data=True):
        own = d.neuron.learnable if d.neuron is not None else 0
        if d.neuron is not None:
            n = 1
            for s in d.shape:
                n *= s
            neurons += n
        d.own_params = own
        d.params = own
    for (node, pool, _unit), units in g.graph["genes"].items():
        n = units * g.graph["gene_pools"][pool].rank
        g.nodes[node].own_params += n
        g.nodes[node].params += n
    encoded = 0  # what the genetically encoded operations would hold as plain weights
    for _u, v, e in g.edges(data=True):
        p = 0
        for i, op in enumerate(e.ops):
            if e.genetic is not None and i == e.genetic.op_index:
                # the dense weight is replaced by genes; a bias stays
                bias = op.out_shape[0] if op.get("bias") else 0
                p += bias
                encoded += op.params - bias
            else:
                p += op.params
        e.params = p
        g.nodes[v].params += p
    total = sum(d.params for _, d in g.nodes(data=True))
    total += sum(pool.params for pool in g.graph["gene_pools"].values())
    g.graph["params"] = total
    genes = sum(
        units * g.graph["gene_pools"][pool].rank
        for (_n, pool, _u), units in g.graph["genes"].items()
    ) + sum(pool.params for pool in g.graph["gene_pools"].values())
    # the same program with every genetic(...) removed: its weights stored, no genes
    g.graph["params_unencoded"] = total - genes + encoded
    g.graph["neurons"] = neurons
    if total > elab.max_params:
        raise SnarcResourceError(
            f"network '{net.name}' has {total:,} parameters, over the ceiling of {elab.max_params:,}",
            net.span,
            hint="reduce channels or features, or raise the ceiling with --max-params",
        )
