"""Golden error messages: every bad program gives its class, line, column and message."""

import subprocess
import sys

import pytest

import snarc
from snarc.dsl import errors as E

HEAD = "neuron lif = LIF()\n"


def net(body: str, readout: str = "  readout a over mean\n") -> str:
    return HEAD + "network n {\n  input image(3, 8, 8) steps 2\n" + body + readout + "}\n"


def with_neuron(neuron: str) -> str:
    return (
        f"neuron lif = {neuron}\nnetwork n {{\n  input image(3, 8, 8) steps 2\n"
        "  a : lif\n  in -> a : conv(3, 4)\n  readout a over mean\n}\n"
    )


def motif_net(motif_body: str, cell: str = "cell c = m(4) from in") -> str:
    return (
        HEAD
        + "motif m(c) {\n"
        + motif_body
        + "}\nnetwork n {\n  input image(3, 8, 8) steps 2\n  "
        + cell
        + "\n  readout c over mean\n}\n"
    )


# (name, source, error class, line, column, message fragment)
CASES = [
    (
        "missing_paren",
        HEAD + "network n {\n  input image(3, 8, 8 steps 2\n}\n",
        E.SnarcSyntaxError,
        3,
        23,
        "unexpected 'steps'",
    ),
    (
        "bad_char",
        net("  a : lif\n  in -> a : conv(3, 4) $\n"),
        E.SnarcSyntaxError,
        5,
        24,
        "unexpected character '$'",
    ),
    (
        "eof",
        "network n {\n  input image(3, 8, 8) steps 2\n",
        E.SnarcSyntaxError,
        2,
        31,
        "unexpected end of file",
    ),
    (
        "bad_arrow",
        net("  a : lif\n  in --> a : conv(3, 4)\n"),
        E.SnarcSyntaxError,
        5,
        6,
        "unexpected '-'",
    ),
    (
        "two_signs",
        net("  a : lif\n  in -> a : conv(3, 4) excitatory inhibitory\n"),
        E.SnarcSyntaxError,
        5,
        35,
        "an edge has one sign",
    ),
    (
        "missing_colon",
        net("  a : lif\n  in -> a conv(3, 4)\n"),
        E.SnarcSyntaxError,
        5,
        11,
        "unexpected name 'conv'",
    ),
    (
        "two_statements_one_line",
        HEAD + "network n { input image(3, 8, 8) steps 2 a : lif\n}\n",
        E.SnarcSyntaxError,
        2,
        42,
        "unexpected name 'a'",
    ),
    (
        "unknown_motif",
        HEAD + "network n {\n  input image(3, 8, 8) steps 2\n  cell c = srbb(4)\n"
        "  readout c over mean\n}\n",
        E.SnarcNameError,
        4,
        12,
        "unknown motif 'srbb'",
    ),
    (
        "unknown_pop",
        net("  a : lif\n  in -> b : conv(3, 4)\n"),
        E.SnarcNameError,
        5,
        9,
        "unknown population or cell 'b'",
    ),
    (
        "unknown_neuron",
        net("  a : lfi\n  in -> a : conv(3, 4)\n"),
        E.SnarcNameError,
        4,
        7,
        "unknown neuron 'lfi'",
    ),
    (
        "unknown_model",
        with_neuron("LIFF()"),
        E.SnarcNameError,
        1,
        14,
        "unknown neuron model 'LIFF'",
    ),
    (
        "unknown_op",
        net("  a : lif\n  in -> a : convv(3, 4)\n"),
        E.SnarcNameError,
        5,
        13,
        "unknown operation 'convv'",
    ),
    (
        "op_kwarg",
        net("  a : lif\n  in -> a : conv(3, 4, strid: 2)\n"),
        E.SnarcTypeError,
        5,
        24,
        "conv() has no argument 'strid'",
    ),
    (
        "op_missing_arg",
        net("  a : lif\n  in -> a : conv(3)\n"),
        E.SnarcTypeError,
        5,
        13,
        "conv() is missing its argument 'channels'",
    ),
    (
        "op_too_many",
        net("  a : lif\n  in -> a : maxpool(2, 2, 0, 1)\n"),
        E.SnarcTypeError,
        5,
        30,
        "maxpool() takes at most 3 arguments, got 4",
    ),
    (
        "negative_channels",
        net("  a : lif\n  in -> a : conv(3, -4)\n"),
        E.SnarcValueError,
        5,
        21,
        "'channels' must be >= 1, got -4",
    ),
    (
        "fractional_channels",
        net("  a : lif\n  in -> a : conv(3, 4.5)\n"),
        E.SnarcTypeError,
        5,
        21,
        "'channels' must be a whole number, got 4.5",
    ),
    (
        "zero_steps",
        HEAD + "network n {\n  input image(3, 8, 8) steps 0\n  a : lif\n"
        "  in -> a : conv(3, 4)\n  readout a over mean\n}\n",
        E.SnarcValueError,
        3,
        30,
        "steps must be at least 1, got 0",
    ),
    (
        "sum_shapes",
        net("  a : lif\n  in -> a : conv(3, 4)\n  in -> a : conv(3, 8)\n"),
        E.SnarcShapeError,
        6,
        3,
        "cannot sum the inputs of 'a': (4, 8, 8)",
    ),
    (
        "concat_shapes",
        net("  a : lif merge concat\n  in -> a : conv(3, 4)\n  in -> a : conv(3, 8, stride: 2)\n"),
        E.SnarcShapeError,
        6,
        3,
        "cannot concatenate the inputs of 'a'",
    ),
    (
        "cycle",
        net("  a, b : lif\n  in -> a : conv(3, 4)\n  a -> b : conv(3, 4)\n  b -> a : conv(3, 4)\n"),
        E.SnarcCycleError,
        6,
        3,
        "cycle with no delay: a -> b -> a",
    ),
    (
        "tau_below_dt",
        with_neuron("LIF(tau_mem: 0.5)"),
        E.SnarcValueError,
        1,
        27,
        "'tau_mem' (0.5) must be at least the time step dt (1)",
    ),
    (
        "bad_reset",
        with_neuron("LIF(reset: medium)"),
        E.SnarcValueError,
        1,
        25,
        "'reset' must be one of hard, soft, got name 'medium'",
    ),
    (
        "bad_surrogate",
        with_neuron("LIF(surrogate: atann(2.0))"),
        E.SnarcValueError,
        1,
        29,
        "unknown surrogate gradient 'atann'",
    ),
    (
        "threshold_below_reset",
        with_neuron("LIF(v_th: 0.0, v_reset: 0.5)"),
        E.SnarcValueError,
        1,
        24,
        "v_th (0) must be above v_reset (0.5)",
    ),
    (
        "too_large",
        net(
            "  a, b : lif\n  in -> a : conv(3, 100000)\n  a -> b : conv(3, 100000)\n",
            "  readout b over mean\n",
        ),
        E.SnarcResourceError,
        2,
        1,
        "over the ceiling of 100,000,000",
    ),
    (
        "declared_twice",
        net("  a : lif\n  a : lif\n  in -> a : conv(3, 4)\n"),
        E.SnarcNameError,
        5,
        3,
        "'a' is declared twice",
    ),
    (
        "into_in",
        net("  a : lif\n  a -> in : conv(3, 4)\n"),
        E.SnarcValueError,
        5,
        8,
        "'in' is an input",
    ),
    (
        "no_input",
        HEAD + "network n {\n  a : lif\n  readout a over mean\n}\n",
        E.SnarcValueError,
        2,
        1,
        "network 'n' has no input",
    ),
    (
        "no_readout",
        HEAD
        + "network n {\n  input image(3, 8, 8) steps 2\n  a : lif\n  in -> a : conv(3, 4)\n}\n",
        E.SnarcValueError,
        2,
        1,
        "network 'n' has no readout",
    ),
    (
        "motif_without_out",
        motif_net("  a : lif\n  in -> a : conv(3, c)\n"),
        E.SnarcValueError,
        2,
        1,
        "motif 'm' has no 'out'",
    ),
    (
        "motif_arity",
        motif_net("  a : lif\n  in -> a : conv(3, c)\n  out a\n", "cell c = m(4, 5) from in"),
        E.SnarcTypeError,
        9,
        17,
        "motif m() takes 1 argument, got 2",
    ),
    (
        "motif_missing_arg",
        motif_net("  a : lif\n  in -> a : conv(3, c)\n  out a\n", "cell c = m() from in"),
        E.SnarcTypeError,
        9,
        12,
        "motif m() is missing its argument 'c'",
    ),
    (
        "motif_recursion",
        motif_net("  cell x = m(c) from in\n  out x\n"),
        E.SnarcValueError,
        3,
        3,
        "motif 'm' instantiates itself",
    ),
    (
        "shape_in_motif",
        motif_net("  a : lif\n  in -> a : conv(3, c)\n  in -> a : conv(3, c * 2)\n  out a\n"),
        E.SnarcShapeError,
        5,
        3,
        "cannot sum the inputs of 'c.a'",
    ),
    (
        "kernel_too_big",
        net("  a : lif\n  in -> a : conv(9, 4, padding: 0)\n"),
        E.SnarcShapeError,
        5,
        13,
        "a 9x9 kernel with stride 1 and padding 0 does not fit a 8x8 input",
    ),
    (
        "conv_after_linear",
        net(
            "  a, b : lif\n  in -> a : linear(10)\n  a -> b : conv(3, 4)\n",
            "  readout b over mean\n",
        ),
        E.SnarcShapeError,
        6,
        12,
        "conv: needs a (channels, height, width) map or a (channels, length) signal, got shape (10,)",
    ),
    (
        "feedback_shape",
        net(
            "  a, b : lif\n  in -> a : conv(3, 4)\n  a -> b : conv(3, 8)\n  b ~> a : conv(3, 8)\n",
            "  readout b over mean\n",
        ),
        E.SnarcShapeError,
        7,
        3,
        "feedback connection b ~> a gives shape (8, 8, 8)",
    ),
    (
        "only_feedback",
        net("  a, b : lif\n  in -> a : conv(3, 4)\n  b ~> a : conv(3, 4)\n"),
        E.SnarcValueError,
        4,
        6,
        "population 'b' has no feed-forward input",
    ),
    (
        "genetic_without_weights",
        net("  a : lif\n  in -> a : maxpool(2) genetic(rank: 4)\n"),
        E.SnarcValueError,
        5,
        24,
        "genetic encoding needs exactly one conv or linear",
    ),
    (
        "genetic_rank",
        net("  a : lif\n  in -> a : conv(3, 4) genetic(rank: 0)\n"),
        E.SnarcValueError,
        5,
        38,
        "'rank' must be >= 1, got 0",
    ),
    (
        "gene_pool_ranks",
        net(
            "  a, b : lif\n  in -> a : conv(3, 4) genetic(rank: 4, pool: p)\n"
            "  a -> b : conv(3, 4) genetic(rank: 8, pool: p)\n",
            "  readout b over mean\n",
        ),
        E.SnarcValueError,
        6,
        23,
        "gene pool 'p' mixes ranks 4 and 8",
    ),
    (
        "division_by_zero",
        net("  a : lif\n  in -> a : conv(3, 4 / 0)\n"),
        E.SnarcValueError,
        5,
        21,
        "division by zero",
    ),
    (
        "bad_merge",
        net("  a : lif merge max\n  in -> a : conv(3, 4)\n"),
        E.SnarcValueError,
        4,
        17,
        "unknown merge rule 'max'",
    ),
    (
        "missing_std_module",
        "import std.nothing\n" + HEAD,
        E.SnarcImportError,
        1,
        1,
        "no standard library module 'std.nothing'",
    ),
    (
        "import_by_bare_name",
        "import foo.bar\n" + HEAD,
        E.SnarcImportError,
        1,
        1,
        "cannot import 'foo.bar'",
    ),
    (
        "readout_mode",
        HEAD + "network n {\n  input image(3, 8, 8) steps 2\n  a : lif\n  in -> a : conv(3, 4)\n"
        "  readout a over median\n}\n",
        E.SnarcValueError,
        6,
        3,
        "unknown readout mode 'median'",
    ),
    (
        "frames_encoding",
        HEAD + "network n {\n  input frames(2, 8, 8) steps 2 encode rate\n  a : lif\n"
        "  in -> a : conv(3, 4)\n  readout a over mean\n}\n",
        E.SnarcValueError,
        3,
        3,
        "frames input cannot be encoded as 'rate'",
    ),
    (
        "groups",
        net("  a : lif\n  in -> a : conv(3, 4, groups: 2)\n"),
        E.SnarcShapeError,
        5,
        13,
        "input channels (3) are not divisible by groups (2)",
    ),
    (
        "vote_groups",
        net("  a : lif\n  b : none\n  in -> a : linear(10)\n  a -> b : vote(3)\n"),
        E.SnarcShapeError,
        7,
        12,
        "10 features cannot be split into groups of 3",
    ),
    (
        "reserved_name",
        net("  a, out : lif\n  in -> a : conv(3, 4)\n"),
        E.SnarcNameError,
        4,
        6,
        "'out' is a reserved name",
    ),
    (
        "neuron_as_motif",
        net("  a : lif\n  in -> a : conv(3, 4)\n  cell x = lif(3) from a\n"),
        E.SnarcTypeError,
        6,
        12,
        "'lif' is a neuron, not a motif",
    ),
    (
        "two_networks",
        HEAD + "network a {\n}\nnetwork b {\n}\n",
        E.SnarcValueError,
        4,
        1,
        "a file holds at most one network",
    ),
]


