"""Reliability: refuse before allocating, a run survives its workers, one process per
run directory, integrity of checkpoints and stores, and clean errors (never a
traceback) for a full disk, a read-only directory and malformed files and flags."""

import errno
import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from planted import Plant

from snarc.cli.main import main
from snarc.dsl import SnarcResourceError, elaborate
from snarc.dsl.memory import check_memory, estimate, parse_size
from snarc.evolution.store import Store, StoreError
from snarc.util.fileio import DirectoryLock, FileSafetyError

ROOT = Path(__file__).resolve().parent.parent

HUGE = {
    "input 1x100000x100000": "input frames(1, 100000, 100000) steps 8; a : LIF(); in -> a : conv(3, 4)",
    "10^6 steps": "input vector(100000) steps 1000000; a : LIF(); in -> a : linear(100)",
    "a 10^9 vector": "input vector(1000000000) steps 4; a : LIF(); in -> a : identity",
    "10^6 channels": "input frames(2, 32, 32) steps 4; a : LIF(); in -> a : conv(1, 1000000)",
}


def _program(tmp_path, body: str) -> Path:
    p = tmp_path / "huge.snarc"
    p.write_text(f"network huge {{ {body}; readout a over mean }}\n")
    return p


# ---------------------------------------------------------------- 6. memory


def test_sizes_parse():
    assert parse_size("512M") == 512 * 2**20 and parse_size("1.5G") == int(1.5 * 2**30)
    assert parse_size("4096") == 4096 and parse_size("16GiB") == 16 * 2**30
    for bad in ("", "-1G", "nanG", "lots", "0"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_the_estimate_grows_with_batch_steps_and_training():
    g = elaborate(ROOT / "examples" / "ndigits_conv.snarc")
    one, many = estimate(g, 1), estimate(g, 32)
    assert many.activations == 32 * one.activations and many.params == one.params
    train = estimate(g, 32, training=True)
    assert train.activations == 2 * many.activations and train.params == 4 * many.params
    assert one.largest == "c1"  # the 16x34x34 population before pooling


@pytest.mark.parametrize("what", list(HUGE))
def test_huge_programs_are_refused_before_any_allocation(tmp_path, capsys, what):
    prog = _program(tmp_path, HUGE[what])
    # check passes (the program is valid) but warns with the estimate
    assert main(["check", str(prog)]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "needs about" in err and "over the memory ceiling" in err
    for argv in (
        ["compile", str(prog)],
        ["score", str(prog), "--data", "ndigits"],
        ["train", str(prog), "--out", str(tmp_path / "t")],
        ["export", str(prog), "-o", str(tmp_path / "h.nir")],
    ):
        t0 = time.perf_counter()
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert "too large to run" in err and "needs about" in err, (argv, err)
        assert "huge.snarc:1:1" in err and "Traceback" not in err
        assert time.perf_counter() - t0 < 10  # refused, not attempted
    assert not (tmp_path / "h.nir").exists()


def test_the_ceiling_is_configurable(tmp_path, capsys, monkeypatch):
    prog = ROOT / "examples" / "ndigits_conv.snarc"
    g = elaborate(prog)
    with pytest.raises(SnarcResourceError, match="over the memory ceiling of 1.0 KiB"):
        check_memory(g, ceiling=1024)
    assert main(["compile", str(prog), "--max-memory", "1K"]) == 1
    assert "--max-memory" in capsys.readouterr().err
    monkeypatch.setenv("SNARC_MAX_MEMORY", "2K")
    with pytest.raises(SnarcResourceError, match="2.0 KiB"):
        check_memory(g)


# ---------------------------------------------------------------- 7. workers

SPACE = """\
// @macro
start: "neuron lif = LIF(tau_mem: 2.0, v_th: 0.5); network tiny { input frames(2, 16, 16) steps 4;" body "}"
body: "a : lif; in -> a : conv(3," c ") | bn; cell g = avgpool(4) from a; o : LI(); g -> o : linear(10); readout o over mean;"
// @micro
c: "4" | "6" | "8" | "10" | "12"
"""


@pytest.fixture(scope="module")
def space(tmp_path_factory, ndigits_cache):
    p = tmp_path_factory.mktemp("space") / "tiny.lark"
    p.write_text(SPACE)
    return p


def _workers_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in cmd:
            out.append(int(entry))
    return out


def _store_rows(run: Path) -> list[tuple]:
    db = sqlite3.connect(run / "store.sqlite")
    rows = db.execute("SELECT hash, status, measures FROM genomes ORDER BY hash").fetchall()
    db.close()
    return rows


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the workers through /proc")
def test_a_worker_killed_during_start_up_does_not_fail_the_run(space, tmp_path):
    run = tmp_path / "run"
    argv = ["evolve", "--space", str(space), "--fitness", "rdm,params", "--population", "4",
            "--generations", "0", "--batch", "20", "--limit", "40", "--executor", "process",
            "--workers", "2", "--quiet", "--out", str(run)]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "snarc", *argv],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SNARC_POOL_STALL": "8"},  # pebble may lose the killed worker's task
    )
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        workers = _workers_of(proc.pid)
        if workers:
            os.kill(workers[0], signal.SIGKILL)  # while it imports torch: start-up
            killed = workers[0]
        time.sleep(0.02)
    _, err = proc.communicate(timeout=300)
    assert killed is not None, "no worker was seen"
    assert proc.returncode == 0, err
    assert "retrying" in err
    rows = _store_rows(run)
    assert len(rows) == 4 and all(status == "ok" for _, status, _ in rows)
    # the same results as a run no one disturbed
    calm = tmp_path / "calm"
    assert main([*argv[:-5], "--executor", "serial", "--quiet", "--out", str(calm)]) == 0
    assert [(h, json.loads(m)) for h, _, m in rows] == [
        (h, json.loads(m)) for h, _, m in _store_rows(calm)
    ]


