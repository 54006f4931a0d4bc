"""IR pass 6: warnings about programs that are valid but probably not meant."""

from __future__ import annotations

from .errors import (
    SnarcValueError,
)


def lint(elab):
    g = elab.g
    for node, d in g.nodes(data=True):
        if d.kind in ("input", "readout"):
            continue
        if g.out_degree(node) == 0:
            what = "population" if d.kind == "neuron" else "node"
            elab.warnings.append(
                SnarcValueError(
                    f"{what} '{node}' is computed but never read",
                    d.span,
                    notes=elab.notes_for_scope(d.scope),
                )
            )
    for _u, _v, e in g.edges(data=True):
        if e.sign and any(op.name == "zero" for op in e.ops):
            elab.warnings.append(
                SnarcValueError("a signed connection through 'zero' has no effect", e.span)
            )
