"""AST → graph IR: instantiate motifs, infer shapes, count parameters, validate.

The result is described in :mod:`snarc.dsl.ir`. Every error raised here is a
:class:`~snarc.dsl.errors.SnarcError` that points at the construct that caused it;
an error inside a motif instance also names the cell that instantiated it.

Steps, in order:

1. resolve imports and names (:mod:`snarc.dsl.loader`);
2. the input (this module), then the network body, instantiating motifs depth-first
   with hierarchical names (``c2.a``; :mod:`~snarc.dsl.instantiate`); neurons resolved
   and checked by :mod:`~snarc.dsl.neuron_specs`, values in :mod:`~snarc.dsl.values`,
   scopes in :mod:`~snarc.dsl.frames`, every call's arguments bound by
   :mod:`~snarc.dsl.binding`;
3. the IR passes of :mod:`snarc.dsl.passes`, one file each: elide relays, check that
   every cycle carries a delay, infer shapes, gene pools, count parameters (and check
   the ceilings), lint.

A library file (no network) is checked by :mod:`snarc.dsl.library`, which walks each
motif with the same code.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager

import networkx as nx

from . import ast
from . import messages as M
from .binding import Binder
from .errors import (
    Poisoned,
    SnarcError,
    SnarcResourceError,
    SnarcTypeError,
    SnarcValueError,
)
from .frames import Frame
from .instantiate import Instantiator
from .ir import InputSpec, NeuronSpec, ReadoutSpec
from .library import check_library
from .loader import Loader, Scope
from .neuron_specs import NeuronResolver
from .passes import run_passes
from .records import IRGraph
from .signatures import (
    ENCODINGS,
    INPUT_KINDS,
    OPS,
    READOUT_MODES,
    REQUIRED,
    ArgDef,
)
from .values import NeuronValue, describe, one_of

DEFAULT_MAX_PARAMS = 100_000_000
DEFAULT_MAX_NODES = 200_000
MAX_ERRORS = 20  # errors reported together for one file


# ---------------------------------------------------------------- values


class Elaborator(NeuronResolver, Instantiator, Binder):
    """The state of one elaboration: the graph being built, the motif instantiation
    stack (for errors that name the cells), the time step, warnings."""

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
        self.errors: list[SnarcError] = []  # recorded by recover(): reported together
        self.warned: set = set()  # call sites already warned about (motifs repeat them)

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

    @contextmanager
    def recover(self):
        """Run one statement: an error in it is recorded and elaboration goes on with
        the next statement, so that a file's independent errors are reported together
        (up to :data:`MAX_ERRORS`); the IR passes run only on an error-free body."""
        try:
            yield
        except Poisoned:
            pass
        except SnarcError as err:
            if len(self.errors) >= MAX_ERRORS - 1:
                raise
            if all((e.message, e.span) != (err.message, err.span) for e in self.errors):
                self.errors.append(err)

    def raise_recorded(self) -> None:
        """Raise the first recorded error, carrying the others."""
        if self.errors:
            first, *rest = self.errors
            raise first.with_more(rest)

    def problem(self, p: M.Problem):
        """The error of a shared message (:mod:`snarc.dsl.messages`), with the notes that
        name the cells being instantiated."""
        return self.error(p.cls, p.message, p.span, **p.kw)

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
        """A connection; ``ops`` (OpCall) and ``genetic`` (GeneticCall) as written. Its
        delay: 1 step for feedback and lateral, 0 otherwise, unless a ``delay(n)`` says."""
        delays = [op for op in ops if OPS[op.name].delay is not None]
        if len(delays) > 1:
            raise self.error(
                SnarcValueError,
                "a connection has one delay",
                delays[1].span,
                notes=[("the first is here", delays[0].span)],
            )
        self.g.add_edge(
            src,
            dst,
            kind=kind,
            delay=OPS[delays[0].name].delay(delays[0].args)
            if delays
            else (1 if kind in ("feedback", "lateral") else 0),
            calls=tuple(ops),
            sign=sign,
            gene_call=genetic,
            span=span,
            order=next(self.order),
            in_shape=None,
            out_shape=None,
            params=0,
        )

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
        try:
            src = self.resolve_src(readout.ref, frame)
        except Poisoned:
            self.raise_recorded()
            raise
        if readout.over not in READOUT_MODES:
            raise self.problem(
                M.unknown_choice("readout mode", readout.over, READOUT_MODES, readout.span)
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
        self.raise_recorded()
        run_passes(self, net)
        self.g.graph["warnings"] = self.warnings
        return self.g

    def _input(self, stmt: ast.Input, frame: Frame):
        if stmt.kind not in INPUT_KINDS:
            raise self.problem(M.unknown_choice("input kind", stmt.kind, INPUT_KINDS, stmt.span))
        ranks = INPUT_KINDS[stmt.kind]  # frames: a map (C, H, W) or a signal (C, L)
        rank = len(stmt.args) if len(stmt.args) in ranks else ranks[0]
        names = {3: ("channels", "height", "width"), 2: ("channels", "length")}.get(
            rank, ("features",)
        )
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
    elab = None
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
            elab.raise_recorded()
            return None
        graph = elab.network(nets[0], module.path)
        graph.graph["sources"] = loader.sources  # for excerpts of errors found later
        for warning in graph.graph["warnings"]:
            warning.with_sources(loader.sources)
        return graph
    except SnarcError as err:
        if elab is not None and elab.errors and err not in elab.errors:
            first, *rest = elab.errors  # an error past the recorded ones ends the walk
            err = first.with_more([*rest, err])
        raise err.with_sources(loader.sources) from None
    except RecursionError:
        raise SnarcValueError(
            "the program is nested too deeply to elaborate", module.span
        ).with_sources(loader.sources) from None