def test_an_infrastructure_failure_is_evaluated_again_on_resume(space, tmp_path):
    run = tmp_path / "run"
    argv = ["evolve", "--space", str(space), "--fitness", "rdm,params", "--population", "3",
            "--generations", "0", "--batch", "20", "--limit", "40", "--executor", "serial",
            "--quiet", "--out", str(run)]  # fmt: skip
    assert main(argv) == 0
    before = _store_rows(run)
    db = sqlite3.connect(run / "store.sqlite")
    db.execute(
        "UPDATE genomes SET status = 'infra', measures = '{}', error = 'the worker process died' "
        "WHERE hash = ?",
        (before[0][0],),
    )
    db.commit()
    db.close()
    assert main(["evolve", "--resume", str(run), "--quiet"]) == 0
    assert _store_rows(run) == before


def test_a_missing_dataset_stops_a_new_run_before_it_starts(space, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["evolve", "--space", str(space), "--data", f"nmnist:{tmp_path / 'none'}",
               "--out", str(out), "--quiet"])  # fmt: skip
    assert rc == 1
    assert "N-MNIST" in capsys.readouterr().err
    assert not out.exists()


# ---------------------------------------------------------------- 8. the lock


def test_a_second_process_on_a_run_directory_is_refused(space, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    with DirectoryLock(run):
        rc = main(["evolve", "--space", str(space), "--population", "2", "--generations", "0",
                   "--batch", "20", "--limit", "40", "--executor", "serial", "--quiet",
                   "--out", str(run)])  # fmt: skip
        assert rc == 1
        err = capsys.readouterr().err
        assert f"another snarc process (pid {os.getpid()})" in err
        assert not (run / "store.sqlite").exists() or not _store_rows(run)
    # the lock goes with its process: a killed holder leaves none behind
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from snarc.util.fileio import DirectoryLock; "
         f"DirectoryLock({str(run)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(FileSafetyError, match=f"pid {holder.pid}"):
        DirectoryLock(run).acquire()
    holder.kill()
    holder.wait()
    DirectoryLock(run).acquire().release()


# ---------------------------------------------------------------- 9. integrity


def test_a_flipped_checkpoint_is_refused_and_a_crash_between_writes_is_not(tmp_path):
    import torch

    from snarc.training.checkpoint import (
        checksum_path,
        read_checkpoint,
        verify,
        write_checkpoint,
    )
    from snarc.training.errors import CheckpointError

    path = tmp_path / "checkpoint.pt"
    payload = {
        "model": {"w": torch.arange(1000.0)},
        "optimizer": {},
        "epoch": 1,
        "program_hash": "0" * 16,
        "config": {},
        "history": "[]",
    }
    write_checkpoint(path, payload)
    assert read_checkpoint(path)["epoch"] == 1
    good = path.read_bytes()
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0x01
    path.write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match="damaged: its SHA-256 does not match"):
        read_checkpoint(path)
    # a crash after the checksum file named both digests: the old checkpoint still verifies
    path.write_bytes(good)
    old_digest = checksum_path(path).read_text().strip()
    checksum_path(path).write_text("f" * 64 + "\n" + old_digest + "\n")
    assert verify(path) == good
    # no checksum beside it: refused
    checksum_path(path).unlink()
    with pytest.raises(CheckpointError, match="no checksum"):
        read_checkpoint(path)
    # a checkpoint missing a key
    del payload["optimizer"]
    write_checkpoint(path, payload)
    with pytest.raises(CheckpointError, match="lacks optimizer"):
        read_checkpoint(path)


