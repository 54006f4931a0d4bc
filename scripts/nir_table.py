"""The NIR import table of docs/nir.md: graphs written by snarc, by hand in the shapes of
NIR's own tests, by snnTorch and by Norse, each imported by snarc and run beside the
literal reference interpreter (snarc.exchange.nir_reference).

    python scripts/nir_table.py            # prints the Markdown table
    python scripts/nir_table.py --check    # exits 1 if any graph imports but disagrees

Every graph either imports and matches (largest difference of the outputs over all steps
at most 1e-5; spikes are 0/1, so that means equal spikes) or is refused with a message
that names what snarc cannot carry. Read as NIR defines it, a graph is compared with the
reference; read with ``--source LIBRARY``, with the writing library's own module run on
the same input. A silent mismatch is a bug.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
ATOL = 1e-5
f32 = np.float32


def _lif(n, tau=2.0, th=0.3, v_leak=0.0, r=1.0):
    import nir

    return nir.LIF(
        tau=np.full(n, tau, f32), r=np.full(n, r, f32), v_leak=np.full(n, v_leak, f32),
        v_threshold=np.full(n, th, f32), v_reset=np.zeros(n, f32),
    )  # fmt: skip


def _graph(nodes, edges, dt=1.0):
    import nir

    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": dt, "timesteps": 8})


def _io(n_in, n_out):
    import nir

    return nir.Input(input_type={"input": np.array(n_in)}), nir.Output(
        output_type={"output": np.array(n_out)}
    )


def _dense(rng, n_out, n_in, bias=True):
    import nir

    w = rng.normal(0, 1.0, (n_out, n_in)).astype(f32)
    return nir.Affine(weight=w, bias=np.full(n_out, 0.1, f32)) if bias else nir.Linear(weight=w)


def snarc_exports():
    import snarc
    from snarc.exchange.nir_export import to_nir

    programs = {
        f"examples/{n}.snarc": (ROOT / "examples" / f"{n}.snarc")
        for n in ("snasnet", "genetic", "ndigits_conv", "autosnn", "dvs_gesture")
    }
    for name, path in programs.items():
        torch.manual_seed(0)
        graph = snarc.elaborate(path)
        net = snarc.compile(graph)
        for m in net.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                m.weight.data *= 6.0
        for p in net.genes.values():  # genetically encoded weights: stronger genes
            p.data *= 3.0
        net.eval()
        yield name, "snarc export", to_nir(net, graph), None


def hand_built():
    import nir

    rng = np.random.default_rng(0)
    i, o = _io([4], [5])
    yield (
        "dense LIF layer",
        "by hand",
        _graph(
            {"in": i, "fc": _dense(rng, 5, 4), "lif": _lif(5), "out": o},
            [("in", "fc"), ("fc", "lif"), ("lif", "out")],
        ),
        None,
    )
    i, o = _io([4], [5])
    yield "recurrence without a Delay", "by hand (snnTorch style)", _graph(
        {"in": i, "fc": _dense(rng, 5, 4), "lif": _lif(5), "rec": _dense(rng, 5, 5, False), "out": o},
        [("in", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [5])
    yield "recurrence through Delay(1 step)", "by hand", _graph(
        {"in": i, "fc": _dense(rng, 5, 4), "lif": _lif(5), "rec": _dense(rng, 5, 5, False),
         "d": nir.Delay(delay=np.ones(5, f32), metadata={"shape": [5]}), "out": o},
        [("in", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "d"), ("d", "lif"), ("lif", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [3])
    yield "Affine with two inputs", "by hand", _graph(
        {"in": i, "fa": _dense(rng, 6, 4), "fb": _dense(rng, 6, 4), "a": _lif(6), "b": _lif(6),
         "both": _dense(rng, 3, 6), "o": _lif(3), "out": o},
        [("in", "fa"), ("in", "fb"), ("fa", "a"), ("fb", "b"), ("a", "both"), ("b", "both"),
         ("both", "o"), ("o", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [3])
    yield "two populations into the Output", "by hand", _graph(
        {"in": i, "fa": _dense(rng, 3, 4), "fb": _dense(rng, 3, 4), "a": _lif(3), "b": _lif(3), "out": o},
        [("in", "fa"), ("in", "fb"), ("fa", "a"), ("fb", "b"), ("a", "out"), ("b", "out")],
    ), None  # fmt: skip
    shape = (3, 6, 6)
    i, o = _io([2, 6, 6], [27])
    yield "Conv2d 'same' → CubaLIF(v_leak) → SumPool2d", "by hand (NIR test shapes)", _graph(
        {"in": i,
         "conv": nir.Conv2d(input_shape=(6, 6), weight=rng.normal(0, 1, (3, 2, 3, 3)).astype(f32),
                            stride=1, padding="same", dilation=1, groups=1, bias=np.zeros(3, f32)),
         "cuba": nir.CubaLIF(tau_syn=np.full(shape, 2.0, f32), tau_mem=np.full(shape, 3.0, f32),
                             r=np.ones(shape, f32), v_leak=np.full(shape, 0.1, f32),
                             v_threshold=np.full(shape, 0.5, f32), v_reset=np.zeros(shape, f32),
                             w_in=np.full(shape, 2.0, f32)),
         "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                               padding=np.array([0, 0])),
         "flat": nir.Flatten(input_type={"input": np.array([3, 3, 3])}, start_dim=0),
         "out": o},
        [("in", "conv"), ("conv", "cuba"), ("cuba", "pool"), ("pool", "flat"), ("flat", "out")],
    ), None  # fmt: skip
    sub = _graph(
        {"input": nir.Input(input_type={"input": np.array([4])}), "lif": _lif(4),
         "w": _dense(rng, 4, 4, False), "output": nir.Output(output_type={"output": np.array([4])})},
        [("input", "lif"), ("lif", "w"), ("w", "lif"), ("lif", "output")],
    )  # fmt: skip
    i, o = _io([3], [4])
    yield (
        "a nested NIRGraph (recurrent layer)",
        "by hand",
        _graph(
            {"in": i, "fc": _dense(rng, 4, 3), "rlif": sub, "out": o},
            [("in", "fc"), ("fc", "rlif"), ("rlif", "out")],
        ),
        None,
    )
    i, o = _io([4], [5])
    yield "IF layer", "by hand", _graph(
        {"in": i, "fc": _dense(rng, 5, 4),
         "if": nir.IF(r=np.ones(5, f32), v_threshold=np.full(5, 0.8, f32), v_reset=np.zeros(5, f32)),
         "out": o},
        [("in", "fc"), ("fc", "if"), ("if", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [3])
    yield "LI readout", "by hand", _graph(
        {"in": i, "fc": _dense(rng, 5, 4), "a": _lif(5), "r": _dense(rng, 3, 5),
         "li": nir.LI(tau=np.full(3, 2.0, f32), r=np.ones(3, f32), v_leak=np.zeros(3, f32)), "out": o},
        [("in", "fc"), ("fc", "a"), ("a", "r"), ("r", "li"), ("li", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [3])
    yield "CubaLI readout", "by hand (NIR primitive)", _graph(
        {"in": i, "fc": _dense(rng, 3, 4),
         "cli": nir.CubaLI(tau_syn=np.full(3, 2.0, f32), tau_mem=np.full(3, 3.0, f32),
                           r=np.ones(3, f32), v_leak=np.zeros(3, f32), w_in=np.ones(3, f32)),
         "out": o},
        [("in", "fc"), ("fc", "cli"), ("cli", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [3])
    yield (
        "I (integrator)",
        "by hand (NIR primitive)",
        _graph(
            {"in": i, "fc": _dense(rng, 3, 4), "int": nir.I(r=np.ones(3, f32)), "out": o},
            [("in", "fc"), ("fc", "int"), ("int", "out")],
        ),
        None,
    )
    i, o = _io([4], [5])
    yield "Threshold after a dense map", "by hand (NIR primitive)", _graph(
        {"in": i, "fc": _dense(rng, 5, 4), "a": _lif(5), "r": _dense(rng, 5, 5),
         "th": nir.Threshold(threshold=np.full(5, 0.5, f32)), "out": o},
        [("in", "fc"), ("fc", "a"), ("a", "r"), ("r", "th"), ("th", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [5])
    yield "Scale(2)", "by hand (NIR primitive)", _graph(
        {"in": i, "fc": _dense(rng, 5, 4), "s": nir.Scale(scale=np.full(5, 2.0, f32)),
         "a": _lif(5), "out": o},
        [("in", "fc"), ("fc", "s"), ("s", "a"), ("a", "out")],
    ), None  # fmt: skip
    i, o = _io([2, 5, 5], [75])
    per_channel = np.repeat(np.array([0.5, 2.0, 3.0], f32), 25).reshape(3, 5, 5)
    yield "Scale per channel on a map", "by hand (NIR primitive)", _graph(
        {"in": i,
         "conv": nir.Conv2d(input_shape=(5, 5), weight=rng.normal(0, 1, (3, 2, 3, 3)).astype(f32),
                            stride=1, padding=1, dilation=1, groups=1, bias=np.zeros(3, f32)),
         "s": nir.Scale(scale=per_channel), "a": _lif((3, 5, 5)),
         "flat": nir.Flatten(input_type={"input": np.array([3, 5, 5])}, start_dim=0), "out": o},
        [("in", "conv"), ("conv", "s"), ("s", "a"), ("a", "flat"), ("flat", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [5])
    yield "LIF with a different tau, r, v_th per neuron", "by hand", _graph(
        {"in": i, "fc": _dense(rng, 5, 4),
         "a": nir.LIF(tau=np.linspace(2, 4, 5).astype(f32), r=np.linspace(0.5, 2, 5).astype(f32),
                      v_leak=np.zeros(5, f32), v_threshold=np.linspace(0.2, 0.6, 5).astype(f32),
                      v_reset=np.zeros(5, f32)),
         "out": o},
        [("in", "fc"), ("fc", "a"), ("a", "out")],
    ), None  # fmt: skip
    shape = (2, 4, 4)
    i, o = _io([1, 4, 4], [32])
    yield "CubaLIF per neuron on a conv map", "by hand", _graph(
        {"in": i,
         "conv": nir.Conv2d(input_shape=(4, 4), weight=rng.normal(0, 1, (2, 1, 3, 3)).astype(f32),
                            stride=1, padding=1, dilation=1, groups=1, bias=np.zeros(2, f32)),
         "cuba": nir.CubaLIF(tau_syn=rng.uniform(1.5, 3, shape).astype(f32),
                             tau_mem=rng.uniform(2, 5, shape).astype(f32),
                             r=rng.uniform(0.5, 2, shape).astype(f32), v_leak=np.zeros(shape, f32),
                             v_threshold=rng.uniform(0.2, 0.6, shape).astype(f32),
                             v_reset=np.zeros(shape, f32), w_in=np.full(shape, 2.0, f32)),
         "flat": nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0), "out": o},
        [("in", "conv"), ("conv", "cuba"), ("cuba", "flat"), ("flat", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [5])
    yield "Delay of 3 steps", "by hand", _graph(
        {"in": i, "fc": _dense(rng, 5, 4), "lif": _lif(5), "rec": _dense(rng, 5, 5, False),
         "d": nir.Delay(delay=np.full(5, 3.0, f32), metadata={"shape": [5]}), "out": o},
        [("in", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "d"), ("d", "lif"), ("lif", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [5])
    yield "Delay into the Output", "by hand", _graph(
        {"in": i, "fc": _dense(rng, 5, 4), "lif": _lif(5),
         "d": nir.Delay(delay=np.full(5, 2.0, f32), metadata={"shape": [5]}), "out": o},
        [("in", "fc"), ("fc", "lif"), ("lif", "d"), ("d", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [5])
    yield "Delay of 2.5 steps", "by hand", _graph(
        {"in": i, "fc": _dense(rng, 5, 4), "lif": _lif(5),
         "d": nir.Delay(delay=np.full(5, 2.5, f32), metadata={"shape": [5]}), "out": o},
        [("in", "fc"), ("fc", "lif"), ("lif", "d"), ("d", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [3])
    yield "LI with v_leak", "by hand", _graph(
        {"in": i, "fc": _dense(rng, 3, 4),
         "li": nir.LI(tau=np.full(3, 2.0, f32), r=np.ones(3, f32), v_leak=np.full(3, 0.5, f32)), "out": o},
        [("in", "fc"), ("fc", "li"), ("li", "out")],
    ), None  # fmt: skip
    i, o = _io([4], [5])
    yield "IF with dt = 1 ms", "by hand (NIR primitive)", _graph(
        {"in": i, "fc": _dense(rng, 5, 4),
         "if": nir.IF(r=np.full(5, 400.0, f32), v_threshold=np.full(5, 0.8, f32),
                      v_reset=np.zeros(5, f32)),
         "out": o},
        [("in", "fc"), ("fc", "if"), ("if", "out")], dt=1e-3,
    ), 1e-3  # fmt: skip
    i, o = _io([2, 12], [18])
    yield "Conv1d on a signal", "by hand (NIR primitive)", _graph(
        {"in": i,
         "c": nir.Conv1d(input_shape=12, weight=rng.normal(0, 1, (3, 2, 3)).astype(f32), stride=2,
                         padding=1, dilation=1, groups=1, bias=np.zeros(3, f32)),
         "a": _lif((3, 6)), "flat": nir.Flatten(input_type={"input": np.array([3, 6])}, start_dim=0),
         "out": o},
        [("in", "c"), ("c", "a"), ("a", "flat"), ("flat", "out")],
    ), None  # fmt: skip
    i1, o = _io([4], [3])
    i2 = nir.Input(input_type={"input": np.array([2])})
    yield "two Inputs", "by hand", _graph(
        {"in1": i1, "in2": i2, "fa": _dense(rng, 3, 4), "fb": _dense(rng, 3, 2), "a": _lif(3),
         "out": o},
        [("in1", "fa"), ("in2", "fb"), ("fa", "a"), ("fb", "a"), ("a", "out")],
    ), None  # fmt: skip
    i1, o = _io([4], [3])
    i2 = nir.Input(input_type={"input": np.array([2, 3, 3])})
    yield "two Inputs of different ranks", "by hand", _graph(
        {"in1": i1, "in2": i2, "fa": _dense(rng, 3, 4), "fb": _dense(rng, 3, 18),
         "flat": nir.Flatten(input_type={"input": np.array([2, 3, 3])}, start_dim=0),
         "a": _lif(3), "out": o},
        [("in1", "fa"), ("in2", "flat"), ("flat", "fb"), ("fa", "a"), ("fb", "a"), ("a", "out")],
    ), None  # fmt: skip


def _stepwise(model, reset):
    """The library's own module run step by step: x ``[T, B, ...]`` → ``[T, B, ...]``."""

    def run(x):
        with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
            outs, state = [], reset()
            for t in range(x.shape[0]):
                if state is _NO_STATE:
                    y = model(x[t])
                else:
                    y, state = model(x[t], state)
                outs.append(y[0] if isinstance(y, tuple) else y)
        return torch.stack(outs).double().numpy()

    return run


