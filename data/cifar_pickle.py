"""Reading CIFAR-10's pickled batches without running code from them.

The python version of CIFAR-10 (``cifar-10-batches-py``) stores each batch as a
pickle, and ``pickle.load`` calls whatever callable a file names: a crafted
``data_batch_1`` would run code as soon as snarc opened the directory. This reader
admits only what the real files hold — a dict of strings, bytes, lists, ints and one
NumPy ``uint8`` array — by resolving no global except NumPy's array and dtype
constructors, and then checks the shape of what it got.
"""

from __future__ import annotations

import io
import pickle

import numpy as np

# The globals a pickled ndarray refers to (NumPy 1.x and 2.x module paths; protocol 2
# pickles use _reconstruct, protocol 5 pickles _frombuffer). Each only builds an array
# or a NumPy scalar from a dtype and raw bytes.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.multiarray", "scalar"),  # NumPy integers in the label list
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class UnsafePickle(pickle.UnpicklingError):
    """The file asked for a callable that a CIFAR-10 batch never holds."""


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """``_codecs.encode`` as Python 3 pickles bytes (protocol 2), latin-1 only."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise UnsafePickle(f"refused _codecs.encode(..., {encoding!r})")
    return text.encode("latin1")


class _Restricted(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        if (module, name) not in _ALLOWED:
            raise UnsafePickle(
                f"refused to load '{module}.{name}': a CIFAR-10 batch holds only "
                "a dict, strings, lists and a NumPy array"
            )
        return super().find_class(module, name)

    def persistent_load(self, pid):  # pragma: no cover - protocol feature no batch uses
        raise UnsafePickle("refused a persistent reference")


def _key(d: dict, name: str):
    """``d[name]`` whether the keys are ``str`` or ``bytes`` (Python 2 pickles)."""
    if name in d:
        return d[name]
    return d.get(name.encode("ascii"))


def load_batch(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """``(images [N, 3, 32, 32] uint8, labels [N] int64)`` from one batch file's bytes.

    Raises :class:`pickle.UnpicklingError` (``UnsafePickle`` for a forbidden global) or
    ``ValueError`` for anything that is not a CIFAR-10 batch.
    """
    obj = _Restricted(io.BytesIO(data), encoding="latin1").load()
    if not isinstance(obj, dict):
        raise ValueError(f"expected a dict, found {type(obj).__name__}")
    images, labels = _key(obj, "data"), _key(obj, "labels")
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        raise ValueError("'data' is not a uint8 array")
    if images.ndim != 2 or images.shape[1] != 3 * 32 * 32:
        raise ValueError(f"'data' has shape {images.shape}, expected [N, 3072]")
    if not isinstance(labels, (list, np.ndarray)) or len(labels) != len(images):
        raise ValueError("'labels' is not a list as long as 'data'")
    if not all(isinstance(v, (int, np.integer)) and 0 <= v < 10 for v in labels):
        raise ValueError("'labels' holds values outside 0..9")
    return images.reshape(-1, 3, 32, 32), np.asarray(labels, np.int64)
