"""How much memory a network will ask for, estimated from the IR before anything is
allocated, and the ceiling above which snarc refuses to run it.

The estimate counts float32 tensors (4 bytes a number):

* parameters: ``params`` (for training also their gradients and AdamW's two moments:
  4 copies);
* activations of a forward pass over ``T`` steps of a batch of ``B``: the input, every
  node's output and every operation's output on every edge, plus the state of every
  neuron population (membrane and, for the models that have one, synaptic current),
  all for ``T·B`` samples — the compiled module runs nodes outside feedback loops
  multi-step, so these tensors exist at once;
* for training, twice the forward activations (what autograd saves for the
  backward pass, and the gradients flowing through it).

It is an estimate, not a promise: docs/reliability.md lists measured peaks against it.
The ceiling is ``--max-memory SIZE`` or ``$SNARC_MAX_MEMORY`` (``512M``, ``16G``, or
bytes), by default 80 % of the machine's physical memory.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from .errors import SnarcResourceError

BYTES = 4  # float32
TRAINING_FACTOR = 2  # saved activations and their gradients (measured: bench_memory.py)
ENV = "SNARC_MAX_MEMORY"
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_STATEFUL = {"LIF": 2, "ALIF": 3, "Izhikevich": 2}  # state tensors per neuron (default 1)


def parse_size(text: str) -> int:
    """``"512M"``, ``"16G"``, ``"1.5T"`` or a number of bytes → bytes."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", str(text), re.IGNORECASE)
    if not m:
        raise ValueError(f"'{text}' is not a size (e.g. 512M, 16G, or a number of bytes)")
    value = float(m.group(1)) * _UNITS[m.group(2).upper()]
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"'{text}' is not a positive size")
    return int(value)


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PiB"  # pragma: no cover


def physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def default_ceiling() -> int:
    """``$SNARC_MAX_MEMORY`` if set, else 80 % of physical memory (else 16 GiB)."""
    if os.environ.get(ENV):
        try:
            return parse_size(os.environ[ENV])
        except ValueError as err:
            raise SnarcResourceError(f"${ENV}: {err}") from None
    phys = physical_memory()
    return int(0.8 * phys) if phys else 16 * 2**30


@dataclass(frozen=True)
class MemoryEstimate:
    params: int  # bytes of parameters (with optimizer state when training)
    activations: int  # bytes of activations and state
    largest: str  # the node whose tensors weigh most
    largest_bytes: int
    batch: int
    timesteps: int
    training: bool

    @property
    def total(self) -> int:
        return self.params + self.activations

    def describe(self) -> str:
        what = "training" if self.training else "a forward pass"
        return (
            f"{what} at batch {self.batch} over {self.timesteps} steps needs about "
            f"{fmt_bytes(self.total)} ({fmt_bytes(self.params)} parameters"
            f"{' and optimizer state' if self.training else ''}, "
            f"{fmt_bytes(self.activations)} activations; node '{self.largest}' alone "
            f"{fmt_bytes(self.largest_bytes)})"
        )


def _numel(shape) -> int:
    return math.prod(int(s) for s in shape)


def estimate(graph, batch: int = 1, training: bool = False) -> MemoryEstimate:
    """The memory a forward pass (or a training step) of ``graph`` at ``batch`` needs."""
    steps = int(graph.graph["timesteps"])
    per_node: dict[str, int] = {}
    for node, d in graph.nodes(data=True):
        n = _numel(d.shape)
        states = 0
        if d.get("neuron") is not None:
            states = _STATEFUL.get(d.neuron.model, 1)
        per_node[node] = n * (1 + states)
    for _u, v, d in graph.edges(data=True):
        per_node[v] = per_node.get(v, 0) + _numel(graph.nodes[v].shape) * max(
            1, len(d.get("ops", ()))
        )
    numbers = sum(per_node.values())
    factor = BYTES * batch * steps * (TRAINING_FACTOR if training else 1)
    largest = max(per_node, key=per_node.get) if per_node else "input"
    return MemoryEstimate(
        params=int(graph.graph.get("params", 0)) * BYTES * (4 if training else 1),
        activations=numbers * factor,
        largest=largest,
        largest_bytes=per_node.get(largest, 0) * factor,
        batch=batch,
        timesteps=steps,
        training=training,
    )


def check_memory(
    graph,
    batch: int = 1,
    training: bool = False,
    ceiling: int | None = None,
    where: str = "this machine",
) -> MemoryEstimate:
    """The estimate; :class:`SnarcResourceError` at the network's span when it is over
    ``ceiling`` (default :func:`default_ceiling`)."""
    est = estimate(graph, batch, training)
    limit = default_ceiling() if ceiling is None else ceiling
    if est.total > limit:
        raise SnarcResourceError(
            f"network '{graph.graph.get('name', '?')}' is too large to run: {est.describe()}, "
            f"over the memory ceiling of {fmt_bytes(limit)} ({where})",
            graph.graph.get("span"),
            hint=f"reduce the input, channels, time steps or batch; or raise the ceiling "
            f"with --max-memory SIZE or ${ENV}",
        ).with_sources(graph.graph.get("sources", {}))
    return est
