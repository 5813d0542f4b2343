"""Newton steps without a sparse LU: GMRES with a block Gauss–Seidel preconditioner (numba).

Why.  The LU of a crossbar's Jacobian fills in like that of a 2-D grid: at
64×64 with parasitics, 285k stored entries and 7.3 M multiply-adds per
factorization for 12k unknowns, the larger part of a solve.  The crossbar has
more structure than a grid, though.  Its nodes fall on two *sides*
(:mod:`xbarsolve._topology`, node attribute ``side``): the row side (row wires
and, with the transistor there, each cell's internal node) and the column
side.  Within a side, nodes are joined by wires and transistors into trees
(lines with cells hanging off them); the sides meet only through memristors,
whose conductances (≤ 1e-3 S) are small next to the wires' (≈ 0.1–1 S) and
drivers'.  With the unknowns ordered row side first,

    J = [[J_RR, J_RC],        M = [[J_RR,   0 ],
         [J_CR, J_CC]]             [J_CR, J_CC]]

and M — block Gauss–Seidel over the two sides — is cheap: J_RR and J_CC are
forests, whose LU in a minimum-degree (leaf-first) order has no fill, so M is
factorized and applied in O(n):

    M⁻¹ r:   y_R = J_RR⁻¹ r_R,   y_C = J_CC⁻¹ (r_C − J_CR y_R).

GMRES(m) on J M⁻¹ (right preconditioning, so the residual it minimizes is the
true one) typically converges to 1e-10 in 5–10 iterations (64×64, 2.5 Ω
wires, 100 Ω drivers), each costing a product with J and one application of M:
about 10× less work than the LU.  The transposed system (implicit
differentiation) uses Mᵀ, which is just as cheap.

Robustness.  The preconditioner degrades when memristors are as conductive as
the wires (e.g. 1 kΩ cells on 100 Ω wire segments: ~35 iterations).  A sample
whose GMRES does not reach the tolerance within ``max_iterations`` — or whose
preconditioner has a zero pivot — is solved by the exact sparse LU instead
(:class:`xbarsolve._lu.SparseLU`), so the answer never depends on GMRES
converging.  The Newton iteration itself checks KCL on the true residual, so
an inexact Newton step can slow convergence but cannot change the answer.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from . import _sparse_lu as sparse_lu
from . import checks
from ._linear import JacobianPattern, LinearPlan, LinearSolver, LinearState, register_linear_solver
from ._lu import SparseLU
from ._ordering import elimination_order, leaves_first, permuted_pattern
from ._threads import batched


class BlockGaussSeidel:
    """The preconditioner's structure for one circuit (built once, like a symbolic factorization).

    ``n``, ``indptr``, ``indices`` -- the Jacobian's CSC pattern; ``side`` --
    per unknown, 0 (row side) or 1 (column side).  P = the Jacobian without
    the entries that join the sides, permuted into its own fill-reducing order
    (:func:`xbarsolve._ordering.elimination_order`: leaves first for the forests of a
    crossbar) with every row-side unknown before every column-side one.
    """

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray, side: np.ndarray):

        indptr = np.asarray(indptr, dtype=np.int64)
        indices = np.asarray(indices, dtype=np.int64)
        side = np.asarray(side, dtype=np.int64)
        self.n = n
        self.n_row_side = int((side == 0).sum())
        plan = _forest_plan(indptr, indices, side)  # every side a forest (every crossbar): one numba call
        if plan[0]:
            (_, self.order, self.p_indptr, self.p_indices, self.p_source, self.fill_indptr, self.fill_indices,
             self.diag, self.cross_row, self.cross_col, self.cross_slot) = plan
            return
        same, cross_rows, cross_cols, cross_slots = _split_sides(indptr, indices, side)
        # A fill-reducing order of P's pattern, then a stable sort by side: P has no entries between
        # the sides, so elimination within each side keeps the order (and the low fill) it had.
        elimination_position = elimination_order(indptr, indices, same)
        order = np.lexsort((elimination_position, side)).astype(np.int64)  # order[k]: unknown at position k
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n, dtype=np.int64)
        self.order = order
        # P in its own order, CSC; p_source[q] = Jacobian slot of P's q-th value.
        self.p_indptr, self.p_indices, self.p_source = permuted_pattern(indptr, indices, position, order,
                                                                        same)
        self.fill_indptr, self.fill_indices, self.diag = sparse_lu.symbolic(self.p_indptr, self.p_indices)
        # J_CR: entries in a column-side row and a row-side column (P positions, Jacobian slot).
        self.cross_row = position[cross_rows]
        self.cross_col = position[cross_cols]
        self.cross_slot = cross_slots

    @property
    def nnz_factors(self) -> int:
        """Stored entries of the preconditioner's L and U (no fill for forests: ≈ nnz(P))."""
        return int(self.fill_indices.size)

    def arrays(self):
        """The plan as the tuple the numba kernels take."""
        return (self.order, self.n_row_side, self.p_indptr, self.p_indices, self.p_source,
                self.fill_indptr, self.fill_indices, self.diag, self.cross_row, self.cross_col,
                self.cross_slot)


