"""issue 17: evolving genetic encodings with CMA-ES and the two dynamic regularisers."""

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from conftest import ROOT

import snarc
from snarc.evolution.gene_codec import GeneCodec
from snarc.fitness.genes import interaction_entropy, temporal_difference

PROGRAM = """
network tiny {
  input frames(2, 34, 34) steps 4
  a : LIF(tau_mem: 2.0, v_th: 0.5)
  in -> a : conv(3, 8, stride: 4) | bn genetic(rank: 3, pool: c)
  b : LIF(tau_mem: 2.0, v_th: 0.5)
  a -> b : conv(3, 8, stride: 2) | bn genetic(rank: 3, pool: c)
  fc : LIF(tau_mem: 2.0, v_th: 0.5)
  b -> fc : linear(12) genetic(rank: 4, pool: d)
  o : LI(tau_mem: 2.0)
  fc -> o : linear(10)
  readout o over mean
}
"""


def test_interaction_entropy_by_hand():
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(2)
    assert interaction_entropy(np.diag([3.0, 1.0])) == pytest.approx(h)  # σ = (3, 1)
    assert interaction_entropy(np.eye(4)) == pytest.approx(1.0)  # every direction alike
    rank_one = np.outer([1.0, 2.0, 3.0], [0.5, -1.0, 2.0])
    assert interaction_entropy(rank_one) == pytest.approx(0.0, abs=1e-6)  # collapsed
    # a conv pool: one O per kernel offset, stacked to (K·r, r): σ of [[1,0],[0,0],[0,0],[0,1]]
    stacked = np.stack([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])])
    assert interaction_entropy(stacked) == pytest.approx(1.0)
    assert interaction_entropy(torch.diag(torch.tensor([3.0, 1.0]))) == pytest.approx(h)
    assert (
        interaction_entropy(np.zeros((3, 3))) == 0.0 and interaction_entropy(np.ones((1, 1))) == 1.0
    )


def test_temporal_difference_by_hand():
    assert temporal_difference([1.0, 2.0, 3.0], [0.0, 0.0, 0.0]) == pytest.approx(14 / 3)
    assert temporal_difference(np.ones(5), np.ones(5)) == 0.0
    assert temporal_difference([1.0, 2.0], None) == 0.0  # the first generation
    with pytest.raises(ValueError):
        temporal_difference([1.0], [1.0, 2.0])


def test_the_codec_round_trips_and_the_weights_are_x_post_o_x_pre():
    torch.manual_seed(0)
    net = snarc.compile(PROGRAM)
    codec = GeneCodec(net)
    assert codec.size == sum(p.numel() for p in [*net.genes.values(), *net.gene_pools.values()])
    v = np.random.default_rng(1).standard_normal(codec.size)
    codec.load(net, v)
    np.testing.assert_allclose(codec.vector(net), v, rtol=1e-6)
    assert len(codec.interactions(v)) == 2  # pools c (9 offsets) and d


def _run(out, generations, extra=()):
    return subprocess.Popen(
        [sys.executable, "-m", "snarc", "evolve-genes", str(out / "p.snarc"), "-o", str(out / "run"),
         "--generations", str(generations), "--popsize", "5", "--fitness", "rdm", "--limit", "40",
         "--batch", "20", "--seed", "3", "-q", *extra],
        cwd=ROOT.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT.parent)},
    )  # fmt: skip


def _rows(path):
    if not path.exists():
        return []
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute(
                "SELECT generation, asked, fitness, best, scores, entropy FROM generations "
                "ORDER BY generation"
            ).fetchall()
    except sqlite3.OperationalError:  # the table is being created
        return []


