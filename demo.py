"""``make demo``: what snarc can do today, run on the shipped examples.

Checks every example and library file, confirms each is in canonical layout,
summarises every network, draws the motif network at three scales, compiles it and
then runs the main job: a small NSGA-II evolution in the MSE-NAS search space on
N-Digits with a training-free fitness, the best architecture drawn, and that
architecture trained for a few epochs. Everything lands in out/demo/; running it
again resumes (finished work is not redone).

``python -m snarc.demo --quick`` runs the same steps at a toy size (a population of 4
for one generation, one epoch on 100 digits) in well under a minute: it is how the
tests check that the demo works from an installed wheel. The examples are package
data (``snarc.examples``), so the demo needs no checkout.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .dsl import SnarcError, elaborate, format_source, summary


def _shipped(package: str) -> list[Path]:
    root = resources.files(package)
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".snarc"))


def main(argv: list[str] | None = None) -> int:
    from .util.allocator import tune_allocator

    ap = argparse.ArgumentParser(prog="python -m snarc.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the same steps at a toy size")
    ap.add_argument("--out", default=None, help="output directory (default out/demo)")
    args = ap.parse_args(argv)
    tune_allocator()
    console = Console()
    files = _shipped("snarc.examples") + _shipped("snarc.stdlib")
    root = files[0].parent.parent
    table = Table(title="snarc: the shipped programs")
    for col in ("file", "nodes", "edges", "params", "steps", "input", "fmt"):
        table.add_column(
            col, justify="right" if col in ("nodes", "edges", "params", "steps") else "left"
        )
    failures = 0
    for path in files:
        rel = path.relative_to(root)
        text = path.read_text(encoding="utf-8")
        try:
            graph = elaborate(path)
            canonical = "ok" if format_source(text, str(rel)) == text else "differs"
        except SnarcError as err:
            console.print(err.report(), style="red")
            failures += 1
            continue
        if graph is None:
            table.add_row(str(rel), "library", "", "", "", "", canonical)
            continue
        s = summary(graph)
        inp = s["input"]
        table.add_row(
            str(rel),
            str(s["num_nodes"]),
            str(s["num_edges"]),
            f"{s['params']:,}",
            str(s["timesteps"]),
            f"{inp['kind']} {'×'.join(map(str, inp['shape']))}",
            canonical,
        )
    console.print(table)
    if failures:
        return 1
    default = Path("out") / ("demo-quick" if args.quick else "demo")
    return main_job(console, Path(args.out) if args.out else default, quick=args.quick)


def main_job(console, out: Path = Path("out") / "demo", quick: bool = False) -> int:
    """Evolve in the MSE-NAS space on N-Digits, draw the best network, train it."""
    import time

    from .dsl import elaborate
    from .evolution.results import front_rows, show_table
    from .evolution.run import Config, Evolution, RunError
    from .render import RenderError, layout, render_file
    from .training import CHECKPOINT, TrainConfig, train

    t0 = time.perf_counter()
    run = out / "evolve"
    cfg = Config(
        space="msenas",
        fitness=["rdm", "spikes"],
        population=4 if quick else 12,
        generations=1 if quick else 6,
        seed=0,
        batch=30,  # rdm ranks MSE-NAS genomes on 30 as on 100 (docs/data-and-fitness.md)
        limit=100 if quick else 200,
    )
    console.print(
        f"\n[bold]Evolution[/bold]: NSGA-II over the MSE-NAS space (grammars/spaces/msenas.lark), "
        f"objectives {', '.join(cfg.fitness)} (training-free RDM score up, spikes down), "
        f"population {cfg.population}, {cfg.generations} generations, on a class-balanced batch of "
        f"{cfg.batch} N-Digits samples; run directory {run}/ (resumable)"
    )
    try:
        evo = Evolution(cfg, run, progress=True)
    except RunError as err:  # an earlier demo's run, with other settings: keep it aside
        aside = next(
            p
            for i in range(1, 1000)
            if not (p := run.with_name(f"{run.name}-previous-{i}")).exists()
        )
        run.rename(aside)
        console.print(f"{err.message}: moved to {aside}/, starting a new run")
        evo = Evolution(cfg, run, progress=True)
    evo.run()
    show_table(evo, console)
    best = front_rows(evo)[0]
    best_file = run / "best.snarc"
    console.print(
        f"\n[bold]Best architecture[/bold] ({best['hash']}): {best_file}, drawn at three scales:"
    )
    graph = elaborate(best_file)
    for scale in ("macro", "meso", "micro"):
        target = out / f"best-{scale}.{'svg' if shutil.which('dot') else 'dot'}"
        try:
            render_file(layout(graph, scale), target)
            console.print(f"{target}: {scale} drawing of network {graph.graph['name']}")
        except RenderError as err:
            console.print(f"{target}: no drawing: {err}", style="red")
    t_evo = time.perf_counter() - t0

    train_dir = run / "trained" / f"01-{best['hash']}"
    tcfg = TrainConfig(epochs=1 if quick else 3, batch=32, lr=2e-3, seed=0)
    if quick:
        tcfg.limit = 100
    console.print(
        f"\n[bold]Training[/bold] the best architecture for {tcfg.epochs} epochs on N-Digits "
        + (
            "(a class-balanced 100 of the digits)"
            if quick
            else "(1,437 training / 360 test digits; the first run generates the dataset, "
            "about a minute)"
        )
        + f": {train_dir}/"
    )
    resume = (train_dir / CHECKPOINT).exists()
    result = train(
        evo.store.get(best["hash"]).text,
        tcfg,
        train_dir,
        resume=resume,
        progress=True,
        log=console.print,
        name=f"best of {run}",
    )
    evo.store.add_trained(
        best["hash"],
        result["test_accuracy"],
        result["epochs"],
        result["spikes_per_sample"],
        result["params"],
        str(train_dir),
    )
    console.print(
        f"\n[bold green]Result[/bold green]: test accuracy {result['test_accuracy']:.3f} after "
        f"{result['epochs']} epochs, {result['spikes_per_sample']:,.0f} spikes per sample, "
        f"{result['params']:,} parameters, {result['energy_j_per_sample'] * 1e6:.2f} µJ per sample (estimate). "
        f"Evolution {t_evo:.0f} s, total {time.perf_counter() - t0:.0f} s."
    )
    console.print(
        f"Curves: {train_dir / 'curves.png'}; front: {run / 'front.png'}; hypervolume: {run / 'hypervolume.png'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
