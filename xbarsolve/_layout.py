"""Where a crossbar's parts live in its compiled netlist: nodes by (row, column), elements by role.

Parameters (:mod:`xbarsolve._parameters`), read-outs (:mod:`xbarsolve._readout`) and the
SPICE export address the circuit as a crossbar -- "the memristor of cell (i, j)", "the column
wire node at (i, j)" -- while the solver sees terminal codes and element groups.  A
:class:`CrossbarLayout` is the map between the two, as index arrays, built once per crossbar.

Terminal codes are those of :mod:`xbarsolve._netlist`: ``k >= 0`` is free node ``k``,
``k < 0`` fixed terminal ``-k - 1``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._netlist import ROLES  # noqa: F401  (the element roles; see :mod:`xbarsolve._topology`)


@dataclass(frozen=True)
class RoleElements:
    """The elements of one role: all in element group ``group``, at ``positions`` in it.

    ``index``: the role's index of each element as int64 arrays -- ``(i,)`` for sources,
    ``(j,)`` for sinks, ``(i, j)`` otherwise (a row wire (i, j) joins cells (i, j−1) and
    (i, j); a column wire (i, j) joins cells (i−1, j) and (i, j)).
    """

    group: int
    positions: np.ndarray
    index: tuple


@dataclass(frozen=True)
class CrossbarLayout:
    """Node codes and role elements of a compiled rows × cols crossbar.

    ``input_codes`` (rows,) and ``output_codes`` (cols,): the row drivers and the column
    virtual grounds; ``row_codes``, ``column_codes`` and ``internal_codes`` (rows, cols): the
    row-wire, column-wire and internal (1T-1R only, else None) node of each cell;
    ``fixed_input_row`` (n_fixed,): for each fixed terminal the input row it carries, −1 for a
    constant voltage; ``roles``: role name -> :class:`RoleElements` (absent roles have no
    elements: every segment 0 Ω, or no transistors).
    """

    rows: int
    cols: int
    input_codes: np.ndarray
    output_codes: np.ndarray
    row_codes: np.ndarray
    column_codes: np.ndarray
    internal_codes: np.ndarray | None
    fixed_input_row: np.ndarray
    roles: dict

    @classmethod
    def from_netlist(cls, netlist, rows: int, cols: int, cell: str) -> "CrossbarLayout":
        """The layout of a netlist compiled from a crossbar graph (:mod:`xbarsolve._topology`),
        read from its node codes and the ``role``/``index`` of its elements."""
        code = netlist.node_code

        def grid(kind):
            return np.array([[code[(kind, i, j)] for j in range(cols)] for i in range(rows)], dtype=np.int64)

        roles = {}
        for gid, group in enumerate(netlist.groups):
            for role_code in np.unique(group.role[group.role >= 0]):
                role = netlist.role_names[role_code]
                if role in roles:
                    raise ValueError(f"role {role} spans several element groups")
                pos = np.flatnonzero(group.role == role_code).astype(np.int64)
                width = 1 if role in ("source", "sink") else 2
                roles[role] = RoleElements(gid, pos, tuple(group.index[pos, k].copy() for k in range(width)))
        fixed_input_row = np.array([v if kind == "input" else -1 for kind, v in netlist.fixed_sources],
                                   dtype=np.int64)
        inputs = np.array([code[("in", i)] for i in range(rows)], dtype=np.int64)
        outputs = np.array([code[("out", j)] for j in range(cols)], dtype=np.int64)
        return cls(rows, cols, inputs, outputs, grid("row"), grid("col"),
                   grid("mid") if cell == "1t1r" else None, fixed_input_row, roles)
