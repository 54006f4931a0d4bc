"""Text → :class:`~snarc.dsl.ast.Module`.

The grammar is ``grammars/snarc.lark`` (package data), parsed with Lark's LALR(1)
parser and its contextual lexer. A small post-lexer drops blank lines and the line
breaks inside parentheses (so long argument lists may span lines); comments are
collected on the side so that the formatter can keep them.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from . import ast
from .cache import cache_file, seal
from .errors import SnarcSyntaxError

# Human-readable names for the grammar's named terminals.
_TERMINAL_NAMES = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": 'a quoted path ("...")',
    "_NL": "end of line (or ';')",
    "ARROW": "an arrow (->, =>, ~>, ..>)",
    "SIGN": "excitatory or inhibitory",
    "$END": "end of file",
}


class _Postlex:
    """Collapse runs of line breaks and drop those inside parentheses."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        previous_newline = True  # also drops blank lines at the start of a file
        for token in stream:
            if token.type == "_NL":
                if depth > 0 or previous_newline:
                    continue
                previous_newline = True
                yield token
                continue
            if token.type == "LPAR":
                depth += 1
            elif token.type == "RPAR" and depth:
                depth -= 1
            previous_newline = False
            yield token


class _Comments(threading.local):
    def __init__(self):
        self.items: list[Token] = []


_comments = _Comments()


def grammar_text() -> str:
    return resources.files("snarc.grammars").joinpath("snarc.lark").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The language's Lark LALR parser (built once per process).

    The LALR tables are cached in a private, verified per-user directory (see
    :mod:`snarc.dsl.cache`), never in the shared temporary directory.
    """
    import sys

    import lark

    text = grammar_text()
    key = f"{text}\0lark {lark.__version__}\0python {sys.version_info[:2]}"
    path = cache_file("snarc-grammar", key)
    parser = Lark(
        text,
        start="module",
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        postlex=_Postlex(),
        lexer_callbacks={"COMMENT": lambda tok: _comments.items.append(tok)},
        cache=path or False,  # start-up in ms, not 200 ms
    )
    seal(path)
    return parser


def keywords() -> frozenset[str]:
    """The grammar's reserved words (string terminals that look like names)."""
    import re

    return frozenset(
        t.pattern.value
        for t in lark_parser().terminals
        if isinstance(t.pattern, PatternStr) and re.fullmatch(r"[A-Za-z_]\w*", t.pattern.value)
    )


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[name]
    try:
        term = lark_parser().get_terminal(name)
    except KeyError:
        return name
    if isinstance(term.pattern, PatternStr):
        return f"'{term.pattern.value}'"
    return name.lower()


def _expected_list(names) -> str:
    described = sorted({_describe_terminal(n) for n in names})
    # Keywords first, then descriptions, for stable messages.
    quoted = [d for d in described if d.startswith("'")]
    other = [d for d in described if not d.startswith("'")]
    items = quoted + other
    if len(items) == 1:
        return items[0]
    return "one of " + ", ".join(items)


def _span_at(path: str, line: int, column: int, pos: int, length: int = 1) -> ast.Span:
    return ast.Span(path, line, column, line, column + length, pos, pos + length)


def _syntax_error(err: UnexpectedInput, path: str, text: str) -> SnarcSyntaxError:
    if isinstance(err, UnexpectedToken):
        tok = err.token
        if tok.type == "$END":
            # Point just past the last character.
            lines = text.rstrip("\n").splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            span = _span_at(path, line, column, len(text.rstrip("\n")))
            msg = "unexpected end of file"
        else:
            length = max(len(tok.value), 1) if tok.type != "_NL" else 1
            span = _span_at(path, tok.line, tok.column, tok.start_pos or 0, length)
            if tok.type == "_NL":
                msg = "unexpected ';'" if tok.value.startswith(";") else "unexpected end of line"
            else:
                msg = f"unexpected {_token_text(tok)}"
        return SnarcSyntaxError(
            msg,
            span,
            expected=_expected_list(err.expected),
            hint=_reserved_hint(tok, err.expected, text),
            source=text,
        )
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        span = _span_at(path, err.line, err.column, err.pos_in_stream)
        expected = _expected_list(err.allowed) if err.allowed else None
        return SnarcSyntaxError(
            f"unexpected character {char!r}", span, expected=expected, source=text
        )
    if isinstance(err, UnexpectedEOF):
        lines = text.rstrip("\n").splitlines() or [""]
        span = _span_at(path, len(lines), len(lines[-1]) + 1, len(text))
        return SnarcSyntaxError(
            "unexpected end of file", span, expected=_expected_list(err.expected), source=text
        )
    return SnarcSyntaxError(str(err), None, source=text)  # pragma: no cover


