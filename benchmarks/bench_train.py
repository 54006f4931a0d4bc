"""Training throughput (samples per second) of a compiled snarc module against peers.

Same architecture (AutoSNN, examples/autosnn.snarc with 2-channel 32x32 event-frame
input), same initial weights (each model trains its own copy of the layers, the peers
in PyTorch's default NCHW layout), same N-Digits batches, same optimiser (AdamW) and
loss (cross-entropy on the readout):

  snarc       the compiled module (multi-step outside cycles)
  norse-step  the architecture written by hand with Norse cells, one time step at a time
  sj-multi    the architecture in SpikingJelly's multi-step mode (torch backend)

Each model trains on the same samples for a few interleaved rounds; the median
samples/s is printed with the ratios snarc/peer (above 1: snarc is faster).

    python benchmarks/bench_train.py [--steps 8] [--batch 32] [--samples 256] [--device auto|cpu|cuda|both]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812

sys.path.insert(0, str(Path(__file__).parent))
from peers import NorseAutoSNN, SpikingJellyAutoSNN, nchw_twin  # noqa: E402

import snarc  # noqa: E402
from snarc.training import load_tensors  # noqa: E402
from snarc.util.allocator import tune_allocator  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def program(steps: int) -> str:
    text = (ROOT / "examples" / "autosnn.snarc").read_text()
    text = text.replace("input image(3, 32, 32)", "input frames(2, 32, 32)")
    return re.sub(r"steps \d+", f"steps {steps}", text, count=1)


def epoch(model, X, y, batch, device) -> float:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(0, len(X), batch):
        xb = X[i : i + batch].to(device).transpose(0, 1)
        loss = F.cross_entropy(model(xb), y[i : i + batch].to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return len(X) / (time.perf_counter() - t0)


def run(device, steps, batch, samples, rounds) -> None:
    torch.manual_seed(0)
    net = snarc.compile(program(steps)).to(device)
    X, y = load_tensors(net, "ndigits", True, limit=None, progress=False)
    X, y = X[:samples], y[:samples]
    # the peers get their own copies of the layers, in PyTorch's default NCHW layout
    models = {"snarc": net, "norse-step": NorseAutoSNN(nchw_twin(net)).to(device)}
    try:
        models["sj-multi"] = SpikingJellyAutoSNN(nchw_twin(net)).to(device)
    except ImportError:
        print("  (SpikingJelly is not installed: pip install -e .[bench])")
    for m in models.values():  # warm-up: allocator, cuDNN autotuning
        epoch(m, X[:batch], y[:batch], batch, device)
    rates: dict[str, list[float]] = {k: [] for k in models}
    for _ in range(rounds):
        for k, m in models.items():
            rates[k].append(epoch(m, X, y, batch, device))
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(
        f"\nAutoSNN on N-Digits frames 2x32x32, T={steps}, batch {batch}, {len(X)} samples x {rounds} rounds, {device}:"
    )
    for k, v in med.items():
        print(f"  {k:11s} {v:8.1f} samples/s")
    for k in med:
        if k != "snarc":
            print(f"  snarc / {k}: {med['snarc'] / med[k]:.2f}x the throughput")


def main() -> None:
    tune_allocator()  # as snarc's commands do (snarc/util/allocator.py)
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--steps", type=int, nargs="+", default=[8])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--samples", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--device", choices=("auto", "cpu", "cuda", "both"), default="auto")
    args = ap.parse_args()
    devices = {
        "auto": ["cuda" if torch.cuda.is_available() else "cpu"],
        "cpu": ["cpu"],
        "cuda": ["cuda"],
        "both": ["cpu"] + (["cuda"] if torch.cuda.is_available() else []),
    }[args.device]
    for d in devices:
        for T in args.steps:
            run(torch.device(d), T, args.batch, args.samples, args.rounds)


if __name__ == "__main__":
    main()
