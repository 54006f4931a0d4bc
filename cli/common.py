"""What every command group of the CLI shares: error output, the network of a FILE
argument, and the ceilings (--max-params, --max-memory)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..dsl import DEFAULT_MAX_PARAMS, SnarcError, elaborate
from . import args as A


def print_error(err: SnarcError) -> None:
    print(err.report(), file=sys.stderr)


def print_warnings(graph) -> None:
    for w in graph.graph.get("warnings", []):
        text = w.report().replace(": error:", ": warning:", 1)
        print(text, file=sys.stderr)


def network(args, what: str):
    """The elaborated network of ``args.file`` (its warnings printed); errors go to main()."""
    graph = elaborate(Path(args.file), max_params=args.max_params)
    if graph is None:
        raise SnarcError(
            f"{args.file} is a library file: it has no network to {what}",
            hint="draw one of its motifs with --motif NAME" if what == "draw" else None,
        )
    print_warnings(graph)
    return graph


def limits(sp) -> None:
    """The ceilings every command that builds a network takes."""
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
