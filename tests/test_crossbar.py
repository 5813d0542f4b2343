"""Crossbar API: graph structure, batching, results, overrides, extensibility, errors."""

import networkx as nx
import numpy as np
import pytest
from numba import njit

from xbarsolve import (ConvergenceError, Crossbar, ElementModel, Level1NMOS, NewtonOptions,
                       SinhMemristor)
from xbarsolve.devices import Stamp

RNG = np.random.default_rng(42)
G = RNG.uniform(3.3e-6, 3.3e-5, size=(5, 4))
V = RNG.uniform(-0.1, 0.5, size=(3, 5))
PARASITIC = dict(r_source=100.0, r_sink=50.0, r_wire_row=2.5, r_wire_col=4.0)


def test_graph_has_every_element_with_its_role():
    xb = Crossbar(G, **PARASITIC)
    graph = xb.graph
    assert isinstance(graph, nx.MultiDiGraph)
    roles = {}
    for _, _, d in graph.edges(data=True):
        roles[d["role"]] = roles.get(d["role"], 0) + 1
    rows, cols = G.shape
    assert roles == {"source": rows, "row_wire": rows * (cols - 1), "col_wire": (rows - 1) * cols,
                     "sink": cols, "memristor": rows * cols, "transistor": rows * cols}
    # free nodes: row, column and internal node of every cell
    assert xb.n_free == 3 * rows * cols


def test_batched_solve_equals_one_by_one_and_1d_input_gives_1d_results():
    xb = Crossbar(G, transistor_side="column", v_gate=np.linspace(0.8, 1.2, 5), **PARASITIC)
    batch = xb.solve(V)
    assert batch.column_currents.shape == (3, 4)
    assert batch.row_voltages.shape == (3, 5, 4)
    assert batch.iterations.shape == (3,)
    for s in range(3):
        single = xb.solve(V[s])
        assert single.column_currents.shape == (4,)
        assert single.power["memristor"].shape == (5, 4)
        np.testing.assert_allclose(single.column_currents, batch.column_currents[s], rtol=1e-12)


def test_power_and_current_bookkeeping():
    xb = Crossbar(G, **PARASITIC)
    res = xb.solve(V)
    rows, cols = G.shape
    assert res.power["row_wire"].shape == (3, rows, cols - 1)
    assert res.power["col_wire"].shape == (3, rows - 1, cols)
    # source power equals dissipated power (energy conservation, 1e-9 relative)
    np.testing.assert_allclose(res.delivered_power, res.total_power, rtol=1e-9)
    # sink current of a column is what its sink resistor carries
    col_bottom = res.column_voltages[:, -1, :]
    np.testing.assert_allclose(res.column_currents, col_bottom / PARASITIC["r_sink"], rtol=1e-12)
    # memristor power is G·V² across it (transistor on the row side: mid -> column)
    vm = res.internal_voltages - res.column_voltages
    np.testing.assert_allclose(res.power["memristor"], G * vm ** 2, rtol=1e-9)


def test_per_row_gate_voltage_only_changes_that_row():
    xb = Crossbar(G, v_gate=1.0)
    vg = np.full(5, 1.0)
    vg[2] = 0.7
    a = xb.solve(V[0])
    b = xb.solve(V[0], v_gate=vg)
    changed = ~np.isclose(a.cell_currents, b.cell_currents, rtol=1e-13, atol=0)
    assert changed[2].any() and not np.delete(changed, 2, axis=0).any()


def test_overriding_conductances_equals_rebuilding():
    xb = Crossbar(G, **PARASITIC)
    g2 = G[::-1] * 1.5
    np.testing.assert_allclose(xb.solve(V, conductances=g2).column_currents,
                               Crossbar(g2, **PARASITIC).solve(V).column_currents, rtol=1e-12)


def test_sinh_memristor_crossbar():
    m = SinhMemristor(v0=0.2)
    res = Crossbar(G, cell="1r", memristor=m).solve(V[0])
    expected = (G * 0.2 * np.sinh(V[0][:, None] / 0.2)).sum(axis=0)
    np.testing.assert_allclose(res.column_currents, expected, rtol=1e-13)


# A user-defined model: a memristor with a cubic term, I = G·(V + V³/Vc²).
@njit
def _cubic_evaluate(va, vb, p):
    v = va - vb
    i = p[0] * (v + v ** 3 / p[1] ** 2)
    d = p[0] * (1 + 3 * v * v / p[1] ** 2)
    return Stamp(i, -i, d, -d, -d, d)


