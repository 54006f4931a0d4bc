"""issue 15: NIR primitives that were refused import, and export back, computing what the
literal reference computes: I (integrator), Threshold (memoryless spikes), LI and
CubaLI with v_leak, IF with a step other than 1, and Norse's way of writing IF and
CubaLIF."""

import nir
import numpy as np
import pytest
import torch

import snarc
from snarc.exchange.nir_export import to_nir
from snarc.exchange.nir_import import from_nir
from snarc.exchange.nir_reference import Reference

F = np.float32


def _dense(rng, n_out, n_in, scale=1.0):
    return nir.Affine(
        weight=rng.normal(0, scale, (n_out, n_in)).astype(F),
        bias=rng.normal(0, 0.1, n_out).astype(F),
    )


def _graph(middle: dict, edges, n_in=4, dt=1.0, out=3):
    nodes = {
        "in": nir.Input(input_type={"input": np.array([n_in])}),
        **middle,
        "out": nir.Output(output_type={"output": np.array([out])}),
    }
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": dt, "timesteps": 8})


def _agree(graph, x, dt=None, source="snarc"):
    """Import ``graph``, run it, compare with the reference; returns the program text."""
    text, state = from_nir(graph, name="g", dt=dt, source=source)
    net = snarc.compile(text)
    net.load_state_dict(state)
    with torch.no_grad():
        ours = net.run(x)["readout"].double().numpy()
    ref = Reference(graph, dt=dt).run(x.numpy())["out"]
    assert np.abs(ref).sum() > 0
    np.testing.assert_allclose(ours, ref.reshape(ours.shape), atol=1e-5, rtol=0)
    return text, net


def _x(seed=0, n=4, T=8):
    return torch.rand(T, 3, n, generator=torch.Generator().manual_seed(seed)) * 2


def _lif(n, dt=1.0):
    return nir.LIF(
        tau=np.full(n, 2.0 * dt, F), r=np.ones(n, F), v_leak=np.zeros(n, F),
        v_threshold=np.full(n, 0.4, F), v_reset=np.zeros(n, F),
    )  # fmt: skip


def test_integrator_imports_as_I_and_exports_back():
    rng = np.random.default_rng(0)
    g = _graph(
        {"fc": _dense(rng, 5, 4), "lif": _lif(5), "fc2": _dense(rng, 3, 5),
         "int": nir.I(r=np.full(3, 0.5, F))},
        [("in", "fc"), ("fc", "lif"), ("lif", "fc2"), ("fc2", "int"), ("int", "out")],
    )  # fmt: skip
    text, net = _agree(g, _x())
    assert "int : I()" in text
    # and out again: snarc's I is NIR's I with r = 1/dt
    back = to_nir(net, snarc.elaborate(text))
    assert any(isinstance(n, nir.I) for n in back.nodes.values())
    with torch.no_grad():
        ours = net.run(_x())["readout"].double().numpy()
    np.testing.assert_allclose(Reference(back).run(_x().numpy())["output"], ours, atol=1e-5)


def test_threshold_after_a_dense_map_is_a_population_of_memoryless_spikes():
    rng = np.random.default_rng(1)
    g = _graph(
        {"fc": _dense(rng, 5, 4), "th": nir.Threshold(threshold=np.full(5, 0.3, F)),
         "fc2": _dense(rng, 3, 5), "li": nir.LI(tau=np.full(3, 2.0, F), r=np.ones(3, F),
                                                 v_leak=np.zeros(3, F))},
        [("in", "fc"), ("fc", "th"), ("th", "fc2"), ("fc2", "li"), ("li", "out")],
    )  # fmt: skip
    text, net = _agree(g, _x(1))
    assert "th : Threshold(v_th: 0.3)" in text
    back = to_nir(net, snarc.elaborate(text))
    assert sum(isinstance(n, nir.Threshold) for n in back.nodes.values()) == 1


