"""Evolution runs: store, determinism, resume after SIGKILL, executors, results, CLI."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from snarc.cli.main import main
from snarc.evolution.evaluate import Task, evaluate
from snarc.evolution.executors import ProcessExecutor
from snarc.evolution.run import Config, Evolution, RunError, nsga2_order

SPACE = """\
// A tiny space for tests: two spiking conv layers on 16x16 event frames.
// @macro
start: "neuron lif = LIF(tau_mem: 2.0, v_th: 0.5); network tiny { input frames(2, 16, 16) steps 4;" body "}"
body: "a : lif; in -> a : conv(" k "," c ") | bn;" second "cell g = avgpool(4) from b; o : LI(); g -> o : linear(10); readout o over mean;"
// @meso
second: "b : lif; a -> b : conv(" k "," c ", stride: 2) | bn;" | "b : lif; a -> b : conv(" k "," c ", stride: 2) | bn; b ~> a : conv(1, " c ") | bn inhibitory;"
// @micro
k: "3" | "5"
// @micro
c: "4" | "8" | "12"
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory, ndigits_cache):
    base = tmp_path_factory.mktemp("evo")
    space = base / "tiny.lark"
    space.write_text(SPACE)
    return base, space


def _cfg(space, **kw):
    base = dict(
        space=str(space),
        fitness=["rdm", "params"],
        population=6,
        generations=2,
        seed=3,
        batch=20,
        limit=60,
        executor="serial",
    )
    base.update(kw)
    return Config(**base)


def _contents(run: Path) -> dict:
    db = sqlite3.connect(run / "store.sqlite")
    out = {
        "genomes": db.execute(
            "SELECT hash, text, tree, status, measures, generation, parents, operator FROM genomes ORDER BY hash"
        ).fetchall(),
        "populations": db.execute("SELECT * FROM populations ORDER BY generation, idx").fetchall(),
        "generations": db.execute(
            "SELECT generation, evaluations, invalid, duplicates, hypervolume, best FROM generations ORDER BY generation"
        ).fetchall(),
    }
    db.close()
    return out


def test_a_run_writes_store_front_plots_and_drawing(env):
    base, space = env
    out = base / "run-a"
    summary = Evolution(_cfg(space), out, progress=False).run()
    c = _contents(out)
    assert len(c["generations"]) == 3
    assert {g for _, _, _, _, _, g, _, _ in c["genomes"]} == {0, 1, 2}
    assert len(c["populations"]) == 18
    # no architecture is evaluated twice: hashes are the primary key and match the text
    from snarc.evolution.space import genome_hash

    assert all(genome_hash(text) == h for h, text, *_ in c["genomes"])
    assert summary["front"] and (out / "best.snarc").exists()
    assert list((out / "front").glob("*.snarc"))
    for f in (
        "front.png",
        "front.svg",
        "hypervolume.png",
        "hypervolume.svg",
        "results.json",
        "config.json",
        "space.lark",
    ):
        assert (out / f).stat().st_size > 0, f
    # operators and parents are recorded
    ops = {op for *_, op in c["genomes"]}
    assert "random" in ops and ops & {"mutation", "crossover+mutation"}
    # hypervolume of the population never falls under NSGA-II's elitism
    hv = [g[4] for g in c["generations"]]
    assert all(b >= a - 1e-12 for a, b in zip(hv, hv[1:]))
    # a finished run resumed is a no-op with the same results
    again = Evolution.resume(out, progress=False, log=lambda *_: None).run()
    assert again["front"] == summary["front"]


def test_same_seed_same_run_other_seed_other_run(env):
    base, space = env
    Evolution(_cfg(space, generations=1), base / "s1", progress=False).run()
    Evolution(_cfg(space, generations=1), base / "s2", progress=False).run()
    Evolution(_cfg(space, generations=1, seed=4), base / "s3", progress=False).run()
    assert _contents(base / "s1") == _contents(base / "s2")
    assert _contents(base / "s1")["genomes"] != _contents(base / "s3")["genomes"]


