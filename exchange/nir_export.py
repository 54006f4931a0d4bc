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

NIR cannot express max-pooling, the excitatory/inhibitory rectification, concatenation,
ALIF, Izhikevich or synaptic LI readouts: :func:`to_nir` refuses such programs with one
error that lists every offending node and connection.
"""

from __future__ import annotations

import math
import re

import networkx as nx
import numpy as np
import torch

from ..dsl.errors import SnarcError


class NIRExportError(SnarcError):
    """Constructs NIR cannot express (every offending node is listed)."""


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)


def _full(shape, value) -> np.ndarray:
    return np.full(tuple(shape), float(value), dtype=np.float32)


def unsupported(graph) -> list[str]:
    """Every construct of the program that NIR cannot express, as readable lines."""
    problems = []
    for node, d in graph.nodes(data=True):
        spec = d["neuron"]
        if spec is not None:
            if spec.model in ("ALIF", "Izhikevich"):
                problems.append(f"population '{node}': NIR has no {spec.model} neuron")
            if spec.model == "LI" and spec.get("tau_syn"):
                problems.append(f"population '{node}': LI with a synaptic current (use tau_syn: 0)")
        if d["merge"] == "concat" and graph.in_degree(node) > 1:
            problems.append(
                f"node '{node}': NIR has no concatenation (its inputs are merged by concat)"
            )
    for u, v, d in graph.edges(data=True):
        for op in d["ops"]:
            if op.name == "maxpool":
                problems.append(f"connection {u} -> {v}: NIR has no max-pooling")
        if d["sign"]:
            problems.append(f"connection {u} -> {v}: NIR cannot rectify ({d['sign']})")
    return problems


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
        import nir

        p = dict(spec.params)
        ts = self.time_scale
        v_th = _full(shape, p.get("v_th", 1.0))
        v_reset = _full(shape, p.get("v_reset", 0.0))
        meta = {
            "snarc_model": spec.model,
            "reset": "subtract" if p.get("reset") == "soft" else "value",
        }
        if spec.model == "LIF" and not p.get("tau_syn"):
            node = nir.LIF(
                tau=_full(shape, p["tau_mem"] * ts),
                r=_full(shape, 1),
                v_leak=_full(shape, p.get("v_leak", 0.0)),
                v_threshold=v_th,
                v_reset=v_reset,
                metadata=meta,
            )
        elif spec.model == "LIF":
            node = nir.CubaLIF(
                tau_syn=_full(shape, p["tau_syn"] * ts),
                tau_mem=_full(shape, p["tau_mem"] * ts),
                r=_full(shape, 1),
                v_leak=_full(shape, p.get("v_leak", 0.0)),
                v_threshold=v_th,
                v_reset=v_reset,
                w_in=_full(shape, p["tau_syn"] / self.g.graph["dt"]),
                metadata=meta,
            )
        elif spec.model == "PLIF":
            tau = module.tau if module is not None else p["tau"]
            node = nir.LIF(
                tau=_full(shape, tau * ts),
                r=_full(shape, 1),
                v_leak=v_reset.copy(),
                v_threshold=v_th,
                v_reset=v_reset,
                metadata=meta,
            )
        elif spec.model == "IF":
            node = nir.IF(r=_full(shape, 1), v_threshold=v_th, v_reset=v_reset, metadata=meta)
        elif spec.model == "LI":
            node = nir.LI(
                tau=_full(shape, p["tau_mem"] * ts),
                r=_full(shape, 1),
                v_leak=_full(shape, 0),
                metadata=meta,
            )
        else:  # pragma: no cover - refused by unsupported()
            raise NIRExportError(f"no NIR node for {spec.model}")
        return self.add(name, node)

    # ---- synapses
    def chain(self, u, v, key, d) -> str | None:
        """NIR nodes for the operations of one connection; returns the last one's name."""
        import nir

        module = self.net.edges[key]
        prev = self.handle[u]
        ops = list(d["ops"])
        i = 0
        label = f"{u}->{v}"
        while i < len(ops):
            op, mod = ops[i], module.ops[i]
            nxt = ops[i + 1] if i + 1 < len(ops) else None
            name = f"{label}:{op.name}{i}"
            node = None
            if op.name == "conv":
                if i == module.genetic_index:
                    w = self.weights[key]
                    b = mod.bias
                else:
                    w, b = mod.weight, mod.bias
                w = w.detach().clone()
                b = b.detach().clone() if b is not None else torch.zeros(w.shape[0])
                if nxt is not None and nxt.name == "bn":
                    scale, shift = _bn_affine(module.ops[i + 1])
                    w = w * scale.view(-1, 1, 1, 1)
                    b = b * scale + shift
                    i += 1
                k = op.get("kernel")
                pad = (
                    op.get("padding")
                    if op.get("padding") is not None
                    else op.get("dilation") * (k - 1) // 2
                )
                node = nir.Conv2d(
                    input_shape=tuple(op.in_shape[1:]),
                    weight=_np(w),
                    stride=op.get("stride"),
                    padding=pad,
                    dilation=op.get("dilation"),
                    groups=op.get("groups"),
                    bias=_np(b),
                )
            elif op.name == "bn":
                scale, shift = _bn_affine(mod)
                if len(op.in_shape) == 3:
                    c = op.in_shape[0]
                    node = nir.Conv2d(
                        input_shape=tuple(op.in_shape[1:]),
                        weight=_np(scale.view(c, 1, 1, 1)),
                        stride=1,
                        padding=0,
                        dilation=1,
                        groups=c,
                        bias=_np(shift),
                    )
                else:
                    node = nir.Affine(weight=_np(torch.diag(scale)), bias=_np(shift))
            elif op.name == "linear":
                if len(op.in_shape) > 1:
                    prev = self.link(prev, self.add(f"{label}:flatten{i}", _flatten(op.in_shape)))
                w = self.weights[key] if i == module.genetic_index else mod.weight
                b = mod.bias if mod.bias is not None else torch.zeros(w.shape[0])
                node = nir.Affine(weight=_np(w), bias=_np(b))
            elif op.name == "avgpool":
                k = op.get("kernel")
                s = op.get("stride") if op.get("stride") is not None else k
                p = op.get("padding")
                node = nir.AvgPool2d(
                    kernel_size=np.array([k, k]), stride=np.array([s, s]), padding=np.array([p, p])
                )
            elif op.name == "flatten":
                node = _flatten(op.in_shape)
            elif op.name == "vote":
                if len(op.in_shape) > 1:
                    prev = self.link(prev, self.add(f"{label}:flatten{i}", _flatten(op.in_shape)))
                n_in, n_out = math.prod(op.in_shape), op.out_shape[0]
                w = np.kron(np.eye(n_out), np.full((1, n_in // n_out), n_out / n_in)).astype(
                    np.float32
                )
                node = nir.Affine(weight=w, bias=np.zeros(n_out, np.float32))
            elif op.name == "zero":
                return None
            # identity, dropout: nothing
            if node is not None:
                prev = self.link(prev, self.add(name, node))
            i += 1
        if d["delay"]:
            delay = nir.Delay(
                delay=_full(d["out_shape"], self.dt), metadata={"shape": list(d["out_shape"])}
            )
            prev = self.link(prev, self.add(f"{label}:delay", delay))
        return prev

    def link(self, a: str, b: str) -> str:
        self.edges.append((a, b))
        return b


def _flatten(shape):
    import nir

    return nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1)


def _bn_affine(bn) -> tuple[torch.Tensor, torch.Tensor]:
    """Batch-norm in eval mode as ``x·scale + shift`` (per channel)."""
    var = bn.running_var if bn.running_var is not None else torch.ones(bn.num_features)
    mean = bn.running_mean if bn.running_mean is not None else torch.zeros(bn.num_features)
    scale = 1.0 / torch.sqrt(var + bn.eps)
    if bn.affine:
        scale = scale * bn.weight
        shift = bn.bias - mean * scale
    else:
        shift = -mean * scale
    return scale.detach(), shift.detach()


def to_nir(net, graph, dt: float | None = None):
    """The NIR graph of a compiled network (its current weights, batch-norm in eval form).

    ``dt`` sets the step length written to the graph (time constants are scaled to
    match); by default the program's own ``dt``. snnTorch's importer assumes
    ``dt = 1e-4``: export with ``dt=1e-4`` for it.
    """
    import nir

    problems = unsupported(graph)
    if problems:
        raise NIRExportError(
            f"network '{graph.graph['name']}' uses {len(problems)} construct"
            f"{'s' if len(problems) != 1 else ''} NIR cannot express:\n  - "
            + "\n  - ".join(problems),
            graph.graph.get("span"),
            hint="NIR (1.0) has no max-pool, rectification, concatenation, ALIF or Izhikevich node",
        )
    b = _Builder(net, graph, dt)
    b.handle["input"] = b.add(
        "input", nir.Input(input_type={"input": np.array(graph.nodes["input"]["shape"])})
    )
    fwd = nx.DiGraph()
    fwd.add_nodes_from(graph.nodes)
    fwd.add_edges_from((u, v) for u, v, d in graph.edges(data=True) if d["delay"] == 0)
    order = list(nx.topological_sort(fwd))
    # create neuron / relay nodes first, so that delayed edges can point at them
    for node in order:
        d = graph.nodes[node]
        if d["kind"] == "input":
            continue
        plan = net.plan(node)
        if d["neuron"] is not None:
            b.handle[node] = b.neuron(node, d["neuron"], d["shape"], net.neurons[plan.key])
        else:
            b.handle[node] = None  # decided below: a relay with one plain input is that input
    for node in order:
        d = graph.nodes[node]
        if d["kind"] == "input":
            continue
        plan = net.plan(node)
        ins = sorted(graph.in_edges(node, keys=True, data=True), key=lambda x: x[3]["order"])
        if d["neuron"] is None and len(ins) == 1 and ins[0][3]["delay"] == 0:
            u, _, _, e = ins[0]
            info = next(i for i in plan.in_edges if i.src == u)
            b.handle[node] = b.chain(u, node, info.key, e) or b.handle[u]
            continue
        if d["neuron"] is None:
            b.handle[node] = b.add(node, nir.Scale(scale=_full(d["shape"], 1.0)))
        for u, _, _, e in ins:
            if e["delay"]:
                continue
            info = next(i for i in plan.in_edges if i.src == u and i.order == e["order"])
            last = b.chain(u, node, info.key, e)
            if last is not None:
                b.link(last, b.handle[node])
    for u, v, _, e in graph.edges(keys=True, data=True):  # delayed connections, now that all exist
        if e["delay"]:
            info = next(i for i in net.in_edges(v) if i.src == u and i.order == e["order"])
            last = b.chain(u, v, info.key, e)
            if last is not None:
                b.link(last, b.handle[v])
    out = b.add(
        "output", nir.Output(output_type={"output": np.array(graph.nodes["readout"]["shape"])})
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
