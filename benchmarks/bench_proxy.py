"""Which cheap signal ranks architectures by trained accuracy? Proxies against a
ground-truth table (`snarc bench build`).

For every architecture of the table (trained with the table's recipe and every seed),
measures each proxy the table does not hold yet and stores it in the table (so a killed
run resumes): the training-free scores (one forward pass of a class-balanced batch of
the table's dataset, random initial weights), ``acc@E`` (held-out accuracy after E
epochs on a subset of the training split, never the test split; ``loss@E`` minus the
held-out cross-entropy), and the supernet's
held-out accuracy where `snarc supernet score DIR --bench TABLE` put it there. Then
prints Kendall's tau and Spearman's rho of each proxy against the mean test accuracy,
with bootstrap 95 % intervals (architectures resampled), and its cost per architecture
against the cost of training that architecture. The peers are chance (tau = 0) and the
parameter count.

    python benchmarks/bench_proxy.py --table DIR [--acc-limit 400] [--trained loss@1,acc@1]
        [--supernet-train-s S] [--plot out.png] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, rankdata, spearmanr

from snarc.evolution.evaluate import Task, evaluate
from snarc.evolution.executors import make_executor
from snarc.evolution.groundtruth import GroundTruth
from snarc.util.allocator import tune_allocator
from snarc.util.fileio import atomic_write

FREE = (
    "rdm", "rdm_target", "rdm_target_last", "sahd", "naswot", "cm", "params", "sops", "spikes",
    "spikes_pooled",
)  # fmt: skip


def stored_name(name: str, limit: int | None) -> str:
    """A trained proxy's name in the table: ``acc@1`` on the default 400 training digits
    (the first tables' setting), ``acc@1/all`` on the whole split, ``acc@1/N`` on N."""
    if limit == 400:
        return name
    return f"{name}/{'all' if limit is None else limit}"


def measure(table, rows, names, limit, batch, workers, label="free", store=None) -> None:
    """Put each proxy of ``names`` the table lacks for ``rows`` into the table (as
    ``store[name]`` where given)."""
    store = store or {n: n for n in names}
    held = table.proxies()
    todo = [r for r in rows if any(r["hash"] not in held.get(store[n], {}) for n in names)]
    if not todo:
        return
    data = table.get_meta("recipe")["data"]
    tasks = [Task(r["hash"], r["text"], tuple(names), data, batch, 0, limit) for r in todo]
    ex = make_executor("process" if workers > 1 else "serial", workers, None, None, evaluate)
    try:
        for done, (i, res) in enumerate(ex.map(tasks), 1):
            h = todo[i]["hash"]
            for n in names:
                value = res["measures"].get(n) if res["status"] == "ok" else None
                table.put_proxy(h, store[n], value, res["wall"])
            print(
                f"  {label} {done}/{len(tasks)}: {res['status']} {res['wall']:.1f} s",
                file=sys.stderr,
            )
    finally:
        ex.close()


def boot_ci(x, y, fn, n: int, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(n):
        idx = rng.integers(0, len(x), len(x))
        if len(set(y[idx])) < 2 or len(set(x[idx])) < 2:
            continue
        v = fn(x[idx], y[idx]).statistic
        if np.isfinite(v):
            stats.append(v)
    if not stats:  # a proxy with one value for (nearly) every architecture
        return float("nan"), float("nan")
    return float(np.percentile(stats, 2.5)), float(np.percentile(stats, 97.5))


def main() -> None:
    tune_allocator()
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--table", required=True)
    ap.add_argument("--batch", type=int, default=50, help="scoring batch")
    ap.add_argument("--trained", default="loss@1,acc@1,loss@2,acc@2",
                    help="trained proxies to measure, acc@E and loss@E ('' for none)")  # fmt: skip
    ap.add_argument("--acc-limit", type=int, default=400,
                    help="training digits for acc@E, loss@E (0: the whole training split; "
                    "stored as NAME/all, other limits than 400 as NAME/N)")  # fmt: skip
    ap.add_argument("--supernet-train-s", type=float, default=None,
                    help="seconds the supernet took to train (amortised over --space-size)")  # fmt: skip
    ap.add_argument("--space-size", type=int, default=None, help="architectures a search scores")
    ap.add_argument("--boot", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--plot", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    table = GroundTruth(args.table)
    rows = table.table()
    if len(rows) < 5:
        sys.exit(f"{args.table}: {len(rows)} architectures with every seed trained; need 5 or more")
    measure(table, rows, FREE, None, args.batch, args.workers)
    limit = args.acc_limit or None
    for name in [n for n in args.trained.split(",") if n]:
        stored = stored_name(name, limit)
        measure(table, rows, (name,), limit, args.batch, args.workers, stored, {name: stored})
    proxies = table.proxies()
    truth = {r["hash"]: r["accuracy"] for r in rows}
    train_s = {r["hash"]: r["wall_s"] for r in rows}
    columns = {
        n: v for n, v in proxies.items() if n not in ("supernet_spikes", "supernet_spikes_pooled")
    }
    hs = [r["hash"] for r in rows]
    if "rdm_target_last" in columns and "params" in columns:  # a combination with params
        a = rankdata([columns["rdm_target_last"][h][0] for h in hs])
        b = rankdata([columns["params"][h][0] for h in hs])
        columns["rank(rdm_target_last)+rank(params)"] = {
            h: (float(x + y), columns["rdm_target_last"][h][1])
            for h, x, y in zip(hs, a, b, strict=True)
        }
    out = []
    for name, values in columns.items():
        keep = [
            h for h in hs if h in values and values[h][0] is not None and np.isfinite(values[h][0])
        ]
        if len(keep) < 5:
            continue
        x = np.array([values[h][0] for h in keep])
        y = np.array([truth[h] for h in keep])
        cost = [values[h][1] for h in keep]
        if name.startswith("supernet") and args.supernet_train_s:
            n = args.space_size or len(hs)
            cost = [c + args.supernet_train_s / n for c in cost]
        ratio = statistics.median(train_s[h] / c for h, c in zip(keep, cost, strict=True) if c > 0)
        out.append({
            "proxy": name, "n": len(keep),
            "tau": float(kendalltau(x, y).statistic), "tau_ci": boot_ci(x, y, kendalltau, args.boot),
            "rho": float(spearmanr(x, y).statistic), "rho_ci": boot_ci(x, y, spearmanr, args.boot),
            "seconds": statistics.median(cost), "training_over_proxy": ratio,
        })  # fmt: skip
    out.sort(key=lambda r: -abs(r["tau"]) if np.isfinite(r["tau"]) else 0.0)
    meta = {k: table.get_meta(k) for k in ("space", "recipe", "seeds")}
    accs = [truth[h] for h in hs]
    print(f"\n{len(hs)} architectures of {meta['space']}, {meta['seeds']} seeds, recipe {meta['recipe']}; "
          f"test accuracy {min(accs):.3f}-{max(accs):.3f}, median training {statistics.median(train_s.values()):.0f} s\n")  # fmt: skip
    print(
        "| proxy | Kendall τ [95 % CI] | Spearman ρ [95 % CI] | s / architecture | training / proxy |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in out:
        print(f"| {r['proxy']} | {r['tau']:+.3f} [{r['tau_ci'][0]:+.2f}, {r['tau_ci'][1]:+.2f}] | "
              f"{r['rho']:+.3f} [{r['rho_ci'][0]:+.2f}, {r['rho_ci'][1]:+.2f}] | {r['seconds']:.2f} | "
              f"{r['training_over_proxy']:.0f}× |")  # fmt: skip
    if args.json:
        atomic_write(Path(args.json), json.dumps({"meta": meta, "proxies": out}, indent=1))
    if args.plot:
        plot(out, columns, truth, hs, args.plot)
    table.close()


def plot(out, columns, truth, hs, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(out)
    cols = min(4, k)
    fig, axes = plt.subplots(
        (k + cols - 1) // cols,
        cols,
        figsize=(3.2 * cols, 2.8 * ((k + cols - 1) // cols)),
        squeeze=False,
    )
    for ax, r in zip(axes.flat, out, strict=False):
        v = columns[r["proxy"]]
        keep = [h for h in hs if h in v and v[h][0] is not None and np.isfinite(v[h][0])]
        ax.plot([v[h][0] for h in keep], [truth[h] for h in keep], ".", ms=5)
        ax.set_title(f"{r['proxy']}: τ {r['tau']:+.2f}", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[k:]:
        ax.axis("off")
    fig.supylabel("test accuracy (mean over seeds)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"{path}: every proxy against the trained accuracy")


if __name__ == "__main__":
    main()
