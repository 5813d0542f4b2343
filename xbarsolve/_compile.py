"""A crossbar compiled straight from its arrays: the netlist and its layout, in vectorised numpy.

The result is identical -- node numbers, element order, groups, parameters, sparsity pattern
-- to compiling the crossbar's graph (:func:`xbarsolve._topology.build_crossbar_graph`, then
:func:`xbarsolve._netlist.compile_netlist`), without building the graph: no Python object per
node or element, so a 1024 × 1024 crossbar (3 M unknowns, 4 M elements) compiles in seconds.
What "identical" requires is spelled out here once:

* nodes, in the graph's order: drivers ``in_i``, virtual grounds ``out_j`` (the fixed
  terminals, numbered i and rows + j), then ``row(i, j)``, ``col(i, j)`` interleaved
  row-major, then the internal nodes ``mid(i, j)``; ideal (0 Ω) wires merge nodes; free
  electrical nodes are numbered in order of first appearance;
* elements, in the graph's edge order (by tail node, then in insertion order): ``source(i)``
  from ``in_i``; from ``row(i, j)`` the row wire to ``row(i, j+1)``, then the cell's first
  element; from ``col(i, j)`` the column wire to ``col(i+1, j)`` or, in the last row, the sink;
  from ``mid(i, j)`` the cell's second element; 0 Ω wires are no elements;
* groups by kernel functions in order of first appearance, elements in order within each.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._layout import CrossbarLayout, RoleElements
from ._netlist import ROLES, CompiledNetlist, ElementGroup, sparsity_pattern, kernel_functions, unique_int


def _node_codes(rows, cols, cell, r_source, r_sink, r_wire_row, r_wire_col):
    """Terminal codes of the row, column and internal nodes ((rows, cols) each; None for 1R internal
    nodes) and the number of free nodes."""
    i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    # the representative of each node's electrical node, and whether that holds a fixed terminal
    row_rep = np.zeros_like(j) if r_wire_row == 0 else j  # merged rows: the driver end
    row_fixed = (row_rep == 0) & (r_source[i] == 0)
    col_rep = np.full_like(i, rows - 1) if r_wire_col == 0 else i  # merged columns: the sink end
    col_fixed = (col_rep == rows - 1) & (r_sink[j] == 0)
    n_cells = rows * cols
    row_key = np.where(row_fixed, -1, i * cols + row_rep)
    col_key = np.where(col_fixed, -1, n_cells + col_rep * cols + j)
    sequence = np.stack([row_key, col_key], axis=-1).reshape(-1)  # row(i,j), col(i,j) interleaved
    if cell == "1t1r":
        sequence = np.concatenate([sequence, 2 * n_cells + np.arange(n_cells)])
    free = sequence[sequence >= 0]
    keys, first = unique_int(free, return_first=True)
    number = np.full(3 * n_cells, -1, dtype=np.int64)
    number[keys[np.argsort(first)]] = np.arange(keys.size)  # order of first appearance
    row_codes = np.where(row_fixed, -i - 1, number[np.maximum(row_key, 0)])
    col_codes = np.where(col_fixed, -(rows + j) - 1, number[np.maximum(col_key, 0)])
    mid_codes = number[2 * n_cells + i * cols + j] if cell == "1t1r" else None
    return row_codes.astype(np.int64), col_codes.astype(np.int64), mid_codes, int(keys.size)


class _Part(NamedTuple):
    """The elements of one role: their model, where they come in the graph's edge order, their
    terminals, their role index (i, j; j = −1 for sources and sinks' j in place of i) and the
    keyword arrays their parameters are packed from."""

    role: str
    model: object
    sort_key: np.ndarray
    term_a: np.ndarray
    term_b: np.ndarray
    index: tuple
    values: dict

    @property
    def size(self) -> int:
        return int(self.sort_key.size)


def compile_crossbar(conductances: np.ndarray, *, cell: str, transistor_side: str, gate_lines: str,
                     v_gate: np.ndarray, r_source: np.ndarray, r_sink: np.ndarray, r_wire_row: float,
                     r_wire_col: float, memristor, transistor, resistor_model):
    """The :class:`~xbarsolve._netlist.CompiledNetlist` and :class:`~xbarsolve._layout.CrossbarLayout`
    of a validated crossbar description (arguments as :func:`xbarsolve._topology.build_crossbar_graph`)."""
    rows, cols = conductances.shape
    n_cells = rows * cols
    row_codes, col_codes, mid_codes, n_free = _node_codes(rows, cols, cell, r_source, r_sink, r_wire_row,
                                                          r_wire_col)
    input_codes = -np.arange(rows, dtype=np.int64) - 1
    output_codes = -(rows + np.arange(cols, dtype=np.int64)) - 1

    # Node positions in the graph's node order; an element's sort key is twice the position of the
    # node it leaves, plus one for a row node's second out-edge (the cell after the row wire).
    cell_id = np.arange(n_cells).reshape(rows, cols)
    row_node = rows + cols + 2 * cell_id
    col_node = row_node + 1
    mid_node = rows + cols + 2 * n_cells + cell_id
    ii, jj = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")

    parts = []
    keep = r_source > 0
    i = np.arange(rows)[keep]
    parts.append(_Part("source", resistor_model, 2 * i, input_codes[keep], row_codes[keep, 0],
                       (i, np.full(i.size, -1)), {"resistance": r_source[keep]}))
    if r_wire_row > 0 and cols > 1:
        i, j = ii[:, 1:].ravel(), jj[:, 1:].ravel()
        parts.append(_Part("row_wire", resistor_model, 2 * row_node[i, j - 1], row_codes[i, j - 1],
                           row_codes[i, j], (i, j), {"resistance": np.full(i.size, r_wire_row)}))
    if r_wire_col > 0 and rows > 1:
        i, j = ii[1:, :].ravel(), jj[1:, :].ravel()
        parts.append(_Part("col_wire", resistor_model, 2 * col_node[i - 1, j], col_codes[i - 1, j],
                           col_codes[i, j], (i, j), {"resistance": np.full(i.size, r_wire_col)}))
    keep = r_sink > 0
    j = np.arange(cols)[keep]
    parts.append(_Part("sink", resistor_model, 2 * col_node[rows - 1, j], col_codes[rows - 1, j],
                       output_codes[keep], (j, np.full(j.size, -1)), {"resistance": r_sink[keep]}))
    i, j = ii.ravel(), jj.ravel()
    g = {"conductance": conductances.ravel()}
    if cell == "1r":
        parts.append(_Part("memristor", memristor, 2 * row_node.ravel() + 1, row_codes.ravel(),
                           col_codes.ravel(), (i, j), g))
    else:
        gates = {"v_gate": v_gate[i] if gate_lines == "rows" else v_gate[j]}
        cell_models = (("transistor", transistor, gates), ("memristor", memristor, g))
        (role1, model1, values1), (role2, model2, values2) = (
            cell_models if transistor_side == "row" else cell_models[::-1])
        parts.append(_Part(role1, model1, 2 * row_node.ravel() + 1, row_codes.ravel(), mid_codes.ravel(),
                           (i, j), values1))
        parts.append(_Part(role2, model2, 2 * mid_node.ravel(), mid_codes.ravel(), col_codes.ravel(),
                           (i, j), values2))

    # Every element in the graph's edge order.
    order = np.argsort(np.concatenate([p.sort_key for p in parts]), kind="stable")
    term_a = np.concatenate([p.term_a for p in parts])[order]
    term_b = np.concatenate([p.term_b for p in parts])[order]
    role_of = np.concatenate([np.full(p.size, ROLES.index(p.role), dtype=np.int64) for p in parts])[order]
    index = np.stack([np.concatenate([p.index[k] for p in parts]) for k in (0, 1)], axis=1)
    index = index.astype(np.int64)[order]
    indptr, indices, slots, diag_slots = sparsity_pattern(n_free, term_a, term_b)

    # Groups by kernel functions, in order of first appearance.
    family_of_part = [kernel_functions(p.model) for p in parts]
    families = list(dict.fromkeys(family_of_part))
    element_family = np.concatenate([np.full(p.size, families.index(f), dtype=np.int64)
                                     for p, f in zip(parts, family_of_part)])[order]
    first_seen = [np.flatnonzero(element_family == f)[0] if (element_family == f).any() else np.inf
                  for f in range(len(families))]
    landing = np.empty(order.size, dtype=np.int64)
    landing[order] = np.arange(order.size)  # where each element (parts concatenated) lands in the order
    offsets = np.cumsum([0] + [p.size for p in parts])
    groups, roles = [], {}
    for f in sorted(range(len(families)), key=lambda f: first_seen[f]):
        members = np.flatnonzero(element_family == f)
        if members.size == 0:
            continue
        gid = len(groups)
        first_part = int(np.searchsorted(offsets, order[members[0]], side="right")) - 1
        model = parts[first_part].model  # the model of the group's first element
        params = None
        where = np.full(order.size, -1, dtype=np.int64)
        where[members] = np.arange(members.size)  # position in the group of each element (global order)
        for k, (part, family) in enumerate(zip(parts, family_of_part)):
            if family != families[f] or part.size == 0:
                continue
            pos = where[landing[offsets[k]:offsets[k + 1]]]
            packed = part.model.element_parameter_array(**part.values)
            if pos.size == members.size and np.array_equal(pos, np.arange(pos.size)):
                params = np.ascontiguousarray(packed, dtype=float)  # the whole group, in order: no copy
            else:
                if params is None:
                    params = np.empty((members.size, len(model.param_names)))
                params[pos] = packed
            width = 1 if part.role in ("source", "sink") else 2
            roles[part.role] = RoleElements(gid, pos, tuple(np.asarray(c, dtype=np.int64)
                                                            for c in part.index[:width]))
        groups.append(ElementGroup(model, term_a[members], term_b[members], params, slots[members],
                                   role_of[members], index[members]))

    free_side = np.empty(n_free, dtype=np.int64)
    free_side[row_codes[row_codes >= 0]] = 0
    free_side[col_codes[col_codes >= 0]] = 1
    if mid_codes is not None:
        free_side[mid_codes.ravel()] = 0 if transistor_side == "row" else 1
    netlist = CompiledNetlist(n_free=n_free, fixed_sources=[("input", i) for i in range(rows)]
                              + [("voltage", 0.0)] * cols, groups=groups, indptr=indptr, indices=indices,
                              diag_slots=diag_slots, free_side=free_side, role_names=ROLES)
    fixed_input_row = np.concatenate([np.arange(rows), np.full(cols, -1)]).astype(np.int64)
    layout = CrossbarLayout(rows, cols, input_codes, output_codes, row_codes, col_codes, mid_codes,
                            fixed_input_row, roles)
    return netlist, layout
