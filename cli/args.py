"""Argument types for the command line: every number is checked where argparse reads
it, so that ``--lr nan`` or ``--batch 0`` is refused with a message naming the flag
(``snarc train: error: argument --lr: ...``) before any work starts."""

from __future__ import annotations

import argparse
import math


def _number(kind, text: str):
    try:
        value = kind(text)
    except (TypeError, ValueError):
        word = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {word}, got '{text}'") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got '{text}'")
    return value


def _checked(name: str, kind, accepts, words: str):
    """An argparse type: a ``kind`` number for which ``accepts(value)`` holds."""

    def parse(text: str):
        value = _number(kind, text)
        if not accepts(value):
            raise argparse.ArgumentTypeError(f"must {words}, got {text}")
        return value

    parse.__name__ = name
    return parse


finite_float = _checked("finite_float", float, lambda v: True, "be a finite number")
positive_int = _checked("positive_int", int, lambda v: v >= 1, "be at least 1")
non_negative_int = _checked("non_negative_int", int, lambda v: v >= 0, "be 0 or more")
seed = _checked("seed", int, lambda v: 0 <= v < 2**63, "lie in [0, 2**63)")
positive_float = _checked("positive_float", float, lambda v: v > 0, "be above 0")
non_negative_float = _checked("non_negative_float", float, lambda v: v >= 0, "be 0 or more")
probability = _checked("probability", float, lambda v: 0 <= v <= 1, "lie in [0, 1]")
fraction_below_one = _checked("fraction_below_one", float, lambda v: 0 <= v < 1, "lie in [0, 1)")
MAX_TIME_BINS = 10_000
# time bins of a dataset's frames: every bin is a frame in memory
time_bins = _checked(
    "time_bins", int, lambda v: 1 <= v <= MAX_TIME_BINS, f"lie in [1, {MAX_TIME_BINS:,}]"
)


def size(text: str) -> int:
    """A memory size: ``512M``, ``16G`` or bytes."""
    from ..dsl.memory import parse_size

    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Every option's default in ``--help``, unless its help text already states it or
    the default is 'not given' (None, False)."""

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default is None
            or default is False
            or default is argparse.SUPPRESS
            or not action.option_strings
            or isinstance(default, list)
        ):
            return text
        shown = f"{default:,}" if isinstance(default, int) and default >= 10_000 else default
        return f"{text.strip()} (default {shown})" if text.strip() else f"default {shown}"


def show_defaults(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` and all its subcommands' parsers :class:`DefaultsHelpFormatter`."""
    parser.formatter_class = DefaultsHelpFormatter
    for action in parser._actions:
        if (
            not action.help
            and action.option_strings
            and action.default is not None
            and action.default is not False
            and action.default is not argparse.SUPPRESS
        ):
            action.help = f"default {action.default}"  # argparse prints nothing for no help
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                show_defaults(sub)
