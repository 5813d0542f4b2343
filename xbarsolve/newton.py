"""Damped Newton's method for the crossbar's DC operating point, with fallbacks.

Per Newton step, for every sample of the batch:

1. assemble F(x) and J(x); factorize J; solve J·dx = −F;
2. converged when, at every free node k,
   |F_k| <= abstol + reltol·Σ|I|_k + 16·eps·Σ|g·v|_k   (KCL holds to a
   relative tolerance of the currents meeting at the node, or to the rounding
   floor of evaluating them) and
   |dx_k| <= reltol·|x_k| + vntol    (the update is negligible);
   the final, tiny ``dx`` is still applied and the last factorization is kept
   (implicit differentiation reuses it);
3. otherwise the step is shortened by SPICE-style device limiting (each
   element accepts only a fraction of it), and a backtracking line search
   halves it while ‖F‖₂ does not decrease.

Samples that fail are retried with gmin stepping (a shunt conductance from
every free node to ground, decreased by decades to zero) and then with source
stepping (input voltages ramped from 0 V, where the solution is known).  If
everything fails, :class:`~xbarsolve.errors.ConvergenceError` is raised: an
unconverged answer is never returned.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from . import checks
from .assembly import CircuitEquations
from .errors import ConvergenceError
from .linalg import LUFactor, make_linear_solver
from .threads import batched


# F cannot be evaluated more precisely than the rounding of its largest terms
# (g·v for a 1 mΩ wire is 1e3 × v): the KCL test allows this many ulps of them.
ROUNDING_FACTOR = 16 * np.finfo(float).eps


def _norm(residual: np.ndarray) -> np.ndarray:
    """‖F‖₂ (A) per sample; inf, without a warning, where the residual overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.linalg.norm(residual, axis=1)


@njit(cache=True, nogil=True)
def _residual_rows(residual, jac, scale, noise, abstol, reltol, fnorm, finite, kcl_ok):
    """Per sample: ‖F‖₂, whether F and J are finite, and the KCL test (module docstring)."""
    for s in range(residual.shape[0]):
        squares = 0.0
        ok = True
        for k in range(residual.shape[1]):
            r = residual[s, k]
            squares += r * r
            if not abs(r) <= abstol + reltol * scale[s, k] + ROUNDING_FACTOR * noise[s, k]:
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
    """Per sample: whether the step dx is finite, and the update test |dx| <= reltol·|x| + vntol."""
    for s in range(x.shape[0]):
        good = True
        ok = True
        for k in range(x.shape[1]):
            d = dx[s, k]
            if not np.isfinite(d):
                good = False
                ok = False
                break
            if abs(d) > reltol * max(abs(x[s, k]), abs(x[s, k] + d)) + vntol:
                ok = False
        finite[s] = good
        update_ok[s] = ok


_residual_tests = batched(_residual_rows, (0, 1, 2, 3, 6, 7, 8))
_update_tests = batched(_update_rows, (0, 1, 4, 5))


LINEAR_SOLVERS = ("auto", "krylov", "numba", "superlu")


@dataclass(frozen=True)
class NewtonOptions:
    """Tolerances and limits of the DC solve.

    reltol -- relative tolerance on node voltages and on KCL currents;
    vntol -- absolute voltage tolerance (V); abstol -- absolute current
    tolerance (A); max_iterations -- Newton steps per attempt;
    max_backtracks -- line-search halvings per step; gmin_steps -- shunt
    conductances (S) tried in order by gmin stepping; source_min_step --
    smallest input-ramp increment before source stepping gives up;
    linear_solver -- how Newton steps are solved: "auto" (default: "krylov"
    for crossbars, else "numba"), "krylov" (GMRES with a block Gauss–Seidel
    preconditioner over the row and column sides, exact LU where it does not
    converge; :mod:`xbarsolve.krylov`), "numba" (fixed-pattern sparse LU,
    parallel over the batch) or "superlu" (scipy; the baseline);
    krylov_rtol -- relative residual to which GMRES solves each Newton step
    (inexact Newton: the KCL test on the true residual decides convergence);
    krylov_max_iterations -- GMRES iterations before a sample falls back to
    the exact LU; decoupled_fast_path -- solve
    circuits whose unknowns do not couple (1T-1R cells with ideal wires) node by
    node with a bracketed scalar Newton (:func:`solve_decoupled`).
    """

    reltol: float = 1e-9
    vntol: float = 1e-12
    abstol: float = 1e-15
    max_iterations: int = 100
    max_backtracks: int = 10
    gmin_steps: tuple = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)
    source_min_step: float = 1e-4
    linear_solver: str = "auto"
    krylov_rtol: float = 1e-10
    krylov_max_iterations: int = 60
    decoupled_fast_path: bool = True

    def __post_init__(self):
        prefix = "NewtonOptions."
        for name in ("reltol", "vntol", "abstol", "source_min_step", "krylov_rtol"):
            object.__setattr__(self, name, checks.real_number(name, getattr(self, name), positive=True,
                                                              prefix=prefix))
        if self.reltol >= 1e-2:
            raise ValueError(f"NewtonOptions.reltol must be < 1e-2 (a relative tolerance; default 1e-9), "
                             f"got {self.reltol!r}")
        if self.source_min_step >= 1:
            raise ValueError(f"NewtonOptions.source_min_step must be < 1, got {self.source_min_step!r}")
        if self.krylov_rtol >= 1:
            raise ValueError(f"NewtonOptions.krylov_rtol must be < 1 (a relative residual; default 1e-10), "
                             f"got {self.krylov_rtol!r}")
        for name in ("max_iterations", "max_backtracks", "krylov_max_iterations"):
            object.__setattr__(self, name, checks.integer(name, getattr(self, name), minimum=1, prefix=prefix))
        object.__setattr__(self, "gmin_steps", checks.real_sequence(
            "gmin_steps", self.gmin_steps, positive=True, described="finite conductances > 0 (S)", prefix=prefix))
        if self.linear_solver not in LINEAR_SOLVERS:
            raise ValueError(f"NewtonOptions.linear_solver must be one of {LINEAR_SOLVERS}, "
                             f"got {self.linear_solver!r}")
        object.__setattr__(self, "decoupled_fast_path",
                           checks.boolean("decoupled_fast_path", self.decoupled_fast_path, prefix=prefix))


