"""BSIM4 transistors in crossbars: gate and body currents, Kirchhoff's laws and power bookkeeping.

The comparison with ngspice (node voltages, column, source, gate-line and body currents) is in
validation/ (cases ``grid_ptm45*`` and ``xb*_ptm45*``, run by tests/test_spice.py); here the
invariants that hold whatever the reference: the current law at every cell (row current + gate
current + body current = current into the column), the gate-line sums, and the power balance
(what the row drivers, gate drivers and body contact deliver = what the elements dissipate).
Tolerances: the currents are sums of a few terms of up to ~1e-5 A, so 1e-18 A absolute is a
few units of rounding; the power balance is a sum over every element, 1e-12 relative.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xbarsolve import Bsim4NMOS, Crossbar

CARDS = Path(__file__).resolve().parent.parent / "validation" / "cards"


@pytest.mark.parametrize("side", ["row", "column"])
@pytest.mark.parametrize("gate_lines", ["rows", "columns"])
def test_cell_current_law_gate_lines_and_power(side, gate_lines):
    fet = Bsim4NMOS.from_card(CARDS / "ptm45_lp.pm", w=1e-6, l=45e-9, nrs=1.0, temperature=358.15)
    rng = np.random.default_rng(7)
    rows, cols = 4, 5
    lines = rows if gate_lines == "rows" else cols
    xb = Crossbar(rng.uniform(1 / 300e3, 1 / 30e3, (rows, cols)), transistor=fet, transistor_side=side,
                  gate_lines=gate_lines, v_gate=rng.uniform(0.7, 1.4, lines), r_wire=2.0, r_source=20.0,
                  r_sink=20.0)
    s = xb.solve(rng.uniform(-0.5, 0.5, (3, rows)))
    assert np.all(np.abs(s.gate_currents) > 0) and np.all(np.abs(s.body_currents) > 0)  # BSIM4 leaks
    np.testing.assert_allclose(s.cell_currents + s.gate_currents + s.body_currents, s.cell_output_currents,
                               rtol=0, atol=1e-18)
    np.testing.assert_allclose(s.column_currents, s.cell_output_currents.sum(axis=1), rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(s.gate_line_currents, s.gate_currents.sum(axis=2 if gate_lines == "rows" else 1),
                               rtol=0, atol=0)
    np.testing.assert_allclose(s.total_power, s.delivered_power, rtol=1e-12)
    # the gate drivers' share of the delivered power is counted (it is ~1e-9 of the total here,
    # far above the balance's rounding)
    gate_power = np.einsum("bl,l->b", s.gate_line_currents, xb.v_gate)
    assert np.all(np.abs(gate_power) > 1e-6 * np.abs(s.total_power - s.delivered_power).max())


def test_passive_cells_have_no_gate_or_body_currents():
    s = Crossbar(np.full((2, 3), 1e-5), cell="1r", r_wire=1.0).solve([0.2, -0.1])
    assert np.isnan(s.gate_currents).all() and np.isnan(s.body_currents).all()
    assert s.gate_line_currents.shape == (0,)
    np.testing.assert_array_equal(s.cell_output_currents, s.cell_currents)


@pytest.mark.parametrize("side", ["row", "column"])
def test_ideal_wires_with_gate_leakage_take_the_decoupled_path(side):
    """With every resistance at 0 Ω each internal node solves its own equation (the decoupled fast
    path).  A BSIM4 gate leaks into the source and drain, so with the inputs at 0 V the internal
    node settles slightly above 0 V, outside the bracket of the fixed voltages [0, 0]: the path must
    open that bound and converge, not spend its iteration budget and hand the batch on (it did)."""
    fet = Bsim4NMOS.from_card(CARDS / "ptm45_lp.pm", w=3.5e-6, l=45e-9)
    rng = np.random.default_rng(3)
    xb = Crossbar(rng.uniform(1 / 300e3, 1 / 30e3, (6, 4)), transistor=fet, transistor_side=side, v_gate=0.8)
    v = np.vstack([np.zeros(6), rng.uniform(0.0, 0.2, 6), rng.uniform(-0.2, 0.2, 6)])
    s = xb.solve(v)
    assert s.strategy == ["decoupled"] * 3
    assert max(s.iterations) <= 12
    assert np.all(s.internal_voltages[0] > 0.0)  # pulled toward the gate by its leakage
    # every cell's current law, the leakage included
    np.testing.assert_allclose(s.cell_currents + s.gate_currents + s.body_currents, s.cell_output_currents,
                               rtol=0, atol=1e-18)
