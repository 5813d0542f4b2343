"""The Krylov linear solver: GMRES with the block Gauss–Seidel preconditioner, and its LU fallback.

Tolerances: GMRES solves are checked on the true residual against the rtol they were asked
for; crossbar answers against the exact sparse LU at 1e-12 relative (Newton's own tolerance,
reltol = 1e-9, bounds the difference; in practice both land within a few ulps of the root).

White-box in part: the preconditioner's structure (``xbarsolve._krylov.BlockGaussSeidel``) and
the Jacobians of solved crossbars (``Crossbar.equations``) are internal; solves go through the
public linear-solver protocol (``xbarsolve.linear_solvers``).
"""
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from xbarsolve import Crossbar, NewtonOptions
from xbarsolve.autodiff import crossbar_currents
from xbarsolve._krylov import BlockGaussSeidel
from xbarsolve.linear_solvers import KrylovPlan, KrylovSolver

RNG = np.random.default_rng(2026)
PARASITIC = dict(r_source=100.0, r_sink=100.0, r_wire=2.5)


def _jacobian(xb, v):
    """The Jacobian values (1, nnz) of ``xb`` at its solution for ``v`` (one sample)."""
    op = xb.operating_point(v, keep_jacobians=False)
    _, jac, _, _ = xb.equations.assemble(op.result.x, op.fixed_voltages, np.ones(1, dtype=bool))
    return jac


def _dense(xb, jac):
    net = xb.netlist
    return sp.csc_matrix((jac[0], net.indices, net.indptr), shape=(net.n_free, net.n_free)).toarray()


@pytest.mark.parametrize("kwargs", [
    dict(cell="1t1r", transistor_side="row", **PARASITIC),
    dict(cell="1t1r", transistor_side="column", **PARASITIC),
    dict(cell="1r", **PARASITIC),
    dict(cell="1t1r", r_source=10.0, r_sink=0.0, r_wire_row=0.0, r_wire_col=3.0),
])
def test_preconditioner_blocks_are_forests_without_fill(kwargs):
    """Each side of a crossbar is a forest of wires and cells: its LU in the plan's order has no
    fill, so the preconditioner costs O(n) to factorize and apply."""
    xb = Crossbar(RNG.uniform(1e-5, 1e-4, (6, 5)), **kwargs)
    net = xb.netlist
    plan = BlockGaussSeidel(net.n_free, net.indptr, net.indices, net.free_side)
    assert plan.nnz_factors == plan.p_indices.size
    assert 0 < plan.n_row_side <= net.n_free
    # row-side unknowns come first in the plan's order
    assert (net.free_side[plan.order[:plan.n_row_side]] == 0).all()
    assert (net.free_side[plan.order[plan.n_row_side:]] == 1).all()


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("kwargs", [
    dict(cell="1t1r", **PARASITIC),
    dict(cell="1r", r_source=10.0, r_sink=10.0, r_wire=100.0),  # cells as strong as wires: hard
])
def test_gmres_reaches_the_requested_residual(kwargs, transpose):
    """J x = b and Jᵀ x = b, against a dense solve: the true residual meets rtol."""
    g = RNG.uniform(1e-4, 1e-3, (8, 8)) if kwargs["cell"] == "1r" else RNG.uniform(3e-6, 3e-5, (8, 8))
    xb = Crossbar(g, **kwargs)
    jac = _jacobian(xb, RNG.uniform(0.0, 0.5, 8))
    solver = KrylovSolver(rtol=1e-11, transpose_rtol=1e-11, max_iterations=200).analyse(xb.netlist.pattern)
    b = RNG.normal(size=(1, xb.n_free))
    x = solver.solve(solver.init(jac), b, transpose=transpose)
    a = _dense(xb, jac)
    a = a.T if transpose else a
    assert np.linalg.norm(a @ x[0] - b[0]) <= 1e-11 * np.linalg.norm(b[0]) * 1.000001
    np.testing.assert_allclose(x[0], np.linalg.solve(a, b[0]), rtol=1e-8, atol=1e-12 * np.abs(x).max())
    assert solver.stats["lu_fallbacks"] == 0 and solver.stats["iterations"] >= 1


