"""Pictures of what a network does on one input: a spike raster per spiking
population and each population's firing rate per time step (snnTorch's spikeplot,
for a whole snarc network)."""

from __future__ import annotations

from pathlib import Path

from ..util.fileio import atomic_write

MAX_NEURONS = 64  # neurons shown per population in a raster


def population_rates(net, seqs) -> dict[str, list[float]]:
    """Each spiking population's firing rate per time step: spikes per neuron and step,
    averaged over the batch, ``{name: [rate at t for t in range(T)]}``."""
    out = {}
    for name in net.spiking_nodes():
        s = seqs[name].detach().float()
        out[name] = s.reshape(s.shape[0], -1).mean(1).tolist()
    return out


def activity_figure(net, x, out: str | Path, sample: int = 0, title: str = "") -> Path:
    """A PNG of one sample's activity: a raster (the 64 neurons of each spiking
    population that spiked most for this sample, populations stacked) and the firing rate per step of every population on the
    batch. Written atomically."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    with torch.no_grad():
        seqs = net.run(x)
    names = net.spiking_nodes()
    if not names:
        raise ValueError("the network has no spiking population to plot")
    T = seqs["input"].shape[0]
    fig, (ax_r, ax_f) = plt.subplots(
        2, 1, figsize=(9, 4 + 0.35 * len(names)), height_ratios=(3, 1.4), sharex=True
    )
    offset, ticks = 0, []
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, name in enumerate(names):
        s = seqs[name][:, sample].detach().reshape(T, -1)
        n = s.shape[1]
        # the most active neurons of this sample (a sparse layer's spikes stay visible)
        pick = s.sum(0).topk(min(n, MAX_NEURONS)).indices.sort().values
        t_idx, n_idx = torch.nonzero(s[:, pick], as_tuple=True)
        colour = colours[i % len(colours)]
        ax_r.scatter(t_idx.numpy(), (n_idx + offset).numpy(), s=12, marker="|", color=colour)
        ticks.append((offset + len(pick) / 2, f"{name}\n{len(pick)} most active of {n:,}"))
        offset += len(pick) + 2
        if i:
            ax_r.axhline(offset - len(pick) - 3, color="#dddddd", linewidth=0.6)
    ax_r.set_yticks([t for t, _ in ticks], [label for _, label in ticks], fontsize=8)
    ax_r.set_ylim(-1, offset)
    ax_r.invert_yaxis()
    ax_r.set_title(title or f"sample {sample}: spikes", fontsize=11)
    for i, (name, rate) in enumerate(population_rates(net, seqs).items()):
        ax_f.plot(
            range(T), rate, marker="o", markersize=3, label=name, color=colours[i % len(colours)]
        )
    ax_f.set_xlabel("time step")
    ax_f.set_ylabel("firing rate\n(batch mean)", fontsize=9)
    ax_f.set_xticks(range(T) if T <= 20 else range(0, T, max(1, T // 10)))
    ax_f.legend(fontsize=7, ncol=min(4, len(names)), loc="upper right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130)
    plt.close(fig)
    return atomic_write(Path(out), buf.getvalue())
