"""Fitness functions on hand-made representations with known answers, and on every example."""

import math

import numpy as np
import pytest
import torch
from conftest import EXAMPLES

import snarc
from snarc import fitness as F


def one_hot_reps(per_class=4, classes=3, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), per_class)
    reps = np.eye(classes)[labels] + noise * rng.random((len(labels), classes))
    return reps, labels


def test_rdm_of_known_representations():
    reps, labels = one_hot_reps()
    m = F.rdm(reps)
    assert np.allclose(np.diag(m), 0)
    same = m[labels[:, None] == labels[None, :]]
    diff = m[labels[:, None] != labels[None, :]]
    assert np.allclose(same, 0) and np.allclose(diff, 1.5)  # Pearson of distinct 3-d one-hots: -1/2
    assert F.rdm(np.ones((4, 5))) is None  # constant rows: no correlation


def test_label_target_is_one_for_perfectly_separated_classes():
    reps, labels = one_hot_reps()
    assert F.rdm_label_target_from({"l": reps}, labels) == pytest.approx(1.0)
    shuffled = np.random.default_rng(1).permutation(labels)
    assert F.rdm_label_target_from({"l": reps}, shuffled) < 0.5


def test_label_free_measures_diversity():
    reps, _ = one_hot_reps(noise=0.1)
    diverse = F.rdm_label_free_from({"l": reps})
    assert 1.0 < diverse <= 2.0
    assert F.rdm_label_free_from({"l": np.tile(reps[:1], (6, 1))}) == pytest.approx(
        0.0
    )  # identical samples
    with pytest.warns(F.FitnessWarning, match="constant"):
        assert F.rdm_label_free_from({"l": np.ones((6, 3))}) == 0.0


def test_silent_network_gets_the_worst_scores():
    silent = {"l": np.zeros((6, 10))}
    codes = [np.zeros((6, 10)), np.zeros((6, 10))]
    with pytest.warns(F.FitnessWarning):
        assert F.rdm_label_free_from(silent) == 0.0
    with pytest.warns(F.FitnessWarning):
        assert F.rdm_label_target_from(silent, [0, 0, 0, 1, 1, 1]) == -1.0
    with pytest.warns(F.FitnessWarning):
        assert F.sahd_from(codes) == -math.inf
    with pytest.warns(F.FitnessWarning):
        assert F.naswot_from(codes) == -math.inf
    with pytest.warns(F.FitnessWarning):
        assert F.spike_aware(0.9, 0.0, 100.0) == 0.0
    with pytest.warns(F.FitnessWarning):
        assert F.spike_aware(float("nan"), 10.0, 100.0) == 0.0


def test_hamming_kernels_of_known_codes():
    codes = [np.eye(4)]  # four samples, each spiking in a different neuron
    # NASWOT: K_ii = 4, K_ij = 2 (two agreeing zeros): det = (4 - 2)^3 (4 + 3·2) = 80
    assert F.naswot_from(codes) == pytest.approx(math.log(80))
    # SAHD (SNASNet's computing_K_eachtime): sparsity 1/4 each;
    # norm_K = s(1-s)ᵀ + (1-s)sᵀ = 2·(1/4)(3/4) = 0.375 (no factor N in the released code);
    # Hamming distance 2; K_ij = N - 0.5/(0.375 + 1e-3) · 2
    k_off = 4 - 0.5 / (0.375 + 1e-3) * 2
    k_on = 4.0
    expected = math.log((k_on - k_off) ** 3 * (k_on + 3 * k_off))
    assert F.sahd_from(codes) == pytest.approx(expected)
    # identical codes: singular
    with pytest.warns(F.FitnessWarning):
        assert F.naswot_from([np.ones((3, 5))]) == -math.inf


def test_hamming_kernels_of_grouped_codes_equal_one_code_at_a_time():
    """A layer's time steps as one [S, B, N] group give the kernels of S separate codes."""
    rng = np.random.default_rng(0)
    steps = [(rng.random((6, 40)) < p).astype(np.float32) for p in (0.1, 0.3, 0.5)]
    other = (rng.random((6, 15)) < 0.2).astype(np.float32)
    grouped = [np.stack(steps), other]
    single = [*steps, other]
    assert F.sahd_from(grouped) == pytest.approx(F.sahd_from(single), rel=1e-12)
    assert F.naswot_from(grouped) == pytest.approx(F.naswot_from(single), rel=1e-12)
    # and both equal the kernels written out pair by pair
    k = np.zeros((6, 6))
    for x in single:
        x = x.astype(np.float64)
        n = x.shape[1]
        for i in range(6):
            for j in range(6):
                h = np.sum(x[i] != x[j])
                pi, pj = x[i].mean(), x[j].mean()
                k[i, j] += n - 0.5 / (pi * (1 - pj) + (1 - pi) * pj + 1e-3) * h
    assert F.sahd_from(single) == pytest.approx(np.linalg.slogdet(k / 4)[1], rel=1e-9)


