"""Genetically encoded SNNs, evolved (issue 17): the same residual network
(examples/genetic_resnet.snarc by default) trained on N-Digits (or `--data`) as

  unencoded     every genetic(...) removed: plain weights
  random        genetically encoded, from the seed's random initial genes
  evolved       from genes evolved by CMA-ES with both regularisers (snarc evolve-genes)
  no-entropy    evolved with λ_H = 0
  no-td         evolved with λ_TD = 0

each for ``--seeds`` seeds (the same seed gives every variant the same unencoded
weights and data order), printing test accuracy (mean ± sd over seeds), parameters,
spikes per sample, the compression ratio (unencoded / encoded parameters) and the
accuracy differences the paper reports (encoded - unencoded; evolved - random).

    python benchmarks/bench_genetic.py [--program FILE] [--seeds 2] [--epochs 5]
        [--generations 8] [--popsize 8] [--limit 300] [--gene-epochs 2]
        [--fitness train|train_loss] [--data ndigits-hard] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT.parent))

import snarc  # noqa: E402
from snarc.evolution.gene_search import GeneSearchConfig, evolve_genes  # noqa: E402

VARIANTS = ("unencoded", "random", "evolved", "no-entropy", "no-td")
REGULARISERS = {"evolved": (0.1, 0.1), "no-entropy": (0.0, 0.1), "no-td": (0.1, 0.0)}


def unencoded(text: str) -> str:
    return re.sub(r"\s*genetic\([^)]*\)", "", text)


def run(text, variant, seed, args, work: Path, log) -> dict:
    out = work / f"{variant}-{seed}"
    init = None
    t0 = time.perf_counter()
    if variant in REGULARISERS:
        lam_h, lam_td = REGULARISERS[variant]
        cfg = GeneSearchConfig(
            generations=args.generations, popsize=args.popsize, seed=seed, entropy=lam_h,
            td=lam_td, fitness=args.fitness, limit=args.limit, epochs=args.gene_epochs,
            data=args.data,
        )  # fmt: skip
        found = evolve_genes(text, out / "genes", cfg, progress=False)
        init = found["out"]
    program = unencoded(text) if variant == "unencoded" else text
    result = snarc.train(
        program, out / "trained", epochs=args.epochs, seed=seed, init=init, data=args.data,
        progress=False, log=lambda *a: None,
    )  # fmt: skip
    row = {
        "variant": variant,
        "seed": seed,
        "accuracy": result["test_accuracy"],
        "spikes": result["spikes_per_sample"],
        "params": result["params"],
        "wall_s": time.perf_counter() - t0,
    }
    log(f"{variant:>10} seed {seed}: accuracy {row['accuracy']:.3f}, {row['params']:,} params, "
        f"{row['spikes']:,.0f} spikes/sample, {row['wall_s']:.0f} s")  # fmt: skip
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--program", default=str(ROOT / "examples" / "genetic_resnet.snarc"))
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=5, help="training epochs of every variant")
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--popsize", type=int, default=8)
    ap.add_argument("--limit", type=int, default=300, help="samples per candidate's measure")
    ap.add_argument("--gene-epochs", type=int, default=2, help="epochs of each candidate's measure")
    ap.add_argument("--fitness", default="train", help="train (accuracy) or train_loss")
    ap.add_argument("--data", default="ndigits", help="ndigits (default), ndigits-hard, NAME:PATH")
    ap.add_argument("--json", default=None, help="write the rows here")
    args = ap.parse_args(argv)
    text = Path(args.program).read_text()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            for variant in VARIANTS:
                rows.append(run(text, variant, seed, args, Path(tmp), print))
    by = {v: [r for r in rows if r["variant"] == v] for v in VARIANTS}

    def mean_sd(v, key="accuracy"):
        xs = [r[key] for r in by[v]]
        return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)

    print(
        f"\n{Path(args.program).name}, {args.data}, {args.epochs} epochs, {args.seeds} seeds, "
        f"gene fitness {args.fitness}"
    )
    print("| variant | parameters | test accuracy (mean ± sd) | spikes/sample |")
    print("| --- | --- | --- | --- |")
    for v in VARIANTS:
        m, sd = mean_sd(v)
        print(
            f"| {v} | {by[v][0]['params']:,} | {m:.3f} ± {sd:.3f} | {mean_sd(v, 'spikes')[0]:,.0f} |"
        )
    plain, enc = by["unencoded"][0]["params"], by["random"][0]["params"]
    print(f"\ncompression: {plain / enc:.1f}x fewer parameters ({1 - enc / plain:.0%} saved)")

    def diff(a, b):
        d = [x["accuracy"] - y["accuracy"] for x, y in zip(by[a], by[b], strict=True)]
        return statistics.mean(d), (statistics.stdev(d) if len(d) > 1 else 0.0)

    for a, b in (("random", "unencoded"), ("evolved", "unencoded"), ("evolved", "random"),
                 ("evolved", "no-entropy"), ("evolved", "no-td")):  # fmt: skip
        m, sd = diff(a, b)
        print(f"accuracy {a} - {b}: {m:+.3f} ± {sd:.3f} (paired by seed)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
