"""The snarc command line: check, fmt, summary."""

import json
import subprocess
import sys

from snarc.cli.main import main

GOOD = "import std.autosnn\n\nnetwork n {\n  input image(3, 8, 8) steps 2\n  a : plif\n  in -> a : conv(3, 4)\n  readout a over mean\n}\n"


def run(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "snarc", *args], capture_output=True, text=True, input=stdin
    )


def test_check_ok_and_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.snarc"
    good.write_text(GOOD)
    bad = tmp_path / "bad.snarc"
    bad.write_text(GOOD.replace("conv(3, 4)", "conv(3)"))
    assert main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "ok (network n: " in out and "parameters, 2 steps" in out
    assert main(["check", str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:6:13: error: conv() is missing its argument 'channels'" in err


def test_fmt_rewrites_checks_and_reads_stdin(tmp_path):
    messy = tmp_path / "messy.snarc"
    messy.write_text(GOOD.replace("  a : plif", "a:plif"))
    proc = run("fmt", "--check", str(messy))
    assert proc.returncode == 1 and "would reformat" in proc.stderr
    assert run("fmt", str(messy)).returncode == 0
    assert messy.read_text() == GOOD
    assert run("fmt", "--check", str(messy)).returncode == 0
    proc = run("fmt", "-", stdin="network   n {\n}\n")
    assert proc.stdout == "network n {\n}\n"


def test_fmt_never_corrupts_a_file_it_cannot_parse(tmp_path):
    broken = tmp_path / "broken.snarc"
    text = "network n {\n  a : \n}\n"
    broken.write_text(text)
    proc = run("fmt", str(broken))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"{broken}:2:7: syntax error")
    assert broken.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["broken.snarc"]  # no temp file left


def test_summary_json_and_table(root):
    proc = run("summary", "--json", str(root / "examples" / "mse_motifs.snarc"))
    data = json.loads(proc.stdout)
    assert {"params", "nodes", "edges", "timesteps"} <= set(data)
    assert data["timesteps"] == 8
    assert sum(n["params"] for n in data["nodes"]) == data["params"]
    assert any(e["kind"] == "feedback" and e["src"] == "c4.out" for e in data["edges"])
    table = run("summary", str(root / "examples" / "autosnn.snarc"))
    assert table.returncode == 0 and "417,626" in table.stdout


def test_check_does_not_import_torch(root):
    code = (
        "import sys\nfrom snarc.cli.main import main\n"
        f"rc = main(['check', '-q', {str(root / 'examples' / 'autosnn.snarc')!r}])\n"
        "assert rc == 0\nassert 'torch' not in sys.modules, 'check imported torch'\n"
        "assert 'rich' not in sys.modules\n"
        f"rc = main(['fmt', '--check', {str(root / 'examples' / 'autosnn.snarc')!r}])\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_shell_completion_offers_commands_and_options(tmp_path):
    """issue 18: shell completion through argcomplete (`eval "$(register-python-argcomplete
    snarc)"`); the shell calls snarc with these variables and reads the words back."""
    import os
    import subprocess
    import sys

    def complete(line: str) -> list[str]:
        out = tmp_path / "words"
        env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line,
               "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}  # fmt: skip
        subprocess.run([sys.executable, "-m", "snarc"], env=env, check=True, cwd=tmp_path)
        return out.read_text().split()

    assert complete("snarc tr") == ["train"]
    assert complete("snarc train --pat") == ["--patience"]
    assert set(complete("snarc render x.snarc --scale ")) == {"macro", "meso", "micro"}


def test_evolve_presets_are_named_and_checked(tmp_path, capsys):
    assert main(["evolve", "--preset", "nope", "--out", str(tmp_path / "a")]) != 0
    assert "unknown preset 'nope'" in capsys.readouterr().err
    assert main(["evolve", "--preset", "snasnet-paper", "--out", str(tmp_path / "b")]) != 0
    err = capsys.readouterr().err
    assert "snasnet-paper takes cifar10 input" in err and "snasnet-paper-cpu" in err
    assert main(["evolve", "--preset", "snasnet-paper-cpu", "--resume", str(tmp_path / "c")]) != 0
    assert "leave out --preset" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
