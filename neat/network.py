"""A whole network on crossbars: which layers map, their weight scales, W_cut clipping, the crossbar copy.

The layer-level mapping (weights → conductances, activations → voltages) is in
:mod:`neat.mapping`; this module applies it to every mapped layer of a model.
"""
from __future__ import annotations

import copy
from dataclasses import replace

import torch
import torch.nn as nn

from .cell import CellConfig
from .circuit import CircuitConfig
from .layers import CrossbarConfig, convert, crossbar_layers, set_v_gate
from .mapping import MappingConfig

__all__ = ["mapped_layers", "weight_scales", "clip_weights", "crossbar_model"]


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


def crossbar_model(model: nn.Module, cell: CellConfig, w_scales: dict, *, v_gate=1.0, fidelity="cell",
                   mapping: MappingConfig | None = None, circuit: CircuitConfig | None = None,
                   cache_dir=None) -> nn.Module:
    """A deep copy of ``model`` with every mapped layer on 1T-1R crossbars.

    Each layer gets its own :class:`CrossbarConfig` whose mapping has the fixed
    weight scale ``w_scales[name]`` (so clipped weights use only low
    conductances instead of being re-stretched over the whole range).
    ``v_gate``: one value (V) or ``{layer name: V}``.  ``fidelity``: a
    :class:`neat.fidelity.Fidelity` or its name; ``circuit``: the parasitics of
    the ``circuit`` fidelity.
    """
    net = copy.deepcopy(model)
    mapping = MappingConfig() if mapping is None else mapping
    base = CrossbarConfig(fidelity=fidelity, cell=cell, mapping=mapping, cache_dir=cache_dir,
                          circuit=CircuitConfig() if circuit is None else circuit)
    convert(net, base)
    for name, layer in crossbar_layers(net):
        if name not in w_scales:
            raise KeyError(f"no weight scale for layer {name!r}")
        layer.config = replace(base, mapping=replace(mapping, weight_scale=float(w_scales[name])))
    set_v_gate(net, v_gate, complete=True)
    return net
