"""The memory estimate (snarc.dsl.memory) against the memory a process really uses.

Peer: the operating system's count. For each shipped example, a fresh process compiles
the network, makes its input, records its resident set, then runs one forward pass
without gradients (or one training step: forward, backward, AdamW) and records the
peak resident set (``ru_maxrss``). The measured growth is compared with the estimate's
activations (forward) or activations plus optimizer state (training). A ratio above 1
means the estimate is on the safe side (it refuses earlier than needed).

    python benchmarks/bench_memory.py [--batch 16] [--examples autosnn ndigits_conv]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys
import torch
import snarc
from snarc.dsl import elaborate
from snarc.dsl.memory import estimate

path, batch, mode, fused = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
torch.set_num_threads(1)
graph = elaborate(path)
net = snarc.compile(graph, fused_neurons=fused)
shape = (net.timesteps, batch, *net.input_shape)
x = (torch.rand(shape) < 0.2).float() if net.input_kind == "frames" else torch.rand(shape[1:])
opt = torch.optim.AdamW(net.parameters(), lr=1e-3) if mode == "train" else None
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if mode == "train":
    net.train()
    out = net(x)
    out.float().logsumexp(1).mean().backward()
    opt.step()
else:
    net.eval()
    with torch.no_grad():
        net(x)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
est = estimate(graph, batch, training=mode == "train")
extra = est.activations + (est.params * 3 // 4 if mode == "train" else 0)
print(json.dumps({"measured": after - before, "estimate": extra, "total": est.total}))
"""


def measure(path: Path, batch: int, mode: str, fused: bool = True) -> dict:
    env = {"SNARC_MALLOC": "default"}  # glibc's own: freed memory goes back, peaks are honest
    import os

    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(batch), mode, "1" if fused else "0"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--examples", nargs="*", default=None, help="names in examples/")
    ap.add_argument(
        "--unfused", action="store_true", help="compile with fused_neurons=False (autograd)"
    )
    args = ap.parse_args()
    files = sorted((ROOT / "examples").glob("*.snarc"))
    if args.examples:
        files = [f for f in files if f.stem in args.examples]
    print(
        f"batch {args.batch}, {'autograd neurons' if args.unfused else 'fused neurons'}; MiB; "
        "ratio = estimate / measured peak growth"
    )
    print(f"{'example':14s} {'mode':8s} {'measured':>9s} {'estimate':>9s} {'ratio':>6s}")
    for f in files:
        for mode in ("forward", "train"):
            r = measure(f, args.batch, mode, fused=not args.unfused)
            mib = 2**20
            ratio = r["estimate"] / r["measured"] if r["measured"] > 0 else float("inf")
            print(
                f"{f.stem:14s} {mode:8s} {r['measured'] / mib:9.1f} {r['estimate'] / mib:9.1f} "
                f"{ratio:6.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