@pytest.mark.parametrize(
    "source, cls, line, column, fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_golden_error(source, cls, line, column, fragment):
    with pytest.raises(cls) as info:
        snarc.elaborate(source)
    err = info.value
    assert isinstance(err, E.SnarcError)
    assert (err.line, err.column) == (line, column), err.report()
    assert fragment in err.message, err.report()
    report = err.report()
    # FILE:LINE:COL: ... then the source line and a caret under the construct
    head, source_line, caret = report.splitlines()[:3]
    assert head.startswith(f"<string>:{line}:{column}: ")
    assert source_line.split(" | ", 1)[1] == source.splitlines()[line - 1]
    assert caret.split(" | ", 1)[1].index("^") == column - 1


def test_at_least_25_cases():
    assert len(CASES) >= 25


def test_error_in_motif_names_the_instance():
    src = dict((c[0], c[1]) for c in CASES)["shape_in_motif"]
    with pytest.raises(E.SnarcShapeError) as info:
        snarc.elaborate(src)
    assert "in cell 'c', an instance of motif 'm'" in info.value.report()


def test_syntax_error_lists_what_was_expected():
    src = dict((c[0], c[1]) for c in CASES)["missing_paren"]
    with pytest.raises(E.SnarcSyntaxError) as info:
        snarc.parse(src)
    assert "')'" in info.value.expected


def test_cli_reports_without_traceback(tmp_path):
    bad = tmp_path / "bad.snarc"
    bad.write_text(dict((c[0], c[1]) for c in CASES)["cycle"])
    for cmd in (["check", str(bad)], ["summary", str(bad)], ["summary", "--json", str(bad)]):
        proc = subprocess.run([sys.executable, "-m", "snarc", *cmd], capture_output=True, text=True)
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith(f"{bad}:6:3: error: cycle with no delay")
    missing = subprocess.run(
        [sys.executable, "-m", "snarc", "check", str(tmp_path / "nope.snarc")],
        capture_output=True,
        text=True,
    )
    assert (
        missing.returncode == 1
        and "Traceback" not in missing.stderr
        and "no such file" in missing.stderr
    )