# ----------------------------------------------------------------------------- numba kernels
@njit(cache=True)
def _forest_plan(indptr, indices, side):
    """The preconditioner's structure when both sides are forests, in one numba call: the
    leaves-first order within each side, row side first; P's permuted pattern, its (fill-free)
    symbolic factorization and J_CR.  First item False (and empty arrays) if a side has a cycle."""
    n = indptr.size - 1
    same, cross_rows, cross_cols, cross_slots = _split_sides(indptr, indices, side)
    leaves = leaves_first(indptr, indices, same)
    empty = np.empty(0, dtype=np.int64)
    if n and leaves[0] < 0:
        return False, empty, empty, empty, empty, empty, empty, empty, empty, empty, empty
    order = np.argsort(side * n + leaves).astype(np.int64)  # keys unique: by side, then leaves first
    position = np.empty(n, dtype=np.int64)
    for k in range(n):
        position[order[k]] = k
    p_indptr, p_indices, p_source = permuted_pattern(indptr, indices, position, order, same)
    fill_indptr, fill_indices, diag = sparse_lu.symbolic(p_indptr, p_indices)
    cross_row = np.empty(cross_rows.size, dtype=np.int64)
    cross_col = np.empty(cross_rows.size, dtype=np.int64)
    for e in range(cross_rows.size):
        cross_row[e] = position[cross_rows[e]]
        cross_col[e] = position[cross_cols[e]]
    return (True, order, p_indptr, p_indices, p_source, fill_indptr, fill_indices, diag, cross_row, cross_col,
            cross_slots)


@njit
def _split_sides(indptr, indices, side):
    """Which CSC entries join unknowns of the same side (P's entries), and the rows, columns and
    slots of those in a column-side row and a row-side column (J_CR)."""
    n = indptr.size - 1
    same = np.empty(indices.size, dtype=np.bool_)
    lower = 0
    for c in range(n):
        for p in range(indptr[c], indptr[c + 1]):
            r = indices[p]
            same[p] = side[r] == side[c]
            if side[r] == 1 and side[c] == 0:
                lower += 1
    rows = np.empty(lower, dtype=np.int64)
    cols = np.empty(lower, dtype=np.int64)
    slots = np.empty(lower, dtype=np.int64)
    m = 0
    for c in range(n):
        for p in range(indptr[c], indptr[c + 1]):
            r = indices[p]
            if side[r] == 1 and side[c] == 0:
                rows[m] = r
                cols[m] = c
                slots[m] = p
                m += 1
    return same, rows, cols, slots


@njit(cache=True)
def _factor_preconditioner(plan, jv, p_values, lu_p, work):
    """LU of P from Jacobian values ``jv``; False on a zero or non-finite pivot."""
    p_indptr, p_indices, p_source = plan[2], plan[3], plan[4]
    for q in range(p_source.size):
        p_values[q] = jv[p_source[q]]
    return sparse_lu.factor_one(p_indptr, p_indices, p_values, plan[5], plan[6], plan[7], lu_p, work)


