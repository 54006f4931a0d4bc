"""Is a built-in task hard enough that architectures differ? N-Digits against N-Digits-hard.

Trains the shipped examples that take event frames (image-input ones re-declared as
`frames(2, 34, 34)`, as bench_fitness.py does) for E epochs on each built-in dataset with
one fixed recipe (`snarc train`'s defaults), several seeds each, and prints per dataset:
the mean test accuracy of every example, the spread between architectures (range and
standard deviation of the example means) and the seed noise (the pooled standard
deviation over seeds of the same architecture). A task on which the architectures'
spread is not well above the seed noise cannot tell a good search from a bad one.

    python benchmarks/bench_tasks.py [--epochs 3] [--seeds 3] [--examples ndigits_conv,...]

Results are kept in OUT/results.json: a killed run resumes with the pairs still missing.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

import snarc
from snarc.evolution.groundtruth import pooled_seed_sd
from snarc.util.allocator import tune_allocator
from snarc.util.fileio import atomic_write

EXAMPLES = Path(snarc.__file__).parent / "examples"
DEFAULT = "ndigits_conv,genetic,genetic_resnet,autosnn,mse_motifs"


def program(name: str) -> str:
    text = (EXAMPLES / f"{name}.snarc").read_text()
    return re.sub(
        r"input (image|frames)\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\)",
        "input frames(2, 34, 34)",
        text,
        count=1,
    )


def main() -> None:
    tune_allocator()
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--examples", default=DEFAULT)
    ap.add_argument("--data", default="ndigits,ndigits-hard")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", default="out/bench-tasks")
    args = ap.parse_args()

    out = Path(args.out)
    store = out / "results.json"
    done: dict = json.loads(store.read_text()) if store.exists() else {}
    names, datasets = args.examples.split(","), args.data.split(",")
    for data in datasets:
        for name in names:
            for seed in range(args.seeds):
                key = f"{data}/{name}/{args.epochs}/{seed}"
                if key in done:
                    continue
                res = snarc.train(
                    program(name),
                    out / "runs" / key.replace("/", "-"),
                    resume=False,
                    progress=False,
                    log=lambda *_: None,
                    epochs=args.epochs,
                    seed=seed,
                    data=data,
                )
                done[key] = {
                    "test_accuracy": res["test_accuracy"],
                    "params": res["params"],
                    "wall_s": sum(h["wall_s"] for h in res["history"]),
                }
                atomic_write(store, json.dumps(done, indent=1))
                print(
                    f"  {data} {name} seed {seed}: {res['test_accuracy']:.3f}"
                    f" ({done[key]['wall_s']:.0f} s)",
                    file=sys.stderr,
                )
    print(f"\ntest accuracy after {args.epochs} epochs, mean ± sd over {args.seeds} seeds\n")
    print("| example | " + " | ".join(datasets) + " |")
    print("| --- |" + " ---: |" * len(datasets))
    table = {
        d: {
            n: [done[f"{d}/{n}/{args.epochs}/{s}"]["test_accuracy"] for s in range(args.seeds)]
            for n in names
        }
        for d in datasets
    }
    for n in names:
        cells = []
        for d in datasets:
            a = table[d][n]
            sd = statistics.stdev(a) if len(a) > 1 else float("nan")
            cells.append(f"{statistics.mean(a):.3f} ± {sd:.3f}")
        print(f"| {n} | " + " | ".join(cells) + " |")
    for d in datasets:
        means = [statistics.mean(v) for v in table[d].values()]
        noise = pooled_seed_sd([{"accuracies": v} for v in table[d].values()])
        spread = statistics.stdev(means) if len(means) > 1 else float("nan")
        print(
            f"\n{d}: architectures {min(means):.3f}-{max(means):.3f} (range {max(means) - min(means):.3f},"
            f" sd {spread:.3f}); seed noise (pooled sd) {noise:.3f}; spread / noise {spread / noise:.1f}"
        )


if __name__ == "__main__":
    main()
