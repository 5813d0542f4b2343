"""Fidelities: how a crossbar layer turns input voltages and conductances into column currents.

A fidelity is a small object that a layer holds and asks for currents; the layer
itself knows only its geometry (which product, F.linear or F.conv2d) and the
mapping.  Three exist:

:data:`IDEAL`
    Linear cells, ``I = G·V``: equal to the plain torch layer up to float rounding.
:data:`CELL`
    The exact non-linear 1T-1R cell current (no parasitics) through its separable
    expansion ``I ≈ Σₖ aₖ(V)·bₖ(G)`` (:mod:`neat.expansion`).  The ideal cell is the
    rank-1 case ``a(V) = V, b(G) = G``: both are :class:`SeparableFidelity`, and one
    layer product with ``K``× the input channels gives the currents.
:data:`CIRCUIT`
    Every tile solved by xbarsolve with the parasitics of
    :class:`neat.circuit.CircuitConfig` (slow; validation and small layers).

Names (``"ideal"``, ``"cell"``, ``"circuit"``) are accepted wherever a fidelity is:
:func:`as_fidelity` turns them into the objects.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .circuit import circuit_currents
from .expansion import spline_eval
from .mapping import adc_full_scale, quantize_adc, row_tiles, signed_voltages, weights_to_conductances

__all__ = ["Fidelity", "SeparableFidelity", "IdealFidelity", "CellFidelity", "CircuitFidelity", "IDEAL", "CELL",
           "CIRCUIT", "FIDELITIES", "as_fidelity"]


@dataclass(frozen=True)
class Fidelity:
    """Base: a named way of computing a layer's differential column currents (A).

    ``needs_tiles``: the currents depend on how the layer is cut into tiles (then
    the layer always evaluates tile by tile).
    """

    name = "abstract"
    needs_tiles = False

    def __str__(self) -> str:
        return self.name

    def columns(self, layer, x: torch.Tensor, x_max, w_max) -> torch.Tensor:
        """Untiled differential column currents (A) of the whole layer for activations ``x``."""
        raise NotImplementedError(f"the {self.name} fidelity is evaluated tile by tile")

    def tiled_columns(self, layer, v_pos, v_neg, g_pos, g_neg) -> torch.Tensor:
        """Differential column currents (A), shape (M, out), of input vectors laid on tiles.

        ``v_pos``/``v_neg`` (M, R): phase voltages (V); ``g_pos``/``g_neg`` (out, R): the pairs (S).
        Each tile's currents are digitised per phase (``mapping.adc_bits``) before the digital sum.
        """
        raise NotImplementedError


@dataclass(frozen=True)
class SeparableFidelity(Fidelity):
    """A cell current of the form ``I(V, G) = Σₖ aₖ(V)·bₖ(G)`` with ``aₖ(0) = 0``.

    Subclasses give the features; the products are common.  The untiled path
    uses the fused odd extensions (both read phases at once, since
    ``I(V⁺) − I(V⁻)`` is linear in the aₖ values, and ``bₖ(G⁺) − bₖ(G⁻)`` of
    a pair is odd in the weight).
    """

    def signed_input_features(self, layer, x, x_max) -> torch.Tensor:
        """``sign(V)·aₖ(|V|)`` of the signed input voltages, shape (N, C, K, ...)."""
        raise NotImplementedError

    def pair_weight_features(self, layer, w, w_max) -> torch.Tensor:
        """``bₖ(G⁺) − bₖ(G⁻)`` of every weight's pair, shape (out, C, K, ...)."""
        raise NotImplementedError

    def voltage_features(self, layer, v) -> torch.Tensor:
        """``aₖ(V)`` of phase voltages ``v`` (M, R), shape (M, R, K)."""
        raise NotImplementedError

    def conductance_features(self, layer, g) -> torch.Tensor:
        """``bₖ(G)`` of conductances ``g`` (out, R), shape (out, R, K)."""
        raise NotImplementedError

    def columns(self, layer, x, x_max, w_max):
        a = self.signed_input_features(layer, x, x_max)
        b = self.pair_weight_features(layer, layer.weight, w_max)
        return layer.product(a.flatten(1, 2), b.flatten(1, 2))

    def tiled_columns(self, layer, v_pos, v_neg, g_pos, g_neg):
        cfg = layer.config
        cell, mapping = cfg.cell, cfg.mapping
        a_pos, a_neg = self.voltage_features(layer, v_pos), self.voltage_features(layer, v_neg)
        b = self.conductance_features(layer, g_pos) - self.conductance_features(layer, g_neg)
        i = None
        for rs in row_tiles(v_pos.shape[1], mapping.tile_rows):
            fs = adc_full_scale(rs.stop - rs.start, cell.v_max, cell.g_on, cell.g_off, mapping.adc_range)
            bt = b[:, rs].flatten(1, 2)
            part = (quantize_adc(F.linear(a_pos[:, rs].flatten(1, 2), bt), fs, mapping.adc_bits)
                    - quantize_adc(F.linear(a_neg[:, rs].flatten(1, 2), bt), fs, mapping.adc_bits))
            i = part if i is None else i + part
        return i


