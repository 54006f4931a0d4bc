"""Building a ground-truth table: draw N distinct valid programs of a space, train each
with the table's recipe and every seed, on an executor (serial, a process pool, Ray).

The draw is deterministic and prefix-stable: the first N programs of a larger draw are
the N of a smaller one, so ``--n`` can grow on a later machine and only the new
architectures are trained. ``--seeds`` can grow the same way. The space, the draw seed
and the recipe are fixed when the table is made: a table mixing recipes would not be a
ground truth.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..dsl.errors import SnarcError
from ..util.fileio import DirectoryLock
from .evaluate import FAILED, INFRA, OK, infra_failure
from .groundtruth import GroundTruth
from .operators import random_genome
from .space import genome_hash, load_space


class GroundTruthError(SnarcError):
    kind = "ground-truth error"


@dataclass(frozen=True)
class Recipe:
    """The one training recipe of a table (``snarc train``'s settings)."""

    data: str = "ndigits-hard"
    epochs: int = 3
    batch: int = 32
    lr: float = 2e-3
    limit: int | None = None


@dataclass(frozen=True)
class TrainJob:
    hash: str
    text: str
    seed: int
    recipe: Recipe
    out: str  # the training directory (resumes from its last epoch)
    threads: int = 1


def distinct_programs(space_name: str, n: int, seed: int) -> list[tuple[str, str]]:
    """The first ``n`` distinct programs ``(hash, canonical text)`` of a seeded draw that
    elaborate; prefix-stable in ``n``."""
    space = load_space(space_name)
    rng = np.random.default_rng(seed)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise GroundTruthError(
                f"space '{space_name}' gave only {len(out)} distinct valid programs in {tries} draws"
            )
        try:
            text, module = space.parsed(random_genome(space, rng))
            h = genome_hash(text)
            if h in seen:
                continue
            space.validate(module)
        except SnarcError:
            continue
        seen.add(h)
        out.append((h, text))
    return out


def train_job(job: TrainJob) -> dict:
    """Train one (architecture, seed) in a worker; plain data back, never raises."""
    t0 = time.perf_counter()
    try:
        import torch

        from ..training.config import CHECKPOINT, TrainConfig
        from ..training.loop import train
        from ..util.allocator import tune_allocator

        tune_allocator()
        torch.set_num_threads(job.threads)
        cfg = TrainConfig(**asdict(job.recipe), seed=job.seed, threads=job.threads)
        out = Path(job.out)
        res = train(
            job.text,
            cfg,
            out,
            resume=(out / CHECKPOINT).exists(),
            progress=False,
            log=lambda *_: None,
            name=f"<architecture {job.hash}>",
        )
        keep = ("epoch", "train_loss", "train_accuracy", "test_accuracy", "wall_s")
        history = [{k: h[k] for k in keep if k in h} for h in res["history"]]
        return {
            "status": OK,
            "test_accuracy": res["test_accuracy"],
            "train_loss": res["train_loss"],
            "spikes": res.get("spikes_per_sample"),
            "sops": res.get("sops_per_sample"),
            "params": res["params"],
            "wall_s": sum(h["wall_s"] for h in history),
            "history": history,
            "error": None,
        }
    except Exception as err:
        from ..data.real import DatasetError

        if isinstance(err, DatasetError | OSError):  # the machine, not the architecture
            return infra_failure(str(err), time.perf_counter() - t0)
        return {"status": FAILED, "error": f"{type(err).__name__}: {err}", "wall_s": 0.0}


def _check_meta(table: GroundTruth, space: str, draw_seed: int, recipe: Recipe) -> None:
    mine = {"space": space, "draw_seed": draw_seed, "recipe": asdict(recipe)}
    for key, value in mine.items():
        held = table.get_meta(key)
        if held is None:
            table.set_meta(key, value)
        elif held != value:
            raise GroundTruthError(
                f"{table.path} was built with {key} {held}, not {value}",
                hint="extend a table with its own settings, or start a new directory",
            )


def build(
    directory: str | Path,
    space: str,
    n: int,
    seeds: int = 2,
    recipe: Recipe = Recipe(),
    draw_seed: int = 0,
    executor: str = "process",
    workers: int | None = None,
    address: str | None = None,
    retries: int = 2,
    progress: bool = True,
    log=print,
) -> GroundTruth:
    """Train what the table at ``directory`` still lacks for ``n`` architectures ×
    ``seeds`` seeds; returns the (open) table."""
    from .executors import map_retrying

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with DirectoryLock(directory, "ground-truth build"):
        table = GroundTruth(directory)
        _check_meta(table, space, draw_seed, recipe)
        table.set_meta("seeds", max(seeds, table.get_meta("seeds", 0)))
        table.add_archs(distinct_programs(space, n, draw_seed))
        done = table.done()
        jobs = [
            TrainJob(a["hash"], a["text"], s, recipe, str(directory / "runs" / f"{a['hash']}-{s}"))
            for a in table.archs()[:n]
            for s in range(seeds)
            if (a["hash"], s) not in done
        ]
        log(f"{table.path}: {n} architectures x {seeds} seeds, {len(jobs)} trainings to run")
        bar = None
        if progress and jobs:
            from tqdm import tqdm

            bar = tqdm(total=len(jobs), desc="ground truth", unit="training")
        lost = 0
        for i, res in map_retrying(jobs, train_job, executor, workers, None, address, retries):
            job = jobs[i]
            table.put_run(job.hash, job.seed, res)  # a lost one as infra: retried on resume
            lost += res["status"] == INFRA
            if bar is not None and res["status"] != INFRA:
                bar.update()
                if res["status"] == OK:
                    bar.set_postfix(acc=f"{res['test_accuracy']:.3f}")
        if bar is not None:
            bar.close()
        if lost:
            log(f"{lost} trainings still lost after {retries} retries: run again to retry")
        return table
