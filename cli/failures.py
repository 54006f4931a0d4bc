"""Exceptions that are not snarc's own, told in words instead of a traceback.

Bad input is reported by :class:`~snarc.dsl.SnarcError` where it is found. What is left
reaches the CLI from the operating system (a full disk, a read-only directory), from
SQLite (a locked or damaged store) or from a library; :func:`describe` says what
happened and what to do. Anything else is a bug in snarc: it is reported as an internal
error, with the traceback when ``SNARC_DEBUG=1``.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import traceback

_OS_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space; finished work is kept, so run again "
    "(or --resume) afterwards",
    errno.EDQUOT: "the disk quota is used up: free some space and run again",
    errno.EROFS: "the file system is read-only: choose an output directory you can write",
    errno.EACCES: "permission denied: choose a file or directory you can write",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such file or directory",
    errno.EISDIR: "a directory stands where a file was expected",
    errno.ENOTDIR: "a file stands where a directory was expected",
    errno.ELOOP: "too many symbolic links (or a link where snarc refuses one)",
    errno.ENAMETOOLONG: "the file name is too long",
}


def describe(err: BaseException) -> str:
    """One or two lines for ``err``, beginning with ``error:``."""
    if isinstance(err, OSError):
        where = err.filename or ""
        advice = _OS_ADVICE.get(err.errno, err.strerror or str(err))
        return f"{where}: error: {advice}" if where else f"error: {advice}"
    if isinstance(err, sqlite3.Error):
        from ..evolution.store import explain

        return f"error: {explain(err)}"
    if isinstance(err, ValueError) and "null" in str(err) and "byte" in str(err):
        return "error: a file name contains a NUL character"
    if isinstance(err, UnicodeDecodeError):
        return f"error: a file is not UTF-8 text ({err.reason} at byte {err.start})"
    if isinstance(err, MemoryError):
        return (
            "error: out of memory: reduce the batch, the network or the time steps "
            "(or set --max-memory so that snarc refuses such a network before it starts)"
        )
    if type(err).__name__ == "OutOfMemoryError":  # torch.cuda.OutOfMemoryError
        return "error: the GPU ran out of memory: reduce the batch or the network"
    text = f"{type(err).__name__}: {err}".strip()
    if os.environ.get("SNARC_DEBUG"):
        return "".join(traceback.format_exception(err)).rstrip()
    return (
        f"error: internal error: {text.splitlines()[0] if text else type(err).__name__}\n"
        "  this is a bug in snarc; run with SNARC_DEBUG=1 to see the traceback, and report it"
    )
