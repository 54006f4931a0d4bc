"""The errors of training."""

from __future__ import annotations

from ..dsl.errors import SnarcError


class TrainError(SnarcError):
    kind = "training error"


class CheckpointError(TrainError):
    """A checkpoint that is missing, damaged (checksum mismatch) or not snarc's."""

    kind = "checkpoint error"