@dataclass
class NewtonResult:
    """Outcome of a batched DC solve.

    x -- free node voltages (V), (batch, n_free); iterations -- Newton steps
    per sample, all stages; converged -- bool per sample; residual_norm --
    ‖F‖₂ (A) at the last assembled iterate; factors -- the LU factorization of
    each sample's final Jacobian; strategy -- per sample, which stage solved it.
    """

    x: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    residual_norm: np.ndarray
    factors: list
    strategy: list = field(default_factory=list)


def newton(eqs: CircuitEquations, lu, x0: np.ndarray, fixed_v: np.ndarray,
           options: NewtonOptions, g_shunt: float = 0.0, keep_factors: bool = True) -> NewtonResult:
    """One attempt of damped Newton from ``x0`` for every sample (no fallbacks).

    ``keep_factors``: keep a copy of each converged sample's final LU factor.
    """
    batch, n = x0.shape
    x = np.array(x0, dtype=float, copy=True)
    iterations = np.zeros(batch, dtype=np.int64)
    converged = np.zeros(batch, dtype=bool)
    active = np.ones(batch, dtype=bool)
    factors = [None] * batch
    residual_norm = np.full(batch, np.inf)
    if n == 0:
        return NewtonResult(x, iterations, np.ones(batch, dtype=bool), np.zeros(batch), factors)

    x_prev = np.zeros_like(x)
    dx_prev = np.zeros_like(x)
    alpha_prev = np.zeros(batch)
    fnorm_prev = np.full(batch, np.inf)
    backtracks = np.zeros(batch, dtype=np.int64)
    dx = np.zeros_like(x)

    while active.any():
        residual, jac, scale, noise = eqs.assemble(x, fixed_v, active, g_shunt)
        fnorm, finite, kcl_ok = np.empty(batch), np.empty(batch, dtype=bool), np.empty(batch, dtype=bool)
        _residual_tests(residual, jac, scale, noise, options.abstol, options.reltol, fnorm, finite, kcl_ok)
        residual_norm[active] = fnorm[active]

        # Backtrack where the previous step did not reduce ‖F‖ (or produced non-finite values).
        worse = ~finite | (fnorm > (1.0 - 1e-4 * alpha_prev) * fnorm_prev)
        retreat = active & ~kcl_ok & worse & (backtracks < options.max_backtracks) & np.isfinite(fnorm_prev)
        if retreat.any():
            alpha_prev[retreat] *= 0.5
            backtracks[retreat] += 1
            x[retreat] = x_prev[retreat] + alpha_prev[retreat, None] * dx_prev[retreat]
        stalled = active & ~retreat & ~finite
        active &= ~stalled
        step = active & ~retreat
        stepping = np.flatnonzero(step)
        if stepping.size:
            batch_lu = None  # let the previous step's factors go before allocating new ones
            batch_lu = lu.factorize(jac, stepping)
            dx[stepping] = batch_lu.solve(-residual[stepping])
            iterations[stepping] += 1
        dx_finite, update_ok = np.empty(batch, dtype=bool), np.empty(batch, dtype=bool)
        _update_tests(x, dx, options.reltol, options.vntol, dx_finite, update_ok)
        bad_solve = step & ~dx_finite
        active &= ~bad_solve
        step &= ~bad_solve
        done = step & kcl_ok & update_ok
        x[done] += dx[done]
        if keep_factors:
            for row in np.flatnonzero(done[stepping]):
                factors[stepping[row]] = batch_lu.factor(row)
        converged |= done
        active &= ~done
        step &= ~done
        active &= ~(step & (iterations >= options.max_iterations))
        step &= active
        if step.any():
            alpha = eqs.step_fraction(x, dx, fixed_v, step)
            x_prev[step] = x[step]
            dx_prev[step] = dx[step]
            fnorm_prev[step] = fnorm[step]
            alpha_prev[step] = alpha[step]
            backtracks[step] = 0
            x[step] += alpha[step, None] * dx[step]
    return NewtonResult(x, iterations, converged, residual_norm, factors)


