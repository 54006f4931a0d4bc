"""The IR's nodes and edges are typed records (dsl/records.py)."""

import dataclasses

import pytest

import snarc
from snarc.dsl.ir import NeuronSpec, OpSpec
from snarc.dsl.records import EdgeRecord, IRGraph, NodeRecord


def test_nodes_and_edges_are_typed_records(root):
    g = snarc.elaborate(root / "examples" / "ndigits_conv.snarc")
    assert isinstance(g, IRGraph)
    for _, d in g.nodes(data=True):
        assert isinstance(d, NodeRecord) and dataclasses.is_dataclass(d)
        assert d.shape == d["shape"] and all(isinstance(s, int) for s in d.shape)
        assert d.neuron is None or isinstance(d.neuron, NeuronSpec)
    for _, _, e in g.edges(data=True):
        assert isinstance(e, EdgeRecord)
        assert all(isinstance(op, OpSpec) for op in e.ops) and e.out_shape is not None
    assert g.nodes["c1"].neuron.model == "LIF" and g.nodes["c1"].shape == (16, 34, 34)


def test_a_key_that_is_not_a_field_is_an_error():
    rec = NodeRecord(kind="relay")
    with pytest.raises(KeyError, match="no field 'shpae'"):
        rec["shpae"] = (1,)
    with pytest.raises(TypeError):
        del rec["kind"]
    g = IRGraph()
    with pytest.raises(KeyError):
        g.add_node("x", colour="red")
    g.add_node("x", kind="input", shape=(2,))
    assert g.nodes["x"].shape == (2,) and dict(g.nodes["x"])["kind"] == "input"
    h = g.copy()  # networkx copies through the mapping protocol
    assert isinstance(h.nodes["x"], NodeRecord) and h.nodes["x"] is not g.nodes["x"]


def test_passes_add_derived_fields_and_keep_what_the_program_wrote():
    """Instantiation records the calls as written (OpCall, GeneticCall); the shapes and
    genetics passes add ops and genetic beside them and rewrite nothing."""
    from snarc.dsl.ir import GeneticCall, GeneticSpec, OpCall

    g = snarc.elaborate(
        "network n {\n  input image(4, 8, 8) steps 2\n  a, b : LIF()\n"
        "  in -> a : conv(3, 8) genetic(rank: 2, pool: p)\n  in => b : shortcut(16)\n"
        "  a -> b : conv(3, 16)\n  readout b over mean\n}\n"
    )
    by_dst = {(u, v): e for u, v, e in g.edges(data=True)}
    gen = by_dst[("input", "a")]
    assert gen.calls == (OpCall("conv", {"kernel": 3, "channels": 8, **_conv_defaults()}),)
    assert gen.gene_call == GeneticCall(2, "p")
    assert isinstance(gen.genetic, GeneticSpec) and gen.genetic.rank == 2
    macro = by_dst[("input", "b")]
    assert [c.name for c in macro.calls] == ["shortcut"]
    assert [op.name for op in macro.ops] != ["shortcut"] and macro.ops  # expanded


def _conv_defaults():
    from snarc.dsl.signatures import OPS

    return {a.name: a.default for a in OPS["conv"].signature[2:]}
