"""The ``snarc`` command line.

Every subcommand reports a bad program as ``FILE:LINE:COL: error: ...`` with the
source line and a caret, and exits with status 1; it never shows a traceback for
bad input. ``check`` and ``fmt`` are run by editors on every save, so this module
imports only the language package at start-up; heavy modules (torch, rich, the
compiler) are imported inside the subcommands that need them.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path

from ..dsl import DEFAULT_MAX_PARAMS, SnarcError, elaborate, format_source, summary
from ..fileio import atomic_write
from . import args as A


def _print_error(err: SnarcError) -> None:
    print(err.report(), file=sys.stderr)


def _warn(graph) -> None:
    for w in graph.graph.get("warnings", []):
        text = w.report().replace(": error:", ": warning:", 1)
        print(text, file=sys.stderr)


def _network(args, what: str):
    """The elaborated network of ``args.file`` (its warnings printed); errors go to main()."""
    graph = elaborate(Path(args.file), max_params=args.max_params)
    if graph is None:
        raise SnarcError(f"{args.file} is a library file: it has no network to {what}")
    _warn(graph)
    return graph


# ---------------------------------------------------------------- check


def _warn_memory(file: str, graph) -> None:
    """A warning with the estimate when one sample's forward pass is over the ceiling
    (compile, score and train refuse such a network)."""
    from ..dsl.memory import default_ceiling, estimate, fmt_bytes

    est, ceiling = estimate(graph, batch=1), default_ceiling()
    if est.total > ceiling:
        span = graph.graph.get("span")
        where = f"{file}:{span.line}:{span.column}" if span is not None else file
        print(
            f"{where}: warning: {est.describe()}, over the memory ceiling of "
            f"{fmt_bytes(ceiling)}: compile, score and train will refuse it",
            file=sys.stderr,
        )


def cmd_check(args) -> int:
    status = 0
    for file in args.files:
        try:
            graph = elaborate(Path(file), max_params=args.max_params)
        except SnarcError as err:
            _print_error(err)
            status = 1
            continue
        if graph is None:
            if not args.quiet:
                print(f"{file}: ok (library)")
            continue
        _warn(graph)
        _warn_memory(file, graph)
        if not args.quiet:
            g = graph.graph
            print(
                f"{file}: ok (network {g['name']}: {graph.number_of_nodes()} nodes, "
                f"{g['params']:,} parameters, {g['timesteps']} steps)"
            )
    return status


# ---------------------------------------------------------------- fmt


def cmd_fmt(args) -> int:
    status = 0
    for file in args.files:
        if file == "-":
            text = sys.stdin.read()
            try:
                sys.stdout.write(format_source(text, "<stdin>"))
            except SnarcError as err:
                _print_error(err.with_sources({"<stdin>": text}))
                status = 1
            continue
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            print(
                f"{file}: error: cannot read: {getattr(err, 'strerror', None) or err}",
                file=sys.stderr,
            )
            status = 1
            continue
        try:
            out = format_source(text, file)
        except SnarcError as err:
            _print_error(err.with_sources({file: text}))
            status = 1
            continue
        if out == text:
            continue
        if args.check:
            print(f"{file}: would reformat", file=sys.stderr)
            status = 1
        else:
            atomic_write(path, out, follow_links=True)  # a link stays a link
            print(f"{file}: reformatted")
    return status


# ---------------------------------------------------------------- summary


def cmd_summary(args) -> int:
    graph = _network(args, "summarise")
    data = summary(graph)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"network {data['network']} ({data['file']})", show_lines=False)
    for col, justify in (
        ("node", "left"),
        ("kind", "left"),
        ("neuron", "left"),
        ("shape", "right"),
        ("inputs", "left"),
        ("params", "right"),
    ):
        table.add_column(col, justify=justify)
    incoming: dict[str, list[str]] = {}
    for e in data["edges"]:
        arrow = {"forward": "->", "residual": "=>", "feedback": "~>", "lateral": "..>"}[e["kind"]]
        ops = " | ".join(e["ops"])
        sign = {"excitatory": " +", "inhibitory": " -"}.get(e["sign"], "")
        gen = f" g{e['genetic']['rank']}" if e["genetic"] else ""
        incoming.setdefault(e["dst"], []).append(f"{e['src']} {arrow} {ops}{sign}{gen}".rstrip())
    for n in data["nodes"]:
        shape = "×".join(str(s) for s in n["shape"])
        table.add_row(
            n["name"],
            n["kind"],
            n["neuron_def"] or n["neuron"] or "",
            shape,
            "\n".join(incoming.get(n["name"], [])),
            f"{n['params']:,}",
        )
    console = Console()
    console.print(table)
    inp = data["input"]
    console.print(
        f"input {inp['kind']} {'×'.join(map(str, inp['shape']))} ({inp['encode']}), "
        f"{data['timesteps']} time steps, dt {data['dt']:g}; readout {data['readout']['node']} "
        f"over {data['readout']['over']}"
    )
    pools = data["gene_pools"]
    if pools:
        shared = ", ".join(
            f"{k} (rank {p['rank']}, {p['params']:,} params)" for k, p in pools.items()
        )
        console.print(f"gene pools: {shared}")
    console.print(
        f"[bold]{data['params']:,}[/bold] parameters, {data['neurons']:,} neurons, "
        f"{data['num_nodes']} nodes, {data['num_edges']} edges"
    )
    return 0


# ---------------------------------------------------------------- compile


def cmd_compile(args) -> int:
    import time

    graph = _network(args, "compile")
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
        neuron = d["neuron"].model if d["neuron"] is not None else d["kind"]
        table.add_row(
            node, "×".join(map(str, d["shape"])), neuron, net.mode(node), f"{d['params']:,}"
        )
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


# ---------------------------------------------------------------- render


def cmd_render(args) -> int:
    from ..render import RenderError, layout, render_file

    graph = _network(args, "draw")
    out = (
        Path(args.output)
        if args.output
        else Path(args.file).with_name(f"{Path(args.file).stem}-{args.scale}.svg")
    )
    try:
        render_file(layout(graph, args.scale), out)
    except RenderError as err:
        print(f"{out}: error: {err}", file=sys.stderr)
        return 1
    print(f"{out}: {args.scale} drawing of network {graph.graph['name']}")
    return 0


# ---------------------------------------------------------------- NIR


def cmd_export(args) -> int:
    graph = _network(args, "export")
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


# ---------------------------------------------------------------- data


def cmd_data(args) -> int:
    from ..data import Camera, NDigits

    if args.name != "ndigits":
        print(f"error: unknown built-in dataset '{args.name}' (built in: ndigits)", file=sys.stderr)
        return 1
    train = NDigits(train=True, steps=args.steps, camera=Camera(), seed=args.seed, limit=args.limit)
    test = NDigits(train=False, steps=args.steps, camera=Camera(), seed=args.seed, limit=args.limit)
    if args.stats or not args.preview:
        stats = train.stats()
        stats["train"], stats["test"] = len(train), len(test)
        if args.json:
            print(json.dumps(stats, indent=2))
        else:
            e = stats["events_per_sample"]
            print(
                f"N-Digits: {len(train)} train / {len(test)} test samples, sensor "
                f"{stats['sensor'][0]}x{stats['sensor'][1]}, {stats['duration_ms']:g} ms each\n"
                f"events per sample (train): mean {e['mean']:.0f}, std {e['std']:.0f}, "
                f"min {e['min']}, max {e['max']}; ON fraction {stats['on_fraction']:.3f}"
            )
    if args.preview:
        from ..data.preview import frames_png

        picks = []
        for c in range(10):  # one sample per class
            i = next(i for i in range(len(train)) if train.label(i) == c)
            picks.append(i)
        png = frames_png([train.frames(i) for i in picks], [train.label(i) for i in picks])
        atomic_write(args.preview, png)
        print(f"{args.preview}: one sample per class, {args.steps} frames each")
    return 0


# ---------------------------------------------------------------- score


def cmd_score(args) -> int:
    import warnings

    graph = _network(args, "score")
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
    try:
        x, labels = class_balanced_batch(
            net, args.batch, args.seed, args.limit, args.data, progress=sys.stderr.isatty()
        )
    except SnarcError as err:
        _print_error(err)
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


# ---------------------------------------------------------------- entry


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    p = argparse.ArgumentParser(
        prog="snarc",
        description="A language and toolchain for spiking neural network architectures.",
    )
    p.add_argument("--version", action="version", version=f"snarc {__version__}")
    p.add_argument(
        "--lib-dir",
        action="append",
        metavar="DIR",
        help="a directory imports may read besides the program's own (repeatable; "
        "also $SNARC_PATH)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def limits(sp):
        sp.add_argument(
            "--max-params",
            type=A.positive_int,
            default=DEFAULT_MAX_PARAMS,
            metavar="N",
            help=f"refuse networks with more parameters (default {DEFAULT_MAX_PARAMS:,})",
        )
        sp.add_argument(
            "--max-memory",
            type=A.size,
            default=None,
            metavar="SIZE",
            help="refuse networks estimated to need more memory, e.g. 8G "
            "(default $SNARC_MAX_MEMORY, else 80%% of physical memory)",
        )

    sp = sub.add_parser("check", help="check programs: syntax, names, shapes, cycles, ranges")
    sp.add_argument("files", nargs="+", metavar="FILE")
    sp.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    limits(sp)
    sp.set_defaults(func=cmd_check)

    sp = sub.add_parser("fmt", help="rewrite programs in the canonical layout")
    sp.add_argument("files", nargs="+", metavar="FILE", help="files, or - for standard input")
    sp.add_argument("--check", action="store_true", help="only report files that would change")
    sp.set_defaults(func=cmd_fmt)

    sp = sub.add_parser("summary", help="nodes, shapes and parameters of a network")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--json", action="store_true", help="print a JSON object")
    limits(sp)
    sp.set_defaults(func=cmd_summary)

    sp = sub.add_parser("render", help="draw a network with graphviz (macro, meso or micro scale)")
    sp.add_argument("file", metavar="FILE")
    sp.add_argument(
        "-o", "--output", metavar="OUT", help="OUT.svg, .png, .pdf or .dot (default FILE-SCALE.svg)"
    )
    sp.add_argument("--scale", choices=("macro", "meso", "micro"), default="meso")
    limits(sp)
    sp.set_defaults(func=cmd_render)

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
        choices=("snarc", "norse"),
        default="snarc",
        help="norse: undo norse.torch.to_nir's time-constant scaling and None nodes",
    )
    sp.add_argument(
        "--dt",
        type=A.positive_float,
        default=None,
        help="the graph's step length (default: its metadata, else 1)",
    )
    sp.add_argument(
        "--steps",
        type=A.positive_int,
        default=None,
        help="time steps of the program (default: metadata, else 8)",
    )
    sp.set_defaults(func=cmd_import)

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
        help="ndigits, or NAME:PATH with NAME nmnist, dvsgesture, cifar10dvs, cifar10",
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
    sp.set_defaults(func=cmd_score)

    sp = sub.add_parser(
        "data", help="the built-in N-Digits dataset: statistics and a picture of frames"
    )
    sp.add_argument("name", choices=("ndigits",))
    sp.add_argument("--stats", action="store_true", help="events per sample and ON/OFF balance")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--preview", metavar="OUT.png", help="draw one sample per class as frames")
    sp.add_argument("--steps", type=A.time_bins, default=8, help="time bins per sample (default 8)")
    sp.add_argument("--seed", type=A.seed, default=0)
    sp.add_argument(
        "--limit",
        type=A.positive_int,
        default=None,
        help="a class-balanced subset of this many digits",
    )
    sp.set_defaults(func=cmd_data)

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

    from . import evolve, train

    evolve.add_parsers(sub, limits)
    train.add_parsers(sub, limits)
    return p


@contextmanager
def _environment(args):
    """Settings that processes started by the command (evaluation workers) must see too,
    as environment variables for the duration of the command."""
    import os

    from ..dsl.loader import PATH_VARIABLE
    from ..dsl.memory import ENV as MEMORY_VARIABLE

    values = {}
    if getattr(args, "lib_dir", None):
        dirs = [str(Path(d).resolve()) for d in args.lib_dir]
        for d in dirs:
            if not Path(d).is_dir():
                raise SnarcError(f"--lib-dir {d}: no such directory")
        old = os.environ.get(PATH_VARIABLE)
        values[PATH_VARIABLE] = os.pathsep.join(dirs + ([old] if old else []))
    if getattr(args, "max_memory", None):
        values[MEMORY_VARIABLE] = str(args.max_memory)
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from ..allocator import tune_allocator

    tune_allocator()  # freed tensor memory stays in the process (see snarc/allocator.py)
    try:
        with _environment(args):
            return args.func(args)
    except SnarcError as err:
        _print_error(err)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # never a traceback: say what failed in words
        from .failures import describe

        print(describe(err), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
