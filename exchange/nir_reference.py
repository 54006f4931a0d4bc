"""A small, literal NIR interpreter: the oracle for snarc's NIR export and import.

Each node follows the equations of the NIR specification (Pedersen et al., *NIR*, Nature
Communications 2024), integrated with one forward-Euler step of length ``dt`` per time
step, in float64 and without any library's SNN code; only the convolutions and pools are
computed by ``torch.nn.functional`` (in float64), which is not where SNN bugs live.

Graph semantics, step by step:

* a node's input is the sum of the outputs of all nodes with an edge into it;
* nodes run in a topological order of the graph without (a) the edges into ``Delay``
  nodes — a delay's output at step t is its input of step t − d, read from a buffer —
  and (b) the back edges of a depth-first walk from the input, each of which must enter
  a stateful node: a cycle through a stateful node without a ``Delay`` reads the
  previous step's value (how snnTorch and NIR's own examples write recurrence); a cycle
  without state is refused;
* every neuron starts at rest: ``v = v_leak`` (0 for IF and I), ``i = 0`` (as Norse and
  snarc start; NIR leaves the initial state open);
* before the first step the graph has been at rest: the input is 0, spiking nodes
  (and Threshold) have emitted nothing, integrators output their resting potential,
  and every other node computes its function of those values. A back edge or a
  ``Delay`` delivers that rest value where it reaches before step 0 (so a recurrent
  ``Affine`` delivers its bias at step 0, as snnTorch's recurrent layers do on their
  zero initial spikes);
* neurons spike when the membrane exceeds ``v_threshold`` after the update, and reset
  to ``v_reset`` (or subtract the threshold where the node's metadata says
  ``reset = "subtract"``, as snarc writes it).

Equations (``x`` the summed input, ``dt`` the step):

=========  ===================================================================
LIF        v ← v + dt/τ · (v_leak − v + r·x); z = H(v − θ); reset
CubaLIF    i ← i + dt/τ_syn · (−i + w_in·x); v ← v + dt/τ_mem · (v_leak − v + r·i); reset
IF         v ← v + dt · r·x; z = H(v − θ); reset
LI         v ← v + dt/τ · (v_leak − v + r·x); output v
CubaLI     as CubaLIF without spikes; output v
I          v ← v + dt · r·x; output v
Threshold  z = H(x − θ)
Affine     W·x + b;  Linear W·x;  Scale s·x;  Flatten (per-sample axes)
Conv       ``conv1d``/``conv2d``;  SumPool2d / AvgPool2d: windows' sum / mean
Delay      the input of ``round(delay / dt)`` steps before (0 before that)
=========  ===================================================================
"""

from __future__ import annotations

from collections import deque

import networkx as nx
import numpy as np

from ..dsl.errors import SnarcError
from .back_edges import back_edges

STATEFUL = ("LIF", "CubaLIF", "IF", "LI", "CubaLI", "I")


class NIRReferenceError(SnarcError):
    kind = "NIR reference error"


