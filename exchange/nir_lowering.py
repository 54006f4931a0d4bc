"""How each operation and each neuron model becomes NIR nodes: the export tables.

``OP_EXPORTERS`` maps an operation name to a function of one :class:`Step` (the
operation, its torch module, the connection it belongs to) that returns its NIR nodes
as a :class:`Lowered`; ``OP_REASONS`` says, for each operation NIR cannot express, why.
``NEURON_EXPORTERS`` and ``NEURON_REASONS`` do the same for neuron models, and
``NEURON_LIMITS`` holds parameter settings a model's NIR node cannot carry. Every
operation and model of the language is in one table or the other
(``tests/test_registries.py``); a caller extends them like the compiler's builders.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


def np32(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)


def full(shape, value) -> np.ndarray:
    return np.full(tuple(shape), float(value), dtype=np.float32)


def nir_scale(shape, value):
    import nir

    return nir.Scale(scale=full(shape, value))


def flatten_node(shape):
    import nir

    return nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1)


def bn_affine(bn) -> tuple[torch.Tensor, torch.Tensor]:
    """Batch-norm in eval mode as ``x·scale + shift`` (per channel)."""
    var = bn.running_var if bn.running_var is not None else torch.ones(bn.num_features)
    mean = bn.running_mean if bn.running_mean is not None else torch.zeros(bn.num_features)
    scale = 1.0 / torch.sqrt(var + bn.eps)
    if bn.affine:
        scale = scale * bn.weight
        shift = bn.bias - mean * scale
    else:
        shift = -mean * scale
    return scale.detach(), shift.detach()


# ---------------------------------------------------------------- operations


@dataclass
class Step:
    """One operation of a connection, as the exporter meets it."""

    op: Any  # OpSpec
    module: torch.nn.Module  # its torch module
    edge: Any  # the connection's EdgeModule
    index: int  # position in the connection's chain
    next_op: Any | None  # the following OpSpec, if any
    genetic_weight: torch.Tensor | None  # the generated weight, where this op is encoded
    binary_in: bool = False  # the op's input holds only 0 and 1 (spikes)


@dataclass
class Lowered:
    nodes: list[tuple[str, Any]] = field(default_factory=list)  # (name suffix, NIR node)
    consumed: int = 1  # operations of the chain this covers (conv + bn: 2)


def _weight(step: Step) -> torch.Tensor:
    return step.genetic_weight if step.genetic_weight is not None else step.module.weight


def _conv(step: Step) -> Lowered:
    import nir

    op, i = step.op, step.index
    w = _weight(step).detach().clone()
    b = step.module.bias
    b = b.detach().clone() if b is not None else torch.zeros(w.shape[0])
    consumed = 1
    if step.next_op is not None and step.next_op.name == "bn":  # folded in (eval statistics)
        scale, shift = bn_affine(step.edge.ops[i + 1])
        w = w * scale.view(-1, *[1] * (w.dim() - 1))
        b = b * scale + shift
        consumed = 2
    k = op.get("kernel")
    pad = op.get("padding") if op.get("padding") is not None else op.get("dilation") * (k - 1) // 2
    two_d = len(op.in_shape) == 3
    node = (nir.Conv2d if two_d else nir.Conv1d)(
        input_shape=tuple(op.in_shape[1:]) if two_d else op.in_shape[1],
        weight=np32(w),
        stride=op.get("stride"),
        padding=pad,
        dilation=op.get("dilation"),
        groups=op.get("groups"),
        bias=np32(b),
    )
    return Lowered([(f"conv{i}", node)], consumed)


def _bn(step: Step) -> Lowered:
    import nir

    op = step.op
    scale, shift = bn_affine(step.module)
    if len(op.in_shape) == 3:
        c = op.in_shape[0]
        node = nir.Conv2d(
            input_shape=tuple(op.in_shape[1:]),
            weight=np32(scale.view(c, 1, 1, 1)),
            stride=1,
            padding=0,
            dilation=1,
            groups=c,
            bias=np32(shift),
        )
    elif len(op.in_shape) == 2:  # a (C, L) signal: a 1-wide Conv1d, diagonal (nir 1.0's
        c = op.in_shape[0]  # type inference ignores a Conv1d's groups)
        node = nir.Conv1d(
            input_shape=op.in_shape[1],
            weight=np32(torch.diag(scale).view(c, c, 1)),
            stride=1,
            padding=0,
            dilation=1,
            groups=1,
            bias=np32(shift),
        )
    else:
        node = nir.Affine(weight=np32(torch.diag(scale)), bias=np32(shift))
    return Lowered([(f"bn{step.index}", node)])


def _flattened(step: Step) -> list[tuple[str, Any]]:
    """A Flatten before a dense map of a multi-dimensional input."""
    shape = step.op.in_shape
    return [(f"flatten{step.index}", flatten_node(shape))] if len(shape) > 1 else []


def _linear(step: Step) -> Lowered:
    import nir

    w = _weight(step)
    b = step.module.bias if step.module.bias is not None else torch.zeros(w.shape[0])
    node = nir.Affine(weight=np32(w), bias=np32(b))
    return Lowered([*_flattened(step), (f"linear{step.index}", node)])


def _window(op) -> dict:
    """A pooling operation's square window as NIR's pooling nodes take it."""
    k = op.get("kernel")
    s = op.get("stride") if op.get("stride") is not None else k
    p = op.get("padding")
    return {
        "kernel_size": np.array([k, k]),
        "stride": np.array([s, s]),
        "padding": np.array([p, p]),
    }


def _avgpool(step: Step) -> Lowered:
    import nir

    return Lowered([(f"avgpool{step.index}", nir.AvgPool2d(**_window(step.op)))])


def _gap(step: Step) -> Lowered:
    """Global average pooling: an AvgPool2d over the whole map, then a Flatten (exact)."""
    import nir

    _, h, w = step.op.in_shape
    node = nir.AvgPool2d(
        kernel_size=np.array([h, w]), stride=np.array([h, w]), padding=np.array([0, 0])
    )
    flat = flatten_node((step.op.in_shape[0], 1, 1))
    return Lowered([(f"gap{step.index}", node), (f"gapflat{step.index}", flat)])


def _maxpool(step: Step) -> Lowered:
    """Max-pooling of spikes, exactly: NIR has no max-pool, but on 0/1 inputs the max
    over a window is 1 exactly when the window's sum is positive, so SumPool2d then
    Threshold(0.5) (the sums are whole numbers, so the threshold's H(0) convention does
    not matter). Zero padding equals max-pool's −∞ padding on inputs ≥ 0."""
    import nir

    if not step.binary_in:  # unsupported() refuses this before anything is built
        raise ValueError("max-pooling of non-spike values has no exact NIR lowering")
    pool = nir.SumPool2d(**_window(step.op))
    threshold = nir.Threshold(threshold=full(step.op.out_shape, 0.5))
    return Lowered([(f"maxpool{step.index}", pool), (f"maxpool{step.index}_any", threshold)])


