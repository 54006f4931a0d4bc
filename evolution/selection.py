"""Selection: objective matrices, NSGA-II's ranks and crowding (pymoo), hypervolume."""

from __future__ import annotations

import numpy as np

from .config import Objective
from .store import Record


def objective_matrix(
    records: list[Record], objectives: list[Objective], spikes_ref: float | None, lam: float
) -> np.ndarray:
    """Objective values as a minimisation matrix (maximised ones negated; failures +inf)."""
    from ..fitness.score import COMBINED

    F = np.full((len(records), len(objectives)), np.inf)
    for i, r in enumerate(records):
        if not r.ok:
            continue
        for j, o in enumerate(objectives):
            if o.name in COMBINED:
                v = COMBINED[o.name].combine(r.measures, spikes_ref, lam)
            else:
                v = r.measures.get(o.name, np.nan)
            if np.isfinite(v):
                F[i, j] = -v if o.direction == "max" else v
    return F


def _finite(F: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(F), F, 1e300)


def nondominated_ranks(F: np.ndarray) -> np.ndarray:
    """Pareto rank of each row (0 = first front), by pymoo's non-dominated sorting."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    ranks = np.zeros(len(F), int)
    if len(F) == 0:
        return ranks
    for k, front in enumerate(NonDominatedSorting().do(_finite(F))):
        ranks[front] = k
    return ranks


def crowding(F: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance (pymoo), infinite at the extremes."""
    from pymoo.operators.survival.rank_and_crowding.metrics import calc_crowding_distance

    if len(F) <= 2:
        return np.full(len(F), np.inf)
    return calc_crowding_distance(_finite(F))


def nsga2_order(F: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices best first by (rank, -crowding, index); also ranks and crowding."""
    ranks = nondominated_ranks(F)
    crowd = np.zeros(len(F))
    for k in np.unique(ranks):
        idx = np.flatnonzero(ranks == k)
        crowd[idx] = crowding(F[idx])
    order = sorted(range(len(F)), key=lambda i: (ranks[i], -crowd[i], i))
    return np.array(order, int), ranks, crowd


def hypervolume(F: np.ndarray, norm: dict | None) -> float | None:
    """Hypervolume of the points' first front after normalising with the run's ideal and
    nadir points (from generation 0), reference point 1.1 in every objective."""
    if norm is None or len(F) == 0:
        return None
    from pymoo.indicators.hv import HV

    ideal, nadir = np.array(norm["ideal"]), np.array(norm["nadir"])
    span = np.where(nadir - ideal > 0, nadir - ideal, 1.0)
    G = (F[np.all(np.isfinite(F), axis=1)] - ideal) / span
    if len(G) == 0:
        return 0.0
    return float(HV(ref_point=np.full(F.shape[1], 1.1))(G))
