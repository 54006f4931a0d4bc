"""snarc: a language and toolchain for spiking neural network architectures.

Write an architecture as text at three scales (neurons, motifs, network wiring),
check it, draw it, compile it to a PyTorch module of Norse neuron cells, score it
without training, train it, and evolve better ones by mutating the parse trees of
grammar-defined search spaces.

Heavy parts (torch, norse) are imported only where they are used; importing
``snarc`` or running ``snarc check`` never imports torch.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("snarc")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

from .dsl import (  # noqa: E402
    SnarcError,
    elaborate,
    format_source,
    load,
    load_file,
    load_text,
    parse,
    summary,
)

# the Python API's heavy functions, imported on first use so that ``import snarc``
# never imports torch: name -> (module, attribute)
_LAZY = {
    "compile": (".compiler", "compile"),
    "score": (".fitness.score", "score"),
    "train": (".training.api", "train"),
    "evolve": (".evolution.api", "evolve"),
    "draw": (".render.draw", "draw"),
}


def __getattr__(name: str):
    """``snarc.compile``, ``snarc.score``, ``snarc.train``, ``snarc.evolve`` and
    ``snarc.draw``, imported on first use (``snarc.render`` is the drawing package, so
    the drawing function is ``snarc.draw``)."""
    if name in _LAZY:
        from importlib import import_module

        module, attr = _LAZY[name]
        return getattr(import_module(module, __name__), attr)
    raise AttributeError(f"module 'snarc' has no attribute {name!r}")


__all__ = [
    "__version__",
    "compile",
    "evolve",
    "draw",
    "score",
    "train",
    "SnarcError",
    "elaborate",
    "format_source",
    "load",
    "load_file",
    "load_text",
    "parse",
    "summary",
]
