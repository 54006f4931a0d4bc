"""The compiled module: every example runs forward and backward; scheduling, stats, API."""

from pathlib import Path

import pytest
import torch
from conftest import EXAMPLES

import snarc
from snarc.compiler import SnarcCompileError


def sample_input(net, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    if net.input_kind == "frames":
        return (torch.rand(net.timesteps, batch, *net.input_shape, generator=g) < 0.3).float()
    return torch.rand(batch, *net.input_shape, generator=g)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_compiles_runs_and_learns(path):
    torch.manual_seed(0)
    net = snarc.compile(path)
    summary = snarc.summary(snarc.elaborate(path))
    assert net.num_params() == summary["params"]
    x = sample_input(net)
    y, stats = net(x, return_stats=True)
    assert y.shape == (2, summary["nodes"][-1]["shape"][0]) or y.shape[0] == 2
    assert torch.isfinite(y).all()
    assert stats.total_spikes.shape == (2,)
    (y.square().sum() + y.sum()).backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None]
    assert not missing, f"no gradient reached {missing}"


def test_gradients_reach_plif_time_constants(root):
    net = snarc.compile(root / "examples" / "autosnn.snarc")
    x = sample_input(net, batch=4)
    net(x).sum().backward()
    taus = [p for n, p in net.named_parameters() if n.endswith(".w")]
    assert len(taus) == 1 + 2 * 4 + 1  # stem, two per SRB, the spiking FC
    assert all(p.grad is not None and p.grad.abs() > 0 for p in taus)


LATERAL = """
neuron lif = LIF(tau_mem: 2.0, v_th: 0.2)

network n {
  input frames(2, 6, 6) steps 5
  a, b : lif
  in -> a : conv(3, 4)
  a -> b : conv(3, 4)
  readout b : linear(3) over mean
}
"""


def test_stepwise_and_multistep_schedules_agree():
    torch.manual_seed(0)
    fast = snarc.compile(LATERAL)
    looped = snarc.compile(LATERAL.replace("  readout", "  b ..> a : zero\n  readout"))
    assert fast.mode("a") == "multi-step" and looped.mode("a") == "stepwise"
    looped.load_state_dict(fast.state_dict())
    x = (torch.rand(5, 3, 2, 6, 6) < 0.5).float()
    a, b = fast.run(x), looped.run(x)
    assert a["b"].sum() > 0
    for node in ("a", "b", "readout"):
        torch.testing.assert_close(a[node], b[node], atol=1e-6, rtol=0)


KERNELS = """
neuron plif = PLIF(tau: 2.0, v_th: 0.5, detach_reset: true)
neuron soft = LIF(tau_mem: 3.0, v_th: 0.4, reset: soft, surrogate: sigmoid(4.0))
neuron acc = IF(v_th: 0.6, v_reset: -0.1)

network n {
  input image(2, 8, 8) steps 4
  a : plif
  b : soft
  c : acc merge concat
  in -> a : conv(3, 6) | bn
  a -> b : conv(3, 6, stride: 2) | bn
  a -> c : maxpool(2)
  b -> c : identity
  fc : plif
  c -> fc : linear(12)
  readout fc : vote(3) over mean
}
"""


@pytest.mark.parametrize("fused, channels_last", [(False, True), (True, False), (False, False)])
def test_fused_neurons_and_channels_last_change_no_value(fused, channels_last):
    """The default lowering (fused kernels, NHWC) equals autograd through every step on NCHW."""
    torch.manual_seed(0)
    default = snarc.compile(KERNELS)
    other = snarc.compile(KERNELS, fused_neurons=fused, channels_last=channels_last)
    other.load_state_dict(default.state_dict())
    assert (
        default.edges["input_to_a"].ops[0].weight.is_contiguous(memory_format=torch.channels_last)
    )
    x = torch.rand(5, 2, 8, 8) * 2
    results = []
    for net in (default, other):
        out, stats = net(x, return_stats=True)
        (out.square().sum()).backward()
        grads = {n: p.grad for n, p in net.named_parameters()}
        results.append((out, stats.spikes, grads))
    (o1, s1, g1), (o2, s2, g2) = results
    assert all(v.sum() > 0 for v in s1.values()), "every population should spike"
    torch.testing.assert_close(o1, o2, atol=1e-5, rtol=1e-5)
    for name in s1:
        torch.testing.assert_close(s1[name], s2[name], atol=0, rtol=0)
    for name in g1:
        torch.testing.assert_close(g1[name], g2[name], atol=1e-4, rtol=1e-4)


