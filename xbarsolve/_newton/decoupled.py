"""The fast path for circuits whose free nodes do not couple (a diagonal Jacobian).

With ideal wires every 1T-1R internal node sits between two fixed terminals, so each unknown
solves its own scalar equation F_k(x_k) = 0, F_k increasing.  Every element passes current
from its higher to its lower terminal, so the root lies between the lowest and highest fixed
voltage (0 V, the body, included): the bracket is kept and a Newton step that leaves it is
replaced by bisection, which makes convergence certain.  The Jacobian is diagonal, so no
linear solve is needed; the final diagonal is kept as the final Jacobian for gradients.
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
        hi = np.where(residual > 0, x, hi)
        lo = np.where(residual < 0, x, lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton_x = x - residual / diag
        inside = (diag > 0) & (newton_x >= lo) & (newton_x <= hi) & np.isfinite(newton_x)
        x_new = np.where(inside, newton_x, 0.5 * (lo + hi))
        x_new = np.where(residual == 0, x, x_new)
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
