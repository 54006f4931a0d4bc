"""Signatures of the built-in calls: synaptic operations (neuron models are in
:mod:`.neuron_models`).

Pure data and shape arithmetic, no torch: ``snarc check`` uses these to validate a
program, and the compiler uses the same tables to build modules, so the two can
never disagree about what ``conv(3, 16)`` means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

REQUIRED = object()


@dataclass(frozen=True)
class ArgDef:
    """One argument of a built-in call.

    ``type`` is ``int``, ``float``, ``bool``, ``symbol`` (one of ``choices``),
    ``name`` (any bare name) or ``surrogate`` (a call such as ``atan(2.0)``). ``check`` returns an error message
    for an out-of-range value, or None.
    """

    name: str
    type: str
    default: Any = REQUIRED
    choices: tuple[str, ...] = ()
    check: Callable[[Any], str | None] | None = None
    doc: str = ""


def positive(v):
    return None if v > 0 else "must be > 0"


def non_negative(v):
    return None if v >= 0 else "must be >= 0"


def at_least_one(v):
    return None if v >= 1 else "must be >= 1"


def probability(v):
    return None if 0 <= v < 1 else "must be in [0, 1)"


# ---------------------------------------------------------------- operations


class OpError(Exception):
    """Raised by shape functions; the elaborator adds the span."""

    def __init__(self, message: str, arg: str | None = None):
        super().__init__(message)
        self.arg = arg


@dataclass(frozen=True)
class OpDef:
    """What a synaptic operation *is*: every fact the front end and the backends need
    that does not depend on a backend (the builders live in the backends' tables)."""

    name: str
    signature: tuple[ArgDef, ...]
    doc: str
    shape: Callable | None = None  # (in_shape, args) -> out_shape; raises OpError
    params: Callable | None = None  # (in_shape, out_shape, args) -> parameter count
    weighted: bool = False  # a weight matrix (conv, linear): genetic encoding, SOPs/MACs
    binary_preserving: bool = False  # spikes in, spikes out (the next op still sees spikes)
    stochastic: bool = False  # differs between calls (dropout): never computed once for T
    pooling: bool = False  # pools its input: of spikes, counted in AutoSNN's spike count
    per_step: Callable | None = None  # OpSpec -> True: sees each time step's batch alone
    shown: bool = True  # named in drawings' labels (identity is not)
    expand: Callable | None = None  # a macro: (in_shape, args) -> [(op, args)], no op itself
    delay: Callable | None = None  # args -> steps: the connection reads that far back (no op)
    fanout: Callable | None = None  # OpSpec -> synaptic operations per nonzero input
    macs: Callable | None = None  # OpSpec -> MACs on a dense input, per sample and step

    def infer(self, shape: tuple[int, ...], a: dict) -> tuple[int, ...]:
        return self.shape(shape, a)

    def count(self, shape: tuple[int, ...], out: tuple[int, ...], a: dict) -> int:
        return self.params(shape, out, a) if self.params else 0


def _need_map(name, shape):
    if len(shape) != 3:
        raise OpError(f"needs a (channels, height, width) input, got shape {fmt_shape(shape)}")


def fmt_shape(shape) -> str:
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _out_size(size, k, s, p, d=1):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _conv_infer(shape, a):
    """``(C, H, W)`` → a 2-d convolution; ``(C, L)`` (a signal) → a 1-d one."""
    if len(shape) not in (2, 3):
        raise OpError(
            f"needs a (channels, height, width) map or a (channels, length) signal, got shape "
            f"{fmt_shape(shape)}"
        )
    c, spatial = shape[0], shape[1:]
    k, s, g, d = a["kernel"], a["stride"], a["groups"], a["dilation"]
    p = a["padding"] if a["padding"] is not None else d * (k - 1) // 2
    if c % g:
        raise OpError(f"input channels ({c}) are not divisible by groups ({g})", "groups")
    if a["channels"] % g:
        raise OpError(
            f"output channels ({a['channels']}) are not divisible by groups ({g})", "groups"
        )
    out = tuple(_out_size(n, k, s, p, d) for n in spatial)
    if min(out) < 1:
        size = "x".join(map(str, spatial))
        kernel = "x".join([str(k)] * len(spatial))
        raise OpError(
            f"a {kernel} kernel with stride {s} and padding {p} does not fit a {size} input",
            "kernel",
        )
    return (a["channels"], *out)


def _conv_count(shape, out, a):
    c = shape[0]
    n = a["channels"] * (c // a["groups"]) * a["kernel"] ** (len(shape) - 1)
    return n + (a["channels"] if a["bias"] else 0)


def _linear_infer(shape, a):
    return (a["features"],)


def _linear_count(shape, out, a):
    fan_in = 1
    for s in shape:
        fan_in *= s
    return a["features"] * fan_in + (a["features"] if a["bias"] else 0)


def _pool_infer(name):
    def infer(shape, a):
        _need_map(name, shape)
        c, h, w = shape
        k = a["kernel"]
        s = a["stride"] if a["stride"] is not None else k
        p = a["padding"]
        if p * 2 > k:
            raise OpError(f"padding ({p}) must be at most half the kernel ({k})", "padding")
        oh, ow = _out_size(h, k, s, p), _out_size(w, k, s, p)
        if oh < 1 or ow < 1:
            raise OpError(f"a {k}x{k} pooling window does not fit a {h}x{w} input", "kernel")
        return (c, oh, ow)

    return infer


def _same(shape, a):
    return tuple(shape)


def _bn_count(shape, out, a):
    return 2 * shape[0] if a["affine"] else 0


def _flatten(shape, a):
    n = 1
    for s in shape:
        n *= s
    return (n,)


def _gap_infer(shape, a):
    _need_map("gap", shape)
    return (shape[0],)


def _vote_infer(shape, a):
    (n,) = _flatten(shape, a)
    g = a["group"]
    if n % g:
        raise OpError(f"{n} features cannot be split into groups of {g}", "group")
    return (n // g,)


def _conv_fanout(spec) -> float:
    """A convolution reaches ``C_out/groups · k² / stride²`` outputs per input on average
    (``k / stride`` for a 1-d one)."""
    dims = len(spec.in_shape) - 1
    return (
        spec.out_shape[0]
        / spec.get("groups")
        * spec.get("kernel") ** dims
        / spec.get("stride") ** dims
    )


def _conv_macs(spec) -> float:
    dims = len(spec.in_shape) - 1
    n_out = 1
    for s in spec.out_shape:
        n_out *= s
    return n_out * spec.in_shape[0] / spec.get("groups") * spec.get("kernel") ** dims


def _fr_infer(shape, a):
    _need_map("factorized_reduce", shape)
    c = a["channels"]
    if c % 2:
        raise OpError(f"needs an even number of channels, got {c}", "channels")
    if shape[1] % 2 or shape[2] % 2:  # the shifted half would come out a row short
        raise OpError(f"needs an even height and width, got {fmt_shape(shape)}")
    return (c, shape[1] // 2, shape[2] // 2)


def _fr_count(shape, out, a):  # two 3×3 convs to C/2 each, no bias; BN's 2C
    return 2 * (shape[0] * (out[0] // 2) * 9) + 2 * out[0]


def _fr_macs(spec) -> float:
    return spec.out_shape[0] * spec.out_shape[1] * spec.out_shape[2] * spec.in_shape[0] * 9


def _linear_macs(spec) -> float:
    n = 1
    for s in spec.in_shape:
        n *= s
    return float(spec.out_shape[0] * n)


_BIAS = ArgDef("bias", "bool", False, doc="add a learnable bias (off by default, as in most SNNs)")
_POOL = (  # the arguments of both poolings
    ArgDef("kernel", "int", REQUIRED, check=at_least_one),
    ArgDef("stride", "int", None, check=at_least_one, doc="default: the kernel size"),
    ArgDef("padding", "int", 0, check=non_negative),
)


def shortcut_expansion(shape: tuple[int, ...], a: dict) -> list[tuple[str, dict]]:
    """What ``shortcut(c, stride)`` lowers to for an input of ``shape``."""
    if len(shape) == 3 and shape[0] == a["channels"] and a["stride"] == 1:
        return [("identity", {})]
    if len(shape) != 3:
        raise OpError(f"needs a (channels, height, width) input, got shape {fmt_shape(shape)}")
    return [
        (
            "conv",
            {
                "kernel": 1,
                "channels": a["channels"],
                "stride": a["stride"],
                "padding": 0,
                "groups": 1,
                "dilation": 1,
                "bias": False,
            },
        ),
        ("bn", {"affine": True, "per_step": a.get("per_step", False)}),
    ]


# ---------------------------------------------------------------- neuron models


OPS: dict[str, OpDef] = {
    op.name: op
    for op in [
        OpDef(
            "conv",
            (
                ArgDef("kernel", "int", REQUIRED, check=at_least_one, doc="kernel size k (k×k)"),
                ArgDef("channels", "int", REQUIRED, check=at_least_one, doc="output channels"),
                ArgDef("stride", "int", 1, check=at_least_one),
                ArgDef("padding", "int", None, check=non_negative, doc="default: 'same' (k//2)"),
                ArgDef("groups", "int", 1, check=at_least_one),
                ArgDef("dilation", "int", 1, check=at_least_one),
                _BIAS,
            ),
            "convolution: 2-d on a (C, H, W) map, 1-d on a (C, L) signal",
            shape=_conv_infer,
            params=_conv_count,
            weighted=True,
            fanout=_conv_fanout,
            macs=_conv_macs,
        ),
        OpDef(
            "linear",
            (ArgDef("features", "int", REQUIRED, check=at_least_one), _BIAS),
            "fully connected map; flattens its input",
            shape=_linear_infer,
            params=_linear_count,
            weighted=True,
            fanout=lambda spec: float(spec.out_shape[0]),
            macs=_linear_macs,
        ),
        OpDef(
            "maxpool",
            _POOL,
            "max pooling (of spikes: a spike if any input spiked)",
            shape=_pool_infer("maxpool"),
            binary_preserving=True,
            pooling=True,
        ),
        OpDef(
            "avgpool",
            _POOL,
            "average pooling",
            shape=_pool_infer("avgpool"),
            pooling=True,
        ),
        OpDef(
            "bn",
            (
                ArgDef("affine", "bool", True),
                ArgDef(
                    "per_step",
                    "bool",
                    False,
                    doc="statistics of each time step's batch (as a step-by-step loop computes "
                    "them: AutoSNN, SpikingJelly's single-step mode) instead of all steps' at once",
                ),
            ),
            "batch normalisation (per channel)",
            shape=_same,
            params=_bn_count,
            per_step=lambda spec: bool(spec.get("per_step")),
        ),
        OpDef(
            "identity",
            (),
            "passes its input on unchanged",
            shape=_same,
            binary_preserving=True,
            shown=False,
        ),
        OpDef("zero", (), "outputs zeros of the input's shape (a cut connection)", shape=_same),
        OpDef(
            "dropout",
            (ArgDef("p", "float", 0.5, check=probability),),
            "dropout while training",
            shape=_same,
            stochastic=True,
        ),
        OpDef("flatten", (), "(C, H, W) → (C·H·W,)", shape=_flatten, binary_preserving=True),
        OpDef(
            "gap",
            (),
            "global average pooling: (C, H, W) → (C,), each channel's mean over the map",
            shape=_gap_infer,
        ),
        OpDef(
            "vote",
            (ArgDef("group", "int", REQUIRED, check=at_least_one),),
            "voting layer: averages consecutive groups of features (AutoSNN's boost)",
            shape=_vote_infer,
        ),
        OpDef(
            "factorized_reduce",
            (
                ArgDef(
                    "channels", "int", REQUIRED, check=at_least_one, doc="output channels (even)"
                ),
            ),
            "DARTS's FactorizedReduce as MSE-NAS writes it: two 3×3 stride-2 convs to C/2, "
            "one on the input and one on it shifted by a pixel (x[..., 1:, 1:]), "
            "concatenated, then batch-norm; halves height and width",
            shape=_fr_infer,
            params=_fr_count,
            weighted=True,
            fanout=lambda spec: spec.out_shape[0] * 9 / 4,
            macs=_fr_macs,
        ),
        OpDef(
            "shortcut",
            (
                ArgDef("channels", "int", REQUIRED, check=at_least_one),
                ArgDef("stride", "int", 1, check=at_least_one),
                ArgDef("per_step", "bool", False, doc="the projection's bn(per_step: ...)"),
            ),
            "residual shortcut: identity when shapes match, else conv 1×1 (stride) + bn",
            expand=shortcut_expansion,
        ),
        OpDef(
            "delay",
            (ArgDef("steps", "int", REQUIRED, check=at_least_one),),
            "the connection reads its source `steps` steps back (NIR's Delay); on ~> and "
            "..> it replaces their one step; it computes nothing itself",
            expand=lambda shape, a: [],
            delay=lambda a: a["steps"],
        ),
    ]
}


# `genetic(...)` on a connection: its weight is W = X_post · O · X_preᵀ
GENETIC_SIGNATURE = (
    ArgDef("rank", "int", REQUIRED, check=at_least_one, doc="genes per neuron (the rank of O)"),
    ArgDef("pool", "name", None, doc="a gene pool that connections naming it share"),
)

MERGES = ("sum", "concat")
EDGE_KINDS = {"->": "forward", "=>": "residual", "~>": "feedback", "..>": "lateral"}
INPUT_KINDS = {"image": (3,), "frames": (3, 2), "vector": (1,)}  # ranks per sample
ENCODINGS = {"image": ("direct", "rate"), "frames": ("events",), "vector": ("direct", "rate")}
READOUT_MODES = ("mean", "sum", "max", "last")
