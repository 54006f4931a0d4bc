"""Oracles: compiled snarc modules against hand-written Norse models with the same weights."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import snarc
from snarc.compiler import NEURON_BUILDERS
from snarc.compiler import neurons as N
from snarc.compiler.surrogates import NORSE_METHOD, SURROGATE_GRADS, SURROGATES

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import norse.torch as nt

ATOL = 1e-5


def edge(net, src, dst):
    """The compiled EdgeModule of the connection src -> dst."""
    (e,) = [e for e in net._plans[dst].in_edges if e.src == src]
    return net.edges[e.key]


def t(x):
    return torch.as_tensor(x, dtype=torch.float32)


def lif_box(tau, th, method, alpha):
    return nt.LIFBoxCell(
        p=nt.LIFBoxParameters(tau_mem_inv=t(1 / tau), v_th=t(th), method=method, alpha=t(alpha)),
        dt=1.0,
    )


# ---------------------------------------------------------------- single neurons


def trace(module: N.NeuronModule, inputs):
    """Run one neuron step by step; return its outputs and membrane potentials."""
    c = module.coefficients()
    x = torch.tensor(inputs, dtype=torch.float32).view(-1, 1)
    a = module.prepare(x, c)
    state = module.initial(a[0])
    zs, vs = [], []
    for step in range(len(inputs)):
        z, state = module.step(a[step], state, c)
        zs.append(z.item())
        vs.append(state[0].item())
    return zs, vs


GOLDEN = [
    # model, params, input, expected outputs, expected membrane potential after each step
    ("LIF", {"tau_mem": 2.0}, [1.5] * 4, [0, 1, 0, 1], [0.75, 0.0, 0.75, 0.0]),
    (
        "LIF",
        {"tau_mem": 2.0, "reset": "soft"},
        [1.5] * 4,
        [0, 1, 0, 1],
        [0.75, 0.125, 0.8125, 0.15625],
    ),
    ("IF", {}, [0.4] * 4, [0, 0, 1, 0], [0.4, 0.8, 0.0, 0.4]),
    ("PLIF", {"tau": 2.0}, [1.5] * 4, [0, 1, 0, 1], [0.75, 0.0, 0.75, 0.0]),
    (
        "ALIF",
        {"tau_mem": 2.0, "tau_adapt": 2.0, "beta": 1.0},
        [1.5] * 4,
        [0, 1, 0, 0],
        [0.75, 0.0, 0.75, 1.125],
    ),
    ("LI", {"tau_mem": 2.0}, [1.0] * 4, [0.5, 0.75, 0.875, 0.9375], [0.5, 0.75, 0.875, 0.9375]),
]


@pytest.mark.parametrize(
    "model, params, inputs, outs, vs", GOLDEN, ids=[g[0] + str(i) for i, g in enumerate(GOLDEN)]
)
def test_golden_membrane_traces(model, params, inputs, outs, vs):
    module = NEURON_BUILDERS[model](
        {"v_th": 1.0, "v_reset": 0.0, "surrogate": ("atan", 2.0), **params}, 1.0
    )
    got_z, got_v = trace(module, inputs)
    assert got_z == pytest.approx(outs, abs=1e-6)
    assert got_v == pytest.approx(vs, abs=1e-6)


def _norse_cell(model):
    """(snarc params, the equivalent Norse cell) for each model."""
    if model == "LIF":
        return {"tau_mem": 4.0, "v_th": 0.5}, lif_box(4.0, 0.5, "super", 100.0)
    if model == "LIF_syn":
        p = nt.LIFParameters(
            tau_syn_inv=t(1 / 3), tau_mem_inv=t(1 / 4), v_th=t(0.5), method="super", alpha=t(100.0)
        )
        return {"tau_mem": 4.0, "tau_syn": 3.0, "v_th": 0.5}, nt.LIFCell(p=p, dt=1.0)
    if model == "IF":
        return {"v_th": 0.5}, nt.IAFCell(
            p=nt.IAFParameters(v_th=t(0.5), method="super", alpha=t(100.0))
        )
    if model == "ALIF":
        p = nt.LSNNParameters(
            tau_syn_inv=t(1 / 2),
            tau_mem_inv=t(1 / 4),
            tau_adapt_inv=t(1 / 10),
            v_th=t(0.5),
            beta=t(0.3),
            method="super",
            alpha=t(100.0),
        )
        return (
            {"tau_mem": 4.0, "tau_syn": 2.0, "tau_adapt": 10.0, "beta": 0.3, "v_th": 0.5},
            nt.LSNNCell(p=p, dt=1.0),
        )
    if model == "Izhikevich":
        from norse.torch.functional.izhikevich import IzhikevichSpikingBehavior, IzhikevichState

        p = nt.IzhikevichParameters(a=0.02, b=0.2, c=-65.0, d=8.0, method="super", alpha=100.0)
        s = IzhikevichState(v=torch.full((3,), -65.0), u=torch.full((3,), -13.0))
        return (
            {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0, "v_th": 30.0},
            nt.IzhikevichCell(IzhikevichSpikingBehavior(p=p, s=s), dt=0.25 / 250),
        )
    if model == "LI_syn":
        p = nt.LIParameters(tau_syn_inv=t(1 / 3), tau_mem_inv=t(1 / 4))
        return {"tau_mem": 4.0, "tau_syn": 3.0}, nt.LICell(p=p, dt=1.0)
    if model == "LI":
        return {"tau_mem": 4.0}, nt.LIBoxCell(p=nt.LIBoxParameters(tau_mem_inv=t(1 / 4)), dt=1.0)
    raise KeyError(model)


@pytest.mark.parametrize("model", ["LIF", "LIF_syn", "IF", "ALIF", "Izhikevich", "LI", "LI_syn"])
def test_neuron_models_match_norse_cells(model):
    torch.manual_seed(0)
    params, cell = _norse_cell(model)
    name = model.split("_")[0]
    dt = 0.25 if name == "Izhikevich" else 1.0
    module = NEURON_BUILDERS[name]({"surrogate": ("superspike", 100.0), **params}, dt)
    scale = 20.0 if name == "Izhikevich" else 1.0
    x = torch.rand(40, 3) * scale
    ours, _ = module(x)
    state = None
    theirs = []
    for step in range(x.shape[0]):
        out, state = cell(x[step], state)
        theirs.append(out)
    theirs = torch.stack(theirs)
    if name != "LI":
        assert ours.sum() > 0, "the test input should make the neurons spike"
    torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=0)


# ---------------------------------------------------------------- networks

FF = """
neuron lif = LIF(tau_mem: 2.0, v_th: 0.3, surrogate: superspike(1.0))

