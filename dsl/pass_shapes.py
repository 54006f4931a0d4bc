"""IR pass 3: shapes, in topological order of the delay-free graph, through every
connection's operations (each becomes an :class:`~snarc.dsl.ir.OpSpec`); then the delayed
connections are checked against their targets."""

from __future__ import annotations

from .errors import (
    SnarcShapeError,
    SnarcValueError,
)
from .ir import OpSpec
from .signatures import OPS, OpError, fmt_shape


def apply_ops(elab, shape, calls, span, scope):
    """The OpSpec chain of a connection's OpCalls (macros expanded) and its output shape."""
    specs = []
    for call in calls:
        name, args, ospan = call.name, call.args, call.span
        expanded = [(name, args)]
        if OPS[name].expand is not None:  # a macro: the operations it stands for
            try:
                expanded = OPS[name].expand(shape, args)
            except OpError as err:
                raise shape_err(elab, f"{name}: {err}", ospan, scope) from None
        for ename, eargs in expanded:
            op = OPS[ename]
            try:
                out = op.infer(shape, eargs)
            except OpError as err:
                raise shape_err(elab, f"{ename}: {err}", ospan, scope) from None
            if any(s < 1 for s in out):
                raise shape_err(
                    elab, f"{ename} gives an empty output {fmt_shape(out)}", ospan, scope
                )
            specs.append(
                OpSpec(
                    ename,
                    tuple(sorted(eargs.items())),
                    tuple(shape),
                    tuple(out),
                    op.count(shape, out, eargs),
                    ospan,
                )
            )
            shape = out
    return tuple(specs), tuple(shape)


def shape_err(elab, message, span, scope):
    return SnarcShapeError(message, span, notes=elab.notes_for_scope(scope))


def infer_shapes(elab):
    """Shapes in topological order of the delay-free graph; a node that only delayed
    connections reach (``a -> b : delay(3)``) takes its shape from them once their
    sources have one."""
    g = elab.g
    pending = [n for n in elab.topo if g.nodes[n].kind != "input"]
    while pending:
        left = []
        for node in pending:
            d = g.nodes[node]
            ins = sorted(g.in_edges(node, keys=True, data=True), key=lambda x: x[3].order)
            edges = [(u, k, e) for u, _, k, e in ins if e.delay == 0]
            if not edges:  # only delayed inputs: those whose source has a shape
                edges = [(u, k, e) for u, _, k, e in ins if g.nodes[u].shape is not None]
            if not edges or any(g.nodes[u].shape is None for u, _, _ in edges):
                left.append(node)  # (a source still waits for its own shape)
                continue
            shapes = []
            for u, k, e in edges:
                edge_shape(elab, u, node, k, e)
                shapes.append((u, e))
            d.shape = merge_shapes(elab, node, d, shapes)
        if len(left) == len(pending):
            _no_input(elab, left[0])
        pending = left
    for u, v, k, e in g.edges(keys=True, data=True):
        if e.delay == 0:
            continue
        edge_shape(elab, u, v, k, e)
        d = g.nodes[v]
        if d.merge != "sum":
            raise SnarcShapeError(
                f"a {e['kind']} connection into '{v}', which merges by concat",
                e.span,
                hint="feedback and lateral connections need a target that merges by sum",
                notes=elab.notes_for_scope(d.scope),
            )
        if e.out_shape != d.shape:
            raise SnarcShapeError(
                f"{e['kind']} connection {u} ~> {v} gives shape {fmt_shape(e['out_shape'])}, "
                f"but '{v}' has shape {fmt_shape(d['shape'])}",
                e.span,
                notes=elab.notes_for_scope(d.scope),
            )


def edge_shape(elab, u, v, k, e):
    src_shape = elab.g.nodes[u].shape
    ops, out = apply_ops(elab, src_shape, e.calls, e.span, elab.g.nodes[v].scope)
    e.update(ops=ops, in_shape=src_shape, out_shape=out)


def merge_shapes(elab, node, d, shapes):
    first_u, first = shapes[0]
    ref = first.out_shape
    if d.merge == "sum":
        for u, e in shapes[1:]:
            if e.out_shape != ref:
                raise SnarcShapeError(
                    f"cannot sum the inputs of '{node}': {fmt_shape(ref)} from '{first_u}' "
                    f"and {fmt_shape(e['out_shape'])} from '{u}'",
                    e.span,
                    hint="make the shapes agree, or merge by concat",
                    notes=[
                        ("the first input is here", first.span),
                        *elab.notes_for_scope(d.scope),
                    ],
                )
        return ref
    channels = 0
    for u, e in shapes:
        s = e.out_shape
        if len(s) != len(ref) or s[1:] != ref[1:]:
            raise SnarcShapeError(
                f"cannot concatenate the inputs of '{node}': {fmt_shape(ref)} from '{first_u}' "
                f"and {fmt_shape(s)} from '{u}' differ beyond the channel axis",
                e.span,
                notes=[
                    ("the first input is here", first.span),
                    *elab.notes_for_scope(d.scope),
                ],
            )
        channels += s[0]
    return (channels, *ref[1:])


def _no_input(elab, node):
    d = elab.g.nodes[node]
    has_delayed = any(True for _ in elab.g.in_edges(node))
    what = "population" if d.kind == "neuron" else "node"
    raise SnarcValueError(
        f"{what} '{node}' has no feed-forward input"
        + (
            " (only feedback or lateral connections reach it)"
            if has_delayed
            else " (nothing connects to it)"
        ),
        d.span,
        notes=elab.notes_for_scope(d.scope),
    )
