"""Linear ranges in weight units, NEAT's W_cut, and heterogeneous (per-layer) gate control.

The linear range of a 1T-1R cell at gate voltage ``V_G`` is ``[G_OFF, G_cut(V_G)]``
(:func:`neat.cell.cutoff_table`).  Through the mapping of :mod:`neat.mapping`
(``|w| <= w_max`` onto ``G_OFF … G_ON``, differential pairs) it becomes the
weight interval ``[−W_cut, W_cut]`` with::

    W_cut(V_G) = w_max · (G_cut(V_G) − G_OFF) / (G_ON − G_OFF)

(:func:`neat.mapping.weight_cutoff`; 0 where even ``G_OFF`` is non-linear,
``w_max`` where the whole range is linear).  A weight ``w`` is *inside the
linear range* when ``|w| <= W_cut``: both cells of its pair then sit at or
below ``G_cut``.

Heterogeneous gate control (the paper's Algorithm 1, data-free): for each
layer, the lowest ``V_G`` of the grid (0.05 V steps by default) such that at
least a fraction ``coverage`` of the layer's weights are inside the linear
range at that ``V_G`` and at every higher grid voltage.  Only the weights and
the cell table are used, no data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .cell import CellConfig, CutoffTable
from .mapping import weight_cutoff

__all__ = ["w_cut_table", "fraction_inside", "LayerGate", "select_v_gates", "shift_v_gates"]

_REL = 1e-9  # relative slack of the |w| <= W_cut comparison (float rounding)


def w_cut_table(table: CutoffTable, cell: CellConfig, w_max: float) -> np.ndarray:
    """``W_cut`` (weight units) for every gate voltage of ``table``, for weight scale ``w_max``."""
    return np.array([weight_cutoff(float(g), float(w_max), cell.g_on, cell.g_off) for g in table.g_cut])


def fraction_inside(weight: torch.Tensor, w_cut: float, w_max: float | None = None) -> float:
    """Fraction of the entries of ``weight`` with ``min(|w|, w_max) <= w_cut`` (1 for an empty tensor).

    ``w_max`` (optional): the mapping scale; weights beyond it are programmed at
    ``G_ON`` (the mapping clips), so they count as ``w_max``.
    """
    w = weight.detach().abs().reshape(-1)
    if w_max is not None:
        w = w.clamp(max=float(w_max))
    if w.numel() == 0:
        return 1.0
    return float((w <= w_cut * (1 + _REL) + 1e-30).double().mean())


@dataclass
class LayerGate:
    """The gate voltage chosen for one layer.

    v_gate : V; w_cut : W_cut at that V_G (weight units); fraction_inside : of the layer's weights
    at that V_G; satisfied : False if even the highest grid voltage misses ``coverage``;
    w_max : the layer's mapping scale; max_abs_weight : max|w| of the layer.
    """

    v_gate: float
    w_cut: float
    fraction_inside: float
    satisfied: bool
    w_max: float
    max_abs_weight: float

    def to_json(self) -> dict:
        return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in self.__dict__.items()}


def select_v_gates(weights: dict, w_scales: dict, table: CutoffTable, cell: CellConfig, *,
                   coverage: float = 1.0) -> dict:
    """Per-layer lowest gate voltage whose linear range holds ``coverage`` of the layer's weights.

    Parameters
    ----------
    weights : {layer name: weight tensor}
    w_scales : {layer name: mapping scale w_max} (same units as the weights)
    table : CutoffTable -- its ``v_gate`` grid (V) is the search grid (e.g. 0.05 V steps).
    cell : CellConfig -- G_ON, G_OFF of the mapping.
    coverage : fraction in (0, 1] -- 1.0 demands every weight inside; 0.99 tolerates 1 % outside.

    Returns ``{layer name: LayerGate}``.  A grid voltage qualifies only if it and
    every higher grid voltage hold the coverage (so a non-monotone table
    cannot pick an isolated low voltage).  If none qualifies the highest grid
    voltage is returned with ``satisfied=False``.
    """
    if not (isinstance(coverage, (int, float)) and 0 < coverage <= 1):
        raise ValueError(f"coverage must be a fraction in (0, 1], got {coverage!r}")
    missing = set(weights) - set(w_scales)
    if missing:
        raise KeyError(f"no weight scale for layers {sorted(missing)}")
    order = np.argsort(table.v_gate)
    vgs = table.v_gate[order]
    out = {}
    for name, w in weights.items():
        w_max = float(w_scales[name])
        cuts = w_cut_table(table, cell, w_max)[order]
        fracs = np.array([fraction_inside(w, c, w_max) for c in cuts])
        ok = fracs >= coverage - 1e-12
        # lowest index i with ok[i:] all True
        chosen = None
        for i in range(len(vgs) - 1, -1, -1):
            if not ok[i]:
                break
            chosen = i
        satisfied = chosen is not None
        i = chosen if satisfied else len(vgs) - 1
        out[name] = LayerGate(v_gate=round(float(vgs[i]), 6), w_cut=float(cuts[i]), fraction_inside=float(fracs[i]),
                              satisfied=satisfied, w_max=w_max, max_abs_weight=float(w.detach().abs().max()))
    return out


def shift_v_gates(v_gates: dict, delta: float) -> dict:
    """``{name: V_G + delta}`` (V), rounded to 1 µV (e.g. ``delta = −0.05`` for the cliff test)."""
    return {n: round(float(v) + delta, 6) for n, v in v_gates.items()}
