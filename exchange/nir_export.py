"""snarc IR (+ weights) → NIR graph, written directly from the IR.

Not through ``norse.torch.to_nir``, which drops pooling, flattening and LI readouts
silently and writes time constants as ``dt/tau_mem_inv``. Mapping:

=====================  ======================================================
snarc                  NIR
=====================  ======================================================
input                  ``Input`` (per-sample shape)
LIF (no synapse)       ``LIF(tau, r=1, v_leak, v_threshold, v_reset)``
LIF with ``tau_syn``   ``CubaLIF(tau_syn, tau_mem, w_in = tau_syn/dt, r=1, ...)``
PLIF                   ``LIF`` with the learned time constant, ``v_leak = v_reset``
IF                     ``IF(r=1, v_threshold, v_reset)``
LI (no synapse)        ``LI(tau, r=1, v_leak=0)``
conv [+ bn]            ``Conv2d`` with batch-norm folded in (eval statistics)
bn alone               ``Conv2d`` 1×1 depthwise (maps) or ``Affine`` (vectors)
linear                 ``Flatten`` (for maps) + ``Affine`` (bias zero if none)
avgpool                ``AvgPool2d``
flatten                ``Flatten``
vote                   ``Affine`` averaging groups
identity, dropout      nothing (an edge)
genetic weights        expanded to the dense weight
feedback / lateral     ``Delay(dt)`` after the connection's operations: a cycle
                       with its one-step delay explicit
a relay that merges    ``Scale(1)`` (NIR sums every input of a node)
=====================  ======================================================

Time constants are in the program's time unit (the unit of ``dt``), stored in the
graph's metadata as ``dt``; NIR's Euler step with that ``dt`` is snarc's update.
Reset: hard (``v_reset``) unless metadata ``reset = "subtract"`` (soft reset).

A concatenation becomes a sum of its parts each placed by a 1×1 ``Conv2d`` (or an
``Affine``) that puts its channels at their offset; max-pooling of spikes becomes
``SumPool2d`` then ``Threshold``. An excitatory/inhibitory rectification is written
only where the weights make it exact (:mod:`.nir_signs`). NIR cannot express any other
rectification, max-pooling of non-spikes, ALIF, Izhikevich or synaptic LI readouts:
:func:`to_nir` refuses such programs with one error that lists every offending node and
connection.
"""

from __future__ import annotations

import re

import networkx as nx
import numpy as np

from ..dsl.errors import SnarcError
from ..dsl.signatures import OPS
from .nir_lowering import (
    NEURON_EXPORTERS,
    NEURON_LIMITS,
    NEURON_REASONS,
    OP_EXPORTERS,
    OP_REASONS,
    SPIKES_ONLY,
    NeuronStep,
    Step,
    concat_embedding,
)
from .nir_lowering import full as _full
from .nir_signs import chain_sign, rectified


class NIRExportError(SnarcError):
    """Constructs NIR cannot express (every offending node is listed)."""


def unsupported(graph, net=None) -> list[str]:
    """Every construct of the program that NIR cannot express, as readable lines
    (with the compiled ``net``, also operations exact only on spikes that get none)."""
    problems = []
    for node, d in graph.nodes(data=True):
        spec = d.neuron
        if spec is not None:
            reason = NEURON_REASONS.get(spec.model)
            if reason is None and spec.model not in NEURON_EXPORTERS:
                reason = f"no NIR exporter for the {spec.model} neuron"
            limit = NEURON_LIMITS.get(spec.model)
            reason = reason or (limit(spec) if limit else None)
            if reason:
                problems.append(f"population '{node}': {reason}")
    for u, v, d in graph.edges(data=True):
        for i, op in enumerate(d.ops):
            if op.name not in OP_EXPORTERS:
                reason = OP_REASONS.get(op.name, f"no NIR exporter for '{op.name}'")
                problems.append(f"connection {u} -> {v}: {reason}")
            elif op.name in SPIKES_ONLY and net is not None and not spikes_into(net, u, d.ops, i):
                problems.append(f"connection {u} -> {v}: {SPIKES_ONLY[op.name]}")
        if d.sign and (net is None or rectification(net, u, v, d) is None):
            problems.append(
                f"connection {u} -> {v}: NIR cannot rectify ({d['sign']}); it "
                "can deliver values of either sign"
            )
    return problems


