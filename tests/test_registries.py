"""One registry per fact: every operation and neuron model of the language is complete
in every backend — a torch builder, and an NIR exporter or a stated reason why NIR
cannot express it — and a caller can add an operation end to end."""

import pytest
import torch
from torch import nn

import snarc
from snarc.compiler import NEURON_BUILDERS, OP_BUILDERS
from snarc.dsl.neuron_models import NEURON_MODELS
from snarc.dsl.signatures import OPS, ArgDef, OpDef
from snarc.exchange.nir_lowering import (
    NEURON_EXPORTERS,
    NEURON_REASONS,
    OP_EXPORTERS,
    OP_REASONS,
    Lowered,
)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_operation_has_its_facts_a_builder_and_an_exporter_or_a_reason(name):
    op = OPS[name]
    assert op.doc
    if op.expand is not None:  # a macro: only the operations it expands to are built
        assert op.shape is None and name in OP_REASONS
        return
    assert op.shape is not None, f"{name}: no shape inference"
    assert name in OP_BUILDERS, f"{name}: no torch builder"
    assert (name in OP_EXPORTERS) != (name in OP_REASONS), f"{name}: NIR exporter or reason"
    if op.weighted:
        assert op.fanout is not None and op.macs is not None and op.params is not None


@pytest.mark.parametrize("name", sorted(NEURON_MODELS))
def test_every_neuron_model_has_a_builder_and_an_exporter_or_a_reason(name):
    assert name in NEURON_BUILDERS, f"{name}: no torch builder"
    assert (name in NEURON_EXPORTERS) != (name in NEURON_REASONS), name


def test_tables_name_nothing_the_language_lacks():
    assert set(OP_BUILDERS) <= set(OPS) and set(OP_EXPORTERS) | set(OP_REASONS) <= set(OPS)
    assert set(NEURON_EXPORTERS) | set(NEURON_REASONS) <= set(NEURON_MODELS)


class Negate(nn.Module):
    def forward(self, x):
        return -x


def test_an_operation_added_by_a_caller_works_end_to_end(monkeypatch):
    """A new operation: its definition in OPS (the language accepts it, shapes and
    parameters follow), a torch builder passed to compile, an NIR exporter."""
    monkeypatch.setitem(
        OPS,
        "negate",
        OpDef(
            "negate",
            (ArgDef("gain", "float", 1.0),),
            "-gain · x",
            shape=lambda shape, a: tuple(shape),
            binary_preserving=False,
        ),
    )
    text = (
        "network n { input vector(4) steps 2; a : LIF(v_th: 0.5); in -> a : negate | linear(3); "
        "readout a over mean }"
    )
    graph = snarc.elaborate(text)
    assert [op.name for _, _, d in graph.edges(data=True) for op in d["ops"]][:2] == [
        "negate",
        "linear",
    ]
    with pytest.raises(snarc.SnarcError, match="no builder for operation 'negate'"):
        snarc.compile(graph)
    net = snarc.compile(graph, builders={"negate": lambda spec: Negate()})
    x = torch.rand(2, 4)
    assert net(x).shape == (2, 3)
    from snarc.exchange.nir_export import NIRExportError, to_nir

    with pytest.raises(NIRExportError, match="no NIR exporter for 'negate'"):
        to_nir(net, graph)

    def export_negate(step):
        import nir
        import numpy as np

        n = step.op.in_shape[0]
        return Lowered([(f"negate{step.index}", nir.Scale(scale=-np.ones(n, np.float32)))])

    monkeypatch.setitem(OP_EXPORTERS, "negate", export_negate)
    nir_graph = to_nir(net, graph)
    assert "input_to_a_negate0" in nir_graph.nodes and "input_to_a_linear1" in nir_graph.nodes


def test_every_objective_a_run_may_optimise_is_defined_once():
    """Each fitness a run accepts is a Score or a Combined objective with its direction
    on its definition; a Combined one needs only recorded Scores; a run's Config reads
    the direction there (no second table)."""
    from snarc.evolution.config import Config, Objective
    from snarc.fitness import COMBINED, OBJECTIVES, SCORES

    assert set(OBJECTIVES) == set(SCORES) | set(COMBINED)
    for name, obj in OBJECTIVES.items():
        assert obj.direction in ("max", "min") and obj.doc
        assert Objective.parse(name).direction == obj.direction
    from snarc.evolution.fidelity import SUPERNET

    for c in COMBINED.values():  # scores, or measures taken on a trained supernet
        assert set(c.needs) <= set(SCORES) | set(SUPERNET)
        assert c.spikes in c.needs
    cfg = Config(fitness=["spike_aware", "params"])
    assert cfg.measures()[:3] == ("rdm_target", "spikes", "params")


def test_every_surrogate_has_a_gradient_and_aliases_resolve():
    """Every surrogate a program may name is built by the compiler or is an alias of one
    that is (snnTorch's fast_sigmoid is SuperSpike with α = slope)."""
    from snarc.compiler.surrogates import SURROGATE_GRADS
    from snarc.compiler.surrogates import SURROGATES as BUILT
    from snarc.dsl.surrogates import SURROGATE_DEFS

    for name, s in SURROGATE_DEFS.items():
        target = s.alias_of or name
        assert target in BUILT and target in SURROGATE_GRADS and s.alpha > 0
        assert SURROGATE_DEFS[target].alias_of is None
    g = snarc.elaborate(
        "network n {\n  input vector(3) steps 2\n  a : LIF(surrogate: fast_sigmoid)\n"
        "  b : LIF(surrogate: fast_sigmoid(slope: 10))\n  in -> a : linear(4)\n"
        "  a -> b : linear(2)\n  readout b over mean\n}\n"
    )
    assert dict(g.nodes["a"].neuron.params)["surrogate"] == ("superspike", 25.0)
    assert dict(g.nodes["b"].neuron.params)["surrogate"] == ("superspike", 10.0)
