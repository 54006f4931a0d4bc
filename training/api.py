"""``snarc.train``: train a program from Python in one call."""

from __future__ import annotations

import os
from pathlib import Path

from .config import TrainConfig
from .loop import train as train_text


def train(
    program,
    out: str | os.PathLike,
    *,
    resume: bool = False,
    progress: bool = True,
    log=print,
    **settings,
) -> dict:
    """Train ``program`` — a ``pathlib.Path`` to a ``.snarc`` file, program text or a
    parsed Module — into the training directory ``out`` and return the result (test
    accuracy, spikes per sample, parameters, the per-epoch history, warnings).

    ``settings`` are :class:`~snarc.training.TrainConfig`'s fields (``epochs``,
    ``batch``, ``lr``, ``data``, ``limit``, ``seed``, ...); ``resume=True`` continues
    ``out`` as ``snarc train --resume`` does.
    """
    from ..dsl import ast, format_module

    path = None
    if isinstance(program, os.PathLike):
        from ..util.fileio import read_text

        path = str(program)
        text = read_text(Path(program), "program")
    elif isinstance(program, ast.Module):
        text = format_module(program)
    elif isinstance(program, str):
        text = program
    else:
        raise TypeError(
            f"snarc.train takes a pathlib.Path, program text or a Module, not {type(program).__name__}"
        )
    cfg = TrainConfig(**settings)
    return train_text(
        text,
        cfg,
        Path(out),
        resume=resume,
        progress=progress,
        log=log,
        name=path or "<program>",
        path=path,
    )
