"""The training loop: surrogate-gradient BPTT through the unrolled steps.

``train(program, cfg, out)`` trains on N-Digits or a real dataset, writes a checkpoint
per epoch (atomically: temporary file + rename, read back with ``weights_only=True``),
``metrics.json``, ``metrics.csv`` and ``curves.png``, and can resume a run to the
same weights an uninterrupted run reaches (same seed, deterministic algorithms on CPU).

Reproducibility: the shuffle of epoch ``e`` and every other random draw in it come from
generators seeded with ``(seed, e)``, so an epoch does not depend on how the run got
there. Under ``torchrun`` (``WORLD_SIZE > 1``) the model is wrapped in
DistributedDataParallel (gloo on CPU, NCCL on CUDA) and each rank trains on its slice
of the epoch's permutation; rank 0 writes the files.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict
from pathlib import Path

from ..compiler.device import resolve_device
from ..util.fileio import DirectoryLock, atomic_write
from .checkpoint import read_checkpoint, write_checkpoint
from .config import CHECKPOINT, TrainConfig, program_hash
from .data import load_tensors
from .errors import TrainError
from .groups import param_groups
from .metrics import TensorBoard, write_metrics


def _dist():
    """``(rank, world)`` under torchrun, initialising the process group once."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def _loss_fn(cfg: TrainConfig):
    import torch.nn.functional as F  # noqa: N812

    if cfg.loss == "ce":
        return lambda out, y: F.cross_entropy(out, y, label_smoothing=cfg.label_smoothing)

    def count_mse(out, y):
        target = F.one_hot(y, out.shape[1]).to(out.dtype)
        if cfg.label_smoothing:
            target = target * (1 - cfg.label_smoothing) + cfg.label_smoothing / out.shape[1]
        return F.mse_loss(out, target)

    return count_mse


def evaluate(net, X, y, batch: int, device, amp: bool = False) -> dict:
    """Accuracy, mean loss-free readout statistics and activity per sample on a split."""
    import torch

    from ..fitness import energy

    net.eval()
    correct = 0
    spikes = sops = macs = 0.0
    with torch.no_grad():
        for i in range(0, len(X), batch):
            xb = X[i : i + batch].to(device)
            xb = xb.transpose(0, 1) if xb.dim() == 5 else xb
            with torch.autocast(device.type, enabled=amp and device.type == "cuda"):
                out, stats = net(xb, return_stats=True)
            correct += int((out.argmax(1).cpu() == y[i : i + batch]).sum())
            spikes += float(stats.total_spikes.sum())
            sops += float(stats.sops.sum())
            macs += float(stats.macs.sum())
    n = max(1, len(X))
    return {
        "accuracy": correct / n,
        "spikes": spikes / n,
        "sops": sops / n,
        "energy_j": energy(sops / n, macs / n),
    }


def train(
    text: str,
    cfg: TrainConfig,
    out: Path,
    resume: bool = False,
    progress: bool = True,
    log=print,
    name: str = "program",
    path: str | None = None,
) -> dict:
    """Train the network of ``text`` (read from ``path``, where given); returns the final
    metrics (also in ``out``).

    The training directory is locked while this runs (a second process on it gets a
    clear error); a network estimated over the memory ceiling is refused before
    anything is allocated; a non-finite loss stops training with an error, the last
    good checkpoint kept."""
    cfg.validate()
    out = Path(out)
    rank, _world = _dist()
    if rank != 0:
        return _train(text, cfg, out, resume, progress, log, name, path)
    out.mkdir(parents=True, exist_ok=True)
    with DirectoryLock(out, "training"):
        return _train(text, cfg, out, resume, progress, log, name, path)


def _memory_ceiling(device) -> int | None:
    """The host's ceiling; on CUDA the smaller of it and 90 % of the device's memory."""
    import torch

    from ..dsl.memory import default_ceiling

    ceiling = default_ceiling()
    if device.type == "cuda":
        total = torch.cuda.get_device_properties(device).total_memory
        ceiling = min(ceiling, int(0.9 * total))
    return ceiling


