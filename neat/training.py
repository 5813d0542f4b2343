"""Training and evaluation loops shared by the pipeline stages (no checkpointing here).

Accuracies are fractions in [0, 1]; learning rates are per optimizer step.
"""
from __future__ import annotations

import copy
import math
from dataclasses import replace

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from .cell import CellConfig
from .layers import CrossbarConfig, convert, crossbar_layers
from .mapping import MappingConfig
from .threads import torch_threads

__all__ = ["mapped_layers", "weight_scales", "clip_weights", "cosine_lr", "train_epoch", "evaluate",
           "crossbar_model", "set_layer_v_gates"]


def mapped_layers(model: nn.Module) -> list:
    """``(name, module)`` of every layer that goes onto crossbars (``nn.Conv2d`` / ``nn.Linear``), in order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def weight_scales(model: nn.Module, mode: str = "global") -> dict:
    """Mapping weight scale ``w_max`` per mapped layer (weight units).

    ``"global"``: one scale, the largest ``|w|`` over all mapped layers (layers with
    small weights then use only low conductances -- what makes per-layer gate
    voltages differ); ``"layer"``: each layer's own ``max|w|``.
    """
    layers = mapped_layers(model)
    if not layers:
        raise ValueError("the model has no Conv2d/Linear layer to map onto crossbars")
    per = {n: float(m.weight.detach().abs().max()) or 1.0 for n, m in layers}
    if mode == "layer":
        return per
    if mode == "global":
        g = max(per.values())
        return {n: g for n in per}
    raise ValueError(f"weight scale mode must be 'global' or 'layer', got {mode!r}")


@torch.no_grad()
def clip_weights(model: nn.Module, w_cut: dict) -> None:
    """Clamp each mapped layer's weights in place to ``[−W_cut, W_cut]`` (``w_cut``: name → bound)."""
    for n, m in mapped_layers(model):
        if n in w_cut:
            m.weight.clamp_(-w_cut[n], w_cut[n])


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
    total, correct, loss_sum, steps = 0, 0, 0.0, 0
    bar = tqdm(batches, desc=desc, leave=False, disable=not progress, total=len(batches))
    for xb, yb in bar:
        xb, yb = xb.to(device), yb.to(device)
        if lr_fn is not None:
            for g in optimizer.param_groups:
                g["lr"] = lr_fn(step0 + steps)
        out = model(xb)
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
    return {"loss": loss_sum / max(total, 1), "accuracy": correct / max(total, 1), "steps": steps}


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 500, device="cpu",
             desc: str = "eval", progress: bool = True) -> float:
    """Top-1 accuracy (fraction) of ``model`` in eval mode on ``(x, y)``."""
    model.eval()
    correct = 0
    starts = range(0, x.shape[0], batch_size)
    for s in tqdm(starts, desc=desc, leave=False, disable=not progress):
        xb = x[s:s + batch_size].to(device)
        correct += int((model(xb).argmax(1).cpu() == y[s:s + batch_size]).sum())
    return correct / max(x.shape[0], 1)


def crossbar_model(model: nn.Module, cell: CellConfig, w_scales: dict, *, v_gate=1.0, fidelity: str = "cell",
                   mapping: MappingConfig | None = None, cache_dir=None) -> nn.Module:
    """A deep copy of ``model`` with every mapped layer on 1T-1R crossbars.

    Each layer gets its own :class:`CrossbarConfig` whose mapping has the fixed
    weight scale ``w_scales[name]`` (so clipped weights use only low
    conductances instead of being re-stretched over the whole range).
    ``v_gate``: one value (V) or ``{layer name: V}``.
    """
    net = copy.deepcopy(model)
    mapping = MappingConfig() if mapping is None else mapping
    base = CrossbarConfig(fidelity=fidelity, cell=cell, mapping=mapping, cache_dir=cache_dir)
    convert(net, base)
    for name, layer in crossbar_layers(net):
        if name not in w_scales:
            raise KeyError(f"no weight scale for layer {name!r}")
        layer.config = replace(base, mapping=replace(mapping, weight_scale=float(w_scales[name])))
        layer.fidelity = fidelity
    set_layer_v_gates(net, v_gate)
    return net


def set_layer_v_gates(net: nn.Module, v_gate) -> None:
    """Set gate voltages (V) of a crossbar model: one number or ``{layer name: V}`` (all layers named)."""
    layers = crossbar_layers(net)
    if isinstance(v_gate, dict):
        missing = [n for n, _ in layers if n not in v_gate]
        if missing:
            raise KeyError(f"v_gate dict lacks layers {missing}")
        for n, m in layers:
            m.v_gate = float(v_gate[n])
    else:
        for _, m in layers:
            m.v_gate = float(v_gate)
