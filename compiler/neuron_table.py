"""The torch module of each neuron model (``NEURON_BUILDERS``): a table a caller can
extend or override (``snarc.compile(..., neurons={...})``)."""

from __future__ import annotations

from .integrators import LI, I, Threshold
from .neurons import ALIF, IF, LIF, PLIF, Izhikevich, Leaky, NeuronModule

NEURON_BUILDERS: dict[str, type[NeuronModule]] = {
    cls.model: cls for cls in (LIF, Leaky, IF, PLIF, ALIF, Izhikevich, LI, I, Threshold)
}
