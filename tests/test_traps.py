"""Silent traps for users of PyTorch, snnTorch and Norse (issue 18): each is named."""

import pytest

import snarc
from snarc.dsl.errors import SnarcSyntaxError


def _net(edge: str, pop: str = "a : LIF()") -> str:
    return f"network n {{\n  input frames(2, 8, 8) steps 4\n  {pop}\n  {edge}\n  readout a over mean\n}}\n"


def test_optional_arguments_by_position_are_read_aloud():
    g = snarc.elaborate(_net("in -> a : conv(2, 12, 5)"))
    (w,) = g.graph["warnings"]
    assert str(w.message) == "conv(2, 12, 5) reads as kernel 2, channels 12, stride 5"
    assert "conv(2, 12, stride: 5)" in w.hint and "you may have meant conv(5, 12)" in w.hint
    assert (w.line, w.column) == (4, 13)
    # required arguments by position, the rest by name: no warning
    assert not snarc.elaborate(_net("in -> a : conv(2, 12, stride: 5)")).graph["warnings"]


def test_a_motif_instantiated_twice_warns_once_per_call_site():
    src = (
        "motif m(c) {\n  a : LIF()\n  in -> a : conv(3, c, 1)\n  out a\n}\n"
        "network n {\n  input frames(2, 8, 8) steps 4\n  cell x = m(4) from in\n"
        "  cell y = m(4) from x\n  readout y over mean\n}\n"
    )
    warnings = [w for w in snarc.elaborate(src).graph["warnings"] if "reads as" in w.message]
    assert len(warnings) == 1


@pytest.mark.parametrize(
    "pop, word",
    [
        ("out : LIF()", "out"),
        ("in : LIF()", "in"),
        ("neuron, b : LIF()", "neuron"),
    ],
)
def test_a_reserved_word_as_a_name_is_named(pop, word):
    with pytest.raises(SnarcSyntaxError) as err:
        snarc.elaborate(_net("in -> a : conv(3, 4)", pop=f"{pop}\n  a2 : LIF()"))
    assert f"'{word}' is a reserved word" in err.value.hint


def test_an_ordinary_syntax_error_gets_no_reserved_word_hint():
    with pytest.raises(SnarcSyntaxError) as err:
        snarc.elaborate(_net("in -> a : conv(3, 4))"))
    assert err.value.hint is None


def test_one_or_two_positional_numbers_are_not_a_trap():
    for edge in ("in -> a : conv(3, 4) | dropout(0.5)", "in -> a : avgpool(2) | conv(3, 4)"):
        assert not snarc.elaborate(_net(edge)).graph["warnings"]


def test_biases_are_a_choice_the_summary_shows():
    g = snarc.elaborate(
        _net(
            "in -> a : conv(3, 4, bias: true)", pop="a : LIF()\n  b : LIF()\n  a -> b : conv(3, 4)"
        ).replace("readout a", "readout b")
    )
    data = snarc.summary(g)
    assert data["biases"] == {"on": 1, "weighted_connections": 2}
    assert [e["bias"] for e in data["edges"]] == [False, True, None]  # a -> b comes first


MANY = """\
network many {
  input frames(2, 8, 8) steps 4
  a : LIF(tau_mem: 0.5)
  b : lif
  c : LIF()
  in -> a : conv(3, 4)
  a -> b : conv(3, 4)
  b -> c : conv(3, 4, strid: 2)
  c -> d : conv(3, 4)
  readout c over mean
}
"""


def test_every_independent_error_of_a_file_is_reported():
    """issue 18: not only the first error. The unknown neuron of b is reported once:
    its edges are not reported again (b is declared all the same)."""
    with pytest.raises(snarc.SnarcError) as info:
        snarc.elaborate(MANY)
    err = info.value
    assert [(e.line, type(e).__name__) for e in err.all] == [
        (3, "SnarcValueError"),  # tau_mem below dt
        (4, "SnarcNameError"),  # unknown neuron 'lif'
        (8, "SnarcTypeError"),  # conv has no argument 'strid'
        (9, "SnarcNameError"),  # unknown population 'd'
    ]
    report = err.report()
    assert report.endswith("4 errors") and report.count("error:") == 4
    assert isinstance(err, snarc.dsl.SnarcValueError)  # raised as the first one's class


def test_a_cell_whose_motif_fails_is_reported_once(tmp_path):
    src = (
        "motif m(c) {\n  a : LIF()\n  in -> a : conv(3, c, padd: 1)\n  out a\n}\n"
        "network n {\n  input frames(2, 8, 8) steps 4\n  cell x = m(4) from in\n"
        "  cell y = m(4) from x\n  o : LI()\n  y -> o : flatten | linear(3)\n"
        "  readout o over mean\n}\n"
    )
    with pytest.raises(snarc.SnarcError) as info:
        snarc.elaborate(src)
    assert len(info.value.all) == 1 and "has no argument 'padd'" in info.value.message


def test_a_library_file_reports_each_broken_motif():
    lib = (
        "motif m1(c) {\n  a : LIF()\n  in -> a : conv(3, c)\n}\n"
        "motif m2(c) {\n  a : nrn\n  in -> a : conv(3, c)\n  out a\n}\n"
    )
    with pytest.raises(snarc.SnarcError) as info:
        snarc.elaborate(lib)
    assert [e.line for e in info.value.all] == [1, 6]
