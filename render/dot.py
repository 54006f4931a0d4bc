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


def to_dot(drawing: Drawing) -> str:
    """DOT text of a drawing (no graphviz binary needed)."""
    lines = [
        f"digraph {_q(drawing.title)} {{",
        f"  graph [rankdir=TB, label={_q(drawing.title)}, labelloc=t, fontname=Helvetica, fontsize=14, "
        "newrank=true, nodesep=0.35, ranksep=0.45];",
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
    lines.append("}")
    return "\n".join(lines) + "\n"


class RenderError(RuntimeError):
    pass


def render_file(drawing: Drawing, out: str | Path, fmt: str | None = None) -> Path:
    """Write the drawing to ``out`` (format from the suffix); atomic: never half-written."""
    out = Path(out)
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise RenderError(f"cannot write {out}: the format must be one of {', '.join(FORMATS)}")
    dot = to_dot(drawing)
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
