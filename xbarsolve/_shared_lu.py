"""One sparse LU for a batch of systems that share their matrix (linear circuits).

A circuit whose every element is linear has one constant Jacobian J, the same for every input
vector and every iterate.  :class:`SharedFactorPlan` factorizes it once -- scipy's SuperLU in a
minimum-degree order of Jᵀ + J (fill at 64×64 with wires: half that of COLAMD's), diagonal pivots
preferred (threshold 0.1; the conductance matrix of a resistor network is a diagonally dominant
M-matrix, so they are taken) -- and solves every right-hand side of a batch, and the transposed
systems of the adjoint, with the same factors: numba triangular solves, in parallel over the
batch (scipy's own multi-right-hand-side solve is slower than one numba pass per vector).

It implements the :class:`~xbarsolve.linear_solvers.LinearPlan` protocol for what Newton keeps
and the adjoint uses (``solve``, states with ``take``/``put``); a state is the factor plus one
``ok`` flag per sample, so keeping it for gradients costs no memory per sample.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._linear import LinearPlan, LinearState
from ._threads import batched


class SingularMatrixError(ArithmeticError):
    """The shared matrix is singular (SuperLU found an exactly zero pivot)."""


#: Right-hand sides solved together: each factor entry then updates a contiguous block of
#: this many values (vectorised), instead of one value per pass over the factors.
BLOCK = 16


@njit(cache=True, nogil=True)
def _solve_rows(l_indptr, l_indices, l_values, u_indptr, u_indices, u_values, perm_r, perm_c, rhs, out,
                transpose):
    """``out[s] = A⁻¹ rhs[s]`` (or A⁻ᵀ) with Pr A Pc = L U (L unit lower, U upper; CSC),
    :data:`BLOCK` right-hand sides at a time."""
    n = perm_r.size
    y = np.empty((n, BLOCK))
    acc = np.empty(BLOCK)
    for s0 in range(0, rhs.shape[0], BLOCK):
        k = min(BLOCK, rhs.shape[0] - s0)
        if not transpose:  # L U (Pcᵀ x) = Pr b
            for i in range(n):
                for c in range(k):
                    y[perm_r[i], c] = rhs[s0 + c, i]
            for j in range(n):  # L: unit diagonal, stored first in each column
                for p in range(l_indptr[j] + 1, l_indptr[j + 1]):
                    r = l_indices[p]
                    v = l_values[p]
                    for c in range(k):
                        y[r, c] -= v * y[j, c]
            for j in range(n - 1, -1, -1):  # U: diagonal stored last in each column
                last = u_indptr[j + 1] - 1
                d = 1.0 / u_values[last]
                for c in range(k):
                    y[j, c] *= d
                for p in range(u_indptr[j], last):
                    r = u_indices[p]
                    v = u_values[p]
                    for c in range(k):
                        y[r, c] -= v * y[j, c]
            for i in range(n):
                for c in range(k):
                    out[s0 + c, i] = y[perm_c[i], c]
        else:  # Uᵀ Lᵀ (Pr x) = Pcᵀ b
            for i in range(n):
                for c in range(k):
                    y[perm_c[i], c] = rhs[s0 + c, i]
            for j in range(n):  # Uᵀ: lower, by columns of U
                last = u_indptr[j + 1] - 1
                for c in range(k):
                    acc[c] = y[j, c]
                for p in range(u_indptr[j], last):
                    r = u_indices[p]
                    v = u_values[p]
                    for c in range(k):
                        acc[c] -= v * y[r, c]
                d = 1.0 / u_values[last]
                for c in range(k):
                    y[j, c] = acc[c] * d
            for j in range(n - 1, -1, -1):  # Lᵀ: unit upper, by columns of L
                for c in range(k):
                    acc[c] = y[j, c]
                for p in range(l_indptr[j] + 1, l_indptr[j + 1]):
                    r = l_indices[p]
                    v = l_values[p]
                    for c in range(k):
                        acc[c] -= v * y[r, c]
                for c in range(k):
                    y[j, c] = acc[c]
            for i in range(n):
                for c in range(k):
                    out[s0 + c, i] = y[perm_r[i], c]


_solve_batch = batched(_solve_rows, (8, 9))  # rhs and out, in slices of the batch


class SharedFactorState(LinearState):
    """Samples whose systems share the factors of a :class:`SharedFactorPlan`: ``ok`` per sample."""

    def __init__(self, ok: np.ndarray):
        self.ok = ok

    def take(self, rows):
        return SharedFactorState(self.ok[np.asarray(rows, dtype=np.int64)].copy())

    def put(self, rows, part):
        self.ok[np.asarray(rows, dtype=np.int64)] = part.ok


class SharedFactorPlan(LinearPlan):
    """The LU factors of one matrix (CSC ``values`` on ``pattern``) that every sample shares.

    Raises :class:`SingularMatrixError` if the matrix is singular (or not finite).
    """

    def __init__(self, pattern, values: np.ndarray):
        import scipy.sparse as sp  # (imported on use: only linear circuits need it)
        import scipy.sparse.linalg as spla

        self.solver, self.pattern = None, pattern
        values = np.asarray(values, dtype=float)
        if not np.all(np.isfinite(values)):
            raise SingularMatrixError("the shared Jacobian has non-finite entries")
        n = pattern.n
        a = sp.csc_matrix((values, pattern.indices, pattern.indptr), shape=(n, n))
        try:
            lu = spla.splu(a, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.1,
                           options={"SymmetricMode": True})
        except RuntimeError as err:  # "Factor is exactly singular"
            raise SingularMatrixError(str(err)) from None
        lower, upper = lu.L.tocsc(), lu.U.tocsc()
        lower.sort_indices()  # the kernels need the diagonal first in each column of L, last in U
        upper.sort_indices()
        self._arrays = (lower.indptr.astype(np.int64), lower.indices.astype(np.int64), lower.data,
                        upper.indptr.astype(np.int64), upper.indices.astype(np.int64), upper.data,
                        np.asarray(lu.perm_r, dtype=np.int64), np.asarray(lu.perm_c, dtype=np.int64))
        self.nnz_factors = int(lower.nnz + upper.nnz)
        if not np.all(np.isfinite(upper.data)) or np.any(upper.diagonal() == 0):
            raise SingularMatrixError("the shared Jacobian's LU has a zero or non-finite pivot")

    @property
    def memory_per_sample(self) -> int:
        return 0  # the factors are shared; per sample only the right-hand side and solution

    def state(self, ok: np.ndarray) -> SharedFactorState:
        """A state of ``ok.size`` samples that share this plan's matrix (``ok``: which are set)."""
        return SharedFactorState(np.asarray(ok, dtype=np.bool_).copy())

    def empty_state(self, batch):
        return SharedFactorState(np.zeros(batch, dtype=np.bool_))

    def init(self, values, rows=None):
        raise NotImplementedError("a SharedFactorPlan holds the factors of one matrix that every sample "
                                  "shares; make states with SharedFactorPlan.state(ok)")

    def solve(self, state, rhs, *, transpose=False):
        rhs = np.ascontiguousarray(rhs, dtype=float)
        out = np.empty_like(rhs)
        _solve_batch(*self._arrays, rhs, out, bool(transpose))
        out[~state.ok] = np.nan
        return out