def _train(text, cfg, out, resume, progress, log, name, path) -> dict:
    import torch

    from ..compiler import compile as compile_net
    from ..dsl import elaborate, parse
    from ..dsl.memory import check_memory

    rank, world = _dist()
    device = resolve_device(cfg.device, TrainError)
    if world > 1 and device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True, warn_only=True)
    phash = program_hash(text)
    ckpt_path = out / CHECKPOINT
    ckpt = None
    if resume:
        if not ckpt_path.exists():
            raise TrainError(f"{out}: no {CHECKPOINT} to resume from")
        ckpt = read_checkpoint(ckpt_path)
        if ckpt.get("program_hash") != phash:
            raise TrainError(
                f"{ckpt_path} was written for another program (hash {ckpt.get('program_hash')}, this one {phash})",
                hint="resume with the program the run was started with, or choose a new --out",
            )
        # older runs: defaults, but genes trained at the plain rate before gene_lr existed
        saved = {**asdict(TrainConfig()), "gene_lr": 1.0, **ckpt.get("config", {})}
        mine = {k: v for k, v in asdict(cfg).items() if k not in TrainConfig.RUNTIME}
        theirs = {k: v for k, v in saved.items() if k not in TrainConfig.RUNTIME}
        if mine != theirs:
            diff = sorted(k for k in mine if mine[k] != theirs.get(k))
            raise TrainError(f"{ckpt_path} was trained with other settings ({', '.join(diff)})")
        _check_plan(cfg, TrainConfig(**saved), ckpt_path)
    # the program's own path, where known, for its imports and for spans in errors
    graph = elaborate(parse(text, path or "<program>"))
    if graph is None:
        raise TrainError(f"{path or name} is a library file: it has no network to train")
    ceiling = _memory_ceiling(device)
    # the evaluation batch, if larger, runs without gradients
    check_memory(graph, max(cfg.batch, 64), training=False, ceiling=ceiling, where=str(device))
    check_memory(graph, cfg.batch, training=True, ceiling=ceiling, where=str(device))
    torch.manual_seed(cfg.seed)
    net = compile_net(graph).to(device)
    if ckpt is None and cfg.init:  # a start other than the seed's (evolved genes)
        from .checkpoint import load_weights

        load_weights(net, cfg.init)
    if ckpt is not None:
        try:
            net.load_state_dict(ckpt["model"])
        except RuntimeError as err:
            raise TrainError(
                f"{ckpt_path} does not match the program: {str(err).splitlines()[0]}"
            ) from None
    Xtr, ytr = load_tensors(net, cfg.data, True, cfg.seed, cfg.limit, progress and rank == 0)
    Xte, yte = load_tensors(net, cfg.data, False, cfg.seed, cfg.limit, False)
    Xtr, ytr, Xval, yval = validation_split(Xtr, ytr, cfg.val, cfg.seed)
    model = net
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(
            net, device_ids=[device.index] if device.type == "cuda" else None
        )
    groups = param_groups(net, cfg.gene_lr)  # genes at gene_lr × lr (training/groups.py)
    if cfg.optimizer == "adamw":
        opt = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.SGD(
            groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
        )
    use_amp = cfg.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    per_rank = len(Xtr) // world
    steps_per_epoch = max(1, math.ceil(per_rank / cfg.batch))
    loss_fn = _loss_fn(cfg)
    history: list[dict] = []
    warnings: list[str] = []
    start = 0
    if ckpt is not None:
        opt.load_state_dict(ckpt["optimizer"])
        if "scaler" in ckpt and use_amp:
            scaler.load_state_dict(ckpt["scaler"])
        history = list(json.loads(ckpt["history"]))
        start = int(ckpt["epoch"])
        if start >= cfg.epochs:
            log(f"{out}: already trained for {start} epochs")
        if ckpt.get("stopped"):
            log(f"{out}: stopped early after epoch {start} (patience {cfg.patience})")
            start = cfg.epochs
    params = sum(p.numel() for p in net.parameters())
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / "program.snarc", text)
    from tqdm import tqdm

    board = TensorBoard(cfg.tensorboard) if cfg.tensorboard and rank == 0 else None
    for epoch in range(start, cfg.epochs):
        t0 = time.perf_counter()
        model.train()
        g = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        torch.manual_seed(cfg.seed * 100_003 + epoch + 1)
        perm = torch.randperm(len(Xtr), generator=g)[: per_rank * world]
        mine = perm[rank::world]
        seen = correct = 0
        loss_sum = spikes_sum = 0.0
        bar = tqdm(
            range(steps_per_epoch),
            desc=f"epoch {epoch + 1}/{cfg.epochs}",
            disable=not progress or rank != 0,
            dynamic_ncols=True,
            leave=False,
        )
        for s in bar:
            idx = mine[s * cfg.batch : (s + 1) * cfg.batch]
            if len(idx) == 0:
                continue
            step = epoch * steps_per_epoch + s
            for group in opt.param_groups:
                group["lr"] = cfg.lr_at(step, steps_per_epoch) * group["scale"]
            xb = Xtr[idx].to(device)
            xb = xb.transpose(0, 1) if xb.dim() == 5 else xb
            yb = ytr[idx].to(device)
            with torch.autocast(device.type, enabled=use_amp):
                outp, stats = model(xb, return_stats=True)
                loss = loss_fn(outp.float(), yb)
            if not torch.isfinite(loss):
                raise TrainError(
                    f"epoch {epoch + 1}, step {s + 1}: the loss is {float(loss.detach())}: training "
                    f"diverged; {out / CHECKPOINT} still holds the last finished epoch",
                    hint="lower --lr, keep --clip on, or check the data for NaN/inf values",
                )
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if cfg.clip:
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.clip)
            scaler.step(opt)
            scaler.update()
            n = len(idx)
            seen += n
            loss_sum += float(loss.detach()) * n
            correct += int((outp.detach().argmax(1) == yb).sum())
            spikes_sum += float(stats.total_spikes.sum())
            bar.set_postfix(
                loss=f"{loss_sum / seen:.3f}",
                acc=f"{correct / seen:.3f}",
                spikes=f"{spikes_sum / seen:.0f}",
            )
        bar.close()
        test = evaluate(net, Xte, yte, max(cfg.batch, 64), device, use_amp)
        if Xval is not None:
            val_acc = evaluate(net, Xval, yval, max(cfg.batch, 64), device, use_amp)["accuracy"]
        row = {
            "epoch": epoch + 1,
            "train_loss": loss_sum / max(1, seen),
            "train_accuracy": correct / max(1, seen),
            "test_accuracy": test["accuracy"],
            "spikes_per_sample": test["spikes"],
            "sops_per_sample": test["sops"],
            "energy_j_per_sample": test["energy_j"],
            "lr": opt.param_groups[0]["lr"] / opt.param_groups[0]["scale"],
            "wall_s": time.perf_counter() - t0,
        }
        if Xval is not None:
            row["val_accuracy"] = val_acc
        history.append(row)
        best = _best_epoch(history)
        improved = best is not None and best["epoch"] == epoch + 1
        stop = (
            cfg.patience is not None
            and best is not None
            and epoch + 1 - best["epoch"] >= cfg.patience
        )
        for warning in silence_warnings(net, spikes_sum, seen, test["spikes"], epoch + 1):
            if warning.split(": ", 1)[1] not in (w.split(": ", 1)[1] for w in warnings):
                warnings.append(warning)
                log(f"warning: {warning}")
        if rank == 0:
            payload = {
                "model": net.state_dict(),
                "optimizer": opt.state_dict(),
                "epoch": epoch + 1,
                "program_hash": phash,
                "config": asdict(cfg),
                "history": json.dumps(history),
                "params": params,
            }
            if use_amp:
                payload["scaler"] = scaler.state_dict()
            if stop:
                payload["stopped"] = True
            if improved:  # the weights of the best validation accuracy so far
                write_checkpoint(out / BEST, {"model": net.state_dict(), **best})
            write_checkpoint(ckpt_path, payload)
            write_metrics(out, history, name, params)
            if board is not None:
                board.epoch(row)
            log(
                f"epoch {epoch + 1}/{cfg.epochs}: loss {row['train_loss']:.3f}  train {row['train_accuracy']:.3f}  "
                f"test {row['test_accuracy']:.3f}  spikes/sample {row['spikes_per_sample']:,.0f}  {row['wall_s']:.1f} s"
                + (f"  val {row['val_accuracy']:.3f}" if "val_accuracy" in row else "")
            )
        if stop:
            log(
                f"stopped early: no better validation accuracy for {cfg.patience} epochs "
                f"(best {best['val_accuracy']:.3f} at epoch {best['epoch']}, weights in {out / BEST})"
            )
            break
    if board is not None:
        board.close()
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
    final = history[-1] if history else {}
    result = {
        "program": name,
        "params": params,
        "epochs": len(history),
        "device": str(device),
        "world": world,
        **final,
    }
    result["history"] = history
    result["warnings"] = warnings
    best = _best_epoch(history)
    if best is not None:
        result["best_epoch"] = best["epoch"]
        result["best_val_accuracy"] = best["val_accuracy"]
    return result


