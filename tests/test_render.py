"""Drawings: the pure layout step without graphviz, and real rendering with `dot`."""

import shutil

import pytest
from conftest import EXAMPLES

import snarc
from snarc.render import SCALES, edge_attrs, layout, render_file, to_dot


@pytest.fixture(scope="module")
def motifs(root=None):
    from conftest import ROOT

    return snarc.elaborate(ROOT / "examples" / "mse_motifs.snarc")


def test_macro_scale_draws_cells_and_global_wiring(motifs):
    d = layout(motifs, "macro")
    ids = {n.id for n in d.nodes}
    assert ids == {"input", "stem", "c1", "c2", "r1", "c3", "c4", "pool", "cls", "readout"}
    assert not d.clusters
    pairs = {(e.src, e.dst, e.kind, e.sign) for e in d.edges}
    assert ("c1", "c2", "forward", None) in pairs and (
        "stem",
        "c2",
        "forward",
        None,
    ) in pairs  # fan-in
    assert ("c4", "c3", "feedback", "inhibitory") in pairs  # cross-cell feedback
    c1 = next(n for n in d.nodes if n.id == "c1")
    assert c1.label.startswith("c1 : ff_exc\n3 populations")


def test_meso_scale_clusters_motifs_and_types_edges(motifs):
    d = layout(motifs, "meso")
    assert d.clusters[("c3",)] == "c3 : fb_loop"
    assert {n.id for n in d.nodes if n.cluster == ("c3",)} == {
        "c3.in",
        "c3.a",
        "c3.b",
        "c3.d",
        "c3.out",
    }
    kinds = {(e.src, e.dst): e for e in d.edges}
    fb = kinds[("c3.d", "c3.a")]
    assert fb.kind == "feedback" and fb.sign == "inhibitory"
    attrs = edge_attrs(fb)
    assert (
        attrs["style"] == "dashed"
        and attrs["arrowhead"] == "tee"
        and attrs["constraint"] == "false"
    )
    assert edge_attrs(kinds[("c1.a", "c1.b")])["color"] == "#1e8449"  # excitatory


def test_micro_scale_labels_neurons_shapes_params_and_ops(root):
    g = snarc.elaborate(root / "examples" / "genetic.snarc")
    d = layout(g, "micro")
    l2 = next(n for n in d.nodes if n.id == "l2")
    assert (
        "lif: LIF(tau_mem=2)\nv_th=1, reset to 0" in l2.label
        and "64×16×16" in l2.label
        and "params" in l2.label
    )
    e = next(e for e in d.edges if e.dst == "l2")
    assert e.genetic and "conv(3, 64, stride: 2) | bn" in e.label and "genes r=8, conv3" in e.label
    assert edge_attrs(e)["penwidth"] == "2.2"


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_dot_text_for_every_example_and_scale(path, scale, tmp_path):
    g = snarc.elaborate(path)
    dot = to_dot(layout(g, scale))
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    out = render_file(layout(g, scale), tmp_path / "x.dot")
    assert out.read_text() == dot


needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="graphviz's dot is not installed"
)


@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_rendering_with_dot(motifs, tmp_path, fmt):
    out = render_file(layout(motifs, "meso"), tmp_path / f"motifs.{fmt}")
    data = out.read_bytes()
    magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[fmt]
    assert data.startswith(magic) and len(data) > 1000
    assert [p.name for p in tmp_path.iterdir()] == [f"motifs.{fmt}"]


@needs_dot
def test_cli_render(root, tmp_path):
    from snarc.cli.main import main

    out = tmp_path / "a.svg"
    assert (
        main(
            ["render", str(root / "examples" / "autosnn.snarc"), "-o", str(out), "--scale", "macro"]
        )
        == 0
    )
    svg = out.read_text()
    assert "b1 : srb" in svg and "readout" in svg
    assert (
        main(["render", str(root / "examples" / "autosnn.snarc"), "-o", str(tmp_path / "a.gif")])
        == 1
    )


SELF_LOOP = """
network loop {
  input frames(2, 8, 8) steps 4
  exc : LIF()
  inh : LIF()
  in -> exc : conv(3, 4)
  exc ..> exc : conv(3, 4)
  exc -> inh : conv(3, 4)
  inh ~> exc : conv(3, 4) inhibitory
  readout inh over mean
}
"""


def test_every_edge_is_drawn_at_macro_scale_self_loops_included():
    """issue 18: the macro drawing kept only edges between two nodes; a top-level
    population's recurrence (exc ..> exc) is drawn, edges inside a cell are not."""
    g = snarc.elaborate(SELF_LOOP)
    d = layout(g, "macro")
    assert ("exc", "exc", "lateral") in {(e.src, e.dst, e.kind) for e in d.edges}
    assert '"exc" -> "exc"' in to_dot(d)


def test_micro_labels_say_how_a_neuron_fires():
    g = snarc.elaborate(
        SELF_LOOP.replace(
            "exc : LIF()", "exc : LIF(v_th: 0.4, reset: soft, surrogate: superspike(50))"
        )
    )
    label = next(n.label for n in layout(g, "micro").nodes if n.id == "exc")
    assert "v_th=0.4, soft reset, superspike(50)" in label
    inh = next(n.label for n in layout(g, "micro").nodes if n.id == "inh")
    assert "reset to 0, atan(2)" in inh


def test_the_legend_names_exactly_the_edge_styles_used():
    dot = to_dot(layout(snarc.elaborate(SELF_LOOP), "meso"))
    assert "cluster_legend" in dot
    for name in ("forward", "feedback (t−1)", "lateral (t−1)", "inhibitory"):
        assert f'label="{name}"' in dot
    for name in ("residual", "excitatory", "genetically encoded"):
        assert f'label="{name}"' not in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_png_drawings_are_large_enough_to_read(tmp_path):
    import struct

    out = render_file(layout(snarc.elaborate(SELF_LOOP), "macro"), tmp_path / "m.png")
    width, height = struct.unpack(">II", out.read_bytes()[16:24])  # the PNG's IHDR
    assert width >= 500 and height >= 500


def test_a_motif_is_drawn_on_its_own(tmp_path, capsys):
    """issue 18: `snarc render LIB --motif NAME --args ... --input ...`."""
    from snarc.cli.main import main
    from snarc.render.motif import motif_graph

    lib = tmp_path / "lib.snarc"
    lib.write_text(
        "neuron lif = LIF()\nmotif pair(c, k = 3) {\n  a, b : lif\n  in -> a : conv(k, c)\n"
        "  a -> b : conv(k, c)\n  b ..> b : conv(1, c)\n  out b\n}\n"
    )
    g = motif_graph(lib, "pair", "8, k: 5", "frames(2, 16, 16)")
    assert g.nodes["m.b"].shape == (8, 16, 16)
    assert ("m.b", "m.b") in {(u, v) for u, v in g.edges()}
    out = tmp_path / "pair.dot"
    assert (
        main(
            [
                "render",
                str(lib),
                "--motif",
                "pair",
                "--args",
                "8",
                "-o",
                str(out),
                "--scale",
                "micro",
            ]
        )
        == 0
    )
    assert "cluster_m" in out.read_text()
    assert main(["render", str(lib), "-o", str(out)]) == 1
    assert "--motif NAME" in capsys.readouterr().err
    assert main(["render", str(lib), "--motif", "trio", "-o", str(out)]) == 1
    assert "its motifs: pair" in capsys.readouterr().err
