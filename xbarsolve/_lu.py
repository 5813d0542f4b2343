"""Direct linear solvers: the fixed-pattern sparse LU (numba), scipy's SuperLU, and diagonal systems.

* :class:`SparseLU` (registered as ``"lu"``) -- symbolic factorization once per circuit, then
  a numba left-looking numeric factorization over the fixed filled pattern for every sample
  and Newton step, in parallel over the batch (:mod:`xbarsolve._sparse_lu`; no pivoting,
  justified there);
* :class:`SuperLU` (``"superlu"``) -- scipy's SuperLU per sample with threshold pivoting
  (the baseline; kept for comparison and as a cross-check);
* :class:`DiagonalSolver` (``"diagonal"``) -- Jacobians whose unknowns do not couple
  (1T-1R crossbars with ideal wires): one division per unknown.

Both LUs eliminate in a minimum-degree order computed once per circuit, in
:meth:`LinearSolver.analyse` (:func:`xbarsolve._ordering.minimum_degree_order`): the netlist
numbers unknowns in their natural order, and an ordering is the linear solver's business.
A state keeps the factors, so the transposed solve of implicit differentiation needs no
refactorization.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _sparse_lu
from ._linear import ArrayState, JacobianPattern, LinearPlan, LinearSolver, register_linear_solver
from ._ordering import minimum_degree_order, permuted_pattern


def _rows(values: np.ndarray, rows) -> np.ndarray:
    return np.arange(values.shape[0], dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)


class Permutation:
    """A symmetric permutation Q J Qᵀ of a pattern into a fill-reducing order, as index arrays.

    ``order[k]``: the unknown at position k; ``indptr``, ``indices``: the permuted CSC
    pattern; ``source[q]``: the slot of the original values that the q-th permuted value is.
    """

    def __init__(self, pattern: JacobianPattern):
        n = pattern.n
        cols = np.repeat(np.arange(n, dtype=np.int64), np.diff(pattern.indptr))
        rows = pattern.indices
        off = rows != cols
        position = minimum_degree_order(n, np.stack([rows[off], cols[off]], axis=1)).astype(np.int64)
        self.identity = bool(np.array_equal(position, np.arange(n)))
        self.order = np.argsort(position).astype(np.int64)
        self.indptr, self.indices, self.source = permuted_pattern(
            pattern.indptr, pattern.indices, position, self.order, np.ones(pattern.nnz, dtype=np.bool_))

    def values(self, values: np.ndarray) -> np.ndarray:
        """CSC values (batch, nnz) in the permuted pattern."""
        return np.ascontiguousarray(values if self.identity else values[:, self.source])

    def forward(self, rhs: np.ndarray) -> np.ndarray:
        """Right-hand sides (batch, n) in the permuted order (a new array)."""
        return np.array(rhs if self.identity else rhs[:, self.order], dtype=float)

    def backward(self, x: np.ndarray) -> np.ndarray:
        """Solutions in the permuted order back in the original one."""
        if self.identity:
            return x
        out = np.empty_like(x)
        out[:, self.order] = x
        return out


# ----------------------------------------------------------------------------- numba sparse LU
class LUState(ArrayState):
    """Filled L+U values per sample, (batch, nnz_factors) (layout: :mod:`xbarsolve._sparse_lu`)."""

    _fields = ("lu", "ok")


@dataclass(frozen=True)
class SparseLU(LinearSolver):
    """Fixed-pattern sparse LU without pivoting (numba), parallel over the batch."""

    name = "lu"

    def analyse(self, pattern: JacobianPattern) -> "SparseLUPlan":
        return SparseLUPlan(self, pattern)


class SparseLUPlan(LinearPlan):
    """A minimum-degree order and the filled pattern of L+U in it (the symbolic factorization)."""

    def __init__(self, solver: SparseLU, pattern: JacobianPattern):
        self.solver, self.pattern = solver, pattern
        self.permutation = Permutation(pattern)
        self.fill_indptr, self.fill_indices, self.diag = _sparse_lu.symbolic_factorization(
            pattern.n, self.permutation.indptr, self.permutation.indices)

    @property
    def nnz_factors(self) -> int:
        """Stored entries of L and U together."""
        return int(self.fill_indices.size)

    @property
    def memory_per_sample(self) -> int:
        return 8 * self.nnz_factors

    def empty_state(self, batch):
        return LUState(lu=np.zeros((batch, self.nnz_factors)), ok=np.zeros(batch, dtype=np.bool_))

    def init(self, values, rows=None):
        rows = _rows(values, rows)
        lu = np.empty((rows.size, self.nnz_factors))
        ok = np.zeros(rows.size, dtype=np.bool_)
        perm = self.permutation
        _sparse_lu.factor_batch(perm.indptr, perm.indices, perm.values(values[rows]),
                                self.fill_indptr, self.fill_indices, self.diag,
                                np.arange(rows.size, dtype=np.int64), lu, ok)
        return LUState(lu=lu, ok=ok)

    def solve(self, state, rhs, *, transpose=False):
        out = self.permutation.forward(rhs)  # (Q J Qᵀ)ᵀ = Q Jᵀ Qᵀ: one permutation serves both
        _sparse_lu.solve_batch(self.fill_indptr, self.fill_indices, self.diag, state.lu,
                               np.flatnonzero(state.ok).astype(np.int64), out, transpose)
        out = self.permutation.backward(out)
        out[~state.ok] = np.nan
        return out


# ----------------------------------------------------------------------------- SuperLU
class SuperLUState(ArrayState):
    """One ``scipy.sparse.linalg.SuperLU`` object per sample (object array; None where singular)."""

    _fields = ("factors", "ok")


@dataclass(frozen=True)
class SuperLU(LinearSolver):
    """scipy's SuperLU per sample, in a minimum-degree order, diagonal pivots preferred (threshold 0.1)."""

    name = "superlu"

    def analyse(self, pattern: JacobianPattern) -> "SuperLUPlan":
        return SuperLUPlan(self, pattern)


