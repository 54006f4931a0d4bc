"""The built-in datasets: named N-Digits cameras, generated here, never downloaded."""

from __future__ import annotations

from .ndigits import Camera

# name -> the camera that records it (data/ndigits.py); docs/data-and-fitness.md says why
# N-Digits-hard is harder and how much
BUILTIN: dict[str, Camera] = {
    "ndigits": Camera(),
    # fewer events per digit, a noisier sensor, the digit off-centre, another digit
    # sweeping across: N-Digits is at the accuracy ceiling, this one is not
    "ndigits-hard": Camera(
        contrast=0.3, noise_hz=5.0, jitter_px=4.0, distractor=0.5, saccade_px=2.0
    ),
}


def builtin_camera(data: str) -> Camera | None:
    """The camera of a built-in dataset named ``data`` (case-insensitive), else ``None``."""
    return BUILTIN.get(data.lower())
