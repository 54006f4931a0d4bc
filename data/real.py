"""Real datasets from a local directory (never downloaded).

Each loader checks the directory first and, when it is missing or incomplete, raises
:class:`DatasetError` with the layout it expected. Files are read with the readers of
tonic (N-MNIST's ATIS ``.bin`` files; DVS128 Gesture as tonic converts it, ``.npy``;
CIFAR10-DVS's AEDAT4 files through the ``aedat`` package) and
in torchvision's CIFAR-10 format (pickled batches, read by a restricted unpickler that
resolves only NumPy's array constructors: see :mod:`snarc.data.cifar_pickle`). tonic's and torchvision's dataset
classes themselves are not used to open the directory, because they insist on the
complete archive (checksums, file counts) and otherwise start a download.

``--data NAME:PATH`` names one of :data:`DATASETS`.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from ..dsl.errors import SnarcError
from .cifar_pickle import load_batch

EVENT_DTYPE = np.dtype([("x", "<i8"), ("y", "<i8"), ("t", "<i8"), ("p", "<i8")])


class DatasetError(SnarcError):
    """A dataset directory that is missing or not laid out as expected."""


def _require(root: Path, name: str, layout: str, ok: bool) -> None:
    if not ok:
        raise DatasetError(
            f"{name}: {root} is missing or incomplete",
            hint=f"expected this layout (snarc never downloads datasets):\n{layout}",
        )


def _checked(ev: np.ndarray, sensor_size, name: str, path: Path) -> np.ndarray:
    """``ev`` if every event lies on the sensor; else a :class:`DatasetError` naming ``path``."""
    w, h, _ = sensor_size
    if len(ev) and (
        ev["x"].min() < 0 or ev["x"].max() >= w or ev["y"].min() < 0 or ev["y"].max() >= h
    ):
        raise DatasetError(
            f"{name}: {path} holds events outside the {w}x{h} sensor: not a {name} file"
        )
    return ev


class _Events:
    sensor_size: tuple[int, int, int]
    classes: int

    def __init__(self, files: list[Path], labels: list[int], steps: int):
        self.files, self._labels, self.steps = files, labels, steps

    def __len__(self) -> int:
        return len(self.files)

    @property
    def labels(self) -> np.ndarray:
        return np.asarray(self._labels)

    def label(self, i: int) -> int:
        return self._labels[i]

    def frames(self, i: int) -> np.ndarray:
        from tonic.transforms import ToFrame

        ev = self.events(i)
        w, h, _ = self.sensor_size
        if len(ev) == 0:
            return np.zeros((self.steps, 2, h, w), np.float32)
        return ToFrame(sensor_size=self.sensor_size, n_time_bins=self.steps)(ev).astype(np.float32)

    def __getitem__(self, i: int):
        import torch

        return torch.from_numpy(self.frames(i)), self.label(i)


class NMNIST(_Events):
    """N-MNIST (Orchard et al. 2015): ``ROOT/Train/<digit>/*.bin``, ``ROOT/Test/<digit>/*.bin``."""

    sensor_size = (34, 34, 2)
    classes = 10
    LAYOUT = (
        "  ROOT/Train/0/00002.bin ... ROOT/Train/9/*.bin\n  ROOT/Test/0/*.bin ... ROOT/Test/9/*.bin"
    )

    def __init__(self, root, train: bool = True, steps: int = 8):
        root = Path(root)
        if (root / "NMNIST").is_dir():
            root = root / "NMNIST"
        split = root / ("Train" if train else "Test")
        dirs = [split / str(d) for d in range(10)]
        _require(
            root,
            "N-MNIST",
            self.LAYOUT,
            all(d.is_dir() for d in dirs) and any(any(d.glob("*.bin")) for d in dirs),
        )
        files, labels = [], []
        for d in dirs:
            for f in sorted(d.glob("*.bin")):
                files.append(f)
                labels.append(int(d.name))
        super().__init__(files, labels, steps)

    def events(self, i: int) -> np.ndarray:
        from tonic.io import read_mnist_file

        try:
            ev = read_mnist_file(str(self.files[i]), dtype=EVENT_DTYPE)
        except (OSError, ValueError) as err:
            raise DatasetError(f"N-MNIST: cannot read {self.files[i]}: {err}") from None
        return _checked(ev, self.sensor_size, "N-MNIST", self.files[i])


class DVSGesture(_Events):
    """DVS128 Gesture, as tonic converts it: ``ROOT/ibmGestureTrain/userNN_<light>/<label>.npy``.

    Each ``.npy`` holds rows ``(x, y, p, t)`` with ``t`` in milliseconds.
    """

    sensor_size = (128, 128, 2)
    classes = 11
    LAYOUT = (
        "  ROOT/ibmGestureTrain/user01_fluorescent/0.npy ... 10.npy\n"
        "  ROOT/ibmGestureTest/user24_fluorescent/*.npy\n"
        "  (tonic's conversion of DvsGesture.tar.gz: rows x, y, p, t in ms)"
    )

    def __init__(self, root, train: bool = True, steps: int = 16):
        root = Path(root)
        if (root / "DVSGesture").is_dir():
            root = root / "DVSGesture"
        split = root / ("ibmGestureTrain" if train else "ibmGestureTest")
        files = sorted(split.glob("user*_*/*.npy"))
        _require(root, "DVS128 Gesture", self.LAYOUT, split.is_dir() and bool(files))
        bad = [f for f in files if not f.stem.isdigit() or not 0 <= int(f.stem) < self.classes]
        _require(
            root,
            "DVS128 Gesture",
            self.LAYOUT + f"\n  (unexpected files: {', '.join(map(str, bad[:3]))})",
            not bad,
        )
        super().__init__(files, [int(f.stem) for f in files], steps)

    def events(self, i: int) -> np.ndarray:
        try:
            rows = np.load(self.files[i], allow_pickle=False)
        except (OSError, ValueError) as err:
            raise DatasetError(f"DVS128 Gesture: cannot read {self.files[i]}: {err}") from None
        if rows.ndim != 2 or rows.shape[1] < 4 or not np.isfinite(rows).all():
            raise DatasetError(
                f"DVS128 Gesture: {self.files[i]} is not an array of rows (x, y, p, t)"
            )
        ev = np.zeros(len(rows), EVENT_DTYPE)
        ev["x"], ev["y"], ev["p"] = rows[:, 0], rows[:, 1], rows[:, 2]
        ev["t"] = (rows[:, 3] * 1000).astype(np.int64)  # ms -> µs, as tonic does
        return _checked(ev, self.sensor_size, "DVS128 Gesture", self.files[i])


