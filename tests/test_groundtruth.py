"""Ground-truth tables: draw, train, store, resume, extend (snarc bench)."""

import sqlite3
import statistics

import pytest

from snarc.evolution import groundtruth_build as gb
from snarc.evolution.groundtruth import GroundTruth, pooled_seed_sd, summary
from snarc.evolution.groundtruth_build import GroundTruthError, Recipe, build, distinct_programs
from snarc.evolution.store import StoreError

TINY = Recipe(data="ndigits", epochs=1, batch=16, limit=20)


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SNARC_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def quiet(*_):
    pass


def test_draw_is_distinct_valid_and_prefix_stable():
    five = distinct_programs("autosnn", 5, seed=3)
    seven = distinct_programs("autosnn", 7, seed=3)
    assert seven[:5] == five
    assert len({h for h, _ in seven}) == 7
    assert distinct_programs("autosnn", 5, seed=4) != five


def test_build_trains_every_pair_resumes_and_grows(tmp_path, monkeypatch):
    calls = []
    real = gb.train_job

    def counting(job):
        calls.append((job.hash, job.seed))
        if len(calls) == 3 and not getattr(counting, "interrupted", False):
            counting.interrupted = True
            raise KeyboardInterrupt  # a kill in the middle of the build
        return real(job)

    monkeypatch.setattr(gb, "train_job", counting)
    with pytest.raises(KeyboardInterrupt):
        build(tmp_path, "autosnn", 2, 2, TINY, executor="serial", progress=False, log=quiet)
    with GroundTruth(tmp_path) as t:
        assert len(t.done()) == 2  # two trainings finished before the kill
        first = {(r["hash"], r["seed"]) for r in t.runs()}
    calls.clear()
    table = build(tmp_path, "autosnn", 2, 2, TINY, executor="serial", progress=False, log=quiet)
    assert set(calls).isdisjoint(first) and len(calls) == 2  # only what was missing
    rows = table.table()
    assert len(rows) == 2 and all(len(r["accuracies"]) == 2 for r in rows)
    assert all(0.0 <= a <= 1.0 for r in rows for a in r["accuracies"])
    assert all(r["params"] > 0 and r["wall_s"] > 0 for r in rows)
    table.close()
    calls.clear()  # one more architecture: only its two seeds are trained
    table = build(tmp_path, "autosnn", 3, 2, TINY, executor="serial", progress=False, log=quiet)
    assert len(calls) == 2 and {s for _, s in calls} == {0, 1}
    assert len(table.table()) == 3
    table.close()


def test_a_table_keeps_its_recipe_and_space(tmp_path):
    build(tmp_path, "autosnn", 1, 1, TINY, executor="serial", progress=False, log=quiet).close()
    with pytest.raises(GroundTruthError, match="recipe"):
        build(tmp_path, "autosnn", 1, 1, Recipe(data="ndigits", epochs=2, limit=20),
              executor="serial", progress=False, log=quiet)  # fmt: skip
    with pytest.raises(GroundTruthError, match="space"):
        build(tmp_path, "msenas", 1, 1, TINY, executor="serial", progress=False, log=quiet)


def test_hashes_read_back_are_checked(tmp_path):
    GroundTruth(tmp_path).close()
    db = sqlite3.connect(tmp_path / "bench.sqlite")
    with db:
        db.execute("INSERT INTO archs VALUES (0, '../../etc', 'x')")
    db.close()
    with GroundTruth(tmp_path) as t, pytest.raises(StoreError, match="16 hex digits"):
        t.archs()


def test_not_a_table(tmp_path):
    (tmp_path / "bench.sqlite").write_bytes(b"garbage, not sqlite" * 100)
    with pytest.raises(StoreError, match="not a ground-truth table"):
        GroundTruth(tmp_path)


def test_seed_noise_and_spread_by_hand():
    rows = [
        {"accuracy": 0.5, "accuracies": [0.4, 0.6], "wall_s": 1.0},
        {"accuracy": 0.8, "accuracies": [0.8, 0.8], "wall_s": 3.0},
        {"accuracy": 0.3, "accuracies": [0.3], "wall_s": 2.0},
    ]
    # pooled: (1·var[0.4,0.6] + 1·0) / 2 = 0.02 / 2
    assert pooled_seed_sd(rows) == pytest.approx((0.02 / 2) ** 0.5)
    s = summary(rows)
    assert s["between_sd"] == pytest.approx(statistics.stdev([0.5, 0.8, 0.3]))
    assert s["spread_over_noise"] == pytest.approx(s["between_sd"] / 0.1)
    assert s["train_s_per_arch"] == pytest.approx(2.0)
    k = 5 / 3  # seeds per architecture, on average
    assert s["reliability"] == pytest.approx(1 - 0.01 / k / s["between_sd"] ** 2)


def test_cli_build_and_show(tmp_path, capsys):
    from snarc.cli.main import main

    d = tmp_path / "gt"
    argv = ["bench", "build", str(d), "--space", "autosnn", "--n", "2", "--seeds", "2",
            "--data", "ndigits", "--epochs", "1", "--limit", "20", "--executor", "serial", "-q"]  # fmt: skip
    assert main(argv) == 0
    assert "2 architectures: test accuracy" in capsys.readouterr().out
    png = tmp_path / "table.png"
    assert main(["bench", "show", str(d), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "space autosnn" in out and "seed noise sd" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["bench", "show", str(tmp_path / "nothing")]) == 1
    assert "no ground-truth table" in capsys.readouterr().err


def test_the_shipped_table_is_what_its_draw_and_recipe_say():
    """benchmarks/tables/autosnn-hard: the architectures are the table's own seeded draw
    of the space as snarc draws it today (a change of the grammar or the formatter
    that changed them would show here: rebuild the table), every row is complete and
    every accuracy a fraction."""
    from pathlib import Path

    from snarc.evolution.space import genome_hash

    root = Path(__file__).parent.parent / "benchmarks" / "tables" / "autosnn-hard"
    assert (root / "bench.sqlite").is_file()
    with GroundTruth(root) as t:
        archs, rows = t.archs(), t.table()
        space, seed, seeds = t.get_meta("space"), t.get_meta("draw_seed"), t.get_meta("seeds")
        recipe = t.get_meta("recipe")
    assert (space, recipe["data"], seeds) == ("autosnn", "ndigits-hard", 2)
    assert all(genome_hash(a["text"]) == a["hash"] for a in archs)
    assert [(a["hash"], a["text"]) for a in archs] == distinct_programs(space, len(archs), seed)
    assert len(rows) >= 60
    for r in rows:
        assert len(r["accuracies"]) == seeds and all(0 <= a <= 1 for a in r["accuracies"])
        assert r["params"] > 0 and r["wall_s"] > 0
