"""The surrogate gradients a program may name, with their default sharpness and aliases."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SurrogateDef:
    """A surrogate gradient of the spike: its name, its default sharpness α and, for an
    alias, the surrogate it is (the alias is resolved when a program is elaborated)."""

    name: str
    alpha: float
    doc: str
    alias_of: str | None = None


SURROGATE_DEFS: dict[str, SurrogateDef] = {
    s.name: s
    for s in [
        SurrogateDef("atan", 2.0, "SpikingJelly's / snnTorch's ATan: α/2 / (1 + (π/2·α·x)²)"),
        SurrogateDef("superspike", 100.0, "Zenke & Ganguli's SuperSpike: 1 / (α·|x| + 1)²"),
        SurrogateDef("triangle", 1.0, "Norse's triangle: α · max(0, 1 − |x|)"),
        SurrogateDef("tanh", 1.0, "Norse's tanh: 1 − tanh(α·x)²"),
        SurrogateDef("circ", 1.0, "Norse's circ: α³ / (x² + α²)^{3/2}"),
        SurrogateDef("erfc", 1.0, "Norse's heavi_erfc: 2·exp(−(α·x)²) / √π"),
        SurrogateDef(
            "sigmoid", 2.0, "the derivative of sigmoid(α·x) (snnTorch's sigmoid: slope α)"
        ),
        SurrogateDef(
            "fast_sigmoid",
            25.0,
            "snnTorch's fast_sigmoid(slope): SuperSpike with α = slope (default 25)",
            alias_of="superspike",
        ),
    ]
}
SURROGATES = tuple(SURROGATE_DEFS)  # every name a program may write
