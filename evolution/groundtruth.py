"""The ground-truth table: architectures of a search space, each trained with one fixed
recipe and several seeds, kept as NAS-Bench keeps its tables - one SQLite file
(``bench.sqlite``, write-ahead log) that a killed build resumes and a bigger machine
extends.

Tables::

    meta(key, value)            space, draw seed, recipe (the training settings), version
    archs(idx, hash, text)      the i-th distinct random program of the space
    runs(hash, seed, status, test_accuracy, train_loss, spikes, sops, params, wall_s,
         history, error, finished_at)
    proxies(hash, name, value, wall_s)   scores to rank the architectures by (bench_proxy)

``runs`` rows are written as each training ends, so a kill loses only the trainings in
flight (and those resume from their last epoch: each keeps a training directory).
Every hash read back is checked before it names a directory.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from .sqlite_store import SQLiteStore
from .store import StoreError, check_hash

NAME = "bench.sqlite"
VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS archs (
    idx INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    hash TEXT NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,
    test_accuracy REAL,
    train_loss REAL,
    spikes REAL,
    sops REAL,
    params INTEGER,
    wall_s REAL,
    history TEXT,
    error TEXT,
    finished_at REAL NOT NULL,
    PRIMARY KEY (hash, seed)
);
CREATE TABLE IF NOT EXISTS proxies (
    hash TEXT NOT NULL,
    name TEXT NOT NULL,
    value REAL,
    wall_s REAL NOT NULL,
    PRIMARY KEY (hash, name)
);
"""
RUN_FIELDS = (
    "status", "test_accuracy", "train_loss", "spikes", "sops", "params", "wall_s", "history",
    "error",
)  # fmt: skip


class GroundTruth(SQLiteStore):
    """One ground-truth table in a directory (``DIR/bench.sqlite``)."""

    NAME, SCHEMA, WHAT = NAME, SCHEMA, "ground-truth table"

    def __init__(self, directory: str | Path):
        super().__init__(directory)
        version = self.get_meta("version")
        if version is None:
            self.set_meta("version", VERSION)
        elif version != VERSION:
            raise StoreError(f"{self.path}: table version {version}, this snarc reads {VERSION}")

    # ------------------------------------------------------------ architectures
    def add_archs(self, programs: list[tuple[str, str]]) -> None:
        """Architectures ``(hash, text)`` in draw order; those already held are kept."""
        with self.db:
            for i, (h, text) in enumerate(programs):
                row = self.db.execute("SELECT hash FROM archs WHERE idx = ?", (i,)).fetchone()
                if row is None:
                    self.db.execute("INSERT INTO archs VALUES (?, ?, ?)", (i, check_hash(h), text))
                elif row[0] != h:
                    raise StoreError(
                        f"{self.path}: architecture {i} is {row[0]}, the draw gives {h}",
                        hint="the table was drawn with another space, seed or snarc version",
                    )

    def archs(self) -> list[dict]:
        rows = self.db.execute("SELECT idx, hash, text FROM archs ORDER BY idx").fetchall()
        return [{"idx": i, "hash": check_hash(h), "text": t} for i, h, t in rows]

    # ------------------------------------------------------------ trainings
    def put_run(self, h: str, seed: int, result: dict) -> None:
        values = [result.get(k) for k in RUN_FIELDS]
        values[RUN_FIELDS.index("history")] = json.dumps(result.get("history") or [])
        with self.db:
            self.db.execute(
                f"INSERT OR REPLACE INTO runs VALUES (?, ?, {', '.join('?' * len(RUN_FIELDS))}, ?)",
                (check_hash(h), seed, *values, time.time()),
            )

    def runs(self, status: str | None = "ok") -> list[dict]:
        cols = ("hash", "seed", *RUN_FIELDS)
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = self.db.execute(
            f"SELECT {', '.join(cols)} FROM runs {where} ORDER BY hash, seed", args
        ).fetchall()
        out = []
        for row in rows:
            r = dict(zip(cols, row, strict=True))
            r["history"] = json.loads(r["history"] or "[]")
            out.append(r)
        return out

    def done(self) -> set[tuple[str, int]]:
        """(hash, seed) pairs with a final result (trained, or failed as a genome)."""
        rows = self.db.execute("SELECT hash, seed FROM runs WHERE status != 'infra'").fetchall()
        return {(h, s) for h, s in rows}

    # ------------------------------------------------------------ proxies
    def put_proxy(self, h: str, name: str, value: float | None, wall_s: float) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO proxies VALUES (?, ?, ?, ?)",
                (check_hash(h), name, value, wall_s),
            )

    def proxies(self) -> dict[str, dict[str, tuple[float | None, float]]]:
        """``{name: {hash: (value, seconds)}}``."""
        out: dict = {}
        for h, name, value, wall in self.db.execute(
            "SELECT hash, name, value, wall_s FROM proxies"
        ):
            out.setdefault(name, {})[h] = (value, wall)
        return out

    # ------------------------------------------------------------ the table
    def table(self) -> list[dict]:
        """One row per architecture with every seed trained: mean and per-seed accuracies,
        spikes, params, training seconds; in draw order."""
        by: dict[str, list[dict]] = {}
        for r in self.runs():
            by.setdefault(r["hash"], []).append(r)
        seeds = self.get_meta("seeds", 1)
        out = []
        for a in self.archs():
            rs = by.get(a["hash"], [])
            if len(rs) < seeds:
                continue
            accs = [r["test_accuracy"] for r in rs]
            out.append({
                "idx": a["idx"], "hash": a["hash"], "text": a["text"],
                "accuracy": statistics.mean(accs), "accuracies": accs,
                "seeds": [r["seed"] for r in rs], "params": rs[0]["params"],
                "spikes": statistics.mean(r["spikes"] or 0.0 for r in rs),
                "wall_s": statistics.mean(r["wall_s"] for r in rs),
            })  # fmt: skip
        return out


