"""The peers snarc's compiled modules are measured against, with the same weights.

* :class:`NorseAutoSNN` — AutoSNN's published network written by hand with Norse cells,
  stepping one time step at a time (every layer runs once per step, as a Norse
  model written in the usual cell-by-cell style does).
* :class:`SpikingJellyAutoSNN` — the same network in SpikingJelly's multi-step mode
  (``step_mode='m'``: ``SeqToANNContainer`` layers over ``[T·B, …]`` and multi-step
  PLIF nodes; SpikingJelly 2 has only the torch backend on CPU).
* :class:`NorseStepwise` — any snarc network run by Norse cells one time step at a
  time, node by node (used for the motif network, which has feedback).

Each peer is built on a compiled module's synaptic layers (its ``nn.Conv2d``,
``nn.BatchNorm2d``, … objects), so that outputs can be compared and the difference in
time is the execution strategy, the neuron implementation and the memory layout alone.
Build a peer on :func:`nchw_twin` of the network to give it its own copy of the layers
in PyTorch's default NCHW layout, as a hand-written model has them (snarc's compiled
modules are channels-last by default).
"""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import norse.torch as nt


def nchw_twin(net):
    """A copy of a compiled network with its own layers in the default (NCHW) layout."""
    return copy.deepcopy(net).use_channels_last(False)


