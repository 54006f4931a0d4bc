"""Forward + backward time of compiled snarc modules against Norse and SpikingJelly.

Models, measured in the same run with the same weights (benchmarks/peers.py):
  snarc                  the compiled module as snarc.compile builds it (multi-step
                         scheduling, fused neuron kernels, channels-last layout)
  snarc autograd NCHW    the same schedule with autograd through every neuron step and
                         PyTorch's default layout (the lowering before the fused kernels)
  norse-step             the architecture written with Norse cells, stepping one time
                         step at a time, its layers in the default NCHW layout
  norse-step NHWC        the same Norse model with channels-last layers (for reference:
                         how much of snarc's lead is the memory layout)
  sj-multi               the architecture in SpikingJelly's multi-step mode (torch
                         backend, NCHW); AutoSNN only (the motif network has feedback,
                         which multi-step mode cannot run)

With --compile, snarc's module is also timed under torch.compile.

For each example, T and device it prints the median time of a training step
(forward, sum of the output, backward), the ratios to norse-step and sj-multi, and the
memory the step keeps for backward (saved activations; on CUDA also the peak
allocation). Before timing, every model's outputs are checked against snarc's in eval
mode. Targets for feedforward architectures: snarc at most 0.8x norse-step and at
most 1.2x sj-multi.

    python benchmarks/bench_runtime.py [--timesteps 4 8] [--batch 32] [--device auto|cpu|cuda|both]
"""

from __future__ import annotations

import argparse
import copy
import re
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from peers import NorseAutoSNN, NorseStepwise, SpikingJellyAutoSNN, nchw_twin  # noqa: E402

import snarc  # noqa: E402
from snarc.util.allocator import tune_allocator  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def with_steps(path: Path, steps: int) -> str:
    return re.sub(r"steps \d+", f"steps {steps}", path.read_text(), count=1)


def make_input(net, batch, device, seed=0):
    g = torch.Generator().manual_seed(seed)
    if net.input_kind == "frames":
        x = (torch.rand(net.timesteps, batch, *net.input_shape, generator=g) < 0.3).float()
    else:
        x = torch.rand(batch, *net.input_shape, generator=g)
    return x.to(device)


def calibrate(net, x):
    """Batch-norm statistics from a few batches, so that spikes reach the readout."""
    for m in net.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = None
            m.reset_running_stats()
    with torch.no_grad():
        for _ in range(2):
            net(x)


def _train_step(model, x):
    out = model(x)
    out.sum().backward()
    for p in model.parameters():
        p.grad = None


def saved_megabytes(model, x) -> float:
    """Bytes that autograd keeps for backward during one forward pass."""
    saved = [0]

    def pack(t):
        saved[0] += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(x)
    out.sum().backward()
    for p in model.parameters():
        p.grad = None
    return saved[0] / 2**20


def step_times(models: dict, x, repeats, device) -> dict[str, tuple[float, float, float]]:
    """Median seconds of forward+backward, MB saved for backward, CUDA peak MB.

    The models are timed in turn within every repeat, so that a slow spell of the
    machine falls on all of them alike.
    """
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    times = {k: [] for k in models}
    peak = {}
    for name, model in models.items():
        _train_step(model, x)  # warm-up
        if device.type == "cuda":
            sync()
            torch.cuda.reset_peak_memory_stats()
            _train_step(model, x)
            sync()
            peak[name] = torch.cuda.max_memory_allocated() / 2**20
        else:
            peak[name] = float("nan")
    for _ in range(repeats):
        for name, model in models.items():
            sync()
            t0 = time.perf_counter()
            _train_step(model, x)
            sync()
            times[name].append(time.perf_counter() - t0)
    return {
        k: (statistics.median(times[k]), saved_megabytes(models[k], x), peak[k]) for k in models
    }


def models_for(name: str, net) -> dict:
    """The models timed against ``net`` (already calibrated), in the order printed."""
    twin = nchw_twin(net)
    models = {"snarc": net, "snarc autograd NCHW": copy.deepcopy(twin)}
    for m in models["snarc autograd NCHW"].neurons.values():
        m.fused = False
    if name == "autosnn":
        models["norse-step"] = NorseAutoSNN(twin)
        models["norse-step NHWC"] = NorseAutoSNN(copy.deepcopy(net))
        try:
            models["sj-multi"] = SpikingJellyAutoSNN(nchw_twin(net))
        except ImportError:
            print("  (SpikingJelly is not installed: pip install -e .[bench])")
    else:
        models["norse-step"] = NorseStepwise(twin)
        models["norse-step NHWC"] = NorseStepwise(copy.deepcopy(net))
    return models


def main() -> None:
    tune_allocator()  # as snarc's commands do (snarc/util/allocator.py)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timesteps", type=int, nargs="+", default=[4, 8])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--device", default="both", choices=["auto", "cpu", "cuda", "both"])
    ap.add_argument("--examples", nargs="+", default=["autosnn", "mse_motifs"])
    ap.add_argument(
        "--compile",
        action="store_true",
        help="also time snarc under torch.compile (CPU: ~100 s to compile each)",
    )
    args = ap.parse_args()
    devices = ["cpu"]
    if args.device == "cuda" or (args.device in ("auto", "both") and torch.cuda.is_available()):
        devices = ["cuda"] if args.device in ("cuda", "auto") else ["cpu", "cuda"]
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, batch {args.batch}")
    for name in args.examples:
        for T in args.timesteps:
            for dev in devices:
                device = torch.device(dev)
                net = snarc.compile(with_steps(ROOT / "examples" / f"{name}.snarc", T)).to(device)
                if name == "autosnn":
                    net.edges["p3_to_fc"].ops[0].weight.data *= 5  # spikes at the readout at init
                x = make_input(net, args.batch, device)
                calibrate(net, x)
                models = models_for(name, net)
                net.eval()
                with torch.no_grad():
                    ref = net(x)
                    for model_name, model in models.items():
                        # equal up to float rounding; a rounding difference right at the
                        # threshold can flip a spike late in a long run, so allow a few
                        same = torch.isclose(model.eval()(x), ref, atol=1e-4).float().mean().item()
                        if same < 0.95:
                            raise SystemExit(
                                f"{model_name} disagrees with snarc on {name}: {same:.1%} of outputs agree"
                            )
                for model in models.values():
                    model.train()
                if args.compile:
                    models["snarc under torch.compile"] = torch.compile(net)
                results = step_times(models, x, args.repeats, device)
                norse, sj = results["norse-step"][0], results.get("sj-multi", (float("nan"),))[0]
                print(f"\n{name}, T = {T}, {dev}:")
                print(
                    f"  {'model':<26} {'ms/step':>9} {'/ norse-step':>12} {'/ sj-multi':>10} "
                    f"{'saved MB':>9} {'peak MB':>8}"
                )
                for model_name, (sec, saved, peak) in results.items():
                    vs_sj = f"{sec / sj:>9.2f}x" if sj == sj else f"{'-':>10}"
                    peak_text = f"{peak:>8.0f}" if peak == peak else f"{'-':>8}"
                    print(
                        f"  {model_name:<26} {sec * 1e3:>9.1f} {sec / norse:>11.2f}x {vs_sj} "
                        f"{saved:>9.0f} {peak_text}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
