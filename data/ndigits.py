"""N-Digits: a neuromorphic dataset made the way N-MNIST was, from data that ships.

The 1,797 handwritten digits of scikit-learn (8×8, 16 grey levels) are upsampled
and moved along three saccades in front of a simulated event camera, as Orchard et al.
(2015) recorded N-MNIST by moving an ATIS sensor in front of MNIST digits on a monitor.

Camera model (every parameter is a field of :class:`Camera`):

* the scene: the digit, upsampled to ``digit_px`` square with bilinear interpolation,
  centred on a ``size × size`` canvas; intensity ``I = floor + (1 − floor) · ink``;
* motion: three straight saccades of ``saccade_ms`` each around an isosceles triangle
  with sides of ``saccade_px`` pixels, the image resampled bilinearly at every
  simulation step of ``step_us`` microseconds;
* each pixel compares its log intensity ``log(I + eps)`` with a reference level; every
  time the difference crosses the pixel's contrast threshold ``C`` (drawn once per pixel
  from ``N(contrast, contrast_sigma)``), it emits an event, ON for a rise and OFF for a
  fall, and moves its reference by ``±C``; the event's timestamp is interpolated
  linearly inside the simulation step, in microseconds;
* a pixel that fired stays silent for ``refractory_us``;
* background noise: Poisson events at ``noise_hz`` per pixel, random polarity;
* optional nuisances (all off for N-Digits; on for N-Digits-hard, see :data:`BUILTIN`):
  ``jitter_px`` moves each digit off-centre by up to that many pixels per axis, and
  ``distractor`` sweeps a second, randomly chosen digit with that much ink across the
  sensor in a straight line at constant speed (a random direction per sample), drawn
  over the target (the brighter of the two wins).

Events are tonic's structured array (``x, y, t, p``). The generation is deterministic
for a seed; the result is cached (``$SNARC_CACHE`` or the user cache directory) and
written atomically. The train/test split is fixed: 1,437 / 360, stratified by class.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..dsl.hashing import short_hash
from ..util.fileio import atomic_write

N_TRAIN = 1437
N_ALL = 1797


@dataclass(frozen=True)
class Camera:
    size: int = 34  # sensor width = height (N-MNIST: 34 × 34)
    digit_px: int = 24  # the 8 × 8 digit upsampled to this size
    saccade_px: float = 3.0  # side of the saccade triangle, pixels
    saccade_ms: float = 100.0  # duration of each of the three saccades
    step_us: int = 1000  # simulation step
    contrast: float = 0.2  # log-intensity change per event
    contrast_sigma: float = 0.03  # pixel-to-pixel spread of the threshold
    refractory_us: int = 1000
    noise_hz: float = 0.2  # background events per pixel and second
    floor: float = 0.05  # intensity of blank paper (0..1)
    eps: float = 0.05  # log(I + eps)
    jitter_px: float = 0.0  # per-sample offset of the digit, uniform in ±jitter_px per axis
    distractor: float = 0.0  # ink of a second digit sweeping across the sensor (0: none)
    distractor_px: int = 14  # the distractor's size, upsampled as the digit is

    @property
    def steps(self) -> int:
        return int(round(3 * self.saccade_ms * 1000 / self.step_us))

    @property
    def duration_us(self) -> int:
        return self.steps * self.step_us

    @property
    def sensor_size(self) -> tuple[int, int, int]:
        """tonic's (width, height, polarities)."""
        return (self.size, self.size, 2)


