"""The registry of scores, and :func:`score`: any set of them from one forward pass.

Each :class:`Score` says how to compute its value from a :class:`Pass`, which computes
the forward pass and what is derived from it (representations, RDMs, Gram matrices of
spike codes, per-sample statistics) at most once, when a score first asks. A caller
adds a score by adding to :data:`SCORES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import torch

from .activity import activity, codes_from, representations
from .cost import energy, spike_aware
from .hamming import grams_of, manhattan_from, naswot_from, sahd_from
from .rdm import rdm_label_free_from, rdm_label_target_from, rdms_of


class Pass:
    """One batch through one network, and everything the scores derive from it."""

    def __init__(self, net, x, labels=None, layers="populations"):
        self.net, self.x, self.labels, self.layers = net, x, labels, layers

    @cached_property
    def _activity(self):
        return activity(self.net, self.x)

    @property
    def seqs(self):
        return self._activity[0]

    @cached_property
    def per_sample(self) -> dict[str, float]:
        return self._activity[1].per_sample()

    @cached_property
    def reps(self):
        return representations(self.net, self.seqs, self.layers)

    @cached_property
    def rdms(self):
        return rdms_of(self.reps)

    @cached_property
    def grams(self):
        return grams_of(codes_from(self.net, self.seqs, self.layers))


def _last(per_layer: dict) -> dict:
    """The last layer's entry of a per-layer dict (layers in network order)."""
    return dict(list(per_layer.items())[-1:])


@dataclass(frozen=True)
class Score:
    name: str
    compute: Callable[[Pass], float]
    doc: str
    direction: str = "max"  # "max" | "min": which way is better


SCORES: dict[str, Score] = {
    s.name: s
    for s in [
        Score(
            "rdm",
            lambda p: rdm_label_free_from(p.reps, p.rdms),
            "mean off-diagonal RDM dissimilarity over layers (MSE-NAS), in [0, 2]",
        ),
        Score(
            "rdm_target",
            lambda p: rdm_label_target_from(p.reps, p.labels, p.rdms),
            "Spearman correlation with the ideal same/different-class RDM, in [-1, 1]",
        ),
        Score(
            "rdm_target_last",
            lambda p: rdm_label_target_from(_last(p.reps), p.labels, _last(p.rdms)),
            "rdm_target of the last layer alone (the one the readout reads), in [-1, 1]",
        ),
        Score("sahd", lambda p: sahd_from(None, p.grams), "SNASNet's sparsity-aware Hamming"),
        Score("naswot", lambda p: naswot_from(None, p.grams), "log det of the Hamming kernel"),
        Score(
            "cm",
            lambda p: manhattan_from(None, p.grams),
            "MSE-NAS's released score: summed Manhattan distance of spike codes per LIF call",
        ),
        Score("params", lambda p: float(p.net.num_params()), "parameters", "min"),
        Score("sops", lambda p: p.per_sample["sops"], "synaptic operations per sample", "min"),
        Score(
            "energy",
            lambda p: energy(p.per_sample["sops"], p.per_sample["macs"]),
            "joules per sample (SOPs x 0.9 pJ + MACs x 4.6 pJ)",
            "min",
        ),
        Score("spikes", lambda p: p.per_sample["spikes"], "spikes per sample", "min"),
        Score(
            "spikes_pooled",
            lambda p: p.per_sample["spikes_pooled"],
            "spikes per sample, max-pool outputs of spikes counted too (AutoSNN's count)",
            "min",
        ),
    ]
}
FITNESSES = tuple(SCORES)


@dataclass(frozen=True)
class Combined:
    """An objective computed from scores already recorded for a genome (not from a
    forward pass): ``combine(measures, spikes_ref, lam)``."""

    name: str
    needs: tuple[str, ...]
    combine: Callable[[dict, float, float], float]
    doc: str
    direction: str = "max"
    spikes: str = "spikes"  # the measure whose generation-0 median is spikes_ref by default


def _spike_aware(measures: dict, spikes_ref: float, lam: float) -> float:
    acc = (1.0 + measures.get("rdm_target", -1.0)) / 2.0  # Spearman rho -> [0, 1]
    return spike_aware(acc, measures.get("spikes", 0.0), spikes_ref or 1.0, lam)


def _on_supernet(name: str, spikes: str, doc: str) -> Combined:
    """``acc · (spikes / spikes_ref)^λ`` with the supernet's accuracy and ``spikes``."""

    def combine(m: dict, ref: float, lam: float) -> float:
        return spike_aware(m.get("supernet_acc", 0.0), m.get(spikes, 0.0), ref or 1.0, lam)

    return Combined(name, ("supernet_acc", spikes), combine, doc, spikes=spikes)


COMBINED: dict[str, Combined] = {
    c.name: c
    for c in [
        Combined(
            "spike_aware",
            ("rdm_target", "spikes"),
            _spike_aware,
            "AutoSNN's acc x (spikes / spikes_ref)^lambda, with rdm_target standing in for acc",
        ),
        _on_supernet(
            "spike_aware_supernet",
            "supernet_spikes",
            "AutoSNN's acc x (spikes / spikes_ref)^lambda with a trained supernet's held-out "
            "accuracy and spikes (--supernet DIR)",
        ),
        _on_supernet(
            "spike_aware_autosnn",
            "supernet_spikes_pooled",
            "AutoSNN's fitness as its released search computes it: the supernet's held-out "
            "accuracy x (spikes, max-pool outputs counted / spikes_ref)^lambda",
        ),
    ]
}
# every name an evolution run may optimise -> its Score or Combined (direction, doc)
OBJECTIVES: dict[str, Score | Combined] = {**SCORES, **COMBINED}


def score(net, x, labels=None, fitness=("rdm",), layers="populations") -> dict[str, float]:
    """Every score asked for (names of :data:`SCORES`), from one forward pass of ``x``
    (see :func:`activity`). ``net``: a compiled network, or anything ``snarc.compile``
    takes (program text, a ``pathlib.Path``, a Module, an IR graph)."""
    if isinstance(fitness, str):
        fitness = (fitness,)
    if not isinstance(net, torch.nn.Module):
        from ..compiler import compile as compile_net

        net = compile_net(net)
    unknown = [f for f in fitness if f not in SCORES]
    if unknown:
        raise ValueError(f"unknown fitness '{unknown[0]}': one of {', '.join(SCORES)}")
    batch = Pass(net, x, labels, layers)
    return {f: SCORES[f].compute(batch) for f in fitness}
