"""The language's entry points: a path, program text or Module → Module (:func:`load`)
and → graph IR (:func:`elaborate`)."""

from __future__ import annotations

from pathlib import Path

from . import ast
from .elaborate import DEFAULT_MAX_NODES, DEFAULT_MAX_PARAMS, elaborate_module
from .loader import Loader


def _looks_like_path(source) -> bool:
    if isinstance(source, Path):
        return True
    return (
        isinstance(source, str)
        and "\n" not in source
        and "{" not in source
        and (source.endswith(".snarc") or Path(source).is_file())
    )


def load(source, loader: Loader | None = None) -> ast.Module:
    """Parse a file (a path) or program text into a Module."""
    loader = loader or Loader()
    if isinstance(source, ast.Module):
        return source
    if _looks_like_path(source):
        return loader.parse_path(source)
    return loader.parse_text(source, "<string>")


def elaborate(
    source,
    *,
    max_params: int = DEFAULT_MAX_PARAMS,
    max_nodes: int = DEFAULT_MAX_NODES,
    loader: Loader | None = None,
):
    """Path, text or Module → graph IR (a networkx MultiDiGraph); None for a library file."""
    loader = loader or Loader()
    module = load(source, loader)
    return elaborate_module(module, loader, max_params=max_params, max_nodes=max_nodes)
