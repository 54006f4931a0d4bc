"""Small file helpers shared by the CLI and the backends: atomic writes that never
follow a planted link, and the lock of a run directory."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from ..dsl.errors import SnarcError


class FileSafetyError(SnarcError):
    """A write or a deletion that snarc refuses: a symbolic link where it writes results,
    or a directory another process holds."""

    kind = "file error"


def read_text(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of ``path``; a :class:`~snarc.dsl.SnarcError` naming the file when it
    cannot be read or is not UTF-8 (never a traceback, never the bytes themselves)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnarcError(f"{path}: no such {what}") from None
    except OSError as err:
        raise SnarcError(f"cannot read {what} {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise SnarcError(
            f"{path}: the {what} is not UTF-8 text ({err.reason} at byte {err.start})"
        ) from None


def atomic_write(path: str | Path, data: str | bytes, *, follow_links: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader sees the old file or the new one, never half of either; a failure
    leaves the old file as it was and no temporary file behind.

    ``path`` may be a symbolic link only with ``follow_links`` (a file the user named,
    such as the program ``snarc fmt`` rewrites): the link stays and its target gets the
    new content. Without it (results inside a run or training directory) a link is
    refused, so a crafted directory cannot redirect snarc's writes elsewhere.
    """
    path = Path(path)
    if path.is_symlink():
        if not follow_links:
            raise FileSafetyError(
                f"{path} is a symbolic link: snarc writes its results only to real files",
                hint="remove the link (or choose another output directory)",
            )
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:  # a new file: the usual mode, not mkstemp's 0600
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def real_directory(path: str | Path) -> Path:
    """``path`` as a directory snarc may write into and delete from: created if missing,
    refused if it is a symbolic link (deleting "stale" files through a link would delete
    files in the link's target)."""
    path = Path(path)
    if path.is_symlink():
        raise FileSafetyError(
            f"{path} is a symbolic link: snarc writes and deletes results only in real directories",
            hint="remove the link; snarc recreates the directory",
        )
    path.mkdir(parents=True, exist_ok=True)
    return path


class DirectoryLock:
    """An exclusive lock on a directory (``DIR/.lock``, ``flock``), held by one process.

    The lock goes with the process: a killed run leaves no stale lock behind. A second
    process gets :class:`FileSafetyError` naming the holder's pid.
    """

    NAME = ".lock"

    def __init__(self, directory: str | Path, what: str = "run"):
        self.directory, self.what = Path(directory), what
        self.fd: int | None = None

    def acquire(self) -> DirectoryLock:
        import fcntl

        path = self.directory / self.NAME
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise FileSafetyError(f"{path} is a symbolic link") from None
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise FileSafetyError(
                f"{self.directory}: another snarc process (pid {holder}) is using this "
                f"{self.what} directory",
                hint="wait for it to finish, or choose another directory",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = None

    def __enter__(self) -> DirectoryLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
