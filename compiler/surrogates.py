"""Surrogate gradients for the spike threshold.

Forward, every surrogate is Norse's Heaviside step: a spike where ``x > 0``. Backward,
it uses a smooth stand-in for the step's derivative. ``triangle``, ``tanh``, ``circ``
and ``erfc`` are Norse's (``norse.torch.functional.threshold``: the same derivatives,
tested equal to Norse's backward); ``atan`` is SpikingJelly's ``ATan`` (used by AutoSNN
and most PLIF networks) and ``sigmoid`` the derivative of a logistic, which Norse does
not have; ``superspike`` keeps its sharpness α, which Norse 1.1's drops.

snarc implements all of them itself, on one pattern: the forward writes the spikes
straight into a float tensor (one kernel; Norse's ``gt(...).to(dtype)`` takes two, and
bool tensors are slow on the CPU), and the backward is ``grad · d(x, α)`` with the
derivative ``d`` from :data:`SURROGATE_GRADS`, which the fused multi-step kernels in
``compiler/neurons.py`` use as well.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


def heaviside(x: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    """``1.0`` where ``x > threshold``, else ``0.0``, in ``x``'s dtype (one kernel)."""
    return torch.gt(x, threshold, out=torch.empty_like(x))


# Derivatives of the surrogates, ``d(x, α)``. Each allocates its result with its first
# operation and works in place after that; ``x`` is never modified.
def _d_atan(x, a):
    """SpikingJelly's ATan: ``α/2 / (1 + (π/2 · α · x)²)``."""
    return (x * (math.pi / 2 * a)).square_().add_(1.0).reciprocal_().mul_(a / 2)


def _d_sigmoid(x, a):
    """The derivative of ``sigmoid(α · x)``."""
    s = torch.sigmoid(a * x)
    return s.mul_(1 - s).mul_(a)


def _d_superspike(x, a):
    """Zenke & Ganguli 2018: ``1 / (α·|x| + 1)²``."""
    return (x.abs() * a).add_(1.0).square_().reciprocal_()


def _d_triangle(x, a):
    """Norse's triangle (Esser et al. 2016, Bellec et al. 2020): ``α · max(0, 1 − |x|)``."""
    return torch.relu(1 - x.abs()).mul_(a)


def _d_tanh(x, a):
    """Norse's ``tanh``: ``1 − tanh(α · x)²``."""
    return (x * a).tanh_().square_().neg_().add_(1.0)


def _d_circ(x, a):
    """Norse's ``circ``: the derivative of ``x / √(x² + α²)`` times α, ``α³ / (x² + α²)^{3/2}``."""
    return x.square().add_(a * a).pow_(-1.5).mul_(a**3)


def _d_erfc(x, a):
    """Norse's ``heavi_erfc``: ``2 · exp(−(α · x)²) / √π``."""
    return (x * a).square_().neg_().exp_().mul_(2.0 / math.sqrt(math.pi))


SURROGATE_GRADS: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    "atan": _d_atan,
    "sigmoid": _d_sigmoid,
    "superspike": _d_superspike,
    "triangle": _d_triangle,
    "tanh": _d_tanh,
    "circ": _d_circ,
    "erfc": _d_erfc,
}


class Spike(torch.autograd.Function):
    """Heaviside forward, ``grad · d(x, α)`` backward, for the derivative ``d`` given."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, alpha: float, derivative) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        ctx.derivative = derivative
        return heaviside(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (x,) = ctx.saved_tensors
        return ctx.derivative(x, ctx.alpha).mul_(grad), None, None


class SpikeFunction:
    """``spike(x, α)``: the Heaviside step with the surrogate derivative of ``name``.
    A class rather than a closure, so that a compiled network pickles."""

    def __init__(self, name: str, derivative):
        self.name = name
        self.derivative = derivative
        self.__doc__ = derivative.__doc__

    def __call__(self, x: torch.Tensor, alpha: float) -> torch.Tensor:
        return Spike.apply(x, alpha, self.derivative)

    def __repr__(self) -> str:
        return f"spike_{self.name}"


SURROGATES: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    name: SpikeFunction(name, d) for name, d in SURROGATE_GRADS.items()
}

# snarc's surrogate names and Norse's, for the oracle tests and NIR export.
NORSE_METHOD = {
    "superspike": "super",
    "triangle": "triangle",
    "tanh": "tanh",
    "circ": "circ",
    "erfc": "heavi_erfc",
}