@pytest.mark.parametrize("cuba", [False, True])
def test_leaky_integrators_keep_v_leak(cuba):
    rng = np.random.default_rng(2)
    n = 3
    li = (
        nir.CubaLI(
            tau_syn=np.full(n, 2.0, F),
            tau_mem=np.full(n, 3.0, F),
            r=np.ones(n, F),
            v_leak=np.full(n, 0.7, F),
            w_in=np.full(n, 2.0, F),
        )  # fmt: skip
        if cuba
        else nir.LI(tau=np.full(n, 3.0, F), r=np.full(n, 1.5, F), v_leak=np.full(n, 0.7, F))
    )
    g = _graph(
        {"fc": _dense(rng, 5, 4), "lif": _lif(5), "fc2": _dense(rng, 3, 5), "li": li},
        [("in", "fc"), ("fc", "lif"), ("lif", "fc2"), ("fc2", "li"), ("li", "out")],
    )
    text, net = _agree(g, _x(2))
    assert "v_leak: 0.7" in text
    back = to_nir(net, snarc.elaborate(text))  # LI with tau_syn exports as CubaLI
    kinds = {type(v).__name__ for v in back.nodes.values()}
    assert ("CubaLI" if cuba else "LI") in kinds
    with torch.no_grad():
        ours = net.run(_x(2))["readout"].double().numpy()
    np.testing.assert_allclose(Reference(back).run(_x(2).numpy())["output"], ours, atol=1e-5)


def test_if_integrates_dt_times_its_input():
    """NIR's IF is dv/dt = R·I: with dt = 1e-3 one step adds dt·r·x. It was imported as
    adding r·x (right only for dt = 1)."""
    rng = np.random.default_rng(3)
    dt = 1e-3
    g = _graph(
        {"fc": _dense(rng, 5, 4, scale=400.0),
         "if": nir.IF(r=np.full(5, 2.0, F), v_threshold=np.full(5, 0.5, F),
                      v_reset=np.zeros(5, F)),
         "fc2": _dense(rng, 3, 5), "li": nir.LI(tau=np.full(3, 2 * dt, F), r=np.ones(3, F),
                                                 v_leak=np.zeros(3, F))},
        [("in", "fc"), ("fc", "if"), ("if", "fc2"), ("fc2", "li"), ("li", "out")], dt=dt,
    )  # fmt: skip
    _agree(g, _x(3))


def test_norse_writes_if_and_cubalif_its_own_way():
    """Norse's IAFCell adds its input without dt and its LIFCell's current jumps by the
    input, but norse.torch.to_nir writes IF(r=1) and CubaLIF(w_in=1): with
    source="norse" the imported program computes what the Norse cells compute."""
    import norse.torch as norse

    torch.manual_seed(0)
    dt = 1e-3
    model = norse.SequentialState(
        torch.nn.Linear(4, 6, bias=False),
        norse.IAFCell(norse.IAFParameters(v_th=torch.as_tensor(0.5))),
        torch.nn.Linear(6, 3, bias=False),
        norse.LIFCell(norse.LIFParameters(tau_mem_inv=torch.as_tensor(200.0),
                                          tau_syn_inv=torch.as_tensor(400.0),
                                          v_th=torch.as_tensor(0.2))),
    )  # fmt: skip
    x = _x(4) * 2
    with torch.no_grad():
        expected, state, outs = None, None, []
        for t in range(x.shape[0]):
            y, state = model(x[t], state)
            outs.append(y)
        expected = torch.stack(outs)
    graph = norse.to_nir(model, torch.zeros(1, 4), dt=dt)
    text, state = from_nir(graph, name="n", dt=dt, source="norse")
    net = snarc.compile(text)
    net.load_state_dict(state)
    with torch.no_grad():
        ours = net.run(x)["readout"]
    assert expected.sum() > 0
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), atol=1e-5)
    # read as NIR defines it, Norse's dt·tau is a time constant below one step: refused
    from snarc.dsl.errors import SnarcError

    with pytest.raises(SnarcError, match="below one step"):
        from_nir(graph, name="n", dt=dt)


