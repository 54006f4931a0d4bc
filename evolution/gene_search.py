"""Evolving the initial genetic encodings of a fixed program with CMA-ES (``snarc
evolve-genes``): the second half of the genetically scaled SNN encoding.

The search vector is every gene of the program (:class:`~.gene_codec.GeneCodec`: the
``X`` of every population in a gene pool and every pool's interaction ``O``), started
at the program's seeded initial genes. Each generation CMA-ES (pycma, Hansen's reference
implementation, already installed with pymoo) proposes ``popsize`` encodings; each is
measured (:mod:`.gene_fitness`: a short training's validation accuracy, or a
training-free score) and regularised (:mod:`snarc.fitness.genes`)::

    fitness(x) = measure(x) + λ_H · mean over pools H(O_x) − λ_TD · TD(x, best of t−1)

Above 1000 genes CMA-ES runs with a diagonal covariance (sep-CMA-ES, linear in the
number of genes); below, with the full one.

Reproducible and resumable: CMA-ES draws its samples from its own generator seeded by
the run's seed; every finished generation is committed to ``genes.sqlite``
(:mod:`.gene_store`). Resuming re-creates the search and replays the stored generations
(CMA-ES asks, the stored fitness is told; the asked candidates must hash to what was
stored), then goes on: a run killed at any point and resumed ends where an uninterrupted
one does. Each generation's best (by the regularised fitness) is stored; the run's best
is the one of those with the highest measure + λ_H·H — the temporal difference is
relative to the generation before, and would favour the first. It goes to ``genes.pt``
(the whole state dict, with checksum), which ``snarc train --init`` starts from.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from ..dsl.errors import SnarcError
from .gene_fitness import Measure
from .sqlite_store import changed_settings

DIAGONAL_ABOVE = 1000  # genes


class GeneSearchError(SnarcError):
    kind = "gene search error"


@dataclass
class GeneSearchConfig(Measure):
    """The search's settings: how a candidate is measured (:class:`Measure`: fitness,
    data, limit, epochs, batch, lr, gene_lr, seed), and the search itself."""

    generations: int = 10
    popsize: int | None = None  # CMA-ES's default: 4 + 3·ln(genes)
    sigma: float = 0.5  # initial step size (genes start ~ N(0, 1))
    entropy: float = 0.1  # λ_H (0: off)
    td: float = 0.1  # λ_TD (0: off)
    diagonal: bool | None = None  # None: diagonal above DIAGONAL_ABOVE genes
    workers: int = 1
    executor: str | None = None  # serial, process or ray (None: serial for 1 worker, else process)
    address: str | None = None  # a Ray cluster
    retries: int = 2  # re-measurements of candidates lost to the machinery (a dead worker)

    RUNTIME = ("generations", "workers", "executor", "address", "retries")  # may change on resume

    def measure(self) -> Measure:
        """How each candidate is measured: these settings' share of them."""
        return Measure(**{f.name: getattr(self, f.name) for f in fields(Measure)})

    def validate(self) -> None:
        from ..fitness import SCORES
        from .gene_fitness import TRAINED

        if self.fitness not in TRAINED and self.fitness not in SCORES:
            raise GeneSearchError(
                f"unknown gene fitness {self.fitness!r}",
                hint="one of: " + ", ".join([*TRAINED, *sorted(SCORES)]),
            )
        for name in ("generations", "epochs", "batch", "workers"):
            if getattr(self, name) < 1:
                raise GeneSearchError(f"{name} must be at least 1")
        if self.sigma <= 0 or self.entropy < 0 or self.td < 0:
            raise GeneSearchError("sigma must be positive, entropy and td not negative")
        if self.popsize is not None and self.popsize < 2:
            raise GeneSearchError("popsize must be at least 2")


def _digest(X) -> str:
    return hashlib.sha256(np.ascontiguousarray(X, dtype=np.float64).tobytes()).hexdigest()


def _strategy(x0: np.ndarray, cfg: GeneSearchConfig):
    import cma

    rng = np.random.default_rng(cfg.seed)
    opts = {
        "randn": lambda lam, n: rng.standard_normal((lam, n)),
        "seed": np.nan,  # no global seeding: the samples come from rng alone
        "verbose": -9,
        "CMA_diagonal": cfg.diagonal if cfg.diagonal is not None else x0.size > DIAGONAL_ABOVE,
    }
    if cfg.popsize:
        opts["popsize"] = cfg.popsize
    return cma.CMAEvolutionStrategy(x0, cfg.sigma, opts)


class _Measurer:
    """The run's executor (serial, a process pool, Ray), made once and made again after
    a candidate was lost to it; every candidate of a generation is measured or the
    generation fails (CMA-ES is told whole generations)."""

    def __init__(self, cfg):
        self.cfg, self.ex = cfg, None

    def _executor(self):
        from .executors import make_executor
        from .gene_fitness import gene_job

        if self.ex is None:
            name = self.cfg.executor or ("serial" if self.cfg.workers == 1 else "process")
            self.ex = make_executor(name, self.cfg.workers, None, self.cfg.address, fn=gene_job)
        return self.ex

    def __call__(self, tasks) -> list[float]:
        from .evaluate import INFRA

        values: list[float | None] = [None] * len(tasks)
        todo = list(range(len(tasks)))
        for _attempt in range(self.cfg.retries + 1):
            lost = []
            try:
                for i, res in self._executor().map([tasks[k] for k in todo]):
                    if res["status"] == INFRA:
                        lost.append(todo[i])
                    elif res["status"] == "failed":
                        raise GeneSearchError(f"measuring a candidate failed: {res['error']}")
                    else:
                        values[todo[i]] = res["value"]
            except BaseException:
                self.close(abort=True)
                raise
            if not lost:
                return values  # type: ignore[return-value]
            self.close(abort=True)  # a fresh executor for the lost ones
            todo = lost
        raise GeneSearchError(
            f"{len(todo)} candidates lost to the machinery after {self.cfg.retries} retries",
            hint="resume the search (--resume) to measure the generation again",
        )

    def close(self, abort: bool = False) -> None:
        if self.ex is not None:
            self.ex.close(abort=abort)
            self.ex = None


