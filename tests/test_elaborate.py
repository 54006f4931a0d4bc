"""Elaboration: instances, names, shapes, parameters, imports, limits."""

import pytest

import snarc
from snarc.dsl import errors as E

LIB = """
neuron lif = LIF(tau_mem: 2.0, v_th: 0.5)

motif pair(c, n = lif) {
  a, b : n
  in -> a : conv(3, c) | bn excitatory
  a -> b : conv(3, c) inhibitory
  b ~> a : conv(1, c)
  in => b : shortcut(c)
  out concat(a, b)
}
"""


def program(body: str, head: str = LIB) -> str:
    return head + "\nnetwork n {\n  input frames(2, 16, 16) steps 4\n" + body + "}\n"


def test_motif_instances_get_hierarchical_names_and_shapes():
    g = snarc.elaborate(
        program(
            "  cell c1 = pair(8) from in\n  cell c2 = pair(8) from c1\n  readout c2 over mean\n"
        )
    )
    nodes = set(g.nodes)
    assert {"input", "c1.a", "c1.b", "c1.out", "c2.a", "c2.b", "c2.out", "readout"} <= nodes
    # single plain inputs are wired straight through: no c1.in / c2.in relay is left
    assert "c1.in" not in nodes and "c2.in" not in nodes
    assert g.nodes["c1.out"]["shape"] == (16, 16, 16)  # concat of two 8-channel populations
    assert g.nodes["c2.a"]["shape"] == (8, 16, 16)
    assert g.nodes["c1.a"]["scope"] == "c1" and g.nodes["c1.a"]["motif"] == "pair"
    edges = {(u, v, d["kind"]): d for u, v, d in g.edges(data=True)}
    fb = edges[("c1.b", "c1.a", "feedback")]
    assert fb["delay"] == 1
    assert edges[("c1.a", "c1.b", "forward")]["sign"] == "inhibitory"
    assert edges[("input", "c1.a", "forward")]["sign"] == "excitatory"
    # the shortcut lowers to conv 1x1 + bn where channels change (2 -> 8), identity where not
    assert [op.name for op in edges[("input", "c1.b", "residual")]["ops"]] == ["conv", "bn"]
    assert [op.name for op in edges[("c1.out", "c2.b", "residual")]["ops"]] == ["conv", "bn"]


def test_parameter_counts():
    g = snarc.elaborate(program("  cell c1 = pair(8) from in\n  readout c1 over mean\n"))
    # a: conv 2->8 k3 = 144, bn 16; b: conv 8->8 k3 = 576; feedback conv 1x1 8->8 = 64;
    # shortcut conv 1x1 2->8 = 16 + bn 16
    assert g.nodes["c1.a"]["params"] == 144 + 16 + 64
    assert g.nodes["c1.b"]["params"] == 576 + 16 + 16
    assert g.graph["params"] == 144 + 16 + 64 + 576 + 16 + 16


def test_fan_in_concat_and_cross_cell_feedback():
    g = snarc.elaborate(
        program(
            "  cell c1 = pair(4) from in\n"
            "  cell c2 = pair(4) from c1, in\n"
            "  cell c3 = pair(4) from c2 merge sum\n"
            "  c3 ~> c3 : conv(1, 8)\n"
            "  readout c3 over mean\n"
        )
    )
    assert g.nodes["c2.in"]["merge"] == "concat"
    assert g.nodes["c2.in"]["shape"] == (8 + 2, 16, 16)
    assert g.nodes["c3.in"]["merge"] == "sum"
    kinds = {(u, v): d["kind"] for u, v, d in g.edges(data=True)}
    assert kinds[("c3.out", "c3.in")] == "feedback"


def test_neuron_passed_to_a_motif():
    g = snarc.elaborate(
        program(
            "  neuron alif = ALIF(tau_mem: 4.0)\n  cell c1 = pair(4, n: alif) from in\n  readout c1 over mean\n"
        )
    )
    assert g.nodes["c1.a"]["neuron"].model == "ALIF"
    assert g.nodes["c1.a"]["neuron"].get("tau_mem") == 4.0


def test_neuron_defaults_are_filled_in():
    g = snarc.elaborate(program("  a : PLIF()\n  in -> a : conv(3, 4)\n  readout a over mean\n"))
    spec = g.nodes["a"]["neuron"]
    assert spec.get("tau") == 2.0 and spec.get("reset") == "hard"
    assert spec.get("surrogate") == ("atan", 2.0)
    assert g.nodes["a"]["params"] == 2 * 4 * 9 + 1  # conv + the learnable time constant


def test_op_cell_and_readout_ops():
    g = snarc.elaborate(
        program(
            "  a : lif\n  in -> a : conv(3, 4)\n  cell p = avgpool(2) from a\n"
            "  fc : LI()\n  p -> fc : linear(20, bias: true)\n  readout fc : vote(2) over max\n"
        )
    )
    assert g.nodes["p"]["shape"] == (4, 8, 8)
    assert g.nodes["fc"]["shape"] == (20,)
    assert g.nodes["readout"]["shape"] == (10,)
    assert g.graph["readout"].over == "max"
    assert g.nodes["fc"]["params"] == 20 * 256 + 20


