"""Time as a researcher needs it (issue 18): any number of steps, streaming in chunks
or one step at a time with a returned state, and membrane traces."""

import pytest
import torch

import snarc

NET = """
neuron lif = LIF(tau_mem: 4.0, tau_syn: 2.0, v_th: 0.3)
network t {
  input frames(2, 6, 6) steps 8
  a : lif
  b : PLIF(v_th: 0.3)
  c : ALIF(v_th: 0.3)
  o : LI(tau_mem: 2.0)
  in -> a : conv(3, 4) | bn
  a -> b : conv(3, 4)
  b ~> a : conv(1, 4)
  a ..> c : conv(3, 4)
  b -> c : conv(3, 4)
  c -> o : flatten | linear(5)
  readout o over mean
}
"""


def _net(text=NET, seed=0, **kw):
    torch.manual_seed(seed)
    net = snarc.compile(text, **kw).eval()
    for m in net.modules():  # non-trivial batch-norm statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    return net


def _spikes(T, B=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(T, B, 2, 6, 6, generator=g) < 0.4).float()


def test_the_network_mixes_both_schedules_and_a_delay_into_a_multi_step_node():
    net = _net()
    assert net.mode("a") == net.mode("b") == "stepwise"
    assert net.mode("c") == "multi-step"
    assert [e.delay for e in net.in_edges("c")] == [1, 0]


@pytest.mark.parametrize("T", [1, 5, 13])
def test_any_T_equals_the_program_written_for_that_T(T):
    net = _net()
    other = _net(NET.replace("steps 8", f"steps {T}"))
    other.load_state_dict(net.state_dict())
    x = _spikes(T)
    torch.testing.assert_close(net(x), other(x), rtol=0, atol=0)


def test_a_static_input_runs_over_the_steps_asked_for():
    prog = "network s {\n  input image(1, 4, 4) steps 6\n  a : LIF(v_th: 0.2)\n  in -> a : conv(3, 2)\n  readout a over sum\n}\n"
    net, three = _net(prog), _net(prog.replace("steps 6", "steps 3"))
    three.load_state_dict(net.state_dict())
    x = torch.rand(2, 1, 4, 4)
    torch.testing.assert_close(net(x, steps=3), three(x))
    assert not torch.equal(net(x, steps=3), net(x))


@pytest.mark.parametrize("fused", [True, False])
def test_streaming_in_chunks_and_step_by_step_equal_one_pass(fused):
    net = _net(fused_neurons=fused)
    x = _spikes(8)
    with torch.no_grad():
        full = net.run(x)[net.readout_node]
        parts, state, t = [], None, 0
        for T in (3, 1, 4):
            y, state = net.stream(x[t : t + T], state)
            parts.append(y)
            t += T
        torch.testing.assert_close(torch.cat(parts), full, rtol=1e-5, atol=1e-6)
        assert state.steps == 8 and set(state.last) == {"b", "a"}
        steps, state = [], None
        for t in range(8):
            y, state = net.step(x[t], state)
            steps.append(y)
        torch.testing.assert_close(torch.stack(steps), full, rtol=1e-5, atol=1e-6)
    # a fresh state: the second half alone differs from the second half after the first
    second, _ = net.stream(x[4:])
    assert not torch.allclose(second, full[4:])


def test_stream_refuses_a_static_input():
    with pytest.raises(ValueError, match=r"stream takes a sequence \[T, B, 2, 6, 6\]"):
        _net().stream(torch.rand(3, 2, 6, 6))


def test_traces_are_every_populations_membrane_potential_and_change_nothing():
    net = _net()
    x = _spikes(8)
    plain = net(x)
    out, stats, traces = net(x, return_stats=True, return_traces=True)
    torch.testing.assert_close(out, plain)
    assert set(traces) == {"a", "b", "c", "o"}
    assert traces["a"].shape == (8, 3, 4, 6, 6) and traces["o"].shape == (8, 3, 5)
    _, state = net.stream(x)
    for name in traces:  # the last trace value is the state the network ends in
        torch.testing.assert_close(traces[name][-1], state.neurons[name].v)
    # a spiking population's potential never stays above threshold after a hard reset
    assert stats.timesteps == 8 and float(traces["b"].detach().max()) <= 0.3 + 1e-6
    assert float(traces["o"].detach().abs().sum()) > 0


def test_stats_count_the_steps_that_ran():
    net = _net()
    _, stats = net(_spikes(5), return_stats=True)
    assert stats.timesteps == 5