EVENT_DTYPE = np.dtype([("x", "<i2"), ("y", "<i2"), ("t", "<i8"), ("p", "?")])


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 digits: images (N, 8, 8) in [0, 1] and labels."""
    from sklearn.datasets import load_digits as sk_load

    d = sk_load()
    return d.images.astype(np.float32) / 16.0, d.target.astype(np.int64)


def split(labels: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The fixed train/test split: 1,437 / 360, stratified (per class a seeded shuffle)."""
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    sizes = np.array([np.sum(labels == c) for c in classes])
    share = sizes * N_TRAIN / N_ALL
    quota = np.floor(share).astype(int)
    want = int(round(len(labels) * N_TRAIN / N_ALL))
    quota[np.argsort(-(share - quota), kind="stable")[: max(want - quota.sum(), 0)]] += (
        1  # largest remainders
    )
    train, test = [], []
    for c, n in zip(classes, quota, strict=True):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        train.append(idx[:n])
        test.append(idx[n:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _scene(images: np.ndarray, cam: Camera, px: int | None = None) -> np.ndarray:
    """Digits upsampled to ``px`` (default ``digit_px``) and centred on the canvas:
    (N, size, size) intensities."""
    from scipy.ndimage import zoom

    n, px = images.shape[0], px or cam.digit_px
    up = zoom(images, (1, px / 8, px / 8), order=1).clip(0, 1)
    canvas = np.zeros((n, cam.size, cam.size), np.float32)
    o = (cam.size - px) // 2
    canvas[:, o : o + px, o : o + px] = up
    return cam.floor + (1 - cam.floor) * canvas


def _path(cam: Camera) -> np.ndarray:
    """(steps + 1, 2) displacement (dy, dx) along the three saccades."""
    d = cam.saccade_px
    corners = np.array([[0, 0], [d, d / 2], [0, d], [0, 0]], np.float64)
    per = cam.steps // 3
    pts = []
    for i in range(3):
        f = np.arange(per) / per
        pts.append(corners[i] + (corners[i + 1] - corners[i]) * f[:, None])
    pts.append(corners[3:])
    path = np.concatenate(pts)
    return path - path.mean(0)  # centred on the digit


def _sweep(images: np.ndarray, cam: Camera, rng: np.random.Generator):
    """The distractor of each sample: another digit of the batch at ``distractor`` ink,
    crossing the sensor through its centre in a random direction over the recording.
    Returns ``(scenes (N, size, size), start (N, 2), step per simulation step (N, 2))``."""
    n = images.shape[0]
    pick = (np.arange(n) + rng.integers(1, max(n, 2), n)) % n  # another sample, where there is one
    other = _scene(images[pick] * cam.distractor, cam, cam.distractor_px)
    angle = rng.uniform(0, 2 * np.pi, n)
    reach = 0.75 * cam.size  # from well outside one edge to well outside the other
    unit = np.stack([np.sin(angle), np.cos(angle)], 1)
    start = -reach * unit
    return other, start, 2 * reach * unit / cam.steps


def simulate(images: np.ndarray, cam: Camera, rng: np.random.Generator) -> list[np.ndarray]:
    """Event streams (tonic's structured dtype) for a batch of (N, 8, 8) images."""
    from scipy.ndimage import map_coordinates

    n, size = images.shape[0], cam.size
    scene = _scene(images, cam)
    path = _path(cam)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    threshold = np.maximum(rng.normal(cam.contrast, cam.contrast_sigma, (n, size, size)), 0.02)
    # the nuisances draw from the generator only when on, so N-Digits stays as it was
    offset = (
        rng.uniform(-cam.jitter_px, cam.jitter_px, (n, 2, 1, 1))
        if cam.jitter_px > 0
        else np.zeros((n, 2, 1, 1))
    )
    sweep = _sweep(images, cam, rng) if cam.distractor > 0 else None

    nn = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None, None], (n, size, size))
    edge = "constant" if cam.jitter_px > 0 else "nearest"

    def log_frame(k: int) -> np.ndarray:
        dy, dx = path[k]
        coords = np.stack([nn, yy - dy - offset[:, 0], xx - dx - offset[:, 1]])
        # an off-centre digit may leave the canvas: blank paper beyond it, not its edge
        # repeated (N-Digits keeps "nearest", which never reaches the digit there)
        frame = map_coordinates(scene, coords, order=1, mode=edge, cval=cam.floor)
        if sweep is not None:
            other, start, step = sweep
            at = start + k * step  # (n, 2) position of the distractor's centre
            coords = np.stack([nn, yy - at[:, 0, None, None], xx - at[:, 1, None, None]])
            frame = np.maximum(
                frame, map_coordinates(other, coords, order=1, mode="constant", cval=cam.floor)
            )
        return np.log(frame + cam.eps)

    ref = log_frame(0)
    prev = ref.copy()
    last = np.full((n, size, size), -(10**12), np.int64)
    cols: list[tuple[np.ndarray, ...]] = []
    for k in range(1, cam.steps + 1):
        cur = log_frame(k)
        diff = cur - ref
        count = np.floor(np.abs(diff) / threshold).astype(np.int64)
        s_idx, y_idx, x_idx = np.nonzero(count)
        if s_idx.size:
            c = count[s_idx, y_idx, x_idx]
            sign = np.sign(diff[s_idx, y_idx, x_idx])
            th = threshold[s_idx, y_idx, x_idx]
            j = np.concatenate([np.arange(1, m + 1) for m in c])  # crossing index per event
            rep = np.repeat(np.arange(s_idx.size), c)
            start, end = prev[s_idx, y_idx, x_idx][rep], cur[s_idx, y_idx, x_idx][rep]
            level = ref[s_idx, y_idx, x_idx][rep] + sign[rep] * j * th[rep]
            span = np.where(np.abs(end - start) > 1e-12, end - start, 1.0)
            frac = np.clip((level - start) / span, 0.0, 1.0)
            t = ((k - 1 + frac) * cam.step_us).astype(np.int64)
            ss, ys, xs, pos = s_idx[rep], y_idx[rep], x_idx[rep], sign[rep] > 0
            # refractory period: the j-th crossings of all pixels at once, j = 1, 2, ...
            keep = np.zeros(t.size, bool)
            for jj in range(1, int(c.max()) + 1):
                sel = np.flatnonzero(j == jj)
                ok = t[sel] - last[ss[sel], ys[sel], xs[sel]] >= cam.refractory_us
                keep[sel[ok]] = True
                last[ss[sel[ok]], ys[sel[ok]], xs[sel[ok]]] = t[sel[ok]]
            ref[s_idx, y_idx, x_idx] += sign * c * th
            cols.append((ss[keep], xs[keep], ys[keep], t[keep], pos[keep]))
        prev = cur
    if cols:
        ss, xs, ys, ts, ps = (np.concatenate(c) for c in zip(*cols, strict=True))
    else:
        ss = xs = ys = ts = ps = np.zeros(0, np.int64)
    result = []
    order = np.argsort(ss, kind="stable")  # by sample, time order kept within a sample
    ss, xs, ys, ts, ps = ss[order], xs[order], ys[order], ts[order], ps[order]
    bounds = np.searchsorted(ss, np.arange(n + 1))
    for i in range(n):
        a, b = bounds[i], bounds[i + 1]
        noise_n = rng.poisson(cam.noise_hz * size * size * cam.duration_us * 1e-6)
        ev = np.zeros(b - a + noise_n, EVENT_DTYPE)
        ev["x"][: b - a], ev["y"][: b - a], ev["t"][: b - a], ev["p"][: b - a] = (
            xs[a:b],
            ys[a:b],
            ts[a:b],
            ps[a:b],
        )
        ev["x"][b - a :] = rng.integers(0, size, noise_n)
        ev["y"][b - a :] = rng.integers(0, size, noise_n)
        ev["t"][b - a :] = rng.integers(0, cam.duration_us, noise_n)
        ev["p"][b - a :] = rng.integers(0, 2, noise_n).astype(bool)
        result.append(np.sort(ev, order="t", kind="stable"))
    return result


