"""Nested NIR graphs (a node that is itself a ``NIRGraph``, as snnTorch writes its
recurrent layers) flattened into one graph with hierarchical names (``rlif.lif``): the
subgraph's ``Input`` takes the edges into the node, its ``Output`` the edges out of it
(both become pass-through ``Scale(1)``-free links, so nothing is added)."""

from __future__ import annotations

from .errors import NIRImportError

MAX_DEPTH = 16


def flatten_graph(graph, depth: int = 0):
    """``graph`` with every nested ``NIRGraph`` node inlined (recursively)."""
    import nir

    if not any(isinstance(n, nir.NIRGraph) for n in graph.nodes.values()):
        return graph
    if depth >= MAX_DEPTH:
        raise NIRImportError(f"NIR graphs nested more than {MAX_DEPTH} deep")
    nodes: dict = {}
    entry: dict[str, list[str]] = {}  # outer name -> nodes its incoming edges go to
    exit_: dict[str, list[str]] = {}  # outer name -> nodes its outgoing edges come from
    inner_edges: list[tuple[str, str]] = []
    for name, node in graph.nodes.items():
        if not isinstance(node, nir.NIRGraph):
            nodes[name] = node
            entry[name] = exit_[name] = [name]
            continue
        sub = flatten_graph(node, depth + 1)
        ins = [n for n, v in sub.nodes.items() if isinstance(v, nir.Input)]
        outs = [n for n, v in sub.nodes.items() if isinstance(v, nir.Output)]
        if len(ins) != 1 or len(outs) != 1:
            raise NIRImportError(
                f"NIR subgraph '{name}': needs one Input and one Output, has {len(ins)} and {len(outs)}"
            )
        for n, v in sub.nodes.items():
            if n not in (ins[0], outs[0]):
                nodes[f"{name}.{n}"] = v
        after_in = [f"{name}.{b}" for a, b in sub.edges if a == ins[0]]
        before_out = [f"{name}.{a}" for a, b in sub.edges if b == outs[0]]
        if ins[0] in {b for _, b in sub.edges} or outs[0] in {a for a, _ in sub.edges}:
            raise NIRImportError(
                f"NIR subgraph '{name}': an edge into its Input or out of its Output"
            )
        entry[name], exit_[name] = after_in, before_out
        inner_edges += [
            (f"{name}.{a}", f"{name}.{b}") for a, b in sub.edges if a != ins[0] and b != outs[0]
        ]
        if (ins[0], outs[0]) in sub.edges:
            raise NIRImportError(
                f"NIR subgraph '{name}': its Input is wired straight to its Output"
            )
    edges = list(inner_edges)
    for a, b in graph.edges:
        if a not in exit_ or b not in entry:
            raise NIRImportError(f"a NIR edge '{a}' -> '{b}' names a node the graph lacks")
        edges += [(x, y) for x in exit_[a] for y in entry[b]]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=dict(graph.metadata or {}))
