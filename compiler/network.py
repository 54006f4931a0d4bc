"""The compiled network: a torch module that runs an elaborated snarc IR.

Scheduling (computed from the IR alone by :mod:`snarc.compiler.schedule`). The IR is
split into strongly connected components, visited in topological order. A component of one node without a self-loop lies on no cycle and
runs **multi-step**: each incoming connection applies its operations to the source's
whole ``[T·B, …]`` sequence in one call, then the neuron integrates over T. A
component with a cycle (it always contains a feedback or lateral connection, which
the elaborator checks) runs **step by step**: connections from outside the component
are still applied to whole sequences first, and only the connections inside it run
once per step, delayed ones reading the source's output of step t−1 (at t = 0 its
value at rest: 0 for spikes, so a delayed connection delivers its operations applied
to 0 — a bias or batch-norm shift — as a recurrent layer does on its zero initial
spikes).

In training mode, batch-norm inside a stepped component normalises over the batch
of each step; everywhere else over all ``T·B`` samples of the sequence.
"""

from __future__ import annotations

import math
import re

import networkx as nx
import torch
from torch import nn

from ..dsl.errors import SnarcError
from ..dsl.ir import OpSpec
from ..dsl.signatures import OPS
from .ops import EdgeModule, dense_macs, fanout
from .per_neuron import PER_NEURON_BUILDERS
from .plan import EdgeInfo, NodePlan
from .schedule import schedule
from .simulate import Simulation
from .state import NetworkState
from .stats import Stats


class SnarcCompileError(SnarcError):
    """An IR construct the compiler cannot lower (an operation with no builder, ...)."""


def sanitize(name: str) -> str:
    """A node name as a module key (no dots, as torch requires)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name.replace(".", "__"))


def _per_sample(seq: torch.Tensor) -> torch.Tensor:
    """A node's ``[T, B, ...]`` outputs summed over time and neurons → ``[B]``."""
    s = seq.detach()
    return s.sum(dim=(0, *range(2, s.dim())))