def rectification(net, u, v, d) -> str | None:
    """What the sign of connection ``u -> v`` does with the compiled weights: ``"keep"``,
    ``"drop"`` or None (not expressible in NIR); see :mod:`.nir_signs`."""
    if any(op.name not in OP_EXPORTERS for op in d.ops):
        return None
    info = next(i for i in net.in_edges(v) if i.src == u and i.order == d.order)
    return _verdict(net, u, d, lower_chain(net, u, info.key, d, net.genetic_weights()))


def _verdict(net, u, d, nodes) -> str | None:
    """The rectification's effect on a connection lowered to ``nodes``."""
    return rectified(d.sign, chain_sign([n for _, n in nodes], "+" if net.binary(u) else None))


def lower_chain(net, u, key, d, weights) -> list[tuple[str, object]]:
    """The NIR nodes (name suffix, node) of one connection's operations, before its sign
    and delay."""
    module = net.edges[key]
    ops = list(d.ops)
    out: list[tuple[str, object]] = []
    i = 0
    while i < len(ops):
        step = Step(
            op=ops[i],
            module=module.ops[i],
            edge=module,
            index=i,
            next_op=ops[i + 1] if i + 1 < len(ops) else None,
            genetic_weight=weights[key] if i == module.genetic_index else None,
            binary_in=spikes_into(net, u, ops, i),
        )
        lowered = OP_EXPORTERS[ops[i].name](step)
        out.extend(lowered.nodes)
        i += lowered.consumed
    return out


def spikes_into(net, u: str, ops, i: int) -> bool:
    """Whether operation ``i`` of a connection from ``u`` sees only 0 and 1."""
    return net.binary(u) and all(OPS[op.name].binary_preserving for op in ops[:i])


class _Builder:
    def __init__(self, net, graph, dt: float | None = None):
        self.net = net
        self.g = graph
        self.dt = float(graph.graph["dt"]) if dt is None else float(dt)
        self.time_scale = self.dt / float(graph.graph["dt"])  # NIR time constants = snarc's × this
        self.nodes: dict = {}
        self.edges: list[tuple[str, str]] = []
        self.handle: dict[str, str] = {}  # IR node -> NIR node producing its output
        self.weights = net.genetic_weights()

    def add(self, name: str, node) -> str:
        name = re.sub(r"\W", "_", name.replace("->", "_to_"))
        base, i = name, 1
        while name in self.nodes:
            i += 1
            name = f"{base}_{i}"
        self.nodes[name] = node
        return name

    # ---- neurons
    def neuron(self, name, spec, shape, module):
        step = NeuronStep(spec, tuple(shape), module, self.time_scale, self.g.graph["dt"])
        return self.add(name, NEURON_EXPORTERS[spec.model](step))

    # ---- synapses
    def chain(self, u, v, key, d) -> str:
        """NIR nodes for the operations of one connection; returns the last one's name
        (its source's, for a connection with no operation)."""
        import nir

        nodes = lower_chain(self.net, u, key, d, self.weights)
        if d.sign and _verdict(self.net, u, d, nodes) == "drop":
            # every value it delivers has the other sign: the rectification makes it 0
            nodes.append(("rectified", nir.Scale(scale=_full(d.out_shape, 0.0))))
        prev = self.handle[u]
        label = f"{u}->{v}"
        for suffix, node in nodes:
            prev = self.link(prev, self.add(f"{label}:{suffix}", node))
        if d.delay:
            delay = nir.Delay(
                delay=_full(d.out_shape, self.dt * d.delay),
                metadata={"shape": list(d.out_shape)},
            )
            prev = self.link(prev, self.add(f"{label}:delay", delay))
        return prev

    def link(self, a: str, b: str) -> str:
        self.edges.append((a, b))
        return b

    def into(self, last: str, u: str, v: str, e, placing: dict) -> None:
        """Connect a connection's last node to ``v``'s handle; into a concatenating node,
        through the embedding that places its part (NIR has no concatenation)."""
        if (u, e.order) in placing:
            last = self.link(last, self.add(f"{u}->{v}:concat", placing[(u, e.order)]))
        self.link(last, self.handle[v])

    def placing(self, node, ins) -> dict:
        """``{(source, order): embedding}`` for a node that concatenates its inputs."""
        d = self.g.nodes[node]
        if d.merge != "concat" or len(ins) < 2:
            return {}
        out, offset = {}, 0
        for u, _, _, e in ins:
            out[(u, e.order)] = concat_embedding(
                e.out_shape, d.shape if d.neuron is None else d.shape, offset
            )
            offset += e.out_shape[0]
        return out


