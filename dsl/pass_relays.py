"""IR pass 1: remove relays that forward exactly one plain, undelayed connection."""

from __future__ import annotations


def elide_relays(elab):
    """Remove relays that forward exactly one plain, undelayed connection."""
    g = elab.g
    for node in list(g.nodes):
        d = g.nodes[node]
        if d.kind != "relay":
            continue
        ins = list(g.in_edges(node, keys=True, data=True))
        if len(ins) != 1:
            continue
        u, _, k, e = ins[0]
        if e.delay or e.calls or e.sign or e.gene_call or u == node:
            continue
        for _, v, e2 in list(g.out_edges(node, data=True)):
            attrs = dict(e2)
            if v == node:
                continue
            g.add_edge(u, v, **attrs)
        g.remove_node(node)
