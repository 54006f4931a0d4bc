"""Surrogate-gradient training of compiled snarc networks (BPTT through the unrolled steps):
``train(program, cfg, out)`` with checksummed per-epoch checkpoints, exact resume,
metrics and curves, and DDP under ``torchrun`` (the guarantees are listed in
``loop.py``).

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
