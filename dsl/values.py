"""The values of the language while it is elaborated: names, calls, neurons; and how
they are described in messages."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from . import ast


@dataclass(frozen=True)
class Symbol:
    """A bare name that is not a parameter: ``hard``, ``true``, a neuron's name."""

    name: str
    span: ast.Span


@dataclass(frozen=True)
class CallValue:
    name: str
    args: tuple[tuple[str | None, Any], ...]
    span: ast.Span


@dataclass(frozen=True)
class NeuronValue:
    definition: ast.NeuronDef | None  # None for inline models and `none`
    inline: ast.NeuronRef | None = None


class Unknown:
    """The value of a motif parameter while a library file is checked: the motif is
    walked without arguments, so what depends on them is left unchecked."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


def describe(value) -> str:
    if value is UNKNOWN:
        return "a parameter's value"
    if isinstance(value, Symbol):
        return f"name '{value.name}'"
    if isinstance(value, CallValue):
        return f"call {value.name}(...)"
    if isinstance(value, NeuronValue):
        return "a neuron"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


def one_of(options) -> str:
    options = list(options)
    return options[0] if len(options) == 1 else "one of " + ", ".join(options)


def suggest(name: str, options) -> str | None:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    return ("did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else None
