"""Running a compiled network over time (a mixin of
:class:`~snarc.compiler.network.CompiledNetwork`): every node's output sequence in
schedule order, multi-step where a node lies on no cycle and step by step on cycles,
from rest or from a carried :class:`~snarc.compiler.state.NetworkState`."""

from __future__ import annotations

import torch

from .neurons import NeuronModule
from .plan import EdgeInfo, NodePlan
from .state import NetworkState


class Simulation:
    """The time loop (uses the network's plans, schedule, edge and neuron modules)."""

    def _simulate(self, x, generator, count, steps, state, traces):
        seq, static_input = self.encode_input(x, generator, steps)
        weights = self._genetic_weights()
        history = self._histories(state.last if state is not None else None, seq, weights)
        carried = state.neurons if state is not None else {}
        neurons: dict[str, tuple] = {}
        seqs: dict[str, torch.Tensor] = {"input": seq}
        for mode, nodes in self._schedule:
            if mode == "multi":
                (name,) = nodes
                plan = self._plans[name]
                parts = [
                    self._edge_seq(e, seqs, static_input, weights, count, history)
                    for e in plan.in_edges
                ]
                current = self._merge(plan, parts, 2)
                if plan.key is not None:
                    module = self.neurons[plan.key]
                    if traces is not None:
                        current, neurons[name], traces[name] = module.trace(
                            current, carried.get(name)
                        )
                    else:
                        current, neurons[name] = module(current, carried.get(name))
                seqs[name] = current
            else:
                neurons.update(
                    self._run_stepwise(
                        nodes, seqs, static_input, weights, count, history, carried, traces
                    )
                )
        new = NetworkState(
            neurons,
            {  # the last `depth` outputs (with the history only where this call was shorter)
                u: seqs[u][-depth:]
                if seqs[u].shape[0] >= depth
                else torch.cat([history(u), seqs[u]])[-depth:]
                for u, depth in self._delay_depth.items()
            },
            (state.steps if state is not None else 0) + seq.shape[0],
        )
        return seqs, new

    def _rest_values(self, seq, weights):
        """``rest(node)``: a node's output before the first step, ``[B, *shape]``. The
        network has been at rest: the input is 0, populations have emitted nothing
        (spiking ones output 0, integrators their resting potential), and a relay sums
        its connections applied to their sources' rest values. A delayed connection
        delivers, at step 0, its operations applied to its source's rest value (a bias
        or batch-norm shift included, as a recurrent layer applied to the zero initial
        spikes gives)."""
        memo: dict[str, torch.Tensor] = {}
        like = seq[0]

        def rest(name: str, visiting=()) -> torch.Tensor:
            if name in memo:
                return memo[name]
            plan = self._plans[name]
            zeros = like.new_zeros((like.shape[0], *plan.shape))
            if plan.key is not None:
                value = self.neurons[plan.key].rest(zeros)
            elif plan.kind == "input" or name in visiting or not plan.in_edges:
                value = zeros  # (a cycle of relays alone: taken as 0)
            else:
                parts = [
                    self.edges[e.key](rest(e.src, (*visiting, name)), weights.get(e.key))
                    for e in plan.in_edges
                ]
                value = self._merge(plan, parts, 1)
            memo[name] = value
            return value

        return rest

    def _histories(self, last, seq, weights):
        """``history(node)``: the node's outputs of the ``D`` steps before this call,
        ``[D, B, *shape]`` (oldest first; ``D`` the longest delay of a connection out
        of it): the previous call's, when streaming, else its rest value repeated."""
        rest = self._rest_values(seq, weights)
        memo: dict[str, torch.Tensor] = {}

        def history(name: str) -> torch.Tensor:
            if name not in memo:
                depth = self._delay_depth[name]
                if last is not None and name in last:
                    memo[name] = last[name]
                else:
                    r = rest(name)
                    memo[name] = r.unsqueeze(0).expand(depth, *r.shape)
            return memo[name]

        return history

    def _edge_seq(self, e: EdgeInfo, seqs, static_input, weights, count, history):
        """Apply a connection to its source's whole sequence → ``[T, B, ...]``; one
        delayed by ``d`` steps reads, for its first ``d`` steps, its source's history
        (see :meth:`_histories`)."""
        src = seqs[e.src]
        T, B = src.shape[0], src.shape[1]
        module = self.edges[e.key]
        w = weights.get(e.key)
        cnt = [] if count is not None and e.binary_in else None
        if e.src == "input" and static_input and e.static and e.delay == 0:
            y = module(src[0], w, cnt)
            y = y.unsqueeze(0).expand(T, *y.shape)
            if cnt:
                count.append((e, cnt[0] * T))
            return y
        rows, n0 = src, 0
        if e.delay:  # steps t − d < 0 from the history, then the source's own
            before = history(e.src)
            before = before[before.shape[0] - e.delay :][:T]
            n0 = before.shape[0]
            rows = torch.cat([before, src[: T - n0]]) if n0 < T else before
        if e.per_step:  # bn(per_step: true): each step's batch alone, as a step loop
            ys, counts = [], []
            for t in range(T):
                c = [] if cnt is not None else None
                ys.append(module(rows[t], w, c))
                if c:
                    counts.append(c[0])
            if counts:
                count.append((e, torch.stack(counts)[n0:].sum(0)))
            return torch.stack(ys)
        # one call over all T steps, as without a delay (batch-norm sees one batch)
        y = module(rows.reshape(T * B, *rows.shape[2:]), w, cnt)
        if cnt:  # the history's rows were counted when they ran
            count.append((e, cnt[0].view(T, B)[n0:].sum(0)))
        return y.view(T, B, *y.shape[1:])

    def _merge(self, plan: NodePlan, parts: list[torch.Tensor], dim: int) -> torch.Tensor:
        if len(parts) == 1:
            return parts[0]
        if plan.merge == "concat":
            return torch.cat(parts, dim)
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out

    def _run_stepwise(self, nodes, seqs, static_input, weights, count, history, carried, traces):
        """A component on a cycle, one step at a time → its nodes' final neuron states."""
        members = set(nodes)
        T = seqs["input"].shape[0]
        external = {}
        for name in nodes:
            for e in self._plans[name].in_edges:
                if e.src not in members:
                    external[e.key] = self._edge_seq(e, seqs, static_input, weights, count, history)
        coeffs = {
            n: self.neurons[self._plans[n].key].coefficients() for n in nodes if self._plans[n].key
        }
        states: dict[str, tuple] = {}
        vs: dict[str, list] = {}
        outs: dict[str, list] = {n: [] for n in nodes}
        counts: dict[str, list] = {}
        for t in range(T):
            current: dict[str, torch.Tensor] = {}
            for name in nodes:
                plan = self._plans[name]
                parts = []
                for e in plan.in_edges:
                    if e.key in external:
                        parts.append(external[e.key][t])
                        continue
                    if e.delay:
                        back = t - e.delay
                        src = outs[e.src][back] if back >= 0 else history(e.src)[back]
                    else:
                        src = current[e.src]
                    cnt = [] if count is not None and e.binary_in else None
                    parts.append(self.edges[e.key](src, weights.get(e.key), cnt))
                    if cnt:
                        counts.setdefault(e.key, []).append(cnt[0])
                value = self._merge(plan, parts, 1)
                if plan.key is not None:
                    neuron: NeuronModule = self.neurons[plan.key]
                    a = neuron.prepare(value, coeffs[name])
                    if t == 0:
                        states[name] = carried[name] if name in carried else neuron.initial(a)
                    value, states[name] = neuron.step(a, states[name], coeffs[name])
                    if traces is not None:
                        vs.setdefault(name, []).append(states[name].v)
                current[name] = value
                outs[name].append(value)
        for name in nodes:
            seqs[name] = torch.stack(outs[name])
        for name, v in vs.items():
            traces[name] = torch.stack(v)
        if count is not None:
            by_key = {e.key: e for n in nodes for e in self._plans[n].in_edges}
            for key, cs in counts.items():
                count.append((by_key[key], torch.stack(cs).sum(0)))
        return states
