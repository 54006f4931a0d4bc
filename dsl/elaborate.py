"""AST → graph IR: instantiate motifs, infer shapes, count parameters, validate.

The result is described in :mod:`snarc.dsl.ir`. Every error raised here is a
:class:`~snarc.dsl.errors.SnarcError` that points at the construct that caused it;
an error inside a motif instance also names the cell that instantiated it.

Steps, in order:

1. resolve imports and names (:mod:`snarc.dsl.loader`);
2. walk the network body, instantiating motifs depth-first with hierarchical names
   (``c2.a``); every motif instance gets an input relay ``c2.in``;
3. elide relays that only forward one plain connection;
4. check that every cycle carries a delay (a feedback or lateral edge);
5. infer shapes in topological order of the delay-free graph, then check the
   delayed edges; count parameters, including genetically encoded weights;
6. check the parameter ceiling.
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from . import ast
from .errors import (
    SnarcCycleError,
    SnarcError,
    SnarcNameError,
    SnarcResourceError,
    SnarcShapeError,
    SnarcTypeError,
    SnarcValueError,
)
from .ir import GenePool, GeneticSpec, InputSpec, NeuronSpec, OpSpec, ReadoutSpec
from .loader import Loader, Scope
from .signatures import (
    EDGE_KINDS,
    ENCODINGS,
    INPUT_KINDS,
    MERGES,
    NEURON_MODELS,
    OPS,
    READOUT_MODES,
    REQUIRED,
    SURROGATES,
    ArgDef,
    OpError,
    fmt_shape,
    shortcut_expansion,
)

DEFAULT_MAX_PARAMS = 100_000_000
DEFAULT_MAX_NODES = 200_000
RESERVED = {"in", "out", "input", "readout", "none", "true", "false", "excitatory", "inhibitory"}


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class Symbol:
    """A bare name that is not a parameter: ``hard``, ``true``, a neuron's name."""

    name: str
    span: ast.Span


@dataclass(frozen=True)
class CallValue:
    name: str
    args: tuple[tuple[str | None, Any], ...]
    span: ast.Span


@dataclass(frozen=True)
class NeuronValue:
    definition: ast.NeuronDef | None  # None for inline models and `none`
    inline: ast.NeuronRef | None = None


def _describe(value) -> str:
    if isinstance(value, Symbol):
        return f"name '{value.name}'"
    if isinstance(value, CallValue):
        return f"call {value.name}(...)"
    if isinstance(value, NeuronValue):
        return "a neuron"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


def _one_of(options) -> str:
    options = list(options)
    return options[0] if len(options) == 1 else "one of " + ", ".join(options)


