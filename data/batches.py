"""Class-balanced batches for scoring: the same samples for every architecture of a run."""

from __future__ import annotations

from ..dsl.errors import SnarcError


def open_for(
    net,
    data: str = "ndigits",
    train: bool = True,
    seed: int = 0,
    limit: int | None = None,
    progress: bool = False,
):
    """The dataset ``data`` (a built-in name or ``NAME:PATH``) for ``net``'s time steps; an
    error naming both when the network's input cannot take it. Returns ``(dataset, static)``."""
    from . import NDigits
    from .builtin import builtin_camera
    from .real import CIFAR10, open_dataset

    camera = builtin_camera(data)
    if camera is not None:
        ds = NDigits(train, net.timesteps, camera, seed, limit, progress=progress)
    else:
        ds = open_dataset(data, train=train, steps=net.timesteps)
    static = isinstance(ds, CIFAR10)
    name = data.split(":")[0]
    if static and (net.input_kind != "image" or tuple(net.input_shape) != (3, 32, 32)):
        raise SnarcError(
            f"network '{net.graph_name}' takes {net.input_kind} input {net.input_shape}; {name} is image(3, 32, 32)"
        )
    if not static and (net.input_kind != "frames" or net.input_shape[0] != 2):
        raise SnarcError(
            f"network '{net.graph_name}' takes {net.input_kind} input {net.input_shape}; "
            f"{'N-Digits' if camera is not None else name} gives 2-channel event frames: declare `input frames(2, H, W)`"
        )
    return ds, static


def fit_frames(frames, H: int, W: int):
    """Centre-crop event frames ``[..., h, w]`` where the network is smaller, zero-pad where larger."""
    h, w = frames.shape[-2:]
    if (h, w) == (H, W):
        return frames
    top, left = (h - H) // 2, (w - W) // 2
    out = frames.new_zeros((*frames.shape[:-2], H, W))
    ys, yd = (
        (slice(top, top + H), slice(0, H)) if top >= 0 else (slice(0, h), slice(-top, -top + h))
    )
    xs, xd = (
        (slice(left, left + W), slice(0, W))
        if left >= 0
        else (slice(0, w), slice(-left, -left + w))
    )
    out[..., yd, xd] = frames[..., ys, xs]
    return out


def class_balanced_batch(
    net,
    batch: int,
    seed: int = 0,
    limit: int | None = None,
    data: str = "ndigits",
    progress: bool = False,
    repeat: int = 0,
):
    """``batch`` samples balanced over the classes of ``data``'s training split, shaped for
    ``net``: ``([T, B, ...] or [B, C, H, W], labels)``; ``repeat`` k takes each class's
    next samples (batch k of disjoint batches, where the split holds enough)."""
    import numpy as np
    import torch

    ds, static = open_for(net, data, True, seed, limit, progress)
    if len(ds) == 0:
        raise SnarcError(f"{data}: the training split holds no samples to score on")
    labels = ds.labels
    per = max(2, batch // 10)  # pairs within a class are needed by the label-target RDM
    picks = np.concatenate(
        [np.flatnonzero(labels == c)[per * repeat : per * (repeat + 1)] for c in np.unique(labels)]
    )
    if len(picks) == 0:
        raise SnarcError(
            f"{data}: the training split holds too few samples for scoring batch {repeat + 1}"
        )
    if static:
        x = torch.stack([ds[int(i)][0] for i in picks])
    else:
        frames = torch.stack([torch.from_numpy(ds.frames(int(i))) for i in picks], 1)
        x = fit_frames(frames, *net.input_shape[1:])  # [T, B, 2, H, W]
    if not torch.isfinite(x).all():
        raise SnarcError(f"{data}: the scoring batch holds NaN or infinite values")
    return x, labels[picks]