network ff {
  input frames(2, 12, 12) steps 6
  l1, l2 : lif
  in -> l1 : conv(3, 4)
  l1 -> l2 : maxpool(2) | conv(3, 8, bias: true)
  fc : LI(tau_mem: 2.0)
  l2 -> fc : linear(5)
  readout fc over max
}
"""


def test_feedforward_conv_snn_matches_norse():
    torch.manual_seed(1)
    net = snarc.compile(FF)
    x = (torch.rand(6, 3, 2, 12, 12) < 0.4).float()
    conv1 = edge(net, "input", "l1").ops[0]
    _, conv2 = edge(net, "l1", "l2").ops
    fc = edge(net, "l2", "fc").ops[0]
    # Norse's SuperSpike backward ignores alpha (it is 1 / (|x| + 1)^2): compare at alpha = 1
    lif1, lif2 = lif_box(2.0, 0.3, "super", 1.0), lif_box(2.0, 0.3, "super", 1.0)
    li = nt.LIBoxCell(p=nt.LIBoxParameters(tau_mem_inv=t(0.5)), dt=1.0)
    s1 = s2 = s3 = None
    z1s, z2s, vs = [], [], []
    for step in range(6):  # the hand-written model: one time step at a time
        z1, s1 = lif1(F.conv2d(x[step], conv1.weight, padding=1), s1)
        z2, s2 = lif2(conv2(F.max_pool2d(z1, 2)), s2)
        v, s3 = li(F.linear(z2.flatten(1), fc.weight), s3)
        z1s.append(z1)
        z2s.append(z2)
        vs.append(v)
    expected = torch.stack(vs).max(0).values
    seqs = net.run(x)
    torch.testing.assert_close(seqs["l1"], torch.stack(z1s), atol=ATOL, rtol=0)
    torch.testing.assert_close(seqs["l2"], torch.stack(z2s), atol=ATOL, rtol=0)
    got = net(x)
    torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)
    assert seqs["l2"].sum() > 0
    # the same gradients, too
    (g_ours,) = torch.autograd.grad(got.sum(), conv1.weight)
    (g_norse,) = torch.autograd.grad(expected.sum(), conv1.weight)
    torch.testing.assert_close(g_ours, g_norse, atol=1e-4, rtol=1e-4)


FEEDBACK = """
neuron lif = LIF(tau_mem: 2.0, v_th: 0.3, surrogate: triangle(0.3))

