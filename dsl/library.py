"""Checks of library files (no network): what can be checked of motifs without
instantiating them."""

from __future__ import annotations

from . import ast
from . import messages as M
from .errors import SnarcNameError, SnarcTypeError
from .signatures import NEURON_MODELS, OPS
from .values import suggest

RESERVED = {"in", "out", "input", "readout", "none", "true", "false", "excitatory", "inhibitory"}


def check_library(module: ast.Module, elab) -> None:
    """Check what can be checked of motifs without instantiating them.

    Every name a motif body uses must resolve: populations and cells, neurons,
    operations and their keyword arguments, callees; a motif has exactly one ``out``
    and no ``input`` or ``readout``.
    """
    motifs = elab.scope.motifs()
    for item in module.items:
        if not isinstance(item, ast.MotifDef):
            continue
        params = {p.name for p in item.params}
        local_neurons = {s.name for s in item.body if isinstance(s, ast.NeuronDef)}
        names: dict[str, ast.Span] = {}
        outs = []
        for stmt in item.body:
            if isinstance(stmt, (ast.Input, ast.Readout)):
                what = "input" if isinstance(stmt, ast.Input) else "readout"
                raise M.belongs_in_network(what, stmt.span).error()
            if isinstance(stmt, ast.Out):
                outs.append(stmt)
            declared = []
            if isinstance(stmt, ast.PopDecl):
                n = stmt.neuron
                if n.args is not None:
                    if n.name not in NEURON_MODELS:
                        raise M.unknown_neuron_model(n.name, n.span).error()
                elif (
                    n.name not in params | local_neurons | {"none"}
                    and n.name not in elab.scope.neurons()
                ):
                    options = sorted(params | local_neurons | set(elab.scope.neurons()))
                    raise SnarcNameError(
                        f"unknown neuron '{n.name}'",
                        n.span,
                        expected="a neuron, a parameter or none"
                        + (f": {', '.join(options)}" if options else ""),
                        hint=suggest(n.name, options + ["none"]),
                    )
                declared = list(zip(stmt.names, stmt.name_spans or [stmt.span] * len(stmt.names)))
            elif isinstance(stmt, ast.Cell):
                if stmt.callee not in motifs and stmt.callee not in OPS:
                    raise M.unknown_motif(stmt.callee, stmt.callee_span, motifs).error()
                if stmt.callee in OPS:
                    _check_call(
                        ast.Call(name=stmt.callee, args=stmt.args or (), span=stmt.callee_span)
                    )
                declared = [(stmt.name, stmt.span)]
            for name, span in declared:
                if name in RESERVED:
                    raise M.reserved_name(name, span).error()
                if name in names:
                    raise M.declared_twice(name, span, names[name]).error()
                names[name] = span
        for stmt in item.body:
            refs: list[ast.Ref] = []
            if isinstance(stmt, ast.Edge):
                refs = [stmt.src, stmt.dst]
                if stmt.dst.name == "in":
                    raise M.in_is_not_a_target(stmt.dst.span).error()
                for op in stmt.ops:
                    _check_call(op)
            elif isinstance(stmt, ast.Cell):
                refs = list(stmt.sources)
            elif isinstance(stmt, ast.Out):
                refs = list(stmt.refs)
            for ref in refs:
                if ref.name != "in" and ref.name not in names:
                    raise SnarcNameError(
                        f"unknown population or cell '{ref.name}' in motif '{item.name}'",
                        ref.span,
                        expected="one of " + ", ".join(["in", *names]),
                        hint=suggest(ref.name, [*names, "in"]),
                    )
        if not outs:
            raise M.no_out(item.name, item.span).error()
        if len(outs) > 1:
            raise M.second_out(item.name, outs[1].span, outs[0].span).error()


def _check_call(call: ast.Call) -> None:
    op = OPS.get(call.name)
    if op is None:
        raise M.unknown_operation(call.name, call.span).error()
    names = [a.name for a in op.signature]
    positional = [a for a in call.args if a.name is None]
    if len(positional) > len(names):
        raise SnarcTypeError(
            f"{op.name}() takes at most {len(names)} arguments, got {len(call.args)}",
            call.span,
            expected=f"{op.name}({', '.join(names)})",
        )
    for a in call.args:
        if a.name is not None and a.name not in names:
            raise SnarcTypeError(
                f"{op.name}() has no argument '{a.name}'",
                a.span,
                expected="one of " + ", ".join(names) if names else "no arguments",
                hint=suggest(a.name, names),
            )
