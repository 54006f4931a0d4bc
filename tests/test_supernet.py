"""AutoSNN's supernet: weight sharing by place, inherited-weight evaluation, resumable
training."""

import numpy as np
import pytest
import torch

import snarc
from snarc.evolution.groundtruth_build import distinct_programs
from snarc.evolution.supernet import Supernet, SupernetError, weight_keys
from snarc.evolution.supernet_train import (
    NAME,
    SupernetConfig,
    measure_candidates,
    open_supernet,
    train_supernet,
)

TINY = SupernetConfig(epochs=2, limit=40, batch=16)


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SNARC_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def quiet(*_):
    pass


def spikes(shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g) < 0.2).float()


def test_one_weight_per_block_and_position():
    s = Supernet("autosnn")
    places = set(s.places.values())
    # every candidate of every position has its own weights; the stem and classifier one
    assert any(p.startswith("b2=srb(32, 5)|") for p in places)
    assert any(p.startswith("b2=scb(32, 5)|") for p in places)
    assert sum(p.startswith("|E:input->stem|") for p in places) == 6  # conv, BN (w, b, 3 buffers)
    assert not any(p.startswith("b1=identity") for p in places)  # a skip has no weights
    # AutoSNN's one-shot model: the stem, 5 positions x their blocks, the classifier
    per_arch = [snarc.compile(t).num_params() for _, t in distinct_programs("autosnn", 4, 0)]
    assert sum(p.numel() for p in s.parameters()) > max(per_arch)


def test_inherited_weights_equal_a_standalone_module_loaded_with_them():
    s = Supernet("autosnn", seed=3)
    with torch.no_grad():  # weights that differ from any fresh initialisation
        for p in s.weights.values():
            p.add_(0.05 * torch.randn_like(p))
    x = spikes((6, 4, 2, 32, 32))
    for _, text in distinct_programs("autosnn", 3, seed=1):
        bound = s.bind(text)
        alone = snarc.compile(text)
        alone.load_state_dict(s.inherited_state(text))
        bound.eval(), alone.eval()
        with torch.no_grad():
            a, sa = bound(x, return_stats=True)
            b, sb = alone(x, return_stats=True)
        assert torch.equal(a, b) and torch.equal(sa.total_spikes, sb.total_spikes)
        # and the bound module's weights are the supernet's tensors themselves
        keys = weight_keys(bound, snarc.parse(text))
        name = next(n for n, _ in bound.named_parameters() if "=" in keys[n].split("|")[0])
        slot = next(sl for sl, k in s.places.items() if k == keys[name])
        assert bound.get_parameter(name) is s.weights[slot]


def test_architectures_share_what_they_have_in_common():
    s = Supernet("autosnn")
    a = s.bind(s.space.canonical(s.space.covering()[1]))
    b = s.bind(s.space.canonical(s.space.covering()[2]))
    assert a.get_parameter("neurons.stem.w") is b.get_parameter("neurons.stem.w")
    shared = {id(p) for p in a.parameters()} & {id(p) for p in b.parameters()}
    assert 0 < len(shared) < len(list(a.parameters()))


def test_a_foreign_architecture_is_refused():
    s = Supernet("autosnn")
    text = snarc.format_source(
        s.space.canonical(s.space.covering()[0]).replace("linear(100)", "linear(50)")
    )
    with pytest.raises(SupernetError, match="holds no weight"):
        s.bind(text)


def test_training_resumes_to_the_same_weights(tmp_path):
    whole = train_supernet(TINY, tmp_path / "whole", progress=False, log=quiet)
    assert whole["epochs"] == 2
    part = SupernetConfig(**{**TINY.__dict__, "epochs": 1})
    train_supernet(part, tmp_path / "cut", progress=False, log=quiet)  # then killed
    with pytest.raises(snarc.SnarcError, match="--resume"):
        train_supernet(TINY, tmp_path / "cut", progress=False, log=quiet)
    train_supernet(TINY, tmp_path / "cut", resume=True, progress=False, log=quiet)
    a, _, _ = open_supernet(tmp_path / "whole")
    b, _, ck = open_supernet(tmp_path / "cut")
    assert ck["epoch"] == 2
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k
    (tmp_path / "cut" / NAME).write_bytes(b"damaged")
    with pytest.raises(snarc.SnarcError, match="damaged"):
        open_supernet(tmp_path / "cut")
    other = SupernetConfig(**{**TINY.__dict__, "lr": 1e-4})
    with pytest.raises(snarc.SnarcError, match="other settings"):
        train_supernet(other, tmp_path / "whole", resume=True, progress=False, log=quiet)


def test_candidates_are_measured_on_the_held_out_fifth(tmp_path):
    train_supernet(TINY, tmp_path, progress=False, log=quiet)
    texts = [t for _, t in distinct_programs("autosnn", 2, seed=0)]
    rows = measure_candidates(tmp_path, texts)
    assert len(rows) == 2 and all(0 <= r["accuracy"] <= 1 and r["spikes"] >= 0 for r in rows)
    again = measure_candidates(tmp_path, texts)

    def strip(rs):
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in rs]

    assert strip(again) == strip(rows)  # eval mode: the same numbers every time
    from snarc.evolution.supernet_train import _data

    Xtr, _, Xval, _ = _data(open_supernet(tmp_path)[0], TINY)
    n_val = len(Xval)
    assert n_val == round(0.2 * (len(Xtr) + n_val))  # a fifth of the training split
    assert all(np.isclose(r["accuracy"] * n_val, round(r["accuracy"] * n_val)) for r in rows)


def test_evolution_with_autosnns_fitness_on_the_supernet(tmp_path):
    from snarc.evolution.config import RunError
    from snarc.evolution.run import Config, Evolution

    train_supernet(TINY, tmp_path / "sn", progress=False, log=quiet)
    fit = ["spike_aware_supernet"]
    with pytest.raises(RunError, match="trained supernet"):
        Config(space="autosnn", fitness=fit).validate()
    cfg = Config(space="autosnn", fitness=fit, population=3, generations=1, executor="serial",
                 supernet=str(tmp_path / "sn"), limit=40, batch=20)  # fmt: skip
    evo = Evolution(cfg, tmp_path / "run", progress=False)
    evo.run()
    records = [r for r in evo.store.records() if r.ok]
    assert records and all("supernet_acc" in r.measures for r in records)
    assert evo.store.get_meta("spikes_ref") == pytest.approx(
        float(
            np.median(
                [
                    r.measures["supernet_spikes"]
                    for r in records[:3]
                    if r.measures["supernet_spikes"] > 0
                ]
            )
        )
    )


def test_cli_supernet_train_and_score(tmp_path, capsys):
    from snarc.cli.main import main

    d = tmp_path / "sn"
    assert (
        main(["supernet", "train", str(d), "--epochs", "1", "--limit", "40", "--batch", "16", "-q"])
        == 0
    )
    assert "weight tensors" in capsys.readouterr().out
    prog = tmp_path / "a.snarc"
    prog.write_text(distinct_programs("autosnn", 1, seed=5)[0][1])
    assert main(["supernet", "score", str(d), str(prog)]) == 0
    assert "held-out accuracy" in capsys.readouterr().out
    assert main(["supernet", "score", str(tmp_path / "none"), str(prog)]) == 1
    assert "no supernet" in capsys.readouterr().err
