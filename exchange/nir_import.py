"""NIR graph → a snarc program and its weights.

Every neuron node (``LIF``, ``CubaLIF``, ``IF``, ``LI``, ``CubaLI``, ``I``, and a
``Threshold``: memoryless spikes) becomes a population; every path
of synaptic nodes (``Conv2d``, ``Affine``, ``Linear``, ``AvgPool2d``, ``SumPool2d``,
``Flatten``, ``Scale``, ``Delay``) from one neuron (or the input) to the next becomes a
connection with that chain of operations; a path through a ``Delay`` of one step
becomes a feedback connection (``~>``), and so does a cycle through a neuron without a
``Delay`` (NIR's and snnTorch's recurrence: the previous step). ``SumPool2d`` followed
by ``Threshold(0 ≤ θ < 1)`` on spikes becomes ``maxpool`` (snarc's own export of one).
A synaptic node where several paths meet (NIR sums the inputs of every node) becomes a
relay population (``name : none``). A path through ``Delay`` nodes of ``n`` steps in all
reads its source ``n`` steps back: a feedback connection where it closes a cycle
(``~>``, with ``delay(n)`` for ``n > 1``), else a forward one with ``delay(n)``
(into the Output too: ``readout x : delay(n)``). A delay that is not a whole number of
steps is refused by name.

The weights go to a state dict for the compiled program (``snarc import`` writes it
next to the program as ``.pt``), so that the imported program computes what the graph
does. NIR's input gain ``r`` (and ``w_in`` of ``CubaLIF``, relative to snarc's
``tau_syn/dt``) is folded into the weights of the connections into the population.

Time: NIR's time constants are divided by the graph's ``dt`` (metadata ``dt``, or the
``dt`` argument), since snarc measures them in steps. Graphs written by
``norse.torch.to_nir`` (Norse 1.1) store ``dt · tau_mem`` where a time constant belongs
(``dt/tau_mem_inv``), an ``IF`` that adds its input without ``dt`` and a ``CubaLIF``
whose current jumps by its input with ``w_in = 1``; ``source="norse"`` reads them so.
"""

from __future__ import annotations

import re

import numpy as np

from ..dsl import ast
from ..dsl import construct as C
from ..dsl.frames import RESERVED
from ..dsl.parser import keywords
from .back_edges import back_edges
from .errors import NIRImportError
from .nir_import_neurons import import_neuron
from .nir_import_ops import NEURONS, SYNAPSES, NIRPath, SynapseReader
from .nir_sources import source_named
from .nir_weights import imported_weights