REST = """
network restfb {
  input vector(4) steps 6
  a : LIF(tau_mem: 2.0, v_th: 0.5)
  o : LI(tau_mem: 2.0, v_leak: 0.3)
  in -> a : linear(5)
  a ~> a : linear(5, bias: true)
  a -> o : linear(3)
  o ~> o : linear(3, bias: true)
  readout o over last
}
"""


def test_a_delayed_connection_starts_from_the_rest_value_everywhere():
    """Before the first step the network is at rest: a feedback connection delivers its
    operations applied to its source's rest value at step 0 (a bias; an integrator's
    v_leak through the weights), as snnTorch's recurrent layers do. snarc's module, the
    literal reference and Norse's runner agree on it."""
    from snarc.exchange.nir_run import NIRRunner

    torch.manual_seed(0)
    graph = snarc.elaborate(REST)
    net = snarc.compile(graph).eval()
    x = _x(5, n=4, T=6)
    with torch.no_grad():
        ours = net.run(x)
    g = to_nir(net, graph)
    ref = Reference(g).run(x.numpy())
    o = ours["o"].double().numpy()
    np.testing.assert_allclose(ref["output"].reshape(o.shape), o, atol=1e-5)
    with torch.no_grad():
        theirs = NIRRunner(g)(x)
    np.testing.assert_allclose(theirs.numpy().reshape(o.shape), o, atol=1e-5)
    # the bias of o's feedback and o's v_leak through its weights reach step 0
    w, b = net.edges["o_to_o"].ops[0].weight, net.edges["o_to_o"].ops[0].bias
    with torch.no_grad():
        fed = (0.3 * w.sum(1) + b).double().numpy()
        a0 = net.edges["a_to_o"].ops[0](ours["a"][0]).double().numpy()
    k = 0.5  # dt / tau_mem
    np.testing.assert_allclose(o[0], 0.3 + k * (0.3 + a0 + fed - 0.3), atol=1e-6)


DELAYS = """
network delays {
  input vector(4) steps 9
  a : LIF(tau_mem: 2.0, v_th: 0.4)
  b : LIF(tau_mem: 3.0, v_th: 0.3)
  o : LI(tau_mem: 2.0)
  in -> a : linear(6)
  a ~> a : linear(6, bias: true) | delay(3)
  a -> b : linear(5) | delay(2)
  in -> b : linear(5)
  b -> o : linear(3)
  readout o : delay(1) over last
}
"""


def test_delays_of_several_steps_agree_with_the_reference_norse_and_streaming():
    """``delay(n)`` reads the source n steps back: snarc's module, the literal reference
    and Norse's runner agree on the exported graph (Delay of n·dt), streaming in pieces
    equals one run, and NIR → snarc gives the same program back."""
    from snarc.exchange.nir_run import NIRRunner

    torch.manual_seed(1)
    graph = snarc.elaborate(DELAYS)
    assert {(u, v): d.delay for u, v, d in graph.edges(data=True)} == {
        ("input", "a"): 0, ("a", "a"): 3, ("a", "b"): 2, ("input", "b"): 0,
        ("b", "o"): 0, ("o", "readout"): 1,
    }  # fmt: skip
    net = snarc.compile(graph).eval()
    for m in net.modules():
        if isinstance(m, torch.nn.Linear):
            m.weight.data *= 3.0
    x = _x(6, n=4, T=9)
    with torch.no_grad():
        ours = net.run(x)["readout"].double().numpy()
        first, state = net.stream(x[:2])
        rest, _ = net.stream(x[2:], state)
    np.testing.assert_allclose(torch.cat([first, rest]).double().numpy(), ours, atol=1e-6)
    g = to_nir(net, graph)
    steps = sorted(round(float(n.delay.reshape(-1)[0])) for n in g.nodes.values()
                   if isinstance(n, nir.Delay))  # fmt: skip
    assert steps == [1, 2, 3]
    ref = Reference(g).run(x.numpy())["output"]
    np.testing.assert_allclose(ref.reshape(ours.shape), ours, atol=1e-5)
    with torch.no_grad():
        theirs = NIRRunner(g)(x).double().numpy()
    np.testing.assert_allclose(theirs.reshape(ours.shape), ours, atol=1e-5)
    text, _ = _agree_on(g, x)
    assert "| delay(3)" in text and "| delay(2)" in text and ": delay(1)" in text


