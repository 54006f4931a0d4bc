"""NIR's synaptic nodes as snarc operations: the part of the importer that turns one
path of ``Conv2d``/``Conv1d``/``Affine``/``Linear``/pooling/``Flatten``/``Scale``/``Delay``
nodes into a connection's chain of operations (a mixin of the importer, which holds the
graph, its node kinds and its Inputs' layout)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..dsl import construct as C
from .errors import NIRImportError
from .nir_import_neurons import uniform

NEURONS = ("LIF", "CubaLIF", "IF", "LI", "CubaLI", "I", "Threshold")
SYNAPSES = (
    "Conv2d", "Conv1d", "Affine", "Linear", "AvgPool2d", "SumPool2d", "MaxThreshold", "Flatten", "Scale",
    "Delay",
)  # fmt: skip
SPIKING = ("LIF", "CubaLIF", "IF", "Threshold")


@dataclass
class NIRPath:
    """One path of synaptic nodes from a neuron (or an Input) to the next: a connection."""

    src: str
    dst: str
    nodes: list[str]  # NIR synaptic nodes along the path
    delayed: bool = False
    steps: int = 0  # the delay in steps (Delay nodes along the path; 1 for a back edge)
    ops: list = field(default_factory=list)  # ast.Call, in order
    weights: list[tuple[int, str]] = field(default_factory=list)  # (op index, NIR node)


class SynapseReader:
    """``ops_for(edge)``: a path's operations, and where its weights go."""

    def ops_for(self, edge: NIRPath):
        if edge.src in self.layout:  # one of several Inputs: select its part first
            offset, size = self.layout[edge.src]
            edge.weights.append((0, ("select", edge.src)))
            if len(self._input_shape(edge.src)) == 1:
                edge.ops.append(C.call("linear", size))
            else:
                edge.ops.append(C.call("conv", 1, size, padding=0))
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
        theta = np.asarray(self.g.nodes[n].threshold, dtype=np.float64).reshape(-1)
        if theta.size == 0 or not np.allclose(theta, theta[0]):
            return False  # thresholds per neuron: a population (per_neuron: true)
        theta = float(theta[0])
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
