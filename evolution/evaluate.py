"""Evaluating genomes: one picklable task function, and the executors that run it.

``evaluate(task)`` compiles a genome, seeds its initial weights from the run seed and
the genome's hash (so an architecture scores the same wherever it runs), scores it on
the run's class-balanced batch and returns plain data. It never raises: a bad genome
comes back with ``status = "failed"`` and the error text (``"infra"`` when the
failure lies outside the genome, such as unreadable data).

Executors run many tasks and yield ``(index, result)`` as they finish:

* ``serial`` - in this process;
* ``process`` - a pool of worker processes (default: one per core) through pebble,
  which restarts a worker that crashes and kills one that runs past the timeout;
* ``ray`` - Ray tasks on a local instance or a cluster (``--address``).

For the same tasks every executor gives the same results: each evaluation sets its
own seed and uses one thread, whatever process it lands in.

Two kinds of failure are kept apart. A *genome* failure (status ``failed``: the
program does not compile, its forward pass raises, it asks for too much memory) is a
result and is stored. An *infrastructure* failure (status ``infra``: a worker died, the
pool broke, an evaluation ran past the timeout, the data could not be read) says
nothing about the genome: the run retries it on a fresh pool, and what still fails
after the retries is stored as ``infra`` and evaluated again on resume.
"""

from __future__ import annotations

import os
import time
import traceback
import warnings
from collections.abc import Iterator
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


def seed_for(run_seed: int, h: str) -> int:
    return (int(h, 16) ^ (run_seed * 0x9E3779B97F4A7C15)) % (2**63 - 1)


def _batch(net, task: Task):
    key = (
        task.data,
        task.batch,
        task.seed,
        task.limit,
        net.timesteps,
        net.input_kind,
        tuple(net.input_shape),
    )
    if key not in _BATCHES:
        from ..data.batches import class_balanced_batch

        _BATCHES[key] = class_balanced_batch(net, task.batch, task.seed, task.limit, task.data)
    return _BATCHES[key]


def evaluate(task: Task) -> dict:
    """Score one genome; returns ``{status, measures, error, wall, warnings}``."""
    t0 = time.perf_counter()
    try:
        import torch

        from ..compiler import compile as compile_net
        from ..dsl import DEFAULT_MAX_PARAMS, parse
        from ..fitness import score
        from ..util.allocator import tune_allocator

        tune_allocator()
        torch.set_num_threads(task.threads)
        torch.manual_seed(seed_for(task.seed, task.hash))
        # program text, parsed as text (never taken for a path); the parent validated it
        module = parse(task.text, f"<genome {task.hash}>")
        net = compile_net(module, max_params=task.max_params or DEFAULT_MAX_PARAMS)
        x, labels = _batch(net, task)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            measures = score(net, x, labels, fitness=task.measures, layers=task.layers)
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


# ---------------------------------------------------------------- executors


def default_workers() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


class SerialExecutor:
    name = "serial"

    def __init__(self, workers: int = 1, timeout: float | None = None, **_):
        self.timeout = timeout

    def map(self, tasks: list[Task]) -> Iterator[tuple[int, dict]]:
        for i, t in enumerate(tasks):
            yield i, evaluate(t)

    def close(self, abort: bool = False) -> None:
        pass


def _warm():
    import torch  # noqa: F401 - the first task should not pay for the import

    from .. import compiler  # noqa: F401


