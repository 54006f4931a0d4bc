"""The canonical layout of a snarc program.

``format_source(text)`` parses and prints the program back: two-space indentation,
one statement per line, single spaces around arrows, ``:``, ``|`` and binary
operators, ``name: value`` keyword arguments, one blank line around motifs and the
network, and at most one blank line where the author left any. Comments are kept:
own-line comments stay before the statement that follows them, end-of-line comments
stay at the end of their line (a comment inside a statement that spans lines moves
before it). Numbers are printed as written.

Formatting is idempotent and never changes meaning: the IR of the formatted text
equals the IR of the original (tested over every shipped file).
"""

from __future__ import annotations

from . import ast
from .errors import SnarcSyntaxError
from .parser import parse

INDENT = "  "
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2}


def expr(e: ast.Expr, parent_prec: int = 0, right: bool = False) -> str:
    if isinstance(e, ast.Num):
        return e.text
    if isinstance(e, ast.Var):
        return e.name
    if isinstance(e, ast.Neg):
        return "-" + expr(e.operand, 3)
    if isinstance(e, ast.Call):
        return call(e)
    if isinstance(e, ast.BinOp):
        p = _PREC[e.op]
        text = f"{expr(e.left, p)} {e.op} {expr(e.right, p, right=True)}"
        if p < parent_prec or (right and p == parent_prec):
            return f"({text})"
        return text
    raise TypeError(e)  # pragma: no cover


def args(a: tuple[ast.Arg, ...]) -> str:
    return ", ".join(expr(x.value) if x.name is None else f"{x.name}: {expr(x.value)}" for x in a)


def call(c: ast.Call) -> str:
    return f"{c.name}({args(c.args)})" if c.args else c.name


def chain(ops) -> str:
    """`` : op | op`` after a connection or readout; nothing without operations."""
    return " : " + " | ".join(call(o) for o in ops) if ops else ""


def words(*parts) -> str:
    """The parts that are not empty, separated by spaces."""
    return " ".join(p for p in parts if p)


def statement(s) -> str:
    if isinstance(s, ast.Import):
        return f'import "{s.target}"' if s.is_path else f"import {s.target}"
    if isinstance(s, ast.NeuronDef):
        return f"neuron {s.name} = {s.model}({args(s.args)})"
    if isinstance(s, ast.PopDecl):
        n = s.neuron
        neuron = n.name if n.args is None else f"{n.name}({args(n.args)})"
        text = f"{', '.join(s.names)} : {neuron}"
        return text + (f" merge {s.merge}" if s.merge else "")
    if isinstance(s, ast.Edge):
        return words(
            f"{s.src.name} {s.arrow} {s.dst.name}{chain(s.ops)}",
            s.sign,
            s.genetic is not None and f"genetic({args(s.genetic)})",
        )
    if isinstance(s, ast.Cell):
        return words(
            f"cell {s.name} = {s.callee}" + (f"({args(s.args)})" if s.args else ""),
            s.sources and "from " + ", ".join(r.name for r in s.sources),
            s.merge and f"merge {s.merge}",
        )
    if isinstance(s, ast.Out):
        if s.merge is None:
            return f"out {s.refs[0].name}"
        return f"out {s.merge}({', '.join(r.name for r in s.refs)})"
    if isinstance(s, ast.Input):
        return words(
            f"input {s.kind}({args(s.args)}) steps {expr(s.steps)}",
            s.encode and f"encode {s.encode}",
            s.dt is not None and f"dt {expr(s.dt)}",
        )
    if isinstance(s, ast.Readout):
        return f"readout {s.ref.name}{chain(s.ops)} over {s.over}"
    raise TypeError(s)  # pragma: no cover


class _Printer:
    def __init__(self, module: ast.Module):
        self.comments = sorted(module.comments, key=lambda c: c.pos)
        self.i = 0
        self.lines: list[str] = []
        self.last_line = 0  # last source line accounted for

    def _pending(self, before_pos: int):
        out = []
        while self.i < len(self.comments) and self.comments[self.i].pos < before_pos:
            out.append(self.comments[self.i])
            self.i += 1
        return out

    def _trailing(self, line: int, after_pos: int) -> str:
        parts = []
        while (
            self.i < len(self.comments)
            and self.comments[self.i].line == line
            and self.comments[self.i].pos >= after_pos
        ):
            parts.append(self.comments[self.i].text)
            self.i += 1
        return ("  " + " ".join(parts)) if parts else ""

    def _blank(self, line: int, first: bool, force: bool = False):
        if first:
            return
        if force or line - self.last_line > 1:
            if self.lines and self.lines[-1] != "":
                self.lines.append("")

    def _emit_comments(self, comments, indent: str, first: bool, force: bool = False):
        for c in comments:
            self._blank(c.line, first, force)
            first = force = False
            self.lines.append(indent + c.text)
            self.last_line = c.line
        return first

    def _lead(self, node, indent: str, first: bool, force: bool):
        comments = self._pending(node.span.start_pos)
        if comments:
            self._emit_comments(comments, indent, first, force)
            return False, False
        return first, force

    def _simple(self, node, indent: str, first: bool, force_blank=False):
        first, force_blank = self._lead(node, indent, first, force_blank)
        inside = self._pending(node.span.end_pos)  # comments within a multi-line statement
        if inside:
            self._blank(node.span.line, first, force_blank)
            for c in inside:
                self.lines.append(indent + c.text)
            first = True
        self._blank(node.span.line, first, force_blank)
        self.lines.append(
            indent + statement(node) + self._trailing(node.span.end_line, node.span.end_pos)
        )
        self.last_line = node.span.end_line

    def _block(self, node, header: str, body, indent: str, first: bool, force_blank: bool):
        first, force_blank = self._lead(node, indent, first, force_blank)
        self._blank(node.span.line, first, force_blank)
        # the header ends at '{' on the first line
        header_end = node.span.start_pos
        self.lines.append(indent + header + " {" + self._trailing(node.span.line, header_end))
        self.last_line = node.span.line
        inner = indent + INDENT
        block_first = True
        for stmt in body:
            self._simple(stmt, inner, block_first)
            block_first = False
        closing = node.span.end_pos - 1
        self._emit_comments(self._pending(closing), inner, block_first)
        self.lines.append(indent + "}" + self._trailing(node.span.end_line, node.span.end_pos))
        self.last_line = node.span.end_line

    def module(self, module: ast.Module) -> str:
        first = True
        previous = None
        for item in module.items:
            big = isinstance(item, (ast.MotifDef, ast.NetworkDef))
            force = (
                big
                or isinstance(previous, (ast.MotifDef, ast.NetworkDef))
                or (previous is not None and type(previous) is not type(item))
            )
            if isinstance(item, ast.MotifDef):
                params = ", ".join(
                    p.name if p.default is None else f"{p.name} = {expr(p.default)}"
                    for p in item.params
                )
                self._block(item, f"motif {item.name}({params})", item.body, "", first, force)
            elif isinstance(item, ast.NetworkDef):
                self._block(item, f"network {item.name}", item.body, "", first, force)
            else:
                self._simple(item, "", first, force)
            first = False
            previous = item
        self._emit_comments(self._pending(10**12), "", first)
        return "\n".join(self.lines).rstrip("\n") + "\n" if self.lines else ""


def format_module(module: ast.Module) -> str:
    try:
        return _Printer(module).module(module)
    except RecursionError:
        raise SnarcSyntaxError("the program is nested too deeply to format", module.span) from None


def format_source(text: str, path: str = "<string>") -> str:
    """Parse ``text`` and return it in canonical layout (raises SnarcSyntaxError)."""
    return format_module(parse(text, path))
