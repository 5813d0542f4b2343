"""Energy per inference of a network on 1T-1R crossbars (estimates; constants documented below).

Four parts per crossbar layer, per inference (one input image), in joules:

``read``  -- energy delivered by the row drivers into the cells during the reads::

        E_read = t_read · Σ_reads Σ_rows Σ_cells |V_i| · I(|V_i|, G_ij; V_G)

    with the exact 1T-1R cell current ``I`` of the ``cell`` model (the layer's
    separable expansion ``I ≈ Σₖ aₖ(V)·bₖ(G)`` of the xbarsolve solution, error
    <= 0.1 % of full scale) at the layer's actual input voltages and gate
    voltage, summed over both cells of every differential pair (``G⁺`` and
    ``G⁻``; a pair's ``G_OFF`` cell draws current too).  Each input is nonzero
    in only one of the two read phases, so both phases are covered by using
    ``|V|``.  It includes the power dissipated in the transistor.  Because of the
    separable form the sum is one convolution / matrix product:
    ``Σₖ Σ_i |V_i|·aₖ(|V_i|) · Σ_j [bₖ(G⁺_ij) + bₖ(G⁻_ij)]``.
``gate``  -- select-line (gate) energy: every read charges the select line
    of every used row of every tile to ``V_G``::

        E_gate = n_reads · n_row_activations · C_row · V_G²,
        C_row  = tile_cols · (C_gate_per_width · W + C_wire_per_cell)

``dac``   -- one conversion per input row per read: ``E_DAC · rows · n_reads``.
``adc``   -- one conversion per differential column pair per row tile per read:
    ``E_ADC · n_row_tiles · outputs · n_reads``.

``n_reads`` per image is the number of input vectors (1 for a linear layer,
``H_out·W_out`` for a convolution) times the read phases (2 if the image's
input to the layer has negative values, else 1).

Constants (:class:`EnergyConstants`) -- all are *estimates* from the literature,
not measurements of this design:

* ``t_read = 100 ns``: crossbar read cycle of ISAAC (Shafiee et al., ISCA 2016,
  "each crossbar read ... 100 ns").
* ``e_adc = 1.67 pJ``: ISAAC's 8-bit 1.2 GS/s SAR ADC, 16 mW for 8 ADCs → 2 mW each
  at 1.2e9 conversions/s (ISAAC Table; ADC after Kull et al., ISSCC 2013).
* ``e_dac = 0.39 pJ × dac_bits``: ISAAC's 1-bit DAC (4 mW for 8×128 DACs at a
  10 MHz read rate ≈ 0.39 pJ per 1-bit conversion), scaled linearly with
  resolution for our multi-level (default 8-bit) input DAC -- a rough estimate.
* ``c_gate_per_width = 1.5 fF/µm``: 45 nm NMOS gate capacitance per width
  (oxide ~1.2 nm EOT: C_ox·L ≈ 1.2 fF/µm, plus overlap/fringe; typical of the PTM
  45 nm / NeuroSim 45 nm node), times the selector width ``W`` of the cell.
* ``c_wire_per_cell = 0.2 fF/µm × 4 µm = 0.8 fF``: select-line wire capacitance
  per cell pitch (~0.2 fF/µm interconnect, NeuroSim-style).

Savings are quoted for the crossbar part (read + gate, what the gate voltage
changes; the RESPARC-style crossbar energy of the paper) and for the total
with the DAC/ADC, which do not depend on ``V_G`` and dilute the saving.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from .layers import crossbar_layers

__all__ = ["EnergyConstants", "LayerEnergy", "measure_energy", "energy_saving", "PARTS", "CROSSBAR_PARTS"]

PARTS = ("read", "gate", "dac", "adc")
CROSSBAR_PARTS = ("read", "gate")


@dataclass(frozen=True)
class EnergyConstants:
    """Energy-model constants (SI units; sources in the module docstring -- estimates).

    t_read : s -- duration of one crossbar read.
    e_adc : J -- one ADC conversion.
    e_dac_per_bit : J -- one DAC conversion per bit of resolution.
    dac_bits : int -- input DAC resolution assumed for the energy (the simulated mapping may be ideal).
    c_gate_per_width : F/m -- selector gate capacitance per transistor width.
    c_wire_per_cell : F -- select-line wire capacitance per cell pitch.
    """

    t_read: float = 100e-9
    e_adc: float = 1.67e-12
    e_dac_per_bit: float = 0.39e-12
    dac_bits: int = 8
    c_gate_per_width: float = 1.5e-9
    c_wire_per_cell: float = 0.8e-15

    def __post_init__(self):
        for k, v in asdict(self).items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"EnergyConstants.{k} must be a finite number >= 0, got {v!r}")

    @property
    def e_dac(self) -> float:
        """One DAC conversion (J)."""
        return self.e_dac_per_bit * self.dac_bits

    def c_row(self, tile_cols: int, transistor_width: float) -> float:
        """Select-line capacitance (F) of one tile row: ``tile_cols·(C_g/W·W + C_wire)``."""
        return tile_cols * (self.c_gate_per_width * transistor_width + self.c_wire_per_cell)


@dataclass
class LayerEnergy:
    """Energy (J per image) of one layer by part, with the counts behind it (per image)."""

    read: float = 0.0
    gate: float = 0.0
    dac: float = 0.0
    adc: float = 0.0
    reads: float = 0.0
    v_gate: float = float("nan")

    @property
    def crossbar(self) -> float:
        return self.read + self.gate

    @property
    def total(self) -> float:
        return self.read + self.gate + self.dac + self.adc

    def to_json(self) -> dict:
        return {"read_J": self.read, "gate_J": self.gate, "dac_J": self.dac, "adc_J": self.adc,
                "crossbar_J": self.crossbar, "total_J": self.total, "reads": self.reads, "v_gate": self.v_gate}


def measure_energy(net: torch.nn.Module, x: torch.Tensor, *, constants: EnergyConstants | None = None,
                   batch_size: int = 256, device="cpu") -> dict:
    """Energy per image (J) of a crossbar network on inputs ``x`` (N, C, H, W), averaged over the N images.

    Every crossbar layer is measured at its own current ``v_gate`` (V).
    Returns ``{"layers": {name: LayerEnergy}, "total": LayerEnergy}`` (per-image means).
    """
    constants = EnergyConstants() if constants is None else constants
    layers = crossbar_layers(net)
    if not layers:
        raise ValueError("the network has no crossbar layers (use neat.convert / crossbar_model first)")
    acc = {n: LayerEnergy(v_gate=m.v_gate) for n, m in layers}
    n_images = 0

    def hook_for(name, layer):
        rows, outputs = layer.crossbar_shape()
        row_tiles, col_tiles = layer.tiles()
        transistor_w = getattr(layer.config.cell.transistor, "w", 0.0)
        c_row = constants.c_row(layer.config.mapping.tile_cols, transistor_w)

        def hook(mod, inputs, output):
            xin = inputs[0]
            e = acc[name]
            e.read += float(mod.read_power(xin).sum()) * constants.t_read
            nr = float(mod.reads(xin, output).sum())
            e.reads += nr
            e.gate += nr * rows * col_tiles * c_row * mod.v_gate ** 2
            e.dac += nr * rows * constants.e_dac
            e.adc += nr * row_tiles * outputs * constants.e_adc
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
    total = LayerEnergy(v_gate=float("nan"))
    for e in acc.values():
        for part in PARTS + ("reads",):
            setattr(e, part, getattr(e, part) / max(n_images, 1))
            setattr(total, part, getattr(total, part) + getattr(e, part))
    return {"layers": acc, "total": total}


def energy_saving(e: LayerEnergy, ref: LayerEnergy, part: str = "crossbar") -> float:
    """Fractional saving ``1 − E/E_ref`` of ``part`` ("crossbar", "total", or one of :data:`PARTS`)."""
    a, b = getattr(e, part), getattr(ref, part)
    return 1.0 - a / b if b > 0 else float("nan")
