"""The fitness of one genetic encoding: a picklable task and the function that measures it
(in this process or a worker's).

Every candidate is measured the same way: the program compiled with the run's seed (so
every weight that is not genetically encoded starts the same), the candidate's genes
written in, then either

* ``train`` — a short training (``epochs`` of AdamW on the training split less a
  validation quarter, cross-entropy on the readout) and the accuracy on that validation
  quarter (never the test split); ``train_loss`` — minus the mean cross-entropy on it,
  a smoother signal than an accuracy near chance; or
* a training-free score of :data:`snarc.fitness.SCORES` (``rdm``, ``sahd``, ...) on the
  run's class-balanced batch.

Each evaluation uses one thread and sets its own seed, so a candidate scores the same in
any process: the run is reproducible and resumable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Measure:
    """How every candidate of a run is measured (the run's settings, see the module;
    :class:`~.gene_search.GeneSearchConfig` extends it)."""

    fitness: str = "train"  # "train", "train_loss" or a name of snarc.fitness.SCORES
    data: str = "ndigits"
    limit: int | None = 200
    epochs: int = 1
    batch: int = 32
    lr: float = 2e-3
    gene_lr: float = 10.0  # genes' learning-rate multiplier (snarc.training.groups)
    seed: int = 0


@dataclass(frozen=True)
class GeneTask:
    text: str
    genes: bytes  # the encoding, float64
    measure: Measure


def _net(task: GeneTask):
    import torch

    from ..compiler import compile as compile_net
    from .gene_codec import GeneCodec

    torch.manual_seed(task.measure.seed)
    net = compile_net(task.text)
    GeneCodec(net).load(net, np.frombuffer(task.genes, dtype=np.float64))
    return net


def short_training(net, Xtr, ytr, Xval, yval, m: Measure) -> dict:
    """A candidate's short training (:func:`snarc.evolution.fidelity.short_training`)."""
    from .fidelity import short_training as train

    return train(net, Xtr, ytr, Xval, yval, m.epochs, m.batch, m.lr, m.gene_lr, m.seed)


# the measures a short training gives: name -> its value from short_training's result
TRAINED = {
    "train": lambda r: r["accuracy"],  # validation accuracy
    "train_loss": lambda r: -r["loss"],  # minus the validation cross-entropy: smoother
}


def evaluate_genes(task: GeneTask) -> float:
    """The task's fitness before regularisers (higher is better)."""
    import torch

    torch.set_num_threads(1)
    net, m = _net(task), task.measure
    if m.fitness in TRAINED:
        from .fidelity import split

        Xtr, ytr, Xval, yval = split(net, m.data, m.seed, m.limit)
        value = TRAINED[m.fitness](short_training(net, Xtr, ytr, Xval, yval, m))
        return float(value) if np.isfinite(value) else -1e9
    from ..data.batches import class_balanced_batch
    from ..fitness import SCORES, score

    x, y = class_balanced_batch(net, m.batch, m.seed, m.limit, m.data)
    value = score(net, x, y, fitness=(m.fitness,))[m.fitness]
    if SCORES[m.fitness].direction == "min":  # a cost (spikes, SOPs): less is fitter
        value = -value
    return float(value) if np.isfinite(value) else -1e9


def gene_job(task: GeneTask) -> dict:
    """:func:`evaluate_genes` for an executor: ``{status, value}``, or status ``failed``
    with the error (the search stops with it, as it would in one process)."""
    import time
    import traceback

    t0 = time.perf_counter()
    try:
        return {"status": "ok", "value": evaluate_genes(task), "wall": time.perf_counter() - t0}
    except Exception as err:
        msg = "".join(traceback.format_exception_only(err)).strip()
        return {"status": "failed", "error": msg, "wall": time.perf_counter() - t0}
