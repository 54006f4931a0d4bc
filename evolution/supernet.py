"""AutoSNN's one-shot supernet: every candidate block of a search space holds its own
weights once, and every architecture of the space runs on them (weight sharing).

A weight is identified by where it sits, not by the architecture it serves:

* inside a cell (``cell b2 = srb(32, 5) from p1``): the cell's name, its motif call
  (``srb(32, 5)``), and the connection or population within the motif - so
  ``b2 = srb(32, 5)`` has one set of weights in every architecture that has it, and
  ``b2 = scb(32, 3)`` another (AutoSNN: one set of weights per candidate block and
  position);
* outside every cell (the stem, the classifier): its name alone, shared by all;

and by its shape.

A connection entering a cell from outside is named by the cell's input, not by its
source, since the source's name changes with the block before it.

Training samples an architecture uniformly per batch - a random derivation of the
space's grammar, uniform over the alternatives of every rule, which for AutoSNN's space
is the paper's uniform path sampling - binds it to the shared weights and takes one
step on the training split less a held-out 20 %. A candidate is then evaluated with the
weights it inherits, in eval mode, on that held-out 20 % (never the test split).
``bind`` makes the candidate's module use the supernet's tensors themselves (so
gradients reach them); ``inherited_state`` gives a plain state dict, which loaded into a
standalone compiled module gives the same outputs.
"""

from __future__ import annotations

import hashlib

import torch
from torch import nn

from ..dsl.errors import SnarcError


class SupernetError(SnarcError):
    kind = "supernet error"


def _cells(module) -> dict[str, str]:
    """``{cell name: its motif call}`` of the program's network (from the AST)."""
    from ..dsl import ast
    from ..dsl.formatter import args

    net = module.network
    if net is None:
        raise SupernetError("the program has no network")
    return {
        s.name: s.callee + (f"({args(s.args)})" if s.args is not None else "")
        for s in net.body
        if isinstance(s, ast.Cell)
    }


def _owner(node: str, cells: dict[str, str]) -> tuple[str, str] | None:
    """``(cell, local name)`` of an IR node inside a cell, else None."""
    head, _, rest = node.partition(".")
    if head in cells:
        return head, rest or "."
    return None


def weight_keys(net, module) -> dict[str, str]:
    """Every parameter and buffer of the compiled ``net`` -> its place in a supernet."""
    cells = _cells(module)
    keys: dict[str, str] = {}
    places: dict[str, str] = {}  # module key -> place
    for node in net.nodes():
        plan = net.plan(node)
        own = _owner(node, cells)
        if plan.key is not None:
            places[f"neurons.{plan.key}."] = (
                f"{own[0]}={cells[own[0]]}|N:{own[1]}" if own else f"|N:{node}"
            )
        for e in net.in_edges(node):
            src = _owner(e.src, cells)
            if own:  # inside a cell: a source outside it is the cell's input
                inside = src is not None and src[0] == own[0]
                place = f"{own[0]}={cells[own[0]]}|E:{src[1] if inside else '<in>'}->{own[1]}"
            else:  # outside every cell: a source in a cell is named by the cell
                place = f"|E:{src[0] if src else e.src}->{node}"
            places[f"edges.{e.key}."] = place
    for name, value in [*net.named_parameters(), *net.named_buffers()]:
        prefix = next((p for p in places if name.startswith(p)), None)
        if prefix is None:
            raise SupernetError(f"weight '{name}' belongs to no population or connection")
        shape = "x".join(map(str, value.shape))  # a place of another shape is another weight
        key = f"{places[prefix]}|{name[len(prefix) :]}|{shape}"
        keys[name] = key
    if len(set(keys.values())) < len(keys):
        raise SupernetError("two weights of one architecture share a place")
    return keys


def _slot(key: str) -> str:
    return "w" + hashlib.sha256(key.encode()).hexdigest()[:20]


class Supernet(nn.Module):
    """The shared weights of every architecture of a (finite) search space."""

    def __init__(self, space: str = "autosnn", seed: int = 0):
        super().__init__()
        from .space import load_space

        self.space_name = space
        self.space = load_space(space)
        self.weights = nn.ParameterDict()
        self.stats = nn.Module()  # BN running statistics and other buffers
        self.places: dict[str, str] = {}  # slot -> place, for people reading a checkpoint
        self.seed = seed
        for i, tree in enumerate(self.space.covering()):  # every alternative at least once
            self.bind(self.space.canonical(tree), grow=True, init_seed=seed + i)

    def _split(self, name: str):
        mod, _, leaf = name.rpartition(".")
        return mod, leaf

    def bind(self, text: str, grow: bool = False, init_seed: int | None = None):
        """The architecture ``text`` compiled, its weights the supernet's own tensors.
        ``grow``: weights not yet held are added (initialised as the compiler does)."""
        from ..compiler import compile as compile_net
        from ..dsl import parse

        module = parse(text, "<supernet candidate>")
        with torch.random.fork_rng():  # the caller's random stream stays as it was
            torch.manual_seed(self.seed if init_seed is None else init_seed)
            net = compile_net(module)
        for name, key in weight_keys(net, module).items():
            slot = _slot(key)
            mod_name, leaf = self._split(name)
            owner = net.get_submodule(mod_name)
            is_param = leaf in dict(owner.named_parameters(recurse=False))
            held = slot in self.weights if is_param else hasattr(self.stats, slot)
            if not held:
                if not grow:
                    raise SupernetError(
                        f"the supernet holds no weight for {key}",
                        hint="the architecture is not of the supernet's space",
                    )
                value = getattr(owner, leaf)
                if is_param:
                    self.weights[slot] = nn.Parameter(value.detach().clone())
                else:
                    self.stats.register_buffer(slot, value.detach().clone())
                self.places[slot] = key
            if is_param:
                setattr(owner, leaf, self.weights[slot])
            else:
                owner.register_buffer(leaf, getattr(self.stats, slot))
        return net

    def inherited_state(self, text: str) -> dict[str, torch.Tensor]:
        """The state dict of ``text`` with the weights it inherits (copies)."""
        return {k: v.detach().clone() for k, v in self.bind(text).state_dict().items()}

    def payload(self) -> dict:
        return {"weights": self.state_dict(), "places": dict(self.places)}

    def load(self, payload: dict) -> None:
        missing = set(self.state_dict()) ^ set(payload["weights"])
        if missing:
            raise SupernetError(
                f"the checkpoint does not fit this supernet ({len(missing)} weights differ)"
            )
        self.load_state_dict(payload["weights"])