def _reserved_hint(tok: Token, expected, text: str) -> str | None:
    """Where a declaration names a reserved word (``out : lif``, ``a, cell : lif``), say
    so: the parser alone only sees an unexpected token."""
    if tok.type == "$END":
        return None
    reserved = keywords()
    word = tok.value if tok.value in reserved and "NAME" in expected else None
    if word is None and tok.value in (":", ","):
        pos = tok.start_pos or 0
        line = text[text.rfind("\n", 0, pos) + 1 : pos]
        names = re.fullmatch(r"\s*(?:[A-Za-z_]\w*\s*,\s*)*([A-Za-z_]\w*)\s*", line)
        word = names.group(1) if names and names.group(1) in reserved else None
    if word is None:
        return None
    return f"'{word}' is a reserved word and cannot name a population, cell or parameter"


def _token_text(tok: Token) -> str:
    if tok.type == "NAME":
        return f"name '{tok.value}'"
    if tok.type == "NUMBER":
        return f"number {tok.value}"
    return f"'{tok.value}'"


class _ToAst(Transformer):
    """Lark parse tree → typed AST. Methods are named after grammar rules."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def _span(self, meta) -> ast.Span:
        if getattr(meta, "empty", True):
            return ast.NO_SPAN
        return ast.Span(
            self.path,
            meta.line,
            meta.column,
            meta.end_line,
            meta.end_column,
            meta.start_pos,
            meta.end_pos,
        )

    def _tok_span(self, tok: Token) -> ast.Span:
        return ast.Span(
            self.path,
            tok.line,
            tok.column,
            tok.end_line,
            tok.end_column,
            tok.start_pos,
            tok.end_pos,
        )

    # ---- expressions
    @v_args(meta=True)
    def number(self, meta, children):
        (tok,) = children
        text = str(tok)
        is_int = all(c.isdigit() for c in text)
        value: int | float = int(text) if is_int else float(text)
        return ast.Num(value=value, text=text, span=self._span(meta))

    @v_args(meta=True)
    def var(self, meta, children):
        return ast.Var(name=str(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def call(self, meta, children):
        name, args = children
        return ast.Call(name=str(name), args=args or (), span=self._span(meta))

    def _bin(op):  # noqa: N805 - factory used at class creation
        @v_args(meta=True)
        def method(self, meta, children):
            left, right = children
            return ast.BinOp(op=op, left=left, right=right, span=self._span(meta))

        return method

    add = _bin("+")
    sub = _bin("-")
    mul = _bin("*")
    div = _bin("/")
    mod = _bin("%")
    del _bin

    @v_args(meta=True)
    def neg(self, meta, children):
        return ast.Neg(operand=children[0], span=self._span(meta))

    @v_args(meta=True)
    def kwarg(self, meta, children):
        name, value = children
        return ast.Arg(name=str(name), value=value, span=self._span(meta))

    def args(self, children):
        out = []
        for c in children:
            if isinstance(c, ast.Arg):
                out.append(c)
            else:
                out.append(ast.Arg(name=None, value=c, span=c.span))
        return tuple(out)

    # ---- references
    @v_args(meta=True)
    def ref(self, meta, children):
        return ast.Ref(name=str(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def ref_in(self, meta, children):
        return ast.Ref(name="in", span=self._span(meta))

    def refs(self, children):
        return tuple(children)

    # ---- imports
    def dotted(self, children):
        return ".".join(str(c) for c in children)

    @v_args(meta=True)
    def import_stmt(self, meta, children):
        (target,) = children
        if isinstance(target, Token) and target.type == "STRING":
            return ast.Import(target=target.value[1:-1], is_path=True, span=self._span(meta))
        return ast.Import(target=str(target), is_path=False, span=self._span(meta))

    # ---- neurons
    @v_args(meta=True)
    def neuron_def(self, meta, children):
        name, model, args = children
        return ast.NeuronDef(
            name=str(name),
            model=str(model),
            args=args or (),
            model_span=self._tok_span(model),
            span=self._span(meta),
        )

    @v_args(meta=True)
    def neuron_named(self, meta, children):
        return ast.NeuronRef(name=str(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def neuron_inline(self, meta, children):
        name, args = children
        return ast.NeuronRef(name=str(name), args=args or (), span=self._span(meta))

    def merge(self, children):
        return children[0]

    @v_args(meta=True)
    def pop_decl(self, meta, children):
        *names, neuron, merge = children
        return ast.PopDecl(
            names=tuple(str(n) for n in names),
            neuron=neuron,
            merge=str(merge) if merge is not None else None,
            merge_span=self._tok_span(merge) if merge is not None else None,
            name_spans=tuple(self._tok_span(n) for n in names),
            span=self._span(meta),
        )

    # ---- edges
    def ops(self, children):
        return tuple(children)

    @v_args(meta=True)
    def op(self, meta, children):
        name, args = children
        return ast.Call(name=str(name), args=args or (), span=self._span(meta))

    def sign(self, children):
        return ("sign", children[0])

    @v_args(meta=True)
    def genetic(self, meta, children):
        return ("genetic", children[0] or (), self._span(meta))

    @v_args(meta=True)
    def edge(self, meta, children):
        src, arrow, dst, ops, *mods = children
        sign = None
        genetic = None
        genetic_span = None
        for mod in mods:
            if mod[0] == "sign":
                if sign is not None:
                    raise SnarcSyntaxError(
                        "an edge has one sign: excitatory or inhibitory",
                        self._tok_span(mod[1]),
                    )
                sign = str(mod[1])
            else:
                if genetic is not None:
                    raise SnarcSyntaxError("genetic(...) is given twice", mod[2])
                genetic, genetic_span = mod[1], mod[2]
        return ast.Edge(
            src=src,
            arrow=str(arrow),
            dst=dst,
            ops=ops or (),
            sign=sign,
            genetic=genetic,
            genetic_span=genetic_span,
            span=self._span(meta),
        )

    # ---- cells and outputs
    @v_args(meta=True)
    def cell(self, meta, children):
        name, callee, args, sources, merge = children
        return ast.Cell(
            name=str(name),
            callee=str(callee),
            args=args,
            sources=sources or (),
            merge=str(merge) if merge is not None else None,
            callee_span=self._tok_span(callee),
            span=self._span(meta),
        )

    @v_args(meta=True)
    def out_single(self, meta, children):
        return ast.Out(refs=(children[0],), merge=None, span=self._span(meta))

    @v_args(meta=True)
    def out_merge(self, meta, children):
        merge, refs = children
        return ast.Out(refs=refs, merge=str(merge), span=self._span(meta))

    # ---- network statements
    def encode(self, children):
        return ("encode", str(children[0]))

    def dt(self, children):
        return ("dt", children[0])

    @v_args(meta=True)
    def input_stmt(self, meta, children):
        kind, args, steps, *opts = children
        encode = None
        dt = None
        for key, value in opts:
            if key == "encode":
                encode = value
            else:
                dt = value
        return ast.Input(
            kind=str(kind),
            args=args or (),
            steps=steps,
            encode=encode,
            dt=dt,
            span=self._span(meta),
        )

    @v_args(meta=True)
    def readout_stmt(self, meta, children):
        ref, ops, over = children
        return ast.Readout(ref=ref, ops=ops or (), over=str(over), span=self._span(meta))

    # ---- definitions
    def body(self, children):
        return tuple(children)

    @v_args(meta=True)
    def param(self, meta, children):
        name, default = children
        return ast.Param(name=str(name), default=default, span=self._span(meta))

    def params(self, children):
        return tuple(children)

    @v_args(meta=True)
    def motif_def(self, meta, children):
        name, params, body = children
        return ast.MotifDef(name=str(name), params=params or (), body=body, span=self._span(meta))

    @v_args(meta=True)
    def network_def(self, meta, children):
        name, body = children
        return ast.NetworkDef(name=str(name), body=body, span=self._span(meta))


def parse(text: str, path: str | Path = "<string>") -> ast.Module:
    """Parse snarc source text into a :class:`~snarc.dsl.ast.Module`.

    Raises :class:`~snarc.dsl.errors.SnarcSyntaxError` with file, line and column.
    """
    path = str(path)
    parser = lark_parser()
    source = text if text.endswith("\n") else text + "\n"
    _comments.items = []
    try:
        tree = parser.parse(source)
    except UnexpectedInput as err:
        raise _syntax_error(err, path, text) from None
    comments = tuple(
        ast.Comment(text=str(t).rstrip(), line=t.line, column=t.column, pos=t.start_pos)
        for t in _comments.items
    )
    _comments.items = []
    try:
        items = _ToAst(path).transform(tree).children
    except RecursionError:
        raise SnarcSyntaxError(
            "the program is nested too deeply to read",
            ast.Span(path, 1, 1, 1, 1, 0, 0),
            source=text,
        ) from None
    except Exception as err:  # lark wraps errors raised in callbacks in VisitError
        inner = getattr(err, "orig_exc", err)
        if isinstance(inner, SnarcSyntaxError):
            inner.source = text
            raise inner from None
        raise
    span = ast.Span(path, 1, 1, max(1, text.count("\n")), 1, 0, len(text))
    return ast.Module(path=path, items=tuple(items), comments=comments, source=text, span=span)
