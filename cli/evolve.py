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


# flag (its dest) -> Config field; a flag left out takes the field's default on a new
# run, and on --resume must not differ from the run's own setting
SETTINGS = (
    "space", "fitness", "algorithm", "population", "generations", "seed", "data", "batch", "repeats",
    "limit", "layers", "rates", "crossover", "mutation", "top_k", "site_mutation", "retries",
    "override",
    "supernet", "spikes_ref", "lam",
)  # fmt: skip

# the flags of run settings and runtime choices (each defaults to None: see _given)
RUN_FLAGS = (
    ("--space", {"help": "a shipped space (see `snarc spaces`) or FILE.lark (default msenas)"}),
    ("--fitness", {"help": "comma-separated objectives, each NAME[:max|min]: rdm, rdm_target, "
                   "sahd, naswot, cm, spike_aware, params, sops, energy, spikes, spikes_pooled, acc@E / loss@E "
                   "(held-out accuracy / minus cross-entropy after E epochs on --limit samples), "
                   "supernet_acc, supernet_spikes, supernet_spikes_pooled, spike_aware_supernet, "
                   "spike_aware_autosnn (with --supernet) (default rdm,spikes)"}),
    ("--algorithm", {"choices": ("auto", "nsga2", "scalar", "autosnn", "random"),
                     "help": "auto (default): NSGA-II for several objectives, snarc's scalar "
                     "evolution for one; autosnn: AutoSNN's released search (a top-k archive, "
                     "P/2 point mutations and P/2 one-point crossovers of it per generation)"}),
    ("--data", {"help": "ndigits (default), ndigits-hard, or NAME:PATH (nmnist, dvsgesture, cifar10dvs, cifar10)"}),
    ("--population", {"type": A.positive_int, "help": "default 20"}),
    ("--generations", {"type": A.non_negative_int, "help": "default 5"}),
    ("--extend", {"type": A.positive_int, "metavar": "N",
                  "help": "with --resume: N more generations (the same as a run planned for them)"}),
    ("--seed", {"type": A.seed, "help": "default 0"}),
    ("--batch", {"type": A.positive_int, "help": "scoring batch, balanced over classes (default 50)"}),
    ("--repeats", {"type": A.positive_int,
                   "help": "scoring batches per genome, each score their mean (default 1)"}),
    ("--limit", {"type": A.positive_int, "help": "N-Digits subset the batch is drawn from (default 200)"}),
    ("--layers", {"choices": ("populations", "cells"), "help": "default populations"}),
    ("--rates", {"help": "mutation weight per scale (default micro=1,meso=1,macro=0.5)"}),
    ("--crossover", {"type": A.probability, "help": "crossover probability (NSGA-II; default 0.9)"}),
    ("--mutation", {"type": A.probability, "help": "mutation probability after crossover (default 1)"}),
    ("--top-k", {"type": A.positive_int, "help": "scalar, autosnn: genomes kept per round"}),
    ("--site-mutation", {"type": A.probability,
                         "help": "autosnn: chance that each choice of a genome switches (default 0.2)"}),
    ("--retries", {"type": A.positive_int, "help": "draws per child before giving up (default 20)"}),
    ("--override", {"action": "append", "metavar": "RULE=TEXT", "help": "replace a rule of the space"}),
    ("--preset", {"help": "a published method's settings: autosnn-paper, msenas-paper, "
                  "snasnet-paper, each also as NAME-cpu (see docs/search-spaces.md); flags "
                  "given beside it win"}),
    ("--supernet", {"metavar": "DIR", "help": "a trained supernet (snarc supernet train) for supernet_acc"}),
    ("--spikes-ref", {"type": A.positive_float, "help": "spike_aware's spikes_ref (default: the first generation's median)"}),
    ("--lam", {"type": A.finite_float, "help": "spike_aware's exponent λ (default -0.08, AutoSNN's)"}),
    ("--executor", {"choices": ("serial", "process", "ray"), "help": "default: process"}),
    ("--workers", {"type": A.positive_int, "help": "default: one per core"}),
    ("--timeout", {"type": A.positive_float, "help": "seconds per evaluation (default 600)"}),
    ("--address", {"help": "Ray cluster address"}),
)  # fmt: skip


def _given(args) -> dict:
    """The run settings the command line gives explicitly, as Config fields."""
    out = {}
    for dest in SETTINGS:
        value = getattr(args, dest)
        if value is None:
            continue
        if dest == "fitness":
            value = [f for f in value.split(",") if f]
        elif dest == "override":
            out["overrides"] = _overrides(value)
            continue
        out[dest] = value
    return out


def cmd_evolve(args) -> int:
    from ..evolution.run import Config, Evolution

    # a SIGTERM (a scheduler ending the job) stops like Ctrl-C: the store is already safe
    signal.signal(signal.SIGTERM, _interrupt)
    progress = not args.quiet and sys.stderr.isatty() or args.progress
    if args.extend is not None and not args.resume:
        raise SnarcError("--extend adds generations to a run: give it with --resume DIR")
    if args.resume and args.preset:
        raise SnarcError("a resumed run keeps its own settings: leave out --preset")
    if args.resume:
        evo = Evolution.resume(
            Path(args.resume),
            progress=progress,
            log=_log,
            extend=args.extend,
            executor=args.executor,
            workers=args.workers,
            timeout=args.timeout,
            address=args.address,
            **_given(args),
        )
    else:
        if not args.out:
            raise SnarcError("give --out DIR for a new run (or --resume DIR)")
        runtime = {"workers": args.workers, "timeout": args.timeout, "address": args.address}
        given = _given(args)
        if args.preset:
            from ..evolution.presets import preset

            chosen = preset(args.preset)
            given = chosen.config_fields(given)
            _log(f"preset {chosen.name}: {chosen.method} — {chosen.doc}")
        cfg = Config(
            **given,
            **{k: v for k, v in runtime.items() if v is not None},
            max_params=args.max_params,
            executor=args.executor or "process",
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


def cmd_serve(args) -> int:
    from ..evolution.serve import serve

    def ready(url: str) -> None:
        print(f"{args.dir}: following the run at {url} (Ctrl-C to stop)", flush=True)

    try:
        serve(Path(args.dir), port=args.port, ready=ready)
    except KeyboardInterrupt:
        pass
    except OSError as err:
        raise SnarcError(f"cannot serve on port {args.port}: {err.strerror or err}") from None
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
        print(f"{name:14s} {n:>22s} programs   tagged rules {scales}")
        if args.verbose:
            print(f"           {s.description}\n")
    return 0


def add_parsers(sub, limits) -> None:
    sp = sub.add_parser("evolve", help="evolve architectures in a search space (grammar)")
    for flag, kw in RUN_FLAGS:  # left out: None (the default, or a resumed run's own)
        sp.add_argument(flag, default=None, **kw)
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
    page = rs.add_parser("serve", help="a local web page that follows a run as it goes")
    page.add_argument("dir", metavar="DIR")
    page.add_argument("--port", type=int, default=8765, help="on 127.0.0.1 (0: any free port)")
    page.set_defaults(func=cmd_serve)

    sp = sub.add_parser("spaces", help="the shipped search spaces and their sizes")
    sp.add_argument("-v", "--verbose", action="store_true")
    sp.set_defaults(func=cmd_spaces)
