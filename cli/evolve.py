"""`snarc evolve`, `snarc runs show` and `snarc spaces`."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from ..dsl.errors import SnarcError
from . import args as A


def _overrides(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        rule, sep, text = item.partition("=")
        if not sep or not rule.strip():
            raise SnarcError(
                f"--override '{item}': write RULE=TEXT, e.g. 'input_line=input image(3, 32, 32) steps 8;'"
            )
        out[rule.strip()] = text
    return out


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_evolve(args) -> int:
    from ..evolution.run import Config, Evolution

    # a SIGTERM (a scheduler ending the job) stops like Ctrl-C: the store is already safe
    signal.signal(signal.SIGTERM, _interrupt)
    progress = not args.quiet and sys.stderr.isatty() or args.progress
    if args.resume:
        evo = Evolution.resume(
            Path(args.resume),
            progress=progress,
            executor=args.executor,
            workers=args.workers,
            timeout=args.timeout,
            address=args.address,
            log=_log,
        )
    else:
        if not args.out:
            raise SnarcError("give --out DIR for a new run (or --resume DIR)")
        cfg = Config(
            space=args.space,
            fitness=[f for f in args.fitness.split(",") if f],
            algorithm=args.algorithm,
            population=args.population,
            generations=args.generations,
            seed=args.seed,
            data=args.data,
            batch=args.batch,
            limit=args.limit,
            layers=args.layers,
            rates=args.rates,
            crossover=args.crossover,
            mutation=args.mutation,
            top_k=args.top_k,
            retries=args.retries,
            max_params=args.max_params,
            overrides=_overrides(args.override),
            executor=args.executor or "process",
            workers=args.workers,
            timeout=args.timeout,
            address=args.address,
        )
        evo = Evolution(cfg, Path(args.out), progress=progress, log=_log)
    try:
        summary = evo.run()
    except KeyboardInterrupt:
        print(
            f"interrupted: every finished evaluation is in {evo.out}; continue with `snarc evolve --resume {evo.out}`",
            file=sys.stderr,
        )
        return 130
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    from ..evolution.results import show_table

    show_table(evo)
    print(
        f"best: {evo.out / 'best.snarc'}   plots: {evo.out / 'front.png'}, {evo.out / 'hypervolume.png'}"
    )
    if summary.get("drawing"):
        print(f"drawing: {summary['drawing']}")
    elif summary.get("drawing_error"):
        print(f"no drawing: {summary['drawing_error']}", file=sys.stderr)
    return 0


def cmd_runs(args) -> int:
    from ..evolution.results import front_rows, show_table
    from ..evolution.run import Evolution

    evo = Evolution.resume(Path(args.dir), progress=False)
    if args.json:
        print(
            json.dumps({"front": front_rows(evo), "generations": evo.store.generations()}, indent=2)
        )
    else:
        show_table(evo)
    return 0


def cmd_spaces(args) -> int:
    from ..evolution.space import load_space, shipped_spaces

    for name in shipped_spaces():
        s = load_space(name)
        try:
            n = f"{s.count():,}"
        except SnarcError:
            n = "infinite"
        scales = ", ".join(f"{k}: {len(v)}" for k, v in s.rules_by_scale().items() if v)
        print(f"{name:10s} {n:>22s} programs   tagged rules {scales}")
        if args.verbose:
            print(f"           {s.description}\n")
    return 0


def add_parsers(sub, limits) -> None:
    sp = sub.add_parser("evolve", help="evolve architectures in a search space (grammar)")
    sp.add_argument(
        "--space", default="msenas", help="a shipped space (see `snarc spaces`) or FILE.lark"
    )
    sp.add_argument(
        "--fitness",
        default="rdm,spikes",
        help="comma-separated objectives, each NAME[:max|min]: rdm, rdm_target, sahd, naswot, "
        "spike_aware, params, sops, energy, spikes (default rdm,spikes)",
    )
    sp.add_argument(
        "--algorithm",
        default="auto",
        choices=("auto", "nsga2", "scalar", "random"),
        help="auto: NSGA-II for several objectives, AutoSNN's scalar evolution for one",
    )
    sp.add_argument(
        "--data",
        default="ndigits",
        help="ndigits, or NAME:PATH (nmnist, dvsgesture, cifar10dvs, cifar10)",
    )
    sp.add_argument("--population", type=A.positive_int, default=20)
    sp.add_argument("--generations", type=A.non_negative_int, default=5)
    sp.add_argument("--seed", type=A.seed, default=0)
    sp.add_argument(
        "--batch", type=A.positive_int, default=50, help="scoring batch, balanced over classes"
    )
    sp.add_argument(
        "--limit", type=A.positive_int, default=200, help="N-Digits subset the batch is drawn from"
    )
    sp.add_argument("--layers", default="populations", choices=("populations", "cells"))
    sp.add_argument("--rates", default="micro=1,meso=1,macro=0.5", help="mutation weight per scale")
    sp.add_argument(
        "--crossover", type=A.probability, default=0.9, help="crossover probability (NSGA-II)"
    )
    sp.add_argument(
        "--mutation", type=A.probability, default=1.0, help="mutation probability after crossover"
    )
    sp.add_argument(
        "--top-k", type=A.positive_int, default=None, help="scalar: genomes kept per round"
    )
    sp.add_argument(
        "--retries", type=A.positive_int, default=20, help="draws per child before giving up"
    )
    sp.add_argument(
        "--override", action="append", metavar="RULE=TEXT", help="replace a rule of the space"
    )
    sp.add_argument(
        "--executor", choices=("serial", "process", "ray"), default=None, help="default: process"
    )
    sp.add_argument("--workers", type=A.positive_int, default=None, help="default: one per core")
    sp.add_argument(
        "--timeout", type=A.positive_float, default=600.0, help="seconds per evaluation"
    )
    sp.add_argument("--address", default=None, help="Ray cluster address")
    sp.add_argument("--out", help="run directory")
    sp.add_argument("--resume", metavar="DIR", help="continue a run")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.add_argument(
        "--progress", action="store_true", help="a progress bar even when not on a terminal"
    )
    limits(sp)
    sp.set_defaults(func=cmd_evolve)

    sp = sub.add_parser("runs", help="look at evolution runs")
    rs = sp.add_subparsers(dest="runs_command", required=True)
    show = rs.add_parser("show", help="the front of a run as a table")
    show.add_argument("dir", metavar="DIR")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_runs)

    sp = sub.add_parser("spaces", help="the shipped search spaces and their sizes")
    sp.add_argument("-v", "--verbose", action="store_true")
    sp.set_defaults(func=cmd_spaces)
