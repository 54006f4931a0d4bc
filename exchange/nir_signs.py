"""When an excitatory or inhibitory connection can be written in NIR, which has no
rectification: a sign analysis of the connection's NIR nodes.

snarc's ``excitatory`` keeps the positive part of what a connection delivers
(``relu``), ``inhibitory`` the negative part. NIR 1.0 has no such node, but a
rectification is exact without one in two cases, both decided from the exported
weights:

* the connection can only deliver values of its own sign (spikes, which are ≥ 0,
  through weights and biases ≥ 0 for ``excitatory``): the rectification does nothing;
* it can only deliver values of the other sign: the rectification makes it 0, and the
  connection is left out.

Signs are propagated through the nodes: ``"+"`` (every value ≥ 0), ``"-"`` (≤ 0),
``"0"`` (exactly 0) or ``None`` (either). ``SIGN_THROUGH`` maps a NIR node's class
name to how it transforms a sign; a node that is not in it makes the sign unknown.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Sign = str | None


def sign_of(values) -> Sign:
    """The sign every entry of ``values`` shares, if any."""
    a = np.asarray(values)
    if not np.any(a):
        return "0"
    if np.all(a >= 0):
        return "+"
    if np.all(a <= 0):
        return "-"
    return None


def _flip(s: Sign) -> Sign:
    return {"+": "-", "-": "+"}.get(s, s)


def _sum(a: Sign, b: Sign) -> Sign:
    """The sign of ``x + y`` where ``x`` has sign ``a`` and ``y`` sign ``b``."""
    if a == "0":
        return b
    if b == "0":
        return a
    return a if a == b else None


def _product(s: Sign, weights) -> Sign:
    """The sign of a weighted sum of values of sign ``s``."""
    w = sign_of(weights)
    if w == "0" or s == "0":
        return "0"
    if s is None or w is None:
        return None
    return s if w == "+" else _flip(s)


def _affine(node, s: Sign) -> Sign:
    bias = getattr(node, "bias", None)
    return _sum(_product(s, node.weight), "0" if bias is None else sign_of(bias))


SIGN_THROUGH: dict[str, Callable[[object, Sign], Sign]] = {
    "Affine": _affine,
    "Linear": _affine,
    "Conv1d": _affine,
    "Conv2d": _affine,
    "Scale": lambda node, s: _product(s, node.scale),
    "SumPool2d": lambda node, s: s,
    "AvgPool2d": lambda node, s: s,
    "Flatten": lambda node, s: s,
    "Delay": lambda node, s: s,
    "Threshold": lambda node, s: "+",  # 0 or 1
}


def chain_sign(nodes, s: Sign) -> Sign:
    """The sign of what a chain of NIR nodes delivers from an input of sign ``s``."""
    for node in nodes:
        through = SIGN_THROUGH.get(type(node).__name__)
        s = through(node, s) if through is not None else None
    return s


def rectified(sign: str, delivered: Sign) -> str | None:
    """What a rectification of kind ``sign`` does to a connection that delivers values of
    sign ``delivered``: ``"keep"`` (nothing), ``"drop"`` (makes it 0), or None (it
    changes some values and not others: NIR cannot express it)."""
    own = "+" if sign == "excitatory" else "-"
    if delivered in (own, "0"):
        return "keep"
    if delivered == _flip(own):
        return "drop"
    return None