def _positive(value, what: str, kind):
    """``value`` as a finite number above 0 (the graph's ``dt``, its time steps)."""
    try:
        number = float(np.asarray(value, dtype=np.float64).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        raise NIRImportError(f"{what} {value!r} is not a number") from None
    if not np.isfinite(number) or number <= 0 or (kind is int and number != int(number)):
        raise NIRImportError(
            f"{what} must be a finite {'whole ' if kind is int else ''}number above 0, "
            f"got {number:g}"
        )
    return kind(number)


def _check_finite(graph) -> None:
    """Every numeric parameter of every node finite: a NaN or infinite weight or time
    constant would import "successfully" and compute nothing useful."""
    import dataclasses

    for name, node in graph.nodes.items():
        if not dataclasses.is_dataclass(node):
            continue
        for f in dataclasses.fields(node):
            value = getattr(node, f.name, None)
            if isinstance(value, (str, dict)) or value is None:
                continue
            try:
                a = np.asarray(value)
            except (TypeError, ValueError):
                continue
            if a.dtype.kind in "fc" and not np.isfinite(a).all():
                raise NIRImportError(
                    f"NIR node '{name}': {f.name} holds NaN or infinite values",
                    hint="snarc imports only graphs whose parameters are finite numbers",
                )


def program_name(text: str) -> str:
    """A network name made from ``text`` (a file name): a snarc identifier."""
    name = re.sub(r"\W", "_", text) or "imported"
    return name if not name[0].isdigit() else "n_" + name


class _Importer(SynapseReader):
    def __init__(self, graph, dt: float | None, source: str, steps: int | None, name: str):
        import nir

        self.nir = nir
        self.g = graph
        meta = graph.metadata or {}
        self.source = source_named(source)
        default_dt = self.source.default_dt or 1.0
        self.dt = _positive(dt if dt is not None else meta.get("dt", default_dt), "dt", float)
        self.steps = _positive(
            steps if steps is not None else meta.get("timesteps", 8), "timesteps", int
        )
        self.name = name
        _check_finite(graph)
        self.kind = {n: type(node).__name__ for n, node in graph.nodes.items()}
        if self.source.none_is_flatten:
            # norse.torch.to_nir writes modules it does not know (Flatten, pooling, LICell)
            # as None. Before a dense map, that None can only have been a Flatten, which
            # snarc's linear does anyway; anywhere else it cannot be recovered.
            for a, b in graph.edges:
                if self.kind[a] == "NoneType" and self.kind[b] in ("Affine", "Linear"):
                    self.kind[a] = "Skip"
        unknown = sorted(
            f"{n} ({k})"
            for n, k in self.kind.items()
            if k not in (*NEURONS, *SYNAPSES, "Skip", "Input", "Output")
        )
        if unknown:
            raise NIRImportError(
                "snarc cannot import these NIR nodes: "
                + ", ".join(unknown)
                + (
                    " (norse.torch.to_nir writes modules it cannot export as None)"
                    if "NoneType" in str(unknown)
                    else ""
                ),
                hint="supported: " + ", ".join((*NEURONS, *SYNAPSES, "Input", "Output")),
            )
        self.succ: dict[str, list[str]] = {n: [] for n in graph.nodes}
        self.pred: dict[str, list[str]] = {n: [] for n in graph.nodes}
        for a, b in graph.edges:
            self.succ[a].append(b)
            self.pred[b].append(a)
        for n, k in list(self.kind.items()):
            if k == "Threshold" and self._max_of_spikes(n):
                self.kind[n] = "MaxThreshold"
        self.names: dict[str, str] = {}
        self.output_node = "readout"  # the IR node the Output's paths end in
        self.per_neuron: dict[str, dict] = {}  # NIR neuron -> its per-neuron values
        self.layout: dict[str, tuple[int, int]] = {}  # Input -> (offset, size), if several

    def ident(self, nir_name: str) -> str:
        if nir_name in self.names:
            return self.names[nir_name]
        base = re.sub(r"\W", "_", nir_name) or "n"
        if base[0].isdigit() or base in keywords() or base in RESERVED:
            base = "n_" + base
        name, i = base, 1
        while name in self.names.values():
            i += 1
            name = f"{base}_{i}"
        self.names[nir_name] = name
        return name

    def terminal(self, n: str) -> bool:
        k = self.kind[n]
        return (
            k in NEURONS
            or k in ("Input", "Output")
            or (k in (*SYNAPSES, "Skip") and len(self.pred[n]) > 1)
        )

    def paths(self) -> list[NIRPath]:
        edges = []
        for start in self.g.nodes:
            if not self.terminal(start) or self.kind[start] == "Output":
                continue
            # a synaptic node where paths meet is a relay that sums its inputs; its own
            # operation (an Affine's weights, a Conv2d's) starts every path out of it
            own = [start] if self.kind[start] in (*SYNAPSES, "Skip") else []
            stack = [(s, own) for s in self.succ[start]]
            while stack:
                n, path = stack.pop()
                if self.terminal(n):
                    edges.append(NIRPath(start, n, path))
                    continue
                if n in path:
                    raise NIRImportError(
                        f"NIR node '{n}' is on a cycle of synaptic nodes with no neuron"
                    )
                stack.extend((s, [*path, n]) for s in self.succ[n])
        return edges

    def _previous_step(self, edges: list[NIRPath], start: str) -> None:
        """NIR's recurrence without a Delay (snnTorch's RLeaky, NIR's own examples): a
        cycle through a neuron reads its previous step. The back edges of a depth-first
        walk from the input that enter a neuron become feedback connections (``~>``);
        a cycle that cannot close that way is refused."""
        import networkx as nx

        g = nx.MultiDiGraph()
        g.add_nodes_from({e.src for e in edges} | {e.dst for e in edges})
        for i, e in enumerate(edges):
            if not e.delayed:
                g.add_edge(e.src, e.dst, key=i)
        back = back_edges(
            [start, *sorted(g.nodes)],
            lambda node: [
                (v, key)
                for _, v, key in sorted(g.out_edges(node, keys=True), key=lambda x: (x[1], x[2]))
            ],
        )
        for key in back:
            e = edges[key]
            if self.kind[e.dst] not in NEURONS:
                raise NIRImportError(
                    f"NIR nodes '{e.src}' -> '{e.dst}' close a cycle with neither a Delay "
                    "nor a neuron to carry it to the next step"
                )
            e.delayed = True
            e.steps = 1

    # ---------------------------------------------------------------- neurons
    def neuron(self, n: str) -> tuple[ast.NeuronRef, float]:
        """(the snarc neuron, input gain to fold into the incoming weights); values that
        differ between neurons are kept in ``self.per_neuron``."""
        imported = import_neuron(n, self.g.nodes[n], self.kind[n], self.dt, self.source)
        if imported.per_neuron is not None:
            self.per_neuron[n] = imported.per_neuron
        return imported.ref, imported.gain

    # ---------------------------------------------------------------- program
    @staticmethod
    def _on_cycle(edges: list[NIRPath]) -> set[int]:
        """The indices of the delayed paths that close a cycle (feedback, ``~>``); a
        delayed path on no cycle is a forward connection with a ``delay(n)``."""
        import networkx as nx

        g = nx.DiGraph((e.src, e.dst) for e in edges)
        return {
            i
            for i, e in enumerate(edges)
            if e.delayed and (e.src == e.dst or nx.has_path(g, e.dst, e.src))
        }

    def _input_shape(self, n: str) -> list[int]:
        inp = self.g.nodes[n]
        shape = [int(s) for s in np.asarray(next(iter(inp.input_type.values()))).reshape(-1)]
        if self.source.batch_in_input and len(shape) in (2, 4):
            shape = shape[1:]  # norse.torch.to_nir keeps the sample's batch axis
        if len(shape) not in (1, 2, 3):
            raise NIRImportError(
                f"NIR node '{n}': an input of shape {shape}; snarc takes a vector "
                "(features), a signal (channels, length) or a map (channels, height, width) "
                "per sample",
                hint="a leading 1 is the batch axis norse.torch.to_nir keeps: import with "
                "--source norse"
                if len(shape) == 4 and shape[0] == 1
                else None,
            )
        return shape

    def _layout(self, inputs: list[str]) -> list[int]:
        """One input for several Input nodes: concatenated, in the graph's order, along
        features or channels (the other axes must agree); each path from an Input starts
        with a fixed map that selects its part (``self.layout``: node -> (offset, size))."""
        shapes = {n: self._input_shape(n) for n in inputs}
        first = shapes[inputs[0]]
        if len(inputs) == 1:
            return first
        for n in inputs[1:]:
            if len(shapes[n]) != len(first) or shapes[n][1:] != first[1:]:
                raise NIRImportError(
                    f"the NIR graph's Inputs '{inputs[0]}' {first} and '{n}' {shapes[n]} cannot "
                    "be concatenated into one input (their shapes beyond the first axis differ)"
                )
        offset = 0
        for n in inputs:
            self.layout[n] = (offset, shapes[n][0])
            offset += shapes[n][0]
        return [offset, *first[1:]]

    def program(self):
        inputs = [n for n, k in self.kind.items() if k == "Input"]
        outputs = [n for n, k in self.kind.items() if k == "Output"]
        if not inputs or len(outputs) != 1:
            raise NIRImportError("the NIR graph needs an Input node and exactly one Output node")
        shape = self._layout(inputs)
        for n in inputs:
            self.names[n] = "in"
        edges = [self.ops_for(e) for e in self.paths()]
        self._previous_step(edges, inputs[0])
        kind = (self.g.metadata or {}).get("input_kind") or (
            "frames" if len(shape) in (2, 3) else "vector"
        )
        encode = (self.g.metadata or {}).get("encode")
        # time constants are converted to steps: the program keeps dt = 1
        body: list = [
            ast.Input(
                kind=kind,
                args=C.args(*shape),
                steps=C.num(self.steps),
                encode=encode if encode and encode not in ("events", "direct") else None,
            )
        ]
        gains = {}
        for n, k in self.kind.items():
            if k in NEURONS:
                neuron, gains[n] = self.neuron(n)
            elif k in SYNAPSES and len(self.pred[n]) > 1:
                neuron, gains[n] = ast.NeuronRef(name="none"), 1.0
            else:
                continue
            body.append(ast.PopDecl(names=(self.ident(n),), neuron=neuron))
        into_output = [e for e in edges if self.kind[e.dst] == "Output"]
        on_cycle = self._on_cycle(edges)
        for i, e in enumerate(edges):
            if e.delayed and (e.steps > 1 or i not in on_cycle):
                e.ops.append(C.call("delay", e.steps))  # last: weights keep their op index
        readout = into_output[0] if len(into_output) == 1 else None
        if len(into_output) > 1:  # NIR sums them: a relay, read out
            self.output_node = self.ident("output_sum")
            body.append(ast.PopDecl(names=(self.output_node,), neuron=ast.NeuronRef(name="none")))
        for i, e in enumerate(edges):
            if self.kind[e.dst] == "Output" and len(into_output) == 1:
                continue
            dst = self.output_node if self.kind[e.dst] == "Output" else self.ident(e.dst)
            body.append(
                ast.Edge(
                    src=C.ref(self.ident(e.src)),
                    arrow="~>" if e.delayed and i in on_cycle else "->",
                    dst=C.ref(dst),
                    ops=tuple(e.ops),
                )
            )
        if not into_output:
            raise NIRImportError("no path from a neuron to the Output node")
        over = (self.g.metadata or {}).get("readout_over", "mean")
        if readout is not None:
            body.append(
                ast.Readout(ref=C.ref(self.ident(readout.src)), ops=tuple(readout.ops), over=over)
            )
        else:
            body.append(ast.Readout(ref=C.ref(self.output_node), over=over))
        module = ast.Module(
            path=f"<{self.name}>",
            items=(ast.NetworkDef(name=self.name, body=tuple(body)),),
            comments=(
                C.comment(f"imported from NIR by snarc import ({len(self.g.nodes)} nodes)"),
                *(
                    [
                        C.comment(
                            "one input for the graph's Inputs, concatenated: "
                            + ", ".join(f"{n} [{o}:{o + k}]" for n, (o, k) in self.layout.items())
                        )
                    ]
                    if self.layout
                    else []
                ),
            ),
        )
        return module, edges, gains


def from_nir(
    graph,
    *,
    dt: float | None = None,
    source: str = "snarc",
    steps: int | None = None,
    name: str = "imported",
):
    """A NIR graph → (snarc program text, state dict for the compiled program)."""
    from ..compiler import compile as compile_network
    from ..dsl import elaborate, format_module, parse
    from .nir_flatten import flatten_graph

    graph = flatten_graph(graph)  # nested graphs (snnTorch's recurrent layers) inlined
    imp = _Importer(graph, dt, source, steps, name)
    module, edges, gains = imp.program()
    text = format_module(module)  # printed by the formatter, parsed once (errors located)
    graph_ir = elaborate(parse(text, f"<{name}>"))
    net = compile_network(graph_ir)
    state = imported_weights(imp, edges, gains, graph, graph_ir, net)
    return text, state