def _merge(into: NewtonResult, part: NewtonResult, idx: np.ndarray, label: str):
    into.iterations[idx] += part.iterations
    ok = part.converged
    into.x[idx[ok]] = part.x[ok]
    into.converged[idx[ok]] = True
    into.residual_norm[idx] = part.residual_norm
    for local, s in enumerate(idx):
        if ok[local]:
            into.factors[s] = part.factors[local]
            into.strategy[s] = label


def _gmin_stepping(eqs, lu, x0, fixed_v, options) -> NewtonResult:
    """Solve with a decreasing shunt conductance, each solution seeding the next."""
    batch = x0.shape[0]
    out = NewtonResult(np.array(x0, copy=True), np.zeros(batch, dtype=np.int64),
                       np.ones(batch, dtype=bool), np.full(batch, np.inf), [None] * batch)
    for g in tuple(options.gmin_steps) + (0.0,):
        idx = np.flatnonzero(out.converged)  # still on track
        if idx.size == 0:
            break
        res = newton(eqs, lu, out.x[idx], fixed_v[idx], options, g_shunt=g)
        out.iterations[idx] += res.iterations
        out.residual_norm[idx] = res.residual_norm
        out.x[idx[res.converged]] = res.x[res.converged]
        out.converged[idx[~res.converged]] = False
        for local, s in enumerate(idx):
            out.factors[s] = res.factors[local]
    return out


def _source_stepping(eqs, lu, fixed_v, options) -> NewtonResult:
    batch, n = fixed_v.shape[0], eqs.n_free
    out = NewtonResult(np.zeros((batch, n)), np.zeros(batch, dtype=np.int64),
                       np.zeros(batch, dtype=bool), np.full(batch, np.inf), [None] * batch)
    for s in range(batch):
        x = np.zeros((1, n))
        level, step = 0.0, 0.1
        while True:
            target = min(1.0, level + step)
            res = newton(eqs, lu, x, fixed_v[s:s + 1] * target, options)
            out.iterations[s] += res.iterations[0]
            out.residual_norm[s] = res.residual_norm[0]
            if res.converged[0]:
                x, level = res.x, target
                if level >= 1.0:
                    out.x[s], out.converged[s], out.factors[s] = x[0], True, res.factors[0]
                    break
                step = min(2.0 * step, 0.5)
            else:
                step *= 0.25
                if step < options.source_min_step:
                    # report the residual of the real problem (full inputs) at the best iterate
                    out.x[s] = x[0]
                    out.residual_norm[s] = _norm(eqs.residual(x, fixed_v[s:s + 1]))[0]
                    break
    return out


def _diagonal_factor(d: np.ndarray) -> LUFactor:
    d = d.copy()
    return LUFactor(lambda b: b / (d if b.ndim == 1 else d[:, None]),
                    lambda b: b / (d if b.ndim == 1 else d[:, None]))


