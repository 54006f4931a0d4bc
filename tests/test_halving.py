"""Multi-fidelity search: acc@E as a fitness and the successive-halving scheduler."""

import json
import math

import pytest

from snarc.evolution import halving as hv
from snarc.evolution.config import Config, Objective, RunError
from snarc.evolution.evaluate import Task, evaluate
from snarc.evolution.halving import HalvingConfig, HalvingError, promote, run, rung_sizes


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SNARC_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def quiet(*_):
    pass


def test_promote_keeps_exactly_the_top_fraction():
    values = [0.3, float("nan"), 0.9, 0.5, 0.9, None, 0.1, 0.7, 0.2]
    assert promote(values, 3, "max") == [2, 4, 7]  # ties by draw order
    assert promote(values, 3, "min") == [6, 8, 0]
    assert promote(values, 9, "max")[-2:] == [1, 5]  # failures last
    assert rung_sizes(27, 3, 3) == [27, 9, 3]
    assert rung_sizes(10, 3, 4) == [10, 3, 1, 1]


def test_trained_measures_are_objectives():
    assert Objective.parse("acc@3").direction == "max"
    assert Objective.parse("loss@2").direction == "max"  # minus the cross-entropy
    cfg = Config(fitness=["acc@2", "spikes"])
    assert cfg.measures()[0] == "acc@2"
    for bad in ("acc@0", "acc@x", "acc"):
        with pytest.raises(RunError, match="unknown fitness"):
            Objective.parse(bad)


def test_acc_at_e_trains_on_held_out_training_data_and_is_reproducible():
    from snarc.evolution.groundtruth_build import distinct_programs

    (h, text), = distinct_programs("autosnn", 1, seed=0)  # fmt: skip
    task = Task(h, text, ("acc@1", "rdm_target", "params"), limit=40, batch=20)
    a, b = evaluate(task), evaluate(task)
    assert a["status"] == "ok", a["error"]
    assert a["measures"] == b["measures"]
    import snarc
    from snarc.evolution.fidelity import split

    Xtr, _, Xval, _ = split(snarc.compile(text), "ndigits", 0, 40)
    assert len(Xval) == round(0.25 * (len(Xtr) + len(Xval)))  # a quarter of the training split
    acc = a["measures"]["acc@1"]
    assert 0.0 <= acc <= 1.0 and math.isclose(acc * len(Xval), round(acc * len(Xval)))
    alone = evaluate(Task(h, text, ("acc@1",), limit=40, batch=20))
    assert alone["measures"]["acc@1"] == acc  # the scores asked beside it change nothing


def test_halving_measures_each_rung_promotes_the_top_and_resumes(tmp_path, monkeypatch):
    calls = []
    real = hv.evaluate

    def counting(task):
        calls.append((task.measures[0], task.hash))
        if task.measures[0] == "spikes" and len(calls) == 11:
            raise KeyboardInterrupt  # killed in the middle of rung 1
        return real(task)

    monkeypatch.setattr(hv, "evaluate", counting)
    cfg = HalvingConfig(space="autosnn", n=9, rungs=["params:min", "spikes:min", "acc@1"], eta=3,
                        limit=20, batch=20, executor="serial")  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        run(cfg, tmp_path, progress=False, log=quiet)
    assert [m for m, _ in calls].count("params") == 9
    calls.clear()
    result = run(cfg, tmp_path, progress=False, log=quiet)
    measured = [m for m, _ in calls]
    assert "params" not in measured  # the finished rung is not measured again
    assert measured.count("spikes") == 2  # one of three finished before the kill
    assert measured.count("acc@1") == 1
    r0, r1, r2 = result["rungs"]
    assert (r0["measured"], r1["measured"], r2["measured"]) == (9, 3, 1)
    smallest = sorted(r0["values"], key=lambda h: r0["values"][h])[:3]
    assert set(r1["values"]) == set(smallest)  # exactly the top third by params
    fewest = min(r1["values"], key=lambda h: r1["values"][h])
    assert set(r2["values"]) == {fewest} and result["pick"] == fewest
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["pick"] == fewest and (tmp_path / "pick.snarc").read_text() == result["text"]
    with pytest.raises(HalvingError, match="other settings"):
        run(HalvingConfig(**{**cfg.__dict__, "eta": 2}), tmp_path, progress=False, log=quiet)


def test_halving_refuses_combined_rungs():
    with pytest.raises(HalvingError, match="combines"):
        HalvingConfig(rungs=["spike_aware"]).validate()
    with pytest.raises(HalvingError, match="eta"):
        HalvingConfig(eta=1).validate()


def test_cli_halving_prints_every_rung_and_refuses_other_settings(tmp_path, capsys):
    from snarc.cli.main import main
    from snarc.evolution.groundtruth_build import distinct_programs

    argv = ["halving", "-o", str(tmp_path), "--n", "4", "--eta", "2", "--rungs", "params:min,spikes",
            "--limit", "40", "--batch", "20", "--executor", "serial", "-q"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "rung 0 params:min: 4 genomes" in out and "2 promoted" in out
    drawn = {t for _, t in distinct_programs("autosnn", 4, 0)}
    assert (tmp_path / "pick.snarc").read_text() in drawn
    assert main([*argv[:6], "3", *argv[7:]]) == 1  # --eta 3: not the run's setting
    assert "other settings (eta)" in capsys.readouterr().err


def test_map_retrying_runs_lost_tasks_again_and_returns_what_stays_lost():
    from snarc.evolution.evaluate import infra_failure
    from snarc.evolution.executors import map_retrying

    calls = []

    def flaky(task):
        calls.append(task)
        if task == "never" or (task == "once" and calls.count("once") == 1):
            return infra_failure("the worker process died")
        return {"status": "ok", "value": task}

    got = dict(map_retrying(["a", "once", "never"], flaky, "serial", retries=2))
    assert got[0]["value"] == "a" and got[1]["value"] == "once"
    assert got[2]["status"] == "infra"  # still lost after two retries: the caller keeps it
    assert calls.count("a") == 1 and calls.count("once") == 2 and calls.count("never") == 3


def test_a_supernet_rung_needs_a_supernet():
    with pytest.raises(HalvingError, match="--supernet"):
        HalvingConfig(rungs=["rdm_target", "supernet_acc"]).validate()
