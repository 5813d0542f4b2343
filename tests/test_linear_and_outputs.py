"""Issue 16: linear circuits solved with one factorization, ``solve(outputs=...)``, chunked solves,
and the circuit fidelity's shared identical inputs.

Tolerances: the linear path and damped Newton solve the same equations with the same
convergence tests (KCL to reltol = 1e-9 of the node currents, updates to 1e-9 of the node
voltages); both end a full step past a converged iterate, so they agree far inside those tests
-- 1e-12 relative to the largest current (measured: ≤ 2e-15).  Chunked and unchunked solves,
and shared identical inputs, do the same per-sample arithmetic: equal to the bit.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from xbarsolve import Crossbar, NewtonOptions
from xbarsolve.autodiff import crossbar_currents

PARASITICS = [dict(r_wire=2.5, r_source=50.0, r_sink=50.0), dict(r_wire=0.0, r_source=10.0, r_sink=0.0),
              dict(r_wire_row=1.0, r_wire_col=0.0, r_source=0.0, r_sink=3.0)]
NEWTON = NewtonOptions(linear_fast_path=False)


def _problem(rows, cols, batch, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(1 / 300e3, 1 / 3e3, (rows, cols)), rng.uniform(0.0, 0.5, (batch, rows))


@pytest.mark.parametrize("parasitics", PARASITICS)
def test_linear_path_agrees_with_newton(parasitics):
    g, v = _problem(9, 7, 6)
    fast = Crossbar(g, cell="1r", **parasitics).solve(v)
    slow = Crossbar(g, cell="1r", options=NEWTON, **parasitics).solve(v)
    assert fast.strategy == ["linear"] * 6
    assert "linear" not in slow.strategy
    for name in ("column_currents", "source_currents", "cell_currents", "cell_output_currents"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert np.abs(a - b).max() <= 1e-12 * np.abs(b).max(), name
    for name in ("row_voltages", "column_voltages"):
        assert np.abs(getattr(fast, name) - getattr(slow, name)).max() <= 1e-12 * 0.5, name
    assert np.allclose(fast.total_power, fast.delivered_power, rtol=1e-12, atol=0)


def test_linear_path_keeps_the_factor_per_conductance_set():
    g, v = _problem(6, 5, 2)
    xb = Crossbar(g, cell="1r", r_wire=1.0, r_source=5.0, r_sink=5.0)
    assert xb.solve(v).strategy == ["newton"] * 2  # a batch this small is not worth a factorization
    assert xb.solve(np.tile(v, (2, 1))).strategy == ["linear"] * 4  # now factorized, kept on the circuit
    assert xb.solve(v[:1]).strategy == ["linear"]  # and reused even for one sample
    other = xb.solve(np.tile(v, (2, 1)), conductances=g * 2)  # another conductance set: its own factor
    ref = Crossbar(g * 2, cell="1r", r_wire=1.0, r_source=5.0, r_sink=5.0, options=NEWTON).solve(np.tile(v, (2, 1)))
    assert np.abs(other.column_currents - ref.column_currents).max() <= 1e-12 * np.abs(ref.column_currents).max()


def test_nonlinear_cells_do_not_take_the_linear_path():
    from xbarsolve import SinhMemristor
    g, v = _problem(5, 4, 6)
    assert "linear" not in Crossbar(g, cell="1r", r_wire=1.0, memristor=SinhMemristor(0.25)).solve(v).strategy
    assert "linear" not in Crossbar(g, r_wire=1.0).solve(v).strategy


def test_linear_path_gradients_gradcheck():
    g, v = _problem(4, 3, 5, seed=3)
    xb = Crossbar(g, cell="1r", r_wire=2.0, r_source=20.0, r_sink=10.0)
    vt = torch.tensor(v, requires_grad=True)
    gt = torch.tensor(g * 1e4, requires_grad=True)  # scaled to O(1) for the finite differences

    def f(vin, gs):
        return crossbar_currents(xb, vin, conductances=gs * 1e-4, outputs="column_currents") * 1e4

    assert torch.autograd.gradcheck(f, (vt, gt), eps=1e-6, atol=1e-7, rtol=1e-6)


def test_linear_path_gradients_equal_newton_gradients():
    g, v = _problem(6, 5, 8, seed=4)
    grads = []
    for options in (None, NEWTON):
        xb = Crossbar(g, cell="1r", r_wire=2.5, r_source=50.0, r_sink=50.0, options=options)
        vt, gt, rs = torch.tensor(v, requires_grad=True), torch.tensor(g, requires_grad=True), \
            torch.tensor(50.0, dtype=torch.float64, requires_grad=True)
        i = crossbar_currents(xb, vt, conductances=gt, r_sink=rs)
        (i * torch.arange(1.0, 6.0, dtype=torch.float64)).sum().backward()
        grads.append((vt.grad, gt.grad, rs.grad))
    for a, b in zip(*grads):
        assert torch.allclose(a, b, rtol=1e-9, atol=0)


# --------------------------------------------------------------------------- outputs=
def test_outputs_compute_only_what_is_asked():
    g, v = _problem(5, 4, 3)
    xb = Crossbar(g, r_wire=1.0, r_source=5.0, r_sink=5.0)
    full = xb.solve(v)
    part = xb.solve(v, outputs=("column_currents", "gate_line_currents", "total_power"))
    assert np.array_equal(part.column_currents, full.column_currents)
    assert np.array_equal(part.gate_line_currents, full.gate_line_currents)
    assert np.allclose(part.total_power, full.total_power, rtol=1e-15, atol=0)
    for name in ("source_currents", "row_voltages", "internal_voltages", "power", "delivered_power"):
        assert getattr(part, name) is None, name
    one = xb.solve(v[0], outputs="cell_currents")
    assert np.array_equal(one.cell_currents, full.cell_currents[0]) and one.column_currents is None


@pytest.mark.parametrize("outputs, match", [(("column_current",), "unknown output 'column_current'"),
                                            ((), "names no result"),
                                            (("power", "power"), "must not repeat"),
                                            (3, "sequence of result names")])
def test_outputs_checked_before_any_work(outputs, match):
    xb = Crossbar(np.full((3, 3), 1e-5), cell="1r", r_wire=1.0)
    with pytest.raises((ValueError, TypeError), match=match):
        xb.solve(np.full((2, 5), 0.1), outputs=outputs)  # (v_in is wrong too: outputs are checked first)


def test_passive_cells_allocate_no_internal_arrays():
    g, v = _problem(8, 8, 4)
    res = Crossbar(g, cell="1r", r_wire=1.0).solve(v)
    for name in ("internal_voltages", "gate_currents", "body_currents"):
        arr = getattr(res, name)
        assert arr.shape == (4, 8, 8) and np.isnan(arr).all() and not arr.flags.writeable, name
        assert arr.strides == (0, 0, 0), name  # one value seen everywhere: no memory


@pytest.mark.parametrize("cell", ["1r", "1t1r"])
def test_chunked_solve_equals_one_batch(cell):
    g, v = _problem(6, 5, 11, seed=2)
    xb = Crossbar(g, cell=cell, r_wire=2.0, r_source=10.0, r_sink=10.0)
    whole = xb.solve(v)
    xb.SOLVE_CHUNK_MEMORY = 1  # one sample per chunk
    chunked = xb.solve(v)
    for name in ("column_currents", "row_voltages", "internal_voltages", "total_power", "gate_currents"):
        a, b = getattr(chunked, name), getattr(whole, name)
        assert np.array_equal(a, b, equal_nan=True), name
    assert {k: v.shape for k, v in chunked.power.items()} == {k: v.shape for k, v in whole.power.items()}
    assert chunked.strategy == whole.strategy and np.array_equal(chunked.iterations, whole.iterations)


# --------------------------------------------------------------------------- neat circuit fidelity
def test_circuit_fidelity_shares_identical_inputs_exactly(monkeypatch):
    import neat.circuit as nc
    from neat import CellConfig, CircuitConfig, MappingConfig
    from xbarsolve import Level1NMOS

    cell = CellConfig(transistor=Level1NMOS(w=1e-6, l=1e-6))
    mapping = MappingConfig(tile_rows=8, tile_cols=8)
    circuit = CircuitConfig(r_wire=2.5, r_source=50.0, r_sink=50.0)
    gen = torch.Generator().manual_seed(0)
    v_pos = torch.rand(6, 10, generator=gen, dtype=torch.float64) * 0.3
    v_pos[3] = v_pos[1]  # repeated vectors, and zero vectors, as a forward pass has them
    v_pos[4] = 0.0
    v_neg = torch.zeros(6, 10, dtype=torch.float64)
    g = cell.g_off + (cell.g_on - cell.g_off) * torch.rand(2, 5, 10, generator=gen, dtype=torch.float64)
    args = dict(cell=cell, mapping=mapping, circuit=circuit, v_gate=1.0)
    shared = nc.circuit_currents(v_pos, v_neg, g[0], g[1], **args)
    monkeypatch.setattr(nc, "SHARE_IDENTICAL_INPUTS", False)
    every = nc.circuit_currents(v_pos, v_neg, g[0], g[1], **args)
    assert torch.equal(shared, every)


@pytest.mark.parametrize("cell", ["1r", "1t1r"])
def test_power_lands_at_each_elements_index_when_some_drivers_are_merged(cell):
    """A 0 Ω driver or sink merges nodes and has no element: its power entry is 0 and every other
    entry is its own resistor's I²·R."""
    rng = np.random.default_rng(0)
    r_source, r_sink = np.array([0.0, 10.0, 0.0, 5.0]), np.array([0.0, 20.0, 0.0, 0.0, 3.0])
    xb = Crossbar(rng.uniform(1e-5, 3e-5, (4, 5)), cell=cell, r_source=r_source, r_sink=r_sink, r_wire=2.0)
    s = xb.solve(rng.uniform(0.0, 0.4, (3, 4)))
    np.testing.assert_allclose(s.power["source"], s.source_currents ** 2 * r_source, rtol=1e-9, atol=1e-25)
    np.testing.assert_allclose(s.power["sink"], s.column_currents ** 2 * r_sink, rtol=1e-9, atol=1e-25)
    np.testing.assert_allclose(s.total_power, s.delivered_power, rtol=1e-12)