def test_sops_count_spikes_times_fanout():
    src = """
neuron lif = LIF(tau_mem: 2.0, v_th: 0.5)

network n {
  input frames(1, 4, 4) steps 3
  a : lif
  in -> a : conv(1, 2)
  fc : LI()
  a -> fc : linear(7)
  readout fc over mean
}
"""
    net = snarc.compile(src)
    x = (torch.rand(3, 2, 1, 4, 4) < 0.5).float()
    _, stats = net(x, return_stats=True)
    spikes_a = net.run(x)["a"].sum(dim=(0, 2, 3, 4))
    torch.testing.assert_close(stats.spikes["a"], spikes_a)
    # every spike of `a` reaches the 7 readout neurons; the event frames are not
    # binary spikes here (frames hold counts), so the first layer counts as MACs
    torch.testing.assert_close(stats.sops, spikes_a * 7)
    torch.testing.assert_close(stats.macs, torch.full((2,), 2 * 16 * 1.0 * 3))


def test_direct_rate_and_frame_inputs():
    rate = snarc.compile(
        "neuron lif = LIF()\nnetwork n {\n  input image(1, 4, 4) steps 6 encode rate\n  a : lif\n"
        "  in -> a : conv(3, 2)\n  readout a over mean\n}\n"
    )
    x = torch.rand(3, 1, 4, 4)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    torch.testing.assert_close(rate(x, generator=g1), rate(x, generator=g2))
    seq, static = rate.encode_input(x, torch.Generator().manual_seed(0))
    assert seq.shape == (6, 3, 1, 4, 4) and not static and set(seq.unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="expects input"):
        rate(torch.rand(3, 2, 4, 4))
    assert rate(torch.rand(5, 3, 1, 4, 4)).shape == (3, 2, 4, 4)  # any T (issue 18)
    with pytest.raises(ValueError, match="steps=4 but the input has 5"):
        rate(torch.rand(5, 3, 1, 4, 4), steps=4)


def test_builders_can_be_overridden_and_missing_ones_are_named():
    calls = []

    def my_conv(spec):
        calls.append(spec.describe())
        return torch.nn.Conv2d(
            spec.in_shape[0], spec.out_shape[0], spec.get("kernel"), padding=1, bias=False
        )

    net = snarc.compile(LATERAL, builders={"conv": my_conv})
    assert calls == ["conv(3, 4)", "conv(3, 4)"]
    assert net(torch.rand(5, 1, 2, 6, 6)).shape == (1, 3)
    with pytest.raises(SnarcCompileError) as info:
        snarc.compile(LATERAL, builders={"conv": None})
    assert "no builder for operation 'conv' on the connection input -> a" in info.value.message
    assert info.value.line == 7


def test_printed_module_reads_well(root):
    text = repr(snarc.compile(root / "examples" / "autosnn.snarc"))
    assert (
        "name='autosnn', input=image 3×32×32 (direct), timesteps=8, readout=readout over mean"
        in text
    )
    assert (
        "PLIF(tau=2 (learned), v_th=1, reset=hard to 0, detached, surrogate=atan(2), dt=1)" in text
    )


@pytest.mark.slow
def test_torch_compile_gives_the_same_outputs(root):
    torch.manual_seed(0)
    net = snarc.compile(LATERAL)
    x = (torch.rand(5, 2, 2, 6, 6) < 0.5).float()
    eager = net(x)
    compiled = torch.compile(net)
    torch.testing.assert_close(compiled(x), eager, atol=1e-5, rtol=1e-5)


