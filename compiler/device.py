"""The one place a device name (``auto``, ``cpu``, ``cuda``) becomes a torch device."""

from __future__ import annotations

from ..dsl.errors import SnarcError


def resolve_device(name: str, error=SnarcError):
    """``auto``: CUDA where available, else the CPU; ``cuda`` without a GPU is ``error``."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise error("--device cuda: no CUDA device is available here")
    return torch.device(name)