def solve_decoupled(eqs: CircuitEquations, fixed_v: np.ndarray, x0: np.ndarray,
                    options: NewtonOptions) -> NewtonResult:
    """Safeguarded Newton for circuits whose free nodes do not couple (diagonal Jacobian).

    With ideal wires every 1T-1R internal node sits between two fixed terminals,
    so each unknown solves its own scalar equation F_k(x_k) = 0, F_k increasing.
    Every element passes current from its higher to its lower terminal, so the
    root lies between the lowest and highest fixed voltage (0 V, the body,
    included): the bracket is kept and a Newton step that leaves it is replaced
    by bisection, which makes convergence certain.  The Jacobian is diagonal,
    so no LU is needed; the final diagonal serves as the factor for gradients.
    """
    batch, n = x0.shape
    lo = np.minimum(fixed_v.min(axis=1, initial=0.0), 0.0)[:, None] * np.ones((1, n))
    hi = np.maximum(fixed_v.max(axis=1, initial=0.0), 0.0)[:, None] * np.ones((1, n))
    x = np.clip(x0, lo, hi)
    iterations = np.zeros(batch, dtype=np.int64)
    converged = np.zeros(batch, dtype=bool)
    active = np.ones(batch, dtype=bool)
    factors = [None] * batch
    residual_norm = np.full(batch, np.inf)
    # bisection halves the bracket each step: 200 steps reach any float64 resolution
    for _ in range(max(options.max_iterations, 200)):
        if not active.any():
            break
        residual, diag, scale, noise = eqs.assemble(x, fixed_v, active)
        residual_norm[active] = _norm(residual[active])
        kcl_ok = (np.abs(residual) <= options.abstol + options.reltol * scale
                  + ROUNDING_FACTOR * noise).all(axis=1)
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
                     + options.vntol).all(axis=1)
        done = active & kcl_ok & update_ok
        for s in np.flatnonzero(done):
            factors[s] = _diagonal_factor(diag[s])
        x[active] = x_new[active]
        converged |= done
        active &= ~done
    return NewtonResult(x, iterations, converged, residual_norm, factors)


#: Memory (bytes) the per-sample working arrays of one batch chunk may take (LU factors or
#: Krylov data, two Jacobians, ~16 node vectors); larger batches are solved in chunks so that
#: peak memory does not grow with the batch.
CHUNK_MEMORY_BUDGET = 256 * 2 ** 20


def _chunk_size(lu, netlist, batch: int) -> int:
    n_free = max(netlist.n_free, 1)
    per_sample = 8 * ((getattr(lu, "nnz_factors", 0) or 20 * n_free) + 2 * netlist.nnz + 16 * n_free)
    return max(1, min(batch, CHUNK_MEMORY_BUDGET // per_sample))


def solve_dc(eqs: CircuitEquations, fixed_v: np.ndarray, x0=None,
             options: NewtonOptions = NewtonOptions(), lu=None, keep_factors: bool = True) -> NewtonResult:
    """Solve the DC operating point of every sample; raise ConvergenceError on failure.

    ``fixed_v`` (V): fixed terminal voltages, (batch, n_fixed); ``x0`` (V):
    initial free node voltages, (batch, n_free), default 0 V.  ``keep_factors``
    keeps each sample's final LU factor (implicit differentiation needs it);
    without it, factor memory is bounded by one batch chunk.
    """
    net = eqs.netlist
    if lu is None:
        lu = make_linear_solver(options, net)
    batch = fixed_v.shape[0]
    x0 = np.zeros((batch, net.n_free)) if x0 is None else np.asarray(x0, dtype=float)
    chunk = _chunk_size(lu, net, batch)
    parts, failures = [], []
    for start in range(0, batch, chunk):
        part = slice(start, min(batch, start + chunk))
        try:
            result = _solve_chunk(eqs, fixed_v[part], x0[part], options, lu, keep_factors)
        except ConvergenceError as err:
            failures.append((start, err))
            continue
        if not keep_factors:
            result.factors = [None] * result.x.shape[0]
        parts.append(result)
    if failures:
        stage = failures[-1][1].stage
        raise ConvergenceError(np.concatenate([start + e.samples for start, e in failures]),
                               np.concatenate([e.residual_norm for _, e in failures]),
                               np.concatenate([e.iterations for _, e in failures]), stage)
    if len(parts) == 1:
        return parts[0]
    return NewtonResult(np.concatenate([p.x for p in parts]),
                        np.concatenate([p.iterations for p in parts]),
                        np.concatenate([p.converged for p in parts]),
                        np.concatenate([p.residual_norm for p in parts]),
                        [f for p in parts for f in p.factors],
                        [t for p in parts for t in p.strategy])


def _solve_chunk(eqs, fixed_v, x0, options, lu, keep_factors=True) -> NewtonResult:
    net = eqs.netlist
    if net.n_free and net.nnz == net.n_free and options.decoupled_fast_path:
        result = solve_decoupled(eqs, fixed_v, x0, options)
        label = "decoupled"
    else:
        result = newton(eqs, lu, x0, fixed_v, options, keep_factors=keep_factors)
        label = "newton"
    result.strategy = [label if c else None for c in result.converged]
    stage = label
    failed = np.flatnonzero(~result.converged)
    if failed.size:
        stage = "gmin stepping"
        _merge(result, _gmin_stepping(eqs, lu, x0[failed], fixed_v[failed], options), failed, stage)
        failed = np.flatnonzero(~result.converged)
    if failed.size:
        stage = "source stepping"
        _merge(result, _source_stepping(eqs, lu, fixed_v[failed], options), failed, stage)
        failed = np.flatnonzero(~result.converged)
    if failed.size:
        raise ConvergenceError(failed, result.residual_norm[failed], result.iterations[failed], stage)
    return result