class CubicMemristor(ElementModel):
    param_names = ("conductance", "v_c")
    evaluate = staticmethod(_cubic_evaluate)

    def element_parameters(self, *, conductance):
        return np.array([conductance, 0.3])


def test_user_defined_model_plugs_in_without_touching_the_solver():
    res = Crossbar(G, cell="1r", memristor=CubicMemristor(), r_wire=1.0, r_sink=10.0).solve(V)
    # check KCL at the internal structure indirectly: 1R cell current from the node voltages
    dv = res.row_voltages - res.column_voltages
    np.testing.assert_allclose(res.cell_currents, G * (dv + dv ** 3 / 0.09), rtol=1e-10)
    np.testing.assert_allclose(res.source_currents.sum(1), res.column_currents.sum(1), rtol=1e-9)


@njit
def _positional_evaluate(va, vb, p):  # the pre-Stamp protocol: a plain tuple
    i = p[0] * (va - vb)
    return i, -i, p[0], -p[0], -p[0], p[0]


class PositionalMemristor(CubicMemristor):
    evaluate = staticmethod(_positional_evaluate)


def test_a_model_returning_a_plain_tuple_gets_a_clear_error():
    with pytest.raises(TypeError, match=r"PositionalMemristor.evaluate must return xbarsolve.devices.Stamp"):
        Crossbar(G, cell="1r", memristor=PositionalMemristor()).solve(V)


def test_non_convergence_raises_typed_error_with_diagnostics():
    opts = NewtonOptions(max_iterations=1, gmin_steps=(), source_min_step=0.5)
    xb = Crossbar(G, options=opts, **PARASITIC)
    with pytest.raises(ConvergenceError) as info:
        xb.solve(V)
    err = info.value
    assert err.stage == "source stepping"
    assert err.samples.tolist() == [0, 1, 2]
    assert (err.iterations >= 1).all() and (err.residual_norm > 0).all()


def test_unconverged_answer_is_never_returned_even_for_hard_inputs():
    card = Level1NMOS(vto=0.5, kp=1e-3, gamma=0.5, lambda_=0.1, w=1e-6, l=1e-6)
    xb = Crossbar(np.full((3, 3), 1e-3), transistor=card, v_gate=0.55, r_wire=1000.0, r_source=1000.0,
                  r_sink=1000.0)
    res = xb.solve(np.array([[20.0, -15.0, 8.0]]))
    np.testing.assert_allclose(res.delivered_power, res.total_power, rtol=1e-8)


@pytest.mark.parametrize("kwargs, error, fragment", [
    (dict(conductances=-G), ValueError, "conductances must be >= 0"),
    (dict(conductances=np.full((2, 2), np.nan)), ValueError, "conductances must be finite"),
    (dict(conductances=np.ones(3)), ValueError, "2-D"),
    (dict(conductances=G, cell="2t2r"), ValueError, "cell must be one of"),
    (dict(conductances=G, transistor_side="middle"), ValueError, "transistor_side must be one of"),
    (dict(conductances=G, r_wire=-1.0), ValueError, "r_wire must be >= 0"),
    (dict(conductances=G, r_source=np.ones(3)), ValueError, "r_source must be a scalar or have shape (5,)"),
    (dict(conductances=G, v_gate="high"), TypeError, "v_gate must be a number"),
    (dict(conductances=G, transistor="nmos"), TypeError, "transistor must be an NMOSModel"),
])
def test_bad_construction_arguments(kwargs, error, fragment):
    with pytest.raises(error, match=None) as info:
        Crossbar(**kwargs)
    assert fragment in str(info.value)


def test_bad_inputs_to_solve():
    xb = Crossbar(G)
    with pytest.raises(ValueError, match="crossbar has 5 rows"):
        xb.solve(np.ones((2, 4)))
    with pytest.raises(ValueError, match="finite"):
        xb.solve(np.full(5, np.inf))
    with pytest.raises(ValueError, match="must have shape"):
        xb.solve(np.ones(5), conductances=np.ones((4, 5)))
    with pytest.raises(ValueError, match="w must be finite and > 0"):
        Level1NMOS(w=0.0)
    with pytest.raises(ValueError, match="no gates"):
        Crossbar(G, cell="1r").solve(np.ones(5), v_gate=1.0)


