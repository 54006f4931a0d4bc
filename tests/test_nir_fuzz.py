"""NIR import never shows a traceback (issue 15): graphs perturbed by hypothesis — the
shipped examples' exports and hand-built graphs, with nodes dropped, edges rewired,
parameters made non-uniform, negative, zero or huge, shapes changed — either import
(and then the program checks) or are refused with a snarc error naming what is wrong."""

import copy
import os
import warnings

import numpy as np
import pytest
import torch
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import snarc
from snarc.dsl.errors import SnarcError
from snarc.exchange.nir_export import to_nir
from snarc.exchange.nir_import import from_nir


def _exported(name):
    torch.manual_seed(0)
    graph = snarc.elaborate(ROOT / "examples" / f"{name}.snarc")
    return to_nir(snarc.compile(graph), graph)


def _primitives():
    """A hand-built graph with the nodes import learned for issue 15: two Inputs, Conv1d
    on a signal, Threshold, I, CubaLI, a 2-step Delay, per-neuron parameters."""
    import nir

    f = np.float32
    rng = np.random.default_rng(0)
    n = (3, 6)
    nodes = {
        "a": nir.Input(input_type={"input": np.array([2, 6])}),
        "b": nir.Input(input_type={"input": np.array([1, 6])}),
        "c": nir.Conv1d(input_shape=6, weight=rng.normal(0, 1, (3, 2, 3)).astype(f), stride=1,
                        padding="same", dilation=1, groups=1, bias=np.zeros(3, f)),
        "cb": nir.Conv1d(input_shape=6, weight=rng.normal(0, 1, (3, 1, 1)).astype(f), stride=1,
                         padding=0, dilation=1, groups=1, bias=np.zeros(3, f)),
        "lif": nir.LIF(tau=rng.uniform(2, 4, n).astype(f), r=np.ones(n, f), v_leak=np.zeros(n, f),
                       v_threshold=np.full(n, 0.4, f), v_reset=np.zeros(n, f)),
        "flat": nir.Flatten(input_type={"input": np.array(n)}, start_dim=0),
        "fc": nir.Affine(weight=rng.normal(0, 1, (4, 18)).astype(f), bias=np.zeros(4, f)),
        "th": nir.Threshold(threshold=np.full(4, 0.5, f)),
        "d": nir.Delay(delay=np.full(4, 2.0, f)),
        "fi": nir.Linear(weight=rng.normal(0, 1, (3, 4)).astype(f)),
        "int": nir.I(r=np.ones(3, f)),
        "fo": nir.Linear(weight=rng.normal(0, 1, (2, 3)).astype(f)),
        "li": nir.CubaLI(tau_syn=np.full(2, 2.0, f), tau_mem=np.full(2, 3.0, f), r=np.ones(2, f),
                         v_leak=np.full(2, 0.1, f), w_in=np.ones(2, f)),
        "out": nir.Output(output_type={"output": np.array([2])}),
    }  # fmt: skip
    edges = [("a", "c"), ("b", "cb"), ("c", "lif"), ("cb", "lif"), ("lif", "flat"), ("flat", "fc"),
             ("fc", "th"), ("th", "d"), ("d", "fi"), ("fi", "int"), ("int", "fo"), ("fo", "li"),
             ("li", "out")]  # fmt: skip
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": 1.0, "timesteps": 6})


def test_the_primitives_seed_imports_as_is():
    text, state = from_nir(_primitives(), name="p")
    net = snarc.compile(text)
    net.load_state_dict(state)
    assert "per_neuron: true" in text and "delay(2)" in text and "I()" in text


@pytest.fixture(scope="module")
def seeds():
    return [_exported(n) for n in ("snasnet", "genetic", "ndigits_conv")] + [_primitives()]


FIELDS = ("tau", "tau_mem", "tau_syn", "v_threshold", "v_leak", "v_reset", "r", "w_in",
          "weight", "bias", "delay", "threshold", "scale", "stride", "padding")  # fmt: skip
VALUES = st.sampled_from([0.0, -1.0, 1e9, np.nan, 0.5, 3.0, "ragged"])


def _perturb(graph, data):
    g = copy.deepcopy(graph)
    names = sorted(g.nodes)
    for _ in range(data.draw(st.integers(1, 4), label="changes")):
        what = data.draw(st.sampled_from(["drop", "rewire", "field", "edge"]), label="what")
        if what == "drop" and len(names) > 2:
            victim = data.draw(st.sampled_from(names), label="drop")
            g.nodes.pop(victim, None)
            g.edges = [(a, b) for a, b in g.edges if victim not in (a, b)]
            names = sorted(g.nodes)
        elif what == "rewire" and g.edges:
            i = data.draw(st.integers(0, len(g.edges) - 1), label="edge")
            a = data.draw(st.sampled_from(names), label="to")
            g.edges = [*g.edges[:i], (g.edges[i][0], a), *g.edges[i + 1 :]]
        elif what == "edge":
            a, b = (data.draw(st.sampled_from(names), label=f"end{k}") for k in range(2))
            g.edges = [*g.edges, (a, b)]
        else:
            node = g.nodes[data.draw(st.sampled_from(names), label="node")]
            fields = [f for f in FIELDS if getattr(node, f, None) is not None]
            if not fields:
                continue
            f = data.draw(st.sampled_from(fields), label="field")
            old = np.asarray(getattr(node, f))
            value = data.draw(VALUES, label="value")
            if value == "ragged" and old.size > 1:
                new = old.astype(np.float64).copy()
                new.reshape(-1)[0] += 1.0
            elif value == "ragged":
                new = np.zeros(old.shape + (2,))
            else:
                new = np.full(old.shape, value, dtype=np.float64)
            setattr(node, f, new)
    return g


@settings(
    max_examples=int(os.environ.get("SNARC_FUZZ_EXAMPLES", "120")),
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
@given(data=st.data())
def test_perturbed_graphs_import_or_are_refused(seeds, data):
    graph = _perturb(data.draw(st.sampled_from(seeds), label="seed"), data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text, state = from_nir(graph, name="fuzz")
    except SnarcError:
        return  # refused, with a message
    net = snarc.compile(text)  # what imports, checks and compiles, and takes its weights
    net.load_state_dict(state)
