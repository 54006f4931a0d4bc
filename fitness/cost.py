"""Cost measures and AutoSNN's spike-aware fitness."""

from __future__ import annotations

import numpy as np

from .warn import warn

E_AC_PJ = 0.9  # pJ per accumulate (spike-driven synaptic operation), 45 nm, fp32
E_MAC_PJ = 4.6  # pJ per multiply-accumulate, 45 nm, fp32


def spike_aware(acc: float, spikes: float, spikes_ref: float, lam: float = -0.08) -> float:
    """AutoSNN: ``acc · (spikes / spikes_ref)^λ``; fewer spikes than the reference raise it."""
    if not (np.isfinite(acc) and np.isfinite(spikes)) or spikes_ref <= 0:
        warn("spike-aware fitness of a non-finite accuracy or spike count: it scores 0")
        return 0.0
    if spikes <= 0:
        warn("a silent network gets spike-aware fitness 0")
        return 0.0
    return float(acc * (spikes / spikes_ref) ** lam)


def energy(sops: float, macs: float) -> float:
    """Energy per sample in joules from synaptic operations and multiply-accumulates."""
    return (sops * E_AC_PJ + macs * E_MAC_PJ) * 1e-12
