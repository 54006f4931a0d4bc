"""The genes of a compiled, genetically encoded network as one vector: every gene matrix
``X`` (one row per neuron, or per channel, of a population in a gene pool) and every
interaction ``O`` (one per pool; one per kernel offset for a convolutional pool), in the
module's order. CMA-ES searches this vector; :meth:`GeneCodec.load` writes one back, and
the network then generates ``W = X_post · O · X_preᵀ`` from it."""

from __future__ import annotations

import math

import numpy as np


class GeneCodec:
    def __init__(self, net):
        self.parts = [("genes", k, tuple(p.shape)) for k, p in net.genes.items()]
        self.parts += [("gene_pools", k, tuple(p.shape)) for k, p in net.gene_pools.items()]
        if not self.parts:
            raise ValueError("the network has no genetically encoded connection")
        self.size = sum(math.prod(s) for _, _, s in self.parts)

    def vector(self, net) -> np.ndarray:
        """The network's genes now, as one float64 vector."""
        return np.concatenate(
            [
                getattr(net, table)[k].detach().cpu().double().numpy().reshape(-1)
                for table, k, _ in self.parts
            ]
        )

    def load(self, net, vector) -> None:
        """Write ``vector`` into the network's genes (in place, no gradient)."""
        import torch

        v = np.asarray(vector, dtype=np.float64).reshape(-1)
        if v.size != self.size:
            raise ValueError(f"an encoding of {v.size} genes for a network of {self.size}")
        i = 0
        with torch.no_grad():
            for table, k, shape in self.parts:
                n = math.prod(shape)
                p = getattr(net, table)[k]
                p.copy_(torch.tensor(v[i : i + n].reshape(shape), dtype=p.dtype))
                i += n

    def interactions(self, vector) -> list[np.ndarray]:
        """The interaction matrices ``O`` held in ``vector`` (one per pool)."""
        v = np.asarray(vector, dtype=np.float64).reshape(-1)
        out, i = [], 0
        for table, _, shape in self.parts:
            n = math.prod(shape)
            if table == "gene_pools":
                out.append(v[i : i + n].reshape(shape))
            i += n
        return out
