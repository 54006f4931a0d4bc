"""Security: no code runs from data snarc reads, no file outside what a program may
import is read or echoed, no name from a store becomes a path outside the run, and no
write or deletion goes through a planted link. Each test plants the attack that worked
on main before the hardening."""

import json
import os
import pickle
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from planted import Plant

from snarc.cli.main import main
from snarc.data.cifar_pickle import UnsafePickle, load_batch
from snarc.data.real import CIFAR10, DatasetError
from snarc.dsl import Loader, SnarcImportError, elaborate
from snarc.evolution.store import Store, StoreError

ROOT = Path(__file__).resolve().parent.parent


def _cifar_dir(root: Path, poison: bytes | None = None, rows: int = 4) -> Path:
    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {  # as the real files hold them: Python 2 pickles with bytes keys
            b"batch_label": b"training batch",
            b"labels": [int(v) for v in rng.integers(0, 10, rows)],
            b"data": rng.integers(0, 256, (rows, 3072), dtype=np.uint8),
            b"filenames": [b"x.png"] * rows,
        }
        (base / name).write_bytes(pickle.dumps(batch, protocol=2))
    if poison is not None:
        (base / "data_batch_1").write_bytes(poison)
    return root


# ---------------------------------------------------------------- 1. CIFAR-10 pickles


def test_a_real_cifar_batch_loads_through_the_restricted_unpickler(tmp_path):
    ds = CIFAR10(_cifar_dir(tmp_path), train=True)
    assert len(ds) == 20 and ds.images.dtype == np.uint8
    # NumPy 2's default protocol (5: _frombuffer) loads as well
    data = {"data": np.zeros((2, 3072), np.uint8), "labels": [1, 2]}
    images, labels = load_batch(pickle.dumps(data, protocol=5))
    assert images.shape == (2, 3, 32, 32) and labels.tolist() == [1, 2]


@pytest.mark.parametrize(
    "payload",
    [
        "a bare callable",
        "inside the batch dict",
        "an object array",
    ],
)
def test_a_malicious_cifar_pickle_runs_nothing(tmp_path, payload):
    marker = tmp_path / "pwned"
    evil = {
        "a bare callable": Plant(marker),
        "inside the batch dict": {"data": np.zeros((1, 3072), np.uint8), "labels": [Plant(marker)]},
        "an object array": {"data": np.array([Plant(marker)], dtype=object), "labels": [0]},
    }[payload]
    root = _cifar_dir(tmp_path / "d", poison=pickle.dumps(evil, protocol=2))
    with pytest.raises(DatasetError, match="data_batch_1"):
        CIFAR10(root, train=True)
    with pytest.raises(UnsafePickle):
        load_batch(pickle.dumps(evil, protocol=2))
    assert not marker.exists()


def test_score_on_a_malicious_cifar_directory_runs_nothing(tmp_path, capsys):
    marker = tmp_path / "pwned"
    root = _cifar_dir(tmp_path / "d", poison=pickle.dumps(Plant(marker)))
    prog = tmp_path / "c.snarc"
    prog.write_text(
        "network c { input image(3, 32, 32) steps 2; a : LIF(); in -> a : conv(3, 4); "
        "readout a over mean }\n"
    )
    assert main(["score", str(prog), "--data", f"cifar10:{root}", "--batch", "10"]) == 1
    err = capsys.readouterr().err
    assert "refused to load 'io.open'" in err and "Traceback" not in err
    assert not marker.exists()


# ---------------------------------------------------------------- 2. the Lark cache


def _check(env: dict, *files) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snarc", "check", *map(str, files)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_the_parser_cache_lives_in_a_private_directory_never_in_tmp(tmp_path):
    cache, tmp = tmp_path / "cache", tmp_path / "tmp"
    tmp.mkdir()
    env = {"SNARC_CACHE": str(cache), "TMPDIR": str(tmp)}
    proc = _check(env, ROOT / "examples" / "ndigits_conv.snarc")
    assert proc.returncode == 0, proc.stderr
    assert list(tmp.iterdir()) == []  # nothing in the shared temporary directory
    files = list(cache.glob("*.lark.pickle"))
    assert len(files) == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


