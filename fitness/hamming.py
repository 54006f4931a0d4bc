"""Hamming-kernel scores of binary spike codes: SNASNet's SAHD and NASWOT."""

from __future__ import annotations

import math

import numpy as np
import torch

from .activity import codes_from, run
from .warn import warn


def _logdet(k: np.ndarray, what: str) -> float:
    sign, ld = np.linalg.slogdet(k)
    if sign <= 0 or not np.isfinite(ld):
        warn(
            f"the {what} kernel is singular (identical codes, e.g. a silent network): it scores -inf"
        )
        return -math.inf
    return float(ld)


def grams_of(codes) -> list[tuple[torch.Tensor, torch.Tensor, int, int]]:
    """Per code group: ``(G, r, n, count)`` with ``G = x xᵀ`` (float64, ``[S, B, B]``),
    ``r`` the spikes per sample (``[S, B]``), ``n`` neurons, ``count = S`` codes.

    A group is one ``[B, N]`` code or ``[S, B, N]`` codes (a layer's time steps); its
    products run as one batched matrix product, exact in float32 below 2^24 neurons.
    SAHD and NASWOT are both functions of these.
    """
    out = []
    for code in codes:
        x = code if torch.is_tensor(code) else torch.as_tensor(np.asarray(code))
        x = x.float()
        if x.dim() == 2:
            x = x.unsqueeze(0)
        g = torch.bmm(x, x.transpose(1, 2)).double().cpu()
        out.append((g, x.sum(2).double().cpu(), x.shape[2], x.shape[0]))
    return out


def _hamming(g, r):
    """Hamming distances of every two samples' codes from their Gram matrix ``g = x xᵀ``
    and spike counts ``r``: ``r_i + r_j − 2 x_i·x_j`` (``[S, B, B]``)."""
    return r[:, :, None] + r[:, None, :] - 2 * g


def sahd_from(codes, grams=None) -> float:
    """SNASNet's score from binary spike codes (Kim et al. 2022, ``computing_K_eachtime``).

    Every code (one layer at one step, ``x`` of ``[B, N]``) adds
    ``N − d_H(x_i, x_j) · 0.5 / (p_i(1 − p_j) + (1 − p_i) p_j + 10⁻³)``, as the released
    code writes it: the Hamming distance divided by the probability that two neurons
    of the samples' spike densities ``p`` disagree (not by the expected distance,
    ``N`` times it); the score is ``log det`` of the mean over codes. ``codes``: ``[B, N]`` arrays, or
    ``[S, B, N]`` groups of S codes; ``grams`` (:func:`grams_of` of them) when at hand.
    """
    k, total = None, 0
    for g, r, n, count in grams_of(codes) if grams is None else grams:
        hamming = _hamming(g, r)
        p = r / n
        norm = p[:, :, None] * (1 - p[:, None, :]) + (1 - p[:, :, None]) * p[:, None, :]
        part = (n - 0.5 / (norm + 1e-3) * hamming).sum(0)
        k = part if k is None else k + part
        total += count
    if k is None:
        return -math.inf
    return _logdet((k / total).numpy(), "sparsity-aware Hamming")


def manhattan_from(codes, grams=None) -> float:
    """MSE-NAS's released training-free score (``obj.py``, ``Cm``): the Manhattan
    distance between every two samples' binary spike codes (their Hamming distance
    ``r_i + r_j − 2 x_i·x_j``), summed over all ordered pairs ``(i, j)``, averaged over
    the codes (one per spiking layer and step, as its hook sees each LIF call). Higher:
    the samples' codes are further apart. It grows with the batch and the layer sizes,
    so it ranks networks scored on one batch."""
    total, count = 0.0, 0
    for g, r, _n, c in grams_of(codes) if grams is None else grams:
        hamming = _hamming(g, r)
        total += float(hamming.sum())
        count += c
    return total / count if count else 0.0


def naswot_from(codes, grams=None) -> float:
    """NASWOT's score: ``log det`` of ``Σ x xᵀ + (1 − x)(1 − x)ᵀ`` over binary codes
    (``[B, N]`` arrays, or ``[S, B, N]`` groups)."""
    k = None
    for g, r, n, _ in grams_of(codes) if grams is None else grams:
        # (1 − x)(1 − x)ᵀ = N − r_i − r_j + x xᵀ
        part = (2 * g + n - r[:, :, None] - r[:, None, :]).sum(0)
        k = part if k is None else k + part
    if k is None:
        return -math.inf
    return _logdet(k.numpy(), "Hamming")


def sahd(net, x, layers="populations") -> float:
    return sahd_from(codes_from(net, run(net, x), layers))


def naswot(net, x, layers="populations") -> float:
    return naswot_from(codes_from(net, run(net, x), layers))
