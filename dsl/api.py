"""The language's entry points, one per kind of input (nothing is guessed):

* :func:`load_file` – a ``.snarc`` file → :class:`~snarc.dsl.ast.Module`;
* :func:`load_text` – program text → Module;
* :func:`load` – dispatches on the *type*: an ``os.PathLike`` is a file, a ``str`` is
  program text, a Module is returned as it is;
* :func:`elaborate` – any of those → the graph IR (None for a library file).
"""

from __future__ import annotations

import os

from . import ast
from .elaborate import DEFAULT_MAX_NODES, DEFAULT_MAX_PARAMS, elaborate_module
from .errors import SnarcError
from .loader import Loader


def load_file(path: str | os.PathLike, loader: Loader | None = None) -> ast.Module:
    """Parse the ``.snarc`` file at ``path``."""
    return (loader or Loader()).parse_path(path)


def load_text(text: str, name: str = "<string>", loader: Loader | None = None) -> ast.Module:
    """Parse program text; ``name`` is the file name its errors report."""
    loader = loader or Loader()
    try:
        return loader.parse_text(text, name)
    except SnarcError as err:
        if _one_line_path(text):
            err.hint = (
                f"{text.strip()!r} was read as program text; for a file pass a "
                "pathlib.Path or call snarc.load_file"
            )
        raise


def load(source, loader: Loader | None = None) -> ast.Module:
    """A Module as it is; an ``os.PathLike`` (``pathlib.Path``) read as a file; a ``str``
    parsed as program text."""
    if isinstance(source, ast.Module):
        return source
    if isinstance(source, os.PathLike):
        return load_file(source, loader)
    if isinstance(source, str):
        return load_text(source, loader=loader)
    raise TypeError(
        f"snarc.load takes program text (str), a path (pathlib.Path) or a Module, "
        f"not {type(source).__name__}"
    )


def elaborate(
    source,
    *,
    max_params: int = DEFAULT_MAX_PARAMS,
    max_nodes: int = DEFAULT_MAX_NODES,
    loader: Loader | None = None,
):
    """Text, a path or a Module (as :func:`load` takes them) → graph IR (a networkx
    MultiDiGraph); None for a library file."""
    loader = loader or Loader()
    module = load(source, loader)
    return elaborate_module(module, loader, max_params=max_params, max_nodes=max_nodes)


def _one_line_path(text: str) -> bool:
    """Program text that is one line naming a .snarc file: a likely mix-up worth a hint."""
    return "\n" not in text.strip() and text.strip().endswith(".snarc")
