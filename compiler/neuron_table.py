"""The torch module of each neuron model (``NEURON_BUILDERS``): a table a caller can
extend or override (``snarc.compile(..., neurons={...})``); ``PER_NEURON_BUILDERS``
holds the modules of populations written with ``per_neuron: true`` (in
:mod:`.per_neuron`)."""

from __future__ import annotations

from .integrators import LI, I, Threshold
from .neurons import ALIF, IF, LIF, PLIF, Izhikevich, Leaky, NeuronModule

NEURON_BUILDERS: dict[str, type[NeuronModule]] = {
    cls.model: cls for cls in (LIF, Leaky, IF, PLIF, ALIF, Izhikevich, LI, I, Threshold)
}
