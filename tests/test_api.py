"""The Python API (issue 18): compile, score, draw, train and evolve as functions of
the top-level package, each taking what the CLI takes."""

import subprocess
import sys
from pathlib import Path

import torch

import snarc

PROG = """\
network api {
  input frames(2, 16, 16) steps 4
  a : LIF(tau_mem: 2.0, v_th: 0.5)
  in -> a : conv(3, 8, stride: 2) | bn
  o : LI(tau_mem: 2.0)
  a -> o : flatten | linear(10)
  readout o over mean
}
"""


def test_import_snarc_stays_light_and_names_the_api():
    code = (
        "import sys, snarc\n"
        "assert 'torch' not in sys.modules\n"
        "assert {'compile', 'score', 'draw', 'train', 'evolve'} <= set(snarc.__all__)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_score_and_render_take_a_program(tmp_path):
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(4, 6, 2, 16, 16, generator=g) < 0.2).float()
    labels = torch.arange(6) % 3
    scores = snarc.score(PROG, x, labels, fitness=["rdm_target", "spikes", "params"])
    assert set(scores) == {"rdm_target", "spikes", "params"} and scores["params"] > 0
    net = snarc.compile(PROG)
    assert snarc.score(net, x, fitness="params") == {"params": float(net.num_params())}
    out = snarc.draw(PROG, tmp_path / "api.dot", scale="micro")
    assert out.read_text().startswith('digraph "api (micro)"')


def test_train_and_evolve_from_python(ndigits_cache, tmp_path):
    prog = tmp_path / "api.snarc"
    prog.write_text(PROG)
    quiet = dict(progress=False, log=lambda *_: None)
    result = snarc.train(prog, tmp_path / "t", epochs=1, limit=60, **quiet)
    assert result["epochs"] == 1 and 0 <= result["test_accuracy"] <= 1
    assert (tmp_path / "t" / "checkpoint.pt").exists()
    summary = snarc.evolve(
        tmp_path / "e", space="autosnn", fitness=["rdm", "params"], population=3,
        generations=1, batch=20, limit=60, executor="serial", **quiet,
    )  # fmt: skip
    assert summary["front"] and summary["generations"]
    again = snarc.evolve(tmp_path / "e", resume=True, **quiet)
    assert again["front"] == summary["front"]
    assert Path(tmp_path / "e" / "store.sqlite").exists()


def test_api_names_survive_the_import_of_every_subpackage():
    """A function named like a subpackage would be replaced by the package once that is
    imported (why drawing is snarc.draw, not snarc.render)."""
    import importlib

    for part in ("compiler", "fitness", "training", "evolution", "render", "exchange", "data"):
        importlib.import_module(f"snarc.{part}")
    for name in ("compile", "score", "draw", "train", "evolve"):
        assert callable(getattr(snarc, name)), name
