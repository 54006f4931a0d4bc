"""AST → graph IR: instantiate motifs, infer shapes, count parameters, validate.

The result is described in :mod:`snarc.dsl.ir`. Every error raised here is a
:class:`~snarc.dsl.errors.SnarcError` that points at the construct that caused it;
an error inside a motif instance also names the cell that instantiated it.

Steps, in order:

1. resolve imports and names (:mod:`snarc.dsl.loader`);
2. walk the network body, instantiating motifs depth-first with hierarchical names
   (``c2.a``); every motif instance gets an input relay ``c2.in`` (this module; values
   in :mod:`~snarc.dsl.values`, scopes in :mod:`~snarc.dsl.frames`, arguments bound by
   :mod:`~snarc.dsl.binding`);
3. the IR passes of :mod:`snarc.dsl.passes`, one file each: elide relays, check that
   every cycle carries a delay, infer shapes, gene pools, count parameters (and check
   the ceilings), lint.

A library file (no network) is checked by :mod:`snarc.dsl.library`.
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx

from . import ast
from . import messages as M
from .binding import Binder, Words
from .errors import (
    SnarcError,
    SnarcNameError,
    SnarcResourceError,
    SnarcTypeError,
    SnarcValueError,
)
from .frames import Entry, Frame
from .ir import InputSpec, NeuronSpec, ReadoutSpec
from .library import RESERVED, check_library
from .loader import Loader, Scope
from .passes import run_passes
from .records import IRGraph
from .signatures import (
    EDGE_KINDS,
    ENCODINGS,
    INPUT_KINDS,
    MERGES,
    NEURON_MODELS,
    OPS,
    READOUT_MODES,
    REQUIRED,
    ArgDef,
)
from .values import NeuronValue, Symbol, describe, one_of, suggest

DEFAULT_MAX_PARAMS = 100_000_000
DEFAULT_MAX_NODES = 200_000


# ---------------------------------------------------------------- values


class Elaborator(Binder):
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
        self.g = IRGraph()
        self.order = itertools.count()
        self.stack: list[tuple[str, ast.Span]] = []  # motif instantiation stack
        self.instances: dict[str, tuple[str, ast.Span]] = {}  # scope -> (motif, cell span)
        self.dt = 1.0
        self._neuron_cache: dict[int, NeuronSpec] = {}
        self.warnings: list[SnarcError] = []

    # ============================================================ errors
    def notes_for_scope(self, scope: str) -> list[tuple[str, ast.Span]]:
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

    def error(self, cls, message, span, **kw):
        notes = kw.pop("notes", None)
        if notes is None:
            notes = self._stack_notes()
        return cls(message, span, notes=notes, **kw)

    def problem(self, p: M.Problem):
        """The error of a shared message (:mod:`snarc.dsl.messages`), with the notes that
        name the cells being instantiated."""
        return self.error(p.cls, p.message, p.span, **p.kw)

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
            raise self.problem(M.unknown_neuron_model(model_name, span))
        bound = self.bind(model_name, model.signature, args, {}, span)
        arg_spans = {a.name or model.signature[i].name: a.value.span for i, a in enumerate(args)}
        for tc in model.time_constants:
            strict = model.strict_time_constants
            if bound[tc] < self.dt or (strict and bound[tc] <= self.dt):
                rel = "greater than" if strict else "at least"
                raise self.error(
                    SnarcValueError,
                    f"{model_name}: '{tc}' ({bound[tc]:g}) must be {rel} the time step dt ({self.dt:g})",
                    arg_spans.get(tc, span),
                    hint="time constants are in the same unit as dt (set with `input ... dt X`)",
                )
        for tc in model.optional_time_constants:
            if 0 < bound[tc] < self.dt:
                raise self.error(
                    SnarcValueError,
                    f"{model_name}: '{tc}' ({bound[tc]:g}) must be 0 (off) or at least dt ({self.dt:g})",
                    arg_spans.get(tc, span),
                )
        if "v_th" in bound and "v_reset" in bound and bound["v_th"] <= bound["v_reset"]:
            raise self.error(
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
            raise self.error(
                SnarcTypeError,
                f"parameter '{ref.name}' is {describe(value)}, not a neuron",
                ref.span,
            )
        found = self._lookup_neuron(ref.name, frame)
        if found is not None:
            return NeuronValue(found)
        if ref.name in NEURON_MODELS:
            raise self.error(
                SnarcNameError,
                f"'{ref.name}' is a neuron model, not a neuron",
                ref.span,
                hint=f"write {ref.name}() for its defaults, or define `neuron x = {ref.name}(...)`",
            )
        options = list(frame.neurons) + list(self.scope.neurons())
        raise self.error(
            SnarcNameError,
            f"unknown neuron '{ref.name}'",
            ref.span,
            expected="a neuron defined with `neuron NAME = MODEL(...)`, or none"
            + (f": {', '.join(sorted(set(options)))}" if options else ""),
            hint=suggest(ref.name, options + ["none"]),
        )

    def _lookup_neuron(self, name: str, frame: Frame | None):
        if frame is not None and name in frame.neurons:
            return frame.neurons[name]
        return self.scope.neurons().get(name)

    # ============================================================ graph building
    def add_node(self, node_id, kind, span, frame: Frame, neuron=None, merge="sum"):
        if self.g.number_of_nodes() >= self.max_nodes:
            raise self.error(
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
                hint = (
                    f"'{call.name}' is a motif: instantiate it with `cell NAME = {call.name}(...)`"
                    if is_motif
                    else None
                )
                raise self.problem(M.unknown_operation(call.name, call.span, hint))
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
            raise self.problem(M.reserved_name(name, span))
        if name in frame.names:
            first = frame.names[name].span
            raise self.problem(M.declared_twice(name, span, first, self._stack_notes()))
        frame.names[name] = entry

    def _merge(self, merge: str | None, span, default="sum") -> str:
        if merge is None:
            return default
        if merge not in MERGES:
            raise self.error(
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
                    raise self.error(
                        SnarcNameError, f"neuron '{stmt.name}' is defined twice", stmt.span
                    )
                frame.neurons[stmt.name] = stmt
            elif isinstance(stmt, ast.PopDecl) or isinstance(stmt, ast.Cell):
                deferred.append(stmt)
            elif isinstance(stmt, (ast.Edge,)):
                pass
            elif isinstance(stmt, ast.Input):
                if not is_network:
                    raise self.problem(M.belongs_in_network("input", stmt.span))
            elif isinstance(stmt, ast.Readout):
                if not is_network:
                    raise self.problem(M.belongs_in_network("readout", stmt.span))
            elif isinstance(stmt, ast.Out):
                if is_network:
                    raise self.error(
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
                    raise self.error(
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
                raise self.problem(M.no_out(owner.name, owner.span))
            if len(outs) > 1:
                raise self.problem(M.second_out(owner.name, outs[1].span, outs[0].span))
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
                raise self.error(
                    SnarcTypeError,
                    f"'{stmt.callee}' is a neuron, not a motif",
                    stmt.callee_span,
                    hint=f"declare a population with `{stmt.name} : {stmt.callee}`",
                )
            raise self.problem(M.unknown_motif(stmt.callee, stmt.callee_span, self.scope.motifs()))
        self._declare(frame, stmt.name, stmt.span, Entry("cell", stmt.span))
        in_node, out_node = self.instantiate(motif, stmt, frame)
        entry = frame.names[stmt.name]
        entry.in_node, entry.node = in_node, out_node

    def instantiate(self, motif: ast.MotifDef, call: ast.Cell, parent: Frame):
        scope_name = parent.prefix + call.name
        if any(m == motif.name for m in (self.instances.get(s, ("",))[0] for s, _ in self.stack)):
            chain = " -> ".join([self.instances[s][0] for s, _ in self.stack] + [motif.name])
            raise self.error(
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
                raise self.error(SnarcNameError, f"parameter '{p.name}' is declared twice", p.span)
            seen.add(p.name)
        signature = f"{motif.name}({', '.join(params)})"
        words = Words(
            too_many=lambda n, got: (
                f"motif {motif.name}() takes {n} argument{'s' if n != 1 else ''}, got {got}"
            ),
            unknown=lambda key: f"motif {motif.name}() has no parameter '{key}'",
            twice=lambda key: f"'{key}' is given twice",
            expected=signature,
            expected_names=signature,
        )
        values = self.match(
            call.args or (),
            params,
            words,
            lambda arg: (self._neuronise(self.evaluate(arg.value, parent.env), parent), arg.span),
        )
        env: dict[str, Any] = {}
        for p in motif.params:
            if p.name in values:
                env[p.name] = values[p.name][0]
            elif p.default is not None:
                env[p.name] = self._neuronise(self.evaluate(p.default, env), None)
            else:
                raise self.error(
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
            raise self.problem(M.in_is_not_a_target(ref.span))
        entry = frame.names.get(ref.name)
        if entry is None:
            raise self._unknown(ref, frame)
        return entry.in_node if entry.kind == "cell" else entry.node

    def _unknown(self, ref: ast.Ref, frame: Frame):
        where = f"motif '{frame.motif}'" if frame.motif else "the network"
        options = list(frame.names)
        return self.error(
            SnarcNameError,
            f"unknown population or cell '{ref.name}' in {where}",
            ref.span,
            expected=("one of " + ", ".join(["in", *options])) if options else "in",
            hint=suggest(ref.name, options + ["in"]),
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
                raise self.error(
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
                    raise self.error(
                        SnarcTypeError,
                        f"genetic: 'rank' must be a whole number, got {describe(value)}",
                        arg.value.span,
                    )
                if value < 1:
                    raise self.error(
                        SnarcValueError,
                        f"genetic: 'rank' must be >= 1, got {value}",
                        arg.value.span,
                    )
                rank = value
            else:
                if not isinstance(arg.value, ast.Var):
                    raise self.error(
                        SnarcTypeError, "genetic: 'pool' must be a name", arg.value.span
                    )
                pool = arg.value.name
        if rank is None:
            raise self.error(
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
            raise self.error(
                SnarcValueError, f"network '{net.name}' has no {what}", net.span, hint=hint
            )
        if len(found) > 1:
            raise self.error(
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
        self.g.nodes["input"].shape = input_spec.shape
        self.run_body(frame, net.body, net)
        readout = readouts[0]
        src = self.resolve_src(readout.ref, frame)
        if readout.over not in READOUT_MODES:
            raise self.error(
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
        run_passes(self, net)
        self.g.graph["warnings"] = self.warnings
        return self.g

    def _input(self, stmt: ast.Input, frame: Frame):
        if stmt.kind not in INPUT_KINDS:
            raise self.error(
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
            raise self.error(
                SnarcTypeError,
                f"steps must be a whole number, got {describe(steps)}",
                stmt.steps.span,
            )
        if steps < 1:
            raise self.error(
                SnarcValueError, f"steps must be at least 1, got {steps}", stmt.steps.span
            )
        if stmt.dt is not None:
            dt = self.evaluate(stmt.dt, {})
            if isinstance(dt, bool) or not isinstance(dt, (int, float)):
                raise self.error(
                    SnarcTypeError, f"dt must be a number, got {describe(dt)}", stmt.dt.span
                )
            if dt <= 0:
                raise self.error(SnarcValueError, f"dt must be > 0, got {dt:g}", stmt.dt.span)
            self.dt = float(dt)
        allowed = ENCODINGS[stmt.kind]
        encode = stmt.encode or allowed[0]
        if encode not in allowed:
            raise self.error(
                SnarcValueError,
                f"{stmt.kind} input cannot be encoded as '{encode}'",
                stmt.span,
                expected=one_of(allowed),
            )
        return InputSpec(stmt.kind, shape, encode, stmt.span), steps


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