def test_resume_after_sigkill_matches_an_uninterrupted_run(env):
    base, space = env
    args = [
        sys.executable, "-m", "snarc", "evolve", "--space", str(space), "--fitness", "rdm,params",
        "--population", "6", "--generations", "3", "--seed", "5", "--batch", "40", "--limit", "60",
        "--executor", "serial", "--quiet",
    ]  # fmt: skip
    full, killed = base / "full", base / "killed"
    subprocess.run([*args, "--out", str(full)], check=True, capture_output=True)
    proc = subprocess.Popen(
        [*args, "--out", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    store = killed / "store.sqlite"
    deadline = time.monotonic() + 300
    n = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if store.exists():
            try:
                db = sqlite3.connect(store, timeout=5)
                n = db.execute("SELECT COUNT(*) FROM genomes WHERE generation = 2").fetchone()[0]
                db.close()
            except sqlite3.OperationalError:
                n = 0
            if n >= 2:  # in the middle of generation 2
                break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    gens = sqlite3.connect(store).execute("SELECT MAX(generation) FROM generations").fetchone()[0]
    assert gens == 1  # killed mid-generation 2: generation 2 is not complete
    subprocess.run(
        [sys.executable, "-m", "snarc", "evolve", "--resume", str(killed), "--quiet"],
        check=True,
        capture_output=True,
    )
    assert _contents(killed) == _contents(full)


@pytest.mark.parametrize("executor", ["process", "ray"])
def test_executors_match_serial_evaluation(env, executor):
    if executor == "ray":
        pytest.importorskip("ray")
    base, space = env
    serial = base / "serial-ref"
    if not serial.exists():
        Evolution(_cfg(space, generations=1), serial, progress=False).run()
    other = base / f"with-{executor}"
    Evolution(_cfg(space, generations=1, executor=executor, workers=2), other, progress=False).run()
    assert _contents(other) == _contents(serial)


def test_failed_and_timed_out_evaluations_are_marked_and_the_run_goes_on(env, root):
    ex = ProcessExecutor(workers=1, timeout=1.0)
    try:
        slow = Task(
            "0" * 16,
            (root / "examples" / "autosnn.snarc")
            .read_text()
            .replace("image(3, 32, 32)", "frames(2, 32, 32)"),
            ("rdm",),
            batch=50,
            limit=60,
        )
        bad = Task(
            "1" * 16,
            "network x { input vector(4) steps 2; a : LIF(); in -> a : linear(0); readout a over mean }",
            ("rdm",),
        )
        results = dict(ex.map([slow, bad]))
    finally:
        ex.close()
    assert results[0]["status"] == "infra" and "timeout" in results[0]["error"]
    assert results[1]["status"] == "failed" and "linear" in results[1]["error"]
    direct = evaluate(bad)
    assert direct["status"] == "failed"


def test_nsga2_order_prefers_the_front_and_the_extremes():
    F = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0], [0.2, 0.9]])
    order, ranks, crowd = nsga2_order(F)
    assert list(ranks) == [0, 0, 0, 1, 0]
    assert order[-1] == 3
    assert set(order[:2]) == {0, 1}  # the extremes of the front have infinite crowding


def test_config_errors(env):
    base, space = env
    with pytest.raises(RunError, match="unknown fitness 'acc'"):
        Config(fitness=["acc"]).validate()
    with pytest.raises(RunError, match="exactly one fitness"):
        Config(fitness=["rdm", "spikes"], algorithm="scalar").validate()
    Evolution(_cfg(space, generations=0), base / "cfg", progress=False)
    with pytest.raises(RunError, match="other settings"):
        Evolution(_cfg(space, generations=0, seed=99), base / "cfg", progress=False)


