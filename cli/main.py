# PYTHON_ARGCOMPLETE_OK
"""The ``snarc`` command line: one module per command group (``language``, ``network``,
``nir``, ``dataset``, ``evolve``, ``train``), each adding its parsers; this module builds
the parser and runs a command.

Every subcommand reports a bad program as ``FILE:LINE:COL: error: ...`` with the
source line and a caret, and exits with status 1; it never shows a traceback (see
:mod:`snarc.cli.failures`). ``check`` and ``fmt`` are run by editors on every save, so
start-up imports only the language package; heavy modules (torch, rich, the compiler)
are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from ..dsl import SnarcError
from . import args as A
from . import (
    bench,
    dataset,
    evaluate,
    evolve,
    genes,
    halving,
    language,
    network,
    nir,
    supernet,
    train,
)
from .common import limits, print_error

GROUPS = (language, network, nir, dataset, evolve, halving, supernet, genes, train, evaluate, bench)


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
    for group in GROUPS:
        group.add_parsers(sub, limits)
    A.show_defaults(p)
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
    if "_ARGCOMPLETE" in os.environ:  # a shell asks for completions (argcomplete); exits
        import argcomplete

        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    from ..util.allocator import tune_allocator

    tune_allocator()  # freed tensor memory stays in the process (see snarc/util/allocator.py)
    try:
        with _environment(args):
            return args.func(args)
    except SnarcError as err:
        print_error(err)
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
