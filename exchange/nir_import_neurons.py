"""NIR neuron nodes as snarc neurons: LIF, CubaLIF, IF, LI, CubaLI, I and Threshold
become snarc's LIF, IF, LI, I or Threshold with their time constants in steps; NIR's
input gain ``r`` (and ``w_in``) becomes a gain that the importer folds into the
incoming weights. NIR's IF and I integrate ``dv/dt = R·I``: one Euler step adds
``dt·r·x``, where snarc's add ``x``, so their gain is ``r·dt``.

Where a parameter (or the gain) differs between the neurons of a node, the population
is written with ``per_neuron: true``: the program shows the first neuron's values, and
every neuron's values — the gain included, which then stays out of the weights — go to
the state dict (``neurons.<name>.per_neuron.<parameter>``, :mod:`snarc.compiler.per_neuron`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..dsl import ast
from ..dsl import construct as C
from .errors import NIRImportError
from .nir_sources import Source


def uniform(node_name, field_name, array) -> float:
    """The one value of a per-neuron parameter array (refused where neurons differ)."""
    a = np.asarray(array, dtype=np.float64).reshape(-1)
    if a.size and not np.allclose(a, a[0]):
        raise NIRImportError(f"NIR node '{node_name}': {field_name} differs between its elements")
    return float(a[0]) if a.size else 0.0


@dataclass
class ImportedNeuron:
    ref: ast.NeuronRef
    gain: float  # folded into the incoming weights (1 where per_neuron holds it)
    per_neuron: dict[str, np.ndarray] | None = None  # parameter -> values, per neuron


def _arr(x, default=0.0) -> np.ndarray:
    return np.asarray(default if x is None else x, dtype=np.float64)


def _values(n: str, node, k: str, dt: float, source: Source) -> tuple[str, dict]:
    """(snarc model, {parameter: array}) of NIR node ``n``, ``gain`` included."""
    scale = dt * dt if source.tau_times_dt else dt  # NIR time constants -> steps
    r = _arr(getattr(node, "r", None), 1.0)
    if k == "LIF":
        return "LIF", {
            "tau_mem": _arr(node.tau) / scale, "v_leak": _arr(node.v_leak),
            "v_th": _arr(node.v_threshold), "v_reset": _arr(node.v_reset), "gain": r,
        }  # fmt: skip
    if k == "CubaLIF":
        tau_syn = _arr(node.tau_syn) / scale
        # snarc's current jumps by the input; NIR's by w_in · input / tau_syn. Norse's
        # LIFCell jumps by the input too, but writes w_in = 1 (not tau_syn/dt)
        w_in = _arr(node.w_in, 1.0)
        return "LIF", {
            "tau_mem": _arr(node.tau_mem) / scale, "tau_syn": tau_syn,
            "v_leak": _arr(node.v_leak), "v_th": _arr(node.v_threshold),
            "v_reset": _arr(node.v_reset),
            "gain": r * (w_in if source.cuba_jumps else w_in / tau_syn),
        }  # fmt: skip
    if k == "IF":
        return "IF", {
            "v_th": _arr(node.v_threshold), "v_reset": _arr(node.v_reset),
            "gain": r if source.if_adds_input else r * dt,
        }  # fmt: skip
    if k == "CubaLI":
        tau_syn = _arr(node.tau_syn) / scale
        return "LI", {
            "tau_mem": _arr(node.tau_mem) / scale, "tau_syn": tau_syn,
            "v_leak": _arr(node.v_leak), "gain": r * _arr(node.w_in, 1.0) / tau_syn,
        }  # fmt: skip
    if k == "LI":
        return "LI", {"tau_mem": _arr(node.tau) / scale, "v_leak": _arr(node.v_leak), "gain": r}
    if k == "I":
        return "I", {"gain": r * dt}
    return "Threshold", {"v_th": _arr(node.threshold)}  # k == "Threshold"


def import_neuron(n: str, node, k: str, dt: float, source: Source) -> ImportedNeuron:
    """The snarc neuron of NIR node ``n`` of kind ``k``, as ``source`` writes it."""
    meta = getattr(node, "metadata", {}) or {}
    model, values = _values(n, node, k, dt, source)
    for name in ("tau_mem", "tau_syn"):
        if name in values and np.any(values[name] < 1.0 - 1e-9):
            raise NIRImportError(
                f"NIR node '{n}': {name} {values[name].min():g} steps is below one step",
                hint="check the graph's dt (--dt), or --source for a library that writes "
                "time constants its own way",
            )
    firsts = {name: float(v.reshape(-1)[0]) if v.size else 0.0 for name, v in values.items()}
    varies = any(v.size > 1 and not np.allclose(v, v.reshape(-1)[0]) for v in values.values())
    parts: dict = {}
    for name in ("tau_mem", "tau_syn"):
        if name in firsts:
            parts[name] = firsts[name]
    if model == "Threshold" or model in ("LIF", "IF"):
        parts["v_th"] = firsts["v_th"]
    for name in ("v_leak", "v_reset"):
        if firsts.get(name):
            parts[name] = firsts[name]
    if model in ("LIF", "IF") and (meta.get("reset") == "subtract" or source.subtract_reset):
        parts["reset"] = "soft"
        if source.reset_delay and model == "LIF":
            parts["reset_delay"] = True
    if not varies:
        return ImportedNeuron(
            ast.NeuronRef(name=model, args=C.args(**parts)), firsts.get("gain", 1.0)
        )
    parts["per_neuron"] = True
    return ImportedNeuron(ast.NeuronRef(name=model, args=C.args(**parts)), 1.0, values)
