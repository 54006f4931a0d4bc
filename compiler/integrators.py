"""Neuron models without a reset: the integrators that report their potential (``LI``,
``I``) and the memoryless spike (``Threshold``).

* ``LI`` = Norse ``leaky_integrator_box`` (``tau_syn = 0``) or ``leaky_integrator``::

      v ← v + dt/τ_mem · (v_leak − v + x)       (with tau_syn: x enters a current i)

  starting at rest (``v = v_leak``); outputs ``v``.
* ``I`` = NIR's integrator: ``v ← v + x`` from ``v = 0``; outputs ``v``.
* ``Threshold`` = NIR's threshold: ``z = H(x − v_th)`` at every step, with a surrogate
  gradient; it keeps no state (its "membrane" is the input of the step).
"""

from __future__ import annotations

import torch
from torch import nn

from .neurons import NeuronModule
from .state import MembraneState, SynapticState


class LI(NeuronModule):
    """Leaky integrator: no spikes, outputs its membrane potential."""

    spiking = False
    model = "LI"

    def __init__(self, params, dt):
        nn.Module.__init__(self)
        self.dt = float(dt)
        self.tau_mem = float(params["tau_mem"])
        self.tau_syn = float(params.get("tau_syn", 0.0))
        self.v_leak = float(params.get("v_leak", 0.0))
        self.k_mem = self.dt / self.tau_mem
        self.k_syn = self.dt / self.tau_syn if self.tau_syn > 0 else 0.0

    def prepare(self, x, c):
        if self.tau_syn > 0:
            return x
        return self.k_mem * (x + self.v_leak) if self.v_leak else self.k_mem * x

    def rest(self, zeros):
        return zeros + self.v_leak if self.v_leak else zeros

    def initial(self, a):
        v = torch.full_like(a, self.v_leak)
        return SynapticState(v, torch.zeros_like(a)) if self.tau_syn > 0 else MembraneState(v)

    def step(self, a, state, c):
        if self.tau_syn > 0:
            v, i = state
            i = i + a
            v = v + self.k_mem * (self.v_leak + i - v)
            return v, SynapticState(v, i - self.k_syn * i)
        v = torch.add(a, state.v, alpha=1.0 - self.k_mem)
        return v, MembraneState(v)

    def extra_repr(self):
        syn = f", tau_syn={self.tau_syn:g}" if self.tau_syn > 0 else ""
        leak = f", v_leak={self.v_leak:g}" if self.v_leak else ""
        return f"tau_mem={self.tau_mem:g}{syn}{leak}, dt={self.dt:g}"


class I(NeuronModule):  # noqa: E742 - NIR's name for the integrator
    """Integrator: no leak, no spikes; outputs the sum of its inputs so far."""

    spiking = False
    model = "I"

    def __init__(self, params, dt):
        nn.Module.__init__(self)
        self.dt = float(dt)

    def initial(self, a):
        return MembraneState(torch.zeros_like(a))

    def step(self, a, state, c):
        v = state.v + a
        return v, MembraneState(v)

    def extra_repr(self):
        return f"dt={self.dt:g}"


class Threshold(NeuronModule):
    """A memoryless spike: ``z = H(x − v_th)`` at each step."""

    model = "Threshold"

    def initial(self, a):
        return MembraneState(torch.zeros_like(a))

    def step(self, a, state, c):
        return self.spike(a - self.v_th), MembraneState(a)

    def extra_repr(self):
        return f"v_th={float(self.v_th):g}, surrogate={self.surrogate}({self.alpha:g})"