@njit(cache=True)
def _precondition(plan, jv, lu_p, r, z, t, transpose):
    """z = M⁻¹ r (or M⁻ᵀ r); ``t`` is scratch of length n."""
    order, n_r, f_indptr, f_indices, diag = plan[0], plan[1], plan[5], plan[6], plan[7]
    cross_row, cross_col, cross_slot = plan[8], plan[9], plan[10]
    n = order.size
    for k in range(n):
        t[k] = r[order[k]]
    if not transpose:  # y_R = J_RR⁻¹ r_R; y_C = J_CC⁻¹ (r_C − J_CR y_R)
        sparse_lu.solve_range(f_indptr, f_indices, diag, lu_p, t, 0, n_r)
        for e in range(cross_row.size):
            t[cross_row[e]] -= jv[cross_slot[e]] * t[cross_col[e]]
        sparse_lu.solve_range(f_indptr, f_indices, diag, lu_p, t, n_r, n)
    else:  # y_C = J_CC⁻ᵀ r_C; y_R = J_RR⁻ᵀ (r_R − J_CRᵀ y_C)
        sparse_lu.solve_transpose_range(f_indptr, f_indices, diag, lu_p, t, n_r, n)
        for e in range(cross_row.size):
            t[cross_col[e]] -= jv[cross_slot[e]] * t[cross_row[e]]
        sparse_lu.solve_transpose_range(f_indptr, f_indices, diag, lu_p, t, 0, n_r)
    for k in range(n):
        z[order[k]] = t[k]


@njit(cache=True)
def _matvec(indptr, indices, jv, x, out, transpose):
    """out = J x (or Jᵀ x) for CSC values ``jv``."""
    n = x.size
    if not transpose:
        out[:] = 0.0
        for j in range(n):
            xj = x[j]
            if xj != 0.0:
                for p in range(indptr[j], indptr[j + 1]):
                    out[indices[p]] += jv[p] * xj
    else:
        for j in range(n):
            acc = 0.0
            for p in range(indptr[j], indptr[j + 1]):
                acc += jv[p] * x[indices[p]]
            out[j] = acc


@njit(cache=True)
def _norm(v):
    acc = 0.0
    for i in range(v.size):
        acc += v[i] * v[i]
    return np.sqrt(acc)


@njit(cache=True)
def gmres(indptr, indices, jv, plan, lu_p, b, x, rtol, restart, max_iterations, transpose, work):
    """Right-preconditioned GMRES(restart) for J x = b (or Jᵀ x = b) from x = 0.

    Returns (converged, iterations, ‖b − J x‖₂ / ‖b‖₂).  Converged means the
    true residual, recomputed at the end of every cycle, is ≤ rtol·‖b‖₂.
    ``work`` is a (restart + 5, n) scratch array.
    """
    n = b.size
    basis = work[:restart + 1]
    r, z, w, t = work[restart + 1], work[restart + 2], work[restart + 3], work[restart + 4]
    hess = np.zeros((restart + 1, restart))
    cs = np.zeros(restart)
    sn = np.zeros(restart)
    g = np.zeros(restart + 1)
    y = np.zeros(restart)
    x[:] = 0.0
    b_norm = _norm(b)
    if b_norm == 0.0:
        return True, 0, 0.0
    if not np.isfinite(b_norm):
        return False, 0, np.inf
    target = rtol * b_norm
    r[:] = b
    beta = b_norm
    iterations = 0
    while True:
        for i in range(n):
            basis[0, i] = r[i] / beta
        g[:] = 0.0
        g[0] = beta
        used = 0
        for k in range(restart):
            _precondition(plan, jv, lu_p, basis[k], z, t, transpose)
            _matvec(indptr, indices, jv, z, w, transpose)
            for i in range(k + 1):  # modified Gram–Schmidt
                h = 0.0
                for m in range(n):
                    h += w[m] * basis[i, m]
                hess[i, k] = h
                for m in range(n):
                    w[m] -= h * basis[i, m]
            h_next = _norm(w)
            hess[k + 1, k] = h_next
            if h_next > 0.0:
                for m in range(n):
                    basis[k + 1, m] = w[m] / h_next
            for i in range(k):  # earlier Givens rotations on the new column
                a_, b_ = hess[i, k], hess[i + 1, k]
                hess[i, k] = cs[i] * a_ + sn[i] * b_
                hess[i + 1, k] = -sn[i] * a_ + cs[i] * b_
            a_, b_ = hess[k, k], hess[k + 1, k]
            denom = np.hypot(a_, b_)
            if denom == 0.0:
                cs[k], sn[k] = 1.0, 0.0
            else:
                cs[k], sn[k] = a_ / denom, b_ / denom
            hess[k, k] = denom
            hess[k + 1, k] = 0.0
            g[k + 1] = -sn[k] * g[k]
            g[k] = cs[k] * g[k]
            iterations += 1
            used = k + 1
            if abs(g[k + 1]) <= target or h_next == 0.0 or iterations >= max_iterations:
                break
        for i in range(used - 1, -1, -1):  # back substitution: H y = g
            acc = g[i]
            for m in range(i + 1, used):
                acc -= hess[i, m] * y[m]
            y[i] = acc / hess[i, i] if hess[i, i] != 0.0 else 0.0
        w[:] = 0.0
        for i in range(used):
            for m in range(n):
                w[m] += y[i] * basis[i, m]
        _precondition(plan, jv, lu_p, w, z, t, transpose)
        for m in range(n):
            x[m] += z[m]
        _matvec(indptr, indices, jv, x, w, transpose)
        for m in range(n):
            r[m] = b[m] - w[m]
        beta = _norm(r)
        if beta <= target:
            return True, iterations, beta / b_norm
        if iterations >= max_iterations or not np.isfinite(beta):
            return False, iterations, beta / b_norm


