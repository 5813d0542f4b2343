"""Named results of a crossbar DC solve."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class OperatingPoint:
    """The raw converged state of a batched solve.

    equations -- the :class:`~xbarsolve._assembly.CircuitEquations` solved
    (with the element parameters used); result -- the
    :class:`~xbarsolve._newton.NewtonResult` (free node voltages ``x`` (V) and
    the linear solver's state of each sample's final Jacobian); fixed_voltages --
    (batch, n_fixed) V; v_in -- (batch, rows) V.
    """

    equations: object
    result: object
    fixed_voltages: np.ndarray
    v_in: np.ndarray


@dataclass
class CrossbarSolution:
    """The DC operating point of a crossbar, for every input vector of a batch.

    Shapes are for a batch of B input vectors on a rows × cols crossbar; a
    1-D input gives the same arrays without the leading batch axis.  Results left out by
    ``Crossbar.solve(..., outputs=...)`` are None.  Results that do not exist for passive 1R
    cells (``internal_voltages``, ``gate_currents``, ``body_currents``) are read-only all-NaN
    views that take no memory.

    Attributes
    ----------
    column_currents : (B, cols) A
        Current into each column's virtual ground (positive from rows to columns).
    source_currents : (B, rows) A
        Current delivered by each row driver.
    row_voltages, column_voltages : (B, rows, cols) V
        Row-wire and column-wire node voltages at each cell.
    internal_voltages : (B, rows, cols) V
        Node between transistor and memristor (NaN for passive 1R cells).
    cell_currents : (B, rows, cols) A
        Current flowing from the row wire into each cell.
    cell_output_currents : (B, rows, cols) A
        Current flowing out of each cell into the column wire: the cell current less what
        the transistor's gate and body take (equal to ``cell_currents`` for 1R cells and for
        transistors without gate or body current).
    gate_currents, body_currents : (B, rows, cols) A
        Current flowing into each transistor's gate and body terminal (NaN for 1R cells):
        BSIM4 gate tunnelling, junction, GIDL and impact-ionisation currents (0 and the junction
        leakage for the level-1 and BSIM-like models).  Kirchhoff's current law per cell:
        ``cell_currents + gate_currents + body_currents == cell_output_currents``.
    gate_line_currents : (B, lines) A
        Current delivered by each gate driver (one per row, or per column with
        ``gate_lines="columns"``; (B, 0) for 1R cells): the sum of its transistors' gate currents.
    power : dict of arrays, W
        Power dissipated in every element, by role: ``source`` (B, rows),
        ``row_wire`` (B, rows, cols−1; segment j−1→j at [..., j−1]),
        ``col_wire`` (B, rows−1, cols; segment i−1→i at [..., i−1, :]),
        ``sink`` (B, cols), ``memristor`` and ``transistor`` (B, rows, cols).
        Ideal (0 Ω) wires dissipate 0.
    total_power : (B,) W
        Sum of all element powers.
    delivered_power : (B,) W
        Power delivered by the row drivers, Σ V_in·I_source, plus that of the gate drivers and
        the body contact, Σ V_G·I_G + V_B·I_B (1T-1R): equal to ``total_power``.
    iterations : (B,) int
        Newton iterations used (all strategies together).
    strategy : list of str
        Which strategy converged for each sample: "newton", "linear" (a circuit of linear
        elements, one factorization for the batch), "decoupled", "gmin stepping"
        or "source stepping".
    """

    column_currents: np.ndarray
    source_currents: np.ndarray
    row_voltages: np.ndarray
    column_voltages: np.ndarray
    internal_voltages: np.ndarray
    cell_currents: np.ndarray
    cell_output_currents: np.ndarray
    gate_currents: np.ndarray
    body_currents: np.ndarray
    gate_line_currents: np.ndarray
    power: dict
    total_power: np.ndarray
    delivered_power: np.ndarray
    iterations: np.ndarray
    strategy: list

    def squeezed(self) -> "CrossbarSolution":
        """The same solution without the batch axis (for a batch of one)."""
        def first(value):
            if value is None:
                return None
            if isinstance(value, dict):
                return {k: v[0] for k, v in value.items()}
            return value[0]

        return CrossbarSolution(**{name: first(getattr(self, name)) for name in self.__dataclass_fields__})

    @classmethod
    def stacked(cls, parts: list, batch: int) -> "CrossbarSolution":
        """One solution of ``batch`` samples from solutions of consecutive chunks of the batch
        (results left out (None) stay out; read-only all-NaN views stay views)."""
        if len(parts) == 1:
            return parts[0]

        def stack(values):
            head = values[0]
            if head is None:
                return None
            if isinstance(head, dict):
                return {k: stack([v[k] for v in values]) for k in head}
            if isinstance(head, list):
                return [item for v in values for item in v]
            if not head.flags.writeable and head.size and np.isnan(head.flat[0]):
                return np.broadcast_to(np.nan, (batch,) + head.shape[1:])
            return np.concatenate(values, axis=0)

        return cls(**{name: stack([getattr(p, name) for p in parts]) for name in cls.__dataclass_fields__})
