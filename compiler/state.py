"""Neuron state and per-sequence coefficients as named tuples, as Norse names them
(``LIFFeedForwardState(v, i)``): a step function takes and returns these, never a
hidden state, and code reads ``state.v`` rather than ``state[0]``. They are tuples, so
unpacking and ``torch.compile`` work as before."""

from __future__ import annotations

from typing import NamedTuple

import torch


class MembraneState(NamedTuple):
    """LIF without a synaptic current, IF, PLIF, LI without a synaptic current."""

    v: torch.Tensor  # membrane potential


class SynapticState(NamedTuple):
    """LIF and LI with a synaptic current (Norse's ``LIFFeedForwardState``)."""

    v: torch.Tensor  # membrane potential
    i: torch.Tensor  # synaptic current


class AdaptiveState(NamedTuple):
    """ALIF without a synaptic current."""

    v: torch.Tensor
    b: torch.Tensor  # threshold adaptation


class AdaptiveSynapticState(NamedTuple):
    """ALIF with a synaptic current."""

    v: torch.Tensor
    i: torch.Tensor
    b: torch.Tensor


class IzhikevichState(NamedTuple):
    v: torch.Tensor  # membrane potential (mV)
    u: torch.Tensor  # recovery variable


class DecayCoefficients(NamedTuple):
    """PLIF's learned coefficients for one sequence: input gain ``k = dt/τ`` and decay
    ``1 − k``."""

    k: torch.Tensor
    decay: torch.Tensor


class NetworkState(NamedTuple):
    """What a compiled network carries from one call to the next when it streams
    (:meth:`~snarc.compiler.network.CompiledNetwork.stream`, ``.step``): every
    population's neuron state after the last step, the last output of every node that
    a delayed (feedback or lateral) connection reads, and the steps run so far."""

    neurons: dict  # node -> its neuron state (MembraneState, SynapticState, ...)
    last: dict  # node -> its output at the last step, [B, *shape]
    steps: int
