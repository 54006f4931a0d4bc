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
        cfg.epochs = args.epochs if args.epochs is not None else cfg.epochs
        cfg.device = args.device
    else:
        cfg = TrainConfig(
            epochs=args.epochs if args.epochs is not None else 5,
            batch=args.batch,
            lr=args.lr,
            optimizer=args.optimizer,
            weight_decay=args.weight_decay,
            warmup=args.warmup,
            loss=args.loss,
            label_smoothing=args.label_smoothing,
            clip=args.clip if args.clip > 0 else None,
            amp=not args.no_amp,
            seed=args.seed,
            data=args.data,
            limit=args.limit,
            device=args.device,
        )
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
    sp.add_argument(
        "--data",
        default="ndigits",
        help="ndigits, or NAME:PATH (nmnist, dvsgesture, cifar10dvs, cifar10)",
    )
    sp.add_argument(
        "--epochs",
        type=A.positive_int,
        default=None,
        help="default 5 (on --resume: as the run said)",
    )
    sp.add_argument("--batch", type=A.positive_int, default=32)
    sp.add_argument("--lr", type=A.positive_float, default=2e-3)
    sp.add_argument("--optimizer", choices=("adamw", "sgd"), default="adamw")
    sp.add_argument("--weight-decay", type=A.non_negative_float, default=0.0)
    sp.add_argument(
        "--warmup",
        type=A.non_negative_float,
        default=0.5,
        help="epochs of linear warm-up before cosine decay",
    )
    sp.add_argument(
        "--loss",
        choices=("ce", "count_mse"),
        default="ce",
        help="count_mse: AutoSNN's MSE on spike-count frequency",
    )
    sp.add_argument("--label-smoothing", type=A.fraction_below_one, default=0.0)
    sp.add_argument(
        "--clip", type=A.non_negative_float, default=1.0, help="gradient-norm clip (0: none)"
    )
    sp.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    sp.add_argument("--seed", type=A.seed, default=0)
    sp.add_argument(
        "--limit", type=A.positive_int, default=None, help="a class-balanced subset of N-Digits"
    )
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
