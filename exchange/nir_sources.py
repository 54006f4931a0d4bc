"""How the libraries that write NIR differ from NIR's definition, and how ``snarc import
--source NAME`` reads their graphs so that the imported program computes what the
writing library's own modules compute.

``SOURCES`` holds one :class:`Source` per writer; ``"snarc"`` reads a graph as NIR
defines it (what snarc writes, and NIR's own examples). A difference is listed here only
where it was measured against the library's own module (``tests/test_nir_primitives.py``,
``tests/test_nir.py``); docs/nir.md names each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    name: str
    doc: str
    default_dt: float | None = None  # the step the writer assumes where the graph has none
    tau_times_dt: bool = False  # time constants written as dt·τ (Norse's dt/tau_inv)
    batch_in_input: bool = False  # the Input's shape keeps a leading batch axis of 1
    none_is_flatten: bool = False  # a None node before a dense map is a Flatten
    if_adds_input: bool = False  # an IF adds its input (no dt factor) where NIR's adds dt·r·x
    cuba_jumps: bool = False  # a CubaLIF's current jumps by w_in·x (NIR: w_in·x·dt/τ_syn)
    # spiking neurons reset by subtracting the threshold (NIR: to v_reset) ...
    subtract_reset: bool = False
    reset_delay: bool = False  # ... at the next step, after the decay (snnTorch's reset_delay)


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("snarc", "NIR as defined (what snarc writes; NIR's own examples)"),
        Source(
            "norse",
            "norse.torch.to_nir (Norse 1.1): writes dt·τ for τ, keeps the batch axis in the "
            "Input, writes a Flatten as None, an IAFCell (v ← v + x) as IF(r=1) and a "
            "LIFCell (current jumps by x) as CubaLIF(w_in=1)",
            tau_times_dt=True,
            batch_in_input=True,
            none_is_flatten=True,
            if_adds_input=True,
            cuba_jumps=True,
        ),
        Source(
            "snntorch",
            "snntorch.export_to_nir (snnTorch 1.0): assumes dt = 1e-4 and writes Leaky, "
            "Synaptic, RLeaky and RSynaptic neurons, which by default subtract the "
            "threshold at the step after a spike (reset_mechanism='subtract', "
            "reset_delay=True), as LIF/CubaLIF, which reset to v_reset at once; it records "
            "neither setting, so its defaults are assumed",
            default_dt=1e-4,
            subtract_reset=True,
            reset_delay=True,
        ),
    )
}


def source_named(name: str) -> Source:
    from .errors import NIRImportError

    if name not in SOURCES:
        raise NIRImportError(
            f"unknown NIR source {name!r}", hint="one of: " + ", ".join(sorted(SOURCES))
        )
    return SOURCES[name]
