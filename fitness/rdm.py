"""Representational dissimilarity: MSE-NAS's training-free score and its label-target form.

An RDM is ``1 − Pearson(r_i, r_j)`` over samples ``i, j`` of a layer's representation
(the spike rate of every neuron of the layer, averaged over time).
"""

from __future__ import annotations

import numpy as np

from .activity import representations, run
from .warn import warn


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


def rdms_of(reps: dict[str, np.ndarray]) -> dict[str, np.ndarray | None]:
    return {name: rdm(rep) for name, rep in reps.items()}


def rdm_label_free_from(reps: dict[str, np.ndarray], rdms=None) -> float:
    """Mean off-diagonal dissimilarity, averaged over layers; 0 (the worst) if degenerate.

    ``rdms`` (each layer's :func:`rdm`) may be passed when already computed.
    """
    rdms = rdms_of(reps) if rdms is None else rdms
    scores = []
    for name, m in rdms.items():
        if m is None:
            warn(f"layer '{name}' has a constant (e.g. silent) representation: it scores 0")
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
    rdms = rdms_of(reps) if rdms is None else rdms
    scores = []
    for name, m in rdms.items():
        if m is None:
            warn(f"layer '{name}' has a constant (e.g. silent) representation: it scores -1")
            scores.append(-1.0)
            continue
        values = _upper(m)
        if values.max() - values.min() < 1e-12:
            warn(f"layer '{name}' has equal dissimilarities everywhere: it scores -1")
            scores.append(-1.0)
            continue
        rho = spearmanr(values, ideal).statistic
        scores.append(float(rho) if np.isfinite(rho) else -1.0)
    return float(np.mean(scores)) if scores else -1.0


def rdm_label_free(net, x, layers="populations") -> float:
    return rdm_label_free_from(representations(net, run(net, x), layers))


def rdm_label_target(net, x, labels, layers="populations") -> float:
    return rdm_label_target_from(representations(net, run(net, x), layers), labels)
