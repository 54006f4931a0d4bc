"""Neuron populations: Norse's equations, run multi-step or one step at a time.

Every model follows Norse's explicit-Euler update of the same name (the oracle
tests in ``tests/test_compiler_oracles.py`` run Norse's own cells beside these),
with time constants in units of the step ``dt`` (Norse: ``dt · tau_inv``):

* ``LIF`` without synaptic current = Norse ``lif_box``::

      v ← v + dt/τ_mem · (v_leak − v + x);  z = Θ(v − v_th);  reset

  with ``tau_syn > 0`` = Norse ``lif`` (current-based: the input jumps into a
  current ``i``, which drives ``v`` and then decays with ``τ_syn``).
* ``IF`` = Norse ``iaf``: ``v ← v + x``.
* ``PLIF`` = SpikingJelly's ParametricLIF (decay_input): ``v ← v + k · (x − (v − v_reset))``
  with ``k = sigmoid(w)``, ``w`` learned, initialised so that ``k = dt/τ``.
* ``ALIF`` = Norse ``lsnn``: a threshold ``b`` that relaxes to ``v_th`` with ``τ_adapt``
  and jumps by ``β`` at each spike; with ``tau_syn > 0`` the input enters the current
  after the voltage update (it drives ``v`` from the next step), as in Norse.
* ``Izhikevich`` = Norse ``izhikevich`` with ``dt`` in ms.
* ``LI``, ``I`` and ``Threshold`` (no reset): in :mod:`.integrators`.

Reset: hard ``v ← v − z · (v − v_reset)`` (= Norse's ``(1 − z) v + z v_reset``) or soft
``v ← v − z · v_th``; with ``detach_reset`` the reset carries no gradient.

A module exposes the pieces the compiled network schedules separately:
``coefficients()`` once per sequence, ``prepare(x, c)`` on the whole input sequence at
once (elementwise work hoisted out of the time loop), then ``initial(a)`` and
``step(a_t, state, c)`` per step. ``forward(x)`` runs them over a ``[T, ...]`` input.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .state import (
    AdaptiveState,
    AdaptiveSynapticState,
    DecayCoefficients,
    IzhikevichState,
    MembraneState,
    SynapticState,
)
from .surrogates import SURROGATE_GRADS, SURROGATES, heaviside


class NeuronModule(nn.Module):
    """Base class: a population of one neuron model; state is never hidden."""

    spiking = True
    model = "?"

    def __init__(self, params: dict[str, Any], dt: float):
        super().__init__()
        self.dt = float(dt)
        self.learn_threshold = bool(params.get("learn_threshold", False))
        if self.learn_threshold:  # one learned threshold per population
            self.threshold = nn.Parameter(torch.tensor(float(params.get("v_th", 1.0))))
        else:
            self._v_th = float(params.get("v_th", 1.0))
        self.v_reset = float(params.get("v_reset", 0.0))
        self.soft = params.get("reset", "hard") == "soft"
        self.detach_reset = bool(params.get("detach_reset", False))
        # a soft reset subtracts soft_scale·v_th (1/λ for reset_delay: see dsl.neuron_models)
        self.soft_scale = 1.0
        name, alpha = params.get("surrogate", ("atan", 2.0))
        self.surrogate = name
        self.alpha = float(alpha)
        self._spike = SURROGATES[name]

    @property
    def v_th(self):
        """The threshold: a float, or the population's learned parameter."""
        return self.threshold if self.learn_threshold else self._v_th

    def spike(self, x: torch.Tensor) -> torch.Tensor:
        return self._spike(x, self.alpha)

    def reset(self, v: torch.Tensor, z: torch.Tensor, th=None) -> torch.Tensor:
        zr = z.detach() if self.detach_reset else z
        if self.soft:
            if th is None:
                if self.learn_threshold:
                    return v - zr * (self.v_th * self.soft_scale)
                return torch.add(v, zr, alpha=-self.v_th * self.soft_scale)
            return torch.addcmul(v, zr, th, value=-1.0)
        if self.v_reset == 0.0:
            return torch.addcmul(v, zr, v, value=-1.0)
        return torch.addcmul(v, zr, v - self.v_reset, value=-1.0)

    def _delay_reset(self, params, decay: float) -> None:
        """snnTorch's reset_delay: the soft reset's subtraction of v_th enters the next
        step, after the decay ``λ``; the same as subtracting ``v_th/λ`` at once."""
        if self.soft and params.get("reset_delay", False):
            self.soft_scale = 1.0 / decay
            self.fusable = False  # the fused kernel subtracts v_th

    # ---- the protocol the compiled network uses
    def coefficients(self) -> tuple:
        return ()

    def prepare(self, x: torch.Tensor, c: tuple) -> torch.Tensor:
        return x

    def initial(self, a: torch.Tensor) -> tuple:
        raise NotImplementedError

    def rest(self, zeros: torch.Tensor) -> torch.Tensor:
        """The output before the first step: no spikes (an integrator: its resting
        potential)."""
        return zeros

    def step(self, a: torch.Tensor, state: tuple, c: tuple):
        raise NotImplementedError

    fusable = False  # the model can run as FusedBoxSteps
    fused = False  # ... and is asked to (snarc.compile sets it: fused_neurons, default on)

    def fused_decay(self, c: tuple):
        """(decay λ, initial potential) of the box dynamics ``v ← a + λ·v``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, state: tuple | None = None):
        """``x``: ``[T, ...]`` input currents → (``[T, ...]`` outputs, final state)."""
        c = self.coefficients()
        if (
            self.fused
            and self.fusable
            and not self.learn_threshold  # the fused kernel takes a constant threshold
            and state is None
            and self.surrogate in SURROGATE_GRADS
        ):
            decay, v0 = self.fused_decay(c)
            z, v = FusedBoxSteps.apply(self.prepare(x, c), decay, self, v0)
            return z, MembraneState(v)
        steps = self.prepare(x, c).unbind(0)  # one UnbindBackward, not T SelectBackwards
        if state is None:
            state = self.initial(steps[0])
        outs = []
        for a in steps:
            z, state = self.step(a, state, c)
            outs.append(z)
        return torch.stack(outs), state

    def trace(self, x: torch.Tensor, state: tuple | None = None):
        """As :meth:`forward`, step by step, also returning the membrane potential after
        every step (after the reset): (``[T, ...]`` outputs, final state, ``[T, ...]`` v)."""
        c = self.coefficients()
        steps = self.prepare(x, c).unbind(0)
        if state is None:
            state = self.initial(steps[0])
        outs, vs = [], []
        for a in steps:
            z, state = self.step(a, state, c)
            outs.append(z)
            vs.append(state.v)
        return torch.stack(outs), state, torch.stack(vs)

    def extra_repr(self) -> str:
        reset = "soft" if self.soft else f"hard to {self.v_reset:g}"
        detach = ", detached" if self.detach_reset else ""
        learned = " (learned)" if self.learn_threshold else ""
        return f"v_th={float(self.v_th):g}{learned}, reset={reset}{detach}, surrogate={self.surrogate}({self.alpha:g}), dt={self.dt:g}"


class FusedBoxSteps(torch.autograd.Function):
    """``h = a_t + λ·v``, ``z = Θ(h − θ)``, ``v = reset(h, z)`` — all T steps in one autograd node.

    Forward runs the loop without building a graph, three kernels a step, writing the
    pre-reset potentials ``h`` and the spikes straight into ``[T, …]`` tensors; only
    ``h`` is kept for backward. Backward computes the surrogate derivatives, the reset
    derivatives ``∂v/∂h`` and the decay for all steps at once, then runs
    backpropagation through time by hand with one kernel a step::

        ∂L/∂h_t = ∂L/∂z_t · σ'(h_t − θ) + λ · ∂L/∂h_{t+1} · ∂v_t/∂h_t

    The derivatives are those autograd takes through :meth:`NeuronModule.step` (tested
    equal). Used by LIF without a synaptic current, PLIF and IF on no cycle.
    """

    @staticmethod
    def forward(ctx, a, decay, neuron, v0: float):
        lam = decay.detach() if torch.is_tensor(decay) else decay
        th = neuron.v_th
        h = torch.empty_like(a)
        z = torch.empty_like(a)
        v = torch.full_like(a[0], v0) if v0 else torch.zeros_like(a[0])
        for a_t, h_t, z_t in zip(a.unbind(0), h.unbind(0), z.unbind(0), strict=True):
            if torch.is_tensor(lam):
                torch.addcmul(a_t, v, lam, out=h_t)
            else:
                torch.add(a_t, v, alpha=lam, out=h_t)
            torch.gt(h_t, th, out=z_t)
            _reset_value(neuron, h_t, z_t, out=v)
        ctx.neuron = neuron
        ctx.v0 = v0
        ctx.lam = None if torch.is_tensor(decay) else decay
        ctx.save_for_backward(h, *([decay] if torch.is_tensor(decay) else []))
        return z, v

    @staticmethod
    def backward(ctx, grad_z, grad_v_last):
        # Few full-size temporaries: on the CPU a fresh large tensor costs more (page
        # faults) than the arithmetic on it.
        n = ctx.neuron
        h, *decay = ctx.saved_tensors
        lam = decay[0].detach() if decay else ctx.lam
        x = h - n.v_th
        grad = SURROGATE_GRADS[n.surrogate](x, n.alpha)  # σ'(h − θ), becomes ∂L/∂h
        # ∂v/∂h of the reset, for all steps (None: 1 everywhere), in x's memory
        if n.soft:
            dvdh = None if n.detach_reset else x.copy_(grad).mul_(-n.v_th).add_(1.0)
        elif n.detach_reset:
            dvdh = x.le_(0.0)  # 1 − z
        else:  # v = h − z·(h − v_reset):  1 − z − (h − v_reset)·σ'
            hv = (h - n.v_reset).mul_(grad) if n.v_reset else torch.mul(h, grad)
            dvdh = hv.neg_().sub_(x.gt_(0.0)).add_(1.0)
        v_prev = None
        if decay and ctx.needs_input_grad[1]:  # ∂h_t/∂λ = v_{t−1}
            v_prev = _reset_value(n, h[:-1], heaviside(h[:-1], n.v_th))
        if grad_z is not None:
            grad.mul_(grad_z)
        else:
            grad.zero_()
        T = h.shape[0]
        steps = grad.unbind(0)
        if grad_v_last is not None:
            if dvdh is None:
                steps[T - 1].add_(grad_v_last)
            else:
                steps[T - 1].addcmul_(grad_v_last, dvdh[T - 1])
        # λ · ∂v_t/∂h_t carries ∂L/∂h_{t+1} back to step t
        carry = lam if dvdh is None else dvdh.mul_(lam)
        for t in range(T - 2, -1, -1):
            if dvdh is not None:
                steps[t].addcmul_(steps[t + 1], carry[t])
            elif torch.is_tensor(carry):
                steps[t].addcmul_(steps[t + 1], carry)
            else:
                steps[t].add_(steps[t + 1], alpha=carry)
        g_decay = None
        if v_prev is not None:
            g_decay = v_prev.mul_(grad[1:]).sum()
            if ctx.v0:
                g_decay = g_decay + grad[0].sum() * ctx.v0
        return grad, g_decay, None, None


def _reset_value(n, h, z, out=None):
    """The potential after the reset, ``z`` the float spikes (no autograd: fused kernels)."""
    if n.soft:
        return torch.add(h, z, alpha=-n.v_th, out=out)
    if n.v_reset == 0.0:
        return torch.addcmul(h, z, h, value=-1.0, out=out)
    return torch.addcmul(h, z, h - n.v_reset, value=-1.0, out=out)


class LIF(NeuronModule):
    model = "LIF"

    def __init__(self, params, dt):
        super().__init__(params, dt)
        self.tau_mem = float(params["tau_mem"])
        self.tau_syn = float(params.get("tau_syn", 0.0))
        self.v_leak = float(params.get("v_leak", 0.0))
        self.k_mem = self.dt / self.tau_mem
        self.k_syn = self.dt / self.tau_syn if self.tau_syn > 0 else 0.0
        self.fusable = self.tau_syn == 0
        self._delay_reset(params, 1.0 - self.k_mem)

    def fused_decay(self, c):
        return 1.0 - self.k_mem, self.v_leak

    def prepare(self, x, c):
        if self.tau_syn > 0:
            return x
        return self.k_mem * (x + self.v_leak) if self.v_leak else self.k_mem * x

    def initial(self, a):
        v = torch.full_like(a, self.v_leak)
        return SynapticState(v, torch.zeros_like(a)) if self.tau_syn > 0 else MembraneState(v)

    def step(self, a, state, c):
        if self.tau_syn > 0:
            v, i = state
            i = i + a  # the input jumps into the current, which drives v at once
            v = v + self.k_mem * ((self.v_leak - v) + i)
            z = self.spike(v - self.v_th)
            return z, SynapticState(self.reset(v, z), i - self.k_syn * i)
        (v,) = state
        v = torch.add(a, v, alpha=1.0 - self.k_mem)
        z = self.spike(v - self.v_th)
        return z, MembraneState(self.reset(v, z))

    def extra_repr(self):
        syn = f", tau_syn={self.tau_syn:g}" if self.tau_syn > 0 else ""
        return f"tau_mem={self.tau_mem:g}{syn}, " + super().extra_repr()


class Leaky(NeuronModule):
    """snnTorch's ``Leaky``: ``v ← β·v + x`` with the input unscaled, a spike above
    ``v_th``, the reset in the same step (soft by default; ``reset_delay`` as snnTorch's)."""

    model = "Leaky"
    fusable = True

    def __init__(self, params, dt):
        super().__init__(params, dt)
        self.beta = float(params["beta"])
        self._delay_reset(params, self.beta)

    def fused_decay(self, c):
        return self.beta, 0.0

    def initial(self, a):
        return MembraneState(torch.zeros_like(a))

    def step(self, a, state, c):
        v = torch.add(a, state.v, alpha=self.beta)
        z = self.spike(v - self.v_th)
        return z, MembraneState(self.reset(v, z))

    def extra_repr(self):
        return f"beta={self.beta:g}, " + super().extra_repr()


class IF(NeuronModule):
    model = "IF"
    fusable = True

    def fused_decay(self, c):
        return 1.0, 0.0

    def initial(self, a):
        return MembraneState(torch.zeros_like(a))

    def step(self, a, state, c):
        v = state.v + a
        z = self.spike(v - self.v_th)
        return z, MembraneState(self.reset(v, z))


class PLIF(NeuronModule):
    """Parametric LIF: one learnable time constant per population (Fang et al. 2021)."""

    model = "PLIF"
    fusable = True

    def fused_decay(self, c):
        return c.decay, self.v_reset

    def __init__(self, params, dt):
        super().__init__(params, dt)
        tau = float(params["tau"])
        # sigmoid(w) = dt / tau  (SpikingJelly: w = -log(tau - 1) for dt = 1)
        self.w = nn.Parameter(torch.tensor(-math.log(tau / self.dt - 1.0)))

    @property
    def tau(self) -> float:
        return self.dt / torch.sigmoid(self.w.detach()).item()

    def coefficients(self):
        k = torch.sigmoid(self.w)
        return DecayCoefficients(k, 1.0 - k)

    def prepare(self, x, c):
        k = c.k
        return k * (x + self.v_reset) if self.v_reset else k * x

    def initial(self, a):
        return MembraneState(torch.full_like(a, self.v_reset))

    def step(self, a, state, c):
        v = torch.addcmul(a, state.v, c.decay)
        z = self.spike(v - self.v_th)
        return z, MembraneState(self.reset(v, z))

    def extra_repr(self):
        return f"tau={self.tau:.4g} (learned), " + super().extra_repr()


class ALIF(NeuronModule):
    """Adaptive LIF (Norse's LSNN): threshold b relaxes to v_th, jumps by beta per spike."""

    model = "ALIF"

    def __init__(self, params, dt):
        super().__init__(params, dt)
        self.tau_mem = float(params["tau_mem"])
        self.tau_adapt = float(params["tau_adapt"])
        self.beta = float(params["beta"])
        self.tau_syn = float(params.get("tau_syn", 0.0))
        self.v_leak = float(params.get("v_leak", 0.0))
        self.k_mem = self.dt / self.tau_mem
        self.k_adapt = self.dt / self.tau_adapt
        self.k_syn = self.dt / self.tau_syn if self.tau_syn > 0 else 0.0

    prepare = LIF.prepare  # the same leaky input stage

    def initial(self, a):
        v = torch.full_like(a, self.v_leak)
        b = torch.zeros_like(a) + self.v_th
        return (
            AdaptiveSynapticState(v, torch.zeros_like(a), b)
            if self.tau_syn > 0
            else AdaptiveState(v, b)
        )

    def step(self, a, state, c):
        if self.tau_syn > 0:
            v, i, b = state
            v = v + self.k_mem * ((self.v_leak - v) + i)
            i = i - self.k_syn * i
        else:
            v, b = state
            v = torch.add(a, v, alpha=1.0 - self.k_mem)
        b = b + self.k_adapt * (self.v_th - b)
        z = self.spike(v - b)
        v = self.reset(v, z, th=b)
        b = b + z * self.beta
        if self.tau_syn > 0:
            return z, AdaptiveSynapticState(v, i + a, b)
        return z, AdaptiveState(v, b)

    def extra_repr(self):
        return (
            f"tau_mem={self.tau_mem:g}, tau_adapt={self.tau_adapt:g}, beta={self.beta:g}, "
            + super().extra_repr()
        )


class Izhikevich(NeuronModule):
    """Izhikevich (2003) with Norse's constants (0.04 v² + 5 v + 140); dt in ms."""

    model = "Izhikevich"

    def __init__(self, params, dt):
        params = dict(params)
        params.setdefault("reset", "hard")
        super().__init__(params, dt)
        self.a, self.b, self.c, self.d = (float(params[k]) for k in "abcd")

    def initial(self, a):
        v = torch.full_like(a, self.c)
        return IzhikevichState(v, self.b * v)

    def step(self, x, state, c):
        v, u = state
        v_new = v + self.dt * (0.04 * v * v + 5.0 * v + 140.0 - u + x)
        u = u + self.dt * self.a * (self.b * v - u)
        z = self.spike(v_new - self.v_th)
        zr = z.detach() if self.detach_reset else z
        v_new = v_new - zr * (v_new - self.c)
        return z, IzhikevichState(v_new, u + zr * self.d)

    def extra_repr(self):
        return f"a={self.a:g}, b={self.b:g}, c={self.c:g}, d={self.d:g}, " + super().extra_repr()