def _evil_cache(marker: Path) -> bytes:
    # Lark reads one line (a digest), then unpickles: a planted file runs code there
    return b"0" * 32 + b"\n" + pickle.dumps(Plant(marker))


def test_a_planted_cache_file_is_never_unpickled(tmp_path):
    cache = tmp_path / "cache"
    env = {"SNARC_CACHE": str(cache)}
    assert _check(env, ROOT / "examples" / "ndigits_conv.snarc").returncode == 0
    (cached,) = cache.glob("*.lark.pickle")
    marker = tmp_path / "pwned"
    # a file others could write: removed and rebuilt, never read
    cached.write_bytes(_evil_cache(marker))
    cached.chmod(0o666)
    proc = _check(env, ROOT / "examples" / "ndigits_conv.snarc")
    assert proc.returncode == 0 and not marker.exists()
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    # a link in place of the file: not followed
    victim = tmp_path / "victim.pickle"
    victim.write_bytes(_evil_cache(marker))
    cached.unlink()
    cached.symlink_to(victim)
    assert _check(env, ROOT / "examples" / "ndigits_conv.snarc").returncode == 0
    assert not marker.exists() and victim.read_bytes() == _evil_cache(marker)
    # a directory others can write: no cache at all
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    (cached,) = cache.glob("*.lark.pickle")
    (shared / cached.name).write_bytes(_evil_cache(marker))
    (shared / cached.name).chmod(0o600)
    proc = _check({"SNARC_CACHE": str(shared)}, ROOT / "examples" / "ndigits_conv.snarc")
    assert proc.returncode == 0 and not marker.exists()


# ---------------------------------------------------------------- 3. imports


def test_an_import_cannot_read_or_echo_a_file_outside_the_program(tmp_path, capsys):
    secret = tmp_path / "secret.snarc"
    secret.write_text("TOP-SECRET-VALUE is not a program\n")
    prog_dir = tmp_path / "prog"
    prog_dir.mkdir()
    for target in ("../../../proc/self/environ", "../secret.snarc", str(secret), "/etc/passwd"):
        prog = prog_dir / "p.snarc"
        prog.write_text(f'import "{target}"\nnetwork n {{ input vector(4) steps 1 }}\n')
        assert main(["check", str(prog)]) == 1
        err = capsys.readouterr().err
        assert "cannot import" in err and "p.snarc:1:1" in err
        assert "TOP-SECRET" not in err and "PATH=" not in err and "root:" not in err
    # a link inside the tree that points outside it is judged by where it points
    (prog_dir / "inside.snarc").symlink_to(secret)
    prog.write_text('import "inside.snarc"\nnetwork n { input vector(4) steps 1 }\n')
    assert main(["check", str(prog)]) == 1
    err = capsys.readouterr().err
    assert "outside the program's directory" in err and "TOP-SECRET" not in err


def test_imports_read_the_program_tree_and_the_library_path(tmp_path, monkeypatch, capsys):
    lib = tmp_path / "lib"
    (lib / "sub").mkdir(parents=True)
    (lib / "blocks.snarc").write_text('import "sub/more.snarc"\nneuron lif = LIF(tau_mem: 2.0)\n')
    (lib / "sub" / "more.snarc").write_text("neuron lif2 = LIF(tau_mem: 3.0)\n")
    prog_dir = tmp_path / "prog"
    (prog_dir / "local").mkdir(parents=True)
    (prog_dir / "local" / "mine.snarc").write_text("neuron mine = IF()\n")
    prog = prog_dir / "p.snarc"
    prog.write_text(
        'import "blocks.snarc"\nimport "local/mine.snarc"\n'
        "network n { input vector(4) steps 1; a : lif; in -> a : linear(3); readout a over mean }\n"
    )
    with pytest.raises(SnarcImportError, match='"blocks.snarc": no such file'):
        elaborate(prog, loader=Loader(lib_dirs=[]))
    assert elaborate(prog, loader=Loader(lib_dirs=[lib])) is not None
    monkeypatch.setenv("SNARC_PATH", str(lib))
    assert elaborate(prog) is not None
    monkeypatch.delenv("SNARC_PATH")
    assert main(["--lib-dir", str(lib), "check", str(prog)]) == 0
    assert "SNARC_PATH" not in os.environ  # set for the command's duration only
    # only .snarc files are imported
    prog.write_text('import "notes.txt"\nnetwork n { input vector(4) steps 1 }\n')
    (prog_dir / "notes.txt").write_text("x")
    assert main(["check", str(prog)]) == 1
    assert "imports name snarc files" in capsys.readouterr().err