def to_nir(net, graph, dt: float | None = None):
    """The NIR graph of a compiled network (its current weights, batch-norm in eval form).

    ``dt`` sets the step length written to the graph (time constants are scaled to
    match); by default the program's own ``dt``. snnTorch's importer assumes
    ``dt = 1e-4``: export with ``dt=1e-4`` for it.
    """
    import nir

    problems = unsupported(graph, net)
    if problems:
        raise NIRExportError(
            f"network '{graph.graph['name']}' uses {len(problems)} construct"
            f"{'s' if len(problems) != 1 else ''} NIR cannot express:\n  - "
            + "\n  - ".join(problems),
            graph.graph.get("span"),
            hint="NIR (1.0) has no max-pool (snarc lowers one of spikes exactly), no "
            "concatenation (snarc places each part with a 1×1 map), no rectification, "
            "ALIF or Izhikevich node",
        )
    b = _Builder(net, graph, dt)
    b.handle["input"] = b.add(
        "input", nir.Input(input_type={"input": np.array(graph.nodes["input"].shape)})
    )
    fwd = nx.DiGraph()
    fwd.add_nodes_from(graph.nodes)
    fwd.add_edges_from((u, v) for u, v, d in graph.edges(data=True) if d.delay == 0)
    order = list(nx.topological_sort(fwd))
    placing: dict[str, dict] = {}  # concatenating node -> its inputs' embeddings
    # create neuron / relay nodes first, so that delayed edges can point at them
    for node in order:
        d = graph.nodes[node]
        if d.kind == "input":
            continue
        plan = net.plan(node)
        if d.neuron is not None:
            b.handle[node] = b.neuron(node, d.neuron, d.shape, net.neurons[plan.key])
        else:
            b.handle[node] = None  # decided below: a relay with one plain input is that input
    for node in order:
        d = graph.nodes[node]
        if d.kind == "input":
            continue
        plan = net.plan(node)
        ins = sorted(graph.in_edges(node, keys=True, data=True), key=lambda x: x[3].order)
        placing[node] = b.placing(node, ins)
        if d.neuron is None and len(ins) == 1 and ins[0][3]["delay"] == 0:
            u, _, _, e = ins[0]
            info = next(i for i in plan.in_edges if i.src == u)
            b.handle[node] = b.chain(u, node, info.key, e)
            continue
        if d.neuron is None:
            b.handle[node] = b.add(node, nir.Scale(scale=_full(d.shape, 1.0)))
        for u, _, _, e in ins:
            if e.delay:
                continue
            info = next(i for i in plan.in_edges if i.src == u and i.order == e.order)
            b.into(b.chain(u, node, info.key, e), u, node, e, placing[node])
    for u, v, _, e in graph.edges(keys=True, data=True):  # delayed connections, now that all exist
        if e.delay:
            info = next(i for i in net.in_edges(v) if i.src == u and i.order == e.order)
            b.into(b.chain(u, v, info.key, e), u, v, e, placing.get(v, {}))
    out = b.add(
        "output", nir.Output(output_type={"output": np.array(graph.nodes["readout"].shape)})
    )
    b.link(b.handle["readout"], out)
    meta = {
        "dt": b.dt,
        "timesteps": graph.graph["timesteps"],
        "readout_over": graph.graph["readout"].over,
        "input_kind": graph.graph["input"].kind,
        "encode": graph.graph["input"].encode,
        "producer": "snarc",
    }
    return nir.NIRGraph(nodes=b.nodes, edges=b.edges, metadata=meta)