def test_linear_solver_backends_agree():
    results = [Crossbar(G, options=NewtonOptions(linear_solver=b), **PARASITIC).solve(V)
               for b in ("lu", "superlu", "krylov")]
    for other in results[1:]:
        np.testing.assert_allclose(other.column_currents, results[0].column_currents, rtol=1e-12)
        assert other.iterations.tolist() == results[0].iterations.tolist()


def test_crossbar_keeps_its_own_copies_of_the_caller_arrays():
    """Issue 17 item 2: a caller changing its float64 arrays in place after construction changes
    neither the crossbar nor its solutions; the crossbar's own arrays are read-only."""
    g, vg = G.copy(), np.linspace(0.9, 1.1, 5)
    r_source, r_sink = np.full(5, 100.0), np.full(4, 50.0)
    xb = Crossbar(g, v_gate=vg, r_source=r_source, r_sink=r_sink, r_wire=2.5)
    before = xb.solve(V).column_currents
    for arr in (g, vg, r_source, r_sink):
        arr *= 1.7
    np.testing.assert_array_equal(xb.conductances, G)
    np.testing.assert_array_equal(xb.v_gate, np.linspace(0.9, 1.1, 5))
    np.testing.assert_array_equal(xb.solve(V).column_currents, before)
    for name in ("conductances", "v_gate", "r_source", "r_sink"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(xb, name)[0] = 0.0


def test_gate_lines_along_columns():
    """Issue 12 item 3: one gate voltage per column.  With ideal wires the cells decouple: a
    column's gate changes that column's cells only; a scalar gate voltage means the same
    circuit whichever way the lines run; the graph connects each gate to its column's line."""
    rows, cols = G.shape
    base = Crossbar(G, gate_lines="columns", v_gate=1.0)
    assert base.v_gate.shape == (cols,)
    np.testing.assert_array_equal(base.solve(V).cell_currents, Crossbar(G, v_gate=1.0).solve(V).cell_currents)
    vg = np.full(cols, 1.0)
    vg[1] = 0.7
    a = base.solve(V[0])
    b = base.solve(V[0], v_gate=vg)
    changed = ~np.isclose(a.cell_currents, b.cell_currents, rtol=1e-13, atol=0)
    assert changed[:, 1].any() and not np.delete(changed, 1, axis=1).any()
    # overriding equals building with the new gates, with parasitics and either transistor side
    for side in ("row", "column"):
        xb = Crossbar(G, gate_lines="columns", transistor_side=side, v_gate=1.0, **PARASITIC)
        np.testing.assert_allclose(
            xb.solve(V, v_gate=vg).column_currents,
            Crossbar(G, gate_lines="columns", transistor_side=side, v_gate=vg,
                     **PARASITIC).solve(V).column_currents,
            rtol=1e-12)
    lines = {(d["index"], d["gate_line"]) for _, _, d in base.graph.edges(data=True)
             if d["role"] == "transistor"}
    assert lines == {((i, j), j) for i in range(rows) for j in range(cols)}


def test_empty_batch_gives_empty_results():
    """Issue 17 item 5: a (0, rows) batch is valid, as for torch.nn.Linear, with empty results."""
    for kw in (dict(), PARASITIC, dict(cell="1r", r_sink=3.0)):
        res = Crossbar(G, **kw).solve(np.zeros((0, 5)))
        assert res.column_currents.shape == (0, 4) and res.cell_currents.shape == (0, 5, 4)
        assert res.power["memristor"].shape == (0, 5, 4) and res.total_power.shape == (0,)
        assert res.iterations.shape == (0,) and res.strategy == []


def test_converged_means_kcl_to_reltol_whatever_abstol_and_vntol():
    """Issue 17 item 4: NewtonOptions(abstol=1.0, vntol=1.0) once returned a first iterate, 8.8 %
    wrong, labelled converged.  The absolute tolerances are capped by the circuit's own current and
    voltage scales, so the answer equals the default one to Newton's tolerance (reltol = 1e-9)."""
    g = np.full((4, 4), 1e-4)
    v = np.full(4, 0.3)
    for kw in (dict(r_source=100.0, r_sink=100.0, r_wire=10.0), dict()):  # Newton, decoupled fast path
        ref = Crossbar(g, **kw).solve(v).column_currents
        loose = Crossbar(g, options=NewtonOptions(abstol=1.0, vntol=1.0), **kw).solve(v).column_currents
        np.testing.assert_allclose(loose, ref, rtol=1e-9)