_NO_STATE = object()


def snntorch_exports():
    with contextlib.redirect_stdout(io.StringIO()):
        import snntorch as snn
        from snntorch import utils as snn_utils
        from snntorch.export_nir import export_to_nir

    torch.manual_seed(1)
    models = {
        "Leaky MLP": torch.nn.Sequential(
            torch.nn.Linear(6, 8), snn.Leaky(beta=0.8, init_hidden=True),
            torch.nn.Linear(8, 4), snn.Leaky(beta=0.9, init_hidden=True, output=True),
        ),
        "Synaptic MLP": torch.nn.Sequential(
            torch.nn.Linear(6, 8), snn.Synaptic(alpha=0.7, beta=0.8, init_hidden=True, output=True),
        ),
        "RLeaky (all-to-all)": torch.nn.Sequential(
            torch.nn.Linear(6, 8), snn.RLeaky(beta=0.8, linear_features=8, init_hidden=True, output=True),
        ),
        "RSynaptic (all-to-all)": torch.nn.Sequential(
            torch.nn.Linear(6, 8),
            snn.RSynaptic(alpha=0.7, beta=0.8, linear_features=8, init_hidden=True, output=True),
        ),
    }  # fmt: skip
    for name, model in models.items():
        for m in model.modules():
            if isinstance(m, torch.nn.Linear):
                m.weight.data *= 4.0
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                graph = export_to_nir(model, torch.randn(1, 6), ignore_dims=[0])
        except Exception as err:  # the writer's own failure, not snarc's
            graph = WriterFailed(f"{type(err).__name__}: {str(err).splitlines()[0][:90]}")
        yield name, "snnTorch export_to_nir", graph, 1e-4
        if not isinstance(graph, WriterFailed):

            def reset(model=model):
                snn_utils.reset(model)
                return _NO_STATE

            yield name, "snnTorch export_to_nir", graph, 1e-4, "snntorch", _stepwise(model, reset)