@njit(cache=True, nogil=True)
def _solve_rows(indptr, indices, values, plan, selected, rhs, rtol, restart, max_iterations,
                transpose, ok, iterations):
    """Overwrite ``rhs[k]`` with the solution for sample ``selected[k]``; ``ok[k]`` False where the
    preconditioner is singular or GMRES does not converge (``rhs[k]`` is then left unusable)."""
    n = rhs.shape[1]
    work = np.empty((restart + 5, n))
    scratch = np.zeros(n)
    p_values = np.empty(plan[4].size)
    lu_p = np.empty(plan[6].size)
    x = np.empty(n)
    for k in range(selected.shape[0]):
        jv = values[selected[k]]
        if not _factor_preconditioner(plan, jv, p_values, lu_p, scratch):
            ok[k] = False
            continue
        done, its, _ = gmres(indptr, indices, jv, plan, lu_p, rhs[k], x, rtol, restart,
                             max_iterations, transpose, work)
        ok[k] = done
        iterations[k] = its
        rhs[k, :] = x


# selected, rhs, ok and iterations are cut into slices of the batch, one per thread
_solve_batch = batched(_solve_rows, (4, 5, 10, 11))


# ----------------------------------------------------------------------------- the solver
@dataclass(frozen=True)
class KrylovSolver(LinearSolver):
    """Newton steps by GMRES preconditioned with block Gauss–Seidel over the crossbar's sides.

    ``rtol`` -- relative residual to which GMRES solves each Newton step (inexact Newton: the
    KCL test on the true residual decides convergence); ``transpose_rtol`` -- of a gradient's
    adjoint solve; ``max_iterations`` -- GMRES iterations before a sample falls back to the
    exact sparse LU; ``restart`` -- Krylov vectors kept (memory: restart + 5 vectors per thread).
    Needs the side (row or column) of every unknown, as a :class:`~xbarsolve.Crossbar` gives.
    """

    rtol: float = 1e-10
    transpose_rtol: float = 1e-13
    max_iterations: int = 60
    restart: int = 30

    name = "krylov"

    def __post_init__(self):
        prefix = "KrylovSolver."
        for field in ("rtol", "transpose_rtol"):
            value = checks.real_number(field, getattr(self, field), positive=True, prefix=prefix)
            if value >= 1:
                raise ValueError(f"{prefix}{field} must be < 1 (a relative residual), got {value!r}")
            object.__setattr__(self, field, value)
        for field in ("max_iterations", "restart"):
            value = checks.integer(field, getattr(self, field), minimum=1, prefix=prefix)
            object.__setattr__(self, field, value)

    def analyse(self, pattern: JacobianPattern) -> "KrylovPlan":
        if pattern.side is None:
            raise ValueError("linear_solver='krylov' needs a circuit whose nodes carry a row/column "
                             "'side' (as a Crossbar's do); use 'lu' or 'superlu' for this one")
        return KrylovPlan(self, pattern)


