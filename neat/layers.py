"""Crossbar-aware torch layers: ``CrossbarLinear``, ``CrossbarConv2d``, and ``convert``/``unconvert``.

Each layer is its torch counterpart (a subclass of ``nn.Linear``/``nn.Conv2d``
holding the *same* ``weight``/``bias`` parameters, so state dicts are
interchangeable) whose matrix product runs on simulated 1T-1R crossbars.
Weights and activations are mapped as in :mod:`neat.mapping`; the bias is
added digitally.  Every layer has its own gate voltage ``v_gate`` (V, the
select-line voltage of all its rows; the gate-control stage turns it) and a
``fidelity`` (:mod:`neat.fidelity`: ``"ideal"`` linear cells, ``"cell"`` the
exact non-linear 1T-1R cell through its separable expansion, one product with
``k``× the input channels, ``"circuit"`` every tile solved with parasitics).

A layer owns its physics mapping: its crossbar geometry (:meth:`crossbar_shape`,
:meth:`tiles`), how many crossbar reads an input costs (:meth:`reads`) and the
power its cells draw (:meth:`read_power`), which the energy model uses.

Tiling only changes results when partial sums are digitised (``adc_bits``) or
solved per tile (``circuit``); otherwise the per-tile partial sums add up to
the untiled product exactly, and the fast untiled product is used
(``force_tiling=True`` evaluates tile by tile anyway, for checking).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import checks
from .cell import CellConfig
from .circuit import CircuitConfig
from .expansion import CellExpansion, ExpansionSpec, get_expansion, spline_eval
from .fidelity import Fidelity, as_fidelity
from .mapping import (MappingConfig, input_scale, inputs_to_voltages, output_factor, signed_voltages, weight_scale,
                      weights_to_conductances)

__all__ = ["CrossbarConfig", "CrossbarLinear", "CrossbarConv2d", "convert", "unconvert", "crossbar_layers",
           "set_v_gate", "set_fidelity"]


def _check_v_gate(v) -> float:
    return checks.real("v_gate", v, unit="V")




@dataclass(frozen=True)
class CrossbarConfig:
    """Everything a crossbar layer needs.

    fidelity : Fidelity or its name ("ideal", "cell", "circuit") -- default ``"cell"`` (:mod:`neat.fidelity`).
    cell : CellConfig -- cell physics (G range, V_max, transistor, topology).
    mapping : MappingConfig -- tiling, scales, DAC/ADC.
    expansion : ExpansionSpec -- grids and tolerance of the ``cell`` expansion.
    circuit : CircuitConfig -- parasitics of the ``circuit`` fidelity.
    v_gate : float -- initial gate voltage (V) of every converted layer (default 1.0 V).
    force_tiling : bool -- evaluate tile by tile even when it cannot change the result.
    cache_dir : str or None -- where expansions are cached (default :func:`neat.cell.default_cache_dir`).
    """

    fidelity: Fidelity | str = "cell"
    cell: CellConfig = field(default_factory=CellConfig)
    mapping: MappingConfig = field(default_factory=MappingConfig)
    expansion: ExpansionSpec = field(default_factory=ExpansionSpec)
    circuit: CircuitConfig = field(default_factory=CircuitConfig)
    v_gate: float = 1.0
    force_tiling: bool = False
    cache_dir: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "fidelity", as_fidelity(self.fidelity))
        for name, cls in (("cell", CellConfig), ("mapping", MappingConfig), ("expansion", ExpansionSpec),
                          ("circuit", CircuitConfig)):
            if not isinstance(getattr(self, name), cls):
                raise TypeError(f"{name} must be a {cls.__name__}, got {type(getattr(self, name)).__name__}")
        _check_v_gate(self.v_gate)
        if not isinstance(self.force_tiling, bool):
            raise TypeError(f"force_tiling must be a bool, got {type(self.force_tiling).__name__}")


class _CrossbarMixin:
    """Shared state and arithmetic of the crossbar layers."""

    def _init_crossbar(self, config: CrossbarConfig | None):
        config = CrossbarConfig() if config is None else config
        if not isinstance(config, CrossbarConfig):
            raise TypeError(f"config must be a CrossbarConfig or None, got {type(config).__name__}")
        self._config = config
        self._fidelity = config.fidelity
        self._v_gate = config.v_gate
        self._expansions = {}

    # ------------------------------------------------------------------ settings
    @property
    def config(self) -> CrossbarConfig:
        """The layer's :class:`CrossbarConfig` (assigning one resets ``fidelity`` and ``v_gate``)."""
        return self._config

    @config.setter
    def config(self, value: CrossbarConfig):
        self._init_crossbar(value)

    @property
    def fidelity(self) -> Fidelity:
        """The :class:`neat.fidelity.Fidelity` in use (assign one or its name)."""
        return self._fidelity

    @fidelity.setter
    def fidelity(self, value):
        self._fidelity = as_fidelity(value)

    @property
    def v_gate(self) -> float:
        """Gate (select-line) voltage of this layer's rows (V)."""
        return self._v_gate

    @v_gate.setter
    def v_gate(self, value: float):
        self._v_gate = _check_v_gate(value)

    def expansion(self, v_gate: float | None = None) -> CellExpansion:
        """The cell expansion at ``v_gate`` (default: the layer's), built or loaded once."""
        vg = self._v_gate if v_gate is None else _check_v_gate(v_gate)
        exp = self._expansions.get(vg)
        if exp is None:
            cfg = self._config
            exp = self._expansions[vg] = get_expansion(cfg.cell, vg, cfg.expansion, cache_dir=cfg.cache_dir)
        return exp

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, fidelity='{self._fidelity}', v_gate={self._v_gate}"

    # ---------------------------------------------------------------- arithmetic
    def _check_finite(self, x: torch.Tensor) -> None:
        """NaN/inf inputs or weights have no voltage or conductance: a typed error, not garbage."""
        where = f"{type(self).__name__}({self.extra_repr()})"
        checks.finite_tensor("input", x, where=where)
        checks.finite_tensor("weight", self.weight, where=where)

    def _uses_tiles(self) -> bool:
        return self._fidelity.needs_tiles or self._config.force_tiling or self._config.mapping.adc_bits is not None

    def _scales(self, x: torch.Tensor):
        m = self._config.mapping
        return input_scale(x, m.input_scale), weight_scale(self.weight, m.weight_scale)

    def _fast(self, x: torch.Tensor, x_max, w_max) -> torch.Tensor:
        """Untiled layer output: the fidelity's column currents, scaled back to activations."""
        cell = self._config.cell
        i = self._fidelity.columns(self, x, x_max, w_max)
        return i * output_factor(x_max, w_max, cell.v_max, cell.g_on, cell.g_off)

    def _tiled(self, rows: torch.Tensor, x_max, w_rows: torch.Tensor, w_max) -> torch.Tensor:
        """Tile-by-tile product of input vectors ``rows`` (M, R) with weights ``w_rows`` (out, R).

        ``x_max`` is (M, 1) or scalar.  Phases and tiles are evaluated
        separately and digitised (ADC) before the digital accumulation.
        """
        cfg = self._config
        cell, mapping = cfg.cell, cfg.mapping
        v_pos, v_neg = inputs_to_voltages(rows, x_max, cell.v_max, mapping.dac_bits)
        g_pos, g_neg = weights_to_conductances(w_rows, w_max, cell.g_on, cell.g_off)
        i = self._fidelity.tiled_columns(self, v_pos, v_neg, g_pos, g_neg)
        return i * output_factor(x_max, w_max, cell.v_max, cell.g_on, cell.g_off)

    # ------------------------------------------------------------- physics mapping
    def product(self, inputs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """The layer's product (F.linear or F.conv2d with its geometry) of any inputs and weights."""
        raise NotImplementedError

    def crossbar_shape(self) -> tuple:
        """``(rows, outputs)``: crossbar rows one input vector drives, and weight columns (pairs)."""
        raise NotImplementedError

    def tiles(self) -> tuple:
        """``(row tiles, column tiles)`` the layer occupies."""
        rows, outputs = self.crossbar_shape()
        m = self._config.mapping
        return math.ceil(rows / m.tile_rows), math.ceil(outputs / m.weights_per_tile)

    def reads(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Crossbar reads per sample, shape (N,), for input ``x`` with output ``y``: input vectors
        × read phases (2 if the sample has a negative input, else 1)."""
        n = x.shape[0]
        phases = 1.0 + (x.detach().reshape(n, -1) < 0).any(1).double()
        return phases * float(self._vectors_per_sample(x, y))

    @torch.no_grad()
    def read_power(self, x: torch.Tensor) -> torch.Tensor:
        """``Σ_reads Σ_cells |V|·I(|V|, G)`` (W, summed over the sample's reads), shape (N,).

        The cell currents come from the layer's cell expansion at its gate voltage
        (exact cell physics, whatever the fidelity), for both cells of every pair,
        at the layer's mapping (input and weight scales, DAC); float64.
        """
        cfg = self._config
        cell = cfg.cell
        x = x.detach().double()
        x_max = input_scale(x, cfg.mapping.input_scale)
        v = self._product_layout(signed_voltages(x, x_max, cell.v_max, cfg.mapping.dac_bits).abs())
        exp = self.expansion()
        w = self.weight.detach().double()
        w_max = weight_scale(w, cfg.mapping.weight_scale)
        g_pos, g_neg = weights_to_conductances(w, w_max, cell.g_on, cell.g_off)
        b_tab, a_tab = exp.b_table(), exp.a_table()
        p = v.unsqueeze(2) * spline_eval(v, a_tab)  # |V|·a_k(|V|), (N, C, K, ...)
        b = spline_eval(g_pos, b_tab) + spline_eval(g_neg, b_tab)  # (out, C, K, ...)
        s = b.sum(0, keepdim=True).flatten(1, 2)  # every output's cells: (1, C·K, ...)
        out = self.product(p.flatten(1, 2), s)
        return out.reshape(x.shape[0], -1).sum(1)

    @torch.no_grad()
    def input_square_sum(self, x: torch.Tensor) -> torch.Tensor:
        """``Σ_reads Σ_rows V_i²`` (V², over the sample's reads), shape (N,): what charging the row
        lines to the input voltages costs per unit of line capacitance."""
        cfg = self._config
        x = x.detach().double()
        if x.ndim == 1:
            x = x.reshape(1, -1)
        x_max = input_scale(x, cfg.mapping.input_scale)
        v2 = self._product_layout(signed_voltages(x, x_max, cfg.cell.v_max, cfg.mapping.dac_bits)).square()
        ones = torch.ones_like(self.weight[:1], dtype=torch.float64)
        return self.product(v2, ones).reshape(x.shape[0], -1).sum(1)


class CrossbarLinear(_CrossbarMixin, nn.Linear):
    """``nn.Linear`` on 1T-1R crossbars: ``y = x·Wᵀ + b`` with the product done by the crossbar.

    Input (..., in_features), any float dtype; ``config`` a :class:`CrossbarConfig`
    (default: ``cell`` fidelity, paper cell).  ``from_linear`` wraps an existing
    layer, sharing its parameters.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, config: CrossbarConfig | None = None,
                 device=None, dtype=None):
        nn.Linear.__init__(self, in_features, out_features, bias=bias, device=device, dtype=dtype)
        self._init_crossbar(config)

    @classmethod
    def from_linear(cls, layer: nn.Linear, config: CrossbarConfig | None = None) -> "CrossbarLinear":
        """A crossbar layer sharing ``layer``'s ``weight`` and ``bias`` parameters."""
        if not isinstance(layer, nn.Linear):
            raise TypeError(f"layer must be an nn.Linear, got {type(layer).__name__}")
        new = cls(layer.in_features, layer.out_features, bias=layer.bias is not None, config=config, device="meta")
        new.weight = layer.weight
        new.bias = layer.bias
        new.train(layer.training)
        return new

    def to_linear(self) -> nn.Linear:
        """A plain ``nn.Linear`` sharing this layer's parameters."""
        new = nn.Linear(self.in_features, self.out_features, bias=self.bias is not None, device="meta")
        new.weight = self.weight
        new.bias = self.bias
        new.train(self.training)
        return new

    def product(self, inputs, weights):
        return F.linear(inputs, weights)

    def crossbar_shape(self) -> tuple:
        return self.in_features, self.out_features

    def _vectors_per_sample(self, x, y) -> int:
        return x[0].numel() // self.in_features if x.ndim > 1 else 1

    def _product_layout(self, v):
        return v.reshape(-1, self.in_features)

    @torch.no_grad()
    def read_power(self, x: torch.Tensor) -> torch.Tensor:
        return super().read_power(x if x.ndim > 1 else x.reshape(1, -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(x):
            raise TypeError(f"input must be a torch tensor, got {type(x).__name__}")
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"input must have shape (..., {self.in_features}), got {tuple(x.shape)}")
        if x.numel() == 0:  # an empty batch: what nn.Linear returns (and a gradient path to the parameters)
            return F.linear(x, self.weight, self.bias)
        self._check_finite(x)
        lead = x.shape[:-1]
        x2 = x.reshape(-1, self.in_features)
        x_max, w_max = self._scales(x if x.ndim > 1 else x2)
        if x_max.ndim:  # per-sample scale of shape (B, 1, ..., 1) -> one per row of x2
            x_max = x_max.expand(x.shape[:-1] + (1,)).reshape(-1, 1) if x.ndim > 1 else x_max.reshape(-1, 1)
        if self._uses_tiles():
            y = self._tiled(x2, x_max, self.weight, w_max)
        else:
            y = self._fast(x2, x_max, w_max)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(lead + (self.out_features,))


class CrossbarConv2d(_CrossbarMixin, nn.Conv2d):
    """``nn.Conv2d`` on 1T-1R crossbars (im2col view: each output pixel is a crossbar product of
    the ``in_channels·kh·kw`` patch with the ``out_channels`` filters).

    Only ``padding_mode="zeros"`` (zero input = 0 V); ``groups > 1`` only on the
    untiled path (``ideal``/``cell`` without ADC).  Input (N, C, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", config: CrossbarConfig | None = None,
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode must be 'zeros' for a crossbar layer (padding reads 0 V), "
                             f"got {padding_mode!r}")
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                           dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode, device=device,
                           dtype=dtype)
        self._init_crossbar(config)

    @classmethod
    def from_conv2d(cls, layer: nn.Conv2d, config: CrossbarConfig | None = None) -> "CrossbarConv2d":
        """A crossbar layer sharing ``layer``'s ``weight`` and ``bias`` parameters."""
        if not isinstance(layer, nn.Conv2d):
            raise TypeError(f"layer must be an nn.Conv2d, got {type(layer).__name__}")
        new = cls(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                  padding=layer.padding, dilation=layer.dilation, groups=layer.groups, bias=layer.bias is not None,
                  padding_mode=layer.padding_mode, config=config, device="meta")
        new.weight = layer.weight
        new.bias = layer.bias
        new.train(layer.training)
        return new

    def to_conv2d(self) -> nn.Conv2d:
        """A plain ``nn.Conv2d`` sharing this layer's parameters."""
        new = nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size, stride=self.stride,
                        padding=self.padding, dilation=self.dilation, groups=self.groups, bias=self.bias is not None,
                        padding_mode=self.padding_mode, device="meta")
        new.weight = self.weight
        new.bias = self.bias
        new.train(self.training)
        return new

    def product(self, inputs, weights):
        return F.conv2d(inputs, weights, None, self.stride, self.padding, self.dilation, self.groups)

    def crossbar_shape(self) -> tuple:
        kh, kw = self.kernel_size
        return self.in_channels // self.groups * kh * kw, self.out_channels

    def _vectors_per_sample(self, x, y) -> int:
        return y.shape[-1] * y.shape[-2]

    def _product_layout(self, v):
        return v

    @torch.no_grad()
    def read_power(self, x: torch.Tensor) -> torch.Tensor:
        if self.groups != 1:
            raise ValueError("read power of grouped convolutions (groups > 1) is not supported")
        return super().read_power(x)

    @torch.no_grad()
    def input_square_sum(self, x: torch.Tensor) -> torch.Tensor:
        if self.groups != 1:
            raise ValueError("row-line energy of grouped convolutions (groups > 1) is not supported")
        return super().input_square_sum(x)

    def _explicit_padding(self, x: torch.Tensor):
        """(input padded for 'same', numeric padding for unfold)."""
        if isinstance(self.padding, str):
            if self.padding == "valid":
                return x, (0, 0)
            pads = []
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            return F.pad(x, pads), (0, 0)
        return x, self.padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(x):
            raise TypeError(f"input must be a torch tensor, got {type(x).__name__}")
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"input must have shape (N, {self.in_channels}, H, W), got {tuple(x.shape)}")
        if x.shape[0] == 0:  # an empty batch: what nn.Conv2d returns
            return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        self._check_finite(x)
        x_max, w_max = self._scales(x)
        if not self._uses_tiles():
            y = self._fast(x, x_max, w_max)
        else:
            if self.groups != 1:
                raise ValueError(f"groups={self.groups} is only supported on the untiled path "
                                          f"(fidelity 'ideal'/'cell' without adc_bits or force_tiling)")
            n = x.shape[0]
            xp, padding = self._explicit_padding(x)
            cols = F.unfold(xp, self.kernel_size, dilation=self.dilation, padding=padding, stride=self.stride)
            locations = cols.shape[-1]
            rows = cols.transpose(1, 2).reshape(n * locations, -1)  # (N·L, C·kh·kw)
            if x_max.ndim:
                x_max = x_max.reshape(n, 1, 1).expand(n, locations, 1).reshape(-1, 1)
            y = self._tiled(rows, x_max, self.weight.reshape(self.out_channels, -1), w_max)
            h_out, w_out = _conv_output_size(xp.shape[-2:], self.kernel_size, self.stride, padding, self.dilation)
            y = y.reshape(n, locations, self.out_channels).transpose(1, 2).reshape(n, self.out_channels, h_out, w_out)
        if self.bias is not None:
            y = y + self.bias.reshape(1, -1, 1, 1)
        return y


def _conv_output_size(hw, kernel, stride, padding, dilation):
    return tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                 for s, k, st, p, d in zip(hw, kernel, stride, padding, dilation))


# ---------------------------------------------------------------------------- model surgery
_CROSSBAR_TYPES = (CrossbarLinear, CrossbarConv2d)


def convert(model: nn.Module, config: CrossbarConfig | None = None, *, v_gate: float | None = None,
            fidelity: str | None = None) -> nn.Module:
    """Swap every ``nn.Linear``/``nn.Conv2d`` of ``model`` (in place) for its crossbar layer.

    The new layers share the old ones' parameters.  ``v_gate`` (V) and
    ``fidelity`` override the config's for every converted layer.  Layers that
    are already crossbar layers are left alone, and so are subclasses of
    Linear/Conv2d (e.g. attention's ``out_proj``): only exact types convert.  Returns the model (or the new
    layer if ``model`` itself is a Linear/Conv2d).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    config = CrossbarConfig() if config is None else config
    if not isinstance(config, CrossbarConfig):
        raise TypeError(f"config must be a CrossbarConfig or None, got {type(config).__name__}")
    if v_gate is not None:
        config = replace(config, v_gate=_check_v_gate(v_gate))
    if fidelity is not None:
        config = replace(config, fidelity=as_fidelity(fidelity))

    def swap(m):
        if isinstance(m, _CROSSBAR_TYPES):
            return m
        if type(m) is nn.Linear:
            return CrossbarLinear.from_linear(m, config)
        if type(m) is nn.Conv2d:
            return CrossbarConv2d.from_conv2d(m, config)
        return None

    new = swap(model)
    if new is not None:
        return new
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            new = swap(child)
            if new is not None and new is not child:
                setattr(parent, name, new)
    return model


def unconvert(model: nn.Module) -> nn.Module:
    """Swap every crossbar layer of ``model`` (in place) back for a plain torch layer sharing its
    parameters; returns the model (or the plain layer if ``model`` itself is one)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")

    def back(m):
        if isinstance(m, CrossbarLinear):
            return m.to_linear()
        if isinstance(m, CrossbarConv2d):
            return m.to_conv2d()
        return None

    new = back(model)
    if new is not None:
        return new
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            new = back(child)
            if new is not None:
                setattr(parent, name, new)
    return model


def crossbar_layers(model: nn.Module) -> list:
    """``(name, layer)`` for every crossbar layer of ``model``, in module order."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return [(n, m) for n, m in model.named_modules() if isinstance(m, _CROSSBAR_TYPES)]


def set_v_gate(model: nn.Module, v_gate, *, complete: bool = False) -> None:
    """Set the gate voltage (V) of crossbar layers: one number for all, or a dict ``{layer name: V}``.

    ``complete=True`` requires the dict to name every crossbar layer (heterogeneous gate control).
    """
    layers = crossbar_layers(model)
    if isinstance(v_gate, dict):
        names = {n for n, _ in layers}
        unknown = set(v_gate) - names
        if unknown:
            raise ValueError(f"v_gate names unknown crossbar layers {sorted(unknown)}; layers are {sorted(names)}")
        missing = sorted(names - set(v_gate))
        if complete and missing:
            raise ValueError(f"v_gate lacks the crossbar layers {missing}")
        for n, m in layers:
            if n in v_gate:
                m.v_gate = v_gate[n]
        return
    v = _check_v_gate(v_gate)
    for _, m in layers:
        m.v_gate = v


def set_fidelity(model: nn.Module, fidelity) -> None:
    """Set the fidelity (a :class:`neat.fidelity.Fidelity` or its name) of every crossbar layer of ``model``."""
    f = as_fidelity(fidelity)
    for _, m in crossbar_layers(model):
        m.fidelity = f
