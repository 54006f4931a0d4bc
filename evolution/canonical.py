"""Canonical forms of genomes, by name: a space whose header says
``// @canonical NAME`` maps every derivation through ``CANONICAL[NAME]`` before it
becomes a program, so that derivations of one network share one text (and one
genome id). A function takes the space and a derivation tree and returns a derivation
tree of the same space. Register another with ``CANONICAL["name"] = fn``."""

from __future__ import annotations

import re
from collections.abc import Callable

from .snasnet_cell import canonical_tree

CANONICAL: dict[str, Callable] = {
    "snasnet-cell": canonical_tree,  # SNASNet's pruning of unreachable nodes
}

_TAG = re.compile(r"^\s*//\s*@canonical\s+(\S+)\s*$", re.M)


def canonical_name(text: str) -> str | None:
    """The canonical form a grammar's ``// @canonical NAME`` line asks for, if any."""
    found = _TAG.search(text)
    return found.group(1) if found else None
