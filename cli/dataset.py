"""`snarc data`: the built-in datasets (N-Digits, N-Digits-hard)."""

from __future__ import annotations

import json
import sys

from ..util.fileio import atomic_write
from . import args as A

# snarc.data.builtin.BUILTIN's names, spelled out so that the parser imports no NumPy
# (tests/test_ndigits.py checks they agree)
NAMES = ("ndigits", "ndigits-hard")


def cmd_data(args) -> int:
    from ..data import NDigits
    from ..data.builtin import BUILTIN

    if args.name not in BUILTIN:
        known = ", ".join(BUILTIN)
        print(f"error: unknown built-in dataset '{args.name}' (built in: {known})", file=sys.stderr)
        return 1
    camera = BUILTIN[args.name]
    train = NDigits(train=True, steps=args.steps, camera=camera, seed=args.seed, limit=args.limit)
    test = NDigits(train=False, steps=args.steps, camera=camera, seed=args.seed, limit=args.limit)
    if args.stats or not args.preview:
        stats = train.stats()
        stats["train"], stats["test"] = len(train), len(test)
        if args.json:
            print(json.dumps(stats, indent=2))
        else:
            e = stats["events_per_sample"]
            print(
                f"{args.name}: {len(train)} train / {len(test)} test samples, sensor "
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


def add_parsers(sub, limits=None) -> None:
    sp = sub.add_parser("data", help="the built-in datasets: statistics and a picture of frames")
    sp.add_argument("name", choices=NAMES)
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
