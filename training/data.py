"""A dataset split as tensors for training and evaluation."""

from __future__ import annotations

from .errors import TrainError


def load_tensors(
    net, data: str, train: bool, seed: int = 0, limit: int | None = None, progress: bool = False
):
    """A whole split as tensors: ``X [N, T, ...]`` for events (``[N, C, H, W]`` for
    images) and ``y [N]``."""
    import numpy as np
    import torch

    from ..data.batches import fit_frames, open_for

    ds, static = open_for(net, data, train, seed, limit, progress)
    split = "training" if train else "test"
    if len(ds) == 0:
        raise TrainError(f"{data}: the {split} split holds no samples")
    if static:
        xs, ys = zip(*(ds[i] for i in range(len(ds))))
        X, y = torch.stack(xs), torch.as_tensor(np.asarray(ys), dtype=torch.long)
    else:
        frames = torch.stack(
            [torch.from_numpy(ds.frames(i)) for i in range(len(ds))]
        )  # [N, T, 2, h, w]
        X = fit_frames(frames, *net.input_shape[1:])
        y = torch.as_tensor(np.asarray(ds.labels), dtype=torch.long)
    if X.is_floating_point() and not torch.isfinite(X).all():
        raise TrainError(f"{data}: the {split} split holds NaN or infinite values")
    return X, y
