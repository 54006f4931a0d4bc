"""Evaluating genomes: one picklable task function, and the executors that run it.

``evaluate(task)`` compiles a genome, seeds its initial weights from the run seed and
the genome's hash (so an architecture scores the same wherever it runs), scores it on
the run's class-balanced batch (and trains it, for ``acc@E``: see
:mod:`snarc.evolution.fidelity`) and returns plain data. It never raises: a bad genome
comes back with ``status = "failed"`` and the error text (``"infra"`` when the
failure lies outside the genome, such as unreadable data).

The executors of :mod:`snarc.evolution.executors` run many tasks: for the same tasks
every executor gives the same results, since each evaluation sets its own seed and uses
one thread, whatever process it lands in.

Two kinds of failure are kept apart. A *genome* failure (status ``failed``: the
program does not compile, its forward pass raises, it asks for too much memory) is a
result and is stored. An *infrastructure* failure (status ``infra``: a worker died, the
pool broke, an evaluation ran past the timeout, the data could not be read) says
nothing about the genome: the run retries it on a fresh pool, and what still fails
after the retries is stored as ``infra`` and evaluated again on resume.
"""

from __future__ import annotations

import time
import traceback
import warnings
from dataclasses import dataclass

_BATCHES: dict = {}
OK, FAILED, INFRA = "ok", "failed", "infra"


@dataclass(frozen=True)
class Task:
    hash: str
    text: str
    measures: tuple[str, ...]
    data: str = "ndigits"
    batch: int = 50
    seed: int = 0
    limit: int | None = None
    layers: str = "populations"
    max_params: int | None = None
    threads: int = 1
    supernet: str | None = None  # a trained supernet's directory (supernet_acc, _spikes)
    repeats: int = 1  # scoring batches; each training-free score is their mean


def seed_for(run_seed: int, h: str) -> int:
    return (int(h, 16) ^ (run_seed * 0x9E3779B97F4A7C15)) % (2**63 - 1)


def _batch(net, task: Task, repeat: int = 0):
    key = (
        task.data,
        task.batch,
        task.seed,
        task.limit,
        net.timesteps,
        net.input_kind,
        tuple(net.input_shape),
        repeat,
    )
    if key not in _BATCHES:
        from ..data.batches import class_balanced_batch

        _BATCHES[key] = class_balanced_batch(
            net, task.batch, task.seed, task.limit, task.data, repeat=repeat
        )
    return _BATCHES[key]


def _scores(net, task: Task, free: tuple[str, ...]) -> dict[str, float]:
    """The training-free scores, each the mean over ``task.repeats`` disjoint batches
    (SNASNet's and MSE-NAS's released searches score two)."""
    from ..fitness import score

    runs = []
    for r in range(task.repeats):
        x, labels = _batch(net, task, r)
        runs.append(score(net, x, labels, fitness=free, layers=task.layers))
    return {k: sum(run[k] for run in runs) / len(runs) for k in free}


def evaluate(task: Task) -> dict:
    """Score one genome; returns ``{status, measures, error, wall, warnings}``."""
    t0 = time.perf_counter()
    try:
        import torch

        from ..compiler import compile as compile_net
        from ..dsl import DEFAULT_MAX_PARAMS, parse
        from ..util.allocator import tune_allocator

        tune_allocator()
        torch.set_num_threads(task.threads)
        torch.manual_seed(seed_for(task.seed, task.hash))
        # program text, parsed as text (never taken for a path); the parent validated it
        module = parse(task.text, f"<genome {task.hash}>")
        net = compile_net(module, max_params=task.max_params or DEFAULT_MAX_PARAMS)
        from .fidelity import SUPERNET, trained
        from .fidelity import measure as measure_trained

        later = {m: trained(m) for m in task.measures if trained(m) is not None}
        free = tuple(m for m in task.measures if m not in later)
        own = {m: spec for m, spec in later.items() if m not in SUPERNET}  # trained here
        start = {k: v.clone() for k, v in net.state_dict().items()} if own else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            measures = _scores(net, task, free) if free else {}
            if len(own) < len(later):  # accuracy and spikes from one pass on the supernet
                from .supernet_train import measure_one

                inherited = measure_one(task.supernet, task.text)
                measures.update({m: inherited[m] for m in later if m in SUPERNET})
            for name, spec in own.items():  # each from the same initial weights
                net.load_state_dict(start)
                measures[name] = measure_trained(net, spec, task.data, task.seed, task.limit)
        return {
            "status": OK,
            "measures": {k: float(v) for k, v in measures.items()},
            "error": None,
            "wall": time.perf_counter() - t0,
            "warnings": sorted({str(w.message) for w in caught}),
        }
    except Exception as err:  # a failed genome is data, never a crash of the run
        from ..data.real import DatasetError
        from ..dsl.errors import SnarcError

        if isinstance(err, DatasetError):  # the data, not the genome
            return infra_failure(str(err), time.perf_counter() - t0)
        msg = (
            str(err)
            if isinstance(err, SnarcError)
            else "".join(traceback.format_exception_only(err)).strip()
        )
        return {
            "status": FAILED,
            "measures": {},
            "error": msg,
            "wall": time.perf_counter() - t0,
            "warnings": [],
        }


def infra_failure(reason: str, wall: float = 0.0) -> dict:
    """A failure of the machinery around a genome (retried; never final)."""
    return {"status": INFRA, "measures": {}, "error": reason, "wall": wall, "warnings": []}
