"""Energy per inference of a network on 1T-1R crossbars: a component model with stated constants.

The breakdown follows the RESPARC-style split of a memristive accelerator into
the crossbar array, its analog periphery and the digital periphery (Ankit et
al., DAC 2017), with every number below an *estimate* from a named source, not
a measurement of this design.  Per crossbar layer and inference (one input
image), in joules:

``read``  (array) -- energy the row drivers deliver into the cells during the reads::

        E_read = t_read · Σ_reads Σ_rows Σ_cells |V_i| · I(|V_i|, G_ij; V_G)

    with the exact 1T-1R cell current ``I`` (the layer's separable expansion of
    the xbarsolve solution, error <= 0.1 % of full scale) at the layer's actual
    input voltages and gate voltage, over both cells of every differential
    pair; it includes the power dissipated in the transistor.  Each input is
    nonzero in one of the two read phases, so ``|V|`` covers both.  Computed by
    :meth:`neat.layers.CrossbarLinear.read_power` (one product, no loop).
``select`` (array) -- select-line (gate) switching: charging a tile row's select
    line to ``V_G`` costs ``C_sel·V_G²`` (half stored, half dissipated in the
    driver; discharged for free), ``C_sel = tile_cols·(C_g/W·W + C_wire)``.  How
    often a line toggles is the **toggling policy**:

    * ``"per_inference"`` (default): the select lines of a layer's rows are
      switched on once per inference and held while all of that image's reads
      of the layer run (a real array keeps its rows selected across the
      consecutive reads of one layer): ``rows · col_tiles`` toggles per image;
    * ``"per_read"``: every read switches every used row's select line in every
      tile: ``n_reads · rows · col_tiles`` toggles (an upper bound; the
      previous model of this project).
``row_line`` (analog periphery) -- charging the row (input) lines to the input
    voltages: ``Σ_reads Σ_rows col_tiles·C_row·V_i²`` with ``C_row = tile_cols·C_wire``
    the row wire of one tile.
``dac``   (analog periphery) -- one input conversion per row per read: ``E_DAC·rows·n_reads``.
``adc``   (analog periphery) -- one conversion per differential column pair per row tile per
    read: ``E_ADC·row_tiles·outputs·n_reads``.
``accumulate`` (digital) -- every ADC result is added into its output's accumulator
    (row tiles and the two read phases): ``E_add·row_tiles·outputs·n_reads``.

``n_reads`` per image: input vectors (1 for a linear layer, ``H_out·W_out`` for a
convolution) × read phases (2 if the sample's input to the layer has a negative
value, else 1), :meth:`neat.layers.CrossbarLinear.reads`.

Constants (:class:`EnergyConstants`) and their sources
------------------------------------------------------
==================  ================  ==========================================================
constant            default           source
==================  ================  ==========================================================
``t_read``          100 ns            ISAAC (Shafiee et al., ISCA 2016): one crossbar read cycle
``e_adc``           1.67 pJ           ISAAC: 8-bit 1.2 GS/s SAR ADC at 2 mW (after Kull et al.,
                                      ISSCC 2013): 2 mW / 1.2e9 s⁻¹
``e_dac_per_bit``   0.39 pJ           ISAAC: 1-bit DACs, 4 mW for 8×128 at 10 MHz; × ``dac_bits``
                                      (8) for a multi-level input DAC (linear scaling, rough)
``c_gate_per_width``1.2 fF/µm         PTM 45 nm HP card: C_ox·L_eff (ε_ox/TOXE · 17.5 nm =
                                      0.48 fF/µm) + CGSO + CGDO (0.22) + CGSL + CGDL (0.53)
``c_wire_per_cell`` 0.8 fF            0.2 fF/µm interconnect (ITRS, as NeuroSim) × 4 µm cell pitch
``e_add``           0.1 pJ            32-bit integer add at 45 nm (Horowitz, ISSCC 2014)
==================  ================  ==========================================================

:func:`energy_saving` compares two measurements by part, by group (``"array"`` =
read + select, what the gate voltage changes; ``"periphery"``; ``"total"``).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from . import checks
from .layers import crossbar_layers
from .records import Record

__all__ = ["EnergyConstants", "LayerEnergy", "measure_energy", "energy_saving", "PARTS", "GROUPS",
           "TOGGLING_POLICIES"]

#: Energy parts, in the order of the docstring.
PARTS = ("read", "select", "row_line", "dac", "adc", "accumulate")
#: Groups of parts (the gate voltage changes only the array's).
GROUPS = {"array": ("read", "select"), "periphery": ("row_line", "dac", "adc", "accumulate"), "total": PARTS}
TOGGLING_POLICIES = ("per_inference", "per_read")


@dataclass(frozen=True)
class EnergyConstants:
    """Energy-model constants (SI units; sources in the module docstring -- estimates).

    t_read : s -- duration of one crossbar read.
    e_adc : J -- one ADC conversion.
    e_dac_per_bit : J -- one DAC conversion per bit of resolution.
    dac_bits : int -- input DAC resolution assumed for the energy (the simulated mapping may be ideal).
    c_gate_per_width : F/m -- selector gate capacitance per transistor width.
    c_wire_per_cell : F -- wire capacitance per cell pitch (select and row lines).
    e_add : J -- one digital accumulation (add).
    toggling : "per_inference" or "per_read" -- how often a select line switches (module docstring).
    """

    t_read: float = 100e-9
    e_adc: float = 1.67e-12
    e_dac_per_bit: float = 0.39e-12
    dac_bits: int = 8
    c_gate_per_width: float = 1.2e-9
    c_wire_per_cell: float = 0.8e-15
    e_add: float = 0.1e-12
    toggling: str = "per_inference"

    def __post_init__(self):
        for k, v in asdict(self).items():
            if k == "toggling":
                checks.choice("EnergyConstants.toggling", v, TOGGLING_POLICIES)
            elif k == "dac_bits":
                checks.integer("EnergyConstants.dac_bits", v, low=1, high=24)
            else:
                checks.non_negative(f"EnergyConstants.{k}", v)

    @property
    def e_dac(self) -> float:
        """One DAC conversion (J)."""
        return self.e_dac_per_bit * self.dac_bits

    def c_select(self, tile_cols: int, transistor_width: float) -> float:
        """Select-line capacitance (F) of one tile row: ``tile_cols·(C_g/W·W + C_wire)``."""
        return tile_cols * (self.c_gate_per_width * transistor_width + self.c_wire_per_cell)

    def c_row(self, tile_cols: int) -> float:
        """Row (input) line capacitance (F) of one tile: ``tile_cols·C_wire``."""
        return tile_cols * self.c_wire_per_cell


@dataclass
class LayerEnergy(Record):
    """Energy (J per image) of one layer (or a network) by part, with the reads behind it (per image)."""

    read: float = 0.0
    select: float = 0.0
    row_line: float = 0.0
    dac: float = 0.0
    adc: float = 0.0
    accumulate: float = 0.0
    reads: float = 0.0
    v_gate: float | None = None

    def group(self, name: str) -> float:
        """Sum of a group of parts (:data:`GROUPS`) or one part."""
        parts = GROUPS.get(name, (name,))
        if any(p not in PARTS for p in parts):
            raise ValueError(f"part must be one of {PARTS} or a group {tuple(GROUPS)}, got {name!r}")
        return sum(getattr(self, p) for p in parts)

    @property
    def array(self) -> float:
        return self.group("array")

    @property
    def total(self) -> float:
        return self.group("total")


def measure_energy(net: torch.nn.Module, x: torch.Tensor, *, constants: EnergyConstants | None = None,
                   batch_size: int = 256, device="cpu") -> dict:
    """Energy per image (J) of a crossbar network on inputs ``x`` (N, C, H, W), averaged over the N images.

    Every crossbar layer is measured at its own current ``v_gate`` (V) with its own
    cell (transistor width from its cell's transistor card).
    Returns ``{"layers": {name: LayerEnergy}, "total": LayerEnergy}`` (per-image means).
    """
    constants = EnergyConstants() if constants is None else constants
    if not isinstance(constants, EnergyConstants):
        raise TypeError(f"constants must be an EnergyConstants, got {type(constants).__name__}")
    layers = crossbar_layers(net)
    if not layers:
        raise ValueError("the network has no crossbar layers (use neat.convert / crossbar_model first)")
    acc = {n: LayerEnergy(v_gate=m.v_gate) for n, m in layers}
    n_images = 0

    def hook_for(name, layer):
        rows, outputs = layer.crossbar_shape()
        row_tiles, col_tiles = layer.tiles()
        tile_cols = layer.config.mapping.tile_cols
        c_sel = constants.c_select(tile_cols, getattr(layer.config.cell.transistor, "w", 0.0))
        c_row = constants.c_row(tile_cols)

        def hook(mod, inputs, output):
            xin = inputs[0]
            e = acc[name]
            nr = float(mod.reads(xin, output).sum())
            images = xin.shape[0]
            toggles = rows * col_tiles * (images if constants.toggling == "per_inference" else nr)
            e.reads += nr
            e.read += float(mod.read_power(xin).sum()) * constants.t_read
            e.select += toggles * c_sel * mod.v_gate ** 2
            e.row_line += float(mod.input_square_sum(xin).sum()) * col_tiles * c_row
            e.dac += nr * rows * constants.e_dac
            e.adc += nr * row_tiles * outputs * constants.e_adc
            e.accumulate += nr * row_tiles * outputs * constants.e_add
        return hook

    handles = [m.register_forward_hook(hook_for(n, m)) for n, m in layers]
    net.eval()
    try:
        with torch.no_grad():
            for s in range(0, x.shape[0], batch_size):
                net(x[s:s + batch_size].to(device))
                n_images += min(batch_size, x.shape[0] - s)
    finally:
        for h in handles:
            h.remove()
    total = LayerEnergy()
    for e in acc.values():
        for part in PARTS + ("reads",):
            setattr(e, part, getattr(e, part) / max(n_images, 1))
            setattr(total, part, getattr(total, part) + getattr(e, part))
    return {"layers": acc, "total": total}


def energy_saving(e: LayerEnergy, ref: LayerEnergy, part: str = "array") -> float:
    """Fractional saving ``1 − E/E_ref`` of a part or group ("array", "periphery", "total", or a part)."""
    a, b = e.group(part), ref.group(part)
    return 1.0 - a / b if b > 0 else math.nan
