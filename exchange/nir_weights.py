"""The weights of an imported NIR graph, as a state dict for the program snarc wrote for
it: each path's weighted nodes go to the operations of its connection, NIR's input gain
(``r``, ``w_in``) folded into the last of them; a weight that does not fit its
connection is refused by node name."""

from __future__ import annotations

import numpy as np
import torch

from .errors import NIRImportError


def imported_weights(imp, edges, gains, graph, graph_ir, net) -> dict:
    """The compiled program's state dict with the graph's weights in place."""
    state = net.state_dict()
    used: dict[tuple[str, str], int] = {}
    sources = {n for n, k in imp.kind.items() if k == "Input"}

    def ir_name(nir_name: str) -> str:
        return "input" if nir_name in sources else imp.ident(nir_name)

    # a relay the elaborator removed (one plain input) is its input's alias
    alias: dict[str, str] = {}
    for e in edges:
        dst = imp.output_node if imp.kind[e.dst] == "Output" else ir_name(e.dst)
        if dst not in graph_ir.nodes:
            alias[dst] = ir_name(e.src)
    for e in edges:
        src = ir_name(e.src)
        while src in alias:
            src = alias[src]
        dst = imp.output_node if imp.kind[e.dst] == "Output" else ir_name(e.dst)
        if dst in alias:  # the plain connection into a removed relay: no weights
            continue
        candidates = [i for i in net.in_edges(dst) if i.src == src]
        idx = used.get((src, dst), 0)
        used[(src, dst)] = idx + 1
        if idx >= len(candidates):  # pragma: no cover - the program is built from these paths
            raise NIRImportError(
                f"the path '{e.src}' -> '{e.dst}' has no connection in the program"
            )
        info = candidates[idx]
        gain = gains.get(e.dst, 1.0)
        for op_index, nir_name in e.weights:
            prefix = f"edges.{info.key}.ops.{op_index}."
            if isinstance(nir_name, tuple):  # ("select", Input): its part of the one input
                offset, size = imp.layout[nir_name[1]]
                want = state[prefix + "weight"]
                w = torch.zeros(want.shape[0], want.shape[1])
                w[:, offset : offset + size] = torch.eye(size)
                b = None
                nir_name = nir_name[1]
            else:
                w = b = None
            node = graph.nodes[nir_name]
            k = imp.kind[nir_name]
            if w is not None:
                pass
            elif k == "SumPool2d":
                w = torch.ones_like(state[prefix + "weight"])
                b = None
            elif k == "Scale":  # per channel (depthwise 1×1) or per feature (diagonal)
                scale = torch.as_tensor(np.asarray(node.scale), dtype=torch.float32)
                w = scale[:, 0, 0] if scale.dim() == 3 else torch.diag(scale)
                b = None
            else:
                w = torch.as_tensor(np.asarray(node.weight), dtype=torch.float32)
                b = getattr(node, "bias", None)
                b = torch.as_tensor(np.asarray(b), dtype=torch.float32) if b is not None else None
            is_last = op_index == max(i for i, _ in e.weights)
            g = gain if is_last else 1.0
            want = state.get(prefix + "weight")
            if want is None or w.numel() != want.numel():
                raise NIRImportError(
                    f"NIR node '{nir_name}': its weight {list(w.shape)} does not fit the "
                    f"connection '{e.src}' -> '{e.dst}' it lies on"
                    + (f" (which needs {list(want.shape)})" if want is not None else ""),
                    hint="the graph's shapes disagree: check the node's input and output sizes",
                )
            state[prefix + "weight"] = w.reshape(want.shape) * g
            if prefix + "bias" in state and b is not None:
                if b.numel() != state[prefix + "bias"].numel():
                    raise NIRImportError(
                        f"NIR node '{nir_name}': its bias has {b.numel()} values for "
                        f"{state[prefix + 'bias'].numel()} outputs"
                    )
                state[prefix + "bias"] = b.reshape(-1) * g
        if gain != 1.0 and not e.weights:
            raise NIRImportError(
                f"the input gain of NIR node '{e.dst}' ({gain:g}) has no weight to fold into on the path from '{e.src}'"
            )
    for n, values in imp.per_neuron.items():  # populations with per_neuron: true
        key = net.plan(imp.ident(n)).key
        for name, array in values.items():
            want = state[f"neurons.{key}.per_neuron.{name}"]
            try:
                value = np.broadcast_to(array.reshape(array.shape or (1,)), want.shape)
            except ValueError:
                raise NIRImportError(
                    f"NIR node '{n}': {name} has shape {list(array.shape)}, the population "
                    f"{list(want.shape)}"
                ) from None
            state[f"neurons.{key}.per_neuron.{name}"] = torch.as_tensor(
                value.copy(), dtype=want.dtype
            )
    return state
