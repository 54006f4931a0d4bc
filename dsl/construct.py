"""Building syntax trees in code, for programs that snarc writes itself (NIR import):
``call("conv", 3, 16, stride=2)`` is the :class:`~snarc.dsl.ast.Call` of
``conv(3, 16, stride: 2)``. The tree is printed by the formatter
(:func:`~snarc.dsl.formatter.format_module`), never assembled as text."""

from __future__ import annotations

from . import ast

Value = int | float | bool | str | ast.Node


def num(x: int | float) -> ast.Num:
    """A number as the formatter prints it: whole numbers as written, floats with six
    significant digits and always a point or an exponent (``2.0``, ``1e-05``)."""
    if isinstance(x, bool):
        raise TypeError("a bool is not a number here; use expr(True)")
    if isinstance(x, int):
        return ast.Num(value=x, text=str(x))
    text = f"{x:.6g}"
    if not any(c in text for c in ".einf"):
        text += ".0"
    return ast.Num(value=float(text), text=text)


def expr(value: Value) -> ast.Expr:
    """A Python value as an expression: numbers, ``true``/``false``, a bare name (str)."""
    if isinstance(value, ast.Node):
        return value
    if isinstance(value, bool):
        return ast.Var(name="true" if value else "false")
    if isinstance(value, (int, float)):
        return num(value)
    if isinstance(value, str):
        return ast.Var(name=value)
    raise TypeError(f"no snarc expression for {value!r}")


def args(*positional: Value, **keywords: Value) -> tuple[ast.Arg, ...]:
    """Positional arguments, then keyword arguments in the order given."""
    return tuple(ast.Arg(name=None, value=expr(v)) for v in positional) + tuple(
        ast.Arg(name=k, value=expr(v)) for k, v in keywords.items()
    )


def call(name: str, *positional: Value, **keywords: Value) -> ast.Call:
    """``name(positional..., key: value...)``, or bare ``name`` without arguments."""
    a = args(*positional, **keywords)
    return ast.Call(name=name, args=a)


def ref(name: str) -> ast.Ref:
    return ast.Ref(name=name)


def comment(text: str) -> ast.Comment:
    """A comment printed before the module's first item."""
    return ast.Comment(text=text if text.startswith("#") else "# " + text, line=0, column=0, pos=-1)
