"""`snarc export` and `snarc import`: NIR, the neuromorphic exchange format."""

from __future__ import annotations

import sys
from pathlib import Path

from ..exchange.nir_sources import SOURCES
from ..util.fileio import atomic_write
from . import args as A
from .common import limits, network


def cmd_export(args) -> int:
    graph = network(args, "export")
    import tempfile

    import nir
    import torch

    from ..compiler import compile as compile_network
    from ..exchange.nir_export import to_nir

    torch.manual_seed(args.seed)
    net = compile_network(graph)
    if args.weights:
        from ..training.checkpoint import load_weights

        load_weights(net, args.weights)
    net.eval()
    nir_graph = to_nir(net, graph, dt=args.dt)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        dir=out.parent
    ) as tmp:  # nir.write is not atomic: write, then rename
        tmp_path = Path(tmp) / out.name
        nir.write(str(tmp_path), nir_graph)
        tmp_path.replace(out)
    source = (
        f"weights from {args.weights}" if args.weights else f"initial weights (seed {args.seed})"
    )
    print(
        f"{out}: NIR graph of network {graph.graph['name']}, {len(nir_graph.nodes)} nodes, {source}"
    )
    return 0


def cmd_import(args) -> int:
    import nir
    import torch

    from ..exchange.nir_import import from_nir, program_name

    try:
        graph = nir.read(args.file)
    except Exception as err:  # h5py raises many kinds; all mean "not a NIR file"
        print(f"{args.file}: error: cannot read a NIR graph: {err}", file=sys.stderr)
        return 1
    out = Path(args.output)
    name = program_name(out.stem)
    try:
        text, state = from_nir(graph, dt=args.dt, source=args.source, steps=args.steps, name=name)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RuntimeError) as err:
        first = (str(err).strip().splitlines() or [""])[0]
        print(
            f"{args.file}: error: the NIR graph is malformed or uses a form snarc does not "
            f"read ({type(err).__name__}: {first})",
            file=sys.stderr,
        )
        return 1
    atomic_write(out, text)
    weights = out.with_suffix(".pt")
    import io

    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write(weights, buf.getvalue())
    print(
        f"{out}: snarc program; {weights}: its weights (snarc compile/export --weights {weights})"
    )
    return 0


def add_parsers(sub, limits=limits) -> None:
    sp = sub.add_parser(
        "export", help="write a network as a NIR graph (neuromorphic exchange format)"
    )
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("-o", "--output", metavar="OUT.nir", required=True)
    sp.add_argument(
        "--weights", metavar="CHECKPOINT", help="a state dict saved by torch.save (or snarc train)"
    )
    sp.add_argument(
        "--seed",
        type=A.seed,
        default=0,
        help="seed of the initial weights when no checkpoint is given",
    )
    sp.add_argument(
        "--dt",
        type=A.positive_float,
        default=None,
        help="step length to write (time constants scale with it)",
    )
    limits(sp)
    sp.set_defaults(func=cmd_export)
    sp = sub.add_parser(
        "import", help="turn a NIR graph into a snarc program (+ its weights as .pt)"
    )
    sp.add_argument("file", metavar="IN.nir")
    sp.add_argument("-o", "--output", metavar="OUT.snarc", required=True)
    sp.add_argument(
        "--source",
        choices=sorted(SOURCES),
        default="snarc",
        help="the library that wrote the graph, where it differs from NIR's definition: "
        + "; ".join(f"{s.name}: {s.doc}" for s in SOURCES.values() if s.name != "snarc"),
    )
    sp.add_argument(
        "--dt",
        type=A.positive_float,
        default=None,
        help="the graph's step length (default: its metadata, else 1e-4 for --source snntorch, else 1)",
    )
    sp.add_argument(
        "--steps",
        type=A.positive_int,
        default=None,
        help="time steps of the program (default: metadata, else 8)",
    )
    sp.set_defaults(func=cmd_import)
