"""The one short hash: the first 16 hex digits of a text's SHA-256.

A genome's id, a program's hash in a checkpoint and a search space's fingerprint are
all this (64 bits: collisions are not a concern at the sizes snarc stores)."""

from __future__ import annotations

import hashlib

LENGTH = 16


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:LENGTH]
