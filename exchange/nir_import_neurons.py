"""NIR neuron nodes as snarc neurons: LIF, CubaLIF, IF, LI, CubaLI, I and Threshold
become snarc's LIF, IF, LI, I or Threshold with their time constants in steps; NIR's
input gain ``r`` (and ``w_in``) becomes a gain that the importer folds into the
incoming weights. NIR's IF and I integrate ``dv/dt = R·I``: one Euler step adds
``dt·r·x``, where snarc's add ``x``, so their gain is ``r·dt``."""

from __future__ import annotations

import numpy as np

from ..dsl import ast
from ..dsl import construct as C
from .errors import NIRImportError
from .nir_sources import Source


def uniform(node_name, field_name, array) -> float:
    """The one value of a per-neuron parameter array (refused where neurons differ)."""
    a = np.asarray(array, dtype=np.float64).reshape(-1)
    if a.size and not np.allclose(a, a[0]):
        raise NIRImportError(
            f"NIR node '{node_name}': {field_name} differs between neurons; snarc populations are homogeneous"
        )
    return float(a[0]) if a.size else 0.0


def import_neuron(n: str, node, k: str, dt: float, source: Source) -> tuple[ast.NeuronRef, float]:
    """(the snarc neuron of NIR node ``n`` of kind ``k``, the input gain to fold into the
    weights of the connections into it), as ``source`` writes it."""
    meta = getattr(node, "metadata", {}) or {}
    soft = meta.get("reset") == "subtract" or source.subtract_reset
    scale = dt * dt if source.tau_times_dt else dt

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
        # snarc's current jumps by the input; NIR's by w_in · input / tau_syn. Norse's
        # LIFCell jumps by the input too, but writes w_in = 1 (not tau_syn/dt)
        gain *= w_in if source.cuba_jumps else w_in / tau_syn
        model = "LIF"
    elif k == "IF":
        model = "IF"
        if not source.if_adds_input:
            gain *= dt
    elif k == "CubaLI":
        tau_syn = tau(node.tau_syn, "tau_syn")
        gain = uniform(n, "r", node.r) * uniform(n, "w_in", node.w_in) / tau_syn
        leak = _leak(n, node)
        args = C.args(tau_mem=tau(node.tau_mem, "tau_mem"), tau_syn=tau_syn, **leak)
        return ast.NeuronRef(name="LI", args=args), gain
    elif k == "I":
        return ast.NeuronRef(name="I", args=C.args()), uniform(n, "r", node.r) * dt
    elif k == "Threshold":
        v_th = uniform(n, "threshold", node.threshold)
        return ast.NeuronRef(name="Threshold", args=C.args(v_th=v_th)), 1.0
    else:  # LI
        gain = uniform(n, "r", node.r)
        args = C.args(tau_mem=tau(node.tau, "tau"), **_leak(n, node))
        return ast.NeuronRef(name="LI", args=args), gain
    parts["v_th"] = v_th
    if v_reset:
        parts["v_reset"] = v_reset
    if soft:
        parts["reset"] = "soft"
        if source.reset_delay and model == "LIF":
            parts["reset_delay"] = True
    return ast.NeuronRef(name=model, args=C.args(**parts)), gain


def _leak(n, node) -> dict:
    v_leak = uniform(n, "v_leak", node.v_leak)
    return {"v_leak": v_leak} if v_leak else {}
