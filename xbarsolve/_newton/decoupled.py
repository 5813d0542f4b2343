"""The fast path for circuits whose free nodes do not couple (a diagonal Jacobian).

With ideal wires every 1T-1R internal node sits between two fixed terminals, so each unknown
solves its own scalar equation F_k(x_k) = 0, F_k increasing.  A two-terminal element passes
current from its higher to its lower terminal, so the root usually lies between the lowest and
highest fixed voltage (0 V included): that is the starting bracket.  It is only a guess where
an element has terminals of its own (a BSIM4 transistor's gate leaks current into its source
and drain: with every input at 0 V its internal node settles slightly above 0 V, pulled toward
the gate voltage), so each bound is checked against the residual's sign and opened where the
sign says the root lies beyond it.  A Newton step that leaves the (checked) bracket is replaced
by bisection, which makes convergence certain once both bounds are proven; a sample whose step
can be neither (an open bound and no usable Newton step) leaves for the general path.  The
Jacobian is diagonal, so no linear solve is needed; the final diagonal is kept as the final
Jacobian for gradients.
"""
from __future__ import annotations

import numpy as np

from .convergence import kcl_holds, residual_norm, voltage_floor
from .result import NewtonResult


def solve_decoupled(eqs, plan, fixed_v: np.ndarray, x0: np.ndarray, options,
                    keep_jacobians: bool = True) -> NewtonResult:
    """Safeguarded scalar Newton per unknown (V); see the module docstring."""
    batch, n = x0.shape
    lo = np.minimum(fixed_v.min(axis=1, initial=0.0), 0.0)[:, None] * np.ones((1, n))
    hi = np.maximum(fixed_v.max(axis=1, initial=0.0), 0.0)[:, None] * np.ones((1, n))
    out = NewtonResult.start(np.clip(x0, lo, hi))
    x, iterations, converged, norm = out.x, out.iterations, out.converged, out.residual_norm
    active = np.ones(batch, dtype=bool)
    final_diagonal = np.zeros((batch, n))
    vntol = voltage_floor(fixed_v, options)
    # bisection halves the bracket each step: 200 steps reach any float64 resolution
    for _ in range(max(options.max_iterations, 200)):
        if not active.any():
            break
        residual, diag, scale, noise = eqs.assemble(x, fixed_v, active)
        norm[active] = residual_norm(residual[active])
        kcl_ok = kcl_holds(residual, scale, noise, options)
        # F increasing: F(x) > 0 puts the root below x, F(x) < 0 above it; a bound the sign
        # refutes (the root beyond it) is opened
        above_hi = (residual < 0) & (x >= hi)
        below_lo = (residual > 0) & (x <= lo)
        hi = np.where(residual > 0, x, np.where(above_hi, np.inf, hi))
        lo = np.where(residual < 0, x, np.where(below_lo, -np.inf, lo))
        with np.errstate(divide="ignore", invalid="ignore"):
            newton_x = x - residual / diag
        inside = (diag > 0) & (newton_x >= lo) & (newton_x <= hi) & np.isfinite(newton_x)
        with np.errstate(invalid="ignore"):
            x_new = np.where(inside, newton_x, 0.5 * (lo + hi))
        x_new = np.where(residual == 0, x, x_new)
        stuck = active & ~np.isfinite(x_new).all(axis=1)  # open bound, no Newton step: the general path
        active &= ~stuck
        x_new[stuck] = x[stuck]
        dx = x_new - x
        iterations[active] += 1
        update_ok = (np.abs(dx) <= options.reltol * np.maximum(np.abs(x), np.abs(x_new))
                     + vntol[:, None]).all(axis=1)
        done = active & kcl_ok & update_ok
        final_diagonal[done] = diag[done]
        x[active] = x_new[active]
        converged |= done
        active &= ~done
    if keep_jacobians and converged.any():
        rows = np.flatnonzero(converged)
        out.keep(plan, rows, plan.init(final_diagonal, rows))
    return out