def norse_exports():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import norse.torch as nt

    torch.manual_seed(2)

    def cell():
        return nt.LIFBoxCell(
            nt.LIFBoxParameters(tau_mem_inv=torch.tensor(500.0), v_th=torch.tensor(0.3))
        )

    models = {
        "LIFBoxCell MLP": nt.SequentialState(torch.nn.Linear(6, 8), cell(), torch.nn.Linear(8, 4), cell()),
        "IAFCell → LIFCell MLP": nt.SequentialState(
            torch.nn.Linear(6, 8, bias=False), nt.IAFCell(nt.IAFParameters(v_th=torch.tensor(0.5))),
            torch.nn.Linear(8, 4, bias=False),
            nt.LIFCell(nt.LIFParameters(tau_mem_inv=torch.tensor(200.0),
                                        tau_syn_inv=torch.tensor(400.0), v_th=torch.tensor(0.2)))),
        "LICell readout": nt.SequentialState(torch.nn.Linear(6, 8), cell(), torch.nn.Linear(8, 4), nt.LICell()),
    }  # fmt: skip
    for name, model in models.items():
        for m in model.modules():
            if isinstance(m, torch.nn.Linear):
                m.weight.data *= 4.0
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                graph = nt.to_nir(model, torch.randn(1, 6))
        except Exception as err:  # the writer's own failure, not snarc's
            graph = WriterFailed(f"{type(err).__name__}: {str(err).splitlines()[0][:90]}")
        yield name, "Norse to_nir", graph, 1e-3
        yield name, "Norse to_nir", graph, 1e-3, "norse", _stepwise(model, lambda: None)


