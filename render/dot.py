""":class:`Drawing` → DOT text (:func:`to_dot`), and through graphviz's ``dot`` binary
to SVG, PNG or PDF (:func:`render_file`)."""

from __future__ import annotations

from pathlib import Path

from ..util.fileio import atomic_write
from .layout import FORMATS, DrawEdge, Drawing, DrawNode

_EDGE_STYLE = {
    "forward": {"style": "solid", "color": "#333333"},
    "residual": {"style": "dashed", "color": "#888888"},
    "feedback": {"style": "dashed", "color": "#1f5fbf", "constraint": "false"},
    "lateral": {"style": "dotted", "color": "#7b3fa0", "constraint": "false"},
}


def edge_attrs(e: DrawEdge) -> dict[str, str]:
    attrs = dict(_EDGE_STYLE[e.kind])
    if e.sign == "inhibitory":
        attrs.update(color="#c0392b", arrowhead="tee")
    elif e.sign == "excitatory":
        attrs.update(color="#1e8449")
    if e.genetic:
        attrs["penwidth"] = "2.2"
    if e.kind == "feedback":
        attrs.setdefault("arrowhead", "normal")
    if e.label:
        attrs["label"] = e.label
    return attrs


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# what each edge style means, in the legend's order: (name, sample edge)
LEGEND = (
    ("forward", DrawEdge("", "", "forward")),
    ("residual", DrawEdge("", "", "residual")),
    ("feedback (t−1)", DrawEdge("", "", "feedback")),
    ("lateral (t−1)", DrawEdge("", "", "lateral")),
    ("excitatory", DrawEdge("", "", "forward", sign="excitatory")),
    ("inhibitory", DrawEdge("", "", "forward", sign="inhibitory")),
    ("genetically encoded", DrawEdge("", "", "forward", genetic=True)),
)


def _used(drawing: Drawing, name: str, sample: DrawEdge) -> bool:
    if sample.sign:
        return any(e.sign == sample.sign for e in drawing.edges)
    if sample.genetic:
        return any(e.genetic for e in drawing.edges)
    return any(e.kind == sample.kind for e in drawing.edges)


def legend_lines(drawing: Drawing) -> list[str]:
    """A legend cluster with one sample edge for every edge style the drawing uses."""
    used = [(name, sample) for name, sample in LEGEND if _used(drawing, name, sample)]
    if not used:
        return []
    lines = [
        '  subgraph "cluster_legend" {',
        '    graph [label="legend", style="rounded", color="#bbbbbb", fontsize=10];',
    ]
    for i, (name, sample) in enumerate(reversed(used)):  # dot lays siblings out right to left
        a, b = f"legend_{i}_a", f"legend_{i}_b"
        attrs = {k: v for k, v in edge_attrs(sample).items() if k != "constraint"}
        lines.append(f'    {_q(a)} [label="", shape=point, width=0.04, color="#999999"];')
        lines.append(f"    {_q(b)} [label={_q(name)}, shape=plaintext, fontsize=9];")
        attrs_text = ", ".join(f"{k}={_q(v)}" for k, v in attrs.items())
        lines.append(f"    {_q(a)} -> {_q(b)} [{attrs_text}];")
    lines.append("  }")
    return lines


def to_dot(drawing: Drawing, dpi: int | None = None) -> str:
    """DOT text of a drawing (no graphviz binary needed); ``dpi`` for raster output."""
    lines = [
        f"digraph {_q(drawing.title)} {{",
        f"  graph [rankdir=TB, label={_q(drawing.title)}, labelloc=t, fontname=Helvetica, fontsize=14, "
        "newrank=true, nodesep=0.35, ranksep=0.45" + (f", dpi={dpi}" if dpi else "") + "];",
        '  node [fontname=Helvetica, fontsize=10, margin="0.12,0.05"];',
        "  edge [fontname=Helvetica, fontsize=8, arrowsize=0.7];",
    ]
    by_cluster: dict[tuple[str, ...], list[DrawNode]] = {}
    for n in drawing.nodes:
        by_cluster.setdefault(n.cluster, []).append(n)

    def node_line(n: DrawNode, indent: str) -> str:
        return (
            f"{indent}{_q(n.id)} [label={_q(n.label)}, shape={n.shape}, style={_q(n.style)}, "
            f"fillcolor={_q(n.fillcolor)}];"
        )

    def emit(path: tuple[str, ...], indent: str):
        for n in by_cluster.get(path, []):
            lines.append(node_line(n, indent))
        children = sorted(
            p for p in drawing.clusters if len(p) == len(path) + 1 and p[: len(path)] == path
        )
        for child in children:
            name = "cluster_" + "_".join(child)
            lines.append(f"{indent}subgraph {_q(name)} {{")
            lines.append(
                f'{indent}  graph [label={_q(drawing.clusters[child])}, style="rounded,filled", '
                f'fillcolor="#f7f5fb", color="#9b8ec4", fontsize=11];'
            )
            emit(child, indent + "  ")
            lines.append(f"{indent}}}")

    emit((), "  ")
    for e in drawing.edges:
        attrs = ", ".join(f"{k}={_q(v)}" for k, v in edge_attrs(e).items())
        lines.append(f"  {_q(e.src)} -> {_q(e.dst)} [{attrs}];")
    lines.extend(legend_lines(drawing))
    lines.append("}")
    return "\n".join(lines) + "\n"


PNG_DPI = 160  # graphviz's default, 72, gives drawings too small to read on a screen


class RenderError(RuntimeError):
    pass


def render_file(drawing: Drawing, out: str | Path, fmt: str | None = None) -> Path:
    """Write the drawing to ``out`` (format from the suffix); atomic: never half-written."""
    out = Path(out)
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise RenderError(f"cannot write {out}: the format must be one of {', '.join(FORMATS)}")
    dot = to_dot(drawing, dpi=PNG_DPI if fmt == "png" else None)
    if fmt == "dot":
        data = dot.encode()
    else:
        import graphviz

        try:
            data = graphviz.Source(dot).pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            raise RenderError(
                "graphviz's `dot` is not installed: run `make graphviz` (or apt-get install graphviz), "
                "or write DOT text with -o FILE.dot"
            ) from None
        except graphviz.CalledProcessError as err:  # pragma: no cover - dot failed on our own text
            raise RenderError(f"dot failed: {err.stderr.decode(errors='replace')[-500:]}") from None
    return atomic_write(out, data)