class ProcessExecutor:
    """A pebble process pool (spawned workers, one thread each).

    A worker killed at the wrong moment can make pebble lose a task: it was taken from
    the queue but never started, so its future never completes. ``map`` therefore
    watches for a stall — tasks waiting, none running, nothing finished for ``STALL``
    seconds (``$SNARC_POOL_STALL``; far longer than a worker's start-up) — and reports
    the waiting tasks as infrastructure failures instead of waiting for ever.
    """

    name = "process"
    STALL = 30.0

    def __init__(self, workers: int | None = None, timeout: float | None = None, **_):
        import multiprocessing

        from pebble import ProcessPool

        self.workers = workers or default_workers()
        self.timeout = timeout
        self.pool = ProcessPool(
            max_workers=self.workers,
            context=multiprocessing.get_context("spawn"),
            initializer=_warm,
        )

    def map(self, tasks: list[Task]) -> Iterator[tuple[int, dict]]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures import TimeoutError as FutureTimeout

        from pebble import ProcessExpired

        futures = {}
        for i, t in enumerate(tasks):
            try:
                futures[self.pool.schedule(evaluate, (t,), timeout=self.timeout)] = i
            except RuntimeError as err:  # the pool broke (a worker died while starting)
                yield i, infra_failure(f"the worker pool is not running ({err})")
        pending = set(futures)
        stall = float(os.environ.get("SNARC_POOL_STALL", self.STALL))
        progress = time.monotonic()
        while pending:
            done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            now = time.monotonic()
            if done:
                progress = now
            elif now - progress > stall and not any(f.running() for f in pending):
                for f in pending:
                    f.cancel()
                    yield (
                        futures[f],
                        infra_failure(f"the worker pool stalled: no task started for {stall:g} s"),
                    )
                return
            for f in done:
                i = futures[f]
                try:
                    yield i, f.result()
                except FutureTimeout:
                    yield (
                        i,
                        infra_failure(
                            f"evaluation ran past the timeout of {self.timeout:g} s",
                            self.timeout or 0.0,
                        ),
                    )
                except ProcessExpired as err:
                    yield i, infra_failure(f"the worker process died (exit code {err.exitcode})")
                except Exception as err:  # a broken pool (BrokenProcessPool), pickling
                    yield i, infra_failure(f"the worker failed: {type(err).__name__}: {err}")

    def close(self, abort: bool = False) -> None:
        """Wait for the workers; with ``abort`` (an interrupted run) stop them at once."""
        if abort:
            self.pool.stop()
        else:
            self.pool.close()
        self.pool.join()


class RayExecutor:
    """Ray tasks, one CPU each, on ``address`` (a cluster) or a local instance."""

    name = "ray"

    def __init__(
        self,
        workers: int | None = None,
        timeout: float | None = None,
        address: str | None = None,
        **_,
    ):
        try:
            import ray
        except ImportError:
            from ..dsl.errors import SnarcError

            raise SnarcError(
                "the Ray executor needs Ray", hint="pip install 'snarc[ray]' (or pip install ray)"
            ) from None
        self.ray = ray
        self.timeout = timeout
        self.started = False
        if not ray.is_initialized():
            kwargs = {"address": address} if address else {"num_cpus": workers or default_workers()}
            ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR", **kwargs)
            self.started = True
        self.remote = ray.remote(num_cpus=1, max_retries=0)(evaluate)

    def map(self, tasks: list[Task]) -> Iterator[tuple[int, dict]]:
        ray = self.ray
        refs = {self.remote.remote(t): i for i, t in enumerate(tasks)}
        started = {r: time.monotonic() for r in refs}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=1.0)
            for r in done:
                try:
                    yield refs[r], ray.get(r)
                except Exception as err:  # a worker that died, or a cancelled task
                    yield refs[r], infra_failure(f"the Ray task failed: {type(err).__name__}")
            if self.timeout:
                now = time.monotonic()
                for r in [r for r in pending if now - started[r] > self.timeout]:
                    ray.cancel(r, force=True)
                    pending.remove(r)
                    yield (
                        refs[r],
                        infra_failure(
                            f"evaluation ran past the timeout of {self.timeout:g} s", self.timeout
                        ),
                    )

    def close(self, abort: bool = False) -> None:
        if self.started:
            self.ray.shutdown()


EXECUTORS = {"serial": SerialExecutor, "process": ProcessExecutor, "ray": RayExecutor}


def make_executor(
    name: str, workers: int | None = None, timeout: float | None = None, address: str | None = None
):
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor '{name}': one of {', '.join(EXECUTORS)}")
    return EXECUTORS[name](workers=workers, timeout=timeout, address=address)
