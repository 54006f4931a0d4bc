"""``snarc.draw``: a program's drawing in one call."""

from __future__ import annotations

import os
from pathlib import Path

from .dot import render_file
from .layout import layout


def draw(source, out: str | os.PathLike, scale: str = "meso") -> Path:
    """Draw ``source`` — an elaborated IR graph, or anything ``snarc.elaborate`` takes
    (program text, a ``pathlib.Path``, a Module) — at ``scale`` (macro, meso, micro) into
    ``out``, whose suffix picks the format (svg, png, pdf, dot)."""
    import networkx as nx

    from ..dsl import SnarcError, elaborate

    graph = source if isinstance(source, nx.MultiDiGraph) else elaborate(source)
    if graph is None:
        raise SnarcError("a library file has no network to draw")
    return render_file(layout(graph, scale), out)
