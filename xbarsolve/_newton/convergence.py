"""The convergence tests of a Newton iterate, per sample (numba, parallel over the batch).

Converged means, at every free node k,

    |F_k| <= min(abstol, reltol·S) + reltol·Σ|I|_k + 16·eps·Σ|g·v|_k   (KCL holds to a relative
                                          tolerance of the currents meeting at the node, or to
                                          the rounding floor of evaluating them)
    |dx_k| <= reltol·max(|x_k|, |x_k + dx_k|) + min(vntol, reltol·V)     (the update is negligible),

with S the circuit's own current scale -- the largest Σ|I|_k over its nodes -- and V its own
voltage scale -- the largest |fixed terminal voltage| -- per sample.  The absolute tolerances
serve nodes where almost no current flows; capping them by the circuit's scales makes
"converged" mean KCL to ``reltol`` of the circuit's currents whatever ``abstol`` and ``vntol``
are set to (``NewtonOptions(abstol=1.0)`` would otherwise accept any first iterate of a
circuit carrying microamperes).  With the defaults the caps act only below 1 µA and 1 mV.
The caps stop at ``TINY`` = √(smallest normal float64) ≈ 1.5e-154 (A or V): below it the
squares in residual norms and GMRES underflow to 0, and a tolerance there could not be met.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .._threads import batched

# F cannot be evaluated more precisely than the rounding of its largest terms
# (g·v for a 1 mΩ wire is 1e3 × v): the KCL test allows this many ulps of them.
ROUNDING_FACTOR = 16 * np.finfo(float).eps
#: √(smallest normal float64): squares of smaller values underflow; the caps stop here (A or V).
TINY = float(np.sqrt(np.finfo(float).tiny))


def residual_norm(residual: np.ndarray) -> np.ndarray:
    """‖F‖₂ (A) per sample; inf, without a warning, where the residual overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.linalg.norm(residual, axis=1)


@njit(cache=True, nogil=True)
def _residual_rows(residual, jac, scale, noise, abstol, reltol, fnorm, finite, kcl_ok):
    """Per sample: ‖F‖₂, whether F and J are finite, and the KCL test (module docstring)."""
    for s in range(residual.shape[0]):
        largest = 0.0
        for k in range(residual.shape[1]):
            largest = max(largest, scale[s, k])
        floor = max(min(abstol, reltol * largest), TINY)
        squares = 0.0
        ok = True
        for k in range(residual.shape[1]):
            r = residual[s, k]
            squares += r * r
            if not abs(r) <= floor + reltol * scale[s, k] + ROUNDING_FACTOR * noise[s, k]:
                ok = False  # also for NaN
        fnorm[s] = np.sqrt(squares)
        good = np.isfinite(squares)
        for p in range(jac.shape[1]):
            if not np.isfinite(jac[s, p]):
                good = False
                break
        finite[s] = good
        kcl_ok[s] = ok


@njit(cache=True, nogil=True)
def _update_rows(x, dx, reltol, vntol, finite, update_ok):
    """Per sample: whether the step dx is finite, and the update test |dx| <= reltol·|x| + vntol[s]."""
    for s in range(x.shape[0]):
        good = True
        ok = True
        for k in range(x.shape[1]):
            d = dx[s, k]
            if not np.isfinite(d):
                good = False
                ok = False
                break
            if abs(d) > reltol * max(abs(x[s, k]), abs(x[s, k] + d)) + vntol[s]:
                ok = False
        finite[s] = good
        update_ok[s] = ok


#: (residual, jac, scale, noise, abstol, reltol, fnorm, finite, kcl_ok), in slices of the batch
residual_tests = batched(_residual_rows, (0, 1, 2, 3, 6, 7, 8))
#: (x, dx, reltol, vntol (per sample), finite, update_ok), in slices of the batch
update_tests = batched(_update_rows, (0, 1, 3, 4, 5))


def voltage_floor(fixed_v: np.ndarray, options) -> np.ndarray:
    """The absolute voltage tolerance of each sample, min(vntol, reltol·V), at least TINY (V, (batch,))."""
    largest = np.abs(fixed_v).max(axis=1, initial=0.0)
    return np.maximum(np.minimum(options.vntol, options.reltol * largest), TINY)


def kcl_holds(residual, scale, noise, options) -> np.ndarray:
    """The KCL test (module docstring) per sample, in numpy (for the decoupled path)."""
    largest = scale.max(axis=1, initial=0.0)
    floor = np.maximum(np.minimum(options.abstol, options.reltol * largest), TINY)[:, None]
    return (np.abs(residual) <= floor + options.reltol * scale + ROUNDING_FACTOR * noise).all(axis=1)