class SuperLUPlan(LinearPlan):
    def __init__(self, solver: SuperLU, pattern: JacobianPattern):
        self.solver, self.pattern = solver, pattern
        self.permutation = Permutation(pattern)
        self._indptr = np.asarray(self.permutation.indptr, dtype=np.int32)
        self._indices = np.asarray(self.permutation.indices, dtype=np.int32)

    @property
    def memory_per_sample(self) -> int:
        return 8 * 20 * max(self.pattern.n, 1)  # SuperLU's fill is not known in advance: an estimate

    def _one(self, values):
        import scipy.sparse as sp  # (imported on use)
        import scipy.sparse.linalg as spla

        n = self.pattern.n
        a = sp.csc_matrix((values, self._indices, self._indptr), shape=(n, n))
        try:
            return spla.splu(a, permc_spec="NATURAL", diag_pivot_thresh=0.1, options={"SymmetricMode": True})
        except RuntimeError:  # exactly singular
            return None

    def empty_state(self, batch):
        return SuperLUState(factors=np.full(batch, None, dtype=object), ok=np.zeros(batch, dtype=np.bool_))

    def init(self, values, rows=None):
        rows = _rows(values, rows)
        factors = np.empty(rows.size, dtype=object)
        permuted = self.permutation.values(values[rows])
        factors[:] = [self._one(v) for v in permuted]
        return SuperLUState(factors=factors, ok=np.array([f is not None for f in factors], dtype=np.bool_))

    def solve(self, state, rhs, *, transpose=False):
        out = self.permutation.forward(rhs)
        for k, lu in enumerate(state.factors):
            if state.ok[k]:
                out[k] = lu.solve(out[k], trans="T" if transpose else "N")
        out = self.permutation.backward(out)
        out[~state.ok] = np.nan
        return out


# ----------------------------------------------------------------------------- diagonal
class DiagonalState(ArrayState):
    """The diagonal of each sample's Jacobian, (batch, n)."""

    _fields = ("diagonal", "ok")


@dataclass(frozen=True)
class DiagonalSolver(LinearSolver):
    """Jacobians that are diagonal (their pattern has no off-diagonal entry): x = b / diag."""

    name = "diagonal"

    def analyse(self, pattern: JacobianPattern) -> "DiagonalPlan":
        if not pattern.is_diagonal:
            raise ValueError("linear_solver='diagonal' needs a circuit whose unknowns do not couple "
                             f"(a diagonal Jacobian); this one has {pattern.nnz - pattern.n} off-diagonal "
                             "entries: use 'auto', 'krylov', 'lu' or 'superlu'")
        return DiagonalPlan(self, pattern)


class DiagonalPlan(LinearPlan):
    def __init__(self, solver: DiagonalSolver, pattern: JacobianPattern):
        self.solver, self.pattern = solver, pattern

    @property
    def memory_per_sample(self) -> int:
        return 8 * self.pattern.n

    def empty_state(self, batch):
        return DiagonalState(diagonal=np.zeros((batch, self.pattern.n)), ok=np.zeros(batch, dtype=np.bool_))

    def init(self, values, rows=None):
        d = np.array(values[_rows(values, rows)], dtype=float)  # CSC values of a diagonal = the diagonal
        return DiagonalState(diagonal=d, ok=np.all((d != 0) & np.isfinite(d), axis=1))

    def solve(self, state, rhs, *, transpose=False):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(rhs, dtype=float) / state.diagonal
        out[~state.ok] = np.nan
        return out


register_linear_solver("lu", SparseLU)
register_linear_solver("superlu", SuperLU)
register_linear_solver("diagonal", DiagonalSolver)
