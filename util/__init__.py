"""Process- and file-level utilities the other parts share: crash-safe file writes and
the run-directory lock (:mod:`.fileio`), glibc allocator settings (:mod:`.allocator`)."""

from __future__ import annotations

from .allocator import tune_allocator
from .fileio import DirectoryLock, FileSafetyError, atomic_write, read_text, real_directory

__all__ = [
    "DirectoryLock",
    "FileSafetyError",
    "atomic_write",
    "read_text",
    "real_directory",
    "tune_allocator",
]
