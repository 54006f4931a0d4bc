"""The warning of degenerate networks, which get a defined worst score, never an exception."""

from __future__ import annotations

import warnings


class FitnessWarning(UserWarning):
    """A degenerate network got the worst score."""


def warn(msg: str) -> None:
    warnings.warn(msg, FitnessWarning, stacklevel=3)
