"""`snarc compile`, `snarc render` and `snarc score`: a network as a module, a drawing and
its scores."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..dsl import SnarcError
from . import args as A
from .common import limits, network, print_error, print_warnings


def cmd_compile(args) -> int:
    import time

    graph = network(args, "compile")
    import torch
    from rich.console import Console
    from rich.table import Table

    from ..compiler import compile as compile_network
    from ..compiler.device import resolve_device
    from ..dsl.memory import check_memory

    device = resolve_device(args.device)
    check_memory(graph, batch=args.batch)
    net = compile_network(graph).to(device)
    table = Table(title=f"compiled {graph.graph['name']} ({args.file})")
    for col, justify in (
        ("node", "left"),
        ("shape", "right"),
        ("neuron", "left"),
        ("schedule", "left"),
        ("params", "right"),
    ):
        table.add_column(col, justify=justify)
    for node, d in graph.nodes(data=True):
        neuron = d.neuron.model if d.neuron is not None else d.kind
        table.add_row(node, "×".join(map(str, d.shape)), neuron, net.mode(node), f"{d.params:,}")
    console = Console()
    console.print(table)
    console.print(
        f"{net.num_params():,} parameters in the module (the IR counts {graph.graph['params']:,})"
    )
    gen = torch.Generator(device="cpu").manual_seed(0)
    shape = (net.timesteps, args.batch, *net.input_shape)
    if net.input_kind == "frames":
        x = (torch.rand(shape, generator=gen) < 0.2).float()
    else:
        x = torch.rand(shape[1:], generator=gen)
    x = x.to(device)
    t0 = time.perf_counter()
    with torch.no_grad():
        y, stats = net(x, return_stats=True)
    elapsed = time.perf_counter() - t0
    per = stats.per_sample()
    console.print(
        f"smoke test on random input {list(x.shape)} ({device}): output {list(y.shape)} in {elapsed * 1e3:.0f} ms; "
        f"per sample {per['spikes']:,.0f} spikes, {per['sops']:,.0f} SOPs, {per['macs']:,.0f} MACs"
    )
    if not torch.isfinite(y).all():
        print(f"{args.file}: error: the forward pass produced non-finite outputs", file=sys.stderr)
        return 1
    return 0


def cmd_render(args) -> int:
    from ..render import RenderError, layout, render_file

    if args.motif:  # one motif of a file, drawn alone
        from ..render.motif import motif_graph

        graph = motif_graph(Path(args.file), args.motif, args.args or "", args.input)
        print_warnings(graph)
    else:
        graph = network(args, "draw")
    stem = Path(args.file).stem + (f"-{args.motif}" if args.motif else "")
    out = (
        Path(args.output) if args.output else Path(args.file).with_name(f"{stem}-{args.scale}.svg")
    )
    try:
        render_file(layout(graph, args.scale), out)
    except RenderError as err:
        print(f"{out}: error: {err}", file=sys.stderr)
        return 1
    print(f"{out}: {args.scale} drawing of network {graph.graph['name']}")
    return 0


def cmd_score(args) -> int:
    import warnings

    graph = network(args, "score")
    import torch

    from .. import fitness as F
    from ..compiler import compile as compile_network
    from ..data.batches import class_balanced_batch

    names = [f.strip() for f in args.fitness.split(",") if f.strip()]
    unknown = [f for f in names if f not in F.FITNESSES]
    if unknown:
        print(
            f"error: unknown fitness {', '.join(unknown)}: one of {', '.join(F.FITNESSES)}",
            file=sys.stderr,
        )
        return 1
    from ..dsl.memory import check_memory

    check_memory(graph, batch=args.batch)  # before any tensor is allocated
    torch.manual_seed(args.seed)
    net = compile_network(graph)
    if args.weights:  # scores of a trained network (weights_only, checksum where present)
        from ..training.checkpoint import load_weights

        load_weights(net, args.weights)
    try:
        x, labels = class_balanced_batch(
            net, args.batch, args.seed, args.limit, args.data, progress=sys.stderr.isatty()
        )
    except SnarcError as err:
        print_error(err)
        return 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", F.FitnessWarning)
        scores = F.score(net, x, labels, fitness=names, layers=args.layers)
    notes = sorted({str(w.message) for w in caught})
    if args.json:
        print(
            json.dumps(
                {"file": args.file, "batch": len(labels), "scores": scores, "warnings": notes},
                indent=2,
            )
        )
    else:
        for w in notes:
            print(f"{args.file}: warning: {w}", file=sys.stderr)
        print(
            f"{args.file} on {len(labels)} samples of {args.data.split(':')[0]} (seed {args.seed}):"
        )
        for k, v in scores.items():
            print(f"  {k:<11} {v:.6g}")
    return 0


def add_parsers(sub, limits=limits) -> None:
    sp = sub.add_parser(
        "compile", help="compile to a torch module: per-node table and a smoke test"
    )
    sp.add_argument("file", metavar="FILE")
    sp.add_argument(
        "--batch", type=A.positive_int, default=2, help="batch size of the smoke test (default 2)"
    )
    sp.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    limits(sp)
    sp.set_defaults(func=cmd_compile)
    sp = sub.add_parser("render", help="draw a network with graphviz (macro, meso or micro scale)")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument(
        "-o", "--output", metavar="OUT", help="OUT.svg, .png, .pdf or .dot (default FILE-SCALE.svg)"
    )
    sp.add_argument("--scale", choices=("macro", "meso", "micro"), default="meso")
    sp.add_argument("--motif", metavar="NAME", help="draw this motif of FILE on its own")
    sp.add_argument("--args", metavar="ARGS", help='the motif\'s arguments, e.g. "16, k: 5"')
    sp.add_argument(
        "--input",
        default="frames(2, 32, 32)",
        metavar="SHAPE",
        help="the input the motif is drawn on, e.g. image(3, 32, 32)",
    )
    limits(sp)
    sp.set_defaults(func=cmd_render)
    sp = sub.add_parser(
        "score", help="training-free and cost scores of a network on a class-balanced batch"
    )
    sp.add_argument("file", metavar="FILE")
    sp.add_argument(
        "--fitness",
        default="rdm",
        help="comma-separated: rdm, rdm_target, sahd, naswot, params, sops, energy, spikes",
    )
    sp.add_argument(
        "--data",
        default="ndigits",
        help="ndigits, ndigits-hard, or NAME:PATH with NAME nmnist, dvsgesture, cifar10dvs, cifar10",
    )
    sp.add_argument(
        "--batch",
        type=A.positive_int,
        default=50,
        help="samples, balanced over the 10 classes (default 50)",
    )
    sp.add_argument("--layers", default="populations", choices=("populations", "cells"))
    sp.add_argument("--seed", type=A.seed, default=0)
    sp.add_argument(
        "--limit", type=A.positive_int, default=None, help="use a class-balanced subset of N-Digits"
    )
    sp.add_argument("--json", action="store_true")
    limits(sp)
    sp.add_argument(
        "--weights", metavar="PT", help="score a trained network (snarc train's checkpoint.pt)"
    )
    sp.set_defaults(func=cmd_score)