def test_exact_preconditioner_converges_in_one_iteration():
    """With ideal sinks and column wires every column node is fixed: no coupling is dropped,
    M = J, and GMRES needs a single iteration."""
    xb = Crossbar(RNG.uniform(1e-5, 1e-4, (5, 5)), r_source=20.0, r_wire_row=2.0, r_wire_col=0.0)
    assert (xb.netlist.free_side == 0).all()
    jac = _jacobian(xb, RNG.uniform(0.0, 0.5, 5))
    solver = xb.linear_solver
    assert isinstance(solver, KrylovPlan)
    before = dict(solver.stats)
    solver.solve(solver.init(jac), RNG.normal(size=(1, xb.n_free)))
    assert solver.stats["iterations"] - before["iterations"] == 1


def test_fallback_to_lu_gives_the_same_answer():
    """A GMRES budget too small to converge sends every Newton step to the exact LU; the
    answer equals the LU solver's."""
    g = RNG.uniform(1e-4, 1e-3, (12, 12))
    v = RNG.uniform(0.0, 0.5, (3, 12))
    kwargs = dict(cell="1r", r_source=10.0, r_sink=10.0, r_wire=100.0)
    starved = Crossbar(g, options=NewtonOptions(linear_solver=KrylovSolver(max_iterations=1)), **kwargs)
    exact = Crossbar(g, options=NewtonOptions(linear_solver="lu"), **kwargs)
    a, b = starved.solve(v), exact.solve(v)
    assert starved.linear_solver.stats["lu_fallbacks"] == starved.linear_solver.stats["solves"] > 0
    np.testing.assert_allclose(a.column_currents, b.column_currents, rtol=1e-12)
    assert a.iterations.tolist() == b.iterations.tolist()


@pytest.mark.parametrize("kwargs", [
    dict(cell="1t1r", transistor_side="row", **PARASITIC),
    dict(cell="1t1r", transistor_side="column", **PARASITIC),
    dict(cell="1r", r_source=50.0, r_sink=20.0, r_wire=5.0),
])
def test_krylov_and_lu_agree_on_crossbars(kwargs):
    """Every layout, a batch of inputs: GMRES-driven Newton lands on the LU-driven answer."""
    g = RNG.uniform(3e-6, 3e-5, (16, 12))
    v = RNG.uniform(-0.1, 0.5, (4, 16))
    auto = Crossbar(g, **kwargs)
    exact = Crossbar(g, options=NewtonOptions(linear_solver="lu"), **kwargs)
    assert isinstance(auto.linear_solver, KrylovPlan)  # the default for crossbars
    a, b = auto.solve(v), exact.solve(v)
    np.testing.assert_allclose(a.column_currents, b.column_currents, rtol=1e-12)
    np.testing.assert_allclose(a.row_voltages, b.row_voltages, rtol=1e-12, atol=1e-15)
    assert auto.linear_solver.stats["lu_fallbacks"] == 0
    # a good preconditioner for the usual parasitics: few GMRES iterations per Newton step
    assert auto.linear_solver.stats["iterations"] <= 8 * auto.linear_solver.stats["solves"]


def test_adjoint_by_transposed_gmres_matches_lu_adjoint():
    """Gradients through the Krylov solver (Jᵀλ by GMRES) equal those through the exact LU."""
    g = RNG.uniform(3e-6, 3e-5, (10, 8))
    v = RNG.uniform(0.0, 0.5, (2, 10))
    grads = []
    for solver in ("krylov", "lu"):
        xb = Crossbar(g, options=NewtonOptions(linear_solver=solver), **PARASITIC)
        gt = torch.tensor(g, requires_grad=True, dtype=torch.float64)
        vt = torch.tensor(v, requires_grad=True, dtype=torch.float64)
        (crossbar_currents(xb, vt, conductances=gt) ** 2).sum().backward()
        grads.append((gt.grad.numpy(), vt.grad.numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12 * np.abs(b).max())
