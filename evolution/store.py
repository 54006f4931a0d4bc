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
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..dsl.errors import SnarcError
from ..dsl.hashing import LENGTH

SCHEMA_VERSION = 1
TABLES = ("meta", "genomes", "populations", "generations", "trained")
# A genome's id: the first 16 hex digits of the SHA-256 of its canonical text. Ids read
# back from a store become file names, so every one is checked (a crafted store could
# otherwise write outside the run directory).
HASH = re.compile(rf"[0-9a-f]{{{LENGTH}}}")


class StoreError(SnarcError):
    """A run store that cannot be used as it is: damaged, locked, or not a store."""

    kind = "store error"


def check_hash(h) -> str:
    if not isinstance(h, str) or not HASH.fullmatch(h):
        raise StoreError(
            f"the run store holds a genome id {h!r} that is not 16 hex digits",
            hint="the store is damaged or was not written by snarc; it is not used",
        )
    return h


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
    status: str  # "ok" | "failed" (the genome) | "infra" (a worker died, a timeout)
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

    def __init__(self, path: Path, timeout: float = 30.0):
        self.path = Path(path)
        existed = self.path.exists()
        if self.path.is_symlink():
            raise StoreError(f"{self.path} is a symbolic link: snarc opens only a real store")
        try:
            self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: cannot open: {explain(err)}") from None
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            if existed and self._tables():
                self._check_schema()
            else:
                self.db.executescript(_SCHEMA)
                self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as err:
            self.db.close()
            raise StoreError(f"{self.path}: {explain(err)}") from None
        except StoreError:
            self.db.close()
            raise

    def _tables(self) -> set[str]:
        rows = self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r[0] for r in rows}

    def _check_schema(self) -> None:
        """A store that exists is used as it is, never repaired: a missing table means
        damage, and re-creating it would rewrite the run's results."""
        missing = [t for t in TABLES if t not in self._tables()]
        if missing:
            raise StoreError(
                f"{self.path}: the run store is damaged: table {', '.join(missing)} is missing",
                hint="snarc does not repair a store; restore it from a copy or start a new run",
            )
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):  # 0: stores written before the version
            raise StoreError(
                f"{self.path}: store format {version}, this snarc reads {SCHEMA_VERSION}"
            )

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
        """Insert one evaluated genome and commit it. A genome already stored is kept,
        unless its evaluation failed for reasons outside it (status ``infra``): then the
        new result replaces it."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT INTO genomes VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(hash) DO UPDATE "
                "SET status = excluded.status, measures = excluded.measures, "
                "error = excluded.error, wall = excluded.wall, "
                "evaluated_at = excluded.evaluated_at WHERE genomes.status = 'infra'",
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
            check_hash(h),
            text,
            tree,
            status,
            json.loads(measures),
            error,
            wall,
            gen,
            tuple(check_hash(p) for p in json.loads(parents)),
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
            check_hash(r[0])
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
            check_hash(r[0]): dict(zip(cols, r[1:6]))
            for r in self.db.execute(
                "SELECT hash, accuracy, epochs, spikes, params, out FROM trained"
            )
        }


def explain(err: sqlite3.Error) -> str:
    """An SQLite error in words a user can act on."""
    text = str(err)
    if "locked" in text or "busy" in text:
        return f"the run store is locked by another process ({text})"
    if "readonly" in text or "read-only" in text:
        return f"the run store cannot be written ({text}): is the directory read-only?"
    if "disk is full" in text or "full" in text:
        return f"the disk is full ({text}): nothing was lost, free space and resume"
    if "malformed" in text or "not a database" in text or "no such table" in text:
        return f"the run store is damaged ({text}): restore it from a copy or start a new run"
    return f"the run store failed: {text}"