def test_spike_aware_and_energy():
    assert F.spike_aware(0.9, 200.0, 100.0) == pytest.approx(0.9 * 2**-0.08)
    assert F.spike_aware(0.9, 50.0, 100.0) > 0.9  # fewer spikes than the reference: a bonus
    assert F.energy(1e6, 1e6) == pytest.approx((0.9 + 4.6) * 1e-6)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_fitness_on_every_example(path):
    torch.manual_seed(0)
    net = snarc.compile(path)
    g = torch.Generator().manual_seed(0)
    if net.input_kind == "frames":
        x = (torch.rand(net.timesteps, 10, *net.input_shape, generator=g) < 0.3).float()
    else:
        x = torch.rand(10, *net.input_shape, generator=g)
    labels = np.arange(10) % 5
    with _maybe_warns():
        scores = F.score(net, x, labels, fitness=F.FITNESSES)
        cells = F.score(net, x, labels, fitness=("rdm",), layers="cells")
    assert set(scores) == set(F.FITNESSES)
    assert scores["params"] == net.num_params()
    assert 0.0 <= scores["rdm"] <= 2.0 and -1.0 <= scores["rdm_target"] <= 1.0
    assert scores["sahd"] > -math.inf or scores["spikes"] == 0
    assert scores["energy"] > 0
    assert 0.0 <= cells["rdm"] <= 2.0


class _maybe_warns:
    """Degenerate layers of an untrained network may warn; that is allowed, not required."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", F.FitnessWarning)

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_all_scores_come_from_one_forward_pass(root, monkeypatch):
    net = snarc.compile(root / "examples" / "genetic.snarc")
    x = (torch.rand(net.timesteps, 6, *net.input_shape) < 0.3).float()
    calls = []
    original = net.activity
    monkeypatch.setattr(net, "activity", lambda *a, **k: calls.append(1) or original(*a, **k))
    with _maybe_warns():
        scores = F.score(net, x, [0, 1, 2, 0, 1, 2], fitness=F.FITNESSES)
    assert len(calls) == 1
    _, stats = F.activity(net, x)
    assert scores["spikes"] == pytest.approx(float(stats.total_spikes.mean()))
    assert scores["sops"] == pytest.approx(float(stats.sops.mean()))


def test_scoring_leaves_batch_norm_statistics_alone(root):
    net = snarc.compile(root / "examples" / "snasnet.snarc")
    before = {k: v.clone() for k, v in net.named_buffers()}
    F.score(net, torch.rand(4, 3, 32, 32), [0, 1, 0, 1], fitness=("rdm", "spikes"))
    for k, v in net.named_buffers():
        assert torch.equal(v, before[k]), k


def test_cli_score_on_ndigits(root, tmp_path, monkeypatch, capsys):
    import json

    from snarc.cli.main import main

    monkeypatch.setenv("SNARC_CACHE", str(tmp_path))
    args = [
        "score",
        str(root / "examples" / "mse_motifs.snarc"),
        "--fitness",
        "rdm,rdm_target,sahd,naswot,params",
    ]
    assert main([*args, "--limit", "20", "--batch", "10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["batch"] >= 10 and data["scores"]["params"] == 267584
    assert 0 < data["scores"]["rdm"] <= 2 and math.isfinite(data["scores"]["sahd"])
    assert main(["score", str(root / "examples" / "autosnn.snarc"), "--limit", "20"]) == 1
    assert "N-Digits gives 2-channel event frames" in capsys.readouterr().err


def test_mse_nas_manhattan_score_by_hand():
    """``cm`` as MSE-NAS's obj.py computes ``Cm``: for each code (a LIF call), the L1
    distance of every ordered pair of samples' binary codes, summed; mean over codes."""
    a = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 1]], dtype=np.float32)
    b = np.array([[0, 1], [0, 1], [1, 0]], dtype=np.float32)
    # a: d(0,1) = 1, d(0,2) = 1, d(1,2) = 2 -> both orders: 2 * 4 = 8
    # b: d(0,1) = 0, d(0,2) = 2, d(1,2) = 2 -> 8
    assert F.manhattan_from([a, b]) == pytest.approx((8 + 8) / 2)
    rng = np.random.default_rng(0)
    x = (rng.random((3, 5, 7)) < 0.3).astype(np.float32)  # a layer's 3 steps
    pairs = sum(
        np.abs(x[t][i] - x[t][j]).sum() for t in range(3) for i in range(5) for j in range(5)
    )
    assert F.manhattan_from([x]) == pytest.approx(pairs / 3)
