"""AutoSNN as its authors built it: the spike count with max-pool outputs, batch-norm
statistics per time step, the released search's operators and archive, the presets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import ROOT

import snarc
from snarc.evolution.config import Config, RunError
from snarc.evolution.operators import cut_crossover, point_mutate
from snarc.evolution.presets import PRESETS
from snarc.evolution.space import load_space


def _noisy_bn(net, seed=0):
    g = torch.Generator().manual_seed(seed)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=g) * 0.4 - 0.2)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            with torch.no_grad():
                m.bias.copy_(torch.rand(m.num_features, generator=g) * 0.6)


@pytest.mark.parametrize(
    "example, pools",
    [("autosnn", ["p1", "p2", "p3"]), ("autosnn_dvs", ["q0", "s", "p1", "p2", "p3"])],
)
def test_spike_count_with_pools_is_the_released_definition(example, pools):
    """The released forward adds, every step, the spikes of the stem neuron, of every
    neuron inside a block (2 per SCB/SRB, 1 per skip projection, 0 for identity), of each
    max-pool's output, and of the FC neurons; divided by the batch size."""
    net = snarc.compile(snarc.load_file(str(ROOT / "examples" / f"{example}.snarc")))
    _noisy_bn(net)
    net.eval()
    assert net.pooled_spike_nodes() == pools
    shape = net.input_shape
    frames = (torch.rand(16, 3, *shape) < 0.3).float()  # [T, B, ...] event frames
    x = frames if example == "autosnn_dvs" else torch.rand(3, *shape)  # images: [B, ...]
    with torch.no_grad():
        seqs, stats = net.activity(x)
    neurons = [n for n in net.nodes() if n == "s0" or n == "s1" or n == "stem" or n == "fc"
               or n.endswith(".a") or n.endswith(".b")]  # fmt: skip
    assert sorted(neurons) == sorted(net.spiking_nodes())
    released = sum(float(seqs[n].sum()) for n in neurons + pools) / 3
    per = stats.per_sample()
    assert per["spikes_pooled"] == pytest.approx(released, rel=1e-6)
    assert per["spikes"] == pytest.approx(sum(float(seqs[n].sum()) for n in neurons) / 3, rel=1e-6)
    assert per["spikes_pooled"] > per["spikes"] > 0


def test_batch_norm_per_step_uses_each_steps_statistics():
    """``bn(per_step: true)`` normalises each step's batch alone (the released step loop);
    the default normalises all steps' rows as one batch."""
    text = """
network t {
  input frames(2, 6, 6) steps 4
  a : none
  in -> a : conv(3, 4) | bn(per_step: PS)
  o : LIF(v_th: 0.3)
  a -> o : flatten | linear(2)
  readout o over mean
}
"""
    x = (torch.rand(4, 5, 2, 6, 6) < 0.4).float()  # [T, B, C, H, W]

    def normalised(y):  # over the batch and the map, per channel
        mean = y.mean((0, 2, 3), keepdim=True)
        return (y - mean) / torch.sqrt(y.var((0, 2, 3), unbiased=False, keepdim=True) + 1e-5)

    got = {}
    for ps in ("true", "false"):
        torch.manual_seed(0)
        net = snarc.compile(text.replace("PS", ps))
        net.train()
        conv = net.get_submodule("edges.input_to_a").ops[0]
        with torch.no_grad():
            y = conv(x.reshape(20, 2, 6, 6)).view(4, 5, 4, 6, 6)
            if ps == "true":
                ref = torch.stack([normalised(y[t]) for t in range(4)])
            else:
                ref = normalised(y.reshape(20, 4, 6, 6)).view(4, 5, 4, 6, 6)
            got[ps] = net.run(x)["a"]
        torch.testing.assert_close(got[ps], ref, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(got["true"], got["false"], atol=1e-3)


def test_point_mutation_switches_each_choice_with_its_probability():
    space = load_space("autosnn")
    rng = np.random.default_rng(0)
    parent = space.derive(rng)
    before = parent.dumps()
    blocks = [s.node.alt for s in space.choices(parent)]
    assert len(blocks) == 5
    switched = np.zeros(5)
    n = 2000
    for _ in range(n):
        child = point_mutate(space, parent, rng, 0.2)
        alts = [s.node.alt for s in space.choices(child)]
        switched += [a != b for a, b in zip(alts, blocks, strict=True)]
    assert parent.dumps() == before  # the parent is untouched
    # a switch always lands on another block: the rate is p itself (sd 0.009)
    assert np.all(np.abs(switched / n - 0.2) < 0.04)
    every = point_mutate(space, parent, rng, 1.0)
    assert all(
        a != b for a, b in zip((s.node.alt for s in space.choices(every)), blocks, strict=True)
    )


def test_one_point_crossover_joins_a_prefix_and_a_suffix():
    space = load_space("autosnn")
    rng = np.random.default_rng(1)
    a, b = space.derive(rng), space.derive(rng)
    while len({(x.node.alt, y.node.alt) for x, y in zip(space.choices(a), space.choices(b))}) < 5:
        b = space.derive(rng)
    pa = [s.node.alt for s in space.choices(a)]
    pb = [s.node.alt for s in space.choices(b)]
    cuts = set()
    for _ in range(200):
        child = [s.node.alt for s in space.choices(cut_crossover(space, a, b, rng))]
        cut = next(k for k in range(1, 5) if child == pa[:k] + pb[k:])
        cuts.add(cut)
    assert cuts == {1, 2, 3, 4}


def test_presets_fill_the_config():
    cfg = Config(**PRESETS["autosnn-paper"].config_fields({"data": "cifar10:/d", "supernet": None}))
    assert (cfg.mode, cfg.population, cfg.top_k, cfg.spikes_ref, cfg.lam) == (
        "autosnn",
        20,
        10,
        110_000.0,
        -0.08,
    )
    assert cfg.generations == 19  # 20 iterations: the first pool and 19 more
    with pytest.raises(RunError, match="cifar10"):
        PRESETS["autosnn-paper"].config_fields({})
    with pytest.raises(RunError, match="supernet"):
        Config(**PRESETS["autosnn-paper-cpu"].config_fields({})).validate()
