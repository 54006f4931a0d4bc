"""Executors: run one picklable task function over many tasks, yielding ``(index, result)``
as they finish.

* ``serial`` - in this process;
* ``process`` - a pool of worker processes (default: one per core) through pebble,
  which restarts a worker that crashes and kills one that runs past the timeout;
* ``ray`` - Ray tasks on a local instance or a cluster (``--address``).

The function (default :func:`snarc.evolution.evaluate.evaluate`; the ground-truth
table and the multi-fidelity rungs train instead) returns a dict with a ``status``; a
task lost to the machinery around it (a dead worker, a timeout, a broken pool) comes
back as :func:`~snarc.evolution.evaluate.infra_failure`, status ``infra``, for the caller
to retry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

from .evaluate import INFRA, evaluate, infra_failure


def default_workers() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


class SerialExecutor:
    name = "serial"

    def __init__(
        self, workers: int = 1, timeout: float | None = None, fn: Callable = evaluate, **_
    ):
        self.timeout, self.fn = timeout, fn

    def map(self, tasks: list) -> Iterator[tuple[int, dict]]:
        for i, t in enumerate(tasks):
            yield i, self.fn(t)

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

    def __init__(
        self,
        workers: int | None = None,
        timeout: float | None = None,
        fn: Callable = evaluate,
        **_,
    ):
        import multiprocessing

        from pebble import ProcessPool

        self.workers = workers or default_workers()
        self.timeout, self.fn = timeout, fn
        self.pool = ProcessPool(
            max_workers=self.workers,
            context=multiprocessing.get_context("spawn"),
            initializer=_warm,
        )

    def map(self, tasks: list) -> Iterator[tuple[int, dict]]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures import TimeoutError as FutureTimeout

        from pebble import ProcessExpired

        futures = {}
        for i, t in enumerate(tasks):
            try:
                futures[self.pool.schedule(self.fn, (t,), timeout=self.timeout)] = i
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
        fn: Callable = evaluate,
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
        self.remote = ray.remote(num_cpus=1, max_retries=0)(fn)

    def map(self, tasks: list) -> Iterator[tuple[int, dict]]:
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
    name: str,
    workers: int | None = None,
    timeout: float | None = None,
    address: str | None = None,
    fn: Callable = evaluate,
):
    """The executor ``name`` running ``fn`` (default: scoring genomes)."""
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor '{name}': one of {', '.join(EXECUTORS)}")
    return EXECUTORS[name](workers=workers, timeout=timeout, address=address, fn=fn)


def map_retrying(
    tasks: list,
    fn: Callable,
    name: str = "process",
    workers: int | None = None,
    timeout: float | None = None,
    address: str | None = None,
    retries: int = 2,
) -> Iterator[tuple[int, dict]]:
    """``(index, result)`` for every task, as they finish. A task lost to the machinery
    (status ``infra``) runs again on a fresh executor, up to ``retries`` times; one still
    lost after that comes back with its ``infra`` result for the caller to keep or retry
    later. Stopping the iteration (an interrupt, an error in the caller) stops the
    workers at once."""
    todo = list(range(len(tasks)))
    for attempt in range(retries + 1):
        ex = make_executor(name, workers, timeout, address, fn=fn)
        lost = []
        try:
            for j, res in ex.map([tasks[k] for k in todo]):
                if res["status"] == INFRA and attempt < retries:
                    lost.append(todo[j])
                else:
                    yield todo[j], res
        except BaseException:  # GeneratorExit too: the caller stopped listening
            ex.close(abort=True)
            raise
        ex.close()
        if not lost:
            return
        todo = lost
