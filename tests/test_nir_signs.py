"""issue 15: excitatory/inhibitory connections export where the weights make NIR's lack
of rectification exact, and are refused by name where they do not."""

import nir
import numpy as np
import pytest
import torch

import snarc
from snarc.exchange.nir_export import NIRExportError, to_nir
from snarc.exchange.nir_reference import Reference
from snarc.exchange.nir_signs import chain_sign, rectified, sign_of

PROGRAM = """
network signs {
  input frames(2, 6, 6) steps 6
  a : LIF(tau_mem: 2.0, v_th: 0.3)
  b : LIF(tau_mem: 2.0, v_th: 0.3)
  c : LIF(tau_mem: 2.0, v_th: 0.3)
  gate : none
  in -> a : conv(3, 4)
  a -> b : conv(3, 4) | bn excitatory
  in -> b : conv(3, 4)
  a -> c : conv(3, 4) inhibitory
  in -> c : conv(3, 4)
  b -> gate : avgpool(2) | conv(1, 4) inhibitory
  c -> gate : avgpool(2)
  o : LI(tau_mem: 2.0)
  gate -> o : linear(5)
  readout o over mean
}
"""


def _weights(net, key):
    return [m for m in net.edges[key].modules() if isinstance(m, torch.nn.Conv2d)][0]


def _prepared(signs: dict):
    """The program with the signed convolutions' weights set to the given signs."""
    torch.manual_seed(0)
    graph = snarc.elaborate(PROGRAM)
    net = snarc.compile(graph)
    for (u, v), s in signs.items():
        info = next(i for i in net.in_edges(v) if i.src == u)
        conv = _weights(net, info.key)
        with torch.no_grad():
            conv.weight.copy_(s * conv.weight.abs() * 3.0)
            if conv.bias is not None:
                conv.bias.zero_()
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.weight.data *= 2.0
    x = (torch.rand(6, 3, 2, 6, 6, generator=torch.Generator().manual_seed(1)) < 0.4).float()
    with torch.no_grad():
        net(x)  # batch-norm statistics
    net.eval()
    return graph, net, x


@pytest.mark.parametrize("b_sign, c_sign, gate_sign", [(1, 1, 1), (1, -1, -1), (-1, 1, 1)])
def test_rectification_that_the_weights_make_exact_exports_and_matches(b_sign, c_sign, gate_sign):
    """Weights of one sign make the rectification do nothing (own sign) or make the
    connection 0 (the other sign); the exported graph, run by the literal reference,
    equals snarc's module, rectification included."""
    graph, net, x = _prepared({("a", "b"): b_sign, ("a", "c"): c_sign, ("b", "gate"): gate_sign})
    # batch-norm may shift: make its shift non-negative so a -> b keeps one sign
    bn = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)][0]
    with torch.no_grad():
        bn.running_mean.zero_()
        bn.bias.fill_(0.0)
    g = to_nir(net, graph)
    with torch.no_grad():
        ours = net.run(x)["readout"].double().numpy()
    ref = Reference(g).run(x.numpy())["output"]
    assert np.abs(ours).sum() > 0
    np.testing.assert_allclose(ref.reshape(ours.shape), ours, atol=1e-5, rtol=0)
    zeroed = [n for n in g.nodes if n.endswith("rectified")]
    expected = (b_sign < 0) + (c_sign > 0) + (gate_sign > 0)
    assert len(zeroed) == expected, zeroed


def test_rectification_of_mixed_weights_is_refused_naming_each_connection():
    graph, net, _ = _prepared({})
    with pytest.raises(NIRExportError) as info:
        to_nir(net, graph)
    lines = [p for p in info.value.message.splitlines() if p.startswith("  - ")]
    assert len(lines) == 3
    assert any("a -> b: NIR cannot rectify (excitatory)" in p for p in lines)
    assert any("b -> gate: NIR cannot rectify (inhibitory)" in p for p in lines)


def test_sign_analysis_by_hand():
    f = np.float32
    pos = nir.Affine(weight=np.array([[1.0, 2.0]], f), bias=np.array([0.5], f))
    neg = nir.Affine(weight=np.array([[-1.0, 0.0]], f), bias=np.array([0.0], f))
    mixed = nir.Affine(weight=np.array([[1.0, -1.0]], f), bias=np.array([0.0], f))
    assert [sign_of([0, 0]), sign_of([0, 1]), sign_of([-1, 0]), sign_of([-1, 1])] == [
        "0", "+", "-", None,
    ]  # fmt: skip
    assert chain_sign([pos], "+") == "+" and chain_sign([neg], "+") == "-"
    assert chain_sign([neg, neg], "+") == "+"  # −(−x) ≥ 0 for x ≥ 0, with zero bias
    assert chain_sign([mixed], "+") is None and chain_sign([pos], None) is None
    assert chain_sign([nir.Threshold(threshold=np.array([0.5], f))], None) == "+"
    assert chain_sign([nir.Scale(scale=np.zeros(1, f))], None) == "0"
    assert rectified("excitatory", "+") == "keep" and rectified("excitatory", "-") == "drop"
    assert rectified("inhibitory", "+") == "drop" and rectified("inhibitory", "0") == "keep"
    assert rectified("inhibitory", None) is None
