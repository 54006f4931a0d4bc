"""SNASNet as its authors built it: the released code's cell encoding, pruning and
search distribution; the published cells decoded; the edge neurons' timing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import ROOT

import snarc
from snarc.evolution import snasnet_cell as S
from snarc.evolution.presets import PRESETS
from snarc.evolution.space import load_space


def test_valid_backward_cells_number_104708():
    # The released generator draws, per node pair, a direction (coin) and an op code
    # 0..4: 9 outcomes per pair (zero is the same both ways), 9**6 = 531,441 matrices.
    # Pruning (nodes that do not reach node 3, nodes node 0 does not reach) and the
    # acceptance test (direct 0 -> 3) leave 236,196 draws = 9**5 * 4 (the pair 0 -> 3
    # forward and nonzero, anything elsewhere), which prune to 104,708 distinct cells.
    raw = list(S.raw_matrices())
    assert len(raw) == 9**6
    kept = [p for p in map(S.prune, raw) if S.accepted(p)]
    assert len(kept) == 9**5 * 4
    assert len(S.valid_matrices()) == len({p.tobytes() for p in kept}) == 104_708


def test_pruning_follows_reachability():
    # 0 -> 3 direct; node 1 feeds nothing (does not reach 3): cut with its inputs;
    # node 2 gets input only from node 1... which node 0 reaches, so 2 stays reachable
    # but no longer reaches 3 either.
    m = S.parse_matrix("0303 0000 0000 0000")  # 0->1 conv3, 0->3 conv3; 1 is a dead end
    assert S.prune(m).tolist() == [[0, 0, 0, 3], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    m = S.parse_matrix("0002 0010 0000 0000")  # 1 -> 2 but nothing reaches 1
    assert S.prune(m).tolist() == [[0, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    m = S.parse_matrix(S.PUBLISHED["cifar10"])
    assert (S.prune(m) == m).all()  # the published cells are already pruned


def test_the_space_draws_as_the_released_generator():
    """Grammar draws (coin then op per pair, 0 -> 3 forward nonzero) give, after the
    canonical form, the distribution of :func:`S.sample` (the released procedure)."""
    space = load_space("snasnet-paper")
    rng = np.random.default_rng(1)
    n = 3000
    from_space = [S.tree_matrix(space, space.normal(space.derive(rng))) for _ in range(n)]
    from_code = [S.sample(rng) for _ in range(n)]
    for m in from_space[:200]:
        assert S.accepted(m) and (S.prune(m) == m).all()

    # compare the frequencies of every (pair, op, direction) outcome
    def freqs(ms):
        out = np.zeros((4, 4, 5))
        for m in ms:
            for i in range(4):
                for j in range(4):
                    out[i, j, m[i, j]] += 1
        return out / len(ms)

    a, b = freqs(from_space), freqs(from_code)
    assert np.abs(a - b).max() < 0.04  # 3,000 draws each: sd of a frequency <= 0.013


def test_canonical_form_identifies_the_network():
    space = load_space("snasnet-paper")
    rng = np.random.default_rng(0)
    texts: dict[bytes, str] = {}
    for _ in range(150):
        tree = space.derive(rng)
        pruned = S.prune(S.tree_matrix(space, tree))
        text = space.canonical(tree)
        assert texts.setdefault(pruned.tobytes(), text) == text  # one network, one text
    assert len(set(texts.values())) == len(texts)


def test_published_cells_decode_into_the_stdlib_and_examples():
    std = (ROOT / "stdlib" / "snasnet.snarc").read_text()
    for data, name in (("cifar10", "snas_c10"), ("cifar100", "snas_c100")):
        text = S.motif(S.parse_matrix(S.PUBLISHED[data]), name, "lif_paper")
        assert text in std
    # Parameter counts of the released SNASNet with these cells (bias-free convs, BN 2C):
    #   stem conv 3->128 3x3 + BN: 3,456 + 256 = 3,712
    #   BN-LIF-conv 128->256 3x3-BN: 256 + 294,912 + 512 = 295,680; last BN(256): 512
    #   Linear(256*8*8 -> 1024, no bias): 16,777,216
    #   CIFAR-10 cell (conv3 x3, conv1 x3): 30 C^2 + 12 C -> 493,056 (C 128), 1,969,152 (256)
    #     + Linear(1024 -> 100) 102,500                     = 19,641,828
    #   CIFAR-100 cell (conv3 x4, conv1 x1): 37 C^2 + 10 C -> 607,488, 2,427,392
    #     + Linear(1024 -> 500) 512,500                     = 20,624,500
    expected = {"snasnet_cifar10": 19_641_828, "snasnet_cifar100": 20_624_500}
    for name, n in expected.items():
        assert snarc.elaborate(ROOT / "examples" / f"{name}.snarc").graph["params"] == n


def _lif(v, x, tau=4 / 3, th=1.0):
    """SpikingJelly's LIFNode (decay_input, v_reset 0, hard reset)."""
    v = v + (x - v) / tau
    z = (v > th).float()
    return v * (1 - z), z


