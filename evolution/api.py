"""``snarc.evolve``: an evolution run from Python in one call."""

from __future__ import annotations

import os
from pathlib import Path

from .config import Config
from .run import Evolution


def evolve(
    out: str | os.PathLike, *, resume: bool = False, progress: bool = True, log=print, **settings
) -> dict:
    """Evolve architectures into the run directory ``out`` and return the run's summary
    (the Pareto front, the best genome, hypervolume per generation, paths of the plots).

    ``settings`` are :class:`~snarc.evolution.config.Config`'s fields (``space``,
    ``fitness``, ``population``, ``generations``, ``seed``, ``data``, ``executor``, ...);
    ``resume=True`` continues ``out`` after a crash or a kill, as ``snarc evolve
    --resume`` does (only runtime settings such as ``workers`` may then be given).
    """
    if resume:
        evo = Evolution.resume(Path(out), progress=progress, log=log, **settings)
    else:
        evo = Evolution(Config(**settings), Path(out), progress=progress, log=log)
    return evo.run()
