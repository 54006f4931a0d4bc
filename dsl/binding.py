"""Evaluating argument expressions and binding arguments to a signature (operations,
neuron models), with the coercions and range checks of each argument."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import ast
from .errors import SnarcTypeError, SnarcValueError
from .signatures import REQUIRED, ArgDef
from .surrogates import SURROGATE_DEFS, SURROGATES
from .values import UNKNOWN, CallValue, Symbol, describe, suggest


@dataclass(frozen=True)
class Words:
    """How a kind of call words its argument errors."""

    too_many: Callable[[int, int], str]  # (parameters, arguments given) -> message
    unknown: Callable[[str], str]  # an unknown keyword -> message
    twice: Callable[[str], str]  # a parameter given twice -> message
    expected: str  # the call's signature, for "expected:"
    expected_names: str  # what an unknown keyword could have been


class Binder:
    """The part of the elaborator that evaluates and binds arguments (a mixin: it uses
    the elaborator's ``error``)."""

    def evaluate(self, expr: ast.Expr, env: dict[str, Any]):
        if isinstance(expr, ast.Num):
            return expr.value
        if isinstance(expr, ast.Var):
            if expr.name in env:
                return env[expr.name]
            if expr.name == "true":
                return True
            if expr.name == "false":
                return False
            return Symbol(expr.name, expr.span)
        if isinstance(expr, ast.Neg):
            v = self.evaluate(expr.operand, env)
            self._need_number(v, expr.operand.span, "'-'")
            return UNKNOWN if v is UNKNOWN else -v
        if isinstance(expr, ast.BinOp):
            a = self.evaluate(expr.left, env)
            b = self.evaluate(expr.right, env)
            if UNKNOWN in (a, b):
                for v, side in ((a, expr.left), (b, expr.right)):
                    if v is not UNKNOWN:
                        self._need_number(v, side.span, f"'{expr.op}'")
                return UNKNOWN
            self._need_number(a, expr.left.span, f"'{expr.op}'")
            self._need_number(b, expr.right.span, f"'{expr.op}'")
            if expr.op == "+":
                return a + b
            if expr.op == "-":
                return a - b
            if expr.op == "*":
                return a * b
            if b == 0:
                raise self.error(SnarcValueError, "division by zero", expr.span)
            if expr.op == "%":
                return a % b
            if isinstance(a, int) and isinstance(b, int) and a % b == 0:
                return a // b
            return a / b
        if isinstance(expr, ast.Call):
            return CallValue(
                expr.name,
                tuple((a.name, self.evaluate(a.value, env)) for a in expr.args),
                expr.span,
            )
        raise AssertionError(f"unknown expression {expr!r}")  # pragma: no cover

    def _need_number(self, v, span, where):
        if v is UNKNOWN:
            return
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(SnarcTypeError, f"{where} needs a number, got {describe(v)}", span)

    def _coerce(self, argdef: ArgDef, value, span, callee: str):
        what = f"{callee}: '{argdef.name}'"
        t = argdef.type
        if value is UNKNOWN:  # a library motif's parameter: checked where it is called
            return value
        if t == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float):
                    raise self.error(
                        SnarcTypeError, f"{what} must be a whole number, got {value:g}", span
                    )
                raise self.error(
                    SnarcTypeError, f"{what} must be a whole number, got {describe(value)}", span
                )
        elif t == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.error(
                    SnarcTypeError, f"{what} must be a number, got {describe(value)}", span
                )
            value = float(value)
        elif t == "bool":
            if not isinstance(value, bool):
                raise self.error(
                    SnarcTypeError, f"{what} must be true or false, got {describe(value)}", span
                )
        elif t == "symbol":
            if not isinstance(value, Symbol) or value.name not in argdef.choices:
                raise self.error(
                    SnarcValueError,
                    f"{what} must be one of {', '.join(argdef.choices)}, got {describe(value)}",
                    span,
                )
            value = value.name
        elif t == "name":
            if not isinstance(value, Symbol):
                raise self.error(
                    SnarcTypeError, f"{what} must be a name, got {describe(value)}", span
                )
            value = value.name
        elif t == "surrogate":
            value = self._surrogate(value, span, what)
        if argdef.check is not None and value is not None and t in ("int", "float"):
            problem = argdef.check(value)
            if problem:
                raise self.error(SnarcValueError, f"{what} {problem}, got {value:g}", span)
        return value

    def _surrogate(self, value, span, what):
        if isinstance(value, Symbol):
            name, args = value.name, ()
        elif isinstance(value, CallValue):
            name, args = value.name, value.args
        else:
            raise self.error(
                SnarcTypeError,
                f"{what} must be a surrogate gradient such as atan(2.0), got {describe(value)}",
                span,
            )
        if name not in SURROGATES:
            raise self.error(
                SnarcValueError,
                f"{what}: unknown surrogate gradient '{name}'",
                span,
                expected="one of " + ", ".join(SURROGATES),
            )
        alpha = SURROGATE_DEFS[name].alpha
        if len(args) > 1 or (args and args[0][0] not in (None, "alpha", "slope")):
            raise self.error(
                SnarcTypeError, f"{name}(...) takes one argument, its sharpness alpha", span
            )
        if args:
            alpha = args[0][1]
            if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
                raise self.error(
                    SnarcValueError,
                    f"{name}: alpha must be a number > 0, got {describe(alpha)}",
                    span,
                )
        return (SURROGATE_DEFS[name].alias_of or name, float(alpha))

    def match(self, args, names: list[str], words: Words, value: Callable) -> dict[str, Any]:
        """``{parameter: value(arg)}``: which parameter each argument of a call fills
        (positional ones in order, then keywords by name), each value computed as its
        argument is matched. The one matcher of operations, neuron models, inputs,
        ``genetic()`` and motifs; ``words`` holds each one's wording of the errors."""
        matched: dict[str, Any] = {}
        keyword = False
        for i, arg in enumerate(args):
            if arg.name is None:
                if keyword:
                    raise self.error(
                        SnarcTypeError,
                        "a positional argument cannot follow a keyword argument",
                        arg.span,
                    )
                if i >= len(names):
                    raise self.error(
                        SnarcTypeError,
                        words.too_many(len(names), len(args)),
                        arg.span,
                        expected=words.expected,
                    )
                key = names[i]
            else:
                keyword = True
                key = arg.name
                if key not in names:
                    raise self.error(
                        SnarcTypeError,
                        words.unknown(key),
                        arg.span,
                        expected=words.expected_names,
                        hint=suggest(key, names),
                    )
                if key in matched:
                    raise self.error(SnarcTypeError, words.twice(key), arg.span)
            matched[key] = value(arg)
        return matched

    def bind(self, callee: str, signature, args, env, span):
        """Match call arguments to a signature; fill defaults; coerce types."""
        names = [a.name for a in signature]
        words = Words(
            too_many=lambda n, got: (
                f"{callee}() takes at most {n} argument{'s' if n != 1 else ''}, got {got}"
            ),
            unknown=lambda key: f"{callee}() has no argument '{key}'",
            twice=lambda key: f"{callee}() got '{key}' twice",
            expected=f"{callee}({', '.join(names)})" if names else f"{callee} without arguments",
            expected_names="one of " + ", ".join(names) if names else "no arguments",
        )
        bound = self.match(
            args, names, words, lambda arg: (self.evaluate(arg.value, env), arg.value.span)
        )
        out = {}
        for a in signature:
            if a.name in bound:
                value, vspan = bound[a.name]
                out[a.name] = self._coerce(a, value, vspan, callee)
            elif a.default is REQUIRED:
                raise self.error(
                    SnarcTypeError,
                    f"{callee}() is missing its argument '{a.name}'",
                    span,
                    expected=f"{callee}({', '.join(names)})",
                )
            else:
                out[a.name] = a.default
        return out