def cache_dir() -> Path:
    """``$SNARC_CACHE``, else the user cache directory (platformdirs), else ~/.cache/snarc."""
    if os.environ.get("SNARC_CACHE"):
        return Path(os.environ["SNARC_CACHE"])
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("snarc"))
    except ImportError:  # pragma: no cover
        return Path.home() / ".cache" / "snarc"


NUISANCES = ("jitter_px", "distractor", "distractor_px")


def _key(cam: Camera, seed: int, limit: int | None) -> str:
    camera = asdict(cam)
    if not cam.jitter_px and not cam.distractor:  # N-Digits keeps the cache files it had
        camera = {k: v for k, v in camera.items() if k not in NUISANCES}
    blob = json.dumps({"camera": camera, "seed": seed, "limit": limit, "v": 2}, sort_keys=True)
    return short_hash(blob)


def generate(
    cam: Camera = Camera(), seed: int = 0, limit: int | None = None, progress: bool = False
):
    """All event streams, labels and the split (not cached; see :func:`load`)."""
    images, labels = load_digits()
    if limit is not None:  # a class-balanced subset, for tests and quick looks
        keep = np.sort(
            np.concatenate([np.flatnonzero(labels == c)[: max(1, limit // 10)] for c in range(10)])
        )
        images, labels = images[keep], labels[keep]
    rng = np.random.default_rng(seed)
    events: list[np.ndarray] = []
    batches = range(0, len(images), 128)
    if progress:
        from tqdm import tqdm

        batches = tqdm(batches, desc="N-Digits: simulating the event camera", unit="batch")
    for start in batches:
        events.extend(simulate(images[start : start + 128], cam, rng))
    train, test = split(labels, seed)
    return events, labels, train, test


def load(
    cam: Camera = Camera(),
    seed: int = 0,
    limit: int | None = None,
    root: str | Path | None = None,
    progress: bool = True,
):
    """Cached :func:`generate`: (events list, labels, train indices, test indices)."""
    root = Path(root) if root is not None else cache_dir()
    path = root / f"ndigits-{_key(cam, seed, limit)}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                flat, offsets = z["events"], z["offsets"]
                events = [flat[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]
                return events, z["labels"], z["train"], z["test"]
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file: generate again and replace it
    events, labels, train, test = generate(cam, seed, limit, progress)
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in events])])
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        events=np.concatenate(events) if events else np.zeros(0, EVENT_DTYPE),
        offsets=offsets,
        labels=labels,
        train=train,
        test=test,
    )
    atomic_write(path, buf.getvalue())
    return events, labels, train, test


def statistics(events: list[np.ndarray], cam: Camera = Camera()) -> dict:
    """Events per sample and ON/OFF balance."""
    counts = np.array([len(e) for e in events])
    on = np.array([int(e["p"].sum()) for e in events])
    return {
        "samples": len(events),
        "events_per_sample": {
            "mean": float(counts.mean()),
            "std": float(counts.std()),
            "min": int(counts.min()),
            "max": int(counts.max()),
        },
        "on_fraction": float(on.sum() / max(counts.sum(), 1)),
        "duration_ms": cam.duration_us / 1000,
        "sensor": list(cam.sensor_size),
    }