TINY = """\
neuron lif = LIF(tau_mem: 2.0, v_th: 0.5)
network tiny {
  input frames(2, 16, 16) steps 2
  a : lif
  in -> a : conv(3, 4, stride: 2) | bn
  o : LI(tau_mem: 2.0)
  a -> o : linear(10)
  readout o over mean
}
"""


def test_a_non_finite_loss_stops_training_with_the_last_epoch_kept(
    ndigits_cache, tmp_path, monkeypatch
):
    import torch

    import snarc.training.loop as T
    from snarc.training import TrainConfig, TrainError, read_checkpoint, train

    train(TINY, TrainConfig(epochs=1, limit=40, batch=16), tmp_path, progress=False)
    kept = (tmp_path / "checkpoint.pt").read_bytes()
    real = T._loss_fn
    monkeypatch.setattr(
        T, "_loss_fn", lambda cfg: lambda out, y: real(cfg)(out, y) * torch.tensor(float("nan"))
    )
    with pytest.raises(TrainError, match="training diverged"):
        train(
            TINY,
            TrainConfig(epochs=2, limit=40, batch=16, extensions=[[1, 2e-4]]),
            tmp_path,
            resume=True,
            progress=False,
        )  # one more epoch: an extension of the finished plan (issue 18)
    assert (tmp_path / "checkpoint.pt").read_bytes() == kept
    assert read_checkpoint(tmp_path / "checkpoint.pt")["epoch"] == 1


