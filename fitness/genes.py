"""The two dynamic regularisers of the evolution of genetic encodings (the second half of
the genetically scaled SNN encoding, ``W = X_post · O · X_preᵀ``).

The paper describes an entropy term that keeps the interaction informative and a
temporal-difference term between generations, without formulas or code; these are the
definitions snarc uses (docs/search-spaces.md says why):

* :func:`interaction_entropy` — the normalised entropy of an interaction's singular
  spectrum. For ``O`` of shape ``(r, r)`` (a dense pool) or ``(K, r, r)`` (one matrix per
  kernel offset of a convolutional pool, stacked to ``(K·r, r)``), with singular values
  ``σ_1..σ_r`` and ``p_i = σ_i / Σ_j σ_j``::

      H(O) = −Σ_i p_i · ln p_i / ln r            ∈ [0, 1]

  1 when every gene direction carries the same weight, 0 when the interaction has
  collapsed to rank 1 (all neurons' weights then vary along one direction only). A
  fitness adds ``λ_H · mean over pools of H``: it rewards interactions that use their rank.

* :func:`temporal_difference` — how far a candidate's encoding lies from the previous
  generation's best, per gene::

      TD(x_t, x*_{t−1}) = ‖x_t − x*_{t−1}‖² / n

  A fitness subtracts ``λ_TD · TD``: a trust region around the last best encoding that
  keeps successive generations' encodings close (0 in the first generation, which has no
  previous one).

Both take plain arrays (numpy or torch) and return floats; ``λ = 0`` switches a term off.
"""

from __future__ import annotations

import math

import numpy as np


def interaction_entropy(o) -> float:
    """``H(O)``: the normalised entropy of the singular spectrum of an interaction ``O``
    (``(r, r)``, or ``(K, r, r)`` stacked to ``(K·r, r)``); 1 for rank ``r == 1``."""
    a = np.asarray(o.detach().cpu() if hasattr(o, "detach") else o, dtype=np.float64)
    if a.ndim == 3:
        a = a.reshape(-1, a.shape[-1])
    if a.ndim != 2:
        raise ValueError(f"an interaction is (r, r) or (K, r, r), got shape {a.shape}")
    r = min(a.shape)
    if r <= 1:
        return 1.0
    s = np.linalg.svd(a, compute_uv=False)
    total = s.sum()
    if not np.isfinite(total) or total <= 0:
        return 0.0
    p = s / total
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / math.log(r))


def temporal_difference(current, previous) -> float:
    """``TD = ‖x_t − x*_{t−1}‖² / n``: mean squared change of an encoding from the previous
    generation's best (``previous=None``: the first generation, 0)."""
    if previous is None:
        return 0.0
    x = np.asarray(current, dtype=np.float64).reshape(-1)
    y = np.asarray(previous, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"encodings of {x.size} and {y.size} genes cannot be compared")
    return float(np.mean((x - y) ** 2)) if x.size else 0.0
