"""An evolution run: the generation loop, resume, results (settings in ``config.py``,
how a generation is bred in ``breeding.py``, selection in ``selection.py``).

Determinism: generation ``g`` draws from ``numpy.random.default_rng([seed, g])`` and
depends only on the stored population of generation ``g - 1`` and the genomes first
seen before ``g``. A run killed in the middle of generation ``g`` therefore redraws the
same children on resume, evaluates only those not yet in the store, and ends where an
uninterrupted run ends.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..util.fileio import DirectoryLock, atomic_write, real_directory
from .breeding import Breeding
from .config import Config, RunError, check_data, space_text
from .evaluate import INFRA, infra_failure
from .operators import Child, Rates, Validator
from .selection import hypervolume, nondominated_ranks, nsga2_order, objective_matrix
from .space import Node, SearchSpace
from .store import Record, Store

# ---------------------------------------------------------------- the run


class Evolution(Breeding):
    """One run directory: create with a Config, or reopen one with :meth:`resume`."""

    def __init__(self, cfg: Config, out: Path, progress: bool = True, log=print):
        self.cfg, self.out, self.progress, self.log = cfg, Path(out), progress, log
        cfg.validate()
        fresh = None
        self._data_checked = False
        if not (self.out / "store.sqlite").exists():
            # a new run: a missing dataset or a bad space creates nothing
            check_data(cfg.data)
            self._data_checked = True
            fresh = space_text(cfg)
        self.out.mkdir(parents=True, exist_ok=True)
        self.store = Store.open(self.out)
        stored = self.store.get_meta("config")
        if stored is None:
            text, origin, name = fresh or space_text(cfg)
            self.store.set_meta("config", cfg.to_json())
            self.store.set_meta("space", {"text": text, "origin": origin, "name": name})
            atomic_write(self.out / "config.json", json.dumps(cfg.to_json(), indent=2) + "\n")
            atomic_write(self.out / "space.lark", text)
        else:
            mine = {k: v for k, v in cfg.to_json().items() if k not in Config.RUNTIME}
            theirs = {
                k: v
                for k, v in Config.from_json(stored).to_json().items()
                if k not in Config.RUNTIME
            }
            if mine != theirs:
                diff = sorted(k for k in mine if mine[k] != theirs.get(k))
                raise RunError(
                    f"{self.out} holds a run with other settings ({', '.join(diff)})",
                    hint="resume it with `snarc evolve --resume DIR`, or choose a new --out",
                )
        meta = self.store.get_meta("space")
        self.space = SearchSpace(meta["text"], meta["origin"], meta["name"])
        self.objectives = cfg.objectives
        self.rates = Rates.parse(cfg.rates)
        self.validator = Validator(self.space, cfg.max_params)

    @classmethod
    def resume(
        cls, out: Path, progress: bool = True, log=print, extend: int | None = None, **settings
    ) -> Evolution:
        """Reopen a run. Runtime settings (executor, workers, timeout, ...) may change;
        any other setting given must equal the run's own (a changed one is refused,
        naming it). ``extend`` adds generations: each generation's draws depend only on
        (seed, generation), so the extended run equals one planned that long."""
        store_path = Path(out) / "store.sqlite"
        if not store_path.exists():
            raise RunError(f"{out} is not a run directory (no store.sqlite)")
        with Store(store_path) as st:
            data = st.get_meta("config")
            if data is None:
                raise RunError(f"{out}: the store holds no configuration")
            cfg = Config.from_json(data)
            for k, v in settings.items():
                if v is None:
                    continue
                if k not in Config.__dataclass_fields__:
                    raise RunError(f"unknown run setting '{k}'")
                if k in Config.RUNTIME:
                    setattr(cfg, k, v)
                elif v != getattr(cfg, k):
                    raise RunError(
                        f"{k} = {v}: the run in {out} was started with {k} = "
                        f"{getattr(cfg, k)}; a resumed run keeps its settings",
                        hint="start a new run (--out DIR) to change it"
                        + ("; add generations with --extend N" if k == "generations" else ""),
                    )
            if extend:
                cfg.generations += extend
                st.set_meta("config", cfg.to_json())
        if extend:
            atomic_write(Path(out) / "config.json", json.dumps(cfg.to_json(), indent=2) + "\n")
            log(f"{out}: extended to {cfg.generations} generations")
        return cls(cfg, out, progress, log)

    # ------------------------------------------------------------ helpers
    def _task(self, child: Child):
        from .evaluate import Task

        c = self.cfg
        return Task(
            child.hash,
            child.text,
            c.measures(),
            c.data,
            c.batch,
            c.seed,
            c.limit,
            c.layers,
            c.max_params,
            supernet=c.supernet,
            repeats=c.repeats,
        )

    def _matrix(self, hashes: list[str]) -> np.ndarray:
        records = [self.store.get(h) for h in hashes]
        return objective_matrix(
            records, self.objectives, self.store.get_meta("spikes_ref"), self.cfg.lam
        )

    def _tree(self, h: str) -> Node:
        return Node.from_json(json.loads(self.store.get(h).tree))

    # ------------------------------------------------------------ offspring
    # ------------------------------------------------------------ the loop
    def run(self) -> dict:
        """Evolve to the configured generation (resuming where the store ends), holding
        the run directory's lock so that no second process mixes its genomes in."""
        with DirectoryLock(self.out, "run"):
            real_directory(self.out / "front")  # refused now, not after the search
            return self._run()

    def _run(self) -> dict:

        cfg = self.cfg
        last = self.store.last_generation()
        start = 0 if last is None else last + 1
        per_gen = cfg.population - self._top_k() if cfg.mode == "scalar" else cfg.population
        total = cfg.population + per_gen * cfg.generations
        # infrastructure failures of earlier sessions: evaluated again, where they were
        stale = [r for r in self.store.records(before_generation=start) if r.status == INFRA]
        if start > cfg.generations and not stale:
            self.log(f"{self.out}: the run is complete ({cfg.generations} generations)")
            return self.write_results()
        if not self._data_checked:  # a resumed run: stop now, not genome by genome
            check_data(cfg.data)
            self._data_checked = True
        self.executor = None
        bar = None
        finished = False
        try:
            from tqdm import tqdm

            bar = tqdm(
                total=total,
                initial=min(total, cfg.population + per_gen * (start - 1)) if start else 0,
                unit="eval",
                desc="evolve",
                disable=not self.progress,
                dynamic_ncols=True,
            )
            population = self.store.population(start - 1) if start else []
            for gen in sorted({r.generation for r in stale}):
                self._evaluate([self._child(r) for r in stale if r.generation == gen], gen)
            for g in range(start, cfg.generations + 1):
                t0 = time.perf_counter()
                rng = np.random.default_rng([cfg.seed, g])
                seen = self.store.hashes(before_generation=g)
                if g == 0:
                    children, invalid, dups = self._initial(rng, seen)
                else:
                    children, invalid, dups = self._offspring(population, rng, seen)
                if not children:
                    raise RunError(
                        f"generation {g}: no valid child in {cfg.retries} tries per child"
                    )
                todo = [c for c in children if self._needs_evaluation(c.hash)]
                bar.update(len(children) - len(todo))
                self._evaluate(todo, g, bar)
                if g == 0:
                    self._normalisation([c.hash for c in children])
                population = self._survivors(population, children)
                F = self._matrix(population)
                first = nondominated_ranks(F) == 0
                hv = hypervolume(F[first], self.store.get_meta("norm"))
                ok = F[np.isfinite(F[:, 0]), 0]
                best = (
                    None
                    if len(ok) == 0
                    else float(-ok.min() if self.objectives[0].direction == "max" else ok.min())
                )
                self.store.save_generation(
                    g,
                    population,
                    {
                        # children new to the run (not those a resume found already done)
                        "evaluations": sum(1 for c in children if c.hash not in seen),
                        "invalid": invalid,
                        "duplicates": dups,
                        "hypervolume": hv,
                        "best": best,
                        "wall": time.perf_counter() - t0,
                    },
                )
                front = int(first.sum())
                bar.set_postfix_str(
                    f"gen {g}/{cfg.generations} front {front}"
                    + (f" hv {hv:.3f}" if hv is not None else "")
                    + (f" best {self.objectives[0].name} {best:.4g}" if best is not None else "")
                )
            finished = True
        finally:
            if bar is not None:
                bar.close()
            if self.executor is not None:
                self.executor.close(abort=not finished)
                self.executor = None
        return self.write_results()

    @staticmethod
    def _child(rec: Record) -> Child:
        tree = Node.from_json(json.loads(rec.tree))
        return Child(tree, rec.text, rec.hash, rec.parents, rec.operator)

    def _needs_evaluation(self, h: str) -> bool:
        rec = self.store.get(h)
        return rec is None or rec.status == INFRA

    def _evaluate(self, todo: list[Child], generation: int, bar=None) -> None:
        """Evaluate ``todo`` and store each result as it arrives. Infrastructure failures
        (see :mod:`snarc.evolution.evaluate`) are retried on a fresh executor up to
        ``cfg.infra_retries`` times; what still fails is stored as ``infra``."""
        from .executors import make_executor

        cfg = self.cfg
        pending, reasons = list(todo), {}
        for attempt in range(cfg.infra_retries + 1):
            if not pending:
                return
            if attempt:
                self.log(
                    f"retrying {len(pending)} evaluation(s) on a fresh executor "
                    f"(attempt {attempt + 1}/{cfg.infra_retries + 1}): {reasons[pending[0].hash]}"
                )
            if self.executor is None:
                self.executor = make_executor(cfg.executor, cfg.workers, cfg.timeout, cfg.address)
            again = []
            for i, res in self.executor.map([self._task(c) for c in pending]):
                c = pending[i]
                if res["status"] == INFRA:
                    again.append(c)
                    reasons[c.hash] = res["error"]
                    continue
                self._store(c, res, generation)
                if bar is not None:
                    bar.update(1)
            if again:  # a broken pool cannot be trusted with the retries
                self.executor.close(abort=True)
                self.executor = None
            pending = again
        for c in pending:
            err = f"{reasons[c.hash]} (after {cfg.infra_retries + 1} attempts; evaluated again on resume)"
            self._store(
                c,
                infra_failure(err),
                generation,
            )
            if bar is not None:
                bar.update(1)

    def _store(self, c: Child, res: dict, generation: int) -> None:
        self.store.add(
            Record(
                c.hash,
                c.text,
                c.tree.dumps(),
                res["status"],
                res["measures"],
                res["error"],
                res["wall"],
                generation,
                c.parents,
                c.operator,
            )
        )

    def _normalisation(self, hashes: list[str]) -> None:
        if self.cfg.spikes_ref is not None:
            self.store.set_meta("spikes_ref", self.cfg.spikes_ref)
        elif self.store.get_meta("spikes_ref") is None:
            from .config import definition

            # the spikes an objective weighs: with random weights, or a supernet's
            name = next(
                (getattr(definition(o.name), "spikes", None) for o in self.objectives
                 if getattr(definition(o.name), "spikes", None)),
                "spikes",
            )  # fmt: skip
            spikes = [
                r.measures[name]
                for r in map(self.store.get, hashes)
                if r.ok and r.measures.get(name, 0) > 0
            ]
            self.store.set_meta("spikes_ref", float(np.median(spikes)) if spikes else 1.0)
        F = self._matrix(hashes)
        ok = F[np.all(np.isfinite(F), axis=1)]
        if len(ok):
            self.store.set_meta("norm", {"ideal": ok.min(0).tolist(), "nadir": ok.max(0).tolist()})

    # ------------------------------------------------------------ results
    def front(self) -> list[Record]:
        """The final population's first front, best first by the first objective (for one
        objective: the final population, best first)."""
        last = self.store.last_generation()
        if last is None:
            return []
        pop = self.store.population(last)
        F = self._matrix(pop)
        first = (
            np.arange(len(pop)) if F.shape[1] == 1 else np.flatnonzero(nondominated_ranks(F) == 0)
        )
        idx = [i for i in first if np.all(np.isfinite(F[i]))]
        idx.sort(key=lambda i: (tuple(F[i]), pop[i]))
        return [self.store.get(pop[i]) for i in idx]

    def write_results(self) -> dict:
        from .results import write_results

        return write_results(self)


__all__ = [
    "INFRA",
    "Config",
    "Evolution",
    "RunError",
    "check_data",
    "hypervolume",
    "nondominated_ranks",
    "nsga2_order",
    "objective_matrix",
    "space_text",
]