motif loop(c) {
  a, b : lif
  in -> a : conv(3, c) excitatory
  a -> b : conv(3, c)
  b ~> a : conv(3, c) inhibitory
  out b
}

network fb {
  input frames(2, 8, 8) steps 5
  cell m = loop(4) from in
  readout m : linear(3) over mean
}
"""


def test_motif_with_feedback_matches_norse():
    torch.manual_seed(2)
    net = snarc.compile(FEEDBACK)
    assert net.mode("m.a") == net.mode("m.b") == "stepwise"
    x = (torch.rand(5, 2, 2, 8, 8) < 0.5).float()
    w_in = edge(net, "input", "m.a").ops[0].weight
    w_ab = edge(net, "m.a", "m.b").ops[0].weight
    w_fb = edge(net, "m.b", "m.a").ops[0].weight
    w_out = edge(net, "m.b", "readout").ops[0].weight
    for w in (w_in, w_ab, w_fb):
        w.data *= 3.0  # enough drive for spikes and inhibition
    cell_a, cell_b = lif_box(2.0, 0.3, "triangle", 0.3), lif_box(2.0, 0.3, "triangle", 0.3)
    sa = sb = None
    b_prev = None
    outs, za, zb = [], [], []
    for step in range(5):
        current = F.relu(F.conv2d(x[step], w_in, padding=1))
        if b_prev is not None:
            current = current + torch.clamp(F.conv2d(b_prev, w_fb, padding=1), max=0)
        a, sa = cell_a(current, sa)
        b, sb = cell_b(F.conv2d(a, w_ab, padding=1), sb)
        b_prev = b
        za.append(a)
        zb.append(b)
        outs.append(F.linear(b.flatten(1), w_out))
    seqs = net.run(x)
    torch.testing.assert_close(seqs["m.a"], torch.stack(za), atol=ATOL, rtol=0)
    torch.testing.assert_close(seqs["m.b"], torch.stack(zb), atol=ATOL, rtol=0)
    torch.testing.assert_close(net(x), torch.stack(outs).mean(0), atol=ATOL, rtol=0)
    assert seqs["m.b"][1:].sum() > 0  # the feedback path was exercised


RESIDUAL = """
import std.autosnn

neuron lif = LIF(tau_mem: 2.0, v_th: 0.5, surrogate: erfc(1.0))

