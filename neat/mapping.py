"""Mapping between a network's numbers and a crossbar's physical quantities.

Weights → conductances (differential pairs)
    A layer has a weight scale ``w_max`` (default: ``max|w|`` of the layer at
    each forward pass, detached; or a fixed value, above which weights clip).
    Each weight uses two cells on neighbouring columns::

        G⁺ = G_OFF + ΔG·clip(w, 0, w_max)/w_max,   G⁻ = G_OFF + ΔG·clip(−w, 0, w_max)/w_max,

    ``ΔG = G_ON − G_OFF``, so ``|w| <= w_max`` maps to ``G⁺ − G⁻ = ΔG·w/w_max`` and
    one cell of every pair sits at ``G_OFF``.  The pair's currents are
    subtracted in analog (one sense amplifier / ADC per pair).

Activations → input voltages (two read phases)
    An input scale ``x_max`` (per sample by default: ``max|x|`` over the
    sample, detached; or per batch; or a fixed value, above which inputs clip)
    maps ``|x| <= x_max`` onto ``0 … V_max``.  Row drivers only apply
    non-negative voltages: the positive parts are read in phase 1,
    ``V⁺ = V_max·clip(x, 0, x_max)/x_max``, the negative parts in phase 2,
    ``V⁻ = V_max·clip(−x, 0, x_max)/x_max``, and the two results are
    subtracted digitally: ``I = I(V⁺) − I(V⁻)``.  Networks with non-negative
    activations (after ReLU) need only phase 1 (phase 2 reads zeros).

Column currents → activations
    ``y = I · x_max·w_max/(V_max·ΔG)`` -- exact inverse of the two scalings
    for linear cells.

Quantization (optional)
    DAC: each phase's voltage is rounded to ``2**dac_bits`` uniform levels on
    ``[0, V_max]``.  ADC: each tile's differential column current, per phase,
    is rounded to ``2**adc_bits − 1`` uniform levels symmetric about 0 on
    ``[−FS, FS]`` (values beyond clip), ``FS = adc_range·rows·ΔG·V_max`` with
    ``rows`` the tile's used rows (``adc_range = 1`` covers the largest
    possible differential current of a linear cell).  Both use a
    straight-through gradient inside the range.

Tiling
    A layer's weight matrix ``(in, out)`` is cut into crossbar tiles of
    ``tile_rows`` inputs × ``tile_cols // 2`` weight columns (``tile_cols``
    physical columns: the differential pairs interleave, G⁺ on even and G⁻ on
    odd columns).  Each tile produces partial column currents; partial sums
    from the row tiles of one output are accumulated digitally (after the ADC).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from . import checks

__all__ = ["MappingConfig", "weight_scale", "input_scale", "weights_to_conductances", "conductances_to_weights",
           "inputs_to_voltages", "signed_voltages", "currents_to_outputs", "output_factor", "quantize_dac",
           "quantize_adc", "adc_full_scale", "row_tiles", "col_tiles", "weight_cutoff", "INPUT_SCALE_MODES"]

INPUT_SCALE_MODES = ("sample", "batch")


def _check_bits(name, bits, minimum):
    """Converter resolution: None (ideal) or an integer in [minimum, 24]."""
    return checks.optional(checks.integer, name, bits, low=minimum, high=24)


@dataclass(frozen=True)
class MappingConfig:
    """How a layer is laid onto crossbars (the physics lives in :class:`neat.cell.CellConfig`).

    tile_rows, tile_cols : int -- physical crossbar size (default 64 × 64; ``tile_cols`` even:
        ``tile_cols // 2`` weight columns per tile).
    dac_bits : int or None -- input DAC resolution per read phase (None: ideal).
    adc_bits : int or None -- ADC resolution per tile column pair (>= 2; None: ideal).
    adc_range : float -- ADC full scale as a fraction of ``rows·ΔG·V_max`` (default 1).
    input_scale : "sample", "batch" or float -- how ``x_max`` is chosen (see module docstring).
    weight_scale : float or None -- fixed ``w_max`` (None: ``max|w|`` at every forward pass).
    """

    tile_rows: int = 64
    tile_cols: int = 64
    dac_bits: int | None = None
    adc_bits: int | None = None
    adc_range: float = 1.0
    input_scale: str | float = "sample"
    weight_scale: float | None = None

    def __post_init__(self):
        for name in ("tile_rows", "tile_cols"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int, got {type(v).__name__}")
            if v < 1:
                raise ValueError(f"{name} must be >= 1, got {v}")
        if self.tile_cols < 2 or self.tile_cols % 2:
            raise ValueError(f"tile_cols must be even and >= 2 (differential column pairs), got {self.tile_cols}")
        _check_bits("dac_bits", self.dac_bits, 1)
        _check_bits("adc_bits", self.adc_bits, 2)
        checks.positive("adc_range", self.adc_range)
        if isinstance(self.input_scale, str):
            if self.input_scale not in INPUT_SCALE_MODES:
                raise ValueError(f"input_scale must be one of {INPUT_SCALE_MODES} or a positive number, "
                                 f"got {self.input_scale!r}")
        else:
            checks.positive("input_scale", self.input_scale)
        if self.weight_scale is not None:
            checks.positive("weight_scale", self.weight_scale)

    @property
    def weights_per_tile(self) -> int:
        """Weight columns per tile (``tile_cols // 2``)."""
        return self.tile_cols // 2


def weight_scale(w: torch.Tensor, fixed: float | None = None) -> torch.Tensor:
    """``w_max`` (same units as ``w``), detached: ``fixed`` if given, else ``max|w|`` (1 if all zero)."""
    checks.tensor("w", w)
    if fixed is not None:
        return torch.tensor(checks.positive("fixed", fixed), dtype=w.dtype, device=w.device)
    m = w.detach().abs().max()
    return torch.where(m > 0, m, torch.ones_like(m))


def input_scale(x: torch.Tensor, mode: str | float = "sample") -> torch.Tensor:
    """``x_max``, detached, broadcastable against ``x`` (shape (N, 1, …) for ``"sample"``).

    ``"sample"``: max|x| over each sample (all dims but the first); ``"batch"``:
    max|x| over the tensor; a number: that fixed scale.  Zero maxima become 1.
    """
    checks.tensor("x", x)
    if not isinstance(mode, str):
        return torch.tensor(checks.positive("input_scale", mode), dtype=x.dtype, device=x.device)
    xd = x.detach()
    if mode == "sample":
        if x.ndim < 2:
            raise ValueError(f"x must have a batch dimension for input_scale='sample', got shape {tuple(x.shape)}")
        lo, hi = torch.aminmax(xd.reshape(x.shape[0], -1), dim=1)
        m = torch.maximum(hi, -lo).reshape((x.shape[0],) + (1,) * (x.ndim - 1))
    elif mode == "batch":
        lo, hi = torch.aminmax(xd)
        m = torch.maximum(hi, -lo)
    else:
        raise ValueError(f"input_scale must be one of {INPUT_SCALE_MODES} or a positive number, got {mode!r}")
    return torch.where(m > 0, m, torch.ones_like(m))


def _split(x: torch.Tensor, limit: torch.Tensor):
    """(positive part, negative part) of ``clip(x, −limit, limit)``; exactly one part carries the
    gradient at 0 (so ``pos − neg`` has derivative 1 everywhere inside the range)."""
    xc = torch.clamp(x, -limit, limit)  # inclusive: gradient 1 at |x| = limit (the dynamic-scale maximum)
    pos = torch.clamp(xc, min=0.0)
    return pos, pos - xc


def weights_to_conductances(w: torch.Tensor, w_max, g_on: float, g_off: float):
    """Differential pair conductances ``(G⁺, G⁻)`` (S) for weights ``w`` with scale ``w_max``.

    Differentiable in ``w`` (weights beyond ``±w_max`` clip, gradient 0 there).
    """
    checks.tensor("w", w)
    g_on, g_off = float(g_on), float(g_off)
    if not g_on > g_off >= 0:
        raise ValueError(f"need g_on > g_off >= 0, got g_on={g_on}, g_off={g_off}")
    w_max = torch.as_tensor(w_max, dtype=w.dtype, device=w.device)
    pos, neg = _split(w, w_max)
    k = (g_on - g_off) / w_max
    return g_off + k * pos, g_off + k * neg


def conductances_to_weights(g_pos: torch.Tensor, g_neg: torch.Tensor, w_max, g_on: float, g_off: float):
    """Inverse of :func:`weights_to_conductances`: ``w = w_max·(G⁺ − G⁻)/ΔG``."""
    checks.tensor("g_pos", g_pos)
    checks.tensor("g_neg", g_neg)
    return (g_pos - g_neg) * (torch.as_tensor(w_max, dtype=g_pos.dtype, device=g_pos.device) / (g_on - g_off))


def quantize_dac(v: torch.Tensor, v_max: float, bits: int | None) -> torch.Tensor:
    """Round non-negative voltages ``v`` (V) to ``2**bits`` levels on [0, v_max] (straight-through gradient)."""
    if bits is None:
        return v
    _check_bits("bits", bits, 1)
    levels = 2 ** bits - 1
    step = v_max / levels
    vq = torch.floor(v.detach().clamp(0.0, v_max) / step + 0.5) * step  # round half up
    return v + (vq - v.detach())


def quantize_adc(i: torch.Tensor, full_scale, bits: int | None) -> torch.Tensor:
    """Round currents ``i`` (A) to ``2**bits − 1`` levels on [−full_scale, full_scale].

    Values beyond clip (gradient 0 there); inside, a straight-through gradient.
    """
    if bits is None:
        return i
    _check_bits("bits", bits, 2)
    half = 2 ** (bits - 1) - 1  # codes −half … half
    fs = torch.as_tensor(full_scale, dtype=i.dtype, device=i.device)
    step = fs / half
    ic = torch.clamp(i, -fs, fs)
    d = ic.detach()
    iq = torch.sign(d) * torch.floor(d.abs() / step + 0.5) * step  # round half away from zero
    return ic + (iq - ic.detach())


def adc_full_scale(rows: int, v_max: float, g_on: float, g_off: float, adc_range: float = 1.0) -> float:
    """ADC full scale (A) of a tile with ``rows`` used rows: ``adc_range·rows·(g_on − g_off)·v_max``."""
    return adc_range * rows * (g_on - g_off) * v_max


def inputs_to_voltages(x: torch.Tensor, x_max, v_max: float, dac_bits: int | None = None):
    """Phase voltages ``(V⁺, V⁻)`` (V, each in [0, v_max]) for activations ``x`` with scale ``x_max``."""
    checks.tensor("x", x)
    pos, neg = _split(x, torch.as_tensor(x_max, dtype=x.dtype, device=x.device))
    k = v_max / torch.as_tensor(x_max, dtype=x.dtype, device=x.device)
    return quantize_dac(pos * k, v_max, dac_bits), quantize_dac(neg * k, v_max, dac_bits)


def signed_voltages(x: torch.Tensor, x_max, v_max: float, dac_bits: int | None = None) -> torch.Tensor:
    """``V⁺ − V⁻`` (V): the signed voltage whose sign says the phase (one tensor, cheaper)."""
    checks.tensor("x", x)
    x_max = torch.as_tensor(x_max, dtype=x.dtype, device=x.device)
    xc = torch.clamp(x, -x_max, x_max)
    v = xc * (v_max / x_max)
    return v if dac_bits is None else _signed_dac(v, v_max, dac_bits)


def _signed_dac(v: torch.Tensor, v_max: float, bits: int) -> torch.Tensor:
    levels = 2 ** bits - 1
    step = v_max / levels
    vq = torch.floor(v.detach().abs() / step + 0.5) * step * torch.sign(v.detach())
    return v + (vq - v.detach())


def output_factor(x_max, w_max, v_max: float, g_on: float, g_off: float):
    """``x_max·w_max/(V_max·ΔG)``: multiply a current (A) by it to get the layer output."""
    return x_max * w_max / (v_max * (g_on - g_off))


def currents_to_outputs(i: torch.Tensor, x_max, w_max, v_max: float, g_on: float, g_off: float) -> torch.Tensor:
    """Layer outputs from differential column currents ``i`` (A)."""
    return i * output_factor(x_max, w_max, v_max, g_on, g_off)


def row_tiles(n_rows: int, tile_rows: int) -> list:
    """Slices cutting ``n_rows`` inputs into tiles of ``tile_rows`` (the last may be smaller)."""
    if n_rows < 1 or tile_rows < 1:
        raise ValueError(f"n_rows and tile_rows must be >= 1, got {n_rows}, {tile_rows}")
    return [slice(s, min(s + tile_rows, n_rows)) for s in range(0, n_rows, tile_rows)]


def col_tiles(n_outputs: int, tile_cols: int) -> list:
    """Slices cutting ``n_outputs`` weight columns into tiles of ``tile_cols // 2`` (differential pairs)."""
    if tile_cols < 2 or tile_cols % 2:
        raise ValueError(f"tile_cols must be even and >= 2, got {tile_cols}")
    return row_tiles(n_outputs, tile_cols // 2)


def weight_cutoff(g_cut: float, w_max: float, g_on: float, g_off: float) -> float:
    """Weight bound ``W_cut = w_max·(G_cut − G_OFF)/ΔG`` for a cut-off conductance ``g_cut`` (S).

    NaN (no linear range) gives 0; ``g_cut >= g_on`` gives ``w_max``.
    """
    if g_cut is None or not math.isfinite(g_cut):
        return 0.0
    frac = (min(max(g_cut, g_off), g_on) - g_off) / (g_on - g_off)
    return float(w_max) * frac