@dataclass(frozen=True)
class IdealFidelity(SeparableFidelity):
    """Linear cells ``I = G·V`` (rank 1: ``a(V) = V``, ``b(G) = G``)."""

    name = "ideal"

    def signed_input_features(self, layer, x, x_max):
        cfg = layer.config
        return signed_voltages(x, x_max, cfg.cell.v_max, cfg.mapping.dac_bits).unsqueeze(2)

    def pair_weight_features(self, layer, w, w_max):
        cell = layer.config.cell
        g_pos, g_neg = weights_to_conductances(w, w_max, cell.g_on, cell.g_off)
        return (g_pos - g_neg).unsqueeze(2)

    def voltage_features(self, layer, v):
        return v.unsqueeze(2)

    def conductance_features(self, layer, g):
        return g.unsqueeze(2)


@dataclass(frozen=True)
class CellFidelity(SeparableFidelity):
    """The exact 1T-1R cell through the layer's cell expansion at its gate voltage."""

    name = "cell"

    def signed_input_features(self, layer, x, x_max):
        cell, bits = layer.config.cell, layer.config.mapping.dac_bits
        exp = layer.expansion()
        return spline_eval(x, exp.a_table(), odd=True, scale=cell.v_max / x_max, limit=cell.v_max,
                           step=None if bits is None else cell.v_max / (2 ** bits - 1))

    def pair_weight_features(self, layer, w, w_max):
        return spline_eval(w, layer.expansion().pair_table(), odd=True, scale=1.0 / w_max, limit=1.0)

    def voltage_features(self, layer, v):
        return spline_eval(v, layer.expansion().a_table())

    def conductance_features(self, layer, g):
        return spline_eval(g, layer.expansion().b_table())


@dataclass(frozen=True)
class CircuitFidelity(Fidelity):
    """Every tile solved by xbarsolve with the layer's parasitics (``config.circuit``)."""

    name = "circuit"
    needs_tiles = True

    def tiled_columns(self, layer, v_pos, v_neg, g_pos, g_neg):
        cfg = layer.config
        return circuit_currents(v_pos, v_neg, g_pos, g_neg, cell=cfg.cell, mapping=cfg.mapping, circuit=cfg.circuit,
                                v_gate=layer.v_gate)


IDEAL, CELL, CIRCUIT = IdealFidelity(), CellFidelity(), CircuitFidelity()
#: name → fidelity object
FIDELITIES = {f.name: f for f in (IDEAL, CELL, CIRCUIT)}


def as_fidelity(value) -> Fidelity:
    """A :class:`Fidelity` from itself or its name (``"ideal"``, ``"cell"``, ``"circuit"``)."""
    if isinstance(value, Fidelity):
        return value
    if not isinstance(value, str) or value not in FIDELITIES:
        raise ValueError(f"fidelity must be one of {tuple(FIDELITIES)} or a Fidelity, got {value!r}")
    return FIDELITIES[value]
