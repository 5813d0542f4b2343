"""Continuation for samples plain Newton cannot solve: gmin stepping, then source stepping.

* gmin stepping: a shunt conductance from every free node to 0 V makes the Jacobian
  diagonally dominant; it is decreased by decades (``NewtonOptions.gmin_steps``) to zero,
  each solution seeding the next;
* source stepping: the inputs are ramped from 0 V (where the solution is known) to their
  values, the step growing on success and shrinking on failure down to
  ``NewtonOptions.source_min_step``.
"""
from __future__ import annotations

import numpy as np

from .convergence import residual_norm
from .iteration import damped_newton
from .result import NewtonResult


def gmin_stepping(eqs, plan, x0, fixed_v, options, keep_jacobians=True) -> NewtonResult:
    """Solve with a decreasing shunt conductance (S), each solution seeding the next."""
    out = NewtonResult.start(x0, converged=True)  # "converged" = still on track
    for g in tuple(options.gmin_steps) + (0.0,):
        idx = np.flatnonzero(out.converged)
        if idx.size == 0:
            break
        last = g == 0.0
        res = damped_newton(eqs, plan, out.x[idx], fixed_v[idx], options, g_shunt=g,
                            keep_jacobians=keep_jacobians and last)
        out.iterations[idx] += res.iterations
        out.residual_norm[idx] = res.residual_norm
        out.x[idx[res.converged]] = res.x[res.converged]
        out.converged[idx[~res.converged]] = False
        if last and res.final_jacobians is not None and res.converged.any():
            ok = np.flatnonzero(res.converged)
            out.keep(plan, idx[ok], res.final_jacobians.take(ok))
    return out


def source_stepping(eqs, plan, fixed_v, options, keep_jacobians=True) -> NewtonResult:
    """Ramp the fixed voltages from 0 to their values, one sample at a time."""
    batch, n = fixed_v.shape[0], eqs.n_free
    out = NewtonResult.start(np.zeros((batch, n)))
    for s in range(batch):
        x = np.zeros((1, n))
        level, step = 0.0, 0.1
        while True:
            target = min(1.0, level + step)
            res = damped_newton(eqs, plan, x, fixed_v[s:s + 1] * target, options,
                                keep_jacobians=keep_jacobians and target >= 1.0)
            out.iterations[s] += res.iterations[0]
            out.residual_norm[s] = res.residual_norm[0]
            if res.converged[0]:
                x, level = res.x, target
                if level >= 1.0:
                    out.x[s], out.converged[s] = x[0], True
                    if res.final_jacobians is not None:
                        out.keep(plan, np.array([s]), res.final_jacobians)
                    break
                step = min(2.0 * step, 0.5)
            else:
                step *= 0.25
                if step < options.source_min_step:
                    # report the residual of the real problem (full inputs) at the best iterate
                    out.x[s] = x[0]
                    out.residual_norm[s] = residual_norm(eqs.residual(x, fixed_v[s:s + 1]))[0]
                    break
    return out