def test_chunked_convolution_equals_one_call():
    from snarc.compiler.ops import Conv2d

    torch.manual_seed(0)
    conv = Conv2d(8, 4, 3, padding=1)
    x = torch.rand(200, 8, 16, 16)
    conv.CHUNK_BYTES = 8 * 16 * 16 * 4 * 16  # 16 samples a chunk
    torch.testing.assert_close(
        conv(x), torch.nn.functional.conv2d(x, conv.weight, conv.bias, padding=1)
    )


def test_cli_compile_prints_the_schedule(root):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "snarc", "compile", str(root / "examples" / "mse_motifs.snarc")],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "stepwise" in proc.stdout and "multi-step" in proc.stdout
    assert "267,584 parameters in the module (the IR counts 267,584)" in proc.stdout
    assert "smoke test on random input [8, 2, 2, 32, 32] (cpu): output [2, 10]" in proc.stdout


def test_allocator_tuning_applies_once_and_steps_aside():
    import os
    import subprocess
    import sys

    code = "from snarc.util.allocator import tune_allocator as t; print(t(), t())"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUN"))}

    def run(**extra):
        proc = subprocess.run(
            [sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    if sys.platform.startswith("linux"):
        assert run() == ["True", "True"]  # glibc takes the settings
    assert run(SNARC_MALLOC="default") == ["False", "False"]
    assert run(MALLOC_ARENA_MAX="2") == ["False", "False"]  # the user's own tuning wins


def test_a_compiled_network_pickles_and_deep_copies(root):
    """issue 18: pickle (multiprocessing, torch.save(module)) and copy.deepcopy (EMA,
    SWA) give a module that computes the same."""
    import copy
    import pickle

    net = snarc.compile(Path(root / "examples" / "ndigits_conv.snarc")).eval()
    x = (torch.rand(8, 2, 2, 34, 34, generator=torch.Generator().manual_seed(0)) < 0.1).float()
    for other in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        torch.testing.assert_close(other(x), net(x), rtol=0, atol=0)


LEARN_TH = """
network lt {
  input frames(2, 6, 6) steps 6
  a : LIF(v_th: 0.3, reset: soft, learn_threshold: true)
  b : IF(v_th: 0.4, learn_threshold: true)
  o : LI(tau_mem: 2.0)
  in -> a : conv(3, 4)
  a -> b : conv(3, 4)
  b -> o : flatten | linear(3)
  readout o over mean
}
"""


def test_a_learnable_threshold_is_a_parameter_that_trains():
    """issue 18: learn_threshold makes v_th a parameter of the population: counted in
    the IR, registered in the module, given a gradient through the surrogate, exported
    to NIR at its learned value; at its initial value it computes what a fixed one does."""
    g = snarc.elaborate(LEARN_TH)
    assert g.nodes["a"].own_params == 1 and g.nodes["b"].own_params == 1
    torch.manual_seed(0)
    net = snarc.compile(g)
    assert net.num_params() == g.graph["params"]
    names = {n for n, _ in net.named_parameters()}
    assert {"neurons.a.threshold", "neurons.b.threshold"} <= names
    x = (torch.rand(6, 4, 2, 6, 6, generator=torch.Generator().manual_seed(1)) < 0.5).float()
    fixed = snarc.compile(LEARN_TH.replace(", learn_threshold: true", ""))
    fixed.load_state_dict({k: v for k, v in net.state_dict().items() if "threshold" not in k})
    torch.testing.assert_close(net(x), fixed(x))
    net(x).sum().backward()
    th = net.neurons["a"].threshold
    assert th.grad is not None and float(th.grad) != 0.0
    with torch.no_grad():
        th.fill_(0.7)
    from snarc.exchange.nir_export import to_nir

    graph = to_nir(net, g)
    lif = next(n for n in graph.nodes.values() if type(n).__name__ == "LIF")
    assert float(lif.v_threshold.reshape(-1)[0]) == pytest.approx(0.7)
    alif = snarc.compile(
        "network al {\n  input vector(3) steps 4\n  a : ALIF(learn_threshold: true)\n  in -> a : linear(5)\n  readout a over mean\n}\n"
    )
    alif(torch.rand(2, 3)).sum().backward()  # ALIF's adaptive threshold starts from it
    assert alif.neurons["a"].threshold.grad is not None
