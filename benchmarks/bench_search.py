"""Evolution against random search: same space, fitness, data and number of evaluations.

Multi-objective: NSGA-II vs random sampling in the MSE-NAS space, objectives rdm (up)
and spikes (down); the figure is the hypervolume of each run's final front, with
every run normalised by the same ideal and nadir points (over all runs) and reference
point 1.1.
Scalar: AutoSNN's evolution vs random sampling in the AutoSNN space, fitness
spike_aware (acc proxy from the label-target RDM); the figure is the best score.

Picks (``--only picks``), the test that matters: evolution with a fitness (default the
recommended ``acc@1``) against random search with the same fitness **at equal
wall-clock** (random search draws and measures genomes until it has spent what the
evolution spent), in the AutoSNN space on N-Digits-hard; each run's final pick is then
trained with the ground-truth recipe (3 epochs, 2 seeds) and judged by its test
accuracy. The hand-written `examples/ndigits_conv.snarc`, trained the same way, is the
baseline.

Five seeds each by default; prints mean ± std and the per-seed figures.

    python benchmarks/bench_search.py [--seeds 5] [--population 10] [--generations 5] [--out out/bench-search]
    python benchmarks/bench_search.py --only picks [--fitness acc@1] [--limit 400]
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
    ap.add_argument("--only", choices=("multi", "scalar", "picks"), default=None)
    ap.add_argument("--fitness", default="acc@1", help="picks: the fitness both searches use")
    ap.add_argument("--limit", type=int, default=400, help="picks: training digits for acc@E")
    ap.add_argument("--data", default="ndigits-hard", help="picks: the task")
    args = ap.parse_args()
    if args.only == "picks":
        picks(args)
        return

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


def trained_accuracy(text: str, out: Path, data: str, seeds=(0, 1), epochs: int = 3) -> float:
    """Mean test accuracy of ``text`` trained with the ground-truth recipe (cached in out)."""
    from snarc.evolution.groundtruth_build import Recipe, TrainJob, train_job
    from snarc.evolution.space import genome_hash

    h = genome_hash(text)
    accs = []
    for seed in seeds:
        res = train_job(
            TrainJob(
                h, text, seed, Recipe(data=data, epochs=epochs), str(out / f"{h}-{seed}"), threads=2
            )
        )
        if res["status"] != "ok":
            raise SystemExit(f"training the pick {h} failed: {res['error']}")
        accs.append(res["test_accuracy"])
    return statistics.mean(accs)


def random_search(args, seed: int, budget: float, out: Path) -> tuple[str, float, int]:
    """Draw and measure genomes (the evolution's fitness, task and scoring) until
    ``budget`` seconds are spent; returns (best text, its fitness, evaluations)."""
    from snarc.evolution.config import Objective
    from snarc.evolution.evaluate import Task, evaluate
    from snarc.evolution.operators import random_genome
    from snarc.evolution.space import genome_hash, load_space

    o = Objective.parse(args.fitness)
    space, rng, seen = load_space("autosnn"), np.random.default_rng(seed + 1000), set()
    t0, best, n = time.perf_counter(), (None, -math.inf), 0
    while time.perf_counter() - t0 < budget:
        text = space.canonical(random_genome(space, rng))  # the draw counts as search time
        h = genome_hash(text)
        if h in seen:
            continue
        seen.add(h)
        res = evaluate(Task(h, text, (o.name,), args.data, args.batch, seed, args.limit))
        n += 1
        v = res["measures"].get(o.name) if res["status"] == "ok" else None
        if v is not None and math.isfinite(v):
            v = v if o.direction == "max" else -v
            if v > best[1]:
                best = (text, v)
    return best[0], best[1], n


def picks(args) -> None:
    import re

    import snarc

    out = Path(args.out) / "picks"
    out.mkdir(parents=True, exist_ok=True)
    rows = {"evolution": [], "random": []}
    for seed in range(args.seeds):
        d = out / f"evolution-{seed}"
        if args.fresh and d.exists():
            shutil.rmtree(d)
        cfg = Config(space="autosnn", fitness=[args.fitness], algorithm="scalar",
                     population=args.population, generations=args.generations, seed=seed,
                     data=args.data, batch=args.batch, limit=args.limit, executor="serial")  # fmt: skip
        evo = Evolution(cfg, d, progress=False)
        t0 = time.perf_counter()
        evo.run()
        spent = time.perf_counter() - t0
        recs = [r for r in evo.store.records() if r.ok]
        o = cfg.objectives[0]
        top = max(recs, key=lambda r: r.measures[o.name] * (1 if o.direction == "max" else -1))
        text, value, n = random_search(args, seed, spent, out / f"random-{seed}")
        for name, pick, fit, evals in (("evolution", top.text, top.measures[o.name], len(recs)),
                                       ("random", text, value, n)):  # fmt: skip
            acc = trained_accuracy(pick, out / "trained", args.data)
            rows[name].append(acc)
            print(f"  seed {seed} {name:9s}: {evals} evaluations in {spent:.0f} s, pick {args.fitness} "
                  f"{fit:.3f} -> trained test accuracy {acc:.3f}", file=sys.stderr)  # fmt: skip
    base = re.sub(
        r"steps \d+",
        "steps 8",
        (Path(snarc.__file__).parent / "examples" / "ndigits_conv.snarc").read_text(),
    )
    b = trained_accuracy(base, out / "trained", args.data)
    print(f"\nPicks (AutoSNN space, {args.data}, fitness {args.fitness}, equal wall-clock), "
          "test accuracy of each run's pick after the ground-truth recipe (3 epochs, 2 seeds):")  # fmt: skip
    print("  " + summary("evolution", rows["evolution"]))
    print("  " + summary("random", rows["random"]))
    diff = [a - b_ for a, b_ in zip(rows["evolution"], rows["random"], strict=True)]
    print("  " + summary("evo-rand", diff))
    print(f"  hand-written ndigits_conv: {b:.4f}")


if __name__ == "__main__":
    main()
