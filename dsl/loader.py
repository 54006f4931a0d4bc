"""Files, imports and the names they bring into scope.

``import std.autosnn`` reads the package resource ``snarc/stdlib/autosnn.snarc``;
``import "blocks.snarc"`` reads a file relative to the importing file, else from the
library path (``--lib-dir DIR``, ``SNARC_PATH``). Imports are confined: an imported
file must be a ``.snarc`` file inside the program's directory tree or a library
directory, after symbolic links are resolved, so a program cannot make snarc read (and
echo in an error excerpt) a file it has no business reading. An import
brings every neuron and motif that the imported file can see (its own definitions
and, transitively, what it imports). Two different definitions of one name are an
error; the same definition reached by two paths is not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from . import ast
from .errors import SnarcError, SnarcImportError, SnarcNameError
from .parser import parse

STD_PREFIX = "std."
PATH_VARIABLE = "SNARC_PATH"


def library_path() -> list[Path]:
    """The directories of ``$SNARC_PATH`` (``os.pathsep``-separated), resolved."""
    raw = os.environ.get(PATH_VARIABLE, "")
    return [Path(p).resolve() for p in raw.split(os.pathsep) if p.strip()]


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@dataclass
class Definition:
    node: ast.NeuronDef | ast.MotifDef
    origin: str  # the file it was written in


@dataclass
class Scope:
    """What a file can see: name → definition (neurons and motifs share one namespace)."""

    names: dict[str, Definition] = field(default_factory=dict)

    def neurons(self) -> dict[str, ast.NeuronDef]:
        return {k: d.node for k, d in self.names.items() if isinstance(d.node, ast.NeuronDef)}

    def motifs(self) -> dict[str, ast.MotifDef]:
        return {k: d.node for k, d in self.names.items() if isinstance(d.node, ast.MotifDef)}


@cache
def _std_module(key: str, text: str) -> ast.Module:
    """A standard library module, parsed once per process (the AST is immutable)."""
    return parse(text, key)


def std_modules() -> list[str]:
    """Names of the standard library modules (``std.autosnn``, ...)."""
    root = resources.files("snarc.stdlib")
    return sorted(
        STD_PREFIX + p.name[: -len(".snarc")] for p in root.iterdir() if p.name.endswith(".snarc")
    )


class Loader:
    """Parses files once and resolves their imports. Keeps every source text for excerpts."""

    def __init__(self, lib_dirs: list[str | Path] | None = None):
        """``lib_dirs``: directories imports may read besides the program's own tree
        (default ``$SNARC_PATH``)."""
        self.lib_dirs = (
            [Path(d).resolve() for d in lib_dirs] if lib_dirs is not None else library_path()
        )
        self.root: Path | None = None  # the program's directory (set on the first import)
        self.modules: dict[str, ast.Module] = {}
        self.sources: dict[str, str] = {}
        self._scopes: dict[str, Scope] = {}

    # ------------------------------------------------------------ reading
    def parse_text(self, text: str, path: str = "<string>") -> ast.Module:
        self.sources[path] = text
        try:
            module = parse(text, path)
        except SnarcError as err:
            raise err.with_sources(self.sources) from None
        self.modules[path] = module
        return module

    def parse_path(self, path: str | Path) -> ast.Module:
        key = str(path)
        if key in self.modules:
            return self.modules[key]
        return self._read(Path(path), key)

    def _read(self, path: Path, key: str) -> ast.Module:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SnarcImportError(f"no such file: {path}") from None
        except OSError as err:
            raise SnarcImportError(f"cannot read {path}: {err.strerror or err}") from None
        except UnicodeDecodeError as err:
            raise SnarcImportError(f"{path} is not UTF-8 text ({err.reason})") from None
        except ValueError:  # a NUL in the name
            raise SnarcImportError(f"{str(path)!r} is not a file name") from None
        return self.parse_text(text, key)

    def _read_std(self, name: str, span: ast.Span) -> ast.Module:
        key = f"<{name}>"
        if key in self.modules:
            return self.modules[key]
        leaf = name[len(STD_PREFIX) :]
        resource = resources.files("snarc.stdlib").joinpath(leaf.replace(".", "/") + ".snarc")
        if not leaf or not resource.is_file():
            raise SnarcImportError(
                f"no standard library module '{name}'",
                span,
                expected="one of " + ", ".join(std_modules()),
            )
        try:
            module = _std_module(key, resource.read_text(encoding="utf-8"))
        except SnarcError as err:
            raise err.with_sources(self.sources) from None
        self.modules[key] = module
        self.sources[key] = module.source
        return module

    def _resolve(self, imp: ast.Import, importer: ast.Module) -> ast.Module:
        if not imp.is_path:
            if not imp.target.startswith(STD_PREFIX):
                raise SnarcImportError(
                    f"cannot import '{imp.target}': modules by name come from the standard "
                    "library (std.NAME); import a file by its path in quotes",
                    imp.span,
                    expected="one of " + ", ".join(std_modules()),
                )
            return self._read_std(imp.target, imp.span)
        if not imp.target.endswith(".snarc"):
            raise SnarcImportError(
                f'cannot import "{imp.target}": imports name snarc files (NAME.snarc)', imp.span
            )
        base = Path(importer.path).parent if not importer.path.startswith("<") else Path.cwd()
        roots = self._roots(importer)
        candidates = [base / imp.target] + [d / imp.target for d in self.lib_dirs]
        for candidate in candidates:
            target = candidate.resolve()
            if not any(_inside(target, r) for r in roots):
                continue  # never looked at, so never read or echoed
            if target.is_file():
                key = str(target)
                return self.modules[key] if key in self.modules else self._read(target, key)
        outside = not any(_inside((base / imp.target).resolve(), r) for r in roots)
        raise SnarcImportError(
            f'cannot import "{imp.target}": '
            + (
                "it lies outside the program's directory and the library path"
                if outside
                else "no such file"
            ),
            imp.span,
            expected="a .snarc file under "
            + ", ".join(str(r) for r in roots)
            + (f" (or in ${PATH_VARIABLE}, --lib-dir)" if not self.lib_dirs else ""),
        )

    def _roots(self, importer: ast.Module) -> list[Path]:
        """Where imports may read: the directory of the program (the first file read by
        path; the working directory for text), and the library directories."""
        if self.root is None:
            first = next((p for p in self.modules if not p.startswith("<")), None)
            self.root = Path(first).resolve().parent if first else Path.cwd().resolve()
        return [self.root, *self.lib_dirs]

    # ------------------------------------------------------------ scopes
    def scope(self, module: ast.Module, _stack: tuple[str, ...] = ()) -> Scope:
        """The names ``module`` can see. Raises on import cycles and clashes."""
        if module.path in self._scopes:
            return self._scopes[module.path]
        stack = (*_stack, module.path)
        scope = Scope()
        try:
            for item in module.items:
                if isinstance(item, ast.Import):
                    imported = self._resolve(item, module)
                    if imported.path in stack:
                        chain = " -> ".join([*stack[stack.index(imported.path) :], imported.path])
                        raise SnarcImportError(f"import cycle: {chain}", item.span)
                    for name, definition in self.scope(imported, stack).names.items():
                        self._add(scope, name, definition, item.span)
            for item in module.items:
                if isinstance(item, (ast.NeuronDef, ast.MotifDef)):
                    self._add(scope, item.name, Definition(item, module.path), item.span, own=True)
        except SnarcError as err:
            raise err.with_sources(self.sources) from None
        self._scopes[module.path] = scope
        return scope

    @staticmethod
    def _add(scope: Scope, name: str, definition: Definition, span: ast.Span, own=False):
        previous = scope.names.get(name)
        if previous is not None and previous.node is not definition.node:
            what = "neuron" if isinstance(definition.node, ast.NeuronDef) else "motif"
            where = "imported" if not own else "defined"
            raise SnarcNameError(
                f"{what} '{name}' is {where} twice",
                span if not own else definition.node.span,
                notes=[("the other definition is here", previous.node.span)],
            )
        scope.names[name] = definition