def test_cli_evolve_scalar_then_runs_show(env, capsys):
    base, space = env
    out = base / "cli"
    rc = main(["evolve", "--space", str(space), "--fitness", "spike_aware", "--population", "6",
               "--generations", "1", "--batch", "20", "--limit", "60", "--executor", "serial", "--quiet",
               "--out", str(out)])  # fmt: skip
    assert rc == 0
    text = capsys.readouterr().out
    assert "spike_aware" in text and "best:" in text
    assert main(["runs", "show", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["front"] and data["front"][0]["spike_aware"] > 0
    # a bad space is a clear error, not a traceback
    assert main(["evolve", "--space", "nope", "--out", str(base / "x")]) == 1
    assert "unknown search space 'nope'" in capsys.readouterr().err
    assert main(["runs", "show", str(base / "missing")]) == 1
    assert "not a run directory" in capsys.readouterr().err


def test_extending_a_run_equals_a_run_planned_that_long(env, capsys):
    """issue 18: --resume keeps a run's settings; more generations are an explicit
    --extend, and each generation's draws depend only on (seed, generation)."""
    base, space = env
    Evolution(_cfg(space, generations=2), base / "planned", progress=False).run()
    Evolution(_cfg(space, generations=1), base / "ext", progress=False).run()
    with pytest.raises(
        RunError, match="generations = 2: the run in .* was started with generations = 1"
    ):
        Evolution.resume(base / "ext", progress=False, generations=2)
    Evolution.resume(base / "ext", progress=False, log=lambda *_: None, extend=1).run()
    assert _contents(base / "ext") == _contents(base / "planned")
    assert json.loads((base / "ext" / "config.json").read_text())["generations"] == 2
    # through the CLI: a changed setting is named, --extend without --resume refused
    assert main(["evolve", "--resume", str(base / "ext"), "--population", "9", "--quiet"]) == 1
    assert "population = 9" in capsys.readouterr().err
    assert main(["evolve", "--resume", str(base / "ext"), "--generations", "5", "--quiet"]) == 1
    assert "--extend N" in capsys.readouterr().err
    assert main(["evolve", "--out", str(base / "x"), "--extend", "2", "--quiet"]) == 1
    # a setting equal to the run's own is accepted
    assert main(["evolve", "--resume", str(base / "ext"), "--seed", "3", "--quiet"]) == 0


def test_autosnn_search_breeds_a_top_k_archive(env):
    """AutoSNN's released search: the population is an archive of the best k seen so
    far; each generation P/2 point mutations and P/2 one-point crossovers of it (random
    genomes only where those find nothing new)."""
    base, space = env
    cfg = _cfg(space, fitness=["params:min"], algorithm="autosnn", top_k=3, site_mutation=0.5)
    out = base / "autosnn"
    Evolution(cfg, out, progress=False).run()
    db = sqlite3.connect(out / "store.sqlite")
    rows = db.execute("SELECT hash, generation, operator, measures FROM genomes").fetchall()
    pops = db.execute("SELECT generation, idx, hash FROM populations").fetchall()
    db.close()
    params = {h: json.loads(m)["params"] for h, _, _, m in rows}
    for g in (1, 2):
        ops = [op for _, gen, op, _ in rows if gen == g]
        assert ops.count("mutation") + ops.count("random") >= 3 and len(ops) <= 6
        assert set(ops) <= {"mutation", "crossover", "random"}
    for g in (0, 1, 2):
        archive = [h for gen, _, h in sorted(pops) if gen == g]
        seen = sorted(params[h] for h, gen, _, _ in rows if gen <= g)
        assert len(archive) == 3
        assert sorted(params[h] for h in archive) == seen[:3]  # the best 3 of all seen
    # the same seed gives the same run
    Evolution(cfg, base / "autosnn2", progress=False).run()
    assert _contents(out) == _contents(base / "autosnn2")


def test_repeated_scoring_batches_average_disjoint_batches(env):
    """``repeats`` scores a genome on disjoint class-balanced batches (each class's next
    samples) and keeps each training-free score's mean, as SNASNet's and MSE-NAS's
    released searches score two batches."""
    import torch

    import snarc
    from snarc.data.batches import class_balanced_batch
    from snarc.evolution.evaluate import seed_for
    from snarc.fitness import score

    text = (
        "neuron lif = LIF(tau_mem: 2.0, v_th: 0.3)\nnetwork t {\n  input frames(2, 16, 16) steps 4\n"
        "  a : lif\n  in -> a : conv(3, 4) | bn\n  cell g = avgpool(4) from a\n  o : LI()\n"
        "  g -> o : linear(10)\n  readout o over mean\n}\n"
    )
    task = Task("2" * 16, text, ("sahd", "cm", "spikes"), batch=20, seed=3, limit=60, repeats=2)
    got = evaluate(task)
    assert got["status"] == "ok", got["error"]
    singles = []
    for r in range(2):  # the genome's own initial weights, each batch alone
        torch.manual_seed(seed_for(3, task.hash))
        net = snarc.compile(text)
        x, labels = class_balanced_batch(net, 20, 3, 60, "ndigits", repeat=r)
        singles.append(score(net, x, labels, fitness=("sahd", "cm", "spikes")))
    first, second = (class_balanced_batch(net, 20, 3, 60, "ndigits", repeat=r)[0] for r in (0, 1))
    assert not torch.equal(first, second)  # disjoint samples
    for k in ("sahd", "cm", "spikes"):
        assert got["measures"][k] == pytest.approx((singles[0][k] + singles[1][k]) / 2, rel=1e-6)
    assert Task("2" * 16, text, ("sahd",), batch=20, seed=3, limit=60).repeats == 1
