"""``compile``: a program (path, text, Module or IR) to a :class:`CompiledNetwork`, with
the builder tables a caller may extend."""

from __future__ import annotations

from ..dsl import DEFAULT_MAX_PARAMS, elaborate
from ..dsl.memory import check_memory
from .network import CompiledNetwork, SnarcCompileError
from .neuron_table import NEURON_BUILDERS
from .ops import GENETIC_BUILDERS, OP_BUILDERS


def compile(  # noqa: A001 - the public name the docs promise: snarc.compile
    source,
    *,
    builders: dict | None = None,
    neurons: dict | None = None,
    max_params: int = DEFAULT_MAX_PARAMS,
    fused_neurons: bool = True,
    channels_last: bool = True,
    max_memory: int | None = None,
) -> CompiledNetwork:
    """Compile a snarc network: program text (``str``), a file (``pathlib.Path``), a parsed
    Module or an elaborated IR graph.

    ``builders`` maps operation names to ``fn(OpSpec) -> nn.Module`` and ``neurons``
    maps model names to ``cls(params: dict, dt: float) -> NeuronModule``; both extend
    or override the defaults.

    ``fused_neurons`` (default on) runs LIF (without synaptic current), PLIF and IF
    populations that lie on no cycle through one fused autograd node per population
    with hand-written BPTT (:class:`~snarc.compiler.neurons.FusedBoxSteps`): fewer
    kernels per step and about a third less activation memory than autograd through
    every step. ``False`` steps every population through autograd (the same values).

    ``channels_last`` (default on) lays image-shaped tensors out NHWC, which oneDNN's
    CPU convolutions and batch-norm run faster (see
    :meth:`CompiledNetwork.use_channels_last`).

    ``max_memory`` (bytes; default :func:`snarc.dsl.memory.default_ceiling`): a network
    whose parameters and one sample's activations are estimated above it is refused
    with :class:`~snarc.dsl.SnarcResourceError` before anything is allocated.
    """
    import networkx as nx

    graph = (
        source if isinstance(source, nx.MultiDiGraph) else elaborate(source, max_params=max_params)
    )
    if graph is None:
        raise SnarcCompileError("a library file has no network to compile")
    # refused before any tensor exists: parameters and one sample's activations
    check_memory(graph, batch=1, ceiling=max_memory)
    net = CompiledNetwork(
        graph,
        {**OP_BUILDERS, **(builders or {})},
        {**NEURON_BUILDERS, **(neurons or {})},
        GENETIC_BUILDERS,
    )
    for module in net.neurons.values():
        module.fused = fused_neurons
    if channels_last:
        net.use_channels_last()
    return net
