"""A private, verified place for Lark's parser cache.

Lark's ``cache=True`` pickles the LALR tables into the shared temporary directory
under a predictable name and unpickles whatever it finds there: anyone who can write
to ``/tmp`` could plant a file that runs code the next time snarc parses. snarc
therefore caches only in a directory of the user's own (the user cache directory or
``$SNARC_CACHE``) and uses a file there only when

* the directory is a real directory (not a link), owned by this user, and writable by
  nobody else;
* the file is a regular file (not a link), owned by this user, and writable by nobody
  else.

Anything else is not read: an unsafe directory means no cache at all (parsing still
works, about 0.2 s slower at start-up), an unsafe file is removed and rebuilt.
``SNARC_NO_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .hashing import short_hash

_FOREIGN_WRITE = stat.S_IWGRP | stat.S_IWOTH


def _safe(st: os.stat_result, kind) -> bool:
    return kind(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & _FOREIGN_WRITE


def cache_dir() -> Path | None:
    """The private cache directory, created (mode 0700) if missing; None when it is unsafe
    or unavailable."""
    if os.environ.get("SNARC_NO_CACHE") or not hasattr(os, "geteuid"):
        return None
    root = os.environ.get("SNARC_CACHE")
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("snarc", appauthor=False)
    path = Path(root)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return None
    return path if _safe(st, stat.S_ISDIR) else None


def cache_file(name: str, key: str) -> str | None:
    """A path for a pickle cache named ``name`` whose content depends on ``key``, safe to
    hand to Lark (which reads it with pickle), or None for "do not cache"."""
    directory = cache_dir()
    if directory is None:
        return None
    path = directory / f"{name}-{short_hash(key)}.lark.pickle"
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return str(path)
    except OSError:
        return None
    if _safe(st, stat.S_ISREG):
        return str(path)
    try:  # not ours, or writable by others: never read it
        path.unlink()
    except OSError:
        return None
    return str(path)


def seal(path: str | None) -> None:
    """After Lark wrote ``path``: readable and writable by this user only."""
    if path is None:
        return
    try:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
            os.chmod(path, 0o600)
    except OSError:
        pass