BEST = "best.pt"  # the weights of the epoch with the best validation accuracy


def validation_split(X, y, fraction: float, seed: int):
    """Hold ``fraction`` of the training split out for validation, by a permutation
    seeded with ``seed`` (the same split on resume); never the test split."""
    if not fraction:
        return X, y, None, None
    import torch

    n_val = max(1, round(len(X) * fraction))
    if n_val >= len(X):
        raise TrainError(f"val = {fraction}: the training split ({len(X)} samples) is too small")
    perm = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed * 7919 + 17))
    val, keep = perm[:n_val].sort().values, perm[n_val:].sort().values
    return X[keep], y[keep], X[val], y[val]


def _best_epoch(history: list[dict]) -> dict | None:
    """The epoch with the best validation accuracy (the earliest of equals)."""
    rows = [h for h in history if "val_accuracy" in h]
    if not rows:
        return None
    top = max(rows, key=lambda h: (h["val_accuracy"], -h["epoch"]))
    return {"epoch": top["epoch"], "val_accuracy": top["val_accuracy"]}


def _check_plan(cfg: TrainConfig, saved: TrainConfig, ckpt_path) -> None:
    """A resumed run keeps its plan: the same planned epochs and extensions, to which new
    extensions may only be added (a longer plan would change the rates of epochs already
    run: see :meth:`TrainConfig.lr_at`)."""
    planned = saved.epochs - sum(n for n, _ in saved.extensions)
    mine = cfg.epochs - sum(n for n, _ in cfg.extensions)
    kept = [list(e) for e in cfg.extensions[: len(saved.extensions)]]
    if mine != planned or kept != [list(e) for e in saved.extensions]:
        raise TrainError(
            f"{ckpt_path} was planned for {planned} epochs"
            + (f" and extended by {saved.extensions}" if saved.extensions else "")
            + f"; this run asks for {mine}"
            + (f" and extensions {cfg.extensions}" if cfg.extensions else ""),
            hint="add epochs to a finished plan with an extension (snarc train --resume DIR --extend N)",
        )


def silence_warnings(net, train_spikes: float, seen: int, test_spikes: float, epoch: int):
    """What an epoch's spike counts say is wrong: a network with spiking populations
    that did not spike at all while training (no surrogate gradient flows through a
    silent population, so the layers before it do not learn), or that is silent in eval
    mode (batch-norm's running statistics differ from the batch's; its test accuracy
    is then chance, whatever training showed)."""
    if not net.spiking_nodes():
        return []
    out = []
    if seen and train_spikes == 0:
        out.append(
            f"epoch {epoch}: no population spiked while training (0 spikes per sample): "
            "gradients do not pass a silent population; lower v_th or raise the input scale"
        )
    if test_spikes == 0:
        out.append(
            f"epoch {epoch}: the network is silent in eval mode (0 spikes per test sample)"
            + (
                "; it spiked while training, so batch-norm's running statistics differ from the "
                "batches'"
                if train_spikes > 0
                else ""
            )
        )
    return out
