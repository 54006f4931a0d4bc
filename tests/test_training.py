"""Training: learning, checkpoints and resume, metrics, train-from-run, DDP with torchrun."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from snarc.cli.main import main
from snarc.training import TrainConfig, TrainError, read_checkpoint, train

TINY = """\
neuron lif = LIF(tau_mem: 2.0, v_th: 0.5, surrogate: atan(2.0))
network tiny {
  input frames(2, 16, 16) steps 4
  a : lif
  in -> a : conv(3, 8, stride: 2) | bn
  cell g = avgpool(2) from a
  h : lif
  g -> h : linear(32)
  o : LI(tau_mem: 2.0)
  h -> o : linear(10)
  readout o over mean
}
"""


@pytest.fixture(scope="module")
def cache(ndigits_cache):
    return ndigits_cache


def test_the_reference_conv_snn_learns_n_digits(cache, root, tmp_path):
    text = (root / "examples" / "ndigits_conv.snarc").read_text()
    res = train(
        text,
        TrainConfig(epochs=2, limit=400, batch=32, seed=0),
        tmp_path,
        progress=False,
        log=lambda *_: None,
    )
    assert res["test_accuracy"] > 0.5  # chance is 0.1
    assert (
        res["train_loss"] < res["history"][0]["train_loss"] or res["history"][0]["train_loss"] < 2.2
    )
    for f in ("metrics.json", "metrics.csv", "curves.png", "checkpoint.pt", "program.snarc"):
        assert (tmp_path / f).stat().st_size > 0
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert rows[0].split(",")[:4] == ["epoch", "train_loss", "train_accuracy", "test_accuracy"]
    assert len(rows) == 3
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["params"] == res["params"] and m["epochs"][-1]["spikes_per_sample"] > 0
    assert m["epochs"][-1]["energy_j_per_sample"] > 0


def test_count_mse_sgd_and_label_smoothing_train(cache, tmp_path):
    cfg = TrainConfig(
        epochs=1, limit=100, loss="count_mse", optimizer="sgd", lr=0.05, label_smoothing=0.1
    )
    res = train(TINY, cfg, tmp_path, progress=False, log=lambda *_: None)
    assert res["epochs"] == 1 and res["train_loss"] > 0


def _args(out, epochs=3):
    return [
        sys.executable, "-m", "snarc", "train", str(out / "tiny.snarc"), "--epochs", str(epochs),
        "--limit", "400", "--batch", "32", "--out", str(out / "run"), "--quiet", "--device", "cpu",
    ]  # fmt: skip


def test_resume_after_a_kill_gives_the_same_weights(cache, tmp_path):
    full, cut = tmp_path / "full", tmp_path / "cut"
    for d in (full, cut):
        d.mkdir()
        (d / "tiny.snarc").write_text(TINY)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(_args(full), check=True, capture_output=True, env=env)
    proc = subprocess.Popen(
        _args(cut), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    ck = cut / "run" / "checkpoint.pt"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None and not ck.exists():
        time.sleep(0.01)
    assert proc.poll() is None, "training ended before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert read_checkpoint(ck)["epoch"] < 3
    subprocess.run(
        [sys.executable, "-m", "snarc", "train", "--resume", str(cut / "run"), "--quiet", "--device", "cpu"],
        check=True, capture_output=True, env=env,
    )  # fmt: skip
    a = read_checkpoint(full / "run" / "checkpoint.pt")
    b = read_checkpoint(cut / "run" / "checkpoint.pt")
    assert a["epoch"] == b["epoch"] == 3
    assert a["model"].keys() == b["model"].keys()
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert (
        json.loads(a["history"])[-1]["test_accuracy"]
        == json.loads(b["history"])[-1]["test_accuracy"]
    )


def test_a_checkpoint_of_another_program_is_refused(cache, tmp_path, capsys):
    train(TINY, TrainConfig(epochs=1, limit=60), tmp_path, progress=False, log=lambda *_: None)
    other = TINY.replace("linear(32)", "linear(48)")
    with pytest.raises(TrainError, match="another program"):
        train(other, TrainConfig(epochs=2, limit=60), tmp_path, resume=True, progress=False)
    with pytest.raises(TrainError, match="other settings"):
        train(TINY, TrainConfig(epochs=2, limit=60, lr=0.1), tmp_path, resume=True, progress=False)
    # through the CLI: a clear message, no traceback
    (tmp_path / "other.snarc").write_text(other)
    assert main(["train", str(tmp_path / "other.snarc"), "--resume", str(tmp_path), "--quiet"]) == 1
    assert "another program" in capsys.readouterr().err
    # a damaged checkpoint is an error too, and a failed write never leaves one half-written
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(TrainError, match="damaged: its SHA-256 does not match"):
        train(TINY, TrainConfig(epochs=2, limit=60), tmp_path, resume=True, progress=False)


def test_bad_program_is_reported_with_its_line(tmp_path, capsys):
    bad = tmp_path / "bad.snarc"
    bad.write_text(TINY.replace("linear(32)", "linear(0)"))
    assert main(["train", str(bad), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "bad.snarc:8:19:" in err and "Traceback" not in err


def test_train_from_run_records_accuracy_in_the_store(cache, tmp_path, capsys):
    from snarc.evolution.run import Config, Evolution

    space = tmp_path / "s.lark"
    space.write_text(
        'start: "neuron lif = LIF(v_th: 0.5); network s { input frames(2, 16, 16) steps 4; a : lif;'
        ' in -> a : conv(3, " c ", stride: 2) | bn; cell g = avgpool(4) from a; o : LI(); g -> o : linear(10);'
        ' readout o over mean }"\nc: "4" | "8"\n'
    )
    run = tmp_path / "run"
    Evolution(
        Config(
            space=str(space),
            fitness=["rdm", "params"],
            population=2,
            generations=0,
            batch=20,
            limit=60,
            executor="serial",
        ),
        run,
        progress=False,
    ).run()
    assert (
        main(
            [
                "train",
                "--from-run",
                str(run),
                "--rank",
                "1",
                "--epochs",
                "1",
                "--limit",
                "60",
                "--quiet",
            ]
        )
        == 0
    )
    assert "test accuracy" in capsys.readouterr().out
    assert main(["runs", "show", str(run), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["front"]
    assert "trained_accuracy" in rows[0]
    assert main(["train", "--from-run", str(run), "--rank", "9"]) == 1


@pytest.mark.slow
def test_ddp_with_two_cpu_processes(cache, tmp_path):
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which(
        "torchrun"
    )
    assert torchrun, "torchrun comes with torch"
    prog = tmp_path / "tiny.snarc"
    prog.write_text(TINY)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    res = subprocess.run(
        [torchrun, "--nproc_per_node", "2", "--master_port", "29533", "-m", "snarc", "train", str(prog),
         "--epochs", "1", "--limit", "100", "--batch", "8", "--device", "cpu", "--out", str(tmp_path / "ddp"), "--json", "--quiet"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout)
    assert out["world"] == 2 and out["epochs"] == 1
    assert read_checkpoint(tmp_path / "ddp" / "checkpoint.pt")["epoch"] == 1


def test_an_extension_keeps_the_rates_of_the_planned_epochs():
    plan = TrainConfig(epochs=4, lr=0.01, warmup=0.5)
    longer = TrainConfig(epochs=6, lr=0.01, warmup=0.5, extensions=[[2, 0.001]])
    spe = 10
    for step in range(4 * spe):
        assert longer.lr_at(step, spe) == plan.lr_at(step, spe)
    assert plan.lr_at(4 * spe - 1, spe) < 1e-4 and plan.lr_at(4 * spe, spe) == 0.0
    assert longer.lr_at(4 * spe, spe) == pytest.approx(0.001)  # a new half cosine from its peak
    assert longer.lr_at(5 * spe, spe) == pytest.approx(0.0005)
    assert longer.lr_at(6 * spe, spe) == 0.0


def test_resume_refuses_changed_settings_and_extends_deliberately(cache, tmp_path, capsys):
    prog = tmp_path / "tiny.snarc"
    prog.write_text(TINY)
    run = tmp_path / "run"
    base = ["train", str(prog), "--epochs", "1", "--limit", "60", "--out", str(run), "--quiet"]
    assert main(base) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--lr", "0.01", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "--lr 0.01: the run in" in err and "lr = 0.002" in err and "--extend" in err
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 1
    assert "add epochs with --extend 2" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--lr", "0.002", "--quiet"]) == 0  # the same
    first = json.loads(read_checkpoint(run / "checkpoint.pt")["history"])
    assert main(["train", "--resume", str(run), "--extend", "1", "--quiet"]) == 0
    ck = read_checkpoint(run / "checkpoint.pt")
    history = json.loads(ck["history"])
    assert ck["epoch"] == 2 and ck["config"]["extensions"] == [[1, 0.0002]]
    assert history[0] == first[0]  # the planned epoch is untouched
    assert history[1]["lr"] < 0.0002  # the extension's own cosine, below its peak
    # the library refuses a longer plan that is not an extension
    with pytest.raises(TrainError, match="planned for 1 epochs"):
        train(TINY, TrainConfig(epochs=3, limit=60), run, resume=True, progress=False)
    assert main(["train", str(prog), "--extend", "2", "--quiet"]) == 1


def test_a_silent_network_is_reported_not_trained_quietly(cache, tmp_path):
    silent = TINY.replace("v_th: 0.5", "v_th: 1000.0")
    logged = []
    result = train(
        silent, TrainConfig(epochs=1, limit=60), tmp_path, progress=False, log=logged.append
    )
    assert result["spikes_per_sample"] == 0
    assert any("no population spiked while training" in w for w in result["warnings"])
    assert any("silent in eval mode" in w for w in result["warnings"])
    assert any(m.startswith("warning: ") for m in logged)
    loud = train(TINY, TrainConfig(epochs=1, limit=60), tmp_path / "loud", progress=False,
                 log=lambda *_: None)  # fmt: skip
    assert loud["warnings"] == []


def test_eval_reports_what_training_measured_and_plots_activity(cache, tmp_path, capsys):
    """issue 18: `snarc eval FILE --weights W` and `snarc plot activity`."""
    prog = tmp_path / "tiny.snarc"
    prog.write_text(TINY)
    run = tmp_path / "run"
    assert (
        main(["train", str(prog), "--epochs", "1", "--limit", "60", "--out", str(run), "--quiet"])
        == 0
    )
    last = json.loads(read_checkpoint(run / "checkpoint.pt")["history"])[-1]
    capsys.readouterr()
    ck = str(run / "checkpoint.pt")
    assert main(["eval", str(prog), "--weights", ck, "--limit", "60", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["accuracy"] == last["test_accuracy"]
    assert result["spikes"] == pytest.approx(last["spikes_per_sample"])
    scored = []
    for extra in ([], ["--weights", ck]):  # score --weights: the trained network's activity
        base = ["score", str(prog), "--fitness", "spikes", "--batch", "20", "--limit", "60"]
        assert main([*base, "--json", *extra]) == 0
        scored.append(json.loads(capsys.readouterr().out)["scores"]["spikes"])
    assert scored[0] != scored[1]
    png = tmp_path / "act.png"
    assert (
        main(["plot", "activity", str(prog), "--weights", ck, "--limit", "60", "-o", str(png)]) == 0
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert (
        main(["plot", "activity", str(prog), "--limit", "60", "--sample", "99", "-o", str(png)])
        == 1
    )
    assert "--sample 99" in capsys.readouterr().err


def test_validation_split_and_early_stopping(cache, tmp_path):
    """issue 18: --val holds part of the training split out (never the test split);
    --patience stops when the validation accuracy stops improving, keeping the best
    weights in best.pt, and a resumed stopped run stays stopped."""
    from snarc.training.loop import validation_split

    X, y = torch.arange(50).float().unsqueeze(1), torch.arange(50)
    Xt, yt, Xv, yv = validation_split(X, y, 0.2, seed=3)
    assert len(Xv) == 10 and len(Xt) == 40
    assert set(yv.tolist()).isdisjoint(yt.tolist())
    assert torch.equal(validation_split(X, y, 0.2, seed=3)[3], yv)  # the same split again
    silent = TINY.replace("v_th: 0.5", "v_th: 1000.0")  # the val accuracy cannot improve
    cfg = TrainConfig(epochs=6, limit=60, val=0.25, patience=2)
    result = train(silent, cfg, tmp_path, progress=False, log=lambda *_: None)
    assert result["epochs"] == 3 and result["best_epoch"] == 1  # 1, then 2 without better
    assert all("val_accuracy" in h for h in result["history"])
    best = torch.load(tmp_path / "best.pt", weights_only=True)  # weights for --weights
    last = read_checkpoint(tmp_path / "checkpoint.pt")["model"]
    assert best["epoch"] == 1 and set(best["model"]) == set(last)
    again = train(silent, cfg, tmp_path, resume=True, progress=False, log=lambda *_: None)
    assert again["epochs"] == 3
    with pytest.raises(TrainError, match="needs a validation split"):
        train(silent, TrainConfig(epochs=2, limit=60, patience=2), tmp_path / "x", progress=False)


def test_training_logs_to_tensorboard(cache, tmp_path):
    """issue 18: --tensorboard DIR writes each epoch's scalars (read back with
    TensorBoard's own event reader)."""
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    prog = tmp_path / "tiny.snarc"
    prog.write_text(TINY)
    board = tmp_path / "tb"
    args = ["train", str(prog), "--epochs", "2", "--limit", "60", "--val", "0.2"]
    assert main([*args, "--out", str(tmp_path / "t"), "--tensorboard", str(board), "--quiet"]) == 0
    acc = EventAccumulator(str(board))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {
        "train/loss",
        "accuracy/test",
        "accuracy/validation",
        "activity/spikes_per_sample",
    } <= tags
    assert [e.step for e in acc.Scalars("accuracy/test")] == [1, 2]
