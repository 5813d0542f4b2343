"""Exact checks of the crossbar solver against closed forms and independent solves."""
import math

import numpy as np
import pytest

from xbarsolve import Crossbar, Level1NMOS, LinearMemristor


def test_passive_1r_without_parasitics_is_v_times_g():
    rng = np.random.default_rng(0)
    g = 10 ** rng.uniform(-7, -3, size=(9, 7))
    v = rng.uniform(-0.5, 0.5, size=(5, 9))
    res = Crossbar(g, cell="1r").solve(v)
    # every node is fixed: the currents are a single multiply-add each (1e-12 leaves room
    # only for the summation order)
    np.testing.assert_allclose(res.column_currents, v @ g, rtol=1e-12, atol=0)
    np.testing.assert_allclose(res.cell_currents, v[:, :, None] * g[None], rtol=1e-15)


def _ideal_level1():
    # no body effect, no channel-length modulation, no junctions: the cell is a quadratic
    return Level1NMOS(vto=0.45, kp=2e-4, gamma=0.0, lambda_=0.0, w=1e-6, l=1e-6,
                      junction_is=0.0, gmin=0.0)


@pytest.mark.parametrize("v_in", [0.05, 0.2, 0.35])
def test_single_1t1r_cell_transistor_at_row_matches_quadratic(v_in):
    card, g, vg = _ideal_level1(), 2e-5, 1.2
    beta, vth = card.beta, card.vto
    # drain at the input, source at the internal node m; memristor m -> 0 V.
    # linear region: G m = β (v - m)(vg - vth - m - (v - m)/2)
    #   -> (β/2) m² - (β (vg - vth) + G) m + β (vg - vth) v - (β/2) v² = 0   (after expanding)
    a = 0.5 * beta
    b = -(beta * (vg - vth) + g)
    c = beta * (vg - vth) * v_in - 0.5 * beta * v_in ** 2
    m = (-b - math.sqrt(b * b - 4 * a * c)) / (2 * a)
    assert vg - vth - m > v_in - m, "test point must be in the linear region"
    res = Crossbar(np.array([[g]]), cell="1t1r", transistor_side="row", v_gate=vg,
                   transistor=card).solve(np.array([v_in]))
    assert res.internal_voltages[0, 0] == pytest.approx(m, rel=1e-10)
    assert res.column_currents[0] == pytest.approx(g * m, rel=1e-10)


@pytest.mark.parametrize("v_in", [0.05, 0.2, 0.5])
def test_single_1t1r_cell_transistor_at_column_matches_quadratic(v_in):
    card, g, vg = _ideal_level1(), 3e-5, 1.0
    beta, vth = card.beta, card.vto
    # memristor from the input to m; drain at m, source at the 0 V column:
    #   G (v - m) = β m (vg - vth - m/2)  ->  (β/2) m² - (β (vg - vth) + G) m + G v = 0
    a = 0.5 * beta
    b = -(beta * (vg - vth) + g)
    c = g * v_in
    m = (-b - math.sqrt(b * b - 4 * a * c)) / (2 * a)
    assert vg - vth > m
    res = Crossbar(np.array([[g]]), cell="1t1r", transistor_side="column", v_gate=vg,
                   transistor=card).solve(np.array([v_in]))
    assert res.internal_voltages[0, 0] == pytest.approx(m, rel=1e-10)
    assert res.column_currents[0] == pytest.approx(g * (v_in - m), rel=1e-10)


def dense_reference(g, v, r_source, r_sink, r_row, r_col):
    """Nodal analysis of a linear 1R crossbar with parasitics, written independently:
    unknowns are all row-wire and column-wire nodes, dense matrix, numpy solve."""
    rows, cols = g.shape
    n = 2 * rows * cols
    rnode = lambda i, j: i * cols + j
    cnode = lambda i, j: rows * cols + i * cols + j
    a = np.zeros((n, n))
    rhs = np.zeros((v.shape[0], n))

    def conductance(p, q, gpq):
        a[p, p] += gpq
        a[q, q] += gpq
        a[p, q] -= gpq
        a[q, p] -= gpq

    for i in range(rows):
        a[rnode(i, 0), rnode(i, 0)] += 1 / r_source
        rhs[:, rnode(i, 0)] += v[:, i] / r_source
        for j in range(1, cols):
            conductance(rnode(i, j - 1), rnode(i, j), 1 / r_row)
    for j in range(cols):
        for i in range(1, rows):
            conductance(cnode(i - 1, j), cnode(i, j), 1 / r_col)
        a[cnode(rows - 1, j), cnode(rows - 1, j)] += 1 / r_sink
    for i in range(rows):
        for j in range(cols):
            conductance(rnode(i, j), cnode(i, j), g[i, j])
    x = np.linalg.solve(a, rhs.T).T
    bottom = np.array([cnode(rows - 1, j) for j in range(cols)])
    return x[:, bottom] / r_sink, x


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (8, 6)])
def test_linear_crossbar_with_parasitics_matches_dense_solve(shape):
    rng = np.random.default_rng(sum(shape))
    g = 10 ** rng.uniform(-6, -3.5, size=shape)
    v = rng.uniform(-0.5, 0.5, size=(4, shape[0]))
    params = dict(r_source=120.0, r_sink=80.0, r_row=3.0, r_col=7.5)
    expected, nodes = dense_reference(g, v, **params)
    res = Crossbar(g, cell="1r", r_source=params["r_source"], r_sink=params["r_sink"],
                   r_wire_row=params["r_row"], r_wire_col=params["r_col"]).solve(v)
    # both are direct solves of the same well-conditioned system: 1e-10 relative
    np.testing.assert_allclose(res.column_currents, expected, rtol=1e-10, atol=0)
    rows, cols = shape
    np.testing.assert_allclose(res.row_voltages.reshape(4, -1), nodes[:, :rows * cols], rtol=1e-10,
                               atol=1e-14)


def test_zero_ohm_wires_merge_exactly():
    rng = np.random.default_rng(4)
    g = rng.uniform(3e-6, 3e-5, size=(4, 3))
    v = rng.uniform(0, 0.5, size=(2, 4))
    xb = Crossbar(g, cell="1t1r", r_source=0.0, r_wire=0.0, r_sink=0.0)
    res = xb.solve(v)
    # merged nodes hold exactly the driver / ground voltage: no tiny-resistor drop
    np.testing.assert_array_equal(res.row_voltages, np.broadcast_to(v[:, :, None], res.row_voltages.shape))
    np.testing.assert_array_equal(res.column_voltages, 0.0)
    assert xb.n_free == 12  # only the internal cell nodes are unknown
    # tiny but non-zero wires converge to the merged answer
    near = Crossbar(g, cell="1t1r", r_source=1e-9, r_wire=1e-9, r_sink=1e-9).solve(v)
    np.testing.assert_allclose(near.column_currents, res.column_currents, rtol=1e-8)


def test_linear_memristor_is_default_and_1r_has_no_internal_nodes():
    xb = Crossbar(np.full((2, 2), 1e-5), cell="1r", r_wire=1.0)
    assert isinstance(xb.memristor, LinearMemristor)
    assert np.isnan(xb.solve(np.ones(2)).internal_voltages).all()
