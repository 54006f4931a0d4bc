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

    ep = [h["epoch"] for h in history]
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(11, 3.2))
    a1.plot(ep, [h["train_loss"] for h in history], "o-")
    a1.set_title("train loss")
    a2.plot(ep, [h["train_accuracy"] for h in history], "o-", label="train")
    a2.plot(ep, [h["test_accuracy"] for h in history], "s-", label="test")
    a2.set_title("accuracy")
    a2.legend()
    a3.plot(ep, [h["spikes_per_sample"] for h in history], "o-")
    a3.set_title("spikes per test sample")
    for a in (a1, a2, a3):
        a.set_xlabel("epoch")
        a.grid(alpha=0.3)
    fig.suptitle(name)
    b = io.BytesIO()
    fig.savefig(b, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    atomic_write(out / "curves.png", b.getvalue())
