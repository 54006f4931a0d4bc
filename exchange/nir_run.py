"""Run a NIR graph with Norse's own NIR importer, plus the fixes it needs.

``norse.torch.from_nir`` (Norse 1.1, through ``nirtorch.load``) has these gaps, all
fixed here on snarc's side without touching Norse:

1. **Unmapped nodes become ``None`` and are skipped silently.** Norse maps Affine,
   Conv2d, Flatten, Linear, IF, LIF, CubaLIF and SumPool2d only. snarc adds ``LI``
   (``LIBoxCell``), ``I`` (a small integrator), ``AvgPool2d``, ``Scale``, ``Threshold``
   and ``Delay``, and raises an error naming any node that still has no module.
2. **``Flatten`` flattens the batch**: NIR's ``start_dim`` counts per-sample axes, Norse
   passes it to ``nn.Flatten`` unchanged. Shifted by one here.
3. **Resets**: Norse ignores ``v_reset`` of ``LIF`` and ``IF`` and always resets to 0 by
   value. Built here with the node's ``v_reset``, and with a subtractive reset where
   the metadata says ``reset = "subtract"`` (for ``IF``, whose Norse cell only resets
   by value, with a small cell on Norse's threshold and ``reset_subtract``).
4. **Execution order**: nirtorch orders nodes depth-first from the input, which can run
   a node before one of its inputs (it then reads that input's value from the previous
   step). Replaced by a topological order of the graph without the edges into
   ``Delay`` nodes; ``Delay`` nodes run right after the input, so they read their
   input's value of the previous step, which is what a one-step delay is.
5. **The first step of a delay**: nirtorch raises when a node has no input yet; the
   runner starts every delay's input at its value at rest (the network before the
   first step: :meth:`Reference.rest <snarc.exchange.nir_reference.Reference.rest>`),
   as the reference and snarc's compiled module do.
6. **The output**: nirtorch returns the last node it ran, not the ``Output`` node; the
   runner reads the output node's source from the executor's cache.
7. **Input resistance**: Norse ignores ``r`` of ``LIF``, ``IF`` and ``LI`` (it only
   warns). Applied here as a gain on the cell's input; for ``IF`` and ``I``, whose NIR
   equation ``dv/dt = R·I`` adds ``dt·r·x`` a step where Norse's IAF adds ``x``, the gain
   is ``dt·r``.

Time constants: pass the graph's ``dt`` (snarc writes it to the metadata); Norse reads
``1/tau`` as ``tau_mem_inv`` and integrates with that ``dt``.
"""

from __future__ import annotations

import logging
import warnings

import networkx as nx
import numpy as np
import torch
from torch import nn

from ..dsl.errors import SnarcError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import norse.torch as nt
    from norse.torch.functional.reset import reset_subtract, reset_value
    from norse.torch.utils.import_nir import _import_norse_module


class NIRRunError(SnarcError):
    pass


class Scale(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.register_buffer("scale", torch.as_tensor(np.asarray(scale), dtype=torch.float32))

    def forward(self, x):
        return x * self.scale


class Threshold(nn.Module):
    """NIR's Threshold: ``H(x − θ)`` (1 where the input exceeds θ)."""

    def __init__(self, theta):
        super().__init__()
        self.register_buffer("theta", torch.as_tensor(np.asarray(theta), dtype=torch.float32))

    def forward(self, x):
        return (x > self.theta).to(x.dtype)


class IFSubtract(nn.Module):
    """Norse's IAF step with a subtractive reset (Norse's IAFCell resets by value only)."""

    def __init__(self, v_th):
        super().__init__()
        self.register_buffer("v_th", v_th)

    def forward(self, x, state=None):
        from norse.torch.functional.threshold import threshold

        v = (state if state is not None else torch.zeros_like(x)) + x
        z = threshold(v - self.v_th, "super", 100.0)
        return z, reset_subtract(z, v, torch.zeros_like(v), self.v_th)


class Integrator(nn.Module):
    """NIR's I, which Norse lacks: ``v ← v + x`` (the runner applies ``dt·r`` as the gain)."""

    def forward(self, x, state=None):
        v = (state if state is not None else torch.zeros_like(x)) + x
        return v, v


def _t(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a), dtype=torch.float32)


class InputGain(nn.Module):
    """A neuron cell that sees ``r · x``: NIR's input resistance, which Norse ignores."""

    def __init__(self, cell: nn.Module, r):
        super().__init__()
        self.cell = cell
        self.register_buffer("r", _t(r))

    def forward(self, x, state=None):
        return self.cell(self.r * x, state)


def module_map(node, dt: float) -> nn.Module | None:
    """Norse's importer for what it handles, snarc's fixes and additions for the rest."""
    import nir

    module = _module_map(node, dt)
    r = getattr(node, "r", None)
    if isinstance(node, (nir.IF, nir.I)):  # dv/dt = R·I: one step adds dt·r·x (Norse: x)
        r = np.asarray(1.0 if r is None else r, dtype=np.float64) * dt
    if (
        isinstance(node, (nir.LIF, nir.IF, nir.LI, nir.I))
        and r is not None
        and not np.allclose(np.asarray(r), 1.0)
    ):
        return InputGain(module, r)
    return module


