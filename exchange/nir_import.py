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
from dataclasses import dataclass, field

import numpy as np

from ..dsl import ast
from ..dsl import construct as C
from ..dsl.frames import RESERVED
from ..dsl.parser import keywords
from .errors import NIRImportError
from .nir_import_neurons import import_neuron, uniform
from .nir_sources import source_named
from .nir_weights import imported_weights

NEURONS = ("LIF", "CubaLIF", "IF", "LI", "CubaLI", "I", "Threshold")
SYNAPSES = (
    "Conv2d", "Conv1d", "Affine", "Linear", "AvgPool2d", "SumPool2d", "MaxThreshold", "Flatten", "Scale",
    "Delay",
)  # fmt: skip
SPIKING = ("LIF", "CubaLIF", "IF", "Threshold")


@dataclass
class _Edge:
    src: str
    dst: str
    nodes: list[str]  # NIR synaptic nodes along the path
    delayed: bool = False
    steps: int = 0  # the delay in steps (Delay nodes along the path; 1 for a back edge)
    ops: list = field(default_factory=list)  # ast.Call, in order
    weights: list[tuple[int, str]] = field(default_factory=list)  # (op index, NIR node)


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


class _Importer:
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

    def paths(self) -> list[_Edge]:
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
                    edges.append(_Edge(start, n, path))
                    continue
                if n in path:
                    raise NIRImportError(
                        f"NIR node '{n}' is on a cycle of synaptic nodes with no neuron"
                    )
                stack.extend((s, [*path, n]) for s in self.succ[n])
        return edges

    def _previous_step(self, edges: list[_Edge], start: str) -> None:
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
        back: set[int] = set()
        seen, on = set(), set()

        def visit(node):
            seen.add(node)
            on.add(node)
            for _, v, key in sorted(g.out_edges(node, keys=True), key=lambda x: (x[1], x[2])):
                if v in on:
                    back.add(key)
                elif v not in seen:
                    visit(v)
            on.discard(node)

        for node in [start, *sorted(g.nodes)]:
            if node not in seen:
                visit(node)
        for key in back:
            e = edges[key]
            if self.kind[e.dst] not in NEURONS:
                raise NIRImportError(
                    f"NIR nodes '{e.src}' -> '{e.dst}' close a cycle with neither a Delay "
                    "nor a neuron to carry it to the next step"
                )
            e.delayed = True
            e.steps = 1

    # ---------------------------------------------------------------- ops
    def ops_for(self, edge: _Edge):
        for n in edge.nodes:
            node = self.g.nodes[n]
            k = self.kind[n]
            if k == "Delay":
                steps = uniform(n, "delay", node.delay) / self.dt
                if abs(steps - round(steps)) > 1e-6 or round(steps) < 1:
                    raise NIRImportError(
                        f"NIR node '{n}': a delay of {steps:g} steps; snarc delays by whole "
                        "steps of dt"
                    )
                edge.delayed = True
                edge.steps += round(steps)
            elif k == "MaxThreshold":
                continue  # consumed by the SumPool2d before it (max-pooling of spikes)
            elif k in ("Conv2d", "Conv1d"):  # a 1-d conv acts on a (C, L) signal
                w = np.asarray(node.weight)
                if k == "Conv1d" and w.ndim != 3:
                    raise NIRImportError(f"NIR node '{n}': a Conv1d weight needs 3 axes")
                if k == "Conv2d" and (w.ndim != 4 or w.shape[2] != w.shape[3]):
                    raise NIRImportError(f"NIR node '{n}': only square 2-d kernels are supported")
                stride, dil = (
                    self._square(n, a, f)
                    for a, f in ((node.stride, "stride"), (node.dilation, "dilation"))
                )
                pad = self._padding(n, node.padding, w.shape[2], dil, stride)
                bias = node.bias is not None and np.any(np.asarray(node.bias) != 0)
                extra = {"dilation": dil} if dil != 1 else {}
                if node.groups != 1:
                    extra["groups"] = int(node.groups)
                if bias:
                    extra["bias"] = True
                edge.weights.append((len(edge.ops), n))
                edge.ops.append(
                    C.call("conv", w.shape[2], w.shape[0], stride=stride, padding=pad, **extra)
                )
            elif k in ("Affine", "Linear"):
                w = np.asarray(node.weight)
                bias = (
                    k == "Affine" and node.bias is not None and np.any(np.asarray(node.bias) != 0)
                )
                edge.weights.append((len(edge.ops), n))
                edge.ops.append(C.call("linear", w.shape[0], **({"bias": True} if bias else {})))
            elif k == "AvgPool2d":
                kk, s, p = self._pool_args(n, node)
                edge.ops.append(C.call("avgpool", kk, stride=s, padding=p))
            elif k == "SumPool2d" and self._pools_max(n):
                kk, s, p = self._pool_args(n, node)
                edge.ops.append(C.call("maxpool", kk, stride=s, padding=p))
            elif k == "SumPool2d":
                kk, s, p = self._pool_args(n, node)
                channels = self._channels(n, node)  # a depthwise conv with weights 1
                edge.weights.append((len(edge.ops), n))
                edge.ops.append(C.call("conv", kk, channels, stride=s, padding=p, groups=channels))
            elif k == "Flatten":
                edge.ops.append(C.call("flatten"))
            elif k == "Scale":
                scale = np.asarray(node.scale, dtype=np.float64)
                if np.allclose(scale, 1.0):
                    continue  # a summing point
                if scale.ndim == 3 and np.allclose(scale, scale[:, :1, :1]):
                    c = scale.shape[0]  # one factor per channel: a depthwise 1×1 conv
                    edge.weights.append((len(edge.ops), n))
                    edge.ops.append(C.call("conv", 1, c, padding=0, groups=c))
                elif scale.ndim == 1:  # one factor per feature: a diagonal dense map
                    edge.weights.append((len(edge.ops), n))
                    edge.ops.append(C.call("linear", scale.shape[0]))
                else:
                    raise NIRImportError(
                        f"NIR node '{n}': a Scale that differs within a channel (snarc scales "
                        "maps per channel, vectors per feature)"
                    )
        return edge

    def _max_of_spikes(self, n: str) -> bool:
        """Whether Threshold ``n`` ends a max-pool of spikes: ``SumPool2d`` then
        ``Threshold(θ)``, 0 ≤ θ < 1, where the pool (through ``Flatten`` only) reads a
        spiking node and nothing else reads the pool (snarc's own export of a max-pool).
        Any other Threshold is a population of memoryless spiking neurons."""
        src = self._single_pred(n)
        if src is None or self.kind[src] != "SumPool2d" or len(self.succ[src]) != 1:
            return False
        theta = uniform(n, "threshold", self.g.nodes[n].threshold)
        before = self._single_pred(src)
        while before is not None and self.kind[before] == "Flatten":
            before = self._single_pred(before)
        return 0.0 <= theta < 1.0 and before is not None and self.kind[before] in SPIKING

    def _single_pred(self, n: str) -> str | None:
        return self.pred[n][0] if len(self.pred[n]) == 1 else None

    def _pools_max(self, n: str) -> bool:
        """Whether SumPool2d ``n`` is the pool of a max-pool of spikes."""
        return any(self.kind[s] == "MaxThreshold" for s in self.succ[n])

    @staticmethod
    def _channels(n, node) -> int:
        input_type = getattr(node, "input_type", None) or {}
        if "input" not in input_type:
            raise NIRImportError(f"NIR node '{n}': SumPool2d without an input shape")
        return int(np.asarray(input_type["input"]).reshape(-1)[0])

    def _pool_args(self, n, node) -> tuple[int, int, int]:
        """(kernel, stride, padding) of a pooling node, each the same along both axes."""
        return tuple(
            self._square(n, a, f)
            for a, f in (
                (node.kernel_size, "kernel"),
                (node.stride, "stride"),
                (node.padding, "padding"),
            )
        )

    def _padding(self, n, padding, k: int, dil: int, stride: int) -> int:
        """NIR's padding: numbers, or PyTorch's words ``"same"`` and ``"valid"``."""
        if isinstance(padding, str):
            if padding == "valid":
                return 0
            if padding == "same":
                if stride != 1 or (dil * (k - 1)) % 2:
                    raise NIRImportError(
                        f"NIR node '{n}': padding 'same' with stride {stride} and an even "
                        "reach pads unevenly, which snarc's conv cannot"
                    )
                return dil * (k - 1) // 2
            raise NIRImportError(f"NIR node '{n}': unknown padding {padding!r}")
        return self._square(n, padding, "padding")

    @staticmethod
    def _square(n, a, what) -> int:
        v = np.atleast_1d(np.asarray(a)).astype(int)
        if not np.all(v == v[0]):
            raise NIRImportError(f"NIR node '{n}': {what} must be the same along both axes")
        return int(v[0])

    # ---------------------------------------------------------------- neurons
    def neuron(self, n: str) -> tuple[ast.NeuronRef, float]:
        """(the snarc neuron, input gain to fold into the incoming weights)."""
        return import_neuron(n, self.g.nodes[n], self.kind[n], self.dt, self.source)

    # ---------------------------------------------------------------- program
    @staticmethod
    def _on_cycle(edges: list[_Edge]) -> set[int]:
        """The indices of the delayed paths that close a cycle (feedback, ``~>``); a
        delayed path on no cycle is a forward connection with a ``delay(n)``."""
        import networkx as nx

        g = nx.DiGraph((e.src, e.dst) for e in edges)
        return {
            i
            for i, e in enumerate(edges)
            if e.delayed and (e.src == e.dst or nx.has_path(g, e.dst, e.src))
        }

    def program(self):
        inputs = [n for n, k in self.kind.items() if k == "Input"]
        outputs = [n for n, k in self.kind.items() if k == "Output"]
        if len(inputs) != 1 or len(outputs) != 1:
            raise NIRImportError("the NIR graph needs exactly one Input and one Output node")
        inp = self.g.nodes[inputs[0]]
        shape = [int(s) for s in np.asarray(next(iter(inp.input_type.values()))).reshape(-1)]
        if self.source.batch_in_input and len(shape) in (2, 4):
            shape = shape[1:]  # norse.torch.to_nir keeps the sample's batch axis
        if len(shape) not in (1, 2, 3):
            raise NIRImportError(
                f"NIR node '{inputs[0]}': an input of shape {shape}; snarc takes a vector "
                "(features), a signal (channels, length) or a map (channels, height, width) "
                "per sample",
                hint="a leading 1 is the batch axis norse.torch.to_nir keeps: import with "
                "--source norse"
                if len(shape) == 4 and shape[0] == 1
                else None,
            )
        self.names[inputs[0]] = "in"
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
            comments=(C.comment(f"imported from NIR by snarc import ({len(self.g.nodes)} nodes)"),),
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
