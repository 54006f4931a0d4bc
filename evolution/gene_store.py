"""The store of an evolution of genetic encodings: one SQLite database per run directory
(``genes.sqlite``), one row per finished generation, committed as it ends.

Tables::

    meta(key, value)             config, program hash, genes, version
    generations(generation, asked, fitness, scores, entropy, td, best_fitness, best, wall)

``asked`` is the SHA-256 of the candidates CMA-ES proposed (resume replays the search
and checks it asked the same); ``fitness`` the values told to CMA-ES; ``best`` the
generation's best encoding as float64 bytes (read back with ``numpy.frombuffer``, never
unpickled).
"""

from __future__ import annotations

import json

import numpy as np

from .sqlite_store import SQLiteStore
from .store import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS generations (
    generation INTEGER PRIMARY KEY,
    asked TEXT NOT NULL,
    fitness TEXT NOT NULL,
    scores TEXT NOT NULL,
    entropy TEXT NOT NULL,
    td TEXT NOT NULL,
    best_fitness REAL NOT NULL,
    best BLOB NOT NULL,
    wall REAL NOT NULL
);
"""
NAME = "genes.sqlite"


class GeneStore(SQLiteStore):
    NAME, SCHEMA, WHAT = NAME, SCHEMA, "gene-evolution store"

    def add_generation(self, g: int, asked: str, terms: dict, best: np.ndarray, wall: float):
        with self.db:
            self.db.execute(
                "INSERT INTO generations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    g, asked, json.dumps(terms["fitness"]), json.dumps(terms["score"]),
                    json.dumps(terms["entropy"]), json.dumps(terms["td"]),
                    float(max(terms["fitness"])), np.asarray(best, np.float64).tobytes(), wall,
                ),
            )  # fmt: skip

    def generations(self) -> list[dict]:
        rows = self.db.execute(
            "SELECT generation, asked, fitness, scores, entropy, td, best_fitness, best, wall "
            "FROM generations ORDER BY generation"
        ).fetchall()
        out = []
        for i, (g, asked, fit, sc, ent, td, bf, best, wall) in enumerate(rows):
            if g != i:
                raise StoreError(f"{self.path}: generation {i} is missing (found {g})")
            out.append({
                "generation": g, "asked": asked, "fitness": json.loads(fit),
                "score": json.loads(sc), "entropy": json.loads(ent), "td": json.loads(td),
                "best_fitness": bf, "best": np.frombuffer(best, dtype=np.float64).copy(),
                "wall": wall,
            })  # fmt: skip
        return out