def _vote(step: Step) -> Lowered:
    import nir

    op = step.op
    n_in, n_out = math.prod(op.in_shape), op.out_shape[0]
    w = np.kron(np.eye(n_out), np.full((1, n_in // n_out), n_out / n_in)).astype(np.float32)
    node = nir.Affine(weight=w, bias=np.zeros(n_out, np.float32))
    return Lowered([*_flattened(step), (f"vote{step.index}", node)])


def concat_embedding(part_shape, total_shape, offset: int):
    """One input of a concatenation as a NIR node: it places its channels (or features)
    at ``offset`` in the concatenated output and leaves the rest 0, so that the node
    after it, which sums its inputs, holds the concatenation exactly. A 1×1 ``Conv2d``
    for maps, an ``Affine`` for vectors."""
    import nir

    n_in, n_out = part_shape[0], total_shape[0]
    place = np.zeros((n_out, n_in), np.float32)
    place[offset : offset + n_in] = np.eye(n_in, dtype=np.float32)
    if len(part_shape) == 3:
        return nir.Conv2d(
            input_shape=tuple(part_shape[1:]),
            weight=place.reshape(n_out, n_in, 1, 1),
            stride=1,
            padding=0,
            dilation=1,
            groups=1,
            bias=np.zeros(n_out, np.float32),
        )
    return nir.Affine(weight=place, bias=np.zeros(n_out, np.float32))


OpExporter = Callable[[Step], Lowered]

OP_EXPORTERS: dict[str, OpExporter] = {
    "conv": _conv,
    "bn": _bn,
    "linear": _linear,
    "avgpool": _avgpool,
    "maxpool": _maxpool,
    "flatten": lambda step: Lowered([(f"flatten{step.index}", flatten_node(step.op.in_shape))]),
    "vote": _vote,
    "gap": _gap,
    # 0 · its input: every node keeps an input (nir adds an Input node before a node
    # without one), and the operations after it see zeros, as snarc computes
    "zero": lambda step: Lowered([(f"zero{step.index}", nir_scale(step.op.in_shape, 0.0))]),
    "identity": lambda step: Lowered(),  # an edge
    "dropout": lambda step: Lowered(),  # an edge (inference)
}
# operations exported only where their input is spikes: name -> why not otherwise
SPIKES_ONLY: dict[str, str] = {
    "maxpool": "NIR has no max-pooling; of spikes it is exact as SumPool2d + Threshold, "
    "but this one pools non-spike values",
}
OP_REASONS: dict[str, str] = {
    "shortcut": "a macro: elaboration turns it into identity or conv + bn",
    "delay": "no operation: it sets the connection's delay, written as a Delay of steps·dt",
    "factorized_reduce": "NIR has no crop (its second conv reads the input shifted by a pixel) "
    "and no channel concatenation inside a connection",
}


# ---------------------------------------------------------------- neurons


@dataclass
class NeuronStep:
    """One population as the exporter meets it."""

    spec: Any  # NeuronSpec
    shape: tuple
    module: Any  # its compiled neuron module (PLIF's learned tau), or None
    time_scale: float  # NIR time constants = snarc's × this
    program_dt: float

    def p(self, name: str, default=None):
        if name == "v_th" and self.module is not None and self.spec.get("learn_threshold"):
            return float(self.module.v_th.detach())  # the learned threshold, as trained
        return dict(self.spec.params).get(name, default)

    @property
    def dt(self) -> float:
        """The step length written to the NIR graph."""
        return self.program_dt * self.time_scale

    def values(self, name: str, default=0.0) -> np.ndarray:
        """A parameter as one value per neuron: a ``per_neuron`` population's buffer, or
        the program's value repeated (``gain``: the per-neuron input factor, else 1)."""
        held = getattr(self.module, "per_neuron", None)
        if held is not None and hasattr(held, name):
            return np32(getattr(held, name)).reshape(self.shape)
        return full(self.shape, self.p(name, default) if name != "gain" else 1.0)

    def meta(self) -> dict:
        return {
            "snarc_model": self.spec.model,
            "reset": "subtract" if self.p("reset") == "soft" else "value",
        }


def _lif(n: NeuronStep):
    import nir

    ts, gain = n.time_scale, n.values("gain", 1.0)
    common = {
        "v_leak": n.values("v_leak"),
        "v_threshold": n.values("v_th", 1.0),
        "v_reset": n.values("v_reset"),
        "metadata": n.meta(),
    }
    if not n.p("tau_syn"):
        return nir.LIF(tau=n.values("tau_mem") * ts, r=gain, **common)
    return nir.CubaLIF(
        tau_syn=n.values("tau_syn") * ts,
        tau_mem=n.values("tau_mem") * ts,
        r=full(n.shape, 1),
        w_in=gain * n.values("tau_syn") / n.program_dt,
        **common,
    )


def _leaky(n: NeuronStep):
    """snnTorch's Leaky as NIR's LIF (as snnTorch exports it): tau = dt/(1 − beta),
    r = 1/(1 − beta), so that NIR's Euler step is ``v ← beta·v + x``."""
    import nir

    k = 1.0 - n.p("beta")
    return nir.LIF(
        tau=full(n.shape, n.program_dt / k * n.time_scale),
        r=full(n.shape, 1.0 / k),
        v_leak=full(n.shape, 0.0),
        v_threshold=full(n.shape, n.p("v_th", 1.0)),
        v_reset=full(n.shape, n.p("v_reset", 0.0)),
        metadata=n.meta(),
    )


def _plif(n: NeuronStep):
    import nir

    tau = n.module.tau if n.module is not None else n.p("tau")
    v_reset = full(n.shape, n.p("v_reset", 0.0))
    return nir.LIF(
        tau=full(n.shape, tau * n.time_scale),
        r=full(n.shape, 1),
        v_leak=v_reset.copy(),
        v_threshold=full(n.shape, n.p("v_th", 1.0)),
        v_reset=v_reset,
        metadata=n.meta(),
    )


def _if(n: NeuronStep):
    """NIR's IF integrates dv/dt = R·I (one step adds dt·r·x); snarc's adds x: r = 1/dt."""
    import nir

    return nir.IF(
        r=n.values("gain", 1.0) / n.dt,
        v_threshold=n.values("v_th", 1.0),
        v_reset=n.values("v_reset"),
        metadata=n.meta(),
    )


def _li(n: NeuronStep):
    """LI, or CubaLI with a synaptic current (``w_in = tau_syn/dt``, as for CubaLIF)."""
    import nir

    ts, gain = n.time_scale, n.values("gain", 1.0)
    v_leak = n.values("v_leak")
    if not n.p("tau_syn"):
        return nir.LI(tau=n.values("tau_mem") * ts, r=gain, v_leak=v_leak, metadata=n.meta())
    return nir.CubaLI(
        tau_syn=n.values("tau_syn") * ts,
        tau_mem=n.values("tau_mem") * ts,
        r=full(n.shape, 1),
        v_leak=v_leak,
        w_in=gain * n.values("tau_syn") / n.program_dt,
        metadata=n.meta(),
    )


def _i(n: NeuronStep):
    """NIR's I integrates dv/dt = R·I (one step adds dt·r·x); snarc's adds x: r = 1/dt."""
    import nir

    return nir.I(r=n.values("gain", 1.0) / n.dt, metadata=n.meta())


def _threshold(n: NeuronStep):
    """``H(g·x − θ)`` is ``H(x − θ/g)`` for a gain ``g > 0`` (the only gain import makes)."""
    import nir

    gain = n.values("gain", 1.0)
    if np.any(gain <= 0):
        from .nir_export import NIRExportError

        raise NIRExportError(
            f"a Threshold population with a gain ≤ 0 has no NIR form ({n.spec.model})"
        )
    return nir.Threshold(threshold=n.values("v_th", 1.0) / gain, metadata=n.meta())


NEURON_EXPORTERS: dict[str, Callable[[NeuronStep], Any]] = {
    "LIF": _lif,
    "Leaky": _leaky,
    "PLIF": _plif,
    "IF": _if,
    "LI": _li,
    "I": _i,
    "Threshold": _threshold,
}
NEURON_REASONS: dict[str, str] = {
    "ALIF": "NIR has no ALIF neuron",
    "Izhikevich": "NIR has no Izhikevich neuron",
}


# settings of an exportable model that its NIR node cannot carry: spec -> reason or None
def _delayed_reset(spec) -> str | None:
    if spec.get("reset_delay") and spec.get("reset") == "soft":
        return "reset_delay (a soft reset of v_th/λ) has no NIR form"
    return None


NEURON_LIMITS: dict[str, Callable[[Any], str | None]] = {
    "LIF": _delayed_reset,
    "Leaky": _delayed_reset,
}