def test_genetic_parameters_share_genes_and_interaction():
    g = snarc.elaborate(
        program(
            "  a, b : lif\n"
            "  in -> a : conv(3, 8) genetic(rank: 2, pool: p)\n"
            "  a -> b : conv(3, 8) genetic(rank: 2, pool: p)\n"
            "  readout b over mean\n"
        )
    )
    # genes: input 2 ch, a 8 ch, b 8 ch, each x rank 2; O: 9 offsets x 2 x 2
    assert g.graph["genes"] == {
        ("input", "p", "channel"): 2,
        ("a", "p", "channel"): 8,
        ("b", "p", "channel"): 8,
    }
    assert g.graph["params"] == (2 + 8 + 8) * 2 + 9 * 2 * 2
    spec = next(d["genetic"] for u, v, d in g.edges(data=True) if v == "b")
    assert spec.pre == ("a", "channel") and spec.post == ("b", "channel") and spec.rank == 2


def test_genetic_into_concat_uses_a_slice_of_the_target_genes():
    g = snarc.elaborate(
        program(
            "  a : lif merge concat\n"
            "  in -> a : conv(3, 4)\n"
            "  in -> a : conv(3, 6) genetic(rank: 3)\n"
            "  readout a over mean\n"
        )
    )
    spec = next(d["genetic"] for _u, _v, d in g.edges(data=True) if d["genetic"])
    assert spec.post_offset == 4 and spec.post_units == 6
    assert g.graph["genes"][("a", spec.pool, "channel")] == 10


def test_parameter_ceiling_is_configurable():
    src = program("  a : lif\n  in -> a : conv(3, 64)\n  readout a over mean\n")
    assert snarc.elaborate(src).graph["params"] == 2 * 64 * 9
    with pytest.raises(E.SnarcResourceError, match="over the ceiling of 1,000"):
        snarc.elaborate(src, max_params=1000)


def test_node_ceiling():
    many = "".join(
        f"  cell c{i} = pair(2) from {'in' if i == 0 else f'c{i - 1}'}\n" for i in range(30)
    )
    src = program(many + "  readout c29 over mean\n")
    assert snarc.elaborate(src).number_of_nodes() > 60
    with pytest.raises(E.SnarcResourceError, match="more than 20 nodes"):
        snarc.elaborate(src, max_nodes=20)


def test_dt_scales_the_time_constant_check():
    src = "neuron lif = LIF(tau_mem: 5.0)\nnetwork n {\n  input image(1, 4, 4) steps 2 dt 10.0\n  a : lif\n  in -> a : conv(3, 2)\n  readout a over mean\n}\n"
    with pytest.raises(E.SnarcValueError, match="at least the time step dt"):
        snarc.elaborate(src)
    assert snarc.elaborate(src.replace("dt 10.0", "dt 1.0")).graph["dt"] == 1.0


def test_unread_population_is_a_warning():
    g = snarc.elaborate(
        program(
            "  a, b : lif\n  in -> a : conv(3, 4)\n  in -> b : conv(3, 4)\n  readout a over mean\n"
        )
    )
    assert [w.message for w in g.graph["warnings"]] == ["population 'b' is computed but never read"]


def test_relative_imports_and_cycles(tmp_path):
    (tmp_path / "blocks.snarc").write_text(LIB)
    (tmp_path / "net.snarc").write_text(
        program(
            "  cell c = pair(4) from in\n  readout c over mean\n", head='import "blocks.snarc"\n'
        )
    )
    assert snarc.elaborate(tmp_path / "net.snarc").graph["params"] > 0

    (tmp_path / "a.snarc").write_text('import "b.snarc"\n')
    (tmp_path / "b.snarc").write_text('import "a.snarc"\n')
    with pytest.raises(E.SnarcImportError, match="import cycle"):
        snarc.elaborate(tmp_path / "a.snarc")

    (tmp_path / "clash.snarc").write_text('import "blocks.snarc"\nneuron lif = IF()\n')
    with pytest.raises(E.SnarcNameError, match="neuron 'lif' is defined twice") as info:
        snarc.elaborate(tmp_path / "clash.snarc")
    assert "blocks.snarc" in info.value.report()  # the note shows the other definition

    # the same definition reached along two paths is fine
    (tmp_path / "left.snarc").write_text('import "blocks.snarc"\n')
    (tmp_path / "right.snarc").write_text('import "blocks.snarc"\n')
    (tmp_path / "diamond.snarc").write_text('import "left.snarc"\nimport "right.snarc"\n')
    assert snarc.elaborate(tmp_path / "diamond.snarc") is None

    (tmp_path / "missing.snarc").write_text('import "nope.snarc"\n')
    with pytest.raises(E.SnarcImportError, match="no such file"):
        snarc.elaborate(tmp_path / "missing.snarc")


