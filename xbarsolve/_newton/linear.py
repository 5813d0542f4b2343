"""Linear circuits solved as linear circuits: one factorization, every sample a right-hand side.

When every element is linear (``ElementModel.linear``: resistors, linear memristors), the
residual is F(x) = J·x + F(0) with one constant Jacobian J, the same for every input vector and
every iterate.  Newton's method is then exact in one step, and what it does per sample --
assemble F, solve J·dx = −F, test KCL and the update, repeat -- needs J factorized only once
for the whole batch (:class:`~xbarsolve._shared_lu.SharedFactorPlan`).  This module runs exactly
that iteration with the shared factors: the same convergence tests as damped Newton
(:mod:`.convergence`: KCL at every node, negligible update, the final tiny update applied),
usually two passes (the solution, then its confirmation); no Jacobian is assembled per sample,
and the state kept for gradients is the shared factor (no memory per sample).

Samples that do not converge within ``max_iterations`` (or a singular matrix: no factor) are
left unconverged for the driver's fallbacks, as damped Newton leaves them; an unconverged
answer is never returned.
"""
from __future__ import annotations

import numpy as np

from .._shared_lu import SharedFactorPlan, SingularMatrixError
from .convergence import residual_norm, kcl_holds, update_tests, voltage_floor
from .result import NewtonResult

#: A linear circuit is factorized when its batch has at least this many samples (or a factor of
#: its matrix is already at hand): for fewer, a factorization (tens of ms at 64×64, seconds at
#: 256×256) costs more than the preconditioned GMRES steps of damped Newton.
LINEAR_MIN_BATCH = 4


def shared_factor(eqs):
    """The :class:`SharedFactorPlan` of a linear circuit's constant Jacobian (factorized on first
    use and kept on ``eqs``), or None if the matrix is singular."""
    plan = getattr(eqs, "_shared_factor", None)
    if plan is None:
        n = eqs.n_free
        x = np.zeros((1, n))
        fixed = np.zeros((1, len(eqs.netlist.fixed_sources)))
        _, jac, _, _ = eqs.assemble(x, fixed, np.ones(1, dtype=np.bool_))
        try:
            plan = SharedFactorPlan(eqs.netlist.pattern, jac[0])
        except SingularMatrixError:
            plan = False
        eqs._shared_factor = plan
    return plan or None


def has_shared_factor(eqs) -> bool:
    """Whether :func:`shared_factor` has already been computed for ``eqs``."""
    return getattr(eqs, "_shared_factor", None) is not None


def solve_linear(eqs, plan: SharedFactorPlan, fixed_v: np.ndarray, x0: np.ndarray, options,
                 keep_jacobians: bool = True) -> NewtonResult:
    """Newton's iteration for a linear circuit with its shared factor ``plan`` (module docstring).

    ``fixed_v`` (V): (batch, n_fixed); ``x0`` (V): (batch, n_free).  ``final_jacobians`` of the
    result is a state of ``plan`` (``result.plan``) for the converged samples.
    """
    batch, n = x0.shape
    out = NewtonResult.start(x0)
    out.plan = plan
    x, iterations, converged, norm = out.x, out.iterations, out.converged, out.residual_norm
    active = np.ones(batch, dtype=bool)
    vntol = voltage_floor(fixed_v, options)
    first = True
    for _ in range(options.max_iterations):
        rows = np.flatnonzero(active)
        if not rows.size:
            break
        xr = x[rows]
        if first and not xr.any():
            # from x = 0 the residual is F(0), which only the driven elements make: the KCL test
            # there holds only where F(0) = 0 (x = 0 is then the solution; any tolerance passes)
            residual = eqs.residual_at_zero(fixed_v[rows])
            kcl_ok = ~residual.any(axis=1)
        else:
            residual, scale, noise = eqs.kcl(xr, fixed_v[rows], np.ones(rows.size, dtype=np.bool_))
            kcl_ok = kcl_holds(residual, scale, noise, options)
            del scale, noise
        first = False
        norm[rows] = residual_norm(residual)
        dx = plan.solve(plan.state(np.ones(rows.size, dtype=np.bool_)), -residual)
        del residual
        iterations[rows] += 1
        finite, update_ok = np.empty(rows.size, dtype=bool), np.empty(rows.size, dtype=bool)
        update_tests(xr, dx, options.reltol, vntol[rows], finite, update_ok)
        step = finite & np.isfinite(norm[rows])
        xr[step] += dx[step]  # linear elements accept any step: no limiting, no line search
        x[rows] = xr
        done = rows[step & kcl_ok & update_ok]
        converged[done] = True
        active[done] = False
        active[rows[~step]] = False  # non-finite: nothing a further step could undo
    if keep_jacobians:
        out.final_jacobians = plan.state(converged)
    return out


def wants_linear_path(eqs, batch: int, options) -> bool:
    """Whether :func:`solve_dc` solves this batch with a shared factorization."""
    return (options.linear_fast_path and eqs.n_free > 0 and eqs.is_linear
            and (batch >= LINEAR_MIN_BATCH or has_shared_factor(eqs)))
