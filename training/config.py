"""The settings of a training run, and the hash that ties a checkpoint to its program."""

from __future__ import annotations

from dataclasses import dataclass

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

    def validate(self) -> None:
        if self.optimizer not in ("adamw", "sgd"):
            raise TrainError(f"unknown optimizer '{self.optimizer}': adamw or sgd")
        if self.loss not in ("ce", "count_mse"):
            raise TrainError(f"unknown loss '{self.loss}': ce or count_mse")
        if self.epochs < 1 or self.batch < 1 or self.lr <= 0:
            raise TrainError("epochs, batch and lr must be positive")

    RUNTIME = ("epochs", "device", "threads")


def program_hash(text: str) -> str:
    """The program a checkpoint belongs to (:func:`snarc.dsl.hashing.short_hash`)."""
    return short_hash(text)
