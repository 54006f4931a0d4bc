"""Training AutoSNN's supernet once, and measuring candidates on it.

``train_supernet`` trains :class:`~snarc.evolution.supernet.Supernet` with uniform path
sampling (a fresh random architecture of the space per batch), AdamW with a warm-up and
cosine decay (``TrainConfig.lr_at``), cross-entropy on the readout, on the training split
less a held-out 20 % (AutoSNN holds out 20 % of the training set). After every epoch the
supernet, the optimiser and the history are written atomically to
``OUT/supernet.pt`` (with its checksum): a killed training resumes from the last epoch
and ends as an uninterrupted one would, since the architectures drawn and the batch
order depend only on the seed and the epoch.

``measure_candidates`` evaluates architectures with the weights they inherit, in eval
mode, on the held-out 20 %: accuracy and spikes per sample, the two terms of AutoSNN's
fitness ``acc · (spikes / spikes_ref)^λ``.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..dsl.errors import SnarcError
from ..util.fileio import DirectoryLock
from .supernet import SupernetError

NAME = "supernet.pt"
KEYS = ("weights", "places", "optimizer", "epoch", "config", "history")


@dataclass
class SupernetConfig:
    space: str = "autosnn"
    data: str = "ndigits"
    epochs: int = 10
    batch: int = 32
    lr: float = 2e-3
    warmup: float = 0.5
    clip: float = 1.0
    limit: int | None = None
    val: float = 0.2  # the held-out fraction of the training split (AutoSNN: 20 %)
    seed: int = 0

    RUNTIME = ("epochs",)


class _Bound:
    """Candidates bound to the supernet's weights, the most recent kept (compiling is
    cheap, but not free)."""

    def __init__(self, supernet, size: int = 64):
        self.supernet, self.size, self.nets = supernet, size, OrderedDict()

    def __call__(self, text: str):
        if text in self.nets:
            self.nets.move_to_end(text)
        else:
            self.nets[text] = self.supernet.bind(text)
            if len(self.nets) > self.size:
                self.nets.popitem(last=False)
        return self.nets[text]


def _data(supernet, cfg: SupernetConfig):
    from ..training.data import load_tensors
    from ..training.loop import validation_split

    probe = supernet.bind(supernet.space.canonical(supernet.space.covering()[0]))
    X, y = load_tensors(probe, cfg.data, True, cfg.seed, cfg.limit)
    return validation_split(X, y, cfg.val, cfg.seed)


def _steps(x):
    return x.transpose(0, 1) if x.dim() == 5 else x  # frames: [B, T, ...] -> [T, B, ...]


def open_supernet(out: str | Path):
    """``(supernet, config, checkpoint)`` of a trained (or partly trained) supernet."""
    from ..training.checkpoint import read_checkpoint
    from .supernet import Supernet

    path = Path(out) / NAME
    if not path.exists():
        raise SupernetError(f"{out}: no supernet ({NAME} is missing)", hint="snarc supernet train")
    ck = read_checkpoint(path, KEYS)
    cfg = SupernetConfig(**json.loads(ck["config"]))
    supernet = Supernet(cfg.space, cfg.seed)
    supernet.load({"weights": ck["weights"]})
    return supernet, cfg, ck


def train_supernet(
    cfg: SupernetConfig, out: str | Path, resume: bool = False, progress: bool = True, log=print
) -> dict:
    import torch
    import torch.nn.functional as F  # noqa: N812

    from ..training.checkpoint import write_checkpoint
    from ..training.config import TrainConfig
    from .operators import random_genome
    from .supernet import Supernet

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with DirectoryLock(out, "supernet training"):
        history: list[dict] = []
        start = 0
        if (out / NAME).exists():
            if not resume:
                raise SnarcError(
                    f"{out} holds a supernet already", hint="continue it with --resume"
                )
            supernet, saved, ck = open_supernet(out)
            mine = {k: v for k, v in asdict(cfg).items() if k not in cfg.RUNTIME}
            theirs = {k: v for k, v in asdict(saved).items() if k not in cfg.RUNTIME}
            if mine != theirs:
                changed = sorted(k for k in mine if mine[k] != theirs[k])
                raise SnarcError(f"{out} was trained with other settings ({', '.join(changed)})")
            history, start = json.loads(ck["history"]), int(ck["epoch"])
        else:
            supernet = Supernet(cfg.space, cfg.seed)
            ck = None
        opt = torch.optim.AdamW(supernet.parameters(), lr=cfg.lr)
        if ck is not None:
            opt.load_state_dict(ck["optimizer"])
        schedule = TrainConfig(epochs=cfg.epochs, lr=cfg.lr, warmup=cfg.warmup)
        Xtr, ytr, _, _ = _data(supernet, cfg)
        bound = _Bound(supernet)
        per_epoch = max(1, -(-len(Xtr) // cfg.batch))
        from tqdm import tqdm

        for epoch in range(start, cfg.epochs):
            t0 = time.perf_counter()
            rng = np.random.default_rng([cfg.seed, epoch])  # the architectures of this epoch
            perm = torch.randperm(
                len(Xtr), generator=torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
            )
            loss_sum = seen = 0.0
            batches = perm.split(cfg.batch)
            bar = tqdm(
                batches,
                desc=f"supernet epoch {epoch + 1}/{cfg.epochs}",
                disable=not progress,
                leave=False,
            )
            for s, idx in enumerate(bar):
                for group in opt.param_groups:
                    group["lr"] = schedule.lr_at(epoch * per_epoch + s, per_epoch)
                net = bound(supernet.space.canonical(random_genome(supernet.space, rng)))
                net.train()
                loss = F.cross_entropy(net(_steps(Xtr[idx])), ytr[idx])
                if not torch.isfinite(loss):
                    raise SnarcError(
                        f"supernet epoch {epoch + 1}: the loss is {float(loss)}: lower --lr"
                    )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(supernet.parameters(), cfg.clip)
                opt.step()
                loss_sum += float(loss.detach()) * len(idx)
                seen += len(idx)
                bar.set_postfix(loss=f"{loss_sum / seen:.3f}")
            history.append({"epoch": epoch + 1, "train_loss": loss_sum / max(seen, 1),
                            "wall_s": time.perf_counter() - t0})  # fmt: skip
            payload = {**supernet.payload(), "optimizer": opt.state_dict(), "epoch": epoch + 1,
                       "config": json.dumps(asdict(cfg)), "history": json.dumps(history)}  # fmt: skip
            write_checkpoint(out / NAME, payload)
            log(f"supernet epoch {epoch + 1}/{cfg.epochs}: loss {history[-1]['train_loss']:.3f} "
                f"({history[-1]['wall_s']:.0f} s)")  # fmt: skip
        return {"epochs": len(history), "history": history, "weights": len(supernet.weights),
                "params": sum(p.numel() for p in supernet.parameters())}  # fmt: skip


_OPEN: dict = {}  # per process: supernet directory -> (supernet, Xval, yval)


def _opened(out: str | Path):
    key = str(Path(out).resolve())
    if key not in _OPEN:
        supernet, cfg, _ = open_supernet(out)
        _, _, Xval, yval = _data(supernet, cfg)
        _OPEN.clear()  # one supernet at a time
        _OPEN[key] = (supernet, Xval, yval)
    return _OPEN[key]


def measure_one(out: str | Path | None, text: str) -> dict:
    """``{supernet_acc, supernet_spikes}`` of one architecture (an evolution's measure)."""
    if out is None:
        raise SupernetError(
            "supernet_acc and supernet_spikes need a trained supernet (--supernet DIR)"
        )
    r = measure_candidates(out, [text])[0]
    return {
        "supernet_acc": r["accuracy"],
        "supernet_spikes": r["spikes"],
        "supernet_spikes_pooled": r["spikes_pooled"],
    }


def measure_candidates(out: str | Path, texts: list[str], batch: int = 64) -> list[dict]:
    """Each architecture's held-out accuracy and spikes per sample, with the weights it
    inherits from the supernet in ``out``, in eval mode."""
    import torch

    supernet, Xval, yval = _opened(out)
    results = []
    for text in texts:
        t0 = time.perf_counter()
        net = supernet.bind(text)
        net.eval()
        correct, spikes, pooled = 0, 0.0, 0.0
        with torch.no_grad():
            for i in range(0, len(Xval), batch):
                outp, stats = net(_steps(Xval[i : i + batch]), return_stats=True)
                correct += int((outp.argmax(1) == yval[i : i + batch]).sum())
                spikes += float(stats.total_spikes.sum())
                pooled += float(stats.pooled_spikes.sum())
        n = max(1, len(Xval))
        results.append({"accuracy": correct / n, "spikes": spikes / n,
                        "spikes_pooled": (spikes + pooled) / n,
                        "wall_s": time.perf_counter() - t0})  # fmt: skip
    return results
