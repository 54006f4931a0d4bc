"""Keep freed tensor memory inside the process (glibc's malloc), for CPU speed.

PyTorch's CPU tensors come from the C library's ``malloc``. With glibc's defaults, a
block larger than a dynamic threshold (128 KiB, growing up to 32 MiB) is mapped fresh
from the kernel and unmapped when freed, and free memory at the top of the heap is
returned to the kernel as soon as it passes a small threshold. A spiking network
allocates and frees tensors of several MB at every step, so every allocation pays page
faults: on the 2-core machine this project is developed on, `bench_fitness.py` spent
3.5 minutes in the kernel for 2 minutes in user code, and a training step or a scoring
pass took 7-16 % longer than with the settings below (docs/performance.md).

:func:`tune_allocator` sets glibc's ``M_MMAP_THRESHOLD`` to its largest value (32 MiB),
``M_TRIM_THRESHOLD`` to 1 GiB and ``M_TOP_PAD`` to 64 MiB through ``mallopt``: blocks
up to 32 MiB are reused from the heap, which keeps up to 1 GiB of free memory. This is
what Intel's PyTorch CPU guide gets by preloading jemalloc or tcmalloc, without a
preload. The process keeps its peak memory instead of returning it.

snarc's commands (``snarc``, ``make demo``, evaluation workers, the benchmarks) call it;
a library user may. It does nothing off glibc, when the environment already sets any
``MALLOC_*`` variable (the user's own tuning), or with ``SNARC_MALLOC=default``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

SETTINGS = {
    M_MMAP_THRESHOLD: 32 * 2**20,  # glibc's maximum (DEFAULT_MMAP_THRESHOLD_MAX, 64-bit)
    M_TRIM_THRESHOLD: 2**30,
    M_TOP_PAD: 64 * 2**20,
}

_done: bool | None = None


def tune_allocator() -> bool:
    """Apply the settings once per process; True if glibc accepted them."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if not sys.platform.startswith("linux") or os.environ.get("SNARC_MALLOC") == "default":
        return False
    if any(k.startswith("MALLOC_") or k.startswith("GLIBC_TUNABLES") for k in os.environ):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _done = all(mallopt(param, value) == 1 for param, value in SETTINGS.items())
    return _done
