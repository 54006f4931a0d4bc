"""Every error snarc raises for a bad program.

All share one root, :class:`SnarcError`, and carry the :class:`~snarc.dsl.ast.Span`
of the construct that caused them. ``str(error)`` is the full report::

    net.snarc:4:13: error: unknown motif 'srbb'
       4 |   cell c1 = srbb(16, 5)
         |             ^^^^
      expected: a motif or an operation: scb, srb, maxpool, ...

The CLI prints exactly that and exits with status 1; it never shows a traceback
for a :class:`SnarcError`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .ast import Span


class SnarcError(Exception):
    """Root of every error about a snarc program."""

    kind = "error"

    def __init__(
        self,
        message: str,
        span: Span | None = None,
        *,
        expected: str | None = None,
        hint: str | None = None,
        source: str | None = None,
        notes: Iterable[tuple[str, Span]] = (),
        sources: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.span = span
        self.expected = expected
        self.hint = hint
        self.source = source
        self.notes = tuple(notes)
        self.sources = dict(sources or {})
        self.more: tuple[SnarcError, ...] = ()  # further errors of the same file

    # Line and column as attributes, like lark's UnexpectedInput.
    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    @property
    def file(self) -> str | None:
        return self.span.file if self.span else None

    def with_sources(self, sources: dict[str, str]) -> SnarcError:
        """Attach the text of the files that spans point into, for excerpts."""
        for k, v in sources.items():
            self.sources.setdefault(k, v)
        for other in self.more:
            other.with_sources(sources)
        return self

    def with_more(self, others) -> SnarcError:
        """This error first, then ``others`` found in the same elaboration: raised as
        this error's class, reported together."""
        self.more = tuple(others)
        return self

    @property
    def all(self) -> tuple[SnarcError, ...]:
        """This error and the ones found with it, in the order they were found."""
        return (self, *self.more)

    def _text(self, span: Span) -> str | None:
        if span.file in self.sources:
            return self.sources[span.file]
        if self.span is not None and span.file == self.span.file:
            return self.source
        return None

    def __str__(self) -> str:
        return self.report()

    def report(self) -> str:
        """This error, then every further error of the same file, then their count."""
        if not self.more:
            return self._report_one()
        parts = [e._report_one() for e in self.all]
        return "\n\n".join(parts) + f"\n\n{len(parts)} errors"

    def _report_one(self) -> str:
        if self.span is None or self.span.line == 0:
            head = f"{self.kind}: {self.message}"
            out = [head]
        else:
            out = [f"{self.span}: {self.kind}: {self.message}"]
            out.extend(excerpt(self._text(self.span), self.span))
        if self.expected:
            out.append(f"  expected: {self.expected}")
        if self.hint:
            out.append(f"  hint: {self.hint}")
        for text, span in self.notes:
            out.append(f"{span}: note: {text}")
            out.extend(excerpt(self._text(span), span))
        return "\n".join(out)


def excerpt(source: str | None, span: Span) -> list[str]:
    """The source line of ``span`` with a caret line under the construct."""
    if not source or span.line <= 0:
        return []
    lines = source.splitlines()
    if span.line > len(lines):
        return []
    text = lines[span.line - 1].rstrip("\n").expandtabs(1)
    width = len(str(span.line))
    start = max(span.column - 1, 0)
    if span.end_line == span.line and span.end_column > span.column:
        length = span.end_column - span.column
    else:
        length = max(len(text) - start, 1)
    length = max(1, min(length, max(len(text) - start, 1)))
    return [
        f" {span.line:>{width}} | {text}",
        f" {'':>{width}} | {' ' * start}{'^' * length}",
    ]


class SnarcSyntaxError(SnarcError):
    """The text does not follow the grammar."""

    kind = "syntax error"


class SnarcImportError(SnarcError, ImportError):
    """An ``import`` that cannot be resolved, or an import cycle."""


class SnarcNameError(SnarcError, NameError):
    """An unknown or duplicate name."""


class SnarcTypeError(SnarcError, TypeError):
    """Wrong arity or argument type in a call, or a value of the wrong kind."""


class SnarcValueError(SnarcError, ValueError):
    """A value out of range: negative channels, zero time steps, tau below dt, ..."""


class SnarcShapeError(SnarcError, ValueError):
    """Tensor shapes that do not fit together."""


class SnarcCycleError(SnarcError, ValueError):
    """A cycle of connections with no delay on it."""


class SnarcResourceError(SnarcError, MemoryError):
    """A network too large to allocate (over the configured parameter ceiling)."""


__all__ = [
    "SnarcError",
    "SnarcSyntaxError",
    "SnarcImportError",
    "SnarcNameError",
    "SnarcTypeError",
    "SnarcValueError",
    "SnarcShapeError",
    "SnarcCycleError",
    "SnarcResourceError",
    "excerpt",
]


class Poisoned(Exception):
    """Raised while a body is elaborated where a construct depends on one whose error
    was already recorded (a population that failed to declare, a cell whose motif
    failed): the statement is skipped, and nothing more is reported for it."""
