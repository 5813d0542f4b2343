"""Crossbar description → circuit graph (networkx), built on demand (``Crossbar.graph``).

The solver compiles crossbars straight from their arrays (:mod:`xbarsolve._compile`); this
graph is the same circuit as a :class:`networkx.MultiDiGraph`, for inspection, for editing
by hand and compiling with :func:`xbarsolve._netlist.compile_netlist` (which gives the
identical netlist for an unedited crossbar graph), and for the SPICE export.

Nodes (hashable tuples):

* ``("in", i)``       -- driver of row i, a fixed terminal at the input voltage;
* ``("out", j)``      -- virtual ground of column j, a fixed terminal at 0 V;
* ``("row", i, j)``   -- the row wire where it meets cell (i, j);
* ``("col", i, j)``   -- the column wire where it meets cell (i, j);
* ``("mid", i, j)``   -- the node between transistor and memristor of a 1T-1R cell.

Fixed terminals carry the node attribute ``fixed``: ``("input", i)`` or
``("voltage", value_in_volts)``.  Every node carries ``side``: ``"row"`` for
drivers and row wires, ``"column"`` for column wires and virtual grounds, and
for a cell's internal node the side of its transistor.  Only memristors join
the two sides, which is what the Krylov solver's preconditioner exploits
(:mod:`xbarsolve._krylov`).

Edges of the :class:`networkx.MultiDiGraph` run from terminal *a* to terminal
*b* of an element (drain to source for a transistor).  Each edge has the
attributes ``model`` (an :class:`~xbarsolve.devices.ElementModel`, or ``None``
for an ideal 0 Ω wire that merges its nodes), ``values`` (keyword arguments of
``model.element_parameters``), ``role`` and ``index`` (attribute dictionaries may be shared
between edges: treat them as read-only):

=============  ==========  ==================================================
role           index       connects
=============  ==========  ==================================================
``source``     (i,)        ("in", i) → ("row", i, 0)
``row_wire``   (i, j)      ("row", i, j−1) → ("row", i, j), j = 1…cols−1
``col_wire``   (i, j)      ("col", i−1, j) → ("col", i, j), i = 1…rows−1
``sink``       (j,)        ("col", rows−1, j) → ("out", j)
``memristor``  (i, j)      the memristor of cell (i, j)
``transistor`` (i, j)      the NMOS of cell (i, j), drain first; its edge also
                           carries ``gate_line``: the row i or the column j
                           whose gate line drives it (``gate_lines``)
=============  ==========  ==================================================

Row drivers sit at column 0, sense amplifiers below row rows−1; the wire
segments lie between neighbouring cells.  With the transistor on the row side
a cell is row → NMOS → mid → memristor → column; on the column side it is
row → memristor → mid → NMOS → column.
"""
from __future__ import annotations

import numpy as np


def _resistor(a, b, resistance, role, index, resistor_model):
    """The edge (a, b, attributes) of a resistor; 0 Ω is an ideal wire (model None)."""
    if resistance == 0.0:
        return a, b, {"model": None, "values": {}, "role": role, "index": index}
    return a, b, {"model": resistor_model, "values": {"resistance": float(resistance)}, "role": role,
                  "index": index}


def build_crossbar_graph(conductances: np.ndarray, *, cell: str, transistor_side: str, gate_lines: str,
                         v_gate: np.ndarray, r_source: np.ndarray, r_sink: np.ndarray,
                         r_wire_row: float, r_wire_col: float, memristor, transistor,
                         resistor_model):
    """Build the circuit graph of a validated crossbar description.

    ``conductances`` (S) has shape (rows, cols); ``v_gate`` (V) one value per gate line,
    (rows,) or (cols,) as ``gate_lines`` ("rows" or "columns") says;
    ``r_source`` (Ω) shape (rows,); ``r_sink`` (Ω) shape (cols,); wire
    resistances are per segment (Ω).  Arguments are assumed validated
    (see :class:`xbarsolve.Crossbar`).  Nodes and edges are added in bulk, in a
    fixed order (drivers, grounds, wire nodes, cell nodes; sources and row
    wires, column wires and sinks, cells).
    """
    import networkx as nx  # (imported on use: solving a crossbar never needs it)

    rows, cols = conductances.shape
    graph = nx.MultiDiGraph(rows=rows, cols=cols, cell=cell, transistor_side=transistor_side,
                            gate_lines=gate_lines)
    nodes = [(("in", i), {"fixed": ("input", i), "side": "row"}) for i in range(rows)]
    nodes += [(("out", j), {"fixed": ("voltage", 0.0), "side": "column"}) for j in range(cols)]
    for i in range(rows):
        for j in range(cols):
            nodes.append((("row", i, j), {"side": "row"}))
            nodes.append((("col", i, j), {"side": "column"}))
    if cell == "1t1r":
        nodes += [(("mid", i, j), {"side": transistor_side}) for i in range(rows) for j in range(cols)]
    graph.add_nodes_from(nodes)

    edges = []
    for i in range(rows):
        edges.append(_resistor(("in", i), ("row", i, 0), r_source[i], "source", (i,), resistor_model))
        edges += [_resistor(("row", i, j - 1), ("row", i, j), r_wire_row, "row_wire", (i, j), resistor_model)
                  for j in range(1, cols)]
    for j in range(cols):
        edges += [_resistor(("col", i - 1, j), ("col", i, j), r_wire_col, "col_wire", (i, j), resistor_model)
                  for i in range(1, rows)]
        edges.append(_resistor(("col", rows - 1, j), ("out", j), r_sink[j], "sink", (j,), resistor_model))

    for i in range(rows):
        for j in range(cols):
            line = i if gate_lines == "rows" else j
            gate = {"v_gate": float(v_gate[line]), "v_body": 0.0}
            row, col, mid = ("row", i, j), ("col", i, j), ("mid", i, j)
            g = {"conductance": float(conductances[i, j])}
            if cell == "1r":
                edges.append((row, col, {"model": memristor, "values": g, "role": "memristor", "index": (i, j)}))
                continue
            transistor_edge = {"model": transistor, "values": gate, "role": "transistor", "index": (i, j),
                               "gate_line": line}
            memristor_edge = {"model": memristor, "values": g, "role": "memristor", "index": (i, j)}
            if transistor_side == "row":
                edges += [(row, mid, transistor_edge), (mid, col, memristor_edge)]
            else:
                edges += [(row, mid, memristor_edge), (mid, col, transistor_edge)]
    graph.add_edges_from(edges)
    return graph
