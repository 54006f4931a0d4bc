"""Datasets: N-Digits (built in, no download) as frames for snarc networks."""

from __future__ import annotations

from .dataset import NDigits
from .ndigits import Camera, load, statistics

__all__ = ["Camera", "NDigits", "load", "statistics"]
