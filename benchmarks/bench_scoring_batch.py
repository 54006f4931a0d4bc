"""How small can the scoring batch be? Rank agreement of each proxy with a large batch.

Draws N random architectures from a search space and scores each with every
training-free proxy on nested class-balanced N-Digits batches (the batch of 30 holds
the first 3 samples of each class, the batch of 100 the first 10, ...), with the same
initial weights at every size. For each proxy and batch it prints Kendall's tau (scipy)
between the ranking of the N architectures on that batch and on the reference batch
(the largest), and the seconds per architecture. The peer is the reference batch
itself: tau = 1 means the small batch ranks exactly as the large one does; a fitness
is only as cheap as the smallest batch that keeps its ranking.

    python benchmarks/bench_scoring_batch.py [--space msenas] [--n 20] [--batches 20 30 50 100]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from scipy.stats import kendalltau

import snarc
from snarc.data.batches import class_balanced_batch
from snarc.evolution.groundtruth_build import distinct_programs
from snarc.fitness import FitnessWarning, score
from snarc.util.allocator import tune_allocator

PROXIES = ("rdm", "rdm_target", "sahd", "naswot")


def main() -> None:
    tune_allocator()  # as snarc's commands do (snarc/util/allocator.py)
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--space", default="msenas")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--batches", type=int, nargs="+", default=[20, 30, 50, 100])
    ap.add_argument("--limit", type=int, default=None, help="N-Digits subset to draw from")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    batches = sorted(args.batches)
    texts = [t for _, t in distinct_programs(args.space, args.n, args.seed)]
    scores = {b: {k: [] for k in PROXIES} for b in batches}
    seconds = {b: [] for b in batches}
    for i, text in enumerate(texts):
        for b in batches:
            torch.manual_seed(args.seed)
            net = snarc.compile(text)
            x, y = class_balanced_batch(net, b, args.seed, args.limit)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FitnessWarning)
                s = score(net, x, y, fitness=PROXIES)
            seconds[b].append(time.perf_counter() - t0)
            for k in PROXIES:
                scores[b][k].append(s[k])
        print(f"  {i + 1:2d}/{args.n} scored", flush=True)
    ref = batches[-1]
    print(
        f"\nKendall tau of each batch's ranking against batch {ref}'s, "
        f"{args.n} random {args.space} architectures (seed {args.seed}):"
    )
    print(f"  {'batch':>5} " + " ".join(f"{k:>10}" for k in PROXIES) + f" {'s/arch':>8}")
    for b in batches:
        taus = []
        for k in PROXIES:
            a, r = np.array(scores[b][k]), np.array(scores[ref][k])
            ok = np.isfinite(a) & np.isfinite(r)  # silent networks score -inf on the kernels
            taus.append(kendalltau(a[ok], r[ok]).statistic if ok.sum() > 2 else float("nan"))
        print(
            f"  {b:>5} "
            + " ".join(f"{t:>+10.3f}" for t in taus)
            + f" {statistics.median(seconds[b]):>8.3f}"
        )


if __name__ == "__main__":
    main()
