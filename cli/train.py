"""`snarc train`: train a program, or a genome of an evolution run, with surrogate gradients."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from ..dsl.errors import SnarcError
from ..util.fileio import read_text
from . import args as A


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _from_run(run: Path, rank: int) -> tuple[str, str]:
    from ..evolution.results import front_rows
    from ..evolution.run import Evolution

    evo = Evolution.resume(run, progress=False)
    rows = front_rows(evo)
    if not rows:
        raise SnarcError(f"{run}: the run has no front yet")
    if not 1 <= rank <= len(rows):
        raise SnarcError(f"--rank {rank}: the front of {run} has ranks 1 to {len(rows)}")
    h = rows[rank - 1]["hash"]
    return evo.store.get(h).text, h


# flag (its dest) -> TrainConfig field; a flag left out takes the field's default, or on
# --resume the run's own setting
SETTINGS = {
    "batch": "batch",
    "lr": "lr",
    "optimizer": "optimizer",
    "weight_decay": "weight_decay",
    "warmup": "warmup",
    "loss": "loss",
    "label_smoothing": "label_smoothing",
    "clip": "clip",
    "no_amp": "amp",
    "seed": "seed",
    "data": "data",
    "limit": "limit",
    "val": "val",
    "patience": "patience",
    "tensorboard": "tensorboard",
    "init": "init",
    "gene_lr": "gene_lr",
}

# the flags of run settings, as argparse takes them (each defaults to None: see _given)
SETTING_FLAGS = (
    ("--data", {"help": "ndigits (default), ndigits-hard, or NAME:PATH (nmnist, dvsgesture, cifar10dvs, cifar10)"}),
    ("--epochs", {"type": A.positive_int,
                  "help": "default 5 (on --resume: as the run said; --extend adds epochs)"}),
    ("--extend", {"type": A.positive_int, "metavar": "N",
                  "help": "with --resume: train N more epochs, a new cosine segment after the planned ones"}),
    ("--extend-lr", {"type": A.positive_float, "metavar": "LR",
                     "help": "the extension's peak learning rate (default: the run's lr / 10)"}),
    ("--batch", {"type": A.positive_int, "help": "default 32"}),
    ("--lr", {"type": A.positive_float, "help": "default 0.002"}),
    ("--gene-lr", {"type": A.positive_float, "metavar": "X",
                   "help": "learning-rate multiplier of genes and interactions (default 10: "
                   "genes are of order 1, weights of order 1/sqrt(fan-in))"}),
    ("--optimizer", {"choices": ("adamw", "sgd"), "help": "default adamw"}),
    ("--weight-decay", {"type": A.non_negative_float, "help": "default 0"}),
    ("--warmup", {"type": A.non_negative_float,
                  "help": "epochs of linear warm-up before cosine decay (default 0.5)"}),
    ("--loss", {"choices": ("ce", "count_mse"),
                "help": "ce (default), or count_mse: AutoSNN's MSE on spike-count frequency"}),
    ("--label-smoothing", {"type": A.fraction_below_one, "help": "default 0"}),
    ("--clip", {"type": A.non_negative_float, "help": "gradient-norm clip (0: none; default 1)"}),
    ("--no-amp", {"action": "store_true", "help": "no mixed precision on CUDA"}),
    ("--seed", {"type": A.seed, "help": "default 0"}),
    ("--val", {"type": A.fraction_below_one,
               "help": "fraction of the training split held out for validation (default 0: none)"}),
    ("--patience", {"type": A.positive_int,
                    "help": "stop after N epochs without a better validation accuracy; the best "
                    "weights go to DIR/best.pt (needs --val)"}),
    ("--limit", {"type": A.positive_int, "help": "a class-balanced subset of N-Digits"}),
    ("--tensorboard", {"metavar": "DIR", "help": "write TensorBoard event files to DIR (per epoch)"}),
    ("--init", {"metavar": "FILE", "help": "start from this state dict (e.g. the genes.pt of "
                "snarc evolve-genes) instead of the seed's initial weights"}),
)  # fmt: skip


def _given(args) -> dict:
    """The settings the command line gives explicitly, as TrainConfig fields."""
    out = {}
    for dest, name in SETTINGS.items():
        value = getattr(args, dest)
        if value is None:
            continue
        if dest == "clip":
            value = value if value > 0 else None
        elif dest == "no_amp":
            value = not value
        out[name] = value
    return out


def _keep_settings(cfg, given: dict, args) -> None:
    """A resumed run keeps its settings: a flag that would change one is refused, naming
    it (a changed learning rate or batch would make the result neither run's)."""
    flags = {name: dest for dest, name in SETTINGS.items()}
    for name, value in given.items():
        if name in type(cfg).RUNTIME:  # e.g. --tensorboard: may change on resume
            setattr(cfg, name, value)
            continue
        if value != getattr(cfg, name):
            flag = "--" + flags[name].replace("_", "-")
            shown = "" if flag == "--no-amp" else f" {value}"
            raise SnarcError(
                f"{flag}{shown}: the run in {args.resume} was trained with {name} = "
                f"{getattr(cfg, name)}; a resumed run keeps its settings",
                hint="train a new run (--out DIR) to change it; add epochs with --extend N",
            )
    if args.epochs is not None and args.epochs != cfg.epochs:
        raise SnarcError(
            f"--epochs {args.epochs}: the run in {args.resume} is planned for {cfg.epochs} "
            "epochs; a resumed run finishes its plan",
            hint=f"add epochs with --extend {max(1, args.epochs - cfg.epochs)} (a new cosine "
            "segment after the planned ones; the epochs already run keep their rates)",
        )


def cmd_train(args) -> int:
    from ..training import TrainConfig, TrainError, read_checkpoint, train

    signal.signal(signal.SIGTERM, _interrupt)
    genome = None
    if args.from_run:
        text, genome = _from_run(Path(args.from_run), args.rank)
        name = f"{Path(args.from_run).name}#{args.rank} ({genome})"
        out = (
            Path(args.out)
            if args.out
            else Path(args.from_run) / "trained" / f"{args.rank:02d}-{genome}"
        )
    elif args.resume and not args.file:
        out = Path(args.resume)
        if not (out / "program.snarc").exists():
            raise TrainError(f"{out}: not a training directory (no program.snarc)")
        text, name = read_text(out / "program.snarc", "program"), str(out / "program.snarc")
    else:
        if not args.file:
            raise SnarcError("give FILE, --from-run DIR or --resume DIR")
        path = Path(args.file)
        text = read_text(path, "program")
        from ..dsl import elaborate, parse

        elaborate(parse(text, str(path)))  # errors with file, line and column before any torch work
        name = str(path)
        out = Path(args.out or args.resume or Path("out") / "train" / path.stem)
    if args.extend is not None and not args.resume:
        raise SnarcError("--extend adds epochs to a finished run: give it with --resume DIR")
    given = _given(args)
    if args.resume:
        out = Path(args.resume)
        ck = read_checkpoint(out / "checkpoint.pt") if (out / "checkpoint.pt").exists() else None
        if ck is not None and not isinstance(ck.get("config"), dict):
            raise TrainError(f"{out / 'checkpoint.pt'}: its config is not a table of settings")
        if ck is None:
            raise TrainError(f"{out}: no checkpoint.pt to resume from")
        cfg = TrainConfig(
            **{k: v for k, v in ck["config"].items() if k in TrainConfig.__dataclass_fields__}
        )
        _keep_settings(cfg, given, args)
        if args.extend is not None:
            peak = args.extend_lr if args.extend_lr is not None else cfg.lr / 10
            cfg.extensions = [*cfg.extensions, [args.extend, peak]]
            cfg.epochs += args.extend
        cfg.device = args.device
    else:
        if args.extend_lr is not None:
            raise SnarcError("--extend-lr goes with --resume DIR --extend N")
        cfg = TrainConfig(**given)
        if args.epochs is not None:
            cfg.epochs = args.epochs
        cfg.device = args.device
    progress = sys.stderr.isatty() and not args.quiet
    try:
        result = train(
            text,
            cfg,
            out,
            resume=bool(args.resume),
            progress=progress,
            name=name,
            path=None if args.from_run or (args.resume and not args.file) else str(args.file),
            log=lambda m: print(m, file=sys.stderr),
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: the last finished epoch is in {out}; continue with `snarc train --resume {out}`",
            file=sys.stderr,
        )
        return 130
    if genome and args.from_run and result.get("epochs"):
        from ..evolution.store import Store

        with Store.open(Path(args.from_run)) as st:
            st.add_trained(
                genome,
                result["test_accuracy"],
                result["epochs"],
                result["spikes_per_sample"],
                result["params"],
                str(out),
            )
    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "history"}, indent=2))
    elif result.get("epochs"):
        print(
            f"{name}: test accuracy {result['test_accuracy']:.3f} after {result['epochs']} epochs, "
            f"{result['spikes_per_sample']:,.0f} spikes/sample, {result['params']:,} parameters  ({out})"
        )
    return 0


def add_parsers(sub, limits) -> None:
    sp = sub.add_parser("train", help="train a network with surrogate gradients (BPTT)")
    sp.add_argument("file", metavar="FILE", nargs="?")
    for flag, kw in SETTING_FLAGS:  # left out: None (the default, or a resumed run's own)
        sp.add_argument(flag, default=None, **kw)
    sp.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    sp.add_argument("--out", help="training directory (default out/train/NAME)")
    sp.add_argument("--resume", metavar="DIR", help="continue a training directory")
    sp.add_argument("--from-run", metavar="DIR", help="train a genome of an evolution run's front")
    sp.add_argument(
        "--rank",
        type=A.positive_int,
        default=1,
        help="with --from-run: which genome of the front (1 = best)",
    )
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--quiet", action="store_true")
    limits(sp)
    sp.set_defaults(func=cmd_train)
