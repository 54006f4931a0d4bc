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

The scores live in one file each (``rdm.py``, ``hamming.py``, ``cost.py``) over what
``activity.py`` takes from a forward pass; ``score.py`` holds the registry
(:data:`SCORES`) that :func:`score` and ``snarc evolve --fitness`` read.
"""

from __future__ import annotations

from .activity import activity, codes_from, layer_names, representations, run
from .cost import E_AC_PJ, E_MAC_PJ, energy, spike_aware
from .hamming import manhattan_from, naswot, naswot_from, sahd, sahd_from
from .rdm import rdm, rdm_label_free, rdm_label_free_from, rdm_label_target, rdm_label_target_from
from .score import COMBINED, FITNESSES, OBJECTIVES, SCORES, Combined, Pass, Score, score
from .warn import FitnessWarning

__all__ = [
    "E_AC_PJ",
    "E_MAC_PJ",
    "COMBINED",
    "Combined",
    "FITNESSES",
    "OBJECTIVES",
    "SCORES",
    "FitnessWarning",
    "Pass",
    "Score",
    "activity",
    "codes_from",
    "energy",
    "layer_names",
    "naswot",
    "naswot_from",
    "manhattan_from",
    "rdm",
    "rdm_label_free",
    "rdm_label_free_from",
    "rdm_label_target",
    "rdm_label_target_from",
    "representations",
    "run",
    "sahd",
    "sahd_from",
    "score",
    "spike_aware",
]
