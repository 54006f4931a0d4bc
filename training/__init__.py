"""Surrogate-gradient training of compiled snarc networks (BPTT through the unrolled steps).

``train(program, cfg, out)`` trains on N-Digits or a real dataset, writes a checkpoint
per epoch (atomically: temporary file + rename, read back with ``weights_only=True``),
``metrics.json``, ``metrics.csv`` and ``curves.png``, and can resume a run to the
same weights an uninterrupted run reaches (same seed, deterministic algorithms on CPU).

Reproducibility: the shuffle of epoch ``e`` and every other random draw in it come from
generators seeded with ``(seed, e)``, so an epoch does not depend on how the run got
there. Under ``torchrun`` (``WORLD_SIZE > 1``) the model is wrapped in
DistributedDataParallel (gloo on CPU, NCCL on CUDA) and each rank trains on its slice
of the epoch's permutation; rank 0 writes the files.

One concern a file: ``config.py`` (settings), ``data.py`` (a split as tensors),
``loop.py`` (the loop), ``checkpoint.py`` (checksummed checkpoints), ``metrics.py``
(metrics and curves), ``errors.py``.
"""

from __future__ import annotations

from .checkpoint import read_checkpoint, write_checkpoint
from .config import CHECKPOINT, TrainConfig, program_hash
from .data import load_tensors
from .errors import CheckpointError, TrainError
from .loop import evaluate, train

__all__ = [
    "CHECKPOINT",
    "CheckpointError",
    "TrainConfig",
    "TrainError",
    "evaluate",
    "load_tensors",
    "program_hash",
    "read_checkpoint",
    "train",
    "write_checkpoint",
]
