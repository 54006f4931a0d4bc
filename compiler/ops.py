"""Synaptic operations: a dispatch table from IR operation to a torch module builder.

``OP_BUILDERS[name](spec)`` returns a module that maps ``[N, *in_shape]`` to
``[N, *out_shape]``, where ``N`` is ``T·B`` for nodes that run multi-step and ``B``
for nodes stepped one time step at a time. A caller may pass its own builders to
:func:`snarc.compile` (``builders={"conv": my_conv}``) to override or extend these.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..dsl.ir import OpSpec
from ..dsl.signatures import OPS


class Dense(nn.Linear):
    """``linear``: flattens every axis but the first, then a dense map."""

    def forward(self, x):
        return super().forward(x.flatten(1) if x.dim() > 2 else x)


class Zero(nn.Module):
    def forward(self, x):
        return torch.zeros_like(x)


class Vote(nn.Module):
    """AutoSNN's voting layer: the mean of each consecutive group of features."""

    def __init__(self, group: int):
        super().__init__()
        self.group = group

    def forward(self, x):
        x = x.flatten(1)
        return x.view(x.shape[0], -1, self.group).mean(-1)

    def extra_repr(self):
        return f"group={self.group}"


class GeneticConv2d(nn.Module):
    """A convolution whose weight is given at call time (built from genes)."""

    def __init__(self, spec: OpSpec):
        super().__init__()
        self.stride = spec.get("stride")
        k, d = spec.get("kernel"), spec.get("dilation")
        p = spec.get("padding")
        self.padding = p if p is not None else d * (k - 1) // 2
        self.dilation = d
        self.bias = nn.Parameter(torch.zeros(spec.out_shape[0])) if spec.get("bias") else None

    def forward(self, x, weight):
        return F.conv2d(x, weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return f"stride={self.stride}, padding={self.padding}, genetic"


class GeneticLinear(nn.Module):
    def __init__(self, spec: OpSpec):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(spec.out_shape[0])) if spec.get("bias") else None

    def forward(self, x, weight):
        return F.linear(x.flatten(1) if x.dim() > 2 else x, weight, self.bias)

    def extra_repr(self):
        return "genetic"


class Conv2d(nn.Conv2d):
    """``nn.Conv2d`` that, on the CPU, convolves a large NCHW batch in chunks.

    Multi-step nodes convolve all ``T·B`` samples at once. On the CPU, oneDNN runs an
    NCHW batch whose input is larger than a few MB slower per sample than smaller ones
    (cache pressure: 30-40% for 256 samples of 48×32×32, measured with
    benchmarks/bench_runtime.py's shapes), so the batch is split into chunks of about
    ``CHUNK_BYTES`` of input. A channels-last batch (the compiler's default layout)
    shows no such slowdown and goes in one call, as on CUDA.
    """

    CHUNK_BYTES = 6 * 2**20

    def forward(self, x):
        if x.is_cuda or x.dim() != 4 or x.is_contiguous(memory_format=torch.channels_last):
            return super().forward(x)
        per_sample = x[0].numel() * x.element_size()
        chunk = max(8, self.CHUNK_BYTES // max(per_sample, 1))
        if x.shape[0] <= chunk:
            return super().forward(x)
        return torch.cat([super(Conv2d, self).forward(part) for part in x.split(chunk)])


def _conv(spec: OpSpec) -> nn.Module:
    """A 2-d convolution on a map, a 1-d one on a (C, L) signal."""
    k, d = spec.get("kernel"), spec.get("dilation")
    p = spec.get("padding")
    return (Conv2d if len(spec.in_shape) == 3 else nn.Conv1d)(
        spec.in_shape[0],
        spec.out_shape[0],
        k,
        stride=spec.get("stride"),
        padding=p if p is not None else d * (k - 1) // 2,
        dilation=d,
        groups=spec.get("groups"),
        bias=spec.get("bias"),
    )


def _linear(spec: OpSpec) -> nn.Module:
    return Dense(math.prod(spec.in_shape), spec.out_shape[0], bias=spec.get("bias"))


def _pool(cls):
    def build(spec: OpSpec) -> nn.Module:
        k = spec.get("kernel")
        s = spec.get("stride")
        return cls(k, stride=s if s is not None else k, padding=spec.get("padding"))

    return build


class FactorizedReduce(nn.Module):
    """Two 3×3 stride-2 convs to C/2 channels, on the input and on it shifted by one
    pixel, concatenated, then batch-norm (DARTS's reduction as MSE-NAS's code writes it)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 3, stride=2, padding=1, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def _bn(spec: OpSpec) -> nn.Module:
    cls = nn.BatchNorm2d if len(spec.in_shape) == 3 else nn.BatchNorm1d  # (C, L) or (F,)
    return cls(spec.in_shape[0], affine=spec.get("affine"))


OpBuilder = Callable[[OpSpec], nn.Module]

OP_BUILDERS: dict[str, OpBuilder] = {
    "conv": _conv,
    "linear": _linear,
    "maxpool": _pool(nn.MaxPool2d),
    "avgpool": _pool(nn.AvgPool2d),
    "bn": _bn,
    "factorized_reduce": lambda spec: FactorizedReduce(spec.in_shape[0], spec.get("channels")),
    "identity": lambda spec: nn.Identity(),
    "zero": lambda spec: Zero(),
    "dropout": lambda spec: nn.Dropout(spec.get("p")),
    "flatten": lambda spec: nn.Flatten(1),
    "gap": lambda spec: nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1)),
    "vote": lambda spec: Vote(spec.get("group")),
}

GENETIC_BUILDERS: dict[str, OpBuilder] = {"conv": GeneticConv2d, "linear": GeneticLinear}


def fanout(spec: OpSpec) -> float:
    """Synaptic operations one nonzero input of ``spec`` triggers (for SOP counts).

    A convolution reaches ``C_out/groups · k² / stride²`` outputs per input on average,
    a dense map ``F_out``; other operations do no multiply-accumulate.
    """
    fn = OPS[spec.name].fanout
    return float(fn(spec)) if fn is not None else 0.0


def dense_macs(spec: OpSpec) -> float:
    """Multiply-accumulates of ``spec`` on a dense (non-spike) input, per sample and step."""
    fn = OPS[spec.name].macs
    return float(fn(spec)) if fn is not None else 0.0


class EdgeModule(nn.Module):
    """One connection: its chain of operations, then its sign.

    ``weighted`` is the index of the conv/linear in the chain (or -1); where its input
    is binary (spikes), the compiled network asks for the number of spikes it receives,
    for SOP statistics.
    """

    def __init__(self, ops: list[nn.Module], sign: str | None, genetic_index: int, weighted: int):
        super().__init__()
        self.ops = nn.ModuleList(ops)
        self.sign = sign
        self.genetic_index = genetic_index
        self.weighted = weighted

    def forward(self, x, weight=None, count: list | None = None):
        for i, op in enumerate(self.ops):
            if count is not None and i == self.weighted:
                # asked only where x is binary (spikes): its sum counts the nonzero inputs
                count.append(x.sum(dim=tuple(range(1, x.dim()))))
            x = op(x, weight) if i == self.genetic_index else op(x)
        if self.sign == "excitatory":
            return torch.relu(x)
        if self.sign == "inhibitory":
            return torch.clamp(x, max=0.0)
        return x

    def extra_repr(self):
        return f"sign={self.sign}" if self.sign else ""
