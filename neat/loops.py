"""Training and evaluation loops (one epoch of training, one evaluation; no checkpointing here).

The pipeline's stages (:mod:`neat.pipeline`) call these; the command line is
:mod:`neat.train`.  Accuracies are fractions in [0, 1]; learning rates are per
optimizer step.  ``batches`` are any iterable of ``(x, y)`` with a ``len``
(:class:`neat.data.BatchIterator`).  Under data-parallel training (:mod:`neat.ddp`)
the model is stepped through ``DistributedDataParallel``, each rank's batches are
its shard, and the returned statistics and accuracies are summed over the ranks.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import ddp
from .threads import torch_threads

__all__ = ["cosine_lr", "train_epoch", "evaluate"]


def cosine_lr(base: float, step: int, total: int) -> float:
    """Cosine decay from ``base`` at step 0 to 0 at ``total``."""
    if total <= 0:
        return base
    return 0.5 * base * (1.0 + math.cos(math.pi * min(step, total) / total))


def train_epoch(model: nn.Module, batches, optimizer, *, device="cpu", lr_fn=None, step0: int = 0,
                after_step=None, desc: str = "train", progress: bool = True, threads: int | None = None) -> dict:
    """One pass over ``batches`` (iterable of (x, y)); returns ``{"loss", "accuracy", "steps"}``.

    ``lr_fn(step)`` sets the learning rate before each step (global step =
    ``step0`` + local index); ``after_step(model)`` runs after each optimizer step
    (e.g. weight clipping).  ``threads``: torch threads for the pass (None: as set);
    the backward reductions depend on it (see :mod:`neat.threads`).
    """
    with torch_threads(threads):
        return _train_epoch(model, batches, optimizer, device, lr_fn, step0, after_step, desc, progress)


def _train_epoch(model, batches, optimizer, device, lr_fn, step0, after_step, desc, progress) -> dict:
    model.train()
    net = ddp.wrap(model)  # model itself in one process
    total, correct, loss_sum, steps = 0, 0, 0.0, 0
    bar = tqdm(batches, desc=desc, leave=False, disable=not progress, total=len(batches))
    for xb, yb in bar:
        xb, yb = xb.to(device), yb.to(device)
        if lr_fn is not None:
            for g in optimizer.param_groups:
                g["lr"] = lr_fn(step0 + steps)
        out = net(xb)
        loss = F.cross_entropy(out, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if after_step is not None:
            after_step(model)
        steps += 1
        loss_sum += float(loss.detach()) * xb.shape[0]
        total += xb.shape[0]
        correct += int((out.argmax(1) == yb).sum())
        bar.set_postfix(loss=f"{loss_sum / total:.3f}", acc=f"{correct / total:.3f}")
    dp = ddp.current()
    if dp is not None:
        loss_sum, correct, total = dp.sum([loss_sum, correct, total])
        correct, total = int(correct), int(total)
    return {"loss": loss_sum / max(total, 1), "accuracy": correct / max(total, 1), "steps": steps}


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 500, device="cpu",
             desc: str = "eval", progress: bool = True) -> float:
    """Top-1 accuracy (fraction) of ``model`` in eval mode on ``(x, y)`` (each rank evaluates its
    shard of the images under data-parallel training; the counts are summed)."""
    model.eval()
    n = x.shape[0]
    dp = ddp.current()
    if dp is not None and dp.world_size > 1:
        x, y = x[dp.rank::dp.world_size], y[dp.rank::dp.world_size]
    correct = 0
    starts = range(0, x.shape[0], batch_size)
    for s in tqdm(starts, desc=desc, leave=False, disable=not progress):
        xb = x[s:s + batch_size].to(device)
        correct += int((model(xb).argmax(1).cpu() == y[s:s + batch_size]).sum())
    if dp is not None:
        correct = int(dp.sum([correct])[0])
    return correct / max(n, 1)


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, batches, *, device="cpu", threads: int | None = None,
                          desc: str = "BN recalibration", progress: bool = True) -> int:
    """Recompute every BatchNorm layer's running mean and variance from ``batches`` (no weight changes).

    The statistics are reset and re-estimated as the plain average over the
    batches (``momentum=None``), with the model in training mode and no
    gradients; the model is left in eval mode.  Returns the number of images seen.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return 0
    saved = [m.momentum for m in bns]
    seen = 0
    with torch_threads(threads):
        try:
            for m in bns:
                m.reset_running_stats()
                m.momentum = None
            model.train()
            for xb, _ in tqdm(batches, desc=desc, leave=False, disable=not progress, total=len(batches)):
                model(xb.to(device))
                seen += xb.shape[0]
        finally:
            for m, mom in zip(bns, saved):
                m.momentum = mom
            model.eval()
    return seen
