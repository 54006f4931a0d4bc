"""What the compiled network records of each node and connection: its plan."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EdgeInfo:
    key: str  # in CompiledNetwork.edges: "src_to_dst"
    src: str
    dst: str
    delay: int
    order: int
    kind: str
    static: bool  # may be computed once for a direct-encoded (repeated) input
    binary_in: bool  # the weighted op sees spikes: count SOPs, not MACs
    fanout: float
    macs: float  # dense MACs per sample and step (when not binary_in)
    out_shape: tuple
    genetic: dict | None = None
    per_step: bool = False  # an operation needs each step's batch alone (bn(per_step: true))


@dataclass
class NodePlan:
    name: str
    kind: str
    merge: str
    shape: tuple
    key: str | None  # key in CompiledNetwork.neurons
    spiking: bool
    in_edges: list[EdgeInfo] = field(default_factory=list)
