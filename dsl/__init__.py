"""The snarc language: parser, formatter, elaboration to the graph IR.

This package imports nothing else of snarc and never imports torch.
"""

from __future__ import annotations

from . import ast
from .api import elaborate, load, load_file, load_text
from .elaborate import DEFAULT_MAX_NODES, DEFAULT_MAX_PARAMS, elaborate_module
from .errors import (
    SnarcCycleError,
    SnarcError,
    SnarcImportError,
    SnarcNameError,
    SnarcResourceError,
    SnarcShapeError,
    SnarcSyntaxError,
    SnarcTypeError,
    SnarcValueError,
)
from .formatter import format_module, format_source
from .ir import ir_fingerprint
from .loader import Loader, std_modules
from .parser import parse
from .summary import summary

__all__ = [
    "DEFAULT_MAX_NODES",
    "DEFAULT_MAX_PARAMS",
    "Loader",
    "SnarcCycleError",
    "SnarcError",
    "SnarcImportError",
    "SnarcNameError",
    "SnarcResourceError",
    "SnarcShapeError",
    "SnarcSyntaxError",
    "SnarcTypeError",
    "SnarcValueError",
    "ast",
    "elaborate",
    "elaborate_module",
    "format_module",
    "format_source",
    "ir_fingerprint",
    "load",
    "load_file",
    "load_text",
    "parse",
    "std_modules",
    "summary",
]
