"""Successive halving: a multi-fidelity search over a space (Jamieson & Talwalkar 2016,
the inner loop of Hyperband, Li et al. 2018).

``n`` distinct programs are drawn from the space (seeded, as ``snarc bench`` draws) and
measured at the first rung, a cheap measure (a training-free score); the best
``1/eta`` of them are promoted to the next rung (``acc@1``: a short training), the best
of those to the next (``acc@3``), and so on; the pick is the best at the last rung.
Every rung is a measure of :mod:`snarc.evolution.config` (``NAME[:max|min]``): a score,
or a trained measure of :mod:`snarc.evolution.fidelity`.

Why not Optuna's or Ray Tune's schedulers: both prune *trials* that report a learning
curve step by step, and assume one objective climbing with the budget; here the rungs
are different measures (a score, then accuracies), the genomes are parse trees drawn
from a grammar, and the run must resume from its own store without re-measuring a
finished rung, which a few dozen lines over SQLite do exactly (docs/data-and-fitness.md).

Every result is committed to ``OUT/halving.sqlite`` as it arrives; a killed run resumes
where it stopped. Ties are broken by draw order; a genome whose measure failed is
ranked last and promoted only when nothing else is left.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..dsl.errors import SnarcError
from ..util.fileio import DirectoryLock, atomic_write
from .config import Objective
from .evaluate import INFRA, OK, Task, evaluate
from .sqlite_store import SQLiteStore, changed_settings
from .store import check_hash

NAME = "halving.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (idx INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,
                                       text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    rung INTEGER NOT NULL, hash TEXT NOT NULL, status TEXT NOT NULL, value REAL,
    measures TEXT NOT NULL, error TEXT, wall REAL NOT NULL, PRIMARY KEY (rung, hash)
);
"""


class HalvingError(SnarcError):
    kind = "search error"


@dataclass
class HalvingConfig:
    space: str = "autosnn"
    n: int = 27
    rungs: list[str] = field(default_factory=lambda: ["rdm_target", "acc@1", "acc@3"])
    eta: int = 3
    seed: int = 0
    data: str = "ndigits"
    batch: int = 50
    limit: int | None = 600
    max_params: int | None = None
    supernet: str | None = None  # a trained supernet, for supernet_acc / supernet_spikes rungs
    executor: str = "process"
    workers: int | None = None
    timeout: float | None = None
    address: str | None = None
    retries: int = 2

    RUNTIME = ("executor", "workers", "timeout", "address", "retries")

    def objectives(self) -> list[Objective]:
        from .config import definition

        out = [Objective.parse(r) for r in self.rungs]
        for o in out:
            if getattr(definition(o.name), "combine", None) is not None:
                raise HalvingError(
                    f"rung '{o.name}' combines other scores: give a score or acc@E as a rung"
                )
        return out

    def validate(self) -> None:
        from .fidelity import SUPERNET

        if not self.rungs:
            raise HalvingError("give at least one rung")
        if not self.supernet and any(r.partition(":")[0] in SUPERNET for r in self.rungs):
            raise HalvingError("a supernet rung needs a trained supernet: --supernet DIR")
        if self.eta < 2:
            raise HalvingError(f"eta = {self.eta}: keep 1/eta per rung with eta >= 2")
        self.objectives()


