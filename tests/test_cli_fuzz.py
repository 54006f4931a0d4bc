"""A fuzz test of the command line's argument surface (hypothesis).

Every subcommand and every flag the parser knows (read from the parser itself, so a new
flag is fuzzed without editing this file) gets hostile values: numbers out of range,
NaN and infinities, odd text, and paths to hostile files (binary, empty, a directory, a
link, a huge program, a malicious dataset). Whatever comes, snarc exits with 0 or a
clean error (status 1, or 2 from argparse) and never shows a traceback or reaches its
internal-error handler. Commands that could run long are steered to hostile data so
that they fail fast, and a small memory ceiling bounds the rest.
"""

import argparse
import contextlib
import io
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planted import Plant

from snarc.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def world(tmp_path_factory, ndigits_cache):
    """Files and directories the fuzzer may name."""
    d = tmp_path_factory.mktemp("fuzz")
    marker = d / "pwned"
    (d / "good.snarc").write_text((ROOT / "examples" / "ndigits_conv.snarc").read_text())
    (d / "huge.snarc").write_text(
        "network huge { input frames(1, 100000, 100000) steps 8; a : LIF(); "
        "in -> a : conv(3, 4); readout a over mean }\n"
    )
    (d / "lib.snarc").write_text("neuron lif = LIF()\n")
    (d / "bad.snarc").write_text("network n { in -> : }\n")
    (d / "binary.snarc").write_bytes(os.urandom(256))
    (d / "empty.snarc").write_bytes(b"")
    (d / "escape.snarc").write_text('import "../../../../proc/self/environ"\n')
    (d / "evil.pt").write_bytes(pickle.dumps({"model": Plant(marker)}))
    (d / "space.lark").write_bytes(b"start: \xff\xfe")
    (d / "adir").mkdir()
    (d / "link.snarc").symlink_to(d / "good.snarc")
    cifar = d / "cifar" / "cifar-10-batches-py"
    cifar.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (cifar / name).write_bytes(pickle.dumps(Plant(marker)))
    empty = d / "emptycifar" / "cifar-10-batches-py"
    empty.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (empty / name).write_bytes(
            pickle.dumps({"data": np.zeros((0, 3072), np.uint8), "labels": []})
        )
    run = d / "run"
    run.mkdir()
    (run / "store.sqlite").write_bytes(os.urandom(2048))
    return d


def _files(d: Path) -> list[str]:
    names = ["good.snarc", "huge.snarc", "lib.snarc", "bad.snarc", "binary.snarc",
             "empty.snarc", "escape.snarc", "evil.pt", "space.lark", "adir", "link.snarc",
             "run", "missing.snarc"]  # fmt: skip
    return [str(d / n) for n in names] + ["-", "", "/proc/self/environ", "\x00", "../" * 12]


HOSTILE_DATA = ["cifar10:{d}/cifar", "cifar10:{d}/emptycifar", "nmnist:{d}/adir",
                "dvsgesture:{d}/missing", "cifar10dvs:{d}", "imagenet:{d}", "cifar10", ":"]  # fmt: skip
# data is steered to these for commands that would otherwise load and train on N-Digits
STEER = {"train", "score", "evolve", "halving", "bench build", "supernet train", "evolve-genes"}


def _values(d: Path):
    numbers = st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(
            [
                "nan",
                "-nan",
                "inf",
                "-inf",
                "0",
                "-0",
                "1e400",
                "0x10",
                "1_000",
                "",
                " ",
                "1.5",
                "-1",
                "2",
                "3",
                "10",
            ]
        ),  # fmt: skip
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )
    text = st.text(min_size=0, max_size=12)
    return st.one_of(numbers, text, st.sampled_from(_files(d)), st.sampled_from(
        [s.format(d=d) for s in HOSTILE_DATA] + ["micro=nan", "micro=1,meso=x", "RULE=x",
                                                 "8G", "1K", "lots", "msenas", "autosnn"]
    ))  # fmt: skip


