"""The run store: one SQLite database (write-ahead log) per run directory.

Every evaluated genome is one row, committed as soon as its evaluation ends, so a
crash or a kill loses at most the evaluations in flight. A generation's population is
written in one transaction when the generation is complete.

Tables::

    meta(key, value)                    config, space text, normalisation, version
    genomes(hash, text, tree, status, measures, error, wall, generation, parents,
            operator, evaluated_at)     one row per distinct architecture
    populations(generation, idx, hash)  the population after each generation
    generations(generation, evaluations, invalid, duplicates, hypervolume, best, wall)
    trained(hash, accuracy, epochs, spikes, params, out, trained_at)
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS genomes (
    hash TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    tree TEXT NOT NULL,
    status TEXT NOT NULL,
    measures TEXT NOT NULL,
    error TEXT,
    wall REAL,
    generation INTEGER NOT NULL,
    parents TEXT NOT NULL,
    operator TEXT NOT NULL,
    evaluated_at REAL
);
CREATE TABLE IF NOT EXISTS populations (
    generation INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (generation, idx)
);
CREATE TABLE IF NOT EXISTS generations (
    generation INTEGER PRIMARY KEY,
    evaluations INTEGER NOT NULL,
    invalid INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    hypervolume REAL,
    best REAL,
    wall REAL
);
CREATE TABLE IF NOT EXISTS trained (
    hash TEXT PRIMARY KEY,
    accuracy REAL,
    epochs INTEGER,
    spikes REAL,
    params INTEGER,
    out TEXT,
    trained_at REAL
);
"""


@dataclass(frozen=True)
class Record:
    hash: str
    text: str
    tree: str
    status: str  # "ok" | "failed"
    measures: dict
    error: str | None
    wall: float
    generation: int
    parents: tuple[str, ...]
    operator: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Store:
    """A run's database. Open with :meth:`open`; use as a context manager."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    @classmethod
    def open(cls, run_dir: Path) -> Store:
        return cls(Path(run_dir) / "store.sqlite")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ meta
    def set_meta(self, key: str, value) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def get_meta(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    # ------------------------------------------------------------ genomes
    def add(self, rec: Record) -> None:
        """Insert one evaluated genome and commit it (a no-op if it is already stored)."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT OR IGNORE INTO genomes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rec.hash,
                    rec.text,
                    rec.tree,
                    rec.status,
                    json.dumps(rec.measures, sort_keys=True),
                    rec.error,
                    rec.wall,
                    rec.generation,
                    json.dumps(list(rec.parents)),
                    rec.operator,
                    time.time(),
                ),
            )

    def _record(self, row) -> Record:
        h, text, tree, status, measures, error, wall, gen, parents, op = row
        return Record(
            h,
            text,
            tree,
            status,
            json.loads(measures),
            error,
            wall,
            gen,
            tuple(json.loads(parents)),
            op,
        )

    _COLS = "hash, text, tree, status, measures, error, wall, generation, parents, operator"

    def get(self, h: str) -> Record | None:
        row = self.db.execute(f"SELECT {self._COLS} FROM genomes WHERE hash = ?", (h,)).fetchone()
        return self._record(row) if row else None

    def records(self, before_generation: int | None = None) -> list[Record]:
        sql = f"SELECT {self._COLS} FROM genomes"
        args: tuple = ()
        if before_generation is not None:
            sql += " WHERE generation < ?"
            args = (before_generation,)
        return [self._record(r) for r in self.db.execute(sql + " ORDER BY generation, hash", args)]

    def hashes(self, before_generation: int | None = None) -> set[str]:
        return {r.hash for r in self.records(before_generation)}

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM genomes").fetchone()[0]

    # ------------------------------------------------------------ populations
    def save_generation(self, generation: int, population: list[str], stats: dict) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM populations WHERE generation = ?", (generation,))
            self.db.executemany(
                "INSERT INTO populations VALUES (?, ?, ?)",
                [(generation, i, h) for i, h in enumerate(population)],
            )
            self.db.execute(
                "INSERT OR REPLACE INTO generations VALUES (?,?,?,?,?,?,?)",
                (
                    generation,
                    stats["evaluations"],
                    stats["invalid"],
                    stats["duplicates"],
                    stats.get("hypervolume"),
                    stats.get("best"),
                    stats.get("wall"),
                ),
            )

    def last_generation(self) -> int | None:
        row = self.db.execute("SELECT MAX(generation) FROM generations").fetchone()
        return row[0]

    def population(self, generation: int) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT hash FROM populations WHERE generation = ? ORDER BY idx", (generation,)
            )
        ]

    def generations(self) -> list[dict]:
        cols = ("generation", "evaluations", "invalid", "duplicates", "hypervolume", "best", "wall")
        return [
            dict(zip(cols, r))
            for r in self.db.execute("SELECT * FROM generations ORDER BY generation")
        ]

    # ------------------------------------------------------------ training results
    def add_trained(
        self, h: str, accuracy: float, epochs: int, spikes: float, params: int, out: str
    ) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT OR REPLACE INTO trained VALUES (?,?,?,?,?,?,?)",
                (h, accuracy, epochs, spikes, params, out, time.time()),
            )

    def trained(self) -> dict[str, dict]:
        cols = ("accuracy", "epochs", "spikes", "params", "out")
        return {
            r[0]: dict(zip(cols, r[1:6]))
            for r in self.db.execute(
                "SELECT hash, accuracy, epochs, spikes, params, out FROM trained"
            )
        }
