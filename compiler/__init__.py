"""Lowering the graph IR (snarc.dsl.ir) to PyTorch modules built on Norse's neuron equations.

``compile(source)`` elaborates a program (path, text, Module or IR graph) and returns a
:class:`CompiledNetwork`. Operations and neuron models are built through dispatch
tables (``OP_BUILDERS``, ``NEURON_BUILDERS``) that a caller can extend or override.
"""

from __future__ import annotations

from .build import compile
from .network import CompiledNetwork, SnarcCompileError, Stats
from .neuron_table import NEURON_BUILDERS
from .neurons import NeuronModule
from .ops import GENETIC_BUILDERS, OP_BUILDERS, EdgeModule

__all__ = [
    "GENETIC_BUILDERS",
    "NEURON_BUILDERS",
    "OP_BUILDERS",
    "CompiledNetwork",
    "EdgeModule",
    "NeuronModule",
    "SnarcCompileError",
    "Stats",
    "compile",
]
