"""What each neuron model *is*: its parameters (with their checks and documentation),
its time constants, whether it spikes, and other libraries' names for its parameters.

Pure data, no torch: ``snarc check`` validates programs with these tables and the
compiler builds its modules from the same facts (``compiler.NEURON_BUILDERS`` holds
one torch module per model; ``tests/test_registries.py`` keeps the tables in step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .signatures import ArgDef, non_negative, positive

_TAU_SYN = ArgDef(
    "tau_syn", "float", 0.0, check=non_negative, doc="synaptic time constant; 0: none"
)
_COMMON_SPIKING = (
    ArgDef("v_th", "float", 1.0, doc="firing threshold"),
    ArgDef("v_reset", "float", 0.0, doc="reset potential (hard reset)"),
    ArgDef(
        "reset",
        "symbol",
        "hard",
        choices=("hard", "soft"),
        doc="hard: v ← v_reset; soft: v ← v − v_th",
    ),
    ArgDef("surrogate", "surrogate", ("atan", 2.0), doc="surrogate gradient and its sharpness"),
    ArgDef(
        "detach_reset",
        "bool",
        False,
        doc="no gradient through the reset (SpikingJelly's detach_reset)",
    ),
    ArgDef(
        "learn_threshold",
        "bool",
        False,
        doc="v_th is a learnable parameter of the population (initial value v_th)",
    ),
)


@dataclass(frozen=True)
class NeuronModel:
    """What a neuron model *is*: its parameters and the facts the backends need."""

    name: str
    signature: tuple[ArgDef, ...]
    doc: str
    time_constants: tuple[str, ...] = ()  # must be >= dt (0 allowed where noted)
    optional_time_constants: tuple[str, ...] = ()  # 0 disables
    spiking: bool = True  # emits spikes (LI reports its membrane potential instead)
    learnable: int = 0  # learnable parameters per population (PLIF's time constant)
    strict_time_constants: bool = False  # time constants must exceed dt, not only reach it
    aliases: tuple[Alias, ...] = ()  # other libraries' names for a parameter


@dataclass(frozen=True)
class Alias:
    """Another library's name for a neuron parameter, and how its value converts:
    ``LIF(tau_mem_inv: 100.0)`` is ``LIF(tau_mem: 0.01)`` (Norse's inverse time constant)."""

    name: str
    target: str
    convert: Callable[[float], float]
    doc: str


_RESET_DELAY = ArgDef(
    "reset_delay",
    "bool",
    False,
    doc="with reset: soft, subtract v_th at the next step after the decay, as snnTorch's "
    "default reset_delay=True (the same spikes as subtracting v_th/λ at once, λ the "
    "membrane's decay per step)",
)

_PER_NEURON = ArgDef(
    "per_neuron",
    "bool",
    False,
    doc="hold every numeric parameter (and an input gain) per neuron, in the module's state: "
    "the values written start them, a checkpoint or `snarc import` sets them",
)

_TAU_ALIASES = (
    Alias("tau_mem_inv", "tau_mem", lambda v: 1.0 / v, "Norse's tau_mem_inv = 1 / tau_mem"),
    Alias("tau", "tau_mem", lambda v: v, "SpikingJelly's LIFNode tau"),
)


NEURON_MODELS: dict[str, NeuronModel] = {
    m.name: m
    for m in [
        NeuronModel(
            "LIF",
            (
                ArgDef("tau_mem", "float", 2.0, check=positive, doc="membrane time constant"),
                _TAU_SYN,
                ArgDef("v_leak", "float", 0.0),
                *_COMMON_SPIKING,
                _RESET_DELAY,
                _PER_NEURON,
            ),
            "leaky integrate-and-fire",
            time_constants=("tau_mem",),
            optional_time_constants=("tau_syn",),
            aliases=_TAU_ALIASES,
        ),
        NeuronModel("IF", (*_COMMON_SPIKING, _PER_NEURON), "integrate-and-fire (no leak)"),
        NeuronModel(
            "Leaky",
            (
                ArgDef(
                    "beta",
                    "float",
                    0.9,
                    check=lambda v: None if 0 < v < 1 else "must be in (0, 1)",
                    doc="membrane decay per step (snnTorch's beta)",
                ),
                *(replace(a, default="soft") if a.name == "reset" else a for a in _COMMON_SPIKING),
                _RESET_DELAY,
            ),
            "snnTorch's Leaky: v ← beta·v + x, the input unscaled, soft reset by default",
        ),
        NeuronModel(
            "PLIF",
            (
                ArgDef(
                    "tau",
                    "float",
                    2.0,
                    check=positive,
                    doc="initial membrane time constant (learned)",
                ),
                *_COMMON_SPIKING,
            ),
            "parametric LIF: one learnable time constant per population (Fang et al. 2021)",
            time_constants=("tau",),
            learnable=1,
            strict_time_constants=True,
        ),
        NeuronModel(
            "ALIF",
            (
                ArgDef("tau_mem", "float", 2.0, check=positive),
                ArgDef(
                    "tau_adapt",
                    "float",
                    20.0,
                    check=positive,
                    doc="threshold adaptation time constant",
                ),
                ArgDef(
                    "beta", "float", 1.8, check=non_negative, doc="threshold increase per spike"
                ),
                _TAU_SYN,
                ArgDef("v_leak", "float", 0.0),
                *_COMMON_SPIKING,
            ),
            "adaptive LIF: the threshold rises with each spike and decays back (Bellec et al. 2018)",
            time_constants=("tau_mem", "tau_adapt"),
            optional_time_constants=("tau_syn",),
        ),
        NeuronModel(
            "Izhikevich",
            (
                ArgDef("a", "float", 0.02),
                ArgDef("b", "float", 0.2),
                ArgDef("c", "float", -65.0),
                ArgDef("d", "float", 8.0),
                ArgDef("v_th", "float", 30.0, doc="spike peak (mV)"),
                ArgDef("surrogate", "surrogate", ("atan", 2.0)),
            ),
            "Izhikevich (2003) two-variable model; dt in ms",
        ),
        NeuronModel(
            "LI",
            (
                ArgDef("tau_mem", "float", 2.0, check=positive),
                ArgDef("tau_syn", "float", 0.0, check=non_negative, doc="0: none"),
                ArgDef("v_leak", "float", 0.0, doc="resting potential"),
                _PER_NEURON,
            ),
            "leaky integrator without spikes: a readout that reports its membrane potential",
            time_constants=("tau_mem",),
            optional_time_constants=("tau_syn",),
            spiking=False,
        ),
        NeuronModel(
            "I",
            (_PER_NEURON,),
            "integrator without leak or spikes (NIR's I): v ← v + x, reports v",
            spiking=False,
        ),
        NeuronModel(
            "Threshold",
            (
                ArgDef("v_th", "float", 1.0, doc="spikes where the input exceeds it"),
                ArgDef(
                    "surrogate",
                    "surrogate",
                    ("atan", 2.0),
                    doc="surrogate gradient and its sharpness",
                ),
                _PER_NEURON,
            ),
            "a memoryless spike (NIR's Threshold): z = H(x − v_th) at every step, no state",
        ),
    ]
}