def _a(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


class Reference:
    """Run a NIR graph: ``run(x)`` with ``x`` of shape ``[T, B, *input shape]`` returns
    ``{node: [T, B, *shape]}`` for every node (the Output node's under its own name)."""

    def __init__(self, graph, dt: float | None = None):
        from .nir_flatten import flatten_graph

        graph = flatten_graph(graph)  # nested graphs inlined, names "outer.inner"
        self.g = graph
        meta = graph.metadata or {}
        self.dt = float(dt if dt is not None else meta.get("dt", 1.0))
        self.kind = {n: type(node).__name__ for n, node in graph.nodes.items()}
        unknown = sorted(
            f"{n} ({k})"
            for n, k in self.kind.items()
            if k not in ("Input", "Delay") and not hasattr(self, f"_{k.lower()}")
        )
        if unknown:
            raise NIRReferenceError("the reference has no equations for: " + ", ".join(unknown))
        self.inputs = [n for n, k in self.kind.items() if k == "Input"]
        if not self.inputs:
            raise NIRReferenceError("the graph has no Input node")
        self.input = self.inputs[0]
        self.pred: dict[str, list[str]] = {n: [] for n in graph.nodes}
        for a, b in graph.edges:
            self.pred[b].append(a)
        self.order, self.back = self._schedule()

    def _schedule(self) -> tuple[list[str], set[tuple[str, str]]]:
        g = nx.DiGraph()
        g.add_nodes_from(self.g.nodes)
        g.add_edges_from((a, b) for a, b in self.g.edges if self.kind[b] != "Delay")
        roots = [
            self.input,
            *sorted(n for n in g.nodes if self.kind[n] == "Delay"),
            *sorted(g.nodes),
        ]
        back = back_edges(roots, lambda node: [(v, (node, v)) for v in sorted(g.successors(node))])
        for a, b in back:
            if self.kind[b] not in STATEFUL:
                raise NIRReferenceError(
                    f"the cycle through '{a}' -> '{b}' has neither a Delay nor a stateful node"
                )
        g.remove_edges_from(back)
        return list(nx.topological_sort(g)), back

    # ------------------------------------------------------------ running
    def run(self, x) -> dict[str, np.ndarray]:
        """``x``: ``[T, B, *shape]``, or ``{input node: [T, B, *shape]}`` for a graph with
        several Input nodes."""
        xs = {n: _a(v) for n, v in x.items()} if isinstance(x, dict) else {self.input: _a(x)}
        if set(xs) != set(self.inputs):
            raise NIRReferenceError(f"give a sequence for each Input: {', '.join(self.inputs)}")
        x = xs[self.input]
        T = x.shape[0]
        state: dict[str, dict] = {n: {} for n in self.g.nodes}
        rest = self.rest({n: np.zeros_like(v[0]) for n, v in xs.items()})
        prev: dict[str, np.ndarray] = rest
        delays = {n: self._delay_steps(n) for n, k in self.kind.items() if k == "Delay"}
        buffers = {n: deque() for n in delays}
        outs: dict[str, list] = {n: [] for n in self.g.nodes}
        for t in range(T):
            cur: dict[str, np.ndarray] = {}
            for n in self.order:
                node, k = self.g.nodes[n], self.kind[n]
                if k == "Input":
                    cur[n] = xs[n][t]
                    continue
                if k == "Delay":
                    buf = buffers[n]
                    if len(buf) >= delays[n] and buf[0] is not None:
                        cur[n] = buf[0]
                    else:  # nothing has come through yet: its input's rest value
                        cur[n] = rest[n] if n in rest else self._zeros(n, x.shape[1])
                    continue
                total = None
                for p in self.pred[n]:
                    v = prev.get(p) if (p, n) in self.back else cur.get(p)
                    if v is None:
                        continue
                    total = v if total is None else total + v
                cur[n] = getattr(self, f"_{k.lower()}")(node, total, state[n], n)
            for n in delays:  # what enters a delay this step leaves it `d` steps later
                total = None
                for p in self.pred[n]:
                    if cur.get(p) is not None:
                        total = cur[p] if total is None else total + cur[p]
                buffers[n].append(total)
                if len(buffers[n]) > delays[n]:
                    buffers[n].popleft()
            for n in self.g.nodes:
                outs[n].append(cur.get(n))
            prev = cur
        return {n: self._stack(v) for n, v in outs.items()}

    def rest(self, x0) -> dict[str, np.ndarray]:
        """Every node's value before the first step (see the module's docstring), for an
        input of zeros ``x0`` (``[B, *input shape]``, or one per Input node by name). Nodes are settled in passes: a
        neuron once one input gives its shape, any other node once all its inputs are."""
        values: dict[str, np.ndarray] = dict(x0) if isinstance(x0, dict) else {self.input: x0}
        pending = [n for n in self.order if n not in values]
        while pending:
            left = []
            for n in pending:
                node, k = self.g.nodes[n], self.kind[n]
                known = [values[p] for p in self.pred[n] if p in values]
                pinned = k in STATEFUL or k == "Threshold"
                if not known or (not pinned and len(known) < len(self.pred[n])):
                    left.append(n)
                    continue
                total = sum(known[1:], known[0])
                if k in ("LI", "CubaLI"):
                    values[n] = np.broadcast_to(_a(node.v_leak), total.shape).copy()
                elif pinned:
                    values[n] = np.zeros_like(total)
                elif k in ("Delay", "Output"):
                    values[n] = total
                else:
                    values[n] = getattr(self, f"_{k.lower()}")(node, total, {}, n)
            if len(left) == len(pending):
                break  # nodes on a cycle with no neuron (refused elsewhere) or unreachable
            pending = left
        return values

    @staticmethod
    def _stack(values):
        shape = next((v.shape for v in values if v is not None), None)
        if shape is None:
            return None
        return np.stack([np.zeros(shape) if v is None else v for v in values])

    def _zeros(self, n, batch: int):
        node = self.g.nodes[n]
        shape = (getattr(node, "metadata", {}) or {}).get("shape")
        if shape is None:
            out = getattr(node, "output_type", None) or {}
            shape = next(iter(out.values()), None)
        if shape is None:
            raise NIRReferenceError(f"Delay '{n}': its shape is unknown (no output type)")
        return np.zeros((batch, *[int(v) for v in np.asarray(shape).reshape(-1)]))

    def _delay_steps(self, n) -> int:
        d = _a(self.g.nodes[n].delay).reshape(-1)
        if not np.allclose(d, d[0]):
            raise NIRReferenceError(f"Delay '{n}': a different delay per element")
        steps = int(round(float(d[0]) / self.dt))
        if steps < 1:
            raise NIRReferenceError(f"Delay '{n}': {float(d[0])} is less than one step ({self.dt})")
        return steps

    # ------------------------------------------------------------ nodes
    @staticmethod
    def _need(total, n):
        if total is None:
            raise NIRReferenceError(f"node '{n}' has no input")
        return total

    def _output(self, node, x, s, n):
        return x

    def _affine(self, node, x, s, n):
        x = self._need(x, n)
        return x @ _a(node.weight).T + _a(node.bias)

    def _linear(self, node, x, s, n):
        return self._need(x, n) @ _a(node.weight).T

    def _scale(self, node, x, s, n):
        return self._need(x, n) * _a(node.scale)

    def _flatten(self, node, x, s, n):
        x = self._need(x, n)
        per_sample = x.shape[1:]
        start = node.start_dim % len(per_sample)
        end = node.end_dim % len(per_sample)
        shape = (
            *per_sample[:start],
            int(np.prod(per_sample[start : end + 1])),
            *per_sample[end + 1 :],
        )
        return x.reshape(x.shape[0], *shape)

    def _threshold(self, node, x, s, n):
        return (self._need(x, n) > _a(node.threshold)).astype(np.float64)

    def _conv(self, node, x, s, n, dims):
        import torch
        import torch.nn.functional as F  # noqa: N812

        x = torch.from_numpy(self._need(x, n))
        w = torch.from_numpy(_a(node.weight))
        b = torch.from_numpy(_a(node.bias)) if node.bias is not None else None
        pad = node.padding
        if not isinstance(pad, str):
            pad = tuple(int(p) for p in np.atleast_1d(pad))
        conv = F.conv2d if dims == 2 else F.conv1d
        stride = tuple(int(v) for v in np.atleast_1d(node.stride))
        dilation = tuple(int(v) for v in np.atleast_1d(node.dilation))
        return conv(x, w, b, stride, pad, dilation, int(node.groups)).numpy()

    def _conv2d(self, node, x, s, n):
        return self._conv(node, x, s, n, 2)

    def _conv1d(self, node, x, s, n):
        return self._conv(node, x, s, n, 1)

    def _pool(self, node, x, n, summed: bool):
        import torch
        import torch.nn.functional as F  # noqa: N812

        k = tuple(int(v) for v in np.atleast_1d(node.kernel_size))
        stride = tuple(int(v) for v in np.atleast_1d(node.stride))
        pad = tuple(int(v) for v in np.atleast_1d(node.padding))
        y = F.avg_pool2d(torch.from_numpy(self._need(x, n)), k, stride, pad, count_include_pad=True)
        return (y * (k[0] * k[1]) if summed else y).numpy()

    def _sumpool2d(self, node, x, s, n):
        return self._pool(node, x, n, summed=True)

    def _avgpool2d(self, node, x, s, n):
        return self._pool(node, x, n, summed=False)

    def _spike_reset(self, node, v, n):
        z = (v > _a(node.v_threshold)).astype(np.float64)
        meta = getattr(node, "metadata", {}) or {}
        if meta.get("reset") == "subtract":
            return z, v - z * _a(node.v_threshold)
        v_reset = _a(node.v_reset) if getattr(node, "v_reset", None) is not None else 0.0
        return z, np.where(z > 0, v_reset, v)

    def _rest(self, node, x, s):
        """The membrane before the first step: at rest, ``v_leak``."""
        return s.get("v", np.zeros_like(x) + _a(node.v_leak))

    def _lif(self, node, x, s, n):
        x = self._need(x, n)
        v = self._rest(node, x, s)
        v = v + self.dt / _a(node.tau) * (_a(node.v_leak) - v + _a(node.r) * x)
        z, s["v"] = self._spike_reset(node, v, n)
        return z

    def _if(self, node, x, s, n):
        x = self._need(x, n)
        v = s.get("v", np.zeros_like(x)) + self.dt * _a(node.r) * x
        z, s["v"] = self._spike_reset(node, v, n)
        return z

    def _li(self, node, x, s, n):
        x = self._need(x, n)
        v = self._rest(node, x, s)
        s["v"] = v + self.dt / _a(node.tau) * (_a(node.v_leak) - v + _a(node.r) * x)
        return s["v"]

    def _i(self, node, x, s, n):
        x = self._need(x, n)
        s["v"] = s.get("v", np.zeros_like(x)) + self.dt * _a(node.r) * x
        return s["v"]

    def _cuba(self, node, x, s, n):
        x = self._need(x, n)
        i = s.get("i", np.zeros_like(x))
        v = self._rest(node, x, s)
        i = i + self.dt / _a(node.tau_syn) * (-i + _a(node.w_in) * x)
        v = v + self.dt / _a(node.tau_mem) * (_a(node.v_leak) - v + _a(node.r) * i)
        s["i"] = i
        return v

    def _cubalif(self, node, x, s, n):
        v = self._cuba(node, x, s, n)
        z, s["v"] = self._spike_reset(node, v, n)
        return z

    def _cubali(self, node, x, s, n):
        s["v"] = self._cuba(node, x, s, n)
        return s["v"]