network res {
  input image(3, 8, 8) steps 4
  stem : lif
  in -> stem : conv(3, 4) | bn
  cell r = srb(8, 3, n: lif) from stem
  cell r2 = srb(8, 3, n: lif) from r
  readout r2 : linear(2) over sum
}
"""


def test_residual_blocks_match_norse():
    torch.manual_seed(3)
    net = snarc.compile(RESIDUAL)
    for m in net.modules():  # non-trivial batch-norm statistics, evaluated in eval mode
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.3)
    net.eval()
    x = torch.rand(3, 3, 8, 8)
    stem = edge(net, "input", "stem")
    ra1, rb1, rsc = edge(net, "stem", "r.a"), edge(net, "r.a", "r.b"), edge(net, "stem", "r.b")
    ra2, rb2, rsc2 = edge(net, "r.b", "r2.a"), edge(net, "r2.a", "r2.b"), edge(net, "r.b", "r2.b")
    assert [type(o).__name__ for o in rsc.ops] == ["Conv2d", "BatchNorm2d"]  # 4 -> 8: projection
    assert [type(o).__name__ for o in rsc2.ops] == ["Identity"]  # 8 -> 8: identity
    fc = edge(net, "r2.b", "readout").ops[0]
    cells = [lif_box(2.0, 0.5, "heavi_erfc", 1.0) for _ in range(5)]
    states = [None] * 5

    def seqop(e, v):
        for op in e.ops:
            v = op(v)
        return v

    out = 0
    for _ in range(4):
        s, states[0] = cells[0](seqop(stem, x), states[0])
        a, states[1] = cells[1](seqop(ra1, s), states[1])
        b, states[2] = cells[2](seqop(rb1, a) + seqop(rsc, s), states[2])
        a2, states[3] = cells[3](seqop(ra2, b), states[3])
        b2, states[4] = cells[4](seqop(rb2, a2) + b, states[4])
        out = out + F.linear(b2.flatten(1), fc.weight)
    torch.testing.assert_close(net(x), out, atol=ATOL, rtol=0)
    assert net.run(x)["r2.b"].sum() > 0


GENETIC = """
neuron lif = LIF(tau_mem: 2.0, v_th: 0.3, surrogate: superspike(100.0))