def _terms(codec, X, scores, prev_best, cfg) -> dict:
    from ..fitness.genes import interaction_entropy, temporal_difference

    ent = [float(np.mean([interaction_entropy(o) for o in codec.interactions(x)])) for x in X]
    td = [temporal_difference(x, prev_best) for x in X]
    fit = [s + cfg.entropy * h - cfg.td * d for s, h, d in zip(scores, ent, td, strict=True)]
    return {"fitness": fit, "score": list(scores), "entropy": ent, "td": td}


def _standing(row: dict, cfg: GeneSearchConfig) -> float:
    """How a generation's best compares across generations: its measure and entropy term,
    not its temporal difference — that is relative to the generation before (0 in the
    first, which would otherwise win for having no predecessor)."""
    i = int(np.argmax(row["fitness"]))
    return row["score"][i] + cfg.entropy * row["entropy"][i]


def evolve_genes(
    text: str, out, cfg: GeneSearchConfig, resume: bool = False, progress: bool = True, log=print
) -> dict:
    """Run (or, with ``resume``, continue) the search; returns the best encoding's
    fitness terms, the history per generation and the path of ``genes.pt``."""
    import torch

    from ..compiler import compile as compile_net
    from ..training.checkpoint import write_checkpoint
    from .gene_codec import GeneCodec
    from .gene_fitness import GeneTask
    from .gene_store import GeneStore

    cfg.validate()
    out = Path(out)
    torch.manual_seed(cfg.seed)
    net = compile_net(text)
    try:
        codec = GeneCodec(net)
    except ValueError as err:
        raise GeneSearchError(
            f"{err}: nothing to evolve", hint="encode a connection with genetic(rank: R)"
        ) from None
    x0 = codec.vector(net)
    program = hashlib.sha256(text.encode()).hexdigest()[:16]
    store = GeneStore(out)
    measure = None
    try:
        saved = store.get_meta("config")
        if saved is not None and not resume:
            raise GeneSearchError(
                f"{out} holds a gene search already", hint="continue it with --resume"
            )
        if saved is not None:
            if store.get_meta("program") != program:
                raise GeneSearchError(f"{out} was evolved for another program")
            changed = changed_settings(asdict(cfg), saved, cfg.RUNTIME)
            if changed:
                raise GeneSearchError(
                    f"{out} was evolved with other settings ({', '.join(changed)})",
                    hint="resume with the settings it was started with",
                )
        store.set_meta("config", asdict(cfg))
        store.set_meta("program", program)
        store.set_meta("genes", codec.size)
        es = _strategy(x0, cfg)
        history = store.generations()
        prev_best = None
        for row in history:  # replay: the same samples, the same updates
            X = np.asarray(es.ask())
            if _digest(X) != row["asked"]:
                raise GeneSearchError(
                    f"{out}: replaying generation {row['generation']} asked other candidates",
                    hint="the store was written by another version of snarc or pycma",
                )
            es.tell(list(X), [-f for f in row["fitness"]])
            prev_best = row["best"]
        if history and progress:
            log(f"resumed after generation {len(history) - 1} of {cfg.generations}")
        if len(history) < cfg.generations:
            measure = _Measurer(cfg)
        for g in range(len(history), cfg.generations):
            t0 = time.perf_counter()
            X = np.asarray(es.ask())
            tasks = [GeneTask(text, x.astype(np.float64).tobytes(), cfg.measure()) for x in X]
            terms = _terms(codec, X, measure(tasks), prev_best, cfg)
            es.tell(list(X), [-f for f in terms["fitness"]])
            i = int(np.argmax(terms["fitness"]))
            prev_best = X[i]
            store.add_generation(g, _digest(X), terms, X[i], time.perf_counter() - t0)
            if progress:
                log(
                    f"generation {g + 1}/{cfg.generations}: best {terms['fitness'][i]:.4f} "
                    f"(measure {terms['score'][i]:.4f}, H {terms['entropy'][i]:.3f}, "
                    f"TD {terms['td'][i]:.4f})"
                )
        history = store.generations()
    finally:
        store.close()
        if measure is not None:
            measure.close()
    best = max(history, key=lambda r: _standing(r, cfg))
    codec.load(net, best["best"])
    path = out / "genes.pt"
    write_checkpoint(path, {"model": net.state_dict()})
    g = best["generation"]
    i = int(np.argmax(best["fitness"]))
    return {
        "generation": g,
        "fitness": best["best_fitness"],
        "measure": best["score"][i],
        "entropy": best["entropy"][i],
        "td": best["td"][i],
        "genes": codec.size,
        "history": [
            {"generation": r["generation"], "best": r["best_fitness"], "wall": r["wall"]}
            for r in history
        ],
        "out": str(path),
    }
