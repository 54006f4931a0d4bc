"""Seconds per architecture of each training-free fitness, against one epoch of training.

For every shipped example at T = 8 on N-Digits (image-input examples get their input
line changed to N-Digits' `frames(2, 34, 34)`; others are centre-cropped or padded):
the time to compile the program, the time of each fitness alone and of all of them
together (one forward pass) on a class-balanced batch (50 and 30 by default), and the
time of one training epoch on the 1,437 training samples (batch 32, Adam,
cross-entropy), extrapolated from the median of a few timed steps. Ratios: the epoch
over the slowest single fitness, and over compiling plus all fitnesses (what an
evolution pays per architecture). The point of a training-free fitness is to cost at
least 100x less than training.

    python benchmarks/bench_fitness.py [--batch 50 30] [--train-steps 4] [--limit N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

import snarc
from snarc import fitness as F
from snarc.data.batches import class_balanced_batch
from snarc.data.ndigits import N_TRAIN
from snarc.util.allocator import tune_allocator

ROOT = Path(__file__).resolve().parent.parent
SCORES = ("rdm", "rdm_target", "sahd", "naswot", "energy")


def program(path: Path) -> str:
    text = re.sub(r"steps \d+", "steps 8", path.read_text(), count=1)
    return re.sub(
        r"input image\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\)", "input frames(2, 34, 34)", text, count=1
    )


def train_step_seconds(net, x, y, steps: int) -> float:
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i:  # the first step warms up
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    tune_allocator()  # as snarc's commands do (snarc/util/allocator.py)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[50, 30])
    ap.add_argument("--train-batch", type=int, default=32)
    ap.add_argument("--train-steps", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of each fitness (median)")
    ap.add_argument("--limit", type=int, default=None, help="a subset of N-Digits (default: all)")
    ap.add_argument("--examples", nargs="+", default=None)
    args = ap.parse_args()
    paths = sorted((ROOT / "examples").glob("*.snarc"))
    if args.examples:
        paths = [p for p in paths if p.stem in args.examples]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; T = 8")
    head = " ".join(f"{s:>10}" for s in (*SCORES, "all"))
    print(
        f"{'example':<12} {'batch':>5} {'compile':>8} {head} | {'epoch (s)':>9} | "
        f"{'epoch / slowest':>15} {'epoch / all':>11}"
    )
    for path in paths:
        torch.manual_seed(0)
        t0 = time.perf_counter()
        net = snarc.compile(program(path))
        compile_s = time.perf_counter() - t0
        xt, yt = class_balanced_batch(net, args.train_batch, 0, args.limit)
        step = train_step_seconds(net, xt, torch.as_tensor(yt), args.train_steps)
        epoch = step * N_TRAIN / xt.shape[1]
        for batch in args.batch:
            torch.manual_seed(0)
            net = snarc.compile(program(path))
            x, labels = class_balanced_batch(net, batch, 0, args.limit)
            seconds = {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", F.FitnessWarning)
                F.score(net, x, labels, fitness=SCORES)  # warm-up (first calls import scipy etc.)
                for name in (*SCORES, "all"):
                    times = []
                    for _ in range(args.repeats):
                        t0 = time.perf_counter()
                        F.score(net, x, labels, fitness=SCORES if name == "all" else (name,))
                        times.append(time.perf_counter() - t0)
                    seconds[name] = statistics.median(times)
            slowest = max(seconds[s] for s in SCORES)
            cells = " ".join(f"{seconds[s]:>9.2f}s" for s in (*SCORES, "all"))
            print(
                f"{path.stem:<12} {batch:>5} {compile_s:>7.2f}s {cells} | {epoch:>9.1f} | "
                f"{epoch / slowest:>14.0f}x {epoch / (compile_s + seconds['all']):>10.0f}x",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
