"""Trained measures: the accuracy of a genome after a short training, as a fitness.

``acc@E`` (E a whole number of epochs) trains the genome's network for E epochs on the
run's training subset (``limit`` samples of the training split) less a held-out quarter,
and returns the accuracy on that quarter - never the test split, which stays for judging
the search's final pick. Training is AdamW at a constant rate with cross-entropy on the
readout and the gradient norm clipped at 1 (as ``snarc train``), one thread, seeded by the run seed and the genome (as every evaluation is), so
a genome's ``acc@E`` is the same in any process. ``loss@E`` returns minus the held-out
cross-entropy instead, a smoother signal near chance.

These are the rungs of a multi-fidelity search (:mod:`snarc.evolution.halving`) and
objectives of ``snarc evolve`` beside the training-free scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPLITS: dict = {}
VAL_FRACTION = 0.25
PATTERN = re.compile(r"(acc|loss)@([1-9][0-9]{0,2})")


@dataclass(frozen=True)
class Trained:
    """A trained measure, as the objective registry describes one."""

    name: str
    kind: str  # "acc" | "loss"
    epochs: int
    direction: str = "max"

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.name,)

    @property
    def doc(self) -> str:
        what = "accuracy" if self.kind == "acc" else "minus the cross-entropy"
        return f"held-out {what} after {self.epochs} epoch(s) of training on the run's subset"


@dataclass(frozen=True)
class Inherited:
    """A measure taken with the weights a trained supernet passes on (``--supernet DIR``:
    :mod:`snarc.evolution.supernet_train`), on the supernet's held-out fifth."""

    name: str
    direction: str
    doc: str

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.name,)


SUPERNET = {
    m.name: m
    for m in (
        Inherited("supernet_acc", "max", "held-out accuracy with the supernet's weights"),
        Inherited("supernet_spikes", "min", "spikes per sample with the supernet's weights"),
        Inherited(
            "supernet_spikes_pooled",
            "min",
            "spikes per sample with the supernet's weights, max-pool outputs counted (AutoSNN)",
        ),
    )
}


def trained(name: str) -> Trained | Inherited | None:
    """The trained measure ``name`` (``acc@E``, ``loss@E``, ``supernet_acc``,
    ``supernet_spikes``), else ``None``."""
    if name in SUPERNET:
        return SUPERNET[name]
    m = PATTERN.fullmatch(name)
    return Trained(name, m.group(1), int(m.group(2))) if m else None


def split(net, data: str, seed: int, limit: int | None):
    """The run's training subset less its held-out quarter: ``(Xtr, ytr, Xval, yval)``,
    kept per process (every genome of a run trains on the same samples)."""
    key = (data, limit, seed, net.input_kind, tuple(net.input_shape), net.timesteps)
    if key not in _SPLITS:
        from ..training.data import load_tensors
        from ..training.loop import validation_split

        X, y = load_tensors(net, data, True, seed, limit)
        _SPLITS[key] = validation_split(X, y, VAL_FRACTION, seed)
    return _SPLITS[key]


def short_training(
    net, Xtr, ytr, Xval, yval, epochs: int, batch: int = 32, lr: float = 2e-3,
    gene_lr: float = 10.0, seed: int = 0, clip: float | None = None,
) -> dict:  # fmt: skip
    """Train ``net`` for ``epochs`` (AdamW at a constant ``lr``, cross-entropy, genes at
    ``gene_lr`` × lr, gradient norm clipped at ``clip`` where given); returns its held-out
    ``accuracy`` and mean cross-entropy ``loss``."""
    import torch
    import torch.nn.functional as F  # noqa: N812

    from ..training.groups import param_groups

    g = torch.Generator().manual_seed(seed)
    groups = param_groups(net, gene_lr)
    for group in groups:
        group["lr"] = lr * group.pop("scale")
    opt = torch.optim.AdamW(groups, lr=lr)

    def steps(x):
        return x.transpose(0, 1) if x.dim() == 5 else x  # frames: [B, T, ...] -> [T, B, ...]

    net.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(Xtr), generator=g).split(batch):
            loss = F.cross_entropy(net(steps(Xtr[idx])), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
            opt.step()
    net.eval()
    correct, total = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(Xval), 64):
            out = net(steps(Xval[i : i + 64]))
            correct += int((out.argmax(1) == yval[i : i + 64]).sum())
            total += float(F.cross_entropy(out, yval[i : i + 64], reduction="sum"))
    n = max(1, len(Xval))
    return {"accuracy": correct / n, "loss": total / n}


def measure(net, measure: Trained, data: str, seed: int, limit: int | None) -> float:
    """``measure`` of ``net`` (trained in place); NaN where the training diverged."""
    import math

    Xtr, ytr, Xval, yval = split(net, data, seed, limit)
    r = short_training(net, Xtr, ytr, Xval, yval, measure.epochs, seed=seed, clip=1.0)
    value = r["accuracy"] if measure.kind == "acc" else -r["loss"]
    return value if math.isfinite(value) else float("nan")