def pooled_seed_sd(rows: list[dict]) -> float:
    """The seed noise of a table: the pooled standard deviation of accuracy over the seeds
    of one architecture (architectures with two or more seeds)."""
    groups = [r["accuracies"] for r in rows if len(r["accuracies"]) > 1]
    dof = sum(len(g) - 1 for g in groups)
    if not dof:
        return float("nan")
    return (sum((len(g) - 1) * statistics.variance(g) for g in groups) / dof) ** 0.5


def summary(rows: list[dict]) -> dict:
    """How much the architectures of a table differ, against the seed noise."""
    accs = [r["accuracy"] for r in rows]
    if not accs:
        return {"architectures": 0}
    spread = statistics.stdev(accs) if len(accs) > 1 else float("nan")
    noise = pooled_seed_sd(rows)
    k = statistics.mean(len(r["accuracies"]) for r in rows)
    return {
        "architectures": len(rows),
        "accuracy_min": min(accs),
        "accuracy_median": statistics.median(accs),
        "accuracy_max": max(accs),
        "between_sd": spread,
        "seed_sd": noise,
        "spread_over_noise": spread / noise if noise > 0 else float("nan"),
        # the share of the variance of the table's (k-seed mean) accuracies that is the
        # architectures', not the seeds': 1 - (seed variance / k) / variance of the means
        "reliability": 1 - noise**2 / k / spread**2 if spread > 0 else float("nan"),
        "train_s_per_arch": statistics.mean(r["wall_s"] for r in rows),
    }


def plot_table(rows: list[dict], path: str | Path, title: str = "") -> None:
    """Every architecture's accuracy (mean, and each seed), sorted: a PNG or SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..util.fileio import atomic_write

    rows = sorted(rows, key=lambda r: r["accuracy"])
    fig, ax = plt.subplots(figsize=(max(5.0, 0.12 * len(rows) + 2), 3.2))
    for i, r in enumerate(rows):
        ax.plot([i] * len(r["accuracies"]), r["accuracies"], ".", color="0.6", ms=4)
    ax.plot(range(len(rows)), [r["accuracy"] for r in rows], "o", color="C0", ms=4, label="mean")
    ax.set_xlabel("architecture (sorted by mean test accuracy)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format=Path(path).suffix.lstrip(".") or "png", dpi=120)
    plt.close(fig)
    atomic_write(Path(path), buf.getvalue())