def _agree_on(graph, x):
    text, state = from_nir(graph, name="g")
    net = snarc.compile(text)
    net.load_state_dict(state)
    with torch.no_grad():
        ours = net.run(x)["readout"].double().numpy()
    out = next(n for n, v in graph.nodes.items() if isinstance(v, nir.Output))
    ref = Reference(graph).run(x.numpy())[out]
    np.testing.assert_allclose(ours, ref.reshape(ours.shape), atol=1e-5)
    return text, net


def test_a_delay_shifts_the_input_by_whole_steps():
    """``in -> a : linear(5) | delay(3)`` is the undelayed network on the input shifted by
    three steps (the input at rest is 0, and the map has no bias)."""
    plain = (
        "network s {\n  input vector(4) steps 8\n  a : LI(tau_mem: 2.0)\n"
        "  in -> a : linear(5)%s\n  readout a over last\n}\n"
    )
    torch.manual_seed(0)
    late = snarc.compile(plain % " | delay(3)")
    torch.manual_seed(0)
    now = snarc.compile(plain % "")
    x = _x(7, n=4, T=8)
    shifted = torch.cat([torch.zeros(3, *x.shape[1:]), x[:-3]])
    with torch.no_grad():
        torch.testing.assert_close(late.run(x)["readout"], now.run(shifted)["readout"])


def test_one_delay_per_connection():
    from snarc.dsl.errors import SnarcError

    with pytest.raises(SnarcError, match="a connection has one delay"):
        snarc.elaborate(
            "network s {\n  input vector(4) steps 8\n  a : LI(tau_mem: 2.0)\n"
            "  in -> a : linear(5) | delay(1) | delay(2)\n  readout a over last\n}\n"
        )


def test_conv1d_on_a_signal_imports_and_exports():
    """issue 15: Conv1d was refused. A (C, L) input is a signal (``frames(C, L)``) and
    ``conv`` on it is 1-d: imported, run, and written back as Conv1d, batch-norm folded."""
    rng = np.random.default_rng(8)
    shape = (4, 12)
    nodes = {
        "in": nir.Input(input_type={"input": np.array([2, 12])}),
        "c1": nir.Conv1d(input_shape=12, weight=rng.normal(0, 1.0, (4, 2, 3)).astype(F),
                         stride=1, padding="same", dilation=1, groups=1,
                         bias=rng.normal(0, 0.1, 4).astype(F)),
        "lif": nir.LIF(tau=np.full(shape, 2.0, F), r=np.ones(shape, F),
                       v_leak=np.zeros(shape, F), v_threshold=np.full(shape, 0.3, F),
                       v_reset=np.zeros(shape, F)),
        "c2": nir.Conv1d(input_shape=12, weight=rng.normal(0, 1.0, (3, 4, 2)).astype(F),
                         stride=2, padding=0, dilation=1, groups=1, bias=np.zeros(3, F)),
        "flat": nir.Flatten(input_type={"input": np.array([3, 6])}, start_dim=0),
        "fc": _dense(rng, 3, 18),
        "li": nir.LI(tau=np.full(3, 2.0, F), r=np.ones(3, F), v_leak=np.zeros(3, F)),
        "out": nir.Output(output_type={"output": np.array([3])}),
    }  # fmt: skip
    edges = [("in", "c1"), ("c1", "lif"), ("lif", "c2"), ("c2", "flat"), ("flat", "fc"),
             ("fc", "li"), ("li", "out")]  # fmt: skip
    g = nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": 1.0, "timesteps": 8})
    x = (torch.rand(8, 3, 2, 12, generator=torch.Generator().manual_seed(9)) < 0.5).float()
    text, net = _agree_on(g, x)
    assert "input frames(2, 12)" in text and "conv(3, 4, stride: 1, padding: 1" in text
    back = to_nir(net, snarc.elaborate(text))
    assert sum(isinstance(n, nir.Conv1d) for n in back.nodes.values()) == 2
    with torch.no_grad():
        ours = net.run(x)["readout"].double().numpy()
    np.testing.assert_allclose(Reference(back).run(x.numpy())["output"], ours, atol=1e-5)


