"""`snarc bench`: ground-truth tables - architectures of a search space trained with one
fixed recipe and several seeds, stored as a resumable SQLite table (NAS-Bench style)."""

from __future__ import annotations

import json
import signal

from . import args as A


def cmd_bench_build(args) -> int:
    from ..evolution.groundtruth import summary
    from ..evolution.groundtruth_build import Recipe, build

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    recipe = Recipe(
        data=args.data, epochs=args.epochs, batch=args.batch, lr=args.lr, limit=args.limit
    )
    table = build(
        args.dir,
        args.space,
        args.n,
        seeds=args.seeds,
        recipe=recipe,
        draw_seed=args.draw_seed,
        executor=args.executor,
        workers=args.workers,
        address=args.address,
        progress=not args.quiet,
        log=(lambda *_: None) if args.quiet else print,
    )
    with table:
        s = summary(table.table())
    print(json.dumps(s) if args.json else _describe(s))
    return 0


def _describe(s: dict) -> str:
    if not s["architectures"]:
        return "no architecture has every seed trained yet"
    return (
        f"{s['architectures']} architectures: test accuracy {s['accuracy_min']:.3f} - "
        f"{s['accuracy_max']:.3f} (median {s['accuracy_median']:.3f}); between architectures "
        f"sd {s['between_sd']:.3f}, seed noise sd {s['seed_sd']:.3f} "
        f"(ratio {s['spread_over_noise']:.1f}; reliability of the mean {s['reliability']:.2f}); "
        f"{s['train_s_per_arch']:.0f} s of training each"
    )


def cmd_bench_show(args) -> int:
    from pathlib import Path

    from ..dsl.errors import SnarcError
    from ..evolution.groundtruth import NAME, GroundTruth, plot_table, summary

    if not (Path(args.dir) / NAME).exists():
        raise SnarcError(f"{args.dir}: no ground-truth table ({NAME} is missing)")
    with GroundTruth(args.dir) as table:
        rows = table.table()
        meta = {k: table.get_meta(k) for k in ("space", "recipe", "seeds", "draw_seed")}
    s = summary(rows)
    if args.plot:
        r = meta["recipe"]
        title = f"{meta['space']}: {r['data']}, {r['epochs']} epochs, {meta['seeds']} seeds"
        plot_table(rows, args.plot, title)
    if args.json:
        print(json.dumps({"meta": meta, "summary": s, "rows": rows if args.rows else None}))
        return 0
    print(f"space {meta['space']}, recipe {meta['recipe']}, {meta['seeds']} seeds")
    print(_describe(s))
    for r in sorted(rows, key=lambda r: -r["accuracy"])[: args.top]:
        accs = ", ".join(f"{a:.3f}" for a in r["accuracies"])
        print(f"  {r['hash']}  {r['accuracy']:.3f}  ({accs})  {r['params']:,} params")
    if args.plot:
        print(f"{args.plot}: every architecture's accuracy, sorted")
    return 0


def add_parsers(sub, limits) -> None:
    sp = sub.add_parser(
        "bench", help="ground-truth tables: random architectures of a space, trained"
    )
    bsub = sp.add_subparsers(dest="bench_command", metavar="ACTION")
    bsub.required = True
    b = bsub.add_parser(
        "build",
        help="train N random architectures x seeds into DIR/bench.sqlite (resumes; grows)",
    )
    b.add_argument("dir", metavar="DIR")
    b.add_argument("--space", required=True, help="a shipped space name or a .lark file")
    b.add_argument("--n", type=A.positive_int, default=60, help="architectures (default 60)")
    b.add_argument("--seeds", type=A.positive_int, default=2, help="default 2")
    b.add_argument("--draw-seed", type=A.seed, default=0, help="seed of the draw (default 0)")
    b.add_argument("--data", default="ndigits-hard", help="default ndigits-hard")
    b.add_argument("--epochs", type=A.positive_int, default=3, help="default 3")
    b.add_argument("--batch", type=A.positive_int, default=32, help="default 32")
    b.add_argument("--lr", type=A.positive_float, default=2e-3, help="default 0.002")
    b.add_argument("--limit", type=A.positive_int, default=None, help="a class-balanced subset")
    b.add_argument("--executor", choices=("serial", "process", "ray"), default="process")
    b.add_argument("--workers", type=A.positive_int, default=None, help="default: one per core")
    b.add_argument("--address", default=None, help="a Ray cluster (with --executor ray)")
    b.add_argument("--json", action="store_true")
    b.add_argument("-q", "--quiet", action="store_true")
    limits(b)
    b.set_defaults(func=cmd_bench_build)
    s = bsub.add_parser("show", help="a table's spread, seed noise and best architectures")
    s.add_argument("dir", metavar="DIR")
    s.add_argument("--top", type=A.non_negative_int, default=5, help="default 5")
    s.add_argument("--plot", metavar="OUT.png|svg", help="draw every architecture's accuracy")
    s.add_argument("--json", action="store_true")
    s.add_argument("--rows", action="store_true", help="with --json: every row")
    s.set_defaults(func=cmd_bench_show)
