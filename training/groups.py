"""The optimiser's parameter groups: genes apart.

A genetically encoded connection's weights come from genes and interactions of order 1
(``X, O ~ N(0, 1)``, the product scaled to a weight), where a plain weight is of order
``1/√fan_in``. Adam's steps have an absolute size, so at one learning rate genes move
their weights more slowly, relative to their size, than plain weights move.
``gene_lr`` multiplies the learning rate of genes and interactions (default 10).
Measured on examples/genetic_resnet.snarc, N-Digits, 5 epochs at lr 2e-3, seeds 0-2:
test accuracy 0.354 (gene_lr 1), 0.430 (10), 0.441 (30); its unencoded twin 0.875;
every parameter at lr 2e-2: 0.722 (seed 0). docs/performance.md has the table."""

from __future__ import annotations


def param_groups(net, gene_lr: float) -> list[dict]:
    """``[{"params": [...], "scale": s}, ...]``: genes and interactions at ``gene_lr``
    times the learning rate, every other parameter at 1× (empty groups left out)."""
    if gene_lr == 1.0:  # one group, as before gene_lr (an older run's optimiser state fits)
        return [{"params": list(net.parameters()), "scale": 1.0}]
    genes = {id(p) for p in (*net.genes.parameters(), *net.gene_pools.parameters())}
    plain = [p for p in net.parameters() if id(p) not in genes]
    encoded = [p for p in net.parameters() if id(p) in genes]
    groups = [{"params": plain, "scale": 1.0}, {"params": encoded, "scale": float(gene_lr)}]
    return [g for g in groups if g["params"]]
