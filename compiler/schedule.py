"""The schedule of a network, computed from the IR alone (no torch): which nodes run
multi-step over the whole sequence and which step by step, in what order.

The IR is split into strongly connected components, visited in topological order. A
component of one node without a self-loop lies on no cycle and runs **multi-step**
(its connections over all ``T·B`` samples in one call, then the neuron over T); a
component with a cycle runs **step by step**, its members in the delay-free order.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx


@dataclass(frozen=True)
class Schedule:
    order: tuple[str, ...]  # every node, sources before targets along delay-free edges
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # ("multi" | "step", nodes), in order
    modes: dict[str, str]  # node -> "multi-step" | "stepwise"


def delay_free_order(graph) -> list[str]:
    """Every node, in topological order of the delay-free edges (isolated nodes last)."""
    order = list(
        nx.topological_sort(
            nx.DiGraph((u, v) for u, v, d in graph.edges(data=True) if d.delay == 0)
        )
    )
    return order + [n for n in graph.nodes if n not in order]


def schedule(graph) -> Schedule:
    order = delay_free_order(graph)
    cond = nx.condensation(graph)
    groups: list[tuple[str, tuple[str, ...]]] = []
    modes: dict[str, str] = {}
    for comp in nx.topological_sort(cond):
        members = cond.nodes[comp]["members"]
        if len(members) == 1:
            (n,) = members
            if not graph.has_edge(n, n):
                if n != "input":
                    groups.append(("multi", (n,)))
                modes[n] = "multi-step"
                continue
        inner = tuple(n for n in order if n in members)
        groups.append(("step", inner))
        for n in inner:
            modes[n] = "stepwise"
    return Schedule(tuple(order), tuple(groups), modes)