class WriterFailed:
    """A graph its writing library could not produce (its own bug, reported as such)."""

    def __init__(self, why: str):
        self.why = why


def _inputs(graph):
    """{Input node: per-sample shape}, in the graph's order."""
    import nir

    from snarc.exchange.nir_flatten import flatten_graph

    g = flatten_graph(graph)
    return {
        n: [int(s) for s in np.asarray(next(iter(v.input_type.values()))).reshape(-1)]
        for n, v in g.nodes.items()
        if isinstance(v, nir.Input)
    }


def row(name, writer, graph, dt, source="snarc", oracle=None):
    """(name, writer, how it is read, outcome, compared with, detail): outcome is
    'matches', 'refused', 'not written' or 'MISMATCH'. The import is compared with the
    literal reference (a graph read as NIR defines it) or with the writing library's own
    module (``--source LIBRARY``)."""
    import nir

    import snarc
    from snarc.dsl.errors import SnarcError
    from snarc.exchange.nir_import import from_nir
    from snarc.exchange.nir_reference import Reference

    read = "as NIR" if source == "snarc" else f"--source {source}"
    against = "the reference" if oracle is None else f"{writer.split()[0]}'s module"
    if isinstance(graph, WriterFailed):
        return name, writer, read, "not written", "", f"the exporter failed: {graph.why}"
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            text, state = from_nir(graph, dt=dt, name="table", source=source)
            net = snarc.compile(text)
            net.load_state_dict(state)
            net.eval()
    except SnarcError as err:
        return name, writer, read, "refused", "", err.message.splitlines()[0]
    shapes = _inputs(graph)
    if source == "norse":
        shapes = {n: s[1:] if len(s) in (2, 4) else s for n, s in shapes.items()}
    g = torch.Generator().manual_seed(3)
    spikes = net.input_kind == "frames" or net.encode != "direct"
    xs = {
        n: (torch.rand(8, 3, *s, generator=g) < 0.4).float()
        if spikes
        else torch.rand(8, 3, *s, generator=g) * 2
        for n, s in shapes.items()
    }
    x = torch.cat(list(xs.values()), 2)  # several Inputs: one, concatenated in order
    with torch.no_grad():
        ours = net.run(x)["readout"].double().numpy()
    if oracle is not None:
        expected = oracle(x).reshape(ours.shape)
    else:
        ref = Reference(graph, dt=dt)
        out_name = next(n for n, v in ref.g.nodes.items() if isinstance(v, nir.Output))
        expected = ref.run({n: v.numpy() for n, v in xs.items()})[out_name].reshape(ours.shape)
    diff = float(np.abs(ours - expected).max())
    active = float(np.abs(expected).sum()) > 0
    detail = f"max |Δ| {diff:.1e} over {x.shape[0]} steps" + ("" if active else " (silent)")
    return name, writer, read, "matches" if diff <= ATOL else "MISMATCH", against, detail


def build_table():
    rows = []
    for source in (snarc_exports, hand_built, snntorch_exports, norse_exports):
        for args in source():
            rows.append(row(*args))
    return rows


def markdown(rows) -> str:
    lines = [
        "| graph | written by | read | snarc import | compared with | result |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, writer, read, outcome, against, detail in rows:
        lines.append(f"| {name} | {writer} | {read} | {outcome} | {against} | {detail} |")
    counts = {
        k: sum(1 for r in rows if r[3] == k)
        for k in ("matches", "refused", "MISMATCH", "not written")
    }
    lines.append("")
    lines.append(
        f"{len(rows)} rows: {counts['matches']} import and match, "
        f"{counts['refused']} are refused with a message, {counts['MISMATCH']} mismatch"
        + (
            f"; {counts['not written']} could not be written by their library"
            if counts["not written"]
            else ""
        )
        + "."
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 on any silent mismatch")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT.parent))
    rows = build_table()
    print(markdown(rows))
    return 1 if args.check and any(r[3] == "MISMATCH" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
