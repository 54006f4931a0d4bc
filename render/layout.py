"""IR → :class:`Drawing`: nodes, edges, labels, clusters and styles at one of three
scales. A pure data step: no graphviz needed, so it is tested without the binary."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..dsl.signatures import OPS

SCALES = ("macro", "meso", "micro")
FORMATS = ("svg", "png", "pdf", "dot")


@dataclass(frozen=True)
class DrawNode:
    id: str
    label: str
    shape: str = "box"
    style: str = "rounded,filled"
    fillcolor: str = "#dbe9f6"
    cluster: tuple[str, ...] = ()  # path of nested clusters (cell scopes)


@dataclass(frozen=True)
class DrawEdge:
    src: str
    dst: str
    kind: str  # forward, residual, feedback, lateral
    label: str = ""
    sign: str | None = None
    genetic: bool = False
    count: int = 1  # connections merged into this edge (macro scale)


@dataclass
class Drawing:
    title: str
    scale: str
    nodes: list[DrawNode] = field(default_factory=list)
    edges: list[DrawEdge] = field(default_factory=list)
    clusters: dict[tuple[str, ...], str] = field(default_factory=dict)  # path -> label


_KIND_FILL = {"input": "#fde2c8", "readout": "#d5ecd4", "relay": "#eeeeee", "neuron": "#dbe9f6"}
_KIND_SHAPE = {"input": "invhouse", "readout": "house", "relay": "box", "neuron": "box"}


def _shape(shape) -> str:
    return "×".join(str(s) for s in shape)


def _neuron_brief(spec) -> str:
    """The neuron at micro scale: its model and time constants, then how it fires —
    threshold, reset and surrogate gradient — on a second line."""
    if spec is None:
        return ""
    keys = [k for k in ("tau_mem", "tau", "tau_syn", "tau_adapt", "beta", "v_leak") if spec.get(k)]
    params = ", ".join(f"{k}={spec.get(k):g}" for k in keys)
    head = f"{spec.name}: {spec.model}({params})" if spec.name else f"{spec.model}({params})"
    firing = []
    if spec.get("v_th") is not None:
        firing.append(f"v_th={spec.get('v_th'):g}")
    if spec.get("reset") == "soft":
        firing.append("soft reset")
    elif spec.get("reset") == "hard":
        firing.append(f"reset to {spec.get('v_reset') or 0:g}")
    if spec.get("detach_reset"):
        firing.append("detached")
    if spec.get("surrogate"):
        name, alpha = spec.get("surrogate")
        firing.append(f"{name}({alpha:g})")
    return head + ("\n" + ", ".join(firing) if firing else "")


def _relay_ops(g, node) -> str:
    """The operation of an operation cell (``cell p = maxpool(2) from x``): the chain
    that every input of the relay goes through, if they all share one."""
    chains = {
        " | ".join(op.describe() for op in d.ops if OPS[op.name].shown)
        for _, _, d in g.in_edges(node, data=True)
    }
    return chains.pop() if len(chains) == 1 else ""


def layout(graph, scale: str = "meso") -> Drawing:
    """The drawing of an elaborated network at ``scale`` (pure: no graphviz needed)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: one of {', '.join(SCALES)}")
    g = graph
    drawing = Drawing(title=f"{g.graph['name']} ({scale})", scale=scale)
    if scale == "macro":
        return _macro(g, drawing)
    for node, d in g.nodes(data=True):
        scope = tuple(d.scope.split(".")) if d.scope else ()
        for i in range(1, len(scope) + 1):
            path = scope[:i]
            motif = g.graph.get("instances", {}).get(".".join(path)) or (
                d.motif if i == len(scope) else None
            )
            drawing.clusters.setdefault(path, f"{path[-1]}" + (f" : {motif}" if motif else ""))
        short = node[len(d.scope) + 1 :] if d.scope else node
        lines = [short]
        if d.kind == "neuron":
            lines.append(
                _neuron_brief(d.neuron) if scale == "micro" else (d.neuron.name or d.neuron.model)
            )
        elif d.kind == "relay":
            ops = _relay_ops(g, node)
            if ops:
                lines.append(ops)
            if d.merge == "concat" and g.in_degree(node) > 1:
                lines.append("concat")
        elif d.kind == "input":
            spec = g.graph["input"]
            lines.append(f"{spec.kind} ({spec.encode}), T={g.graph['timesteps']}")
        elif d.kind == "readout":
            lines.append(f"over {g.graph['readout'].over}")
        if scale == "micro" or d.kind in ("input", "readout"):
            lines.append(_shape(d.shape))
        if scale == "micro" and d.params:
            lines.append(f"{d['params']:,} params")
        drawing.nodes.append(
            DrawNode(
                id=node,
                label="\n".join(lines),
                shape=_KIND_SHAPE[d.kind],
                fillcolor=_KIND_FILL[d.kind],
                cluster=scope,
            )
        )
    for u, v, d in sorted(g.edges(data=True), key=lambda x: x[2].order):
        label = ""
        if scale == "micro":
            label = " | ".join(op.describe() for op in d.ops if OPS[op.name].shown)
            if d.genetic is not None:
                label += f" [genes r={d['genetic'].rank}, {d['genetic'].pool}]"
        else:
            label = ", ".join(op.describe() for op in d.ops if OPS[op.name].weighted)
            if g.nodes[v].kind == "relay":
                label = ""
        drawing.edges.append(DrawEdge(u, v, d.kind, label.strip(), d.sign, d.genetic is not None))
    return drawing