def test_a_killed_search_resumes_to_the_uninterrupted_result(tmp_path):
    """SIGKILL after a generation is committed; --resume replays the stored generations
    (CMA-ES asks the same candidates, is told the stored fitness) and ends where an
    uninterrupted run with the same seed ends; the best genes load into a trainable
    module whose weights are X_post · O · X_preᵀ."""
    gens = 8
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "p.snarc").write_text(PROGRAM)
    whole = _run(a, gens)
    killed = _run(b, gens)
    store = b / "run" / "genes.sqlite"
    deadline = time.monotonic() + 120
    while len(_rows(store)) < 2 and time.monotonic() < deadline and killed.poll() is None:
        time.sleep(0.02)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    done_at_kill = len(_rows(store))
    assert 1 <= done_at_kill < gens, f"the kill should land mid-run ({done_at_kill} done)"
    resumed = _run(b, gens, ["--resume"])
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert whole.wait(timeout=300) == 0, whole.stderr.read()
    rows_a, rows_b = _rows(a / "run" / "genes.sqlite"), _rows(store)
    assert len(rows_a) == len(rows_b) == gens
    assert rows_a == rows_b  # the same candidates, fitness and best, generation by generation

    from snarc.training.checkpoint import load_weights

    torch.manual_seed(99)  # other initial weights: the file sets them all
    net = snarc.compile(PROGRAM)
    load_weights(net, str(b / "run" / "genes.pt"))

    def standing(r):  # the run's best: measure + λ_H·H of each generation's best (λ_H 0.1)
        i = int(np.argmax(json.loads(r[2])))
        return json.loads(r[4])[i] + 0.1 * json.loads(r[5])[i]

    best = max(rows_b, key=standing)
    np.testing.assert_allclose(GeneCodec(net).vector(net), np.frombuffer(best[3]), rtol=1e-6)
    weights = net.genetic_weights()
    for plan_edges in (net.in_edges(v) for v in ("a", "b", "fc")):
        for e in plan_edges:
            gi = e.genetic
            pre, post = net.genes[gi["pre"]], net.genes[gi["post"]]
            o = net.gene_pools[gi["pool"]]
            if gi["kernel"]:
                w = torch.einsum("oa,kab,ib->oik", post, o, pre).reshape(gi["shape"])
            else:
                w = post @ o @ pre.t()
            torch.testing.assert_close(weights[e.key], w * gi["scale"])
    x = (torch.rand(4, 2, 2, 34, 34, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.genes.values())  # trainable from there


@pytest.mark.parametrize("name", ["genetic", "genetic_resnet", "genetic_resnet19"])
def test_summary_reports_what_the_program_would_hold_unencoded(name):
    """issue 17: params_unencoded is the parameter count of the same program with every
    genetic(...) removed (its weights stored, no genes)."""
    import re

    from snarc.dsl.summary import summary

    text = (ROOT / "examples" / f"{name}.snarc").read_text()
    plain = re.sub(r" genetic\(rank: \w+, pool: \w+\)", "", text)
    encoded, unencoded = snarc.elaborate(text), snarc.elaborate(plain)
    assert encoded.graph["params_unencoded"] == unencoded.graph["params"]
    assert encoded.graph["params"] < unencoded.graph["params"]
    assert summary(encoded)["params_unencoded"] == unencoded.graph["params"]


def test_workers_give_the_serial_result(tmp_path):
    """Candidates measured in a process pool score as they do in this process (one
    thread, own seed each): the stored generations are the same."""
    from snarc.evolution.gene_search import GeneSearchConfig, evolve_genes

    rows = []
    for workers in (1, 2):
        cfg = GeneSearchConfig(generations=2, popsize=4, fitness="rdm", limit=40, batch=20,
                               workers=workers)  # fmt: skip
        evolve_genes(PROGRAM, tmp_path / f"w{workers}", cfg, progress=False)
        rows.append(_rows(tmp_path / f"w{workers}" / "genes.sqlite"))
    assert rows[0] == rows[1] and len(rows[0]) == 2


def test_candidates_lost_to_the_machinery_are_measured_again(tmp_path, monkeypatch):
    """A candidate whose worker died is measured again on a fresh executor: the search
    stores what an undisturbed one stores; a candidate whose measurement fails stops
    the search with its error."""
    from snarc.evolution import gene_fitness
    from snarc.evolution.evaluate import infra_failure
    from snarc.evolution.gene_search import GeneSearchConfig, GeneSearchError, evolve_genes

    cfg = GeneSearchConfig(generations=1, popsize=4, fitness="rdm", limit=40, batch=20)
    evolve_genes(PROGRAM, tmp_path / "calm", cfg, progress=False)
    real, calls = gene_fitness.gene_job, []

    def flaky(task):
        calls.append(task)
        return infra_failure("the worker process died") if len(calls) in (2, 3) else real(task)

    monkeypatch.setattr(gene_fitness, "gene_job", flaky)
    evolve_genes(PROGRAM, tmp_path / "flaky", cfg, progress=False)
    assert len(calls) == 6  # 4 candidates, 2 of them lost once
    assert _rows(tmp_path / "flaky" / "genes.sqlite") == _rows(tmp_path / "calm" / "genes.sqlite")

    def broken(task):
        return {"status": "failed", "error": "ValueError: no such layer", "wall": 0.0}

    monkeypatch.setattr(gene_fitness, "gene_job", broken)
    with pytest.raises(GeneSearchError, match="no such layer"):
        evolve_genes(PROGRAM, tmp_path / "broken", cfg, progress=False)


def test_the_loss_measure_is_minus_the_validation_cross_entropy(tmp_path):
    from snarc.evolution.gene_fitness import TRAINED, Measure, short_training

    torch.manual_seed(0)
    net = snarc.compile(PROGRAM)
    g = torch.Generator().manual_seed(0)
    X = (torch.rand(24, 4, 2, 34, 34, generator=g) < 0.2).float()
    y = torch.arange(24) % 10
    r = short_training(net, X[:16], y[:16], X[16:], y[16:], Measure(epochs=1, batch=8))
    with torch.no_grad():
        out = net(X[16:].transpose(0, 1))
    ce = float(torch.nn.functional.cross_entropy(out, y[16:]))
    assert r["loss"] == pytest.approx(ce, rel=1e-5)
    assert TRAINED["train_loss"](r) == -r["loss"] and TRAINED["train"](r) == r["accuracy"]
