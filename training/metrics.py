"""Per-epoch metrics of a training run: JSON, CSV and a picture of the curves."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..util.fileio import atomic_write


def write_metrics(out: Path, history: list[dict], name: str, params: int) -> None:
    atomic_write(
        out / "metrics.json",
        json.dumps({"program": name, "params": params, "epochs": history}, indent=2) + "\n",
    )
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(history[0]))
    w.writeheader()
    w.writerows(history)
    atomic_write(out / "metrics.csv", buf.getvalue())
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    ep = [h["epoch"] for h in history]
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(11, 3.4), layout="constrained")
    series = [
        (a1, "train loss", [("train_loss", "o-", None)]),
        (
            a2,
            "accuracy",
            [("train_accuracy", "o-", "train"), ("test_accuracy", "s-", "test")]
            + ([("val_accuracy", "^-", "validation")] if "val_accuracy" in history[0] else []),
        ),
        (a3, "spikes per test sample", [("spikes_per_sample", "o-", None)]),
    ]
    for ax, title, lines in series:
        for key, style, label in lines:
            ys = [h[key] for h in history]
            ax.plot(ep, ys, style, label=label)
            if len(ep) <= 3:  # a short run: the values themselves, not a lone dot
                for x, y in zip(ep, ys, strict=True):
                    ax.annotate(
                        f"{y:.3g}", (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8
                    )
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        if len(ep) <= 10:
            ax.set_xticks(ep)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(ep) == 1:
            ax.set_xlim(ep[0] - 0.5, ep[0] + 0.5)
        ax.grid(alpha=0.3)
    a2.legend(fontsize=8)
    fig.suptitle(name, fontsize=11)
    b = io.BytesIO()
    fig.savefig(b, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    atomic_write(out / "curves.png", b.getvalue())


class TensorBoard:
    """Each epoch's row as TensorBoard scalars (``train/loss``, ``accuracy/test``, ...),
    written with ``torch.utils.tensorboard`` (needs the ``tensorboard`` package:
    ``pip install snarc[tensorboard]``)."""

    SCALARS = {
        "train_loss": "train/loss",
        "train_accuracy": "accuracy/train",
        "test_accuracy": "accuracy/test",
        "val_accuracy": "accuracy/validation",
        "spikes_per_sample": "activity/spikes_per_sample",
        "sops_per_sample": "activity/sops_per_sample",
        "energy_j_per_sample": "activity/energy_j_per_sample",
        "lr": "train/lr",
        "wall_s": "train/wall_s",
    }

    def __init__(self, directory):
        from .errors import TrainError

        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise TrainError(
                "--tensorboard needs the tensorboard package",
                hint="pip install 'snarc[tensorboard]' (or pip install tensorboard)",
            ) from None
        self.writer = SummaryWriter(log_dir=str(directory))

    def epoch(self, row: dict) -> None:
        for key, tag in self.SCALARS.items():
            if key in row:
                self.writer.add_scalar(tag, row[key], row["epoch"])
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