def test_error_in_imported_file_shows_that_file(tmp_path):
    (tmp_path / "lib.snarc").write_text(
        "motif m(c) {\n  a : lif\n  in -> a : conv(3, c)\n  out a\n}\n"
    )
    (tmp_path / "net.snarc").write_text(
        'import "lib.snarc"\nnetwork n {\n  input image(1, 4, 4) steps 1\n  cell c = m(2) from in\n  readout c over mean\n}\n'
    )
    with pytest.raises(E.SnarcNameError) as info:
        snarc.elaborate(tmp_path / "net.snarc")
    report = info.value.report()
    assert report.startswith(f"{tmp_path / 'lib.snarc'}:2:7: error: unknown neuron 'lif'")
    assert "2 |   a : lif" in report
    assert f"{tmp_path / 'net.snarc'}:4:3: note: in cell 'c'" in report


def test_library_check_finds_name_errors():
    with pytest.raises(E.SnarcNameError, match="unknown population or cell 'x'"):
        snarc.elaborate("motif m(c) {\n  a : none\n  in -> x : conv(3, c)\n  out a\n}\n")
    with pytest.raises(E.SnarcTypeError, match="has no argument 'kernal'"):
        snarc.elaborate(
            "motif m(c) {\n  a : none\n  in -> a : conv(kernal: 3, channels: c)\n  out a\n}\n"
        )


def test_library_motifs_are_walked_by_the_instantiator():
    """A library file's motifs are checked by the code that instantiates them, with
    parameters unknown: what does not depend on an argument is checked as in a network
    (arity of called motifs, operation arguments, genetic(), constants); what does is
    left to the caller."""
    ok = (
        "neuron lif = LIF(tau_mem: 2.0)\n"
        "motif inner(c, k = 3) {\n  a : lif\n  in -> a : conv(k, c * 2)\n  out a\n}\n"
        "motif outer(c, n) {\n  b : n\n  cell i = inner(c) from in\n"
        "  i -> b : linear(c) genetic(rank: 4, pool: g)\n  out b\n}\n"
    )
    assert snarc.elaborate(ok) is None
    with pytest.raises(E.SnarcTypeError, match=r"motif inner\(\) takes 2 arguments, got 3"):
        snarc.elaborate(ok.replace("inner(c) from", "inner(c, 3, 4) from"))
    with pytest.raises(E.SnarcValueError, match="'kernel' must be >= 1, got 0"):
        snarc.elaborate(ok.replace("k = 3", "k = 0"))
    with pytest.raises(E.SnarcValueError, match="genetic: 'rank' must be >= 1, got 0"):
        snarc.elaborate(ok.replace("rank: 4", "rank: 0"))
    with pytest.raises(E.SnarcTypeError, match="genetic: 'pool' must be a name, got 3"):
        snarc.elaborate(ok.replace("pool: g", "pool: 3"))
    with pytest.raises(E.SnarcTypeError, match=r"genetic\(\) has no argument 'size'"):
        snarc.elaborate(ok.replace("pool: g", "size: 3"))
    with pytest.raises(E.SnarcValueError, match="instantiates itself"):
        snarc.elaborate(ok.replace("cell i = inner(c)", "cell i = outer(c, n)"))


def test_a_neuron_on_a_connection_is_a_population_of_its_own():
    """``a -> b : n | conv(3, c) | bn``: the neuron steps on the source, the operations
    run on its spikes; a delayed arrow delays the operations, not the neuron."""
    head = (
        LIB
        + """
motif edgy(c, n = lif) {
  x, y : none
  in -> x : conv(1, c)
  x -> y : n | conv(3, c) | bn
  y ~> x : LIF(tau_mem: 3.0) | conv(1, c)
  out y
}
"""
    )
    g = snarc.elaborate(program("  cell e = edgy(8) from in\n  readout e over mean\n", head))
    assert g.nodes["e.x_y_lif"]["kind"] == "neuron"
    assert g.nodes["e.x_y_lif"]["neuron"].get("v_th") == 0.5
    assert g.nodes["e.y_x_lif"]["neuron"].get("tau_mem") == 3.0
    edges = {(u, v): d for u, v, d in g.edges(data=True)}
    assert [op.name for op in edges[("e.x_y_lif", "e.y")]["ops"]] == ["conv", "bn"]
    assert edges[("e.x", "e.x_y_lif")]["ops"] == () and edges[("e.x", "e.x_y_lif")]["delay"] == 0
    assert edges[("e.y", "e.y_x_lif")]["delay"] == 0
    assert edges[("e.y_x_lif", "e.x")]["delay"] == 1
    # parameters: conv 1x1 2->8, conv 8->8 k3 + bn, conv 1x1 8->8 (no neurons' own)
    assert g.graph["params"] == 16 + 576 + 16 + 64


@pytest.mark.parametrize(
    "edge, message",
    [
        ("x -> y : conv(3, 8) | lif", "must come first"),
        ("x -> y : lif(v_th: 2) | conv(3, 8)", "takes no arguments"),
        ("x -> y : lyf | conv(3, 8)", "unknown operation 'lyf'"),
    ],
)
def test_a_misplaced_neuron_on_a_connection_is_named(edge, message):
    body = f"  x, y : none\n  in -> x : identity\n  {edge}\n  readout y over mean\n"
    with pytest.raises(E.SnarcError, match=message):
        snarc.elaborate(program(body))
