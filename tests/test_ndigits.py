"""N-Digits: the built-in event dataset."""

import numpy as np
import pytest

from snarc.data import Camera, NDigits
from snarc.data import ndigits as nd


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SNARC_CACHE", str(tmp_path))
    return tmp_path


def test_events_are_real_event_streams_and_deterministic():
    a, labels, train, test = nd.generate(Camera(), seed=3, limit=20)
    b, *_ = nd.generate(Camera(), seed=3, limit=20)
    c, *_ = nd.generate(Camera(), seed=4, limit=20)
    assert len(a) == 20 and sorted(set(labels.tolist())) == list(range(10))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    ev = a[0]
    assert ev.dtype.names == ("x", "y", "t", "p")
    assert np.all(np.diff(ev["t"]) >= 0)  # time-ordered, microseconds
    assert ev["t"].max() <= Camera().duration_us and ev["t"].min() >= 0
    assert ev["x"].max() < 34 and ev["y"].max() < 34
    stats = nd.statistics(a)
    assert 1000 < stats["events_per_sample"]["mean"] < 20000
    assert 0.4 < stats["on_fraction"] < 0.6  # saccades move back to where they started


def test_camera_parameters_change_the_events():
    few, *_ = nd.generate(Camera(contrast=0.5), seed=0, limit=10)
    many, *_ = nd.generate(Camera(contrast=0.15), seed=0, limit=10)
    assert sum(map(len, few)) < 0.6 * sum(map(len, many))
    quiet, *_ = nd.generate(Camera(noise_hz=0.0, refractory_us=50_000), seed=0, limit=10)
    for ev in quiet:  # no pixel fires twice within the refractory period
        for px in np.unique(ev["x"].astype(int) * 100 + ev["y"]):
            t = ev["t"][(ev["x"].astype(int) * 100 + ev["y"]) == px]
            assert np.all(np.diff(np.sort(t)) >= 50_000)


def test_split_is_fixed_and_stratified():
    _, labels = nd.load_digits()
    train, test = nd.split(labels, 0)
    assert len(train) == 1437 and len(test) == 360 and not set(train) & set(test)
    again, _ = nd.split(labels, 0)
    assert np.array_equal(train, again)
    per_class = np.bincount(labels[test], minlength=10)
    assert per_class.min() >= 34 and per_class.max() <= 38


def test_dataset_frames_and_cache(cache):
    ds = NDigits(train=True, steps=6, limit=20, progress=False)
    frames, label = ds[0]
    assert tuple(frames.shape) == (6, 2, 34, 34) and frames.sum() > 0 and 0 <= label <= 9
    files = list(cache.glob("ndigits-*.npz"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    again = NDigits(train=True, steps=6, limit=20, progress=False)  # read from the cache
    assert files[0].stat().st_mtime_ns == stamp
    assert np.array_equal(again.events(3), ds.events(3))
    files[0].write_bytes(b"not a zip file")  # a damaged cache is regenerated, not trusted
    fresh = NDigits(train=True, steps=6, limit=20, progress=False)
    assert np.array_equal(fresh.events(3), ds.events(3))
    assert [p.name for p in cache.iterdir()] == [files[0].name]  # no temporary files left


def test_cli_stats_and_preview(cache, tmp_path, capsys):
    from snarc.cli.main import main

    out = tmp_path / "frames.png"
    assert main(["data", "ndigits", "--limit", "20", "--stats", "--preview", str(out)]) == 0
    text = capsys.readouterr().out
    assert "events per sample (train): mean" in text and "ON fraction" in text
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_hard_nuisances_move_the_digit_and_add_a_distractor():
    base = Camera(noise_hz=0.0)
    plain, *_ = nd.generate(base, seed=0, limit=10)
    moved, *_ = nd.generate(Camera(noise_hz=0.0, jitter_px=4.0), seed=0, limit=10)
    swept, *_ = nd.generate(Camera(noise_hz=0.0, distractor=0.5), seed=0, limit=10)

    def centre(ev):
        return np.array([ev["x"].mean(), ev["y"].mean()])

    shifts = [np.abs(centre(a) - centre(b)).max() for a, b in zip(plain, moved, strict=True)]
    assert max(shifts) > 1.0  # the digits sit off-centre, each by its own offset
    assert len(set(np.round(shifts, 3))) > 5
    # the distractor crosses the whole sensor: events far outside the digit's box
    far = [np.mean((ev["x"] < 4) | (ev["x"] > 29) | (ev["y"] < 4) | (ev["y"] > 29)) for ev in swept]
    near = [
        np.mean((ev["x"] < 4) | (ev["x"] > 29) | (ev["y"] < 4) | (ev["y"] > 29)) for ev in plain
    ]
    assert np.mean(far) > 3 * np.mean(near) + 0.01
    assert sum(map(len, swept)) > sum(map(len, plain))


def test_ndigits_is_unchanged_by_the_nuisances():
    from snarc.data.builtin import BUILTIN

    # the cache key of N-Digits is the one it had before the nuisances existed (the
    # generator draws nothing for them when they are off, so the events are the same)
    assert nd._key(Camera(), 0, None) == "a90d028bd68a768a"
    assert BUILTIN["ndigits"] == Camera()
    hard = BUILTIN["ndigits-hard"]
    assert (
        hard.jitter_px > 0
        and hard.distractor > 0
        and nd._key(hard, 0, None) != nd._key(Camera(), 0, None)
    )


def test_cli_data_knows_every_builtin(cache, capsys):
    from snarc.cli.dataset import NAMES
    from snarc.cli.main import main
    from snarc.data.builtin import BUILTIN

    assert tuple(BUILTIN) == NAMES
    assert main(["data", "ndigits-hard", "--limit", "20", "--stats"]) == 0
    assert "ndigits-hard: " in capsys.readouterr().out