def rung_sizes(n: int, eta: int, rungs: int) -> list[int]:
    """How many genomes each rung measures: ``n``, then ``n // eta`` (at least 1), ..."""
    sizes = [n]
    for _ in range(rungs - 1):
        sizes.append(max(1, sizes[-1] // eta))
    return sizes


def promote(values: list[float], keep: int, direction: str) -> list[int]:
    """Indices of the ``keep`` best ``values`` (NaN last; ties by index), best first."""

    def key(i: int):
        v = values[i]
        if v is None or not math.isfinite(v):
            return (1, 0.0, i)
        return (0, -v if direction == "max" else v, i)

    return sorted(range(len(values)), key=key)[:keep]


class HalvingStore(SQLiteStore):
    NAME, SCHEMA, WHAT = NAME, SCHEMA, "halving store"

    def add_candidates(self, programs: list[tuple[str, str]]) -> None:
        with self.db:
            for i, (h, text) in enumerate(programs):
                self.db.execute(
                    "INSERT OR IGNORE INTO candidates VALUES (?, ?, ?)", (i, check_hash(h), text)
                )

    def put(self, rung: int, h: str, res: dict, value: float | None) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                (rung, check_hash(h), res["status"], value, json.dumps(res.get("measures", {})),
                 res.get("error"), float(res.get("wall", 0.0))),
            )  # fmt: skip

    def results(self, rung: int) -> dict[str, dict]:
        rows = self.db.execute(
            "SELECT hash, status, value, measures, error, wall FROM results WHERE rung = ?",
            (rung,),
        ).fetchall()
        return {
            check_hash(h): {"status": s, "value": v, "measures": json.loads(m), "error": e,
                            "wall": w}
            for h, s, v, m, e, w in rows
            if s != INFRA
        }  # fmt: skip


def run(cfg: HalvingConfig, out: str | Path, progress: bool = True, log=print) -> dict:
    """Run (or resume) successive halving in ``out``; returns the pick and every rung."""
    from .groundtruth_build import distinct_programs

    cfg.validate()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    objectives = cfg.objectives()
    with DirectoryLock(out, "search"):
        store = HalvingStore(out)
        try:
            saved = store.get_meta("config")
            if saved is not None:
                changed = changed_settings(asdict(cfg), saved, cfg.RUNTIME)
                if changed:
                    raise HalvingError(
                        f"{out} holds a search with other settings ({', '.join(changed)})",
                        hint="resume it with its own settings, or choose a new directory",
                    )
            store.set_meta("config", asdict(cfg))
            programs = distinct_programs(cfg.space, cfg.n, cfg.seed)
            store.add_candidates(programs)
            text = dict(programs)
            order = {h: i for i, (h, _) in enumerate(programs)}
            current = [h for h, _ in programs]
            sizes = rung_sizes(cfg.n, cfg.eta, len(objectives))
            rungs = []
            for r, o in enumerate(objectives):
                t0 = time.perf_counter()
                done = store.results(r)
                todo = [h for h in current if h not in done]
                lost = _measure(store, r, o, todo, text, cfg, progress) if todo else []
                if lost:
                    raise HalvingError(
                        f"rung {r} ({o}): {len(lost)} evaluations lost to the machinery "
                        f"after {cfg.retries} retries", hint="run again to retry them"
                    )  # fmt: skip
                done = store.results(r)
                values = [done[h]["value"] for h in current]
                keep = sizes[r + 1] if r + 1 < len(sizes) else 1
                best = [current[i] for i in promote(values, keep, o.direction)]
                rungs.append({
                    "rung": r, "measure": str(o), "measured": len(current),
                    "promoted": len(best) if r + 1 < len(objectives) else 0,
                    "values": {h: done[h]["value"] for h in current},
                    "seconds": sum(done[h]["wall"] for h in current),
                    "wall": time.perf_counter() - t0,
                })  # fmt: skip
                if progress:
                    top = done[best[0]]["value"]
                    log(f"rung {r} {o}: {len(current)} measured, best {top}")
                current = sorted(best, key=order.get) if r + 1 < len(objectives) else best
            pick = current[0]
            result = {
                "pick": pick,
                "text": text[pick],
                "value": rungs[-1]["values"][pick],
                "measure": rungs[-1]["measure"],
                "rungs": rungs,
                "seconds": sum(r["seconds"] for r in rungs),
            }
            atomic_write(out / "result.json", json.dumps(result, indent=1))
            atomic_write(out / "pick.snarc", text[pick])
            return result
        finally:
            store.close()


def _measure(store, r, objective, todo, text, cfg, progress) -> list[str]:
    """Measure ``todo`` at rung ``r`` (retrying what the machinery loses); returns those
    still lost."""
    from .executors import map_retrying

    tasks = [
        Task(h, text[h], (objective.name,), cfg.data, cfg.batch, cfg.seed, cfg.limit,
             max_params=cfg.max_params, supernet=cfg.supernet)
        for h in todo
    ]  # fmt: skip
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc=f"rung {r} {objective}", unit="genome", leave=False)
    lost = []
    try:
        for i, res in map_retrying(tasks, evaluate, cfg.executor, cfg.workers, cfg.timeout,
                                   cfg.address, cfg.retries):  # fmt: skip
            if res["status"] == INFRA:
                lost.append(todo[i])
                continue
            value = res["measures"].get(objective.name) if res["status"] == OK else None
            store.put(r, todo[i], res, value)
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
    return lost
