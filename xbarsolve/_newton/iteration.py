"""One attempt of damped Newton for every sample of a batch: steps, device limiting, line search.

Per Newton step, for every active sample:

1. assemble F(x) and J(x) and test convergence (:mod:`.convergence`);
2. if the previous step did not reduce ‖F‖₂ enough (Armijo, 1e-4) or produced non-finite
   values, backtrack: halve that step (at most ``max_backtracks`` times) and go to 1;
3. otherwise solve J·dx = −F with the linear solver; when both tests pass, the final, tiny
   ``dx`` is still applied and the state of J is kept (implicit differentiation solves with it);
4. otherwise shorten the step by SPICE-style device limiting (each element accepts only a
   fraction of it, ``CircuitEquations.step_fraction``) and take it.

Samples stop when they converge, stall (non-finite values that backtracking cannot undo) or
reach ``max_iterations``; the fallbacks (:mod:`.homotopy`) then take over.
"""
from __future__ import annotations

import numpy as np

from .convergence import residual_tests, update_tests, voltage_floor
from .result import NewtonResult

ARMIJO = 1e-4  # sufficient decrease of ‖F‖₂ per unit of step fraction


class _LineSearch:
    """The previous step of every sample, to take it again shorter when it did not help."""

    def __init__(self, x: np.ndarray):
        batch = x.shape[0]
        self.x_prev = np.zeros_like(x)
        self.dx_prev = np.zeros_like(x)
        self.alpha = np.zeros(batch)
        self.fnorm_prev = np.full(batch, np.inf)
        self.backtracks = np.zeros(batch, dtype=np.int64)

    def retreat(self, x, active, kcl_ok, finite, fnorm, max_backtracks) -> np.ndarray:
        """Halve the previous step of the samples where it did not reduce ‖F‖ enough; which did."""
        worse = ~finite | (fnorm > (1.0 - ARMIJO * self.alpha) * self.fnorm_prev)
        back = active & ~kcl_ok & worse & (self.backtracks < max_backtracks) & np.isfinite(self.fnorm_prev)
        if back.any():
            self.alpha[back] *= 0.5
            self.backtracks[back] += 1
            x[back] = self.x_prev[back] + self.alpha[back, None] * self.dx_prev[back]
        return back

    def step(self, x, dx, alpha, fnorm, rows) -> None:
        """Take the step ``alpha·dx`` from ``x`` for samples ``rows``, remembering it."""
        self.x_prev[rows] = x[rows]
        self.dx_prev[rows] = dx[rows]
        self.fnorm_prev[rows] = fnorm[rows]
        self.alpha[rows] = alpha[rows]
        self.backtracks[rows] = 0
        x[rows] += alpha[rows, None] * dx[rows]


def damped_newton(eqs, plan, x0: np.ndarray, fixed_v: np.ndarray, options, g_shunt: float = 0.0,
                  keep_jacobians: bool = True) -> NewtonResult:
    """One attempt of damped Newton from ``x0`` (V, (batch, n_free)) for every sample (no fallbacks).

    ``plan`` -- the linear solver's :class:`~xbarsolve.linear_solvers.LinearPlan` for the
    circuit; ``g_shunt`` (S) -- a conductance from every free node to 0 V (gmin stepping);
    ``keep_jacobians`` -- keep the linear solver's state of each converged sample's final Jacobian.
    """
    batch, n = x0.shape
    out = NewtonResult.start(x0)
    x, iterations, converged, residual_norm = out.x, out.iterations, out.converged, out.residual_norm
    if n == 0:
        converged[:] = True
        residual_norm[:] = 0.0
        return out
    active = np.ones(batch, dtype=bool)
    search = _LineSearch(x)
    dx = np.zeros_like(x)
    fnorm, finite, kcl_ok = np.empty(batch), np.empty(batch, dtype=bool), np.empty(batch, dtype=bool)
    dx_finite, update_ok = np.empty(batch, dtype=bool), np.empty(batch, dtype=bool)
    vntol = voltage_floor(fixed_v, options)

    while active.any():
        residual, jac, scale, noise = eqs.assemble(x, fixed_v, active, g_shunt)
        residual_tests(residual, jac, scale, noise, options.abstol, options.reltol, fnorm, finite, kcl_ok)
        residual_norm[active] = fnorm[active]

        retreat = search.retreat(x, active, kcl_ok, finite, fnorm, options.max_backtracks)
        active &= ~(active & ~retreat & ~finite)  # stalled: non-finite and nothing left to undo
        step = active & ~retreat
        stepping = np.flatnonzero(step)
        state = None
        if stepping.size:
            state = plan.init(jac, stepping)
            dx[stepping] = plan.solve(state, -residual[stepping])
            iterations[stepping] += 1
        update_tests(x, dx, options.reltol, vntol, dx_finite, update_ok)
        bad_solve = step & ~dx_finite
        active &= ~bad_solve
        step &= ~bad_solve
        done = step & kcl_ok & update_ok
        x[done] += dx[done]
        if keep_jacobians and done.any():
            local = np.flatnonzero(done[stepping])
            out.keep(plan, stepping[local], state.take(local))
        converged |= done
        active &= ~done
        step &= ~done
        active &= ~(step & (iterations >= options.max_iterations))
        step &= active
        if step.any():
            search.step(x, dx, eqs.step_fraction(x, dx, fixed_v, step), fnorm, step)
    return out
