"""`snarc halving`: successive halving over a search space - a cheap score for many
genomes, short trainings for the best of them, longer ones for the best of those."""

from __future__ import annotations

import json
import signal

from . import args as A


def cmd_halving(args) -> int:
    from ..evolution.halving import HalvingConfig, run

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    cfg = HalvingConfig(
        space=args.space,
        n=args.n,
        rungs=[r.strip() for r in args.rungs.split(",") if r.strip()],
        eta=args.eta,
        seed=args.seed,
        data=args.data,
        batch=args.batch,
        limit=args.limit or None,
        max_params=args.max_params,
        supernet=args.supernet,
        executor=args.executor,
        workers=args.workers,
        timeout=args.timeout,
        address=args.address,
    )
    result = run(
        cfg, args.out, progress=not args.quiet, log=(lambda *_: None) if args.quiet else print
    )
    if args.json:
        print(json.dumps(result))
        return 0
    for r in result["rungs"]:
        print(
            f"rung {r['rung']} {r['measure']}: {r['measured']} genomes, {r['seconds']:.0f} s of "
            f"evaluation" + (f", {r['promoted']} promoted" if r["promoted"] else "")
        )
    print(
        f"pick {result['pick']}: {result['measure']} = {result['value']:.4f} -> "
        f"{args.out}/pick.snarc ({result['seconds']:.0f} s of evaluation in all)"
    )
    return 0


def add_parsers(sub, limits) -> None:
    sp = sub.add_parser(
        "halving",
        help="successive halving: score many genomes cheaply, train the best briefly, the best of those longer",
        description="Draw N distinct programs of a space; measure all at the first rung, promote "
        "the best 1/eta to the next rung, and so on. Rungs are objectives: scores (rdm_target, "
        "sahd, ...) or acc@E (held-out accuracy after E epochs on --limit training samples; never "
        "the test split). Resumable (OUT/halving.sqlite); the pick goes to OUT/pick.snarc.",
    )
    sp.add_argument("-o", "--out", required=True, metavar="DIR")
    sp.add_argument("--space", default="autosnn", help="default autosnn")
    sp.add_argument("--n", type=A.positive_int, default=27, help="genomes drawn (default 27)")
    sp.add_argument(
        "--rungs", default="rdm_target,acc@1,acc@3", help="default rdm_target,acc@1,acc@3"
    )
    sp.add_argument("--eta", type=A.positive_int, default=3, help="keep 1/eta per rung (default 3)")
    sp.add_argument("--seed", type=A.seed, default=0)
    sp.add_argument(
        "--data", default="ndigits", help="ndigits (default), ndigits-hard, or NAME:PATH"
    )
    sp.add_argument("--batch", type=A.positive_int, default=50, help="scoring batch (default 50)")
    sp.add_argument("--limit", type=A.non_negative_int, default=600,
                    help="training samples for acc@E and scoring (default 600; 0: all)")  # fmt: skip
    sp.add_argument("--supernet", metavar="DIR", help="a trained supernet, for supernet_acc rungs")
    sp.add_argument("--executor", choices=("serial", "process", "ray"), default="process")
    sp.add_argument("--workers", type=A.positive_int, default=None, help="default: one per core")
    sp.add_argument("--timeout", type=A.positive_float, default=None, help="seconds per evaluation")
    sp.add_argument("--address", default=None, help="a Ray cluster (with --executor ray)")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("-q", "--quiet", action="store_true")
    limits(sp)
    sp.set_defaults(func=cmd_halving)