def _macro(g, drawing: Drawing) -> Drawing:
    def macro_id(node: str) -> str:
        scope = g.nodes[node].scope
        return scope.split(".")[0] if scope else node

    members: dict[str, list[str]] = {}
    for node in g.nodes:
        members.setdefault(macro_id(node), []).append(node)
    for mid, nodes in members.items():
        d = g.nodes[nodes[0]]
        if len(nodes) == 1 and not d.scope:
            lines = [mid]
            if d.kind == "neuron":
                lines.append(d.neuron.name or d.neuron.model)
            elif d.kind == "relay":
                ops = _relay_ops(g, mid)
                if ops:
                    lines.append(ops)
            elif d.kind == "input":
                spec = g.graph["input"]
                lines.append(f"{spec.kind}, T={g.graph['timesteps']}")
            lines.append(_shape(d.shape))
            drawing.nodes.append(
                DrawNode(mid, "\n".join(lines), _KIND_SHAPE[d.kind], fillcolor=_KIND_FILL[d.kind])
            )
            continue
        motif = g.graph.get("instances", {}).get(mid) or next(
            (g.nodes[n].motif for n in nodes if g.nodes[n].scope == mid), "?"
        )
        outs = [n for n in nodes if any(macro_id(v) != mid for _, v in g.out_edges(n))]
        shape = _shape(g.nodes[outs[0]]["shape"]) if outs else ""
        params = sum(g.nodes[n].params for n in nodes)
        inner = sum(1 for n in nodes if g.nodes[n].kind == "neuron")
        drawing.nodes.append(
            DrawNode(
                mid,
                f"{mid} : {motif}\n{inner} population{'s' if inner != 1 else ''}, {params:,} params\n{shape}",
                "box3d",
                "filled",
                "#e4dcf1",
            )
        )
    merged: dict[tuple, DrawEdge] = {}
    for u, v, d in sorted(g.edges(data=True), key=lambda x: x[2].order):
        mu, mv = macro_id(u), macro_id(v)
        if mu == mv and u != v or mu == mv and g.nodes[u].scope:
            continue  # inside a cell; a top-level population's self-loop is drawn
        key = (mu, mv, d.kind, d.sign)
        if key in merged:
            e = merged[key]
            merged[key] = DrawEdge(
                mu, mv, e.kind, e.label, e.sign, e.genetic or d.genetic is not None, e.count + 1
            )
        else:
            merged[key] = DrawEdge(mu, mv, d.kind, "", d.sign, d.genetic is not None)
    drawing.edges = [
        DrawEdge(
            e.src, e.dst, e.kind, f"×{e.count}" if e.count > 1 else "", e.sign, e.genetic, e.count
        )
        for e in merged.values()
    ]
    return drawing


# ---------------------------------------------------------------- DOT