class KrylovState(LinearState):
    """The Jacobians GMRES works on: ``values[rows[k]]`` is sample k's (CSC values).

    :meth:`KrylovPlan.init` keeps a reference to the caller's value array (no copy per Newton
    step); :meth:`take` copies the rows it keeps.
    """

    def __init__(self, values: np.ndarray, rows: np.ndarray, ok: np.ndarray):
        self.values, self.rows, self.ok = values, rows, ok

    def take(self, rows):
        rows = np.asarray(rows, dtype=np.int64)
        return KrylovState(self.values[self.rows[rows]], np.arange(rows.size, dtype=np.int64),
                           self.ok[rows].copy())

    def put(self, rows, part):
        rows = np.asarray(rows, dtype=np.int64)
        self.values[self.rows[rows]] = part.values[part.rows]
        self.ok[rows] = part.ok


class KrylovPlan(LinearPlan):
    """The block Gauss–Seidel preconditioner's structure for one pattern, and GMRES statistics.

    ``stats`` counts solves, GMRES iterations and LU fallbacks (for benchmarks and tests).
    """

    def __init__(self, solver: KrylovSolver, pattern: JacobianPattern):
        self.solver, self.pattern = solver, pattern
        self.preconditioner = BlockGaussSeidel(pattern.n, pattern.indptr, pattern.indices, pattern.side)
        self.restart = int(min(solver.restart, solver.max_iterations))
        self._direct = None
        self.stats = {"solves": 0, "iterations": 0, "lu_fallbacks": 0}

    @property
    def direct(self):
        """The exact sparse LU plan used where GMRES does not converge (analysed on first use)."""
        if self._direct is None:
            self._direct = SparseLU().analyse(self.pattern)
        return self._direct

    @property
    def memory_per_sample(self) -> int:
        """Values kept per sample (the Jacobian) and worked on (the preconditioner's factors)."""
        return 8 * (self.pattern.nnz + self.preconditioner.nnz_factors)

    def empty_state(self, batch):
        return KrylovState(np.zeros((batch, self.pattern.nnz)), np.arange(batch, dtype=np.int64),
                           np.zeros(batch, dtype=np.bool_))

    def init(self, values, rows=None):
        rows = np.arange(values.shape[0]) if rows is None else rows
        rows = np.asarray(rows, dtype=np.int64)
        return KrylovState(values, rows, np.ones(rows.size, dtype=np.bool_))

    def solve(self, state, rhs, *, transpose=False):
        """GMRES first; samples where it fails get the exact LU (NaN rows if that is singular too)."""
        solver = self.solver
        out = np.array(rhs, dtype=float, copy=True)
        ok = np.ones(state.rows.size, dtype=np.bool_)
        iterations = np.zeros(state.rows.size, dtype=np.int64)
        _solve_batch(self.pattern.indptr, self.pattern.indices, state.values, self.preconditioner.arrays(),
                     state.rows, out, solver.transpose_rtol if transpose else solver.rtol, self.restart,
                     solver.max_iterations, transpose, ok, iterations)
        self.stats["solves"] += state.rows.size
        self.stats["iterations"] += int(iterations.sum())
        failed = np.flatnonzero(~ok & state.ok)
        if failed.size:
            self.stats["lu_fallbacks"] += failed.size
            exact = self.direct.init(state.values, state.rows[failed])
            out[failed] = self.direct.solve(exact, np.asarray(rhs, dtype=float)[failed], transpose=transpose)
        out[~state.ok] = np.nan
        return out


register_linear_solver("krylov", KrylovSolver)
