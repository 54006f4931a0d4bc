"""Parser, AST spans, comments and the formatter's layout rules."""

import pytest

import snarc
from snarc.dsl import ast, format_source, parse
from snarc.dsl.errors import SnarcSyntaxError


def test_ast_nodes_keep_spans():
    src = "neuron lif = LIF(tau_mem: 2.0)\n\nnetwork n {\n  input image(1, 4, 4) steps 3\n  a : lif\n  in -> a : conv(3, 2) | bn\n  readout a over sum\n}\n"
    m = parse(src, "x.snarc")
    neuron, net = m.items
    assert isinstance(neuron, ast.NeuronDef) and neuron.span.line == 1 and neuron.span.column == 1
    edge = net.body[2]
    assert isinstance(edge, ast.Edge)
    assert (edge.span.line, edge.span.column) == (6, 3)
    assert src[edge.span.start_pos : edge.span.end_pos] == "in -> a : conv(3, 2) | bn"
    conv = edge.ops[0]
    assert src[conv.span.start_pos : conv.span.end_pos] == "conv(3, 2)"
    assert edge.ops[1].name == "bn" and edge.ops[1].args == ()
    assert str(edge.span) == "x.snarc:6:3"


def test_ast_is_immutable():
    m = parse("neuron a = LIF()\n")
    with pytest.raises(AttributeError):
        m.items[0].name = "b"


def test_edge_kinds_signs_and_genetic():
    m = parse(
        "motif m(c) {\n  a, b : none\n  in -> a : conv(3, c) excitatory\n  a => b\n"
        "  b ~> a : conv(1, c) inhibitory genetic(rank: 4, pool: p)\n  a ..> a : identity\n  out b\n}\n"
    )
    body = m.items[0].body
    edges = [s for s in body if isinstance(s, ast.Edge)]
    assert [e.arrow for e in edges] == ["->", "=>", "~>", "..>"]
    assert edges[0].sign == "excitatory" and edges[2].sign == "inhibitory"
    assert [a.name for a in edges[2].genetic] == ["rank", "pool"]


def test_long_argument_lists_may_span_lines():
    m = parse("neuron lif = LIF(\n  tau_mem: 2.0,  # membrane\n  v_th: 0.5\n)\n")
    assert [a.name for a in m.items[0].args] == ["tau_mem", "v_th"]
    assert format_source("neuron lif = LIF(\n  tau_mem: 2.0,  # membrane\n  v_th: 0.5\n)\n") == (
        "# membrane\nneuron lif = LIF(tau_mem: 2.0, v_th: 0.5)\n"
    )


def test_semicolons_and_one_line_bodies_format_to_lines():
    one_line = "neuron lif = LIF(); motif m(c) { a : lif; in -> a : conv(3, c); out a }"
    lines = "neuron lif = LIF()\n\nmotif m(c) {\n  a : lif\n  in -> a : conv(3, c)\n  out a\n}\n"
    assert format_source(one_line) == lines
    assert format_source(lines) == lines


def test_expressions_precedence_and_formatting():
    src = "motif m(c, k = 3) {\n  a : none\n  in -> a : conv(k, (c + 1) * 2 - c / 2 % 3)\n  out a\n}\n"
    assert format_source(src) == src
    assert format_source(src.replace("(c + 1) * 2", "((c+1))*2")) == src
    assert "c - (1 - 2)" in format_source(src.replace("(c + 1) * 2 - c / 2 % 3", "c-(1-2)"))


def test_comments_survive_in_place():
    src = (
        "# header\n\n"
        "import std.autosnn  # blocks\n\n"
        "# the network\n"
        "network n {  # opening\n"
        "  # input\n"
        "  input image(3, 8, 8) steps 2\n\n"
        "  a : plif  # population\n"
        "  in -> a : conv(3, 4)\n"
        "  readout a over mean\n"
        "  # trailing inside\n"
        "}  # closing\n"
        "# end\n"
    )
    assert format_source(src) == src
    assert [c.text for c in parse(src).comments] == [
        "# header",
        "# blocks",
        "# the network",
        "# opening",
        "# input",
        "# population",
        "# trailing inside",
        "# closing",
        "# end",
    ]


def test_canonical_layout():
    messy = "import std.autosnn\nnetwork   n{\n input image( 3,8,8 )steps 2 encode rate dt 1.0\n a:plif merge sum\n in->a:conv(3,4,stride:1)|bn excitatory\n readout a:vote(2)over mean\n}"
    assert format_source(messy) == (
        "import std.autosnn\n\n"
        "network n {\n"
        "  input image(3, 8, 8) steps 2 encode rate dt 1.0\n"
        "  a : plif merge sum\n"
        "  in -> a : conv(3, 4, stride: 1) | bn excitatory\n"
        "  readout a : vote(2) over mean\n"
        "}\n"
    )


def test_format_rejects_bad_syntax():
    with pytest.raises(SnarcSyntaxError):
        format_source("network {\n}\n")


def test_empty_and_comment_only_files():
    assert format_source("") == ""
    assert format_source("\n\n# only a comment\n\n") == "# only a comment\n"
    assert snarc.elaborate("# nothing\n") is None


def test_keywords_cannot_be_names():
    with pytest.raises(SnarcSyntaxError):
        parse("network n {\n  cell : lif\n}\n")


def test_text_and_paths_are_told_apart_by_type_not_guessed(tmp_path):
    """A str is program text and a Path a file; a file name given as text is a syntax
    error whose hint names the mix-up, never a silent read of the file."""
    src = "network n {\n  input frames(2) steps 4\n  a : LIF()\n  in -> a : linear(3)\n  readout a over mean\n}\n"
    path = tmp_path / "n.snarc"
    path.write_text(src)
    assert snarc.load_file(path) == snarc.load_file(str(path)) == snarc.load(path)
    assert snarc.load_text(src).network.name == "n"
    with pytest.raises(snarc.SnarcError) as err:
        snarc.load(str(path))
    assert "snarc.load_file" in str(err.value)
    with pytest.raises(TypeError):
        snarc.load(42)


def test_programs_built_in_code_print_through_the_formatter():
    """dsl.construct builds syntax trees that the formatter prints and the parser reads
    back to the same tree (how NIR import writes programs)."""
    from snarc.dsl import construct as C
    from snarc.dsl import format_module

    net = ast.NetworkDef(
        name="n",
        body=(
            ast.Input(kind="frames", args=C.args(2, 8, 8), steps=C.num(4)),
            ast.PopDecl(
                names=("a",),
                neuron=ast.NeuronRef(name="LIF", args=C.args(tau_mem=2, v_th=0.25, reset="soft")),
            ),
            ast.Edge(
                src=C.ref("in"),
                arrow="->",
                dst=C.ref("a"),
                ops=(C.call("conv", 3, 4, bias=True), C.call("flatten")),
            ),
            ast.Readout(ref=C.ref("a"), over="mean"),
        ),
    )
    module = ast.Module(path="<built>", items=(net,), comments=(C.comment("built"),))
    text = format_module(module)
    assert text.startswith("# built\nnetwork n {\n")
    assert "conv(3, 4, bias: true) | flatten" in text and "v_th: 0.25, reset: soft" in text
    assert parse(text).items == module.items
    assert C.num(1e-5).text == "1e-05" and C.num(2.0).text == "2.0"
    assert snarc.elaborate(text).graph["timesteps"] == 4
