"""IR pass 2: every cycle carries a delay (a feedback or lateral connection); the
delay-free graph's topological order, for the passes after it."""

from __future__ import annotations

import networkx as nx

from .errors import (
    SnarcCycleError,
)


def check_cycles(elab):
    fwd = nx.DiGraph()
    fwd.add_nodes_from(elab.g.nodes)
    for u, v, d in elab.g.edges(data=True):
        if d.delay == 0:
            fwd.add_edge(u, v, span=d.span)
    if nx.is_directed_acyclic_graph(fwd):
        elab.topo = list(nx.topological_sort(fwd))
        return
    cycle = nx.find_cycle(fwd)
    path = " -> ".join([cycle[0][0]] + [v for _, v in cycle])
    spans = [fwd.edges[u, v]["span"] for u, v in cycle]
    first = spans[0]
    for span in spans:
        if span.file == elab.g.graph.get("path"):
            first = span
            break
    raise SnarcCycleError(
        f"cycle with no delay: {path}",
        first,
        hint="make one of these connections feedback (~>) or lateral (..>): those read step t-1",
        notes=[("part of the cycle", s) for s in spans if s is not first],
    )
