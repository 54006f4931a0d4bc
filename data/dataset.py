"""N-Digits as a map-style dataset of event frames."""

from __future__ import annotations

import numpy as np

from .ndigits import Camera, load, statistics


class NDigits:
    """N-Digits as a map-style dataset of ``(frames [T, 2, H, W], label)``.

    Events are binned into ``steps`` frames with tonic's ``ToFrame`` (ON and OFF counts
    per pixel). ``train`` picks the fixed split; ``limit`` a class-balanced subset.
    """

    def __init__(
        self,
        train: bool = True,
        steps: int = 8,
        camera: Camera | None = None,
        seed: int = 0,
        limit: int | None = None,
        root=None,
        progress: bool = True,
    ):
        self.camera = camera = camera or Camera()
        self.steps = steps
        events, labels, tr, te = load(camera, seed, limit, root, progress)
        self.indices = tr if train else te
        self._events = events
        self._labels = labels

    @property
    def sensor_size(self):
        return self.camera.sensor_size

    def __len__(self) -> int:
        return len(self.indices)

    def events(self, i: int) -> np.ndarray:
        return self._events[self.indices[i]]

    def label(self, i: int) -> int:
        return int(self._labels[self.indices[i]])

    @property
    def labels(self) -> np.ndarray:
        return self._labels[self.indices]

    def frames(self, i: int) -> np.ndarray:
        from tonic.transforms import ToFrame

        ev = self.events(i)
        to_frame = ToFrame(sensor_size=self.sensor_size, n_time_bins=self.steps)
        if len(ev) == 0:
            return np.zeros((self.steps, 2, self.camera.size, self.camera.size), np.float32)
        # tonic's ToFrame reads x, y, t, p; its frames are [T, polarity, H, W]
        return to_frame(ev).astype(np.float32)

    def __getitem__(self, i: int):
        import torch

        return torch.from_numpy(self.frames(i)), self.label(i)

    def stats(self) -> dict:
        return statistics([self.events(i) for i in range(len(self))], self.camera)
