"""Evolution against random search: same space, fitness, data and number of evaluations.

Multi-objective: NSGA-II vs random sampling in the MSE-NAS space, objectives rdm (up)
and spikes (down); the figure is the hypervolume of each run's final front, with
every run normalised by the same ideal and nadir points (over all runs) and reference
point 1.1.
Scalar: AutoSNN's evolution vs random sampling in the AutoSNN space, fitness
spike_aware (acc proxy from the label-target RDM); the figure is the best score.

Five seeds each by default; prints mean ± std and the per-seed figures.

    python benchmarks/bench_search.py [--seeds 5] [--population 10] [--generations 5] [--out out/bench-search]
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from snarc.evolution.run import Config, Evolution, hypervolume, nondominated_ranks

SPIKES_REF = 10_000.0  # spikes per sample of a typical AutoSNN-space network on N-Digits frames


def runs(
    kind: str, args, space: str, fitness: list[str], algorithm: str, generations: int, **extra
) -> list[Evolution]:
    out = []
    for seed in range(args.seeds):
        d = Path(args.out) / f"{kind}-{algorithm}-{seed}"
        if args.fresh and d.exists():
            shutil.rmtree(d)
        cfg = Config(
            space=space,
            fitness=fitness,
            algorithm=algorithm,
            population=args.population,
            generations=generations,
            seed=seed,
            batch=args.batch,
            limit=200,
            workers=args.workers,
            **extra,
        )
        evo = Evolution(cfg, d, progress=False)
        t0 = time.perf_counter()
        evo.run()
        print(
            f"  {kind} {algorithm:6s} seed {seed}: {evo.store.count()} evaluations, {time.perf_counter() - t0:.0f} s",
            file=sys.stderr,
        )
        out.append(evo)
    return out


def final_front(evo: Evolution) -> np.ndarray:
    pop = evo.store.population(evo.store.last_generation())
    F = evo._matrix(pop)
    F = F[np.all(np.isfinite(F), axis=1)]
    return F[nondominated_ranks(F) == 0]


def summary(name: str, values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{name:8s} {statistics.mean(values):.4f} ± {sd:.4f}   per seed: {', '.join(f'{v:.4f}' for v in values)}"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--population", type=int, default=10)
    ap.add_argument("--generations", type=int, default=5)
    ap.add_argument("--batch", type=int, default=30)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--out", default="out/bench-search")
    ap.add_argument(
        "--fresh", action="store_true", help="delete earlier runs instead of resuming them"
    )
    ap.add_argument("--only", choices=("multi", "scalar"), default=None)
    args = ap.parse_args()

    if args.only in (None, "multi"):
        evo = runs("multi", args, "msenas", ["rdm", "spikes"], "nsga2", args.generations)
        rnd = runs("multi", args, "msenas", ["rdm", "spikes"], "random", args.generations)
        fronts = [final_front(e) for e in evo + rnd]
        allF = np.vstack([f for f in fronts if len(f)])
        norm = {"ideal": allF.min(0).tolist(), "nadir": allF.max(0).tolist()}
        hv = [hypervolume(f, norm) or 0.0 for f in fronts]
        n = evo[0].store.count()
        print(
            f"\nMulti-objective (MSE-NAS space, rdm up, spikes down), {n} evaluations per run, final hypervolume:"
        )
        print("  " + summary("NSGA-II", hv[: args.seeds]))
        print("  " + summary("random", hv[args.seeds :]))
        print(
            f"  ratio NSGA-II / random: {statistics.mean(hv[: args.seeds]) / max(1e-12, statistics.mean(hv[args.seeds :])):.3f}"
        )

    if args.only in (None, "scalar"):
        k = max(2, args.population // 4)
        # one spike reference for every run, so that the scores compare across runs
        evo = runs(
            "scalar",
            args,
            "autosnn",
            ["spike_aware"],
            "scalar",
            args.generations,
            spikes_ref=SPIKES_REF,
        )
        # random search gets the same number of evaluations: P + G (P - k)
        g_rand = math.ceil(args.generations * (args.population - k) / args.population)
        rnd = runs(
            "scalar", args, "autosnn", ["spike_aware"], "random", g_rand, spikes_ref=SPIKES_REF
        )

        def best(e: Evolution) -> float:
            F = e._matrix([r.hash for r in e.store.records()])
            return float(-np.nanmin(np.where(np.isfinite(F[:, 0]), F[:, 0], np.nan)))

        b_evo, b_rnd = [best(e) for e in evo], [best(e) for e in rnd]
        print(
            f"\nScalar (AutoSNN space, spike-aware fitness), {evo[0].store.count()} vs {rnd[0].store.count()} evaluations, best score:"
        )
        print("  " + summary("evolution", b_evo))
        print("  " + summary("random", b_rnd))


if __name__ == "__main__":
    main()
