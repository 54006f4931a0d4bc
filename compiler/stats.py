"""The activity of one forward pass: spikes, synaptic operations, MACs per sample."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Stats:
    """Activity of one forward pass, per sample (tensors of shape ``[B]``)."""

    spikes: dict[str, torch.Tensor]  # spikes per spiking node, summed over time and neurons
    total_spikes: torch.Tensor
    sops: torch.Tensor  # synaptic operations triggered by spikes
    macs: torch.Tensor  # multiply-accumulates on non-spike inputs (e.g. a direct-encoded image)
    timesteps: int
    # spikes out of relays that pool spikes (max-pool cells), which AutoSNN's count adds
    pooled_spikes: torch.Tensor | None = None

    def per_sample(self) -> dict[str, float]:
        spikes = float(self.total_spikes.float().mean())
        pooled = 0.0 if self.pooled_spikes is None else float(self.pooled_spikes.float().mean())
        return {
            "spikes": spikes,
            "spikes_pooled": spikes + pooled,
            "sops": float(self.sops.float().mean()),
            "macs": float(self.macs.float().mean()),
        }
