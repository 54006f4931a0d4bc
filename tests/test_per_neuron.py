"""issue 15: populations whose parameters differ between neurons (``per_neuron: true``):
with equal values they compute what the homogeneous module computes; with different
values each neuron computes what a homogeneous population with its values does."""

import pytest
import torch

import snarc
from snarc.compiler import NEURON_BUILDERS
from snarc.compiler.per_neuron import PER_NEURON_BUILDERS

CASES = [
    ("LIF", {"tau_mem": 3.0, "v_leak": 0.1, "v_th": 0.6, "v_reset": -0.2}),
    ("LIF", {"tau_mem": 3.0, "tau_syn": 2.0, "v_th": 0.5, "reset": "soft"}),
    ("LIF", {"tau_mem": 4.0, "v_th": 0.5, "reset": "soft", "reset_delay": True}),
    ("IF", {"v_th": 0.7, "v_reset": 0.1}),
    ("LI", {"tau_mem": 3.0, "v_leak": 0.4}),
    ("LI", {"tau_mem": 3.0, "tau_syn": 2.0, "v_leak": -0.2}),
    ("I", {}),
    ("Threshold", {"v_th": 0.4}),
]


def _run(module, x):
    with torch.no_grad():
        return module(x)[0]


@pytest.mark.parametrize("model, params", CASES)
def test_equal_values_compute_what_the_homogeneous_module_does(model, params):
    base = {"surrogate": ("atan", 2.0), **params}
    x = torch.rand(12, 3, 5, generator=torch.Generator().manual_seed(0)) * 1.5
    plain = NEURON_BUILDERS[model](base, 1.0)
    each = PER_NEURON_BUILDERS[model](base, 1.0, (5,))
    torch.testing.assert_close(_run(each, x), _run(plain, x))


def test_each_neuron_computes_with_its_own_values():
    taus, thresholds = [2.0, 3.0, 5.0, 8.0], [0.3, 0.5, 0.4, 0.9]
    x = torch.rand(15, 2, 4, generator=torch.Generator().manual_seed(1)) * 1.5
    each = PER_NEURON_BUILDERS["LIF"]({"tau_mem": 2.0, "v_th": 0.3}, 1.0, (4,))
    each.per_neuron.tau_mem.copy_(torch.tensor(taus))
    each.per_neuron.v_th.copy_(torch.tensor(thresholds))
    each.per_neuron.gain.copy_(torch.tensor([1.0, 2.0, 0.5, 1.5]))
    out = _run(each, x)
    for j, (tau, th, g) in enumerate(zip(taus, thresholds, [1.0, 2.0, 0.5, 1.5], strict=True)):
        alone = NEURON_BUILDERS["LIF"]({"tau_mem": tau, "v_th": th}, 1.0)
        torch.testing.assert_close(out[..., j], _run(alone, g * x[..., j]))
    assert out.sum() > 0


def test_the_values_live_in_the_state_dict_and_load_back(tmp_path):
    src = (
        "network het {\n  input vector(3) steps 6\n"
        "  a : LIF(tau_mem: 2.0, v_th: 0.4, per_neuron: true)\n"
        "  in -> a : linear(4)\n  readout a over sum\n}\n"
    )
    net = snarc.compile(src)
    keys = {k for k in net.state_dict() if "per_neuron" in k}
    assert keys == {f"neurons.a.per_neuron.{n}" for n in
                    ("tau_mem", "tau_syn", "v_leak", "v_th", "v_reset", "gain")}  # fmt: skip
    state = net.state_dict()
    state["neurons.a.per_neuron.v_th"] = torch.tensor([0.1, 0.2, 5.0, 5.0])
    again = snarc.compile(src)
    again.load_state_dict(state)
    fresh = snarc.compile(src)
    fresh.load_state_dict(net.state_dict())
    x = torch.rand(2, 3, generator=torch.Generator().manual_seed(0)) * 3
    with torch.no_grad():
        assert not torch.equal(again(x), fresh(x))
        assert again(x)[:, 2:].sum() == 0  # thresholds of 5 are out of reach
    assert again.neurons["a"].per_neuron.v_th[2] == 5.0


def test_per_neuron_and_a_learned_threshold_are_refused():
    with pytest.raises(snarc.SnarcError, match="per_neuron and learn_threshold"):
        snarc.elaborate(
            "network h {\n  input vector(3) steps 2\n"
            "  a : LIF(per_neuron: true, learn_threshold: true)\n"
            "  in -> a : linear(4)\n  readout a over sum\n}\n"
        )


def test_nir_parameters_per_neuron_import_and_export_back():
    """issue 15: NIR nodes with one value per neuron were refused; now a population with
    per_neuron: true holds them, computes what the reference does, and exports them."""
    import nir
    import numpy as np

    from snarc.exchange.nir_export import to_nir
    from snarc.exchange.nir_import import from_nir
    from snarc.exchange.nir_reference import Reference

    rng = np.random.default_rng(3)
    f = np.float32
    nodes = {
        "in": nir.Input(input_type={"input": np.array([4])}),
        "fc": nir.Affine(weight=rng.normal(0, 1, (5, 4)).astype(f), bias=np.zeros(5, f)),
        "lif": nir.LIF(tau=rng.uniform(1.5, 6, 5).astype(f), r=rng.uniform(0.5, 2, 5).astype(f),
                       v_leak=rng.uniform(-0.1, 0.1, 5).astype(f),
                       v_threshold=rng.uniform(0.2, 0.8, 5).astype(f), v_reset=np.zeros(5, f)),
        "fc2": nir.Affine(weight=rng.normal(0, 1, (3, 5)).astype(f), bias=np.zeros(3, f)),
        "li": nir.LI(tau=np.array([2.0, 3.0, 4.0], f), r=np.ones(3, f),
                     v_leak=np.array([0.0, 0.5, -0.5], f)),
        "out": nir.Output(output_type={"output": np.array([3])}),
    }  # fmt: skip
    edges = [("in", "fc"), ("fc", "lif"), ("lif", "fc2"), ("fc2", "li"), ("li", "out")]
    g = nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": 1.0, "timesteps": 8})
    text, state = from_nir(g, name="het")
    assert text.count("per_neuron: true") == 2
    net = snarc.compile(text)
    net.load_state_dict(state)
    x = torch.rand(8, 3, 4, generator=torch.Generator().manual_seed(2)) * 2
    with torch.no_grad():
        ours = net.run(x)["readout"].double().numpy()
    ref = Reference(g).run(x.numpy())["out"]
    assert np.abs(ref).sum() > 0
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    back = to_nir(net, snarc.elaborate(text))
    lif = next(v for v in back.nodes.values() if isinstance(v, nir.LIF))
    np.testing.assert_allclose(lif.tau, nodes["lif"].tau, rtol=1e-6)
    np.testing.assert_allclose(lif.r, nodes["lif"].r, rtol=1e-6)
    np.testing.assert_allclose(Reference(back).run(x.numpy())["output"], ours, atol=1e-5)
