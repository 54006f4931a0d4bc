"""MSE-NAS as its authors built it: the space's size from the released encoding, and
the same-step back connections of its motifs."""

from __future__ import annotations

import numpy as np
import torch

import snarc
from snarc.evolution.config import Config, space_text
from snarc.evolution.presets import PRESETS
from snarc.evolution.space import SearchSpace, load_space


def test_space_size_is_the_released_encodings():
    """From evolution.py and micro_encoding.decode_motif: a layer holds 20 genes, the
    first the motif id in [0, 3] (m0..m3 at fan-in 3, mm0..mm3 at fan-in 2), then one
    gene per operation of the motif in [0, 1] (conv 3x3 or 5x5 for an excitatory or
    inhibitory edge; skip and skip_connect ignore theirs), and all back connections of
    a motif read one gene, also in [0, 1]. The fan-in is one global gene in [2, 3].
    Motifs per cell: fan-in 3: m0 1 + m1 2^4 + m2 2^6 + m3 2^5·2 = 145;
                     fan-in 2: mm0 1 + mm1 2^3 + mm2 2^5 + mm3 2^4·2 = 73.
    For dvsg the reductions sit at layers 1, 3, 5 (cellmodel.py: reduce_idx [1, 3, 5,
    7]) and ignore their motif, so 6 layers search 3 cells: 145^3 + 73^3."""
    space = load_space("msenas-paper")
    cells = {rule: space.count(rule) for rule in space.alternatives if rule.startswith("cell")}
    assert sorted(cells.values()) == [73, 73, 73, 145, 145, 145]
    assert 1 + 2**4 + 2**6 + 2**5 * 2 == 145 and 1 + 2**3 + 2**5 + 2**4 * 2 == 73
    assert space.count() == 145**3 + 73**3 == 3_437_642


def _cpu_space() -> SearchSpace:
    """The space as the CPU preset runs it (its overrides applied as a run applies them)."""
    return SearchSpace(*space_text(Config(**PRESETS["msenas-paper-cpu"].config_fields({}))))


def _lif(x, tau=2.0, th=0.5):  # BrainCog's LIFNode: v += (x − v)/τ, spike above θ, reset 0
    v, out = torch.zeros_like(x[0]), []
    for t in range(x.shape[0]):
        v = v + (x[t] - v) / tau
        z = (v > th).float()
        out.append(z)
        v = v * (1 - z)
    return torch.stack(out)


def test_back_connections_act_within_the_step_as_released():
    """mm3 (fan-in 2): n2 = e(s0) + e(s1); n3 = s0 + i(n2); n2 += n3 (skip_connect_back);
    n4 = s0 + e(n3); n3 += e_back(n4); the output concatenates the updated n2, n3 and
    n4 — the nodes that read n2 and n3 before the update see the old values."""
    space = _cpu_space()
    rng = np.random.default_rng(0)
    while True:
        tree = space.derive(rng)
        text = space.canonical(tree)
        if "a0_n2b" in text:
            break
    net = snarc.compile(text)
    net.eval()
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.bias.normal_(0.3, 0.2)
    x = (torch.rand(8, 3, 2, 32, 32) < 0.3).float()
    with torch.no_grad():
        seqs = net.run(x)

        def through(src, dst):  # the connection's neuron on the source, then its ops
            lif_out = seqs[f"{src}_{dst}_lif"]
            torch.testing.assert_close(lif_out, _lif(seqs[src]))
            ops = net.get_submodule(f"edges.{src}_{dst}_lif_to_{dst}")
            y = torch.stack([ops(lif_out[t]) for t in range(lif_out.shape[0])])
            return y

        s0 = seqs["a0_s0"]
        n2 = through("a0_s0", "a0_n2") + through("a0_s1", "a0_n2")
        n3 = s0 + through("a0_n2", "a0_n3")
        n4 = s0 + through("a0_n3", "a0_n4")
        n2b, n3b = n2 + n3, n3 + through("a0_n4", "a0_n3b")
        for name, ref in (("a0_n2", n2), ("a0_n3", n3), ("a0_n4", n4), ("a0_n2b", n2b)):
            torch.testing.assert_close(seqs[name], ref, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(
            seqs["a0_out"], torch.cat([n2b, n3b, n4], dim=2), atol=1e-5, rtol=1e-5
        )
        assert (n3b - n3).abs().sum() > 0  # the back connection carried something


def test_random_programs_of_the_space_check_and_compile():
    space = _cpu_space()
    rng = np.random.default_rng(2)
    for _ in range(12):
        text = space.canonical(space.derive(rng))
        graph = space.validate(text)
        assert not graph.graph["warnings"]
        assert snarc.compile(graph).num_params() == graph.graph["params"]


def test_msenas_presets():
    cfg = Config(**PRESETS["msenas-paper-cpu"].config_fields({}))
    cfg.validate()
    assert (cfg.space, cfg.fitness, cfg.mode) == ("msenas-paper", ["cm"], "nsga2")
    paper = PRESETS["msenas-paper"].config_fields({"data": "dvsgesture:/d"})
    assert (paper["population"], paper["generations"], paper["fitness"]) == (50, 100, ["acc@10"])