def test_batch_norm_on_a_signal_exports_as_a_depthwise_conv1d():
    src = (
        "network sig {\n  input frames(2, 10) steps 5\n  a : LIF(tau_mem: 2.0, v_th: 0.3)\n"
        "  in -> a : conv(3, 4) | bn\n  b : LIF(tau_mem: 2.0, v_th: 0.3)\n"
        "  a -> b : bn\n  o : LI(tau_mem: 2.0)\n  b -> o : linear(3)\n  readout o over mean\n}\n"
    )
    torch.manual_seed(0)
    graph = snarc.elaborate(src)
    net = snarc.compile(graph)
    x = (torch.rand(5, 3, 2, 10, generator=torch.Generator().manual_seed(1)) < 0.5).float()
    with torch.no_grad():
        net(x * 3)  # batch-norm statistics
    net.eval()
    g = to_nir(net, graph)
    with torch.no_grad():
        ours = net.run(x)["readout"].double().numpy()
    assert np.abs(ours).sum() > 0
    np.testing.assert_allclose(Reference(g).run(x.numpy())["output"], ours, atol=1e-5)


def test_several_inputs_become_one_concatenated_input():
    """issue 15: graphs with several Input nodes were refused. snarc takes one input: the
    Inputs concatenated in the graph's order, each path starting with a fixed map that
    selects its part; the program says the layout."""
    rng = np.random.default_rng(11)
    nodes = {
        "a": nir.Input(input_type={"input": np.array([3])}),
        "b": nir.Input(input_type={"input": np.array([2])}),
        "fa": _dense(rng, 5, 3),
        "fb": _dense(rng, 5, 2),
        "lif": _lif(5),
        "fo": _dense(rng, 3, 5),
        "li": nir.LI(tau=np.full(3, 2.0, F), r=np.ones(3, F), v_leak=np.zeros(3, F)),
        "out": nir.Output(output_type={"output": np.array([3])}),
    }
    edges = [("a", "fa"), ("b", "fb"), ("fa", "lif"), ("fb", "lif"), ("lif", "fo"),
             ("fo", "li"), ("li", "out")]  # fmt: skip
    g = nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": 1.0, "timesteps": 8})
    text, state = from_nir(g, name="two")
    assert "input vector(5)" in text and "a [0:3], b [3:5]" in text
    net = snarc.compile(text)
    net.load_state_dict(state)
    xa, xb = _x(12, n=3), _x(13, n=2)
    with torch.no_grad():
        ours = net.run(torch.cat([xa, xb], -1))["readout"].double().numpy()
    ref = Reference(g).run({"a": xa.numpy(), "b": xb.numpy()})["out"]
    assert np.abs(ref).sum() > 0
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_the_norse_runner_runs_integrators_and_if_at_any_dt():
    """The runner (Norse's cells + fixes) adds NIR's I and gives IF its dt·r gain: an
    exported program with IF and I at dt = 1e-3 runs as snarc's module does."""
    from snarc.exchange.nir_run import NIRRunner

    src = (
        "network ifi {\n  input vector(4) steps 6 dt 0.001\n  a : IF(v_th: 0.5)\n"
        "  in -> a : linear(6)\n  acc : I()\n  a -> acc : linear(3)\n  readout acc over last\n}\n"
    )
    torch.manual_seed(0)
    graph = snarc.elaborate(src)
    net = snarc.compile(graph).eval()
    for m in net.modules():
        if isinstance(m, torch.nn.Linear):
            m.weight.data *= 3.0
    x = _x(14, n=4, T=6)
    with torch.no_grad():
        ours = net.run(x)["readout"]
        theirs = NIRRunner(to_nir(net, graph))(x)
    assert ours.abs().sum() > 0
    torch.testing.assert_close(theirs.reshape(ours.shape), ours, atol=1e-5, rtol=0)
