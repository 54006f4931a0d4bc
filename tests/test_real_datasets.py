"""Real datasets read from small directories in each dataset's real on-disk layout."""

import pickle

import numpy as np
import pytest

from snarc.data.real import CIFAR10, CIFAR10DVS, NMNIST, DatasetError, DVSGesture, open_dataset


def write_nmnist_bin(path, events):
    """N-MNIST's ATIS format: 5 bytes an event (x, y, p<<7 | t>>16, t>>8, t)."""
    raw = bytearray()
    for x, y, t, p in events:
        raw += bytes([x, y, (p << 7) | ((t >> 16) & 127), (t >> 8) & 255, t & 255])
    path.write_bytes(bytes(raw))


def test_nmnist(tmp_path):
    root = tmp_path / "NMNIST"
    rng = np.random.default_rng(0)
    for split in ("Train", "Test"):
        for d in range(10):
            (root / split / str(d)).mkdir(parents=True)
            events = sorted(
                (
                    (int(rng.integers(34)), int(rng.integers(34)), int(t), int(rng.integers(2)))
                    for t in rng.integers(0, 300_000, 50)
                ),
                key=lambda e: e[2],
            )
            write_nmnist_bin(root / split / str(d) / f"{d:05d}.bin", events)
    ds = NMNIST(tmp_path, train=True, steps=5)
    assert len(ds) == 10 and ds.labels.tolist() == list(range(10))
    ev = ds.events(3)
    assert len(ev) == 50 and ev["x"].max() < 34 and ev["t"].max() < 300_000
    frames, label = ds[3]
    # tonic bins time in [start, end): the very last event may fall outside the last bin
    assert tuple(frames.shape) == (5, 2, 34, 34) and frames.sum() in (49, 50) and label == 3


def test_dvs_gesture(tmp_path):
    rng = np.random.default_rng(0)
    for split, user in (
        ("ibmGestureTrain", "user01_fluorescent"),
        ("ibmGestureTest", "user24_led"),
    ):
        d = tmp_path / split / user
        d.mkdir(parents=True)
        for label in range(11):
            rows = np.stack(
                [
                    rng.integers(0, 128, 40),
                    rng.integers(0, 128, 40),
                    rng.integers(0, 2, 40),
                    np.sort(rng.integers(0, 6000, 40)),
                ],
                1,
            )
            np.save(d / f"{label}.npy", rows)
    ds = DVSGesture(tmp_path, train=False, steps=4)
    assert len(ds) == 11 and sorted(ds.labels.tolist()) == list(range(11))
    frames, _ = ds[0]
    assert tuple(frames.shape) == (4, 2, 128, 128) and frames.sum() in (39, 40)
    assert ds.events(0)["t"].max() < 6_000_000  # ms converted to µs


def write_aedat4(path, events, size=(128, 128)):
    """A real AEDAT4 file (the DV software's format), written with iniVation's dv-processing."""
    import dv_processing as dv

    writer = dv.io.MonoCameraWriter(
        str(path), dv.io.MonoCameraWriter.EventOnlyConfig("DVS128", size)
    )
    store = dv.EventStore()
    for t, x, y, p in events:
        store.push_back(int(t), int(x), int(y), bool(p))
    writer.writeEvents(store)
    del writer  # closes the file


def test_cifar10_dvs(tmp_path):
    pytest.importorskip("dv_processing")
    rng = np.random.default_rng(0)
    root = tmp_path / "CIFAR10DVS"
    for name in CIFAR10DVS.NAMES:
        (root / name).mkdir(parents=True)
        for k in range(3):
            t = np.sort(rng.integers(1_000_000, 1_300_000, 60))
            ev = zip(t, rng.integers(0, 128, 60), rng.integers(0, 128, 60), rng.integers(0, 2, 60))
            write_aedat4(root / name / f"cifar10_{name}_{k}.aedat4", ev)
    train = CIFAR10DVS(tmp_path, train=True, steps=5)
    test = CIFAR10DVS(tmp_path, train=False, steps=5)
    assert len(train) == 20 and len(test) == 10  # 90 % of 3 files per class, rounded down
    assert sorted(set(train.labels.tolist())) == list(range(10))
    ev = test.events(0)
    assert len(ev) == 60 and ev["t"].min() == 0 and ev["x"].max() < 128
    frames, label = test[0]
    assert tuple(frames.shape) == (5, 2, 128, 128) and frames.sum() in (59, 60) and label == 0
    # a damaged file names itself
    (root / "airplane" / "cifar10_airplane_2.aedat4").write_bytes(b"#!AER-DAT4.0\r\nbroken")
    with pytest.raises(DatasetError, match="cifar10_airplane_2"):
        CIFAR10DVS(tmp_path, train=False).events(0)


def test_cifar10(tmp_path):
    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            "data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
            "labels": list(rng.integers(0, 10, 4)),
        }
        with open(base / name, "wb") as f:
            pickle.dump(batch, f)
    ds = CIFAR10(tmp_path, train=True)
    assert len(ds) == 20
    image, label = ds[0]
    assert tuple(image.shape) == (3, 32, 32) and float(image.min()) >= 0 and float(image.max()) <= 1


@pytest.mark.parametrize(
    "name, cls",
    [
        ("nmnist", NMNIST),
        ("dvsgesture", DVSGesture),
        ("cifar10dvs", CIFAR10DVS),
        ("cifar10", CIFAR10),
    ],
)
def test_missing_or_incomplete_directory_shows_the_layout(tmp_path, name, cls):
    with pytest.raises(DatasetError) as info:
        open_dataset(f"{name}:{tmp_path / 'nothing'}")
    report = info.value.report()
    assert "missing or incomplete" in report and "expected this layout" in report
    assert cls.LAYOUT.splitlines()[0].strip() in report
    with pytest.raises(DatasetError, match="needs a directory"):
        open_dataset(name)
    with pytest.raises(DatasetError, match="unknown dataset"):
        open_dataset("mnist:/x")


def test_score_on_a_local_dataset(tmp_path, capsys):
    from conftest import ROOT

    from snarc.cli.main import main

    test_nmnist(tmp_path)
    program = tmp_path / "n.snarc"
    program.write_text(
        "neuron lif = LIF(v_th: 0.3)\n\nnetwork n {\n  input frames(2, 34, 34) steps 4\n  a : lif\n"
        "  in -> a : conv(3, 8)\n  readout a : linear(10) over mean\n}\n"
    )
    assert (
        main(["score", str(program), "--data", f"nmnist:{tmp_path}", "--fitness", "rdm,params"])
        == 0
    )
    assert "samples of nmnist" in capsys.readouterr().out
    assert (
        main(
            [
                "score",
                str(ROOT / "examples" / "autosnn.snarc"),
                "--data",
                f"cifar10:{tmp_path / 'none'}",
            ]
        )
        == 1
    )
    assert "expected this layout" in capsys.readouterr().err