class CIFAR10DVS(_Events):
    """CIFAR10-DVS (Li et al. 2017) as tonic extracts it: ``ROOT/<class>/*.aedat4``.

    The dataset has no official split; as is common (SpikingJelly, tonic users), the
    first 90 % of each class's files (sorted by name) are training, the rest test.
    Files are read with tonic's AEDAT4 reader (the ``aedat`` package).
    """

    sensor_size = (128, 128, 2)
    classes = 10
    NAMES = (
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    )
    LAYOUT = (
        "  ROOT/airplane/cifar10_airplane_0.aedat4 ... ROOT/truck/*.aedat4\n"
        "  (one folder per class: airplane automobile bird cat deer dog frog horse ship truck)"
    )

    def __init__(self, root, train: bool = True, steps: int = 10, train_fraction: float = 0.9):
        root = Path(root)
        if (root / "CIFAR10DVS").is_dir():
            root = root / "CIFAR10DVS"
        dirs = [root / n for n in self.NAMES]
        _require(
            root,
            "CIFAR10-DVS",
            self.LAYOUT,
            all(d.is_dir() for d in dirs) and all(any(d.glob("*.aedat4")) for d in dirs),
        )
        files, labels = [], []
        for label, d in enumerate(dirs):
            mine = sorted(d.glob("*.aedat4"))
            cut = max(1, int(len(mine) * train_fraction)) if len(mine) > 1 else len(mine)
            part = mine[:cut] if train else mine[cut:]
            files += part
            labels += [label] * len(part)
        super().__init__(files, labels, steps)

    def events(self, i: int) -> np.ndarray:
        try:
            from tonic.io import read_aedat4

            raw = read_aedat4(str(self.files[i]))
        except ImportError:
            raise DatasetError("CIFAR10-DVS needs the aedat package: pip install aedat") from None
        except Exception as err:  # a damaged file: say which
            raise DatasetError(f"CIFAR10-DVS: cannot read {self.files[i]}: {err}") from None
        ev = np.zeros(len(raw), EVENT_DTYPE)
        names = raw.dtype.names
        ev["t"], ev["x"], ev["y"] = raw[names[0]], raw[names[1]], raw[names[2]]
        ev["p"] = raw[names[3]].astype(np.int64)
        ev["t"] -= ev["t"].min() if len(ev) else 0
        return _checked(ev, self.sensor_size, "CIFAR10-DVS", self.files[i])


class CIFAR10:
    """CIFAR-10 in torchvision's layout: ``ROOT/cifar-10-batches-py/data_batch_1..5, test_batch``.

    Static images, ``[3, 32, 32]`` in [0, 1]; the network encodes them over time.
    """

    classes = 10
    LAYOUT = "  ROOT/cifar-10-batches-py/data_batch_1 ... data_batch_5, test_batch (python pickles)"

    def __init__(self, root, train: bool = True):
        root = Path(root)
        base = root / "cifar-10-batches-py"
        names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
        _require(root, "CIFAR-10", self.LAYOUT, all((base / n).is_file() for n in names))
        data, labels = [], []
        for n in names:
            try:
                images, ys = load_batch((base / n).read_bytes())
            except (OSError, ValueError, EOFError, pickle.UnpicklingError) as err:
                raise DatasetError(f"CIFAR-10: cannot read {base / n}: {err}") from None
            data.append(images)
            labels.append(ys)
        self.images = np.concatenate(data)
        self._labels = np.concatenate(labels)

    def __len__(self) -> int:
        return len(self._labels)

    @property
    def labels(self) -> np.ndarray:
        return self._labels

    def label(self, i: int) -> int:
        return int(self._labels[i])

    def __getitem__(self, i: int):
        import torch

        return torch.from_numpy(self.images[i].astype(np.float32) / 255.0), self.label(i)


DATASETS = {
    "nmnist": NMNIST,
    "dvsgesture": DVSGesture,
    "cifar10dvs": CIFAR10DVS,
    "cifar10": CIFAR10,
}


def open_dataset(spec: str, train: bool = True, steps: int = 8):
    """``NAME:PATH`` → a dataset (the built-in ones, ``ndigits`` and ``ndigits-hard``,
    need no path)."""
    from .builtin import BUILTIN

    name, _, path = spec.partition(":")
    name = name.lower()
    if name in BUILTIN:
        from . import NDigits

        return NDigits(train=train, steps=steps, camera=BUILTIN[name])
    if name not in DATASETS:
        raise DatasetError(
            f"unknown dataset '{name}'",
            expected=", ".join([*BUILTIN, *(f"{n}:PATH" for n in DATASETS)]),
        )
    if not path:
        raise DatasetError(
            f"--data {name} needs a directory: --data {name}:PATH", hint=DATASETS[name].LAYOUT
        )
    cls = DATASETS[name]
    return cls(path, train) if cls is CIFAR10 else cls(path, train, steps)
