"""`snarc eval`: a trained network's accuracy and activity on a dataset's test split;
`snarc plot activity`: a spike raster and firing rates of a network on real input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..dsl.errors import SnarcError
from . import args as A
from .common import network


def _trained(args):
    """The compiled network of FILE with ``--weights`` loaded (if given), in eval mode."""
    from ..compiler import compile as compile_net
    from ..compiler.device import resolve_device
    from ..training.checkpoint import load_weights
    from ..training.errors import TrainError

    net = compile_net(network(args, args.command))
    if args.weights:
        load_weights(net, args.weights)
    device = resolve_device(args.device, TrainError)
    return net.to(device).eval(), device


def cmd_eval(args) -> int:
    from ..training import evaluate, load_tensors

    net, device = _trained(args)
    X, y = load_tensors(net, args.data, train=False, seed=args.seed, limit=args.limit)
    result = evaluate(net, X, y, args.batch, device)
    result = {"program": args.file, "weights": args.weights, "data": args.data,
              "samples": len(X), **result}  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{args.file}: test accuracy {result['accuracy']:.3f} on {len(X):,} samples "
            f"({args.data}), {result['spikes']:,.0f} spikes/sample, "
            f"{result['sops']:,.0f} SOPs/sample, {result['energy_j'] * 1e6:.3f} µJ/sample"
        )
        if not args.weights:
            print("  (untrained: no --weights given)", file=sys.stderr)
    return 0


def cmd_plot_activity(args) -> int:
    from ..training import load_tensors
    from ..training.activity import activity_figure

    net, device = _trained(args)
    X, y = load_tensors(net, args.data, train=False, seed=args.seed, limit=args.limit)
    x = X[: args.batch].to(device)
    x = x.transpose(0, 1) if x.dim() == 5 else x
    if not 0 <= args.sample < len(x):
        raise SnarcError(f"--sample {args.sample}: the batch holds samples 0 to {len(x) - 1}")
    if not net.spiking_nodes():
        raise SnarcError(f"{args.file}: the network has no spiking population to plot")
    title = f"{Path(args.file).name}: test sample {args.sample} (label {int(y[args.sample])})"
    out = activity_figure(net, x, args.out, sample=args.sample, title=title)
    print(f"{out}: spike raster and firing rates of {Path(args.file).name}")
    return 0


def _common(sp, limits) -> None:
    sp.add_argument("file", metavar="FILE")
    sp.add_argument(
        "--weights",
        metavar="PT",
        help="trained weights (snarc train's checkpoint.pt or a state dict)",
    )
    sp.add_argument(
        "--data", default="ndigits", help="ndigits (default), ndigits-hard, or NAME:PATH"
    )
    sp.add_argument("--limit", type=A.positive_int, default=None, help="a class-balanced subset")
    sp.add_argument("--seed", type=A.seed, default=0, help="default 0")
    sp.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    limits(sp)


def add_parsers(sub, limits) -> None:
    sp = sub.add_parser("eval", help="test accuracy and activity of a (trained) network")
    _common(sp, limits)
    sp.add_argument("--batch", type=A.positive_int, default=64, help="default 64")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_eval)

    plot = sub.add_parser("plot", help="pictures of a network's activity")
    kinds = plot.add_subparsers(dest="kind", metavar="KIND", required=True)
    sp = kinds.add_parser("activity", help="spike raster and firing rates on test samples")
    _common(sp, limits)
    sp.add_argument(
        "--batch", type=A.positive_int, default=16, help="samples for the rates (default 16)"
    )
    sp.add_argument("--sample", type=int, default=0, help="which sample's raster (default 0)")
    sp.add_argument("-o", "--out", required=True, help="the PNG to write")
    sp.set_defaults(func=cmd_plot_activity)