class CompiledNetwork(Simulation, nn.Module):
    """A snarc network as a ``torch.nn.Module``.

    ``forward(x)`` takes ``[T, B, *shape]`` for any T (or ``[B, *shape]`` for image
    and vector inputs, which are encoded over the program's T or ``steps=``) and
    returns the readout reduced over time, ``[B, F]``; ``return_stats=True`` adds
    :class:`Stats`, ``return_traces=True`` the membrane potentials. :meth:`stream` and
    :meth:`step` run on from a returned :class:`NetworkState` (streaming, Norse's
    ``state=None`` convention).
    """

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        op_builders: dict,
        neuron_builders: dict,
        genetic_builders: dict,
    ):
        super().__init__()
        g = graph
        self.graph_name = g.graph["name"]
        self.timesteps = int(g.graph["timesteps"])
        self.dt = float(g.graph["dt"])
        spec = g.graph["input"]
        self.input_kind, self.input_shape, self.encode = spec.kind, tuple(spec.shape), spec.encode
        self.readout_node = g.graph["readout"].node
        self.readout_over = g.graph["readout"].over
        self.neurons = nn.ModuleDict()
        self.edges = nn.ModuleDict()
        self.genes = nn.ParameterDict()
        self.gene_pools = nn.ParameterDict()
        self.channels_last = False  # set by use_channels_last()
        self._plans: dict[str, NodePlan] = {}
        self._binary: dict[str, bool] = {}
        self._modes: dict[str, str] = {}

        gene_keys = {}
        for i, ((node, pool, unit), units) in enumerate(sorted(g.graph["genes"].items())):
            rank = g.graph["gene_pools"][pool].rank
            key = f"g{i}_{sanitize(node)}_{sanitize(pool)}"
            gene_keys[(node, pool, unit)] = key
            self.genes[key] = nn.Parameter(torch.randn(units, rank))
        pool_keys = {}
        for i, (name, pool) in enumerate(sorted(g.graph["gene_pools"].items())):
            key = f"p{i}_{sanitize(name)}"
            pool_keys[name] = key
            shape = (
                (pool.kernel[0] * pool.kernel[1], pool.rank, pool.rank)
                if pool.kernel
                else (pool.rank, pool.rank)
            )
            self.gene_pools[key] = nn.Parameter(torch.randn(*shape))

        sched = schedule(g)  # torch-free: compiler/schedule.py
        order = list(sched.order)
        for name in order:
            d = g.nodes[name]
            key = None
            spiking = False
            if d.neuron is not None:
                ns = d.neuron
                builder = neuron_builders.get(ns.model)
                if builder is None:
                    raise SnarcCompileError(
                        f"no builder for neuron model '{ns.model}' (node '{name}')", d.span
                    )
                key = sanitize(name)
                if ns.get("per_neuron"):  # parameters per neuron: compiler/per_neuron.py
                    module = PER_NEURON_BUILDERS[ns.model](dict(ns.params), self.dt, d.shape)
                else:
                    module = builder(dict(ns.params), self.dt)
                self.neurons[key] = module
                spiking = bool(getattr(module, "spiking", True))
            self._plans[name] = NodePlan(name, d.kind, d.merge, tuple(d.shape), key, spiking)

        # binary (spike) outputs, for SOP accounting
        for name in order:
            plan = self._plans[name]
            if plan.kind == "input":
                self._binary[name] = self.encode == "rate"
            elif plan.key is not None:
                self._binary[name] = plan.spiking
            else:
                ins = list(g.in_edges(name, data=True))
                self._binary[name] = (
                    bool(ins)
                    and (plan.merge == "concat" or len(ins) == 1)
                    and all(
                        self._binary.get(u, False)
                        and not e.sign
                        and all(OPS[op.name].binary_preserving for op in e.ops)
                        for u, _, e in ins
                    )
                )

        # relays that pool spikes (AutoSNN counts their outputs as spikes too)
        self._pooled_spikes = [
            name
            for name in order
            if self._plans[name].key is None
            and self._plans[name].kind != "input"
            and self._binary[name]
            and any(OPS[op.name].pooling for _, _, e in g.in_edges(name, data=True) for op in e.ops)
        ]

        for u, v, d in sorted(g.edges(data=True), key=lambda x: x[2].order):
            ops = []
            weighted = -1
            genetic_index = d.genetic.op_index if d.genetic is not None else -1
            for i, op in enumerate(d.ops):
                table = genetic_builders if i == genetic_index else op_builders
                builder = table.get(op.name)
                if builder is None:
                    raise SnarcCompileError(
                        f"no builder for operation '{op.name}' on the connection {u} -> {v}",
                        op.span if op.span.line else d.span,
                        hint="pass one with snarc.compile(..., builders={'" + op.name + "': fn})",
                    )
                ops.append(builder(op))
                if OPS[op.name].weighted and weighted < 0:
                    weighted = i
            before = d.ops[: max(weighted, 0)]
            binary_in = self._binary[u] and all(OPS[op.name].binary_preserving for op in before)
            wspec: OpSpec | None = d.ops[weighted] if weighted >= 0 else None
            key = f"{sanitize(u)}_to_{sanitize(v)}"
            if key in self.edges:
                key += f"_{sum(k.startswith(key) for k in self.edges) + 1}"
            info = EdgeInfo(
                key=key,
                src=u,
                dst=v,
                delay=d.delay,
                order=d.order,
                kind=d.kind,
                static=not any(OPS[op.name].stochastic for op in d.ops),
                binary_in=binary_in,
                fanout=fanout(wspec) if wspec else 0.0,
                macs=dense_macs(wspec) if wspec else 0.0,
                out_shape=tuple(d.out_shape),
                per_step=any(
                    OPS[op.name].per_step is not None and OPS[op.name].per_step(op) for op in d.ops
                ),
            )
            if d.genetic is not None:
                gs = d.genetic
                pool = g.graph["gene_pools"][gs.pool]
                op = d.ops[gs.op_index]
                fan_in = gs.pre_units * (pool.kernel[0] * pool.kernel[1] if pool.kernel else 1)
                info.genetic = {
                    "pre": gene_keys[(gs.pre[0], gs.pool, gs.pre[1])],
                    "post": gene_keys[(gs.post[0], gs.pool, gs.post[1])],
                    "offset": gs.post_offset,
                    "units": gs.post_units,
                    "pool": pool_keys[gs.pool],
                    "kernel": pool.kernel,
                    "scale": 1.0 / (pool.rank * math.sqrt(3.0 * fan_in)),
                    "shape": (op.out_shape[0], op.in_shape[0], *pool.kernel)
                    if pool.kernel
                    else None,
                }
            self.edges[key] = EdgeModule(ops, d.sign, genetic_index, weighted)
            self._plans[v].in_edges.append(info)

        self._schedule = [(kind, list(nodes)) for kind, nodes in sched.groups]
        self._delay_depth: dict[str, int] = {}  # node -> its longest outgoing delay
        for plan in self._plans.values():
            for e in plan.in_edges:
                if e.delay:
                    self._delay_depth[e.src] = max(self._delay_depth.get(e.src, 0), e.delay)
        self._modes.update(sched.modes)

    # ------------------------------------------------------------ helpers
    def use_channels_last(self, enable: bool = True) -> CompiledNetwork:
        """Run convolutions, batch-norm and pooling on channels-last (NHWC) tensors.

        Converts every 4-d weight and makes the forward pass lay image-shaped inputs
        out channels last; every later tensor keeps that layout. The values computed
        are the same; on the CPU, oneDNN's convolutions and batch-norm are faster
        on NHWC (benchmarks/bench_runtime.py; docs/performance.md).
        """
        fmt = torch.channels_last if enable else torch.contiguous_format
        self.to(memory_format=fmt)
        self.channels_last = enable
        return self

    def mode(self, node: str) -> str:
        """``"multi-step"`` or ``"stepwise"``: how the node is scheduled."""
        return self._modes[node]

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def spiking_nodes(self) -> list[str]:
        """The nodes whose outputs are spikes (neuron populations that spike), in order."""
        return [name for name, plan in self._plans.items() if plan.spiking]

    def binary(self, node: str) -> bool:
        """Whether ``node``'s output holds only 0 and 1 (spikes, a rate-encoded input, or
        a relay that only merges and passes such values on)."""
        return self._binary[node]

    def pooled_spike_nodes(self) -> list[str]:
        """The relays whose outputs are pooled spikes (max-pool cells of spiking
        populations), which AutoSNN's spike count adds to the neurons' (``spikes_pooled``)."""
        return list(self._pooled_spikes)

    def nodes(self) -> list[str]:
        """Every node of the network (IR names: ``b2.a`` inside cell ``b2``), in order."""
        return list(self._plans)

    def plan(self, node: str) -> NodePlan:
        """How ``node`` is computed: its kind, merge, shape, neuron module key and incoming
        connections (:class:`EdgeInfo`, each naming its module in ``edges``)."""
        return self._plans[node]

    def in_edges(self, node: str) -> list[EdgeInfo]:
        """The connections into ``node``, in the order the IR lists them."""
        return list(self._plans[node].in_edges)

    def genetic_weights(self) -> dict[str, torch.Tensor]:
        """The weights genetically encoded connections generate now,
        ``W = X_post · O · X_preᵀ`` (one ``O`` per kernel offset for a conv), by edge key."""
        return self._genetic_weights()

    def _genetic_weights(self) -> dict[str, torch.Tensor]:
        out = {}
        for plan in self._plans.values():
            for e in plan.in_edges:
                gi = e.genetic
                if gi is None:
                    continue
                pre = self.genes[gi["pre"]]
                post = self.genes[gi["post"]][gi["offset"] : gi["offset"] + gi["units"]]
                o = self.gene_pools[gi["pool"]]
                if gi["kernel"]:
                    w = torch.einsum("oa,kab,ib->oik", post, o, pre).reshape(gi["shape"])
                else:
                    w = post @ o @ pre.t()
                out[e.key] = w * gi["scale"]
        return out

    def encode_input(
        self,
        x: torch.Tensor,
        generator: torch.Generator | None = None,
        steps: int | None = None,
    ) -> tuple[torch.Tensor, bool]:
        """Input → ``[T, B, *shape]``; the flag says every step is the same tensor.

        A sequence ``[T, B, *shape]`` runs for its own T, any T ≥ 1; a static input
        ``[B, *shape]`` is encoded over ``steps`` (default: the program's T)."""
        T, shape = steps or self.timesteps, self.input_shape
        if tuple(x.shape[-len(shape) :]) != shape or x.dim() not in (
            len(shape) + 1,
            len(shape) + 2,
        ):
            raise ValueError(
                f"network '{self.graph_name}' expects input [T, B, {', '.join(map(str, shape))}]"
                + (f" or [B, {', '.join(map(str, shape))}]" if self.input_kind != "frames" else "")
                + f", got {list(x.shape)}"
            )
        if x.dim() == len(shape) + 2:
            if x.shape[0] < 1 or (steps is not None and x.shape[0] != steps):
                raise ValueError(
                    f"network '{self.graph_name}': steps={steps} but the input has {x.shape[0]}"
                    if steps is not None
                    else f"network '{self.graph_name}': the input has no time steps"
                )
            if self.encode == "rate":
                return self._layout(self._rate(x, generator)), False
            return self._layout(x), False
        if self.input_kind == "frames":
            raise ValueError(
                f"network '{self.graph_name}' expects event frames [T, B, ...], got {list(x.shape)}"
            )
        if self.encode == "rate":
            return self._layout(self._rate(x.unsqueeze(0).expand(T, *x.shape), generator)), False
        x = self._layout(x.unsqueeze(0))[0]  # the layout once, before repeating over T
        return x.unsqueeze(0).expand(T, *x.shape), True

    def _layout(self, seq: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, H, W]`` in the network's memory format (channels last: NHWC per step)."""
        if not self.channels_last or seq.dim() != 5:
            return seq
        T, B = seq.shape[:2]
        flat = seq.reshape(T * B, *seq.shape[2:])
        if flat.is_contiguous(memory_format=torch.channels_last):
            return seq
        return flat.contiguous(memory_format=torch.channels_last).view(seq.shape)

    @staticmethod
    def _rate(x: torch.Tensor, generator) -> torch.Tensor:
        p = x.clamp(0.0, 1.0)
        return (torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype) < p).to(
            p.dtype
        )

    # ------------------------------------------------------------ forward
    def run(
        self,
        x: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        count: list | None = None,
        steps: int | None = None,
        traces: dict | None = None,
    ) -> dict[str, torch.Tensor]:
        """Every node's output sequence, ``{name: [T, B, *shape]}`` (spikes for spiking
        populations, membrane potentials for LI, merged currents for relays), from the
        resting state. ``traces``, a dict, receives every population's membrane
        potential after each step, ``{name: [T, B, *shape]}``."""
        return self._simulate(x, generator, count, steps, None, traces)[0]

    def stream(
        self,
        x: torch.Tensor,
        state: NetworkState | None = None,
        *,
        generator: torch.Generator | None = None,
        traces: dict | None = None,
    ) -> tuple[torch.Tensor, NetworkState]:
        """Run the sequence ``x`` (``[T, B, *shape]``, any T ≥ 1) on from ``state``
        (None: at rest) → (the readout node's output at every step ``[T, B, F]``, the
        state after the last step). Calls chained through the returned state compute,
        in eval mode, what one call on the whole sequence computes; in training mode
        batch-norm's statistics are taken per call."""
        if x.dim() != len(self.input_shape) + 2:
            raise ValueError(
                f"network '{self.graph_name}': stream takes a sequence [T, B, "
                f"{', '.join(map(str, self.input_shape))}], got {list(x.shape)}"
            )
        seqs, new = self._simulate(x, generator, None, None, state, traces)
        return seqs[self.readout_node], new

    def step(
        self,
        x: torch.Tensor,
        state: NetworkState | None = None,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, NetworkState]:
        """One time step, Norse style: ``x`` ``[B, *shape]`` and the state (None: at
        rest) → (the readout node's output ``[B, F]``, the new state)."""
        out, new = self.stream(x.unsqueeze(0), state, generator=generator)
        return out[0], new

    def readout(self, out: torch.Tensor) -> torch.Tensor:
        """Reduce the readout sequence ``[T, B, F]`` over time as the program says."""
        if self.readout_over == "mean":
            return out.mean(0)
        if self.readout_over == "sum":
            return out.sum(0)
        if self.readout_over == "max":
            return out.max(0).values
        return out[-1]

    def forward(
        self,
        x: torch.Tensor,
        *,
        return_stats: bool = False,
        return_traces: bool = False,
        steps: int | None = None,
        generator: torch.Generator | None = None,
    ):
        """The readout reduced over time, ``[B, F]``; with ``return_stats`` also the
        pass's :class:`Stats`, with ``return_traces`` also every population's membrane
        potential per step (``{name: [T, B, *shape]}``), in that order. ``steps``: how
        many steps a static ``[B, *shape]`` input is encoded over (default: the
        program's T); a sequence runs for its own length."""
        traces: dict | None = {} if return_traces else None
        if return_stats:
            seqs, stats = self.activity(x, generator=generator, steps=steps, traces=traces)
        else:
            seqs = self.run(x, generator=generator, steps=steps, traces=traces)
        out = self.readout(seqs[self.readout_node])
        extra = ((stats,) if return_stats else ()) + ((traces,) if return_traces else ())
        return (out, *extra) if extra else out

    def activity(
        self,
        x: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        steps: int | None = None,
        traces: dict | None = None,
    ) -> tuple[dict[str, torch.Tensor], Stats]:
        """Every node's output sequence (as :meth:`run`) and the pass's :class:`Stats`."""
        count: list = []
        seqs = self.run(x, generator=generator, count=count, steps=steps, traces=traces)
        out = seqs[self.readout_node]
        return seqs, self._stats(seqs, count, out.shape[1], out.device)

    def _stats(self, seqs, count, batch: int, device) -> Stats:
        T = seqs["input"].shape[0]
        spikes = {}
        total = torch.zeros(batch, device=device)
        for name, plan in self._plans.items():
            if plan.spiking:
                spikes[name] = _per_sample(seqs[name])
                total = total + spikes[name]
        pooled = torch.zeros(batch, device=device)
        for name in self._pooled_spikes:
            pooled = pooled + _per_sample(seqs[name])
        sops = torch.zeros(batch, device=device)
        for e, nnz in count:  # only connections that see spikes are counted
            sops = sops + nnz.detach().to(sops.dtype) * e.fanout
        macs = torch.zeros(batch, device=device)
        for plan in self._plans.values():
            for e in plan.in_edges:
                if not e.binary_in and e.macs:
                    macs = macs + e.macs * T
        return Stats(spikes, total, sops, macs, T, pooled)

    def extra_repr(self) -> str:
        shape = "×".join(map(str, self.input_shape))
        return (
            f"name={self.graph_name!r}, input={self.input_kind} {shape} ({self.encode}), "
            f"timesteps={self.timesteps}, readout={self.readout_node} over {self.readout_over}"
        )
