"""Fitness functions: training-free scores, spike-aware fitness, cost measures.

Every score is a small function over a compiled network and a class-balanced batch
(or over representations already taken from one); :func:`score` computes any set of
them from one forward pass (:func:`activity`). Degenerate networks — silent, with
constant representations, or producing NaN — get a defined worst score and a
:class:`FitnessWarning`, never an exception.

* :func:`rdm_label_free` — MSE-NAS's training-free score: how different the spike-rate
  representations of different samples are (mean of the RDM's off-diagonal entries,
  averaged over layers). Higher is better, in [0, 2].
* :func:`rdm_label_target` — Spearman's rank correlation of the network's RDM with the
  ideal one (0 within a class, 1 across classes), averaged over layers. In [-1, 1].
* :func:`sahd` — SNASNet's sparsity-aware Hamming kernel, ``log det K`` (Kim et al. 2022).
* :func:`naswot` — ``log det`` of the binary-code Hamming kernel (Mellor et al. 2021).
* :func:`spike_aware` — AutoSNN's ``F = acc · (spikes / spikes_ref)^λ``, λ = −0.08.
* :func:`energy` — SOPs × 0.9 pJ + MACs × 4.6 pJ (45 nm, 32-bit float add and
  multiply-add: Horowitz, ISSCC 2014), the figures SNN papers use.

An RDM (representational dissimilarity matrix) is ``1 − Pearson(r_i, r_j)`` over
samples ``i, j`` of a layer's representation: the spike rate of every neuron of the
layer, averaged over time. Which layers: ``layers="populations"`` (every spiking
population), ``"cells"`` (the populations of each top-level cell concatenated into one
representation) or a list of node names.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

E_AC_PJ = 0.9  # pJ per accumulate (spike-driven synaptic operation), 45 nm, fp32
E_MAC_PJ = 4.6  # pJ per multiply-accumulate, 45 nm, fp32

FITNESSES = ("rdm", "rdm_target", "sahd", "naswot", "params", "sops", "energy", "spikes")


class FitnessWarning(UserWarning):
    """A degenerate network got the worst score."""


def _warn(msg: str) -> None:
    warnings.warn(msg, FitnessWarning, stacklevel=3)


# ---------------------------------------------------------------- representations


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
    spiking = [name for name, plan in net._plans.items() if plan.spiking]
    if layers == "populations":
        return spiking
    if layers == "cells":
        return list(dict.fromkeys(n.split(".")[0] for n in spiking))
    return list(layers)


def _flat(s: torch.Tensor, lead: int) -> torch.Tensor:
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
    spiking = [name for name, plan in net._plans.items() if plan.spiking]
    out = {}
    for layer in layer_names(net, layers):
        members = (
            [n for n in spiking if n == layer or n.startswith(layer + ".")]
            if layers == "cells"
            else [layer]
        )
        if not members or any(m not in seqs for m in members):
            raise KeyError(f"no spiking population '{layer}' in network '{net.graph_name}'")
        rates = [_flat(seqs[m].float().mean(0), 1) for m in members]
        out[layer] = torch.cat(rates, 1).cpu().numpy().astype(np.float64)
    return out


def rdm(rep: np.ndarray) -> np.ndarray | None:
    """``1 − Pearson`` between samples (rows); None if a row is constant (no correlation)."""
    centred = rep - rep.mean(1, keepdims=True)
    norm = np.linalg.norm(centred, axis=1)
    if np.any(norm < 1e-12) or not np.all(np.isfinite(rep)):
        return None
    unit = centred / norm[:, None]
    return 1.0 - unit @ unit.T


def _upper(m: np.ndarray) -> np.ndarray:
    return m[np.triu_indices(m.shape[0], 1)]


# ---------------------------------------------------------------- scores on representations


def _rdms(reps: dict[str, np.ndarray]) -> dict[str, np.ndarray | None]:
    return {name: rdm(rep) for name, rep in reps.items()}


def rdm_label_free_from(reps: dict[str, np.ndarray], rdms=None) -> float:
    """Mean off-diagonal dissimilarity, averaged over layers; 0 (the worst) if degenerate.

    ``rdms`` (each layer's :func:`rdm`) may be passed when already computed.
    """
    rdms = _rdms(reps) if rdms is None else rdms
    scores = []
    for name, m in rdms.items():
        if m is None:
            _warn(f"layer '{name}' has a constant (e.g. silent) representation: it scores 0")
            scores.append(0.0)
        else:
            scores.append(float(_upper(m).mean()))
    return float(np.mean(scores)) if scores else 0.0


def rdm_label_target_from(reps: dict[str, np.ndarray], labels, rdms=None) -> float:
    """Spearman correlation with the ideal same/different-class RDM; −1 (worst) if degenerate."""
    from scipy.stats import spearmanr

    labels = np.asarray(labels)
    ideal = _upper((labels[:, None] != labels[None, :]).astype(np.float64))
    if ideal.min() == ideal.max():
        raise ValueError(
            "the label-target RDM needs pairs of samples from one class and from different classes"
        )
    rdms = _rdms(reps) if rdms is None else rdms
    scores = []
    for name, m in rdms.items():
        if m is None:
            _warn(f"layer '{name}' has a constant (e.g. silent) representation: it scores -1")
            scores.append(-1.0)
            continue
        values = _upper(m)
        if values.max() - values.min() < 1e-12:
            _warn(f"layer '{name}' has equal dissimilarities everywhere: it scores -1")
            scores.append(-1.0)
            continue
        rho = spearmanr(values, ideal).statistic
        scores.append(float(rho) if np.isfinite(rho) else -1.0)
    return float(np.mean(scores)) if scores else -1.0


def _logdet(k: np.ndarray, what: str) -> float:
    sign, ld = np.linalg.slogdet(k)
    if sign <= 0 or not np.isfinite(ld):
        _warn(
            f"the {what} kernel is singular (identical codes, e.g. a silent network): it scores -inf"
        )
        return -math.inf
    return float(ld)


def _grams(codes) -> list[tuple[torch.Tensor, torch.Tensor, int, int]]:
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


def sahd_from(codes, grams=None) -> float:
    """SNASNet's score from binary spike codes (Kim et al. 2022, ``computing_K_eachtime``).

    Every code (one layer at one step, ``x`` of ``[B, N]``) adds
    ``N − d_H(x_i, x_j) · 0.5 / (N·(p_i(1 − p_j) + (1 − p_i) p_j) + 10⁻³)``, the Hamming
    distance scaled by the one expected from the samples' spike densities ``p``; the
    score is ``log det`` of the mean over codes. ``codes``: ``[B, N]`` arrays, or
    ``[S, B, N]`` groups of S codes; ``grams`` (:func:`_grams` of them) when at hand.
    """
    k, total = None, 0
    for g, r, n, count in _grams(codes) if grams is None else grams:
        hamming = r[:, :, None] + r[:, None, :] - 2 * g
        p = r / n
        norm = (p[:, :, None] * (1 - p[:, None, :]) + (1 - p[:, :, None]) * p[:, None, :]) * n
        part = (n - 0.5 / (norm + 1e-3) * hamming).sum(0)
        k = part if k is None else k + part
        total += count
    if k is None:
        return -math.inf
    return _logdet((k / total).numpy(), "sparsity-aware Hamming")


def naswot_from(codes, grams=None) -> float:
    """NASWOT's score: ``log det`` of ``Σ x xᵀ + (1 − x)(1 − x)ᵀ`` over binary codes
    (``[B, N]`` arrays, or ``[S, B, N]`` groups)."""
    k = None
    for g, r, n, _ in _grams(codes) if grams is None else grams:
        # (1 − x)(1 − x)ᵀ = N − r_i − r_j + x xᵀ
        part = (2 * g + n - r[:, :, None] - r[:, None, :]).sum(0)
        k = part if k is None else k + part
    if k is None:
        return -math.inf
    return _logdet(k.numpy(), "Hamming")


def codes_from(net, seqs, layers="populations") -> list[torch.Tensor]:
    """Binary spike codes, one ``[T, B, N]`` group (a code per time step) per population."""
    out = []
    for name in layer_names(net, "populations" if layers == "cells" else layers):
        out.append(_flat(seqs[name], 2))  # spikes are 0/1 already
    return out


# ---------------------------------------------------------------- scores on networks


def rdm_label_free(net, x, layers="populations") -> float:
    return rdm_label_free_from(representations(net, run(net, x), layers))


def rdm_label_target(net, x, labels, layers="populations") -> float:
    return rdm_label_target_from(representations(net, run(net, x), layers), labels)


def sahd(net, x, layers="populations") -> float:
    return sahd_from(codes_from(net, run(net, x), layers))


def naswot(net, x, layers="populations") -> float:
    return naswot_from(codes_from(net, run(net, x), layers))


def spike_aware(acc: float, spikes: float, spikes_ref: float, lam: float = -0.08) -> float:
    """AutoSNN: ``acc · (spikes / spikes_ref)^λ``; fewer spikes than the reference raise it."""
    if not (np.isfinite(acc) and np.isfinite(spikes)) or spikes_ref <= 0:
        _warn("spike-aware fitness of a non-finite accuracy or spike count: it scores 0")
        return 0.0
    if spikes <= 0:
        _warn("a silent network gets spike-aware fitness 0")
        return 0.0
    return float(acc * (spikes / spikes_ref) ** lam)


def energy(sops: float, macs: float) -> float:
    """Energy per sample in joules from synaptic operations and multiply-accumulates."""
    return (sops * E_AC_PJ + macs * E_MAC_PJ) * 1e-12


def score(net, x, labels=None, fitness=("rdm",), layers="populations") -> dict[str, float]:
    """Every score asked for, from one forward pass of ``x`` (see :func:`activity`)."""
    unknown = [f for f in fitness if f not in FITNESSES]
    if unknown:
        raise ValueError(f"unknown fitness '{unknown[0]}': one of {', '.join(FITNESSES)}")
    seqs, stats = activity(net, x) if any(f != "params" for f in fitness) else (None, None)
    out: dict[str, float] = {}
    reps = rdms = grams = None
    per = stats.per_sample() if stats is not None else {}
    for f in fitness:
        if f in ("rdm", "rdm_target"):
            if reps is None:
                reps = representations(net, seqs, layers)
                rdms = _rdms(reps)
            out[f] = (
                rdm_label_free_from(reps, rdms)
                if f == "rdm"
                else rdm_label_target_from(reps, labels, rdms)
            )
        elif f in ("sahd", "naswot"):
            grams = grams if grams is not None else _grams(codes_from(net, seqs, layers))
            out[f] = sahd_from(None, grams) if f == "sahd" else naswot_from(None, grams)
        elif f == "params":
            out[f] = float(net.num_params())
        elif f == "energy":
            out[f] = energy(per["sops"], per["macs"])
        else:  # sops, spikes
            out[f] = per[f]
    return out
