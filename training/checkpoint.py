"""Checkpoints that are written atomically and verified when read.

Each ``checkpoint.pt`` (``torch.save`` of plain tensors, numbers and strings, read back
with ``weights_only=True`` so that nothing in it can run code) has a checksum beside
it: ``checkpoint.pt.sha256``, the SHA-256 of the file's bytes. A checkpoint whose bytes
do not match (a flipped bit, a truncated copy, an edit) is refused instead of training
on from damaged weights.

Writing is ordered so that a crash at any point leaves a pair that verifies: the
checksum file first lists the new digest *and* the old one, then the checkpoint is
replaced, then the checksum file is rewritten with the new digest alone.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from pathlib import Path

from ..util.fileio import atomic_write
from .errors import CheckpointError

SUFFIX = ".sha256"
REQUIRED = ("model", "optimizer", "epoch", "program_hash", "config", "history")


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _accepted(path: Path) -> list[str] | None:
    side = checksum_path(path)
    try:
        text = side.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise CheckpointError(f"cannot read the checksum {side}: {err}") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def write_checkpoint(path: Path, payload: dict) -> None:
    import torch

    path = Path(path)
    buf = io.BytesIO()
    torch.save(payload, buf)
    data = buf.getvalue()
    new = _digest(data)
    old = _accepted(path) if path.exists() else None
    side = checksum_path(path)
    atomic_write(side, "\n".join([new, *(old or [])]) + "\n")
    atomic_write(path, data)
    atomic_write(side, new + "\n")


def verify(path: Path, required: bool = True) -> bytes:
    """The checkpoint's bytes after checking them against the checksum beside it.

    Without a checksum file: :class:`CheckpointError` when ``required`` (snarc always
    writes one), else the bytes unchecked (a state dict from elsewhere)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CheckpointError(f"cannot read the checkpoint {path}: {err.strerror or err}") from None
    accepted = _accepted(path)
    if accepted is None:
        if required:
            raise CheckpointError(
                f"{path} has no checksum beside it ({checksum_path(path).name})",
                hint="snarc writes one with every checkpoint; without it the file cannot be "
                "trusted to be the one snarc wrote",
            )
        return data
    if _digest(data) not in accepted:
        raise CheckpointError(
            f"{path} is damaged: its SHA-256 does not match {checksum_path(path).name}",
            hint="the file changed after snarc wrote it (a bad disk or copy, an edit); "
            "train again from an intact copy or from the start",
        )
    return data


def read_checkpoint(path: Path, required_keys=REQUIRED) -> dict:
    """A verified training checkpoint, loaded with ``weights_only=True``."""
    import torch

    data = verify(path, required=True)
    try:
        ck = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"cannot read the checkpoint {path}: {first}") from None
    if not isinstance(ck, dict):
        raise CheckpointError(f"{path} is not a snarc training checkpoint")
    missing = [k for k in required_keys if k not in ck]
    if missing:
        raise CheckpointError(
            f"{path} lacks {', '.join(missing)}: it is not a snarc training checkpoint"
        )
    return ck


def load_weights(net, path: str) -> None:
    """Load a checkpoint (a state dict, or a dict with one under "model") into ``net``.

    Loaded with ``weights_only=True``; where a checksum lies beside the file (snarc's
    own checkpoints), the bytes are verified against it first."""
    import torch

    data = verify(Path(path), required=False)
    try:
        data = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a file that is not a checkpoint
        first = (str(err).strip().splitlines() or [type(err).__name__])[0].split(". ")[0]
        raise CheckpointError(
            f"{path} is not a checkpoint torch can load safely: {first}",
            hint="--weights takes a state dict saved by torch.save or snarc train; "
            "snarc loads it with weights_only=True and never unpickles code",
        ) from None
    state = data.get("model", data) if isinstance(data, dict) else None
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(f"{path} holds no state dict (names to tensors)")
    try:
        missing, unexpected = net.load_state_dict(state, strict=False)
    except RuntimeError as err:  # shapes that do not fit
        first = (str(err).strip().splitlines() or ["size mismatch"])[-1].strip()
        raise CheckpointError(
            f"the checkpoint {path} does not match the program: {first}"
        ) from None
    if missing or unexpected:
        raise CheckpointError(
            f"the checkpoint {path} does not match the program: "
            + (
                f"missing {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
                if missing
                else ""
            )
            + ("; " if missing and unexpected else "")
            + (f"unexpected {', '.join(unexpected[:5])}" if unexpected else "")
        )
