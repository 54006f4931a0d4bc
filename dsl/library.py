"""Checks of library files (no network): every motif is walked by the code that
instantiates motifs, with its parameters unknown, so every message exists once."""

from __future__ import annotations

from . import ast


def check_library(module: ast.Module, elab) -> None:
    """Check each motif of ``module`` as far as it can be checked without arguments.

    Every name a motif body uses must resolve (populations and cells, neurons,
    operations, callees); operations and called motifs get arguments they accept; a
    motif has exactly one ``out`` and no ``input`` or ``readout``. What depends on a
    parameter (a channel count, a neuron passed in) is checked where a network calls it.
    """
    for item in module.items:
        if isinstance(item, ast.MotifDef):
            with elab.recover():
                elab.check_motif(item)
