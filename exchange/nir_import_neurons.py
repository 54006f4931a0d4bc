"""NIR neuron nodes as snarc neurons: LIF, CubaLIF, IF, LI and CubaLI become snarc's
LIF, IF or LI with their time constants in steps; NIR's input gain ``r`` (and ``w_in``)
becomes a gain that the importer folds into the incoming weights."""

from __future__ import annotations

import numpy as np

from ..dsl import ast
from ..dsl import construct as C
from .errors import NIRImportError


def uniform(node_name, field_name, array) -> float:
    """The one value of a per-neuron parameter array (refused where neurons differ)."""
    a = np.asarray(array, dtype=np.float64).reshape(-1)
    if a.size and not np.allclose(a, a[0]):
        raise NIRImportError(
            f"NIR node '{node_name}': {field_name} differs between neurons; snarc populations are homogeneous"
        )
    return float(a[0]) if a.size else 0.0


def import_neuron(n: str, node, k: str, dt: float, source: str) -> tuple[ast.NeuronRef, float]:
    """(the snarc neuron of NIR node ``n`` of kind ``k``, the input gain to fold into the
    weights of the connections into it)."""
    meta = getattr(node, "metadata", {}) or {}
    soft = meta.get("reset") == "subtract"
    scale = dt if source != "norse" else dt * dt

    def tau(x, what):
        return uniform(n, what, x) / scale

    parts: dict = {}
    gain = 1.0
    if k in ("LIF", "CubaLIF", "IF"):
        v_th = uniform(n, "v_threshold", node.v_threshold)
        v_reset = (
            uniform(n, "v_reset", node.v_reset)
            if getattr(node, "v_reset", None) is not None
            else 0.0
        )
        gain = uniform(n, "r", node.r) if getattr(node, "r", None) is not None else 1.0
    if k == "LIF":
        parts["tau_mem"] = tau(node.tau, "tau")
        v_leak = uniform(n, "v_leak", node.v_leak)
        if v_leak:
            parts["v_leak"] = v_leak
        model = "LIF"
    elif k == "CubaLIF":
        tau_syn = tau(node.tau_syn, "tau_syn")
        parts.update(tau_mem=tau(node.tau_mem, "tau_mem"), tau_syn=tau_syn)
        v_leak = uniform(n, "v_leak", node.v_leak)
        if v_leak:
            parts["v_leak"] = v_leak
        w_in = uniform(n, "w_in", node.w_in)
        gain *= (
            w_in / tau_syn
        )  # snarc's current jumps by the input; NIR's by w_in · input / tau_syn
        model = "LIF"
    elif k == "IF":
        model = "IF"
    elif k == "CubaLI":
        if uniform(n, "v_leak", node.v_leak):
            raise NIRImportError(f"NIR node '{n}': CubaLI with a nonzero v_leak is not supported")
        tau_syn = tau(node.tau_syn, "tau_syn")
        gain = uniform(n, "r", node.r) * uniform(n, "w_in", node.w_in) / tau_syn
        args = C.args(tau_mem=tau(node.tau_mem, "tau_mem"), tau_syn=tau_syn)
        return ast.NeuronRef(name="LI", args=args), gain
    else:  # LI
        if uniform(n, "v_leak", node.v_leak):
            raise NIRImportError(f"NIR node '{n}': LI with a nonzero v_leak is not supported")
        gain = uniform(n, "r", node.r)
        return ast.NeuronRef(name="LI", args=C.args(tau_mem=tau(node.tau, "tau"))), gain
    parts["v_th"] = v_th
    if v_reset:
        parts["v_reset"] = v_reset
    if soft:
        parts["reset"] = "soft"
    return ast.NeuronRef(name=model, args=C.args(**parts)), gain
