"""Graphviz drawings of a network at three scales.

Drawing is two steps. :func:`layout` is a pure data step, IR → :class:`Drawing`
(nodes, edges, labels, clusters, styles), testable without graphviz. :func:`to_dot`
turns a drawing into DOT text, and :func:`render_file` runs graphviz's ``dot`` binary
(through the ``graphviz`` package) to write SVG, PNG or PDF.

Scales:

* ``macro`` — one box per cell (motif instance) and per top-level population, with
  the global wiring: fan-in, residual and cross-cell feedback;
* ``meso`` — every motif instance as a cluster of its populations, with typed
  connections;
* ``micro`` — ``meso`` plus each population's neuron model and key parameters, its
  shape and parameter count, and each connection's operations.

Edge styles: forward solid, residual dashed grey, feedback dashed blue, lateral dotted
purple (both drawn without pulling the layout backwards); inhibitory connections are
red with a flat (tee) head, excitatory ones green; genetically encoded ones bold.

``layout.py`` holds the data step, ``dot.py`` the graphviz step.
"""

from __future__ import annotations

from .dot import RenderError, edge_attrs, render_file, to_dot
from .layout import FORMATS, SCALES, DrawEdge, Drawing, DrawNode, layout

__all__ = [
    "FORMATS",
    "SCALES",
    "DrawEdge",
    "DrawNode",
    "Drawing",
    "RenderError",
    "edge_attrs",
    "layout",
    "render_file",
    "to_dot",
]
