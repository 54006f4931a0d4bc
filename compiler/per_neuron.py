"""Populations whose parameters differ between neurons (``per_neuron: true``).

A homogeneous population holds its parameters as numbers; one written with
``per_neuron: true`` holds each numeric parameter as a buffer of the population's
shape (``neurons.<name>.per_neuron.<parameter>`` in the state dict), initialised to
the value the program writes and set by a checkpoint or by ``snarc import`` (NIR
graphs carry one value per neuron). It also holds ``gain``, a per-neuron input factor
(NIR's ``r``, which a homogeneous population folds into its incoming weights). The
buffers are not trained. The dynamics are those of the homogeneous models
(:mod:`.neurons`, :mod:`.integrators`), written with tensors:

* ``LIF``: ``v ← v + dt/τ_mem·(v_leak − v + g·x)`` (with ``tau_syn``: ``g·x`` enters a
  current that decays with ``τ_syn``), spike above ``v_th``, reset hard to ``v_reset``
  or soft by ``v_th`` (``v_th/λ`` with ``reset_delay``);
* ``IF``: ``v ← v + g·x``; ``LI``: as LIF without spikes; ``I``: ``v ← v + g·x``;
* ``Threshold``: ``z = H(g·x − v_th)``.
"""

from __future__ import annotations

import torch
from torch import nn

from .neurons import NeuronModule
from .state import MembraneState, SynapticState


class PerNeuronValues(nn.Module):
    """The per-neuron buffers of one population, named as the language names them."""

    def __init__(self, values: dict[str, float], shape: tuple[int, ...]):
        super().__init__()
        for name, value in values.items():
            self.register_buffer(name, torch.full(tuple(shape), float(value)))

    def extra_repr(self) -> str:
        return ", ".join(f"{n}{list(b.shape)}" for n, b in self.named_buffers())


class _PerNeuron(NeuronModule):
    """Shared parts: the buffers, the input gain, the spike and the reset."""

    fusable = False
    names: tuple[str, ...] = ()  # the model's numeric parameters held per neuron

    def __init__(self, params, dt, shape):
        super().__init__(params, dt)
        values = {n: params.get(n, 0.0) for n in self.names}
        self.per_neuron = PerNeuronValues({**values, "gain": 1.0}, shape)
        self.delayed_reset = bool(params.get("reset_delay")) and self.soft

    @property
    def v_th(self):
        return self.per_neuron.v_th

    def prepare(self, x, c):
        return self.per_neuron.gain * x

    def initial(self, a):
        return MembraneState(torch.zeros_like(a))

    def fire_and_reset(self, v, decay=None):
        p = self.per_neuron
        z = self.spike(v - p.v_th)
        zr = z.detach() if self.detach_reset else z
        if self.soft:
            amount = p.v_th / decay if self.delayed_reset and decay is not None else p.v_th
            return z, v - zr * amount
        return z, v - zr * (v - p.v_reset)

    def extra_repr(self):
        reset = "soft" if self.soft else "hard"
        return (
            f"per neuron, reset={reset}, surrogate={self.surrogate}({self.alpha:g}), dt={self.dt:g}"
        )


class _Leaky(_PerNeuron):
    """LIF's and LI's membrane (and synaptic current), with tensors."""

    def __init__(self, params, dt, shape):
        super().__init__(params, dt, shape)
        self.synaptic = float(params.get("tau_syn", 0.0)) > 0

    def coefficients(self):
        p = self.per_neuron
        k_syn = self.dt / p.tau_syn if self.synaptic else None
        return self.dt / p.tau_mem, k_syn

    def prepare(self, x, c):
        p = self.per_neuron
        return p.gain * x if self.synaptic else c[0] * (p.gain * x + p.v_leak)

    def initial(self, a):
        v = self.per_neuron.v_leak.expand_as(a).clone()
        return SynapticState(v, torch.zeros_like(a)) if self.synaptic else MembraneState(v)

    def integrate(self, a, state, c):
        """``(v, i)`` after one step (``i`` None without a synaptic current)."""
        k, k_syn = c
        if self.synaptic:
            v, i = state
            i = i + a
            return v + k * ((self.per_neuron.v_leak - v) + i), i
        return a + (1.0 - k) * state.v, None

    @staticmethod
    def state(v, i, k_syn):
        return MembraneState(v) if i is None else SynapticState(v, i - k_syn * i)


class PerNeuronLIF(_Leaky):
    model = "LIF"
    names = ("tau_mem", "tau_syn", "v_leak", "v_th", "v_reset")

    def step(self, a, state, c):
        v, i = self.integrate(a, state, c)
        z, v = self.fire_and_reset(v, 1.0 - c[0])
        return z, self.state(v, i, c[1])


class PerNeuronIF(_PerNeuron):
    model = "IF"
    names = ("v_th", "v_reset")

    def step(self, a, state, c):
        z, v = self.fire_and_reset(state.v + a)
        return z, MembraneState(v)


class PerNeuronLI(_Leaky):
    spiking = False
    model = "LI"
    names = ("tau_mem", "tau_syn", "v_leak")

    def rest(self, zeros):
        return zeros + self.per_neuron.v_leak

    def step(self, a, state, c):
        v, i = self.integrate(a, state, c)
        return v, self.state(v, i, c[1])


class PerNeuronI(_PerNeuron):
    spiking = False
    model = "I"

    def step(self, a, state, c):
        v = state.v + a
        return v, MembraneState(v)


class PerNeuronThreshold(_PerNeuron):
    model = "Threshold"
    names = ("v_th",)

    def step(self, a, state, c):
        return self.spike(a - self.per_neuron.v_th), MembraneState(a)


PER_NEURON_BUILDERS: dict[str, type[_PerNeuron]] = {
    cls.model: cls
    for cls in (PerNeuronLIF, PerNeuronIF, PerNeuronLI, PerNeuronI, PerNeuronThreshold)
}
