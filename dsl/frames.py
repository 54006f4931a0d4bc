"""Scopes while a body is elaborated: the network's, or one per motif instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ast

# names a body may not declare: the language's own
RESERVED = {"in", "out", "input", "readout", "none", "true", "false", "excitatory", "inhibitory"}


@dataclass
class Entry:
    kind: str  # "pop" or "cell"
    span: ast.Span
    node: str | None = None  # pop: its node; cell: its output node
    in_node: str | None = None  # cell: its input node


@dataclass
class Frame:
    prefix: str  # "c2." or ""
    scope_name: str  # "c2" or ""
    motif: str | None
    env: dict[str, Any]
    in_node: str | None
    neurons: dict[str, ast.NeuronDef] = field(default_factory=dict)
    names: dict[str, Entry] = field(default_factory=dict)
    out_node: str | None = None
