"""snarc installs as one import package, from an editable checkout and from a wheel."""

import importlib
import subprocess
import sys
import zipfile
from pathlib import Path

import snarc


def test_editable_install_imports_from_the_checkout(root):
    assert Path(snarc.__file__).resolve().parent == root
    assert snarc.__version__ != "0+unknown"
    for sub in ("snarc.dsl", "snarc.compiler", "snarc.evolution", "snarc.cli"):
        importlib.import_module(sub)
    assert snarc.dsl.std_modules() == ["std.autosnn", "std.msenas", "std.snasnet"]


def test_wheel_contains_the_package_and_its_data_and_imports(root, tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("snarc-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "snarc/__init__.py",
        "snarc/py.typed",
        "snarc/grammars/snarc.lark",
        "snarc/stdlib/autosnn.snarc",
        "snarc/dsl/parser.py",
        "snarc/cli/main.py",
        "snarc/examples/autosnn.snarc",
        "snarc/demo.py",
    ):
        assert required in names
    # nothing but the package: no tests, benchmarks or top-level modules of other names
    assert all(n.startswith(("snarc/", "snarc-")) for n in names), sorted(names)
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import snarc, sys\n"
        f"assert snarc.__file__.startswith({str(site)!r}), snarc.__file__\n"
        "from snarc.cli.main import main\n"
        f"sys.exit(main(['check', '-q', {str(root / 'examples' / 'autosnn.snarc')!r}]))\n"
    )
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp_path)


def test_the_demo_runs_from_a_wheel_in_a_fresh_venv(root, tmp_path, ndigits_cache):
    """``python -m snarc.demo --quick`` in a new virtual environment that holds the wheel
    and sees the dependencies (but not the checkout): the demo needs no repository."""
    import sysconfig

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(root)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("snarc-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )  # fmt: skip
    # the dependencies of this environment, without its editable snarc (a .pth in a
    # directory named by a .pth is not read, so the checkout's finder stays out)
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(
        [str(python), "-c", "import snarc; print(snarc.__file__)"],
        capture_output=True, text=True, cwd=work,
    )  # fmt: skip
    assert proc.stdout.strip().startswith(str(site)), proc.stdout + proc.stderr
    proc = subprocess.run(
        [str(python), "-m", "snarc.demo", "--quick"],
        capture_output=True, text=True, cwd=work, timeout=600,
        env={"PATH": "/usr/bin:/bin", "SNARC_CACHE": str(ndigits_cache), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Result" in proc.stdout and "test accuracy" in proc.stdout
    assert (work / "out" / "demo-quick" / "evolve" / "best.snarc").is_file()
