"""The package's layout, as docs/design.md draws it: imports run one way, with the data;
nothing imports the CLI; package ``__init__`` files only re-export; modules stay small."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "build", "dist", "tests", "benchmarks", "scripts", "docs"}

# what each part of snarc may import of snarc (besides itself); docs/design.md says why
ALLOWED = {
    "dsl": set(),
    "grammars": set(),
    "stdlib": set(),
    "examples": set(),
    "util": {"dsl"},
    "compiler": {"dsl"},
    "fitness": {"dsl", "compiler"},
    "data": {"dsl", "util"},
    "render": {"dsl", "util"},
    "exchange": {"dsl", "compiler", "util"},
    "training": {"dsl", "compiler", "data", "fitness", "util"},
    "evolution": {"dsl", "compiler", "data", "fitness", "render", "training", "util"},
    "demo": {"dsl", "compiler", "data", "fitness", "render", "training", "evolution", "util"},
    "cli": {"dsl", "compiler", "data", "fitness", "render", "training", "evolution", "exchange",
            "util", "__init__"},
    "__init__": {"dsl", "compiler", "fitness", "training", "evolution", "render"},  # lazily
    "__main__": {"cli"},
}  # fmt: skip
LARGEST = 520  # lines: about 500
LARGE_EXCEPTIONS: set[str] = set()  # none left: the redesign split the elaborator


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in SKIP:
            continue
        yield rel, ast.parse(path.read_text(encoding="utf-8"))


def _part(rel: Path) -> str:
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(rel: Path, tree) -> set[str]:
    """The top-level parts of snarc that a module imports (relative or ``snarc.X``)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel.parts[:-1])[: len(rel.parts) - node.level]
                target = base + (node.module.split(".") if node.module else [])
                if not target:  # `from .. import x` at the root: a part, or the root's own
                    out |= {a.name if (ROOT / a.name).exists() or (ROOT / f"{a.name}.py").exists()
                            else "__init__" for a in node.names}  # fmt: skip
                else:
                    out.add(target[0])
            elif node.module and node.module.split(".")[0] == "snarc":
                names = node.module.split(".")
                out |= {names[1]} if len(names) > 1 else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            for a in node.names:
                names = a.name.split(".")
                if names[0] == "snarc":
                    out.add(names[1] if len(names) > 1 else "__init__")
    return out


def test_imports_run_one_way():
    wrong = []
    for rel, tree in _modules():
        part = _part(rel)
        for target in _imports(rel, tree) - {part}:
            if target not in ALLOWED.get(part, set()):
                wrong.append(f"{rel} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_the_cli():
    users = [
        str(rel)
        for rel, tree in _modules()
        if _part(rel) not in ("cli", "__main__") and "cli" in _imports(rel, tree)
    ]
    assert not users


@pytest.mark.parametrize("part", sorted(p for p in ALLOWED if (ROOT / p / "__init__.py").is_file()))
def test_package_init_files_only_re_export(part):
    init = ROOT / part / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            continue
        raise AssertionError(f"{part}/__init__.py line {node.lineno}: not a re-export")


def test_modules_stay_small():
    large = []
    for rel, _tree in _modules():
        lines = (ROOT / rel).read_text(encoding="utf-8").count("\n")
        if lines > LARGEST and str(rel) not in LARGE_EXCEPTIONS:
            large.append(f"{rel}: {lines} lines")
    assert not large, "\n".join(large)
