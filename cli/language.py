"""`snarc check`, `snarc fmt` and `snarc summary`: the language commands.

``check`` and ``fmt`` are run by editors on every save: this module imports only the
language package (never torch).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..dsl import SnarcError, elaborate, format_source, summary
from ..util.fileio import atomic_write, read_text
from .common import limits, network, print_error, print_warnings


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
            print_error(err)
            status = 1
            continue
        if graph is None:
            if not args.quiet:
                print(f"{file}: ok (library)")
            continue
        print_warnings(graph)
        _warn_memory(file, graph)
        if not args.quiet:
            g = graph.graph
            print(
                f"{file}: ok (network {g['name']}: {graph.number_of_nodes()} nodes, "
                f"{g['params']:,} parameters, {g['timesteps']} steps)"
            )
    return status


def cmd_fmt(args) -> int:
    status = 0
    for file in args.files:
        if file == "-":
            text = sys.stdin.read()
            try:
                sys.stdout.write(format_source(text, "<stdin>"))
            except SnarcError as err:
                print_error(err.with_sources({"<stdin>": text}))
                status = 1
            continue
        path = Path(file)
        try:
            text = read_text(path, "program")
        except SnarcError as err:
            print_error(err)
            status = 1
            continue
        try:
            out = format_source(text, file)
        except SnarcError as err:
            print_error(err.with_sources({file: text}))
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


def cmd_summary(args) -> int:
    graph = network(args, "summarise")
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
        plain, have = data["params_unencoded"], data["params"]
        console.print(
            f"genetic encoding: {have:,} parameters where the same program unencoded has "
            f"{plain:,} ({plain / max(1, have):.1f}× fewer, {1 - have / max(1, plain):.0%} saved)"
        )
    console.print(
        f"[bold]{data['params']:,}[/bold] parameters, {data['neurons']:,} neurons, "
        f"{data['num_nodes']} nodes, {data['num_edges']} edges"
    )
    b = data["biases"]
    if b["weighted_connections"]:
        console.print(
            f"biases: on for {b['on']} of {b['weighted_connections']} weighted connections"
            + (
                " (off unless an operation says bias: true)"
                if b["on"] < b["weighted_connections"]
                else ""
            )
        )
    return 0


def add_parsers(sub, limits=limits) -> None:
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
