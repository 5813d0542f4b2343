"""``circuit`` fidelity: every crossbar tile solved exactly by xbarsolve, with parasitics.

For validation and small layers: each forward pass solves, for every tile and
every input vector of both read phases, the full nodal DC problem (1T-1R
cells, wire, source and sink resistances) with :func:`xbarsolve.autodiff.crossbar_currents`,
which differentiates it by the implicit-function adjoint (gradients flow to the
input voltages and to the conductances, hence to activations and weights).

Physical layout of a tile (see :mod:`neat.mapping`): ``tile_rows`` rows ×
``tile_cols`` columns, weight column ``j`` of the tile on physical columns
``2j`` (G⁺) and ``2j+1`` (G⁻).  Edge tiles use the full physical array: unused
rows are driven at 0 V and unused cells hold ``G_OFF`` (a real array cannot
leave them out, and they load the wires).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from xbarsolve import Crossbar

from . import checks
from .cell import CellConfig
from .mapping import MappingConfig, adc_full_scale, col_tiles, quantize_adc, row_tiles

__all__ = ["CircuitConfig", "circuit_currents", "tile_crossbar"]


@dataclass(frozen=True)
class CircuitConfig:
    """Parasitics of every tile (Ω; 0 merges nodes exactly, as in xbarsolve).

    r_wire : wire segment between neighbouring cells (rows and columns);
    r_source : row driver output resistance; r_sink : column sense-amplifier input resistance.
    linear_cells : False (default) -- 1T-1R cells, the transistor solved with the rest; True --
        passive 1R cells, the memristor alone (the transistor an ideal switch): the same array
        with linear cells, to separate what the wires do from what the transistor does
        (:mod:`neat.compound`).
    """

    r_wire: float = 0.0
    r_source: float = 0.0
    r_sink: float = 0.0
    linear_cells: bool = False

    def __post_init__(self):
        for name in ("r_wire", "r_source", "r_sink"):
            checks.non_negative(name, getattr(self, name), unit="Ω")
        if not isinstance(self.linear_cells, bool):
            raise TypeError(f"linear_cells must be a bool, got {type(self.linear_cells).__name__}")


_TILES: dict = {}
#: Solve each distinct input vector of a tile once (issue 16): the vectors of a forward pass repeat
#: (the all-zero phase-2 vectors of non-negative activations, zero padding, dead ReLUs), and every
#: sample's solve is independent of the others, so the currents are identical.  Used only where
#: no gradient is wanted with respect to the inputs (a duplicate would not receive its own).
#: False: every vector solved, as before issue 16 (for benchmarks).
SHARE_IDENTICAL_INPUTS = True


def tile_crossbar(cell: CellConfig, mapping: MappingConfig, circuit: CircuitConfig) -> Crossbar:
    """The compiled xbarsolve crossbar of one tile (cached per configuration; conductances and
    gate voltage are passed per solve)."""
    key = (cell.physics_key(), mapping.tile_rows, mapping.tile_cols, circuit)
    xb = _TILES.get(key)
    if xb is None:
        if len(_TILES) > 8:
            _TILES.pop(next(iter(_TILES)))
        shape = (mapping.tile_rows, mapping.tile_cols)
        parasitics = dict(r_source=circuit.r_source, r_sink=circuit.r_sink, r_wire=circuit.r_wire,
                          memristor=cell.memristor_model)
        if circuit.linear_cells:
            xb = Crossbar(np.full(shape, cell.g_off), cell="1r", **parasitics)
        else:
            xb = Crossbar(np.full(shape, cell.g_off), cell="1t1r", transistor_side=cell.transistor_side,
                          v_gate=1.0, transistor=cell.transistor, **parasitics)
        _TILES[key] = xb
    return xb


def _tile_currents(crossbar_currents, xb, v_tile, g_tile, v_gate):
    """Column currents (A), (M, tc), of one tile for input vectors ``v_tile`` (M, tr), each distinct
    vector solved once where the inputs need no gradient (:data:`SHARE_IDENTICAL_INPUTS`).
    ``v_gate`` (V) is ignored by a tile of passive cells."""
    parameters = {"conductances": g_tile}
    if xb.cell == "1t1r":
        parameters["v_gate"] = v_gate
    if SHARE_IDENTICAL_INPUTS and not (torch.is_grad_enabled() and v_tile.requires_grad):
        unique, inverse = torch.unique(v_tile, dim=0, return_inverse=True)
        if unique.shape[0] < v_tile.shape[0]:
            return crossbar_currents(xb, unique, **parameters)[inverse]
    return crossbar_currents(xb, v_tile, **parameters)


def circuit_currents(v_pos: torch.Tensor, v_neg: torch.Tensor, g_pos: torch.Tensor, g_neg: torch.Tensor, *,
                     cell: CellConfig, mapping: MappingConfig, circuit: CircuitConfig, v_gate: float) -> torch.Tensor:
    """Differential output currents (A), shape (M, out), of a layer laid onto solved tiles.

    Parameters
    ----------
    v_pos, v_neg : tensors (M, R), V -- phase-1 and phase-2 row voltages (>= 0).
    g_pos, g_neg : tensors (out, R), S -- differential pair conductances, weight layout.
    cell, mapping, circuit : configurations; v_gate : gate voltage (V) of every row.

    Each tile's differential column currents are digitised per phase
    (``mapping.adc_bits``) and the row tiles' partial sums accumulated.
    """
    from xbarsolve.autodiff import crossbar_currents  # torch glue of the adjoint, imported on use

    m, r = v_pos.shape
    out = g_pos.shape[0]
    tr, tc = mapping.tile_rows, mapping.tile_cols
    xb = tile_crossbar(cell, mapping, circuit)
    dtype = torch.promote_types(v_pos.dtype, g_pos.dtype)
    v_all = torch.cat([v_pos, v_neg], dim=0).to(torch.float64)
    columns = []
    for cs in col_tiles(out, tc):
        nc = cs.stop - cs.start
        acc = None
        for rs in row_tiles(r, tr):
            nr = rs.stop - rs.start
            pair = torch.stack([g_pos[cs, rs].T, g_neg[cs, rs].T], dim=-1).reshape(nr, 2 * nc).to(torch.float64)
            g_tile = F.pad(pair, (0, tc - 2 * nc, 0, tr - nr), value=cell.g_off)
            v_tile = F.pad(v_all[:, rs], (0, tr - nr))
            i = _tile_currents(crossbar_currents, xb, v_tile, g_tile, float(v_gate))  # (2M, tc)
            diff = i[:, 0:2 * nc:2] - i[:, 1:2 * nc:2]
            fs = adc_full_scale(nr, cell.v_max, cell.g_on, cell.g_off, mapping.adc_range)
            part = quantize_adc(diff[:m], fs, mapping.adc_bits) - quantize_adc(diff[m:], fs, mapping.adc_bits)
            acc = part if acc is None else acc + part
        columns.append(acc)
    return torch.cat(columns, dim=1).to(dtype)