network gen {
  input frames(2, 8, 8) steps 4
  a, b : lif
  in -> a : conv(3, 6) genetic(rank: 3, pool: p)
  a -> b : conv(3, 6) genetic(rank: 3, pool: p)
  fc : LI()
  b -> fc : linear(4) genetic(rank: 2)
  readout fc over last
}
"""


def test_genetically_encoded_layers_match_dense_norse():
    torch.manual_seed(4)
    net = snarc.compile(GENETIC)
    genes = {k.split("_", 1)[1]: v for k, v in net.genes.items()}
    pools = {k.split("_", 1)[1]: v for k, v in net.gene_pools.items()}
    x_genes, a_genes, b_genes = genes["input_p"], genes["a_p"], genes["b_p"]
    (o_conv,) = [v for k, v in pools.items() if k == "p"]
    (o_fc,) = [v for k, v in pools.items() if k != "p"]
    (b_fc,) = [v for k, v in genes.items() if k.startswith("b_") and k != "b_p"]
    (fc_genes,) = [v for k, v in genes.items() if k.startswith("fc_")]

    def conv_weight(post, pre):
        rank = post.shape[1]
        w = torch.stack([post @ o_conv[k] @ pre.t() for k in range(9)], -1).view(
            post.shape[0], pre.shape[0], 3, 3
        )
        return w / (rank * (3 * pre.shape[0] * 9) ** 0.5)

    w1, w2 = conv_weight(a_genes, x_genes), conv_weight(b_genes, a_genes)
    w3 = fc_genes @ o_fc @ b_fc.t() / (2 * (3 * b_fc.shape[0]) ** 0.5)
    w1_scale = 4.0
    with torch.no_grad():
        x_genes.mul_(w1_scale)  # drive the first layer hard enough to spike
    w1 = w1 * w1_scale
    x = (torch.rand(4, 2, 2, 8, 8) < 0.5).float()
    c1, c2 = lif_box(2.0, 0.3, "super", 100.0), lif_box(2.0, 0.3, "super", 100.0)
    li = nt.LIBoxCell(p=nt.LIBoxParameters(tau_mem_inv=t(0.5)), dt=1.0)
    s1 = s2 = s3 = None
    for step in range(4):
        z1, s1 = c1(F.conv2d(x[step], w1, padding=1), s1)
        z2, s2 = c2(F.conv2d(z1, w2, padding=1), s2)
        v, s3 = li(F.linear(z2.flatten(1), w3), s3)
    got = net(x)
    torch.testing.assert_close(got, v, atol=ATOL, rtol=0)
    assert net.run(x)["a"].sum() > 0
    # parameters: gene tables and interaction matrices, as `snarc summary` counts them
    assert net.num_params() == snarc.elaborate(GENETIC).graph["params"]
    got.sum().backward()
    for p in [*net.genes.values(), *net.gene_pools.values()]:
        assert p.grad is not None and p.grad.abs().sum() > 0


@pytest.mark.parametrize("surrogate", sorted(SURROGATE_GRADS))
@pytest.mark.parametrize(
    "model, params",
    [
        ("LIF", {"tau_mem": 2.0}),
        ("LIF", {"tau_mem": 3.0, "detach_reset": True, "v_reset": -0.2, "v_leak": 0.1}),
        ("LIF", {"tau_mem": 2.0, "v_reset": 0.1}),
        ("LIF", {"tau_mem": 2.0, "reset": "soft"}),
        ("LIF", {"tau_mem": 2.0, "reset": "soft", "detach_reset": True}),
        ("IF", {}),
        ("PLIF", {"tau": 2.5}),
        ("PLIF", {"tau": 2.0, "detach_reset": True}),
        ("PLIF", {"tau": 3.0, "v_reset": -0.1}),
    ],
)
def test_fused_multistep_kernel_equals_stepping_with_autograd(model, params, surrogate):
    """The fused BPTT kernel gives the outputs and gradients of autograd through step()."""
    torch.manual_seed(0)
    base = {
        "v_th": 0.4,
        "surrogate": (surrogate, {"atan": 2.0, "sigmoid": 4.0}.get(surrogate, 0.5)),
        **params,
    }
    fused = NEURON_BUILDERS[model](base, 1.0)
    assert fused.fusable
    fused.fused = True
    looped = NEURON_BUILDERS[model](base, 1.0)
    looped.load_state_dict(fused.state_dict())
    looped.fused = False
    x = torch.rand(9, 4, 5) * 1.2
    weights = torch.randn(9, 4, 5)
    results = []
    for module in (fused, looped):
        xi = x.clone().requires_grad_()
        z, (v,) = module(xi)
        loss = (z * weights).sum() + v.square().sum()
        params_ = list(module.parameters())
        grads = torch.autograd.grad(loss, [xi, *params_])
        results.append((z.detach(), v.detach(), grads))
    (z1, v1, g1), (z2, v2, g2) = results
    assert z1.sum() > 0
    torch.testing.assert_close(z1, z2, atol=0, rtol=0)
    torch.testing.assert_close(v1, v2, atol=1e-6, rtol=0)
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(NORSE_METHOD))
def test_surrogates_match_norse_forward_and_backward(name):
    """snarc's own surrogates give Norse's spikes and Norse's gradients (α = 1 for
    superspike, where Norse ignores α)."""
    from norse.torch.functional.threshold import threshold

    alpha = {"superspike": 1.0, "triangle": 0.3, "circ": 0.5}.get(name, 2.0)
    x = torch.linspace(-3, 3, 601)
    ours, theirs = x.clone().requires_grad_(), x.clone().requires_grad_()
    z1 = SURROGATES[name](ours, alpha)
    z2 = threshold(theirs, NORSE_METHOD[name], alpha)
    torch.testing.assert_close(z1, z2, atol=0, rtol=0)
    z1.sum().backward()
    z2.sum().backward()
    assert ours.grad.abs().sum() > 0
    torch.testing.assert_close(ours.grad, theirs.grad, atol=1e-6, rtol=1e-5)
