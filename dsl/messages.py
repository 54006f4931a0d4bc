"""Errors the elaborator raises from more than one place, each written once. A
function returns a :class:`Problem`; the elaborator raises it through its ``problem``
method, which adds the notes that name the cells being instantiated
(:meth:`Problem.error` raises it without them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SnarcNameError, SnarcValueError
from .neuron_models import NEURON_MODELS
from .signatures import OPS
from .values import suggest


@dataclass(frozen=True)
class Problem:
    cls: type
    message: str
    span: object
    kw: dict = field(default_factory=dict)

    def error(self):
        return self.cls(self.message, self.span, **self.kw)


def unknown_choice(what: str, value: str, options, span, expected: str | None = None) -> Problem:
    """A word that must be one of a fixed set: an input kind, a readout mode, a merge rule."""
    options = list(options)
    return Problem(
        SnarcValueError,
        f"unknown {what} '{value}'",
        span,
        {"expected": expected or "one of " + ", ".join(options), "hint": suggest(value, options)},
    )


def belongs_in_network(what: str, span) -> Problem:
    """``input`` or ``readout`` written in a motif."""
    kw = {"hint": "a motif names its output with `out`"} if what == "readout" else {}
    return Problem(SnarcNameError, f"'{what}' belongs in a network, not in a motif", span, kw)


def unknown_neuron_model(name: str, span) -> Problem:
    return Problem(
        SnarcNameError,
        f"unknown neuron model '{name}'",
        span,
        {"expected": "one of " + ", ".join(NEURON_MODELS), "hint": suggest(name, NEURON_MODELS)},
    )


def unknown_motif(name: str, span, motifs) -> Problem:
    return Problem(
        SnarcNameError,
        f"unknown motif '{name}'",
        span,
        {
            "expected": "a motif or an operation: " + ", ".join(sorted(motifs) + list(OPS)),
            "hint": suggest(name, list(motifs) + list(OPS)),
        },
    )


def unknown_operation(name: str, span, hint: str | None = None) -> Problem:
    return Problem(
        SnarcNameError,
        f"unknown operation '{name}'",
        span,
        {"expected": "one of " + ", ".join(OPS), "hint": hint or suggest(name, OPS)},
    )


def reserved_name(name: str, span) -> Problem:
    return Problem(SnarcNameError, f"'{name}' is a reserved name", span)


def declared_twice(name: str, span, first, notes=()) -> Problem:
    return Problem(
        SnarcNameError,
        f"'{name}' is declared twice",
        span,
        {"notes": [("first declared here", first), *notes]},
    )


def in_is_not_a_target(span) -> Problem:
    return Problem(
        SnarcValueError, "'in' is an input: it cannot be the target of a connection", span
    )


def no_out(motif: str, span) -> Problem:
    return Problem(
        SnarcValueError,
        f"motif '{motif}' has no 'out'",
        span,
        {"hint": "end the motif with `out NODE` or `out concat(A, B)`"},
    )


def second_out(motif: str, span, first) -> Problem:
    return Problem(
        SnarcValueError,
        f"motif '{motif}' has more than one 'out'",
        span,
        {"notes": [("the first is here", first)]},
    )
