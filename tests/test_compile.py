"""Crossbars compiled from arrays equal crossbars compiled from their graph (issue 15).

White-box by design: the two compilers are internal, and the property is that they agree
exactly -- node numbers, element order and groups, parameters, sparsity pattern, sides, the
layout's node codes and role elements -- so that a hand-edited graph (the general path) and a
crossbar (the fast path) are the same circuit to the solver.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies as S
from xbarsolve import Crossbar
from xbarsolve._layout import CrossbarLayout
from xbarsolve._netlist import compile_netlist, kernel_functions


def assert_same_netlist(xb: Crossbar):
    fast, layout = xb.netlist, xb.layout
    general = compile_netlist(xb.graph)
    assert fast.n_free == general.n_free
    assert fast.fixed_sources == general.fixed_sources
    assert fast.role_names == general.role_names
    for name in ("indptr", "indices", "diag_slots", "free_side"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(general, name), err_msg=name)
    assert len(fast.groups) == len(general.groups)
    for a, b in zip(fast.groups, general.groups):
        assert kernel_functions(a.model) == kernel_functions(b.model)
        assert type(a.model) is type(b.model)
        for name in ("term_a", "term_b", "params", "slots", "role", "index"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    # the layout read from the graph-compiled netlist equals the one compiled with the arrays
    rows, cols = xb.shape
    from_graph = CrossbarLayout.from_netlist(general, rows, cols, xb.cell)
    for name in ("input_codes", "output_codes", "row_codes", "column_codes", "internal_codes",
                 "fixed_input_row"):
        np.testing.assert_array_equal(getattr(layout, name), getattr(from_graph, name), err_msg=name)
    assert layout.roles.keys() == from_graph.roles.keys()
    for role, el in layout.roles.items():
        other = from_graph.roles[role]
        assert el.group == other.group
        np.testing.assert_array_equal(el.positions, other.positions)
        assert len(el.index) == len(other.index)
        for x, y in zip(el.index, other.index):
            np.testing.assert_array_equal(x, y)


@settings(max_examples=max(20, settings.default.max_examples // 2))
@given(S.crossbar_specs(max_side=6), st.sampled_from(["rows", "columns"]))
def test_array_and_graph_compilers_give_the_identical_netlist(spec, gate_lines):
    """Random crossbars: both cell types and transistor sides, gate lines along rows or
    columns, every model, parasitics 0 Ω (merged nodes) or not, per row/column or scalar."""
    overrides = {}
    if spec.cell == "1t1r" and gate_lines == "columns":
        overrides = dict(gate_lines="columns", v_gate=np.linspace(0.7, 1.3, spec.shape[1]))
    assert_same_netlist(spec.build(**overrides))


def test_identical_netlist_for_the_corner_layouts():
    """One row, one column, one cell, every wire merged, every node fixed."""
    g = np.full((1, 1), 1e-5)
    for kw in (dict(), dict(r_source=1.0), dict(r_sink=1.0), dict(r_wire=1.0), dict(cell="1r"),
               dict(cell="1r", r_source=2.0, r_sink=3.0)):
        assert_same_netlist(Crossbar(g, **kw))
    for shape in ((1, 5), (5, 1)):
        for kw in (dict(r_wire=1.0), dict(r_source=1.0, r_sink=2.0, r_wire_row=0.0, r_wire_col=1.0),
                   dict(transistor_side="column", r_source=[1.0] * shape[0], r_sink=0.0, r_wire=3.0)):
            assert_same_netlist(Crossbar(np.full(shape, 1e-5), **kw))
