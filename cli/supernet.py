"""`snarc supernet`: AutoSNN's one-shot supernet - train it once, then measure
architectures with the weights they inherit."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from . import args as A


def cmd_supernet_train(args) -> int:
    from ..evolution.supernet_train import SupernetConfig, train_supernet

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    cfg = SupernetConfig(
        space=args.space, data=args.data, epochs=args.epochs, batch=args.batch, lr=args.lr,
        limit=args.limit, seed=args.seed,
    )  # fmt: skip
    result = train_supernet(
        cfg, args.dir, resume=args.resume, progress=not args.quiet,
        log=(lambda *_: None) if args.quiet else print,
    )  # fmt: skip
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"supernet: {result['weights']} weight tensors, {result['params']:,} parameters, "
            f"{result['epochs']} epochs -> {Path(args.dir) / 'supernet.pt'}"
        )
    return 0


def cmd_supernet_score(args) -> int:
    from ..dsl.errors import SnarcError
    from ..evolution.supernet_train import measure_candidates
    from ..util.fileio import read_text

    if bool(args.files) == bool(args.bench):
        raise SnarcError("give program files, or --bench DIR (a ground-truth table), not both")
    if args.files:
        texts = [read_text(Path(f), "program") for f in args.files]
        rows = measure_candidates(args.dir, texts)
        for f, r in zip(args.files, rows, strict=True):
            r["program"] = f
            if not args.json:
                print(
                    f"{f}: held-out accuracy {r['accuracy']:.3f}, {r['spikes']:,.0f} spikes/sample"
                )
        if args.json:
            print(json.dumps(rows))
        return 0
    from ..evolution.groundtruth import NAME, GroundTruth

    if not (Path(args.bench) / NAME).exists():
        raise SnarcError(f"{args.bench}: no ground-truth table ({NAME} is missing)")
    with GroundTruth(args.bench) as table:
        archs = table.archs()
        rows = measure_candidates(args.dir, [a["text"] for a in archs])
        for a, r in zip(archs, rows, strict=True):
            table.put_proxy(a["hash"], "supernet_acc", r["accuracy"], r["wall_s"])
            table.put_proxy(a["hash"], "supernet_spikes", r["spikes"], r["wall_s"])
    print(f"{len(rows)} architectures of {args.bench} measured on the supernet (proxies "
          "supernet_acc, supernet_spikes)")  # fmt: skip
    return 0


def add_parsers(sub, limits) -> None:
    sp = sub.add_parser("supernet", help="AutoSNN's one-shot supernet: train once, score many")
    ssub = sp.add_subparsers(dest="supernet_command", metavar="ACTION")
    ssub.required = True
    t = ssub.add_parser(
        "train",
        help="train the supernet of a space with uniform path sampling (DIR/supernet.pt; resumes)",
    )
    t.add_argument("dir", metavar="DIR")
    t.add_argument("--space", default="autosnn", help="a finite space (default autosnn)")
    t.add_argument("--data", default="ndigits", help="ndigits (default), ndigits-hard, NAME:PATH")
    t.add_argument("--epochs", type=A.positive_int, default=10, help="default 10")
    t.add_argument("--batch", type=A.positive_int, default=32, help="default 32")
    t.add_argument("--lr", type=A.positive_float, default=2e-3, help="default 0.002")
    t.add_argument("--limit", type=A.positive_int, default=None, help="a class-balanced subset")
    t.add_argument("--seed", type=A.seed, default=0)
    t.add_argument("--resume", action="store_true", help="continue the training in DIR")
    t.add_argument("--json", action="store_true")
    t.add_argument("-q", "--quiet", action="store_true")
    t.set_defaults(func=cmd_supernet_train)
    s = ssub.add_parser(
        "score", help="held-out accuracy and spikes of architectures with inherited weights"
    )
    s.add_argument("dir", metavar="DIR")
    s.add_argument("files", nargs="*", metavar="FILE.snarc")
    s.add_argument("--bench", metavar="TABLE", help="every architecture of a ground-truth table")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_supernet_score)