def _module_map(node, dt: float) -> nn.Module | None:
    import nir

    meta = getattr(node, "metadata", {}) or {}
    reset = reset_subtract if meta.get("reset") == "subtract" else reset_value
    if isinstance(node, nir.LIF):
        p = nt.LIFBoxParameters(
            tau_mem_inv=1 / _t(node.tau),
            v_leak=_t(node.v_leak),
            v_th=_t(node.v_threshold),
            v_reset=_t(node.v_reset) if node.v_reset is not None else torch.tensor(0.0),
            reset_method=reset,
        )
        return nt.LIFBoxCell(p, dt=dt)
    if isinstance(node, nir.IF) and meta.get("reset") == "subtract":
        return IFSubtract(_t(node.v_threshold))
    if isinstance(node, nir.IF):
        p = nt.IAFParameters(
            v_th=_t(node.v_threshold),
            v_reset=_t(node.v_reset) if node.v_reset is not None else torch.tensor(0.0),
        )
        return nt.IAFCell(p, dt=dt)
    if isinstance(node, nir.I):
        return Integrator()
    if isinstance(node, nir.LI):
        return nt.LIBoxCell(
            nt.LIBoxParameters(tau_mem_inv=1 / _t(node.tau), v_leak=_t(node.v_leak)), dt=dt
        )
    if isinstance(node, nir.AvgPool2d):
        return nn.AvgPool2d(tuple(node.kernel_size), tuple(node.stride), tuple(node.padding))
    if isinstance(node, nir.Flatten):
        end = node.end_dim if node.end_dim < 0 else node.end_dim + 1
        return nn.Flatten(node.start_dim + 1, end)
    if isinstance(node, nir.Scale):
        return Scale(node.scale)
    if isinstance(node, nir.Threshold):
        return Threshold(node.threshold)
    if isinstance(node, nir.Delay):
        steps = int(round(float(np.asarray(node.delay).reshape(-1)[0]) / dt))
        return nn.Identity() if steps == 1 else DelaySteps(steps - 1)
    if isinstance(node, nir.CubaLIF) and meta.get("reset") == "subtract":
        module = _import_norse_module(
            node, ignore_warnings=True, reset_method=reset_subtract, dt=dt
        )
        return module
    return _import_norse_module(node, ignore_warnings=True, dt=dt)


class DelaySteps(nn.Module):
    """A delay of ``1 + extra`` steps: the runner already hands a Delay its input of the
    previous step; this holds it ``extra`` steps more, starting full of its first input
    (the rest value). ``reset()`` empties it between sequences."""

    def __init__(self, extra: int):
        super().__init__()
        self.extra = extra
        self.buffer: list[torch.Tensor] = []

    def reset(self) -> None:
        self.buffer = []

    def forward(self, x):
        if not self.buffer:
            self.buffer = [x] * self.extra
        self.buffer.append(x)
        return self.buffer.pop(0)


class NIRRunner(nn.Module):
    """A NIR graph as a module over time: ``[T, B, *shape]`` → ``[T, B, *out]``."""

    def __init__(self, graph, dt: float | None = None):
        super().__init__()
        import nir
        import nirtorch

        meta = graph.metadata or {}
        self.dt = float(dt if dt is not None else meta.get("dt", 1.0))
        root = logging.getLogger()
        level = root.level
        root.setLevel(
            logging.ERROR
        )  # nirtorch logs a warning on the root logger for every dummy node
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.executor = nirtorch.load(graph, lambda n: module_map(n, self.dt))
        finally:
            root.setLevel(level)
        modules = dict(self.executor.named_children())
        missing = [
            name
            for name, node in graph.nodes.items()
            if not isinstance(node, (nir.Input, nir.Output))
            and modules.get(name.replace(".", "_")) is None
        ]
        if missing:
            raise NIRRunError(f"no torch module for NIR node(s): {', '.join(missing)}")
        inputs = [n for n, node in graph.nodes.items() if isinstance(node, nir.Input)]
        outputs = [n for n, node in graph.nodes.items() if isinstance(node, nir.Output)]
        if len(inputs) != 1 or len(outputs) != 1:
            raise NIRRunError("the graph needs exactly one Input and one Output node")
        delays = [n for n, node in graph.nodes.items() if isinstance(node, nir.Delay)]
        dag = nx.DiGraph()
        dag.add_nodes_from(graph.nodes)
        dag.add_edges_from((a, b) for a, b in graph.edges if b not in delays)
        try:
            order = list(nx.topological_sort(dag))
        except nx.NetworkXUnfeasible:
            raise NIRRunError("the graph has a cycle without a Delay node") from None
        order = [inputs[0]] + delays + [n for n in order if n not in delays and n != inputs[0]]
        by_name = {node.name: node for node in self.executor.execution_order}
        self.executor.execution_order = [
            by_name[n.replace(".", "_")] for n in order if n.replace(".", "_") in by_name
        ]
        (self.output_src,) = [a for a, b in graph.edges if b == outputs[0]]
        self.output_src = self.output_src.replace(".", "_")
        self.delay_inputs = {}  # executor name of a delay's source -> its NIR name
        for d in delays:
            (src,) = [a for a, b in graph.edges if b == d]
            self.delay_inputs[src.replace(".", "_")] = src
        self.graph = graph

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from nirtorch.graph_executor import GraphExecutorState

        from .nir_reference import Reference

        rest = Reference(self.graph).rest(np.zeros(tuple(x.shape[1:])))
        state = GraphExecutorState(
            cache={
                k: torch.as_tensor(rest[src], dtype=x.dtype, device=x.device)
                for k, src in self.delay_inputs.items()
            }
        )
        for m in self.modules():
            if isinstance(m, DelaySteps):
                m.reset()
        outs = []
        for t in range(x.shape[0]):
            _, state = self.executor(x[t], state)
            outs.append(state.cache[self.output_src])
        return torch.stack(outs)
