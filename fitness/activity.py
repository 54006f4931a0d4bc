"""What the training-free scores look at: one forward pass of an untrained network,
its spike-rate representations per layer and its binary spike codes."""

from __future__ import annotations

import numpy as np
import torch


def activity(net, x: torch.Tensor, generator=None):
    """Every node's output sequence and the pass's spike/SOP statistics, without gradients.

    An untrained network is scored as the training-free methods do: batch-norm uses the
    batch's statistics (its running statistics are left as they were), dropout is off.
    Returns ``(seqs, stats)`` as :meth:`CompiledNetwork.activity`.
    """
    was = net.training
    norms = [
        m
        for m in net.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.track_running_stats
    ]
    net.train()
    for m in net.modules():
        if isinstance(m, torch.nn.Dropout):
            m.eval()
    for m in norms:  # batch statistics, running ones neither used nor updated
        m.track_running_stats = False
    try:
        with torch.no_grad():
            return net.activity(x, generator=generator)
    finally:
        for m in norms:
            m.track_running_stats = True
        net.train(was)


def run(net, x: torch.Tensor, generator=None) -> dict[str, torch.Tensor]:
    """Every node's output sequence for the batch, as :func:`activity` computes it."""
    return activity(net, x, generator)[0]


def layer_names(net, layers="populations") -> list[str]:
    """The layers scored: spiking populations, top-level cells, or the names given."""
    spiking = net.spiking_nodes()
    if layers == "populations":
        return spiking
    if layers == "cells":
        return list(dict.fromkeys(n.split(".")[0] for n in spiking))
    return list(layers)


def flat(s: torch.Tensor, lead: int) -> torch.Tensor:
    """``s`` with every axis after the first ``lead`` flattened, in memory order.

    Channels-last tensors flatten without a copy; the neurons come in another order
    than the logical one, which no score here depends on (Gram matrices and Pearson
    correlations over neurons are invariant to their order, the same for every sample).
    """
    rest = sorted(range(lead, s.dim()), key=lambda d: -s.stride(d))
    return s.permute(*range(lead), *rest).reshape(*s.shape[:lead], -1)


def representations(
    net, seqs: dict[str, torch.Tensor], layers="populations"
) -> dict[str, np.ndarray]:
    """Per layer, ``[B, F]`` spike rates (mean over time, neurons flattened)."""
    spiking = net.spiking_nodes()
    out = {}
    for layer in layer_names(net, layers):
        members = (
            [n for n in spiking if n == layer or n.startswith(layer + ".")]
            if layers == "cells"
            else [layer]
        )
        if not members or any(m not in seqs for m in members):
            raise KeyError(f"no spiking population '{layer}' in network '{net.graph_name}'")
        rates = [flat(seqs[m].float().mean(0), 1) for m in members]
        out[layer] = torch.cat(rates, 1).cpu().numpy().astype(np.float64)
    return out


def codes_from(net, seqs, layers="populations") -> list[torch.Tensor]:
    """Binary spike codes, one ``[T, B, N]`` group (a code per time step) per population."""
    out = []
    for name in layer_names(net, "populations" if layers == "cells" else layers):
        out.append(flat(seqs[name], 2))  # spikes are 0/1 already
    return out