# values a flag's type accepts, so that fuzzing reaches past argparse to the command
PLAUSIBLE = {
    "positive_int": ["1", "2", "3", "8"],
    "non_negative_int": ["0", "1", "2"],
    "seed": ["0", "1", "7"],
    "time_bins": ["1", "4", "8"],
    "positive_float": ["0.5", "1", "2.0"],
    "non_negative_float": ["0", "0.5", "1"],
    "probability": ["0", "0.5", "1"],
    "fraction_below_one": ["0", "0.1"],
    "size": ["1K", "64M", "8G"],
}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    out = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _subparsers(sub)
                if nested:
                    out.update({f"{name} {k}": v for k, v in nested.items()})
                else:
                    out[name] = sub
    return out


PARSERS = _subparsers(build_parser())


@st.composite
def argv(draw, d: Path):
    command = draw(st.sampled_from(sorted(PARSERS)))
    sub = PARSERS[command]
    values = _values(d)
    args = command.split()
    for action in sub._actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        if not action.option_strings:  # positionals
            if action.nargs in ("?", "*") and draw(st.booleans()):
                continue
            if action.choices:
                args.append(draw(st.sampled_from(sorted(action.choices))))
            else:
                args.append(draw(st.sampled_from(_files(d))))
            continue
        if not action.required and draw(st.integers(0, 5)) != 0:  # a flag in 1 draw of 6
            continue
        flag = draw(st.sampled_from(action.option_strings))
        if action.nargs == 0:
            args.append(flag)
        elif action.choices:
            args += [flag, draw(st.one_of(st.sampled_from(sorted(action.choices)), values))]
        elif getattr(action.type, "__name__", None) in PLAUSIBLE and draw(st.booleans()):
            args += [flag, draw(st.sampled_from(PLAUSIBLE[action.type.__name__]))]
        else:
            args += [flag, draw(values)]
    if command in STEER:
        args += ["--data", draw(st.sampled_from([s.format(d=d) for s in HOSTILE_DATA]))]
    if args[0] == "data":
        args += ["--limit", "20"]
    return args


@pytest.fixture(scope="module")
def bounded(world):
    saved = {k: os.environ.get(k) for k in ("SNARC_MAX_MEMORY", "SNARC_POOL_STALL")}
    os.environ["SNARC_MAX_MEMORY"] = "256M"  # a valid run stays small
    cwd = os.getcwd()
    os.chdir(world)  # relative outputs (out/, FILE-SCALE.svg) land in the sandbox
    yield world
    os.chdir(cwd)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
            code = exit_.code
    return code, err.getvalue()


def test_the_cli_never_shows_a_traceback(bounded):
    d = bounded

    @settings(
        max_examples=int(os.environ.get("SNARC_FUZZ_EXAMPLES", "120")),
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(argv(d))
    def check(args):
        code, err = _run(args)
        assert code in (0, 1, 2, 130), (args, code, err)
        assert "Traceback" not in err, (args, err)
        assert "internal error" not in err, (args, err)
        assert not (d / "pwned").exists(), args

    check()


@pytest.mark.parametrize(
    "args",
    [
        ["check", "{d}/escape.snarc"],
        ["score", "{d}/good.snarc", "--data", "cifar10:{d}/cifar"],
        ["export", "{d}/good.snarc", "-o", "{d}/o.nir", "--weights", "{d}/evil.pt"],
        ["runs", "show", "{d}/run"],
        ["evolve", "--resume", "{d}/run"],
        ["train", "{d}/huge.snarc"],
        ["data", "ndigits", "--steps", "1000000000", "--preview", "{d}/p.png"],
        ["compile", "{d}/good.snarc", "--batch", "100000000"],
        ["--lib-dir", "{d}/missing", "check", "{d}/good.snarc"],
    ],
)
def test_known_hostile_invocations(bounded, args):
    code, err = _run([a.format(d=bounded) for a in args])
    assert code in (1, 2) and err, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert not (bounded / "pwned").exists()
