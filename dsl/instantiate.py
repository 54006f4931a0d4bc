"""Bodies and motif instances: a network's or motif's statements become nodes and
edges with hierarchical names (``c2.a``); a motif cell is instantiated depth-first with
its arguments bound (every instance gets an input relay ``c2.in``); a library motif is
walked with its parameters unknown (:meth:`Instantiator.check_motif`)."""

from __future__ import annotations

from typing import Any

from . import ast
from . import formatter as F
from . import messages as M
from .binding import Words
from .errors import Poisoned, SnarcError, SnarcNameError, SnarcTypeError, SnarcValueError
from .frames import RESERVED, Entry, Frame
from .ir import GeneticCall, OpCall
from .neuron_models import NEURON_MODELS
from .signatures import EDGE_KINDS, GENETIC_SIGNATURE, MERGES, OPS, REQUIRED
from .values import UNKNOWN, NeuronValue, Symbol, suggest


class Instantiator:
    """The elaborator's body-walking part (a mixin: it uses the elaborator's graph
    building, ``bind``, ``evaluate``, neuron resolution and ``error``)."""

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
                OpCall(
                    op.name,
                    self.bind(op.name, op.signature, call.args, frame.env, call.span),
                    call.span,
                )
            )
            self._positional_trap(op, call)
        return tuple(out)

    def _positional_trap(self, op, call: ast.Call) -> None:
        """Warn (once per call site) where more than two numbers are given by position
        and some of them fill optional arguments:
        ``conv(2, 12, 5)`` is kernel 2, 12 channels, stride 5 — PyTorch's
        ``Conv2d(in, out, kernel)`` order reads differently."""
        positional = [a for a in call.args if a.name is None]
        required = sum(1 for a in op.signature if a.default is REQUIRED)
        if len(positional) <= max(required, 2) or call.span in self.warned:
            return
        self.warned.add(call.span)
        written = ", ".join(F.expr(a.value) for a in positional)
        reading = ", ".join(
            f"{a.name} {F.expr(arg.value)}"
            for a, arg in zip(op.signature, positional, strict=False)
        )
        hint = "give the optional ones by name, e.g. " + F.call(
            ast.Call(
                name=op.name,
                args=tuple(positional[:required])
                + tuple(
                    ast.Arg(name=a.name, value=arg.value)
                    for a, arg in zip(op.signature[required:], positional[required:], strict=False)
                ),
            )
        )
        if op.name == "conv" and len(positional) == 3:
            hint += (
                f"; in PyTorch's Conv2d(in, out, kernel) order you may have meant "
                f"conv({F.expr(positional[2].value)}, {F.expr(positional[1].value)})"
            )
        self.warnings.append(
            SnarcValueError(f"{op.name}({written}) reads as {reading}", call.span, hint=hint)
        )

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
            raise self.problem(M.unknown_choice("merge rule", merge, MERGES, span, "sum or concat"))
        return merge

    def run_body(self, frame: Frame, body, owner: ast.MotifDef | ast.NetworkDef):
        is_network = isinstance(owner, ast.NetworkDef)
        deferred = []
        # Pass 1: declarations (so edges may name populations declared later).
        for stmt in body:
            with self.recover():
                self._declaration(frame, stmt, is_network, deferred)
        for stmt in deferred:
            with self.recover():
                if isinstance(stmt, ast.PopDecl):
                    self._populations(frame, stmt)
                else:
                    self._cell(frame, stmt)
        # Pass 2: connections.
        outs = []
        for stmt in body:
            if isinstance(stmt, ast.Out):
                outs.append(stmt)
                continue
            with self.recover():
                self._connection(frame, stmt)
        if not is_network:
            self._out(frame, owner, outs)

    def _declaration(self, frame: Frame, stmt, is_network: bool, deferred: list) -> None:
        """Pass 1 of a body: local neurons; populations and cells deferred to be declared
        (so that edges may name what is declared later); misplaced statements."""
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

    def _populations(self, frame: Frame, stmt: ast.PopDecl) -> None:
        """``a, b : neuron``: the names are declared even where the neuron is wrong, so
        that one mistake is reported once, not again at every use."""
        spec, problem = None, None
        try:
            spec = self.neuron_spec(self.resolve_neuron(stmt.neuron, frame))
            merge = self._merge(stmt.merge, stmt.merge_span or stmt.span)
        except SnarcError as err:
            problem, merge = err, "sum"
        for name, nspan in zip(stmt.names, stmt.name_spans or [stmt.span] * len(stmt.names)):
            node_id = frame.prefix + name
            with self.recover():
                self._declare(frame, name, nspan, Entry("pop", nspan, node=node_id))
                self.add_node(node_id, "neuron" if spec else "relay", nspan, frame, spec, merge)
        if problem is not None:
            raise problem

    def _connection(self, frame: Frame, stmt) -> None:
        """Pass 2 of a body: a connection, or a cell's inputs."""
        if isinstance(stmt, ast.Edge):
            self._edge(frame, stmt)
        elif isinstance(stmt, ast.Cell):
            entry = frame.names.get(stmt.name)
            if entry is None or entry.in_node is None:
                raise Poisoned  # its declaration failed, and was reported
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
                self.add_edge(self.resolve_src(src, frame), target, "forward", src.span, ops=ops)

    def _out(self, frame: Frame, owner, outs: list) -> None:
        """A motif's single ``out``."""
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

    def resolve_src(self, ref: ast.Ref, frame: Frame) -> str:
        if ref.name == "in":
            return frame.in_node
        entry = frame.names.get(ref.name)
        if entry is None:
            raise self._unknown(ref, frame)
        if entry.node is None:
            raise Poisoned  # a cell whose instantiation failed, and was reported
        return entry.node

    def resolve_dst(self, ref: ast.Ref, frame: Frame) -> str:
        if ref.name == "in":
            raise self.problem(M.in_is_not_a_target(ref.span))
        entry = frame.names.get(ref.name)
        if entry is None:
            raise self._unknown(ref, frame)
        node = entry.in_node if entry.kind == "cell" else entry.node
        if node is None:
            raise Poisoned
        return node

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
        calls = stmt.ops
        edge_neuron = self._edge_neuron(calls[0], frame) if calls else None
        if edge_neuron is not None:
            # ``src -> dst : n | ops``: the neuron sits on the connection, as in SNASNet's
            # and MSE-NAS's edge operations (LIF -> conv -> BN): a population of its own
            # that steps on the source every step, then the rest of the chain (with the
            # arrow's delay) from its spikes.
            calls = calls[1:]
            hidden = self._edge_node(frame, stmt, edge_neuron)
            spec = self.neuron_spec(edge_neuron)
            self.add_node(hidden, "neuron" if spec else "relay", stmt.ops[0].span, frame, spec)
            self.add_edge(src, hidden, "forward", stmt.span)
            src = hidden
        for call in calls:
            if call.name not in OPS and self._edge_neuron(call, frame) is not None:
                raise self.error(
                    SnarcValueError,
                    f"the neuron '{call.name}' must come first on its connection",
                    call.span,
                    hint="a connection carries at most one neuron, before its operations: "
                    f"`{call.name} | conv(3, c) | bn`",
                )
        ops = self.bind_ops(calls, frame)
        genetic = self._bind_genetic(stmt, frame) if stmt.genetic is not None else None
        self.add_edge(src, dst, kind, stmt.span, ops=ops, sign=stmt.sign, genetic=genetic)

    def _edge_neuron(self, call: ast.Call, frame: Frame) -> NeuronValue | None:
        """The neuron a connection's first call names (``lif``, a motif parameter holding
        one, or an inline model ``LIF(...)``), or None where it names an operation."""
        if call.name in OPS:
            return None
        if call.name in NEURON_MODELS:
            return NeuronValue(
                None, inline=ast.NeuronRef(name=call.name, args=call.args, span=call.span)
            )
        value = frame.env.get(call.name)
        named = isinstance(value, NeuronValue) or value is UNKNOWN
        if not named and self._lookup_neuron(call.name, frame) is None:
            return None
        if call.args:
            raise self.error(
                SnarcValueError,
                f"the neuron '{call.name}' on a connection takes no arguments",
                call.span,
                hint="define another neuron (`neuron x = ...`) or write the model inline",
            )
        return self.resolve_neuron(ast.NeuronRef(name=call.name, span=call.span), frame)

    def _edge_node(self, frame: Frame, stmt: ast.Edge, neuron: NeuronValue) -> str:
        """The name of a connection's own neuron population: ``SRC_DST_NEURON`` in the
        body's scope (a counter appended where that is taken)."""
        named = neuron.definition.name if neuron.definition is not None else stmt.ops[0].name
        base = f"{frame.prefix}{stmt.src.name}_{stmt.dst.name}_{named.lower()}"
        node, i = base, 2
        while node in self.g or node[len(frame.prefix) :] in frame.names:
            node, i = f"{base}{i}", i + 1
        return node

    def _bind_genetic(self, stmt: ast.Edge, frame: Frame):
        """``genetic(rank: R, pool: NAME)`` bound like any call (:data:`GENETIC_SIGNATURE`)."""
        bound = self.bind("genetic", GENETIC_SIGNATURE, stmt.genetic, frame.env, stmt.genetic_span)
        return GeneticCall(bound["rank"], bound["pool"], stmt.genetic_span)

    # ============================================================ library motifs
    def check_motif(self, motif: ast.MotifDef) -> None:
        """Walk a library motif's body with every parameter without a default UNKNOWN:
        names, neurons, operations and their arguments, the motifs it calls (with the
        arguments it gives them) are checked by the code that instantiates motifs; what
        depends on the parameters is left to the network that calls it."""
        params = {}
        for p in motif.params:
            if p.name in params:
                raise self.error(SnarcNameError, f"parameter '{p.name}' is declared twice", p.span)
            params[p.name] = (
                UNKNOWN
                if p.default is None
                else self._neuronise(self.evaluate(p.default, {}), None)
            )
        frame = Frame(
            prefix=motif.name + ".",
            scope_name=motif.name,
            motif=motif.name,
            env=params,
            in_node=motif.name + ".in",
        )
        self.add_node(frame.in_node, "relay", motif.span, frame, None, "concat")
        self.run_body(frame, motif.body, motif)
