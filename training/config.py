"""The settings of a training run, and the hash that ties a checkpoint to its program."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..dsl.hashing import short_hash
from .errors import TrainError

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainConfig:
    epochs: int = 5
    batch: int = 32
    lr: float = 2e-3
    optimizer: str = "adamw"  # adamw | sgd
    weight_decay: float = 0.0
    momentum: float = 0.9
    warmup: float = 0.5  # epochs of linear warm-up before the cosine decay
    loss: str = "ce"  # ce | count_mse (AutoSNN: MSE between output spike frequency and one-hot)
    label_smoothing: float = 0.0
    clip: float | None = 1.0
    amp: bool = True  # mixed precision where the device is CUDA
    seed: int = 0
    data: str = "ndigits"
    limit: int | None = None
    device: str = "auto"
    threads: int | None = None
    val: float = 0.0  # fraction of the training split held out for validation (0: none)
    patience: int | None = None  # stop after this many epochs without a better val accuracy
    tensorboard: str | None = None  # a directory for TensorBoard event files (per epoch)
    init: str | None = None  # a state dict to start from (evolved genes: snarc evolve-genes)
    gene_lr: float = 10.0  # learning-rate multiplier of genes and interactions (groups.py)
    # epochs added to a finished schedule by `snarc train --resume DIR --extend N`:
    # [[epochs added, peak lr], ...]; ``epochs`` counts them too
    extensions: list = field(default_factory=list)

    def validate(self) -> None:
        if self.optimizer not in ("adamw", "sgd"):
            raise TrainError(f"unknown optimizer '{self.optimizer}': adamw or sgd")
        if self.loss not in ("ce", "count_mse"):
            raise TrainError(f"unknown loss '{self.loss}': ce or count_mse")
        if self.epochs < 1 or self.batch < 1 or self.lr <= 0 or self.gene_lr <= 0:
            raise TrainError("epochs, batch, lr and gene_lr must be positive")
        if not 0.0 <= self.val < 1.0:
            raise TrainError(f"val = {self.val}: the held-out fraction must be in [0, 1)")
        if self.patience is not None and (self.patience < 1 or self.val == 0):
            raise TrainError(
                "early stopping (patience) needs a validation split (val > 0) and patience >= 1"
            )

    # may differ on resume (the plan of epochs and extensions is checked on its own)
    RUNTIME = ("epochs", "device", "threads", "extensions", "tensorboard")

    def lr_at(self, step: int, steps_per_epoch: int) -> float:
        """The learning rate of optimiser step ``step`` (counted from the run's start).

        The run's own epochs (``epochs`` less every extension) warm up linearly for
        ``warmup`` epochs, then decay on a half cosine to 0 at their end, as they were
        planned; each extension is a half cosine of its own from its peak lr to 0 (no
        warm-up). So extending a run never changes the rate of an epoch already run,
        and a resumed run reproduces an uninterrupted one.
        """
        own = self.epochs - sum(n for n, _lr in self.extensions)
        start, base, warm = 0, self.lr, int(self.warmup * steps_per_epoch)
        length = own
        if step >= own * steps_per_epoch:
            start = own
            for n, peak in self.extensions:
                if step < (start + n) * steps_per_epoch:
                    length, base, warm = n, float(peak), 0
                    break
                start += n
            else:  # past the end: the last segment's end
                return 0.0
        step -= start * steps_per_epoch
        total = length * steps_per_epoch
        if step < warm:
            return base * (step + 1) / warm
        p = (step - warm) / max(1, total - warm)
        return base * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))


def program_hash(text: str) -> str:
    """The program a checkpoint belongs to (:func:`snarc.dsl.hashing.short_hash`)."""
    return short_hash(text)