# ---------------------------------------------------------------- 4 and 5. run directories

SPACE = """\
// @macro
start: "neuron lif = LIF(tau_mem: 2.0, v_th: 0.5); network tiny { input frames(2, 16, 16) steps 2;" body "}"
body: "a : lif; in -> a : conv(3," c ") | bn; cell g = avgpool(4) from a; o : LI(); g -> o : linear(10); readout o over mean;"
// @micro
c: "4" | "8"
"""


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, ndigits_cache):
    base = tmp_path_factory.mktemp("run")
    space = base / "s.lark"
    space.write_text(SPACE)
    out = base / "run"
    rc = main(["evolve", "--space", str(space), "--fitness", "rdm,params", "--population", "2",
               "--generations", "0", "--batch", "20", "--limit", "40", "--executor", "serial",
               "--quiet", "--out", str(out)])  # fmt: skip
    assert rc == 0
    return out


def _copy_run(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_a_crafted_genome_id_is_refused_not_used_as_a_path(small_run, tmp_path, capsys):
    run = _copy_run(small_run, tmp_path / "run")
    db = sqlite3.connect(run / "store.sqlite")
    (h,) = db.execute("SELECT hash FROM genomes LIMIT 1").fetchone()
    evil = "../../../../escaped"
    db.execute("UPDATE genomes SET hash = ? WHERE hash = ?", (evil, h))
    db.execute("UPDATE populations SET hash = ? WHERE hash = ?", (evil, h))
    db.commit()
    db.close()
    for argv in (
        ["evolve", "--resume", str(run)],
        ["runs", "show", str(run)],
        ["train", "--from-run", str(run), "--epochs", "1"],
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "not 16 hex digits" in err and "Traceback" not in err
    assert not list(tmp_path.rglob("*escaped*"))
    with Store.open(run) as st, pytest.raises(StoreError):
        st.records()


def test_a_linked_front_directory_is_refused_and_its_target_kept(small_run, tmp_path, capsys):
    run = _copy_run(small_run, tmp_path / "run")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.snarc").write_text("keep me\n")
    import shutil

    shutil.rmtree(run / "front")
    (run / "front").symlink_to(victim, target_is_directory=True)
    assert main(["evolve", "--resume", str(run)]) == 1
    assert "symbolic link" in capsys.readouterr().err
    assert (victim / "precious.snarc").read_text() == "keep me\n"
    # a link planted in place of a result file is refused too, its target untouched
    (run / "front").unlink()
    (run / "best.snarc").unlink()
    (run / "best.snarc").symlink_to(victim / "precious.snarc")
    assert main(["evolve", "--resume", str(run)]) == 1
    assert "symbolic link" in capsys.readouterr().err
    assert (victim / "precious.snarc").read_text() == "keep me\n"


def test_fmt_writes_through_a_link_and_keeps_it(tmp_path):
    target = tmp_path / "real.snarc"
    target.write_text("network   n {\n}\n")
    link = tmp_path / "link.snarc"
    link.symlink_to(target)
    assert main(["fmt", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "network n {\n}\n"


def test_results_json_of_a_run_is_plain_data(small_run):
    data = json.loads((small_run / "results.json").read_text())
    assert all(len(r["hash"]) == 16 for r in data["front"])