def _norse_plif(module) -> nn.Module:
    """A Norse LIFBox cell whose inverse time constant is the PLIF's learned sigmoid(w).

    Parameters put into Norse's parameter tuples are not registered by Norse, so the
    wrapper registers ``w`` itself (it is the compiled module's own parameter).
    """

    class Cell(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = module.w
            self.v_th = module.v_th

        def forward(self, x, state=None):
            p = nt.LIFBoxParameters(
                tau_mem_inv=torch.sigmoid(self.w),
                v_th=torch.as_tensor(self.v_th),
                method="super",
                alpha=torch.as_tensor(100.0),
            )
            return nt.functional.lif_box.lif_box_feed_forward_step(
                x,
                state
                if state is not None
                else nt.functional.lif_box.LIFBoxFeedForwardState(v=torch.zeros_like(x)),
                p,
                1.0,
            )

    return Cell()


def _seq(edge):
    return nn.Sequential(*edge.ops)


class NorseAutoSNN(nn.Module):
    """AutoSNN (examples/autosnn.snarc) by hand in Norse, one time step at a time."""

    def __init__(self, net):
        super().__init__()
        e = net.edges
        self.T = net.timesteps
        self.stem = _seq(e["input_to_stem"])
        self.cells = nn.ModuleDict({k: _norse_plif(m) for k, m in net.neurons.items()})
        self.blocks = []
        for b, src in (("b1", "stem"), ("b2", "p1"), ("b4", "p2"), ("b5", "b4__b")):
            self.blocks.append(
                (
                    b,
                    _seq(e[f"{src}_to_{b}__a"]),
                    _seq(e[f"{b}__a_to_{b}__b"]),
                    _seq(e[f"{src}_to_{b}__b"]),
                )
            )
        self.mods = nn.ModuleList([m for blk in self.blocks for m in blk[1:]])
        self.fc = _seq(e["p3_to_fc"])
        self.vote = _seq(e["fc_to_readout"])
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        states: dict = {}

        def lif(key, current):
            z, states[key] = self.cells[key](current, states.get(key))
            return z

        out = 0
        for t in range(self.T):
            h = lif(
                "stem", self.stem(x[t] if x.dim() == 5 else x)
            )  # event frames or a static image
            for b, conv_a, conv_b, short in self.blocks:
                a = lif(f"{b}__a", conv_a(h))
                h = lif(f"{b}__b", conv_b(a) + short(h))
                if b in ("b1", "b2", "b5"):  # after b2 comes b3 = skip (identity), then a max-pool
                    h = self.pool(h)
            out = out + self.vote(lif("fc", self.fc(h)))
        return out / self.T


class SpikingJellyAutoSNN(nn.Module):
    """AutoSNN in SpikingJelly's multi-step mode (torch backend)."""

    def __init__(self, net):
        super().__init__()
        from spikingjelly.activation_based import layer, neuron, surrogate

        e = net.edges
        self.T = net.timesteps

        def plif(key):
            node = neuron.ParametricLIFNode(
                init_tau=2.0,
                v_threshold=1.0,
                detach_reset=True,
                surrogate_function=surrogate.ATan(),
                step_mode="m",
            )
            node.w = net.neurons[key].w  # the same parameter
            return node

        def seq(key):
            return layer.SeqToANNContainer(*e[key].ops)

        self.stem = seq("input_to_stem")
        self.stem_n = plif("stem")
        blocks = []
        for b, src in (("b1", "stem"), ("b2", "p1"), ("b4", "p2"), ("b5", "b4__b")):
            blocks.append(
                nn.ModuleList(
                    [
                        seq(f"{src}_to_{b}__a"),
                        plif(f"{b}__a"),
                        seq(f"{b}__a_to_{b}__b"),
                        seq(f"{src}_to_{b}__b"),
                        plif(f"{b}__b"),
                    ]
                )
            )
        self.blocks = nn.ModuleList(blocks)
        self.pool = layer.SeqToANNContainer(nn.MaxPool2d(2))
        self.fc = seq("p3_to_fc")
        self.fc_n = plif("fc")
        self.vote = seq("fc_to_readout")

    def forward(self, x):
        from spikingjelly.activation_based import functional

        functional.reset_net(self)
        if x.dim() == 4:  # a static image, repeated over T (direct encoding)
            x = x.unsqueeze(0).repeat(self.T, *([1] * x.dim()))
        h = self.stem_n(self.stem(x))
        for i, (conv_a, n_a, conv_b, short, n_b) in enumerate(self.blocks):
            a = n_a(conv_a(h))
            h = n_b(conv_b(a) + short(h))
            if i in (0, 1, 3):
                h = self.pool(h)
        return self.vote(self.fc_n(self.fc(h))).mean(0)


class NorseStepwise(nn.Module):
    """Any compiled snarc network run by Norse cells, every node once per time step."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.cells = nn.ModuleDict()
        for key, m in net.neurons.items():
            if m.model == "PLIF":
                self.cells[key] = _norse_plif(m)
            elif m.model == "LIF" and m.tau_syn == 0:
                self.cells[key] = nt.LIFBoxCell(
                    p=nt.LIFBoxParameters(
                        tau_mem_inv=torch.as_tensor(1 / m.tau_mem),
                        v_th=torch.as_tensor(m.v_th),
                        method="super",
                    ),
                    dt=m.dt,
                )
            elif m.model == "LI" and m.tau_syn == 0:
                self.cells[key] = nt.LIBoxCell(
                    p=nt.LIBoxParameters(tau_mem_inv=torch.as_tensor(1 / m.tau_mem)), dt=m.dt
                )
            else:
                raise NotImplementedError(f"no Norse peer for {m.model}")
        self.order = [name for mode, nodes in net._schedule for name in nodes]

    def forward(self, x):
        net = self.net
        seq, _ = net.encode_input(x)
        states: dict = {}
        prev: dict = {}
        outs = []
        for t in range(seq.shape[0]):
            cur = {"input": seq[t]}
            for name in self.order:
                plan = net.plan(name)
                parts = []
                for e in plan.in_edges:
                    if e.delay:
                        if t == 0:
                            continue
                        parts.append(net.edges[e.key](prev[e.src]))
                    else:
                        parts.append(net.edges[e.key](cur[e.src]))
                value = net._merge(plan, parts, 1)
                if plan.key is not None:
                    value, states[name] = self.cells[plan.key](value, states.get(name))
                cur[name] = value
            prev = cur
            outs.append(cur[net.readout_node])
        return net.readout(torch.stack(outs))
