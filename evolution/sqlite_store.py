"""What snarc's small SQLite stores share: one file per directory in write-ahead-log mode,
a ``meta`` table of JSON values, a clear error for a file that is not the store, and the
check that a resumed job keeps the settings it was started with."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from .store import StoreError


class SQLiteStore:
    """``DIR/NAME``, created with ``SCHEMA`` (which has a ``meta(key, value)`` table)."""

    NAME = ""
    SCHEMA = ""
    WHAT = "store"  # for the error on a file that is not one

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / self.NAME
        try:
            self.db = sqlite3.connect(self.path, timeout=30.0)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(self.SCHEMA)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path}: not a {self.WHAT} ({err})") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def set_meta(self, key: str, value) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def get_meta(self, key: str, default=None):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default


def changed_settings(mine: dict, saved: dict, runtime=()) -> list[str]:
    """The settings (other than ``runtime`` ones) in which ``mine`` differs from ``saved``."""
    return sorted(k for k in mine if k not in runtime and mine[k] != saved.get(k))