def test_edge_neurons_compute_the_released_backward_cell():
    """The CIFAR-10 cell written with neurons on its connections runs as the released
    ``Neuronal_Cell_backward`` does: each conv connection's LIF steps on its source
    every step; node j feeds on sum of forward ops at t and backward ops at t-1."""
    net = snarc.compile(
        "import std.snasnet\nnetwork t {\n  input image(4, 6, 6) steps 5\n  x : none\n"
        "  in -> x : identity\n  cell c = snas_c10(4) from x\n  o : LIF()\n"
        "  c -> o : flatten | linear(3)\n  readout o over mean\n}\n"
    )
    torch.manual_seed(0)
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:  # a trained-looking affine part: the shift shows at step 0
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0, 0.3)
    x = torch.randn(2, 4, 6, 6) * 2
    from snarc.fitness.activity import run

    out = run(net, x)["c.n3"]  # batch statistics, as the released search scores cells
    for m in bns:
        m.train()
        m.track_running_stats = False

    def op(src, dst):
        return torch.nn.Sequential(
            *net.get_submodule(f"edges.c__n{src}_n{dst}_lif_paper_to_c__n{dst}.ops")
        )

    forward = {(0, 1): op(0, 1), (1, 2): op(1, 2), (0, 3): op(0, 3), (2, 3): op(2, 3)}
    backward = {(2, 0): op(2, 0), (3, 1): op(3, 1)}
    v = {e: torch.zeros(2, 4, 6, 6) for e in [*forward, *backward]}
    rest = torch.zeros(2, 4, 6, 6)
    with torch.no_grad():
        # The one difference that remains: before step 0 snarc's backward connection
        # delivers its operations applied to its source at rest (BN's shift of a zero
        # conv output: 0 at initialisation, in train mode); the released code adds 0.
        last = {0: backward[2, 0](rest), 1: backward[3, 1](rest)}
        for t in range(5):
            x0 = x + last[0]
            v[0, 1], z = _lif(v[0, 1], x0)
            x1 = forward[0, 1](z) + last[1]
            v[1, 2], z = _lif(v[1, 2], x1)
            x2 = forward[1, 2](z)
            v[0, 3], z03 = _lif(v[0, 3], x0)
            v[2, 3], z23 = _lif(v[2, 3], x2)
            x3 = forward[0, 3](z03) + forward[2, 3](z23)
            torch.testing.assert_close(out[t], x3, rtol=1e-5, atol=1e-5)
            v[2, 0], z = _lif(v[2, 0], x2)
            v[3, 1], z31 = _lif(v[3, 1], x3)
            last = {0: backward[2, 0](z), 1: backward[3, 1](z31)}


def test_presets_fill_the_config():
    from snarc.evolution.config import Config, RunError

    cpu = PRESETS["snasnet-paper-cpu"].config_fields({"population": 10})
    cfg = Config(**cpu)
    cfg.validate()
    assert (cfg.space, cfg.fitness, cfg.mode, cfg.population) == (
        "snasnet-paper",
        ["sahd"],
        "random",
        10,
    )
    with pytest.raises(RunError, match="cifar10"):
        PRESETS["snasnet-paper"].config_fields({})
    assert PRESETS["snasnet-paper"].config_fields({"data": "cifar10:/d"})["population"] == 5000


def test_every_sampled_cell_decodes_into_a_valid_program():
    rng = np.random.default_rng(3)
    for k in range(60):
        m = S.sample(rng)
        text = (
            "import std.snasnet\n"
            + S.motif(m, "c", "lif_paper")
            + "\nnetwork t {\n  input frames(2, 8, 8) steps 2\n  x : none\n"
            "  in -> x : conv(3, 4) | bn\n  cell a = c(4) from x\n  cell b = c(4) from a\n"
            "  o : LIF()\n  b -> o : flatten | linear(3)\n  readout o over mean\n}\n"
        )
        graph = snarc.elaborate(text)
        assert graph.graph["params"] > 0, k
