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


def __getattr__(name: str):
    """``snarc.compile`` (:func:`snarc.compiler.compile`), imported on first use so that
    ``import snarc`` never imports torch."""
    if name == "compile":
        from .compiler import compile

        return compile
    raise AttributeError(f"module 'snarc' has no attribute {name!r}")


__all__ = [
    "__version__",
    "compile",
    "SnarcError",
    "elaborate",
    "format_source",
    "load",
    "load_file",
    "load_text",
    "parse",
    "summary",
]
