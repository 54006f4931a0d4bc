"""A plain-data summary of an elaborated network (what ``snarc summary`` prints)."""

from __future__ import annotations

from typing import Any


def summary(graph) -> dict[str, Any]:
    """Nodes, edges, shapes, parameters (total and per node) and time steps as plain data."""
    g = graph
    nodes = []
    for node, d in g.nodes(data=True):
        n = d.neuron
        nodes.append(
            {
                "name": node,
                "kind": d.kind,
                "neuron": n.model if n is not None else None,
                "neuron_def": n.name if n is not None else None,
                "shape": list(d.shape),
                "merge": d.merge,
                "params": d.params,
                "cell": d.scope or None,
                "motif": d.motif,
                "line": d.span.line,
            }
        )
    edges = []
    for u, v, d in sorted(g.edges(data=True), key=lambda x: x[2]["order"]):
        edges.append(
            {
                "src": u,
                "dst": v,
                "kind": d.kind,
                "delay": d.delay,
                "ops": [op.describe() for op in d.ops],
                # the weighted operations' biases: a choice, shown (None: no weights)
                "bias": _bias(d.ops),
                "sign": d.sign,
                "genetic": (
                    {"pool": d.genetic.pool, "rank": d.genetic.rank} if d.genetic else None
                ),
                "in_shape": list(d.in_shape),
                "out_shape": list(d.out_shape),
                "params": d.params,
            }
        )
    inp = g.graph["input"]
    weighted = [e["bias"] for e in edges if e["bias"] is not None]
    return {
        "network": g.graph["name"],
        "file": g.graph["path"],
        "timesteps": g.graph["timesteps"],
        "dt": g.graph["dt"],
        "input": {"kind": inp.kind, "shape": list(inp.shape), "encode": inp.encode},
        "readout": {"node": g.graph["readout"].node, "over": g.graph["readout"].over},
        "params": g.graph["params"],
        "params_unencoded": g.graph["params_unencoded"],
        "neurons": g.graph["neurons"],
        "gene_pools": {
            name: {
                "rank": p.rank,
                "kernel": list(p.kernel) if p.kernel else None,
                "params": p.params,
            }
            for name, p in g.graph["gene_pools"].items()
        },
        "biases": {"on": sum(weighted), "weighted_connections": len(weighted)},
        "num_nodes": len(nodes),
        "num_edges": len(edges),
        "nodes": nodes,
        "edges": edges,
        "warnings": [w.message for w in g.graph["warnings"]],
    }


def _bias(ops) -> bool | None:
    """Whether the connection's weighted operations add a bias (None: it has none)."""
    from .signatures import OPS

    weighted = [op for op in ops if OPS[op.name].weighted]
    if not weighted:
        return None
    return any(op.get("bias") for op in weighted)
