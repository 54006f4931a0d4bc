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


@pytest.fixture(scope="module")
def seeds():
    return [_exported(n) for n in ("snasnet", "genetic", "ndigits_conv")]


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
            text, _state = from_nir(graph, name="fuzz")
    except SnarcError:
        return  # refused, with a message
    assert snarc.elaborate(text) is not None  # what imports, checks