def _suggest(name: str, options) -> str | None:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    return ("did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else None


# ---------------------------------------------------------------- frames


@dataclass
class Entry:
    kind: str  # "pop" or "cell"
    span: ast.Span
    node: str | None = None  # pop: its node; cell: its output node
    in_node: str | None = None  # cell: its input node


@dataclass
class Frame:
    prefix: str  # "c2." or ""
    scope_name: str  # "c2" or ""
    motif: str | None
    env: dict[str, Any]
    in_node: str | None
    neurons: dict[str, ast.NeuronDef] = field(default_factory=dict)
    names: dict[str, Entry] = field(default_factory=dict)
    out_node: str | None = None


class Elaborator:
    def __init__(
        self,
        loader: Loader,
        scope: Scope,
        *,
        max_params: int = DEFAULT_MAX_PARAMS,
        max_nodes: int = DEFAULT_MAX_NODES,
    ):
        self.loader = loader
        self.scope = scope
        self.max_params = max_params
        self.max_nodes = max_nodes
        self.g = nx.MultiDiGraph()
        self.order = itertools.count()
        self.stack: list[tuple[str, ast.Span]] = []  # motif instantiation stack
        self.instances: dict[str, tuple[str, ast.Span]] = {}  # scope -> (motif, cell span)
        self.dt = 1.0
        self._neuron_cache: dict[int, NeuronSpec] = {}
        self.warnings: list[SnarcError] = []

    # ============================================================ errors
    def _notes_for_scope(self, scope: str) -> list[tuple[str, ast.Span]]:
        notes = []
        while scope:
            if scope in self.instances:
                motif, span = self.instances[scope]
                notes.append((f"in cell '{scope}', an instance of motif '{motif}'", span))
            scope = scope.rpartition(".")[0]
        return notes

    def _stack_notes(self) -> list[tuple[str, ast.Span]]:
        return [
            (f"in cell '{name}', an instance of motif '{motif}'", span)
            for name, motif, span in reversed(
                [(n, self.instances.get(n, ("?", s))[0], s) for n, s in self.stack]
            )
        ]

    def _err(self, cls, message, span, **kw):
        notes = kw.pop("notes", None)
        if notes is None:
            notes = self._stack_notes()
        return cls(message, span, notes=notes, **kw)

    # ============================================================ values
    def evaluate(self, expr: ast.Expr, env: dict[str, Any]):
        if isinstance(expr, ast.Num):
            return expr.value
        if isinstance(expr, ast.Var):
            if expr.name in env:
                return env[expr.name]
            if expr.name == "true":
                return True
            if expr.name == "false":
                return False
            return Symbol(expr.name, expr.span)
        if isinstance(expr, ast.Neg):
            v = self.evaluate(expr.operand, env)
            self._need_number(v, expr.operand.span, "'-'")
            return -v
        if isinstance(expr, ast.BinOp):
            a = self.evaluate(expr.left, env)
            b = self.evaluate(expr.right, env)
            self._need_number(a, expr.left.span, f"'{expr.op}'")
            self._need_number(b, expr.right.span, f"'{expr.op}'")
            if expr.op == "+":
                return a + b
            if expr.op == "-":
                return a - b
            if expr.op == "*":
                return a * b
            if b == 0:
                raise self._err(SnarcValueError, "division by zero", expr.span)
            if expr.op == "%":
                return a % b
            if isinstance(a, int) and isinstance(b, int) and a % b == 0:
                return a // b
            return a / b
        if isinstance(expr, ast.Call):
            return CallValue(
                expr.name,
                tuple((a.name, self.evaluate(a.value, env)) for a in expr.args),
                expr.span,
            )
        raise AssertionError(f"unknown expression {expr!r}")  # pragma: no cover

    def _need_number(self, v, span, where):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self._err(SnarcTypeError, f"{where} needs a number, got {_describe(v)}", span)

    def _coerce(self, argdef: ArgDef, value, span, callee: str):
        what = f"{callee}: '{argdef.name}'"
        t = argdef.type
        if t == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float):
                    raise self._err(
                        SnarcTypeError, f"{what} must be a whole number, got {value:g}", span
                    )
                raise self._err(
                    SnarcTypeError, f"{what} must be a whole number, got {_describe(value)}", span
                )
        elif t == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._err(
                    SnarcTypeError, f"{what} must be a number, got {_describe(value)}", span
                )
            value = float(value)
        elif t == "bool":
            if not isinstance(value, bool):
                raise self._err(
                    SnarcTypeError, f"{what} must be true or false, got {_describe(value)}", span
                )
        elif t == "symbol":
            if not isinstance(value, Symbol) or value.name not in argdef.choices:
                raise self._err(
                    SnarcValueError,
                    f"{what} must be one of {', '.join(argdef.choices)}, got {_describe(value)}",
                    span,
                )
            value = value.name
        elif t == "surrogate":
            value = self._surrogate(value, span, what)
        if argdef.check is not None and value is not None and t in ("int", "float"):
            problem = argdef.check(value)
            if problem:
                raise self._err(SnarcValueError, f"{what} {problem}, got {value:g}", span)
        return value

    def _surrogate(self, value, span, what):
        if isinstance(value, Symbol):
            name, args = value.name, ()
        elif isinstance(value, CallValue):
            name, args = value.name, value.args
        else:
            raise self._err(
                SnarcTypeError,
                f"{what} must be a surrogate gradient such as atan(2.0), got {_describe(value)}",
                span,
            )
        if name not in SURROGATES:
            raise self._err(
                SnarcValueError,
                f"{what}: unknown surrogate gradient '{name}'",
                span,
                expected="one of " + ", ".join(SURROGATES),
            )
        alpha = 2.0 if name in ("atan", "sigmoid") else (100.0 if name == "superspike" else 1.0)
        if len(args) > 1 or (args and args[0][0] not in (None, "alpha")):
            raise self._err(
                SnarcTypeError, f"{name}(...) takes one argument, its sharpness alpha", span
            )
        if args:
            alpha = args[0][1]
            if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
                raise self._err(
                    SnarcValueError,
                    f"{name}: alpha must be a number > 0, got {_describe(alpha)}",
                    span,
                )
        return (name, float(alpha))

    def bind(self, callee: str, signature, args, env, span, kind="operation"):
        """Match call arguments to a signature; fill defaults; coerce types."""
        bound: dict[str, tuple[Any, ast.Span]] = {}
        names = [a.name for a in signature]
        positional = True
        for i, arg in enumerate(args):
            if arg.name is None:
                if not positional:
                    raise self._err(
                        SnarcTypeError,
                        "a positional argument cannot follow a keyword argument",
                        arg.span,
                    )
                if i >= len(signature):
                    raise self._err(
                        SnarcTypeError,
                        f"{callee}() takes at most {len(signature)} argument"
                        f"{'s' if len(signature) != 1 else ''}, got {len(args)}",
                        arg.span,
                        expected=f"{callee}({', '.join(names)})"
                        if names
                        else f"{callee} without arguments",
                    )
                key = signature[i].name
            else:
                positional = False
                key = arg.name
                if key not in names:
                    raise self._err(
                        SnarcTypeError,
                        f"{callee}() has no argument '{key}'",
                        arg.span,
                        expected="one of " + ", ".join(names) if names else "no arguments",
                        hint=_suggest(key, names),
                    )
                if key in bound:
                    raise self._err(SnarcTypeError, f"{callee}() got '{key}' twice", arg.span)
            bound[key] = (self.evaluate(arg.value, env), arg.value.span)
        out = {}
        for a in signature:
            if a.name in bound:
                value, vspan = bound[a.name]
                out[a.name] = self._coerce(a, value, vspan, callee)
            elif a.default is REQUIRED:
                raise self._err(
                    SnarcTypeError,
                    f"{callee}() is missing its argument '{a.name}'",
                    span,
                    expected=f"{callee}({', '.join(names)})",
                )
            else:
                out[a.name] = a.default
        return out

    # ============================================================ neurons
    def neuron_spec(self, value: NeuronValue) -> NeuronSpec | None:
        if value.definition is None and value.inline is None:
            return None
        key = id(value.definition) if value.definition is not None else id(value.inline)
        if key in self._neuron_cache:
            return self._neuron_cache[key]
        if value.definition is not None:
            d = value.definition
            model_name, args, span, name = d.model, d.args, d.model_span or d.span, d.name
        else:
            d = value.inline
            model_name, args, span, name = d.name, d.args, d.span, None
        model = NEURON_MODELS.get(model_name)
        if model is None:
            raise self._err(
                SnarcNameError,
                f"unknown neuron model '{model_name}'",
                span,
                expected="one of " + ", ".join(NEURON_MODELS),
                hint=_suggest(model_name, NEURON_MODELS),
            )
        bound = self.bind(model_name, model.signature, args, {}, span, kind="neuron")
        arg_spans = {a.name or model.signature[i].name: a.value.span for i, a in enumerate(args)}
        for tc in model.time_constants:
            strict = model_name == "PLIF"
            if bound[tc] < self.dt or (strict and bound[tc] <= self.dt):
                rel = "greater than" if strict else "at least"
                raise self._err(
                    SnarcValueError,
                    f"{model_name}: '{tc}' ({bound[tc]:g}) must be {rel} the time step dt ({self.dt:g})",
                    arg_spans.get(tc, span),
                    hint="time constants are in the same unit as dt (set with `input ... dt X`)",
                )
        for tc in model.optional_time_constants:
            if 0 < bound[tc] < self.dt:
                raise self._err(
                    SnarcValueError,
                    f"{model_name}: '{tc}' ({bound[tc]:g}) must be 0 (off) or at least dt ({self.dt:g})",
                    arg_spans.get(tc, span),
                )
        if "v_th" in bound and "v_reset" in bound and bound["v_th"] <= bound["v_reset"]:
            raise self._err(
                SnarcValueError,
                f"{model_name}: v_th ({bound['v_th']:g}) must be above v_reset ({bound['v_reset']:g})",
                arg_spans.get("v_th", span),
            )
        spec = NeuronSpec(model_name, tuple(sorted(bound.items())), name=name, span=span)
        self._neuron_cache[key] = spec
        return spec

    def resolve_neuron(self, ref: ast.NeuronRef, frame: Frame) -> NeuronValue:
        if ref.args is not None:
            return NeuronValue(None, inline=ref)
        if ref.name == "none":
            return NeuronValue(None)
        value = frame.env.get(ref.name)
        if isinstance(value, NeuronValue):
            return value
        if value is not None:
            raise self._err(
                SnarcTypeError,
                f"parameter '{ref.name}' is {_describe(value)}, not a neuron",
                ref.span,
            )
        found = self._lookup_neuron(ref.name, frame)
        if found is not None:
            return NeuronValue(found)
        if ref.name in NEURON_MODELS:
            raise self._err(
                SnarcNameError,
                f"'{ref.name}' is a neuron model, not a neuron",
                ref.span,
                hint=f"write {ref.name}() for its defaults, or define `neuron x = {ref.name}(...)`",
            )
        options = list(frame.neurons) + list(self.scope.neurons())
        raise self._err(
            SnarcNameError,
            f"unknown neuron '{ref.name}'",
            ref.span,
            expected="a neuron defined with `neuron NAME = MODEL(...)`, or none"
            + (f": {', '.join(sorted(set(options)))}" if options else ""),
            hint=_suggest(ref.name, options + ["none"]),
        )

    def _lookup_neuron(self, name: str, frame: Frame | None):
        if frame is not None and name in frame.neurons:
            return frame.neurons[name]
        return self.scope.neurons().get(name)

    # ============================================================ graph building
    def add_node(self, node_id, kind, span, frame: Frame, neuron=None, merge="sum"):
        if self.g.number_of_nodes() >= self.max_nodes:
            raise self._err(
                SnarcResourceError,
                f"the network has more than {self.max_nodes} nodes",
                span,
                hint="raise the ceiling with --max-nodes if this is intended",
            )
        self.g.add_node(
            node_id,
            kind=kind,
            neuron=neuron,
            merge=merge,
            span=span,
            scope=frame.scope_name,
            motif=frame.motif,
            shape=None,
            params=0,
        )

    def add_edge(self, src, dst, kind, span, ops=(), sign=None, genetic=None):
        self.g.add_edge(
            src,
            dst,
            kind=kind,
            delay=1 if kind in ("feedback", "lateral") else 0,
            pending=tuple(ops),  # (OpDef name, bound args, span)
            ops=(),
            sign=sign,
            genetic=genetic,
            span=span,
            order=next(self.order),
            in_shape=None,
            out_shape=None,
            params=0,
        )

    def bind_ops(self, calls, frame: Frame):
        out = []
        for call in calls:
            op = OPS.get(call.name)
            if op is None:
                is_motif = call.name in self.scope.motifs()
                raise self._err(
                    SnarcNameError,
                    f"unknown operation '{call.name}'",
                    call.span,
                    expected="one of " + ", ".join(OPS),
                    hint=(
                        f"'{call.name}' is a motif: instantiate it with `cell NAME = {call.name}(...)`"
                        if is_motif
                        else _suggest(call.name, OPS)
                    ),
                )
            out.append(
                (
                    op.name,
                    self.bind(op.name, op.signature, call.args, frame.env, call.span),
                    call.span,
                )
            )
        return tuple(out)

    # ============================================================ bodies
    def _declare(self, frame: Frame, name: str, span: ast.Span, entry: Entry):
        if name in RESERVED:
            raise self._err(SnarcNameError, f"'{name}' is a reserved name", span)
        if name in frame.names:
            raise self._err(
                SnarcNameError,
                f"'{name}' is declared twice",
                span,
                notes=[("first declared here", frame.names[name].span), *self._stack_notes()],
            )
        frame.names[name] = entry

    def _merge(self, merge: str | None, span, default="sum") -> str:
        if merge is None:
            return default
        if merge not in MERGES:
            raise self._err(
                SnarcValueError, f"unknown merge rule '{merge}'", span, expected="sum or concat"
            )
        return merge

    def run_body(self, frame: Frame, body, owner: ast.MotifDef | ast.NetworkDef):
        is_network = isinstance(owner, ast.NetworkDef)
        deferred = []
        # Pass 1: declarations (so edges may name populations declared later).
        for stmt in body:
            if isinstance(stmt, ast.NeuronDef):
                if stmt.name in frame.neurons:
                    raise self._err(
                        SnarcNameError, f"neuron '{stmt.name}' is defined twice", stmt.span
                    )
                frame.neurons[stmt.name] = stmt
            elif isinstance(stmt, ast.PopDecl) or isinstance(stmt, ast.Cell):
                deferred.append(stmt)
            elif isinstance(stmt, (ast.Edge,)):
                pass
            elif isinstance(stmt, ast.Input):
                if not is_network:
                    raise self._err(
                        SnarcNameError, "'input' belongs in a network, not in a motif", stmt.span
                    )
            elif isinstance(stmt, ast.Readout):
                if not is_network:
                    raise self._err(
                        SnarcNameError,
                        "'readout' belongs in a network, not in a motif",
                        stmt.span,
                        hint="a motif names its output with `out`",
                    )
            elif isinstance(stmt, ast.Out):
                if is_network:
                    raise self._err(
                        SnarcNameError,
                        "a network has no 'out'; it names its output with `readout`",
                        stmt.span,
                    )
        for stmt in deferred:
            if isinstance(stmt, ast.PopDecl):
                neuron = self.resolve_neuron(stmt.neuron, frame)
                spec = self.neuron_spec(neuron)
                merge = self._merge(stmt.merge, stmt.merge_span or stmt.span)
                for name, nspan in zip(
                    stmt.names, stmt.name_spans or [stmt.span] * len(stmt.names)
                ):
                    node_id = frame.prefix + name
                    self._declare(frame, name, nspan, Entry("pop", nspan, node=node_id))
                    self.add_node(node_id, "neuron" if spec else "relay", nspan, frame, spec, merge)
            else:
                self._cell(frame, stmt)
        # Pass 2: connections.
        outs = []
        for stmt in body:
            if isinstance(stmt, ast.Edge):
                self._edge(frame, stmt)
            elif isinstance(stmt, ast.Cell):
                entry = frame.names[stmt.name]
                target = entry.in_node
                op_cell = stmt.callee in OPS
                calls = (
                    (ast.Call(name=stmt.callee, args=stmt.args or (), span=stmt.callee_span),)
                    if op_cell
                    else ()
                )
                ops = self.bind_ops(calls, frame) if op_cell else ()
                if op_cell and not stmt.sources:
                    raise self._err(
                        SnarcValueError,
                        f"cell '{stmt.name}' applies {stmt.callee} but has no input",
                        stmt.span,
                        expected=f"cell {stmt.name} = {stmt.callee}(...) from SOURCE",
                    )
                for src in stmt.sources:
                    self.add_edge(
                        self.resolve_src(src, frame), target, "forward", src.span, ops=ops
                    )
            elif isinstance(stmt, ast.Out):
                outs.append(stmt)
        if not is_network:
            if not outs:
                raise self._err(
                    SnarcValueError,
                    f"motif '{owner.name}' has no 'out'",
                    owner.span,
                    hint="end the motif with `out NODE` or `out concat(A, B)`",
                )
            if len(outs) > 1:
                raise self._err(
                    SnarcValueError,
                    f"motif '{owner.name}' has more than one 'out'",
                    outs[1].span,
                    notes=[("the first is here", outs[0].span)],
                )
            out = outs[0]
            if out.merge is None:
                frame.out_node = self.resolve_src(out.refs[0], frame)
            else:
                merge = self._merge(out.merge, out.span)
                node_id = frame.prefix + "out"
                self.add_node(node_id, "relay", out.span, frame, None, merge)
                for ref in out.refs:
                    self.add_edge(self.resolve_src(ref, frame), node_id, "forward", ref.span)
                frame.out_node = node_id

    def _cell(self, frame: Frame, stmt: ast.Cell):
        node_id = frame.prefix + stmt.name
        if stmt.callee in OPS:
            merge = self._merge(stmt.merge, stmt.span)
            self._declare(frame, stmt.name, stmt.span, Entry("pop", stmt.span, node=node_id))
            self.add_node(node_id, "relay", stmt.span, frame, None, merge)
            frame.names[stmt.name].in_node = node_id
            return
        motif = self.scope.motifs().get(stmt.callee)
        if motif is None:
            if self._lookup_neuron(stmt.callee, frame) is not None:
                raise self._err(
                    SnarcTypeError,
                    f"'{stmt.callee}' is a neuron, not a motif",
                    stmt.callee_span,
                    hint=f"declare a population with `{stmt.name} : {stmt.callee}`",
                )
            options = list(self.scope.motifs()) + list(OPS)
            raise self._err(
                SnarcNameError,
                f"unknown motif '{stmt.callee}'",
                stmt.callee_span,
                expected="a motif or an operation: "
                + ", ".join(sorted(self.scope.motifs()) + list(OPS)),
                hint=_suggest(stmt.callee, options),
            )
        self._declare(frame, stmt.name, stmt.span, Entry("cell", stmt.span))
        in_node, out_node = self.instantiate(motif, stmt, frame)
        entry = frame.names[stmt.name]
        entry.in_node, entry.node = in_node, out_node

    def instantiate(self, motif: ast.MotifDef, call: ast.Cell, parent: Frame):
        scope_name = parent.prefix + call.name
        if any(m == motif.name for m in (self.instances.get(s, ("",))[0] for s, _ in self.stack)):
            chain = " -> ".join([self.instances[s][0] for s, _ in self.stack] + [motif.name])
            raise self._err(
                SnarcValueError, f"motif '{motif.name}' instantiates itself ({chain})", call.span
            )
        self.instances[scope_name] = (motif.name, call.span)
        self.stack.append((scope_name, call.span))
        try:
            env = self._bind_motif(motif, call, parent)
            frame = Frame(
                prefix=scope_name + ".",
                scope_name=scope_name,
                motif=motif.name,
                env=env,
                in_node=scope_name + ".in",
            )
            merge = self._merge(call.merge, call.span, default="concat")
            self.add_node(frame.in_node, "relay", call.span, frame, None, merge)
            self.run_body(frame, motif.body, motif)
            return frame.in_node, frame.out_node
        finally:
            self.stack.pop()

    def _bind_motif(self, motif: ast.MotifDef, call: ast.Cell, parent: Frame) -> dict[str, Any]:
        params = [p.name for p in motif.params]
        seen = set()
        for p in motif.params:
            if p.name in seen:
                raise self._err(SnarcNameError, f"parameter '{p.name}' is declared twice", p.span)
            seen.add(p.name)
        values: dict[str, tuple[Any, ast.Span]] = {}
        args = call.args or ()
        keyword = False
        for i, arg in enumerate(args):
            if arg.name is None:
                if keyword:
                    raise self._err(
                        SnarcTypeError,
                        "a positional argument cannot follow a keyword argument",
                        arg.span,
                    )
                if i >= len(params):
                    raise self._err(
                        SnarcTypeError,
                        f"motif {motif.name}() takes {len(params)} argument"
                        f"{'s' if len(params) != 1 else ''}, got {len(args)}",
                        arg.span,
                        expected=f"{motif.name}({', '.join(params)})",
                    )
                key = params[i]
            else:
                keyword = True
                key = arg.name
                if key not in params:
                    raise self._err(
                        SnarcTypeError,
                        f"motif {motif.name}() has no parameter '{key}'",
                        arg.span,
                        expected=f"{motif.name}({', '.join(params)})",
                        hint=_suggest(key, params),
                    )
                if key in values:
                    raise self._err(SnarcTypeError, f"'{key}' is given twice", arg.span)
            values[key] = (self._neuronise(self.evaluate(arg.value, parent.env), parent), arg.span)
        env: dict[str, Any] = {}
        for p in motif.params:
            if p.name in values:
                env[p.name] = values[p.name][0]
            elif p.default is not None:
                env[p.name] = self._neuronise(self.evaluate(p.default, env), None)
            else:
                raise self._err(
                    SnarcTypeError,
                    f"motif {motif.name}() is missing its argument '{p.name}'",
                    call.callee_span or call.span,
                    expected=f"{motif.name}({', '.join(params)})",
                )
        return env

    def _neuronise(self, value, frame: Frame | None):
        """A bare name that names a neuron becomes that neuron (passed by value)."""
        if isinstance(value, Symbol):
            found = self._lookup_neuron(value.name, frame)
            if found is not None:
                return NeuronValue(found)
            if value.name == "none":
                return NeuronValue(None)
        return value

    # ============================================================ references and edges
    def resolve_src(self, ref: ast.Ref, frame: Frame) -> str:
        if ref.name == "in":
            return frame.in_node
        entry = frame.names.get(ref.name)
        if entry is None:
            raise self._unknown(ref, frame)
        return entry.node

    def resolve_dst(self, ref: ast.Ref, frame: Frame) -> str:
        if ref.name == "in":
            raise self._err(
                SnarcValueError,
                "'in' is an input: it cannot be the target of a connection",
                ref.span,
            )
        entry = frame.names.get(ref.name)
        if entry is None:
            raise self._unknown(ref, frame)
        return entry.in_node if entry.kind == "cell" else entry.node

    def _unknown(self, ref: ast.Ref, frame: Frame):
        where = f"motif '{frame.motif}'" if frame.motif else "the network"
        options = list(frame.names)
        return self._err(
            SnarcNameError,
            f"unknown population or cell '{ref.name}' in {where}",
            ref.span,
            expected=("one of " + ", ".join(["in", *options])) if options else "in",
            hint=_suggest(ref.name, options + ["in"]),
        )

    def _edge(self, frame: Frame, stmt: ast.Edge):
        src = self.resolve_src(stmt.src, frame)
        dst = self.resolve_dst(stmt.dst, frame)
        kind = EDGE_KINDS[stmt.arrow]
        ops = self.bind_ops(stmt.ops, frame)
        genetic = self._bind_genetic(stmt, frame) if stmt.genetic is not None else None
        self.add_edge(src, dst, kind, stmt.span, ops=ops, sign=stmt.sign, genetic=genetic)

    def _bind_genetic(self, stmt: ast.Edge, frame: Frame):
        rank = None
        pool = None
        span = stmt.genetic_span
        for i, arg in enumerate(stmt.genetic):
            key = arg.name or ("rank" if i == 0 else "pool" if i == 1 else None)
            if key not in ("rank", "pool"):
                raise self._err(
                    SnarcTypeError,
                    f"genetic() has no argument '{arg.name}'"
                    if arg.name
                    else "genetic() takes at most 2 arguments",
                    arg.span,
                    expected="genetic(rank: R, pool: NAME)",
                )
            if key == "rank":
                value = self.evaluate(arg.value, frame.env)
                if isinstance(value, bool) or not isinstance(value, int):
                    raise self._err(
                        SnarcTypeError,
                        f"genetic: 'rank' must be a whole number, got {_describe(value)}",
                        arg.value.span,
                    )
                if value < 1:
                    raise self._err(
                        SnarcValueError,
                        f"genetic: 'rank' must be >= 1, got {value}",
                        arg.value.span,
                    )
                rank = value
            else:
                if not isinstance(arg.value, ast.Var):
                    raise self._err(
                        SnarcTypeError, "genetic: 'pool' must be a name", arg.value.span
                    )
                pool = arg.value.name
        if rank is None:
            raise self._err(
                SnarcTypeError,
                "genetic() is missing its argument 'rank'",
                span,
                expected="genetic(rank: R, pool: NAME)",
            )
        return {"rank": rank, "pool": pool, "span": span}

    # ============================================================ network
    def _the_one(self, net: ast.NetworkDef, kind, what: str, hint: str):
        """The network's single statement of ``kind`` (its input, its readout)."""
        found = [s for s in net.body if isinstance(s, kind)]
        if not found:
            raise self._err(
                SnarcValueError, f"network '{net.name}' has no {what}", net.span, hint=hint
            )
        if len(found) > 1:
            raise self._err(
                SnarcValueError,
                f"a network has one {what}",
                found[1].span,
                notes=[("the first is here", found[0].span)],
            )
        return found

    def network(self, net: ast.NetworkDef, path: str) -> nx.MultiDiGraph:
        inputs = self._the_one(net, ast.Input, "input", "add e.g. `input image(3, 32, 32) steps 8`")
        readouts = self._the_one(net, ast.Readout, "readout", "add e.g. `readout fc over mean`")
        frame = Frame(prefix="", scope_name="", motif=None, env={}, in_node="input")
        input_spec, steps = self._input(inputs[0], frame)
        self.add_node("input", "input", inputs[0].span, frame, None, "sum")
        self.g.nodes["input"]["shape"] = input_spec.shape
        self.run_body(frame, net.body, net)
        readout = readouts[0]
        src = self.resolve_src(readout.ref, frame)
        if readout.over not in READOUT_MODES:
            raise self._err(
                SnarcValueError,
                f"unknown readout mode '{readout.over}'",
                readout.span,
                expected="one of " + ", ".join(READOUT_MODES),
            )
        self.add_node("readout", "readout", readout.span, frame, None, "sum")
        self.add_edge(
            src, "readout", "forward", readout.span, ops=self.bind_ops(readout.ops, frame)
        )
        self.g.graph.update(
            name=net.name,
            path=path,
            timesteps=steps,
            dt=self.dt,
            input=input_spec,
            readout=ReadoutSpec("readout", readout.over, readout.span),
            instances={scope: motif for scope, (motif, _span) in self.instances.items()},
            span=net.span,
        )
        self._elide_relays()
        self._check_cycles()
        self._infer_shapes()
        self._genetics()
        self._count(net)
        self._lint()
        self.g.graph["warnings"] = self.warnings
        return self.g

    def _input(self, stmt: ast.Input, frame: Frame):
        if stmt.kind not in INPUT_KINDS:
            raise self._err(
                SnarcValueError,
                f"unknown input kind '{stmt.kind}'",
                stmt.span,
                expected="one of " + ", ".join(INPUT_KINDS),
            )
        rank = INPUT_KINDS[stmt.kind]
        names = ("channels", "height", "width") if rank == 3 else ("features",)
        sig = tuple(
            ArgDef(n, "int", REQUIRED, check=lambda v: None if v >= 1 else "must be >= 1")
            for n in names
        )
        bound = self.bind(stmt.kind, sig, stmt.args, {}, stmt.span)
        shape = tuple(bound[n] for n in names)
        steps = self.evaluate(stmt.steps, {})
        if isinstance(steps, bool) or not isinstance(steps, int):
            raise self._err(
                SnarcTypeError,
                f"steps must be a whole number, got {_describe(steps)}",
                stmt.steps.span,
            )
        if steps < 1:
            raise self._err(
                SnarcValueError, f"steps must be at least 1, got {steps}", stmt.steps.span
            )
        if stmt.dt is not None:
            dt = self.evaluate(stmt.dt, {})
            if isinstance(dt, bool) or not isinstance(dt, (int, float)):
                raise self._err(
                    SnarcTypeError, f"dt must be a number, got {_describe(dt)}", stmt.dt.span
                )
            if dt <= 0:
                raise self._err(SnarcValueError, f"dt must be > 0, got {dt:g}", stmt.dt.span)
            self.dt = float(dt)
        allowed = ENCODINGS[stmt.kind]
        encode = stmt.encode or allowed[0]
        if encode not in allowed:
            raise self._err(
                SnarcValueError,
                f"{stmt.kind} input cannot be encoded as '{encode}'",
                stmt.span,
                expected=_one_of(allowed),
            )
        return InputSpec(stmt.kind, shape, encode, stmt.span), steps

    # ============================================================ passes
    def _elide_relays(self):
        """Remove relays that forward exactly one plain, undelayed connection."""
        g = self.g
        for node in list(g.nodes):
            d = g.nodes[node]
            if d["kind"] != "relay":
                continue
            ins = list(g.in_edges(node, keys=True, data=True))
            if len(ins) != 1:
                continue
            u, _, k, e = ins[0]
            if e["delay"] or e["pending"] or e["sign"] or e["genetic"] or u == node:
                continue
            for _, v, e2 in list(g.out_edges(node, data=True)):
                attrs = dict(e2)
                if v == node:
                    continue
                g.add_edge(u, v, **attrs)
            g.remove_node(node)

    def _check_cycles(self):
        fwd = nx.DiGraph()
        fwd.add_nodes_from(self.g.nodes)
        for u, v, d in self.g.edges(data=True):
            if d["delay"] == 0:
                fwd.add_edge(u, v, span=d["span"])
        if nx.is_directed_acyclic_graph(fwd):
            self._topo = list(nx.topological_sort(fwd))
            return
        cycle = nx.find_cycle(fwd)
        path = " -> ".join([cycle[0][0]] + [v for _, v in cycle])
        spans = [fwd.edges[u, v]["span"] for u, v in cycle]
        first = spans[0]
        for span in spans:
            if span.file == self.g.graph.get("path"):
                first = span
                break
        raise SnarcCycleError(
            f"cycle with no delay: {path}",
            first,
            hint="make one of these connections feedback (~>) or lateral (..>): those read step t-1",
            notes=[("part of the cycle", s) for s in spans if s is not first],
        )

    def _apply_ops(self, shape, pending, span, scope):
        specs = []
        for name, args, ospan in pending:
            expanded = [(name, args)]
            if name == "shortcut":
                try:
                    expanded = shortcut_expansion(shape, args)
                except OpError as err:
                    raise self._shape_err(f"{name}: {err}", ospan, scope) from None
            for ename, eargs in expanded:
                op = OPS[ename]
                try:
                    out = op.infer(shape, eargs)
                except OpError as err:
                    raise self._shape_err(f"{ename}: {err}", ospan, scope) from None
                if any(s < 1 for s in out):
                    raise self._shape_err(
                        f"{ename} gives an empty output {fmt_shape(out)}", ospan, scope
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

    def _shape_err(self, message, span, scope):
        return SnarcShapeError(message, span, notes=self._notes_for_scope(scope))

    def _infer_shapes(self):
        g = self.g
        for node in self._topo:
            d = g.nodes[node]
            if d["kind"] == "input":
                continue
            edges = sorted(
                (
                    (u, k, e)
                    for u, _, k, e in g.in_edges(node, keys=True, data=True)
                    if e["delay"] == 0
                ),
                key=lambda x: x[2]["order"],
            )
            if not edges:
                has_delayed = any(True for _ in g.in_edges(node))
                what = "population" if d["kind"] == "neuron" else "node"
                raise SnarcValueError(
                    f"{what} '{node}' has no feed-forward input"
                    + (
                        " (only feedback or lateral connections reach it)"
                        if has_delayed
                        else " (nothing connects to it)"
                    ),
                    d["span"],
                    notes=self._notes_for_scope(d["scope"]),
                )
            shapes = []
            for u, k, e in edges:
                self._edge_shape(u, node, k, e)
                shapes.append((u, e))
            d["shape"] = self._merge_shapes(node, d, shapes)
        for u, v, k, e in g.edges(keys=True, data=True):
            if e["delay"] == 0:
                continue
            self._edge_shape(u, v, k, e)
            d = g.nodes[v]
            if d["merge"] != "sum":
                raise SnarcShapeError(
                    f"a {e['kind']} connection into '{v}', which merges by concat",
                    e["span"],
                    hint="feedback and lateral connections need a target that merges by sum",
                    notes=self._notes_for_scope(d["scope"]),
                )
            if e["out_shape"] != d["shape"]:
                raise SnarcShapeError(
                    f"{e['kind']} connection {u} ~> {v} gives shape {fmt_shape(e['out_shape'])}, "
                    f"but '{v}' has shape {fmt_shape(d['shape'])}",
                    e["span"],
                    notes=self._notes_for_scope(d["scope"]),
                )

    def _edge_shape(self, u, v, k, e):
        src_shape = self.g.nodes[u]["shape"]
        ops, out = self._apply_ops(src_shape, e["pending"], e["span"], self.g.nodes[v]["scope"])
        e.update(ops=ops, in_shape=src_shape, out_shape=out, pending=())

    def _merge_shapes(self, node, d, shapes):
        first_u, first = shapes[0]
        ref = first["out_shape"]
        if d["merge"] == "sum":
            for u, e in shapes[1:]:
                if e["out_shape"] != ref:
                    raise SnarcShapeError(
                        f"cannot sum the inputs of '{node}': {fmt_shape(ref)} from '{first_u}' "
                        f"and {fmt_shape(e['out_shape'])} from '{u}'",
                        e["span"],
                        hint="make the shapes agree, or merge by concat",
                        notes=[
                            ("the first input is here", first["span"]),
                            *self._notes_for_scope(d["scope"]),
                        ],
                    )
            return ref
        channels = 0
        for u, e in shapes:
            s = e["out_shape"]
            if len(s) != len(ref) or s[1:] != ref[1:]:
                raise SnarcShapeError(
                    f"cannot concatenate the inputs of '{node}': {fmt_shape(ref)} from '{first_u}' "
                    f"and {fmt_shape(s)} from '{u}' differ beyond the channel axis",
                    e["span"],
                    notes=[
                        ("the first input is here", first["span"]),
                        *self._notes_for_scope(d["scope"]),
                    ],
                )
            channels += s[0]
        return (channels, *ref[1:])

    def _genetics(self):
        g = self.g
        pools: dict[str, GenePool] = {}
        genes: dict[tuple[str, str, str], int] = {}
        for u, v, k, e in sorted(g.edges(keys=True, data=True), key=lambda x: x[3]["order"]):
            spec = e["genetic"]
            if spec is None:
                continue
            span = spec["span"]
            weighted = [i for i, op in enumerate(e["ops"]) if OPS[op.name].weighted]
            if len(weighted) != 1:
                raise SnarcValueError(
                    "genetic encoding needs exactly one conv or linear in the connection, "
                    f"found {len(weighted)}",
                    span,
                    notes=self._notes_for_scope(g.nodes[v]["scope"]),
                )
            i = weighted[0]
            op = e["ops"][i]
            if op.name == "conv":
                if op.get("groups") != 1:
                    raise SnarcValueError(
                        "genetic encoding of a grouped convolution is not supported", span
                    )
                kernel = (op.get("kernel"), op.get("kernel"))
                unit = "channel"
                pre_units, post_units = op.in_shape[0], op.out_shape[0]
            else:
                kernel = None
                unit = "feature"
                pre_units = 1
                for s in op.in_shape:
                    pre_units *= s
                post_units = op.out_shape[0]
            after = e["ops"][i + 1 :]
            if any(
                o.out_shape[0] != post_units or len(o.out_shape) != len(op.out_shape) for o in after
            ):
                raise SnarcValueError(
                    "a genetically encoded op must feed its target's neurons directly "
                    f"(found {', '.join(o.name for o in after)} after {op.name})",
                    span,
                )
            pool_name = spec["pool"] or f"{u}->{v}#{k}"
            pool = GenePool(pool_name, spec["rank"], kernel, span)
            if pool_name in pools:
                prev = pools[pool_name]
                if prev.rank != pool.rank or prev.kernel != pool.kernel:
                    what = (
                        f"ranks {prev.rank} and {pool.rank}"
                        if prev.rank != pool.rank
                        else f"kernels {prev.kernel} and {pool.kernel}"
                    )
                    raise SnarcValueError(
                        f"gene pool '{pool_name}' mixes {what}",
                        span,
                        notes=[("the pool is first used here", prev.span)],
                    )
            else:
                pools[pool_name] = pool
            dst = g.nodes[v]
            offset = 0
            if dst["merge"] == "concat":
                for u2, _, k2, e2 in sorted(
                    g.in_edges(v, keys=True, data=True), key=lambda x: x[3]["order"]
                ):
                    if (u2, k2) == (u, k):
                        break
                    offset += e2["out_shape"][0]
            for node, units in ((u, pre_units), (v, dst["shape"][0])):
                key = (node, pool_name, unit)
                if genes.setdefault(key, units) != units:
                    raise SnarcValueError(
                        f"'{node}' needs {units} {unit} genes in pool '{pool_name}' here, "
                        f"but {genes[key]} elsewhere",
                        span,
                    )
            e["genetic"] = GeneticSpec(
                pool=pool_name,
                rank=spec["rank"],
                op_index=i,
                pre=(u, unit),
                post=(v, unit),
                post_offset=offset,
                post_units=post_units,
                pre_units=pre_units,
            )
        g.graph["gene_pools"] = pools
        g.graph["genes"] = genes

    def _count(self, net: ast.NetworkDef):
        g = self.g
        total = 0
        neurons = 0
        for _node, d in g.nodes(data=True):
            own = d["neuron"].learnable if d["neuron"] is not None else 0
            if d["neuron"] is not None:
                n = 1
                for s in d["shape"]:
                    n *= s
                neurons += n
            d["own_params"] = own
            d["params"] = own
        for (node, pool, _unit), units in g.graph["genes"].items():
            n = units * g.graph["gene_pools"][pool].rank
            g.nodes[node]["own_params"] += n
            g.nodes[node]["params"] += n
        for _u, v, e in g.edges(data=True):
            p = 0
            for i, op in enumerate(e["ops"]):
                if e["genetic"] is not None and i == e["genetic"].op_index:
                    # the dense weight is replaced by genes; a bias stays
                    p += op.out_shape[0] if op.get("bias") else 0
                else:
                    p += op.params
            e["params"] = p
            g.nodes[v]["params"] += p
        total = sum(d["params"] for _, d in g.nodes(data=True))
        total += sum(pool.params for pool in g.graph["gene_pools"].values())
        g.graph["params"] = total
        g.graph["neurons"] = neurons
        if total > self.max_params:
            raise SnarcResourceError(
                f"network '{net.name}' has {total:,} parameters, over the ceiling of {self.max_params:,}",
                net.span,
                hint="reduce channels or features, or raise the ceiling with --max-params",
            )

    def _lint(self):
        g = self.g
        for node, d in g.nodes(data=True):
            if d["kind"] in ("input", "readout"):
                continue
            if g.out_degree(node) == 0:
                what = "population" if d["kind"] == "neuron" else "node"
                self.warnings.append(
                    SnarcValueError(
                        f"{what} '{node}' is computed but never read",
                        d["span"],
                        notes=self._notes_for_scope(d["scope"]),
                    )
                )
        for _u, _v, e in g.edges(data=True):
            if e["sign"] and any(op.name == "zero" for op in e["ops"]):
                self.warnings.append(
                    SnarcValueError("a signed connection through 'zero' has no effect", e["span"])
                )


def elaborate_module(
    module: ast.Module,
    loader: Loader | None = None,
    *,
    max_params: int = DEFAULT_MAX_PARAMS,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> nx.MultiDiGraph | None:
    """Elaborate the network of ``module`` (None for a library file with no network).

    A library file (no network) is still checked: neuron definitions fully, motif
    bodies by name (see :func:`check_library`), since their shapes depend on the
    arguments and input they will be given.
    """
    loader = loader or Loader()
    loader.modules.setdefault(module.path, module)
    loader.sources.setdefault(module.path, module.source)
    try:
        scope = loader.scope(module)
        nets = [i for i in module.items if isinstance(i, ast.NetworkDef)]
        if len(nets) > 1:
            raise SnarcValueError(
                "a file holds at most one network",
                nets[1].span,
                notes=[("the first is here", nets[0].span)],
            )
        # Neuron definitions are checked even where nothing uses them.
        elab = Elaborator(loader, scope, max_params=max_params, max_nodes=max_nodes)
        if nets:
            for stmt in nets[0].body:
                if isinstance(stmt, ast.Input):
                    elab._input(stmt, Frame("", "", None, {}, None))
        for item in module.items:
            if isinstance(item, ast.NeuronDef):
                elab.neuron_spec(NeuronValue(item))
        if not nets:
            check_library(module, elab)
            return None
        graph = elab.network(nets[0], module.path)
        graph.graph["sources"] = loader.sources  # for excerpts of errors found later
        return graph
    except SnarcError as err:
        raise err.with_sources(loader.sources) from None
    except RecursionError:
        raise SnarcValueError(
            "the program is nested too deeply to elaborate", module.span
        ).with_sources(loader.sources) from None


def check_library(module: ast.Module, elab: Elaborator) -> None:
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
                raise SnarcNameError(f"'{what}' belongs in a network, not in a motif", stmt.span)
            if isinstance(stmt, ast.Out):
                outs.append(stmt)
            declared = []
            if isinstance(stmt, ast.PopDecl):
                n = stmt.neuron
                if n.args is not None:
                    if n.name not in NEURON_MODELS:
                        raise SnarcNameError(
                            f"unknown neuron model '{n.name}'",
                            n.span,
                            expected="one of " + ", ".join(NEURON_MODELS),
                            hint=_suggest(n.name, NEURON_MODELS),
                        )
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
                        hint=_suggest(n.name, options + ["none"]),
                    )
                declared = list(zip(stmt.names, stmt.name_spans or [stmt.span] * len(stmt.names)))
            elif isinstance(stmt, ast.Cell):
                if stmt.callee not in motifs and stmt.callee not in OPS:
                    raise SnarcNameError(
                        f"unknown motif '{stmt.callee}'",
                        stmt.callee_span,
                        expected="a motif or an operation: "
                        + ", ".join(sorted(motifs) + list(OPS)),
                        hint=_suggest(stmt.callee, list(motifs) + list(OPS)),
                    )
                if stmt.callee in OPS:
                    _check_call(
                        ast.Call(name=stmt.callee, args=stmt.args or (), span=stmt.callee_span)
                    )
                declared = [(stmt.name, stmt.span)]
            for name, span in declared:
                if name in RESERVED:
                    raise SnarcNameError(f"'{name}' is a reserved name", span)
                if name in names:
                    raise SnarcNameError(
                        f"'{name}' is declared twice",
                        span,
                        notes=[("first declared here", names[name])],
                    )
                names[name] = span
        for stmt in item.body:
            refs: list[ast.Ref] = []
            if isinstance(stmt, ast.Edge):
                refs = [stmt.src, stmt.dst]
                if stmt.dst.name == "in":
                    raise SnarcValueError(
                        "'in' is an input: it cannot be the target of a connection", stmt.dst.span
                    )
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
                        hint=_suggest(ref.name, [*names, "in"]),
                    )
        if not outs:
            raise SnarcValueError(
                f"motif '{item.name}' has no 'out'",
                item.span,
                hint="end the motif with `out NODE` or `out concat(A, B)`",
            )
        if len(outs) > 1:
            raise SnarcValueError(
                f"motif '{item.name}' has more than one 'out'",
                outs[1].span,
                notes=[("the first is here", outs[0].span)],
            )


def _check_call(call: ast.Call) -> None:
    op = OPS.get(call.name)
    if op is None:
        raise SnarcNameError(
            f"unknown operation '{call.name}'",
            call.span,
            expected="one of " + ", ".join(OPS),
            hint=_suggest(call.name, OPS),
        )
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
                hint=_suggest(a.name, names),
            )