def test_a_damaged_store_is_refused_and_never_rewritten(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    with Store.open(run) as st:
        st.set_meta("config", {"space": "autosnn"})
    db = sqlite3.connect(run / "store.sqlite")
    db.execute("DROP TABLE genomes")
    db.commit()
    db.close()
    for argv in (["runs", "show", str(run)], ["evolve", "--resume", str(run)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "damaged: table genomes is missing" in err and "Traceback" not in err
    db = sqlite3.connect(run / "store.sqlite")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert "genomes" not in tables  # not re-created over the damage
    # bytes that are no database at all
    (run / "store.sqlite").write_bytes(os.urandom(4096))
    for suffix in ("-wal", "-shm"):
        Path(str(run / "store.sqlite") + suffix).unlink(missing_ok=True)
    assert main(["runs", "show", str(run)]) == 1
    assert "run store is damaged" in capsys.readouterr().err


def test_a_locked_store_is_explained(tmp_path):
    path = tmp_path / "store.sqlite"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked by another process"):
            Store(path, timeout=0.1)
    finally:
        holder.close()


# ---------------------------------------------------------------- 10. clean errors


def test_a_full_disk_is_reported_and_the_old_file_kept(tmp_path, monkeypatch, capsys):
    import snarc.util.fileio

    prog = tmp_path / "p.snarc"
    prog.write_text("network   n {\n}\n")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(snarc.util.fileio.os, "fsync", full)
    assert main(["fmt", str(prog)]) == 1
    err = capsys.readouterr().err
    assert "disk is full" in err and "Traceback" not in err
    assert prog.read_text() == "network   n {\n}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["p.snarc"]  # no temporary file left


def test_a_full_disk_or_read_only_directory_during_training_and_evolution(
    space, tmp_path, monkeypatch, capsys
):
    import snarc.util.fileio
    from snarc.evolution import store as store_mod

    prog = tmp_path / "t.snarc"
    prog.write_text(TINY)

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "t"))

    with monkeypatch.context() as m:
        m.setattr(snarc.util.fileio.tempfile, "mkstemp", read_only)
        rc = main(["train", str(prog), "--epochs", "1", "--limit", "40", "--out",
                   str(tmp_path / "t"), "--quiet"])  # fmt: skip
    assert rc == 1
    err = capsys.readouterr().err
    assert "read-only" in err and "Traceback" not in err

    def disk_full(self, rec):
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as m:
        m.setattr(store_mod.Store, "add", disk_full)
        rc = main(["evolve", "--space", str(space), "--population", "2", "--generations", "0",
                   "--batch", "20", "--limit", "40", "--executor", "serial", "--quiet",
                   "--out", str(tmp_path / "e")])  # fmt: skip
    assert rc == 1
    err = capsys.readouterr().err
    assert "disk is full" in err and "Traceback" not in err

    def no_write(*a, **k):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    with monkeypatch.context() as m:
        m.setattr(store_mod.sqlite3, "connect", no_write)
        assert main(["runs", "show", str(tmp_path / "e")]) == 1
    assert "read-only" in capsys.readouterr().err


def test_unreadable_programs_and_spaces_name_the_file(tmp_path, capsys):
    binary = tmp_path / "bin.snarc"
    binary.write_bytes(b"\xff\xfe\x00network")
    space = tmp_path / "bin.lark"
    space.write_bytes(b"\xa7\x00\x01")
    for argv in (
        ["check", str(binary)],
        ["train", str(binary)],
        ["evolve", "--space", str(space), "--out", str(tmp_path / "r")],
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "not UTF-8" in err and Path(argv[-1] if argv[0] != "evolve" else space).name in err
    assert not (tmp_path / "r").exists()


def test_bad_weights_files_are_refused_and_never_run(tmp_path, capsys):
    import torch

    prog = tmp_path / "t.snarc"
    prog.write_text(TINY)
    marker = tmp_path / "pwned"

    files = {
        "empty.pt": b"",
        "binary.pt": os.urandom(512),
        "hostile.pt": pickle.dumps({"model": Plant(marker)}),
        "text.pt": b"not a checkpoint",
    }
    import io

    buf = io.BytesIO()
    torch.save({"model": {"edges.nope.weight": torch.zeros(2)}}, buf)
    files["other.pt"] = buf.getvalue()
    buf = io.BytesIO()
    torch.save([1, 2, 3], buf)
    files["list.pt"] = buf.getvalue()
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        rc = main(["export", str(prog), "-o", str(tmp_path / "o.nir"), "--weights",
                   str(tmp_path / name)])  # fmt: skip
        assert rc == 1, name
        err = capsys.readouterr().err
        assert name in err and "Traceback" not in err and "internal error" not in err
    assert not marker.exists()


def test_malformed_dataset_files_name_the_file(tmp_path):
    from snarc.data.real import CIFAR10, NMNIST, DatasetError, DVSGesture

    # N-MNIST: bytes that decode to events off the 34x34 sensor
    for split in ("Train", "Test"):
        for d in range(10):
            (tmp_path / "nm" / split / str(d)).mkdir(parents=True)
            (tmp_path / "nm" / split / str(d) / "00001.bin").write_bytes(b"\xff" * 50)
    ds = NMNIST(tmp_path / "nm", train=False)
    with pytest.raises(DatasetError, match="00001.bin"):
        ds.frames(0)
    # DVS128 Gesture: a pickled object array and NaN rows
    d = tmp_path / "dvs" / "ibmGestureTest" / "user24_led"
    d.mkdir(parents=True)
    np.save(d / "0.npy", np.array([object()], dtype=object), allow_pickle=True)
    np.save(d / "1.npy", np.full((3, 4), np.nan))
    ds = DVSGesture(tmp_path / "dvs", train=False)
    for i in range(2):
        with pytest.raises(DatasetError, match=f"{i}.npy"):
            ds.frames(i)
    # CIFAR-10: a truncated batch
    base = tmp_path / "c" / "cifar-10-batches-py"
    base.mkdir(parents=True)
    data = {"data": np.zeros((2, 3072), np.uint8), "labels": [0, 1]}
    (base / "test_batch").write_bytes(pickle.dumps(data)[:40])
    with pytest.raises(DatasetError, match="test_batch"):
        CIFAR10(tmp_path / "c", train=False)


def test_empty_datasets_neither_score_nor_train(tmp_path, capsys):
    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    empty = pickle.dumps({"data": np.zeros((0, 3072), np.uint8), "labels": []})
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (base / name).write_bytes(empty)
    prog = tmp_path / "c.snarc"
    prog.write_text(
        "network c { input image(3, 32, 32) steps 2; a : LIF(); in -> a : conv(3, 4); "
        "o : LI(); a -> o : linear(10); readout o over mean }\n"
    )
    assert main(["score", str(prog), "--data", f"cifar10:{tmp_path}"]) == 1
    assert "holds no samples" in capsys.readouterr().err
    rc = main(["train", str(prog), "--data", f"cifar10:{tmp_path}", "--out", str(tmp_path / "t"),
               "--quiet"])  # fmt: skip
    assert rc == 1
    assert "holds no samples" in capsys.readouterr().err


def test_nir_import_refuses_a_bad_dt_and_infinite_values(tmp_path, capsys):
    import nir

    f32 = np.float32
    nodes = {
        "in": nir.Input(input_type={"input": np.array([3])}),
        "fc": nir.Affine(weight=np.full((2, 3), np.inf, f32), bias=np.zeros(2, f32)),
        "lif": nir.LIF(
            tau=np.full(2, 0.002, f32),
            r=np.ones(2, f32),
            v_leak=np.zeros(2, f32),
            v_threshold=np.ones(2, f32),
        ),
        "out": nir.Output(output_type={"output": np.array([2])}),
    }
    edges = [("in", "fc"), ("fc", "lif"), ("lif", "out")]
    path = tmp_path / "g.nir"
    nir.write(str(path), nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": 0.001}))
    assert main(["import", str(path), "-o", str(tmp_path / "g.snarc")]) == 1
    err = capsys.readouterr().err
    assert "NIR node 'fc': weight holds NaN or infinite values" in err
    nodes["fc"] = nir.Affine(weight=np.ones((2, 3), f32), bias=np.zeros(2, f32))
    nir.write(str(path), nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": float("nan")}))
    assert main(["import", str(path), "-o", str(tmp_path / "g.snarc")]) == 1
    assert "dt must be a finite number above 0" in capsys.readouterr().err
    for dt in ("0", "nan", "-1", "inf"):
        with pytest.raises(SystemExit) as exit_:
            main(["import", str(path), "-o", str(tmp_path / "g.snarc"), "--dt", dt])
        assert exit_.value.code == 2
        assert "argument --dt" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "F", "--batch", "0"],
        ["score", "F", "--seed", "-1"],
        ["train", "F", "--lr", "nan"],
        ["train", "F", "--lr", "inf"],
        ["train", "F", "--lr", "0"],
        ["train", "F", "--label-smoothing", "5"],
        ["train", "F", "--epochs", "0"],
        ["train", "F", "--clip", "-1"],
        ["evolve", "--crossover", "1.5"],
        ["evolve", "--population", "0"],
        ["evolve", "--timeout", "nan"],
        ["compile", "F", "--max-memory", "lots"],
        ["export", "F", "-o", "x.nir", "--dt", "-1"],
        ["data", "ndigits", "--steps", "0"],
    ],
)
def test_numeric_flags_out_of_range_name_the_flag(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    flag = next(a for a in argv if a.startswith("--"))
    assert f"argument {flag}" in capsys.readouterr().err


def test_mutation_rates_are_checked(capsys):
    for rates in ("micro=nan", "micro=-1", "micro=x", "micro=0,meso=0,macro=0"):
        assert main(["evolve", "--rates", rates, "--out", "/nonexistent/never"]) == 1
        err = capsys.readouterr().err
        assert "mutation rate" in err and "Traceback" not in err
