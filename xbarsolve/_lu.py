"""Direct linear solvers: the fixed-pattern sparse LU (numba), scipy's SuperLU, and diagonal systems.

* :class:`SparseLU` (registered as ``"lu"``) -- symbolic factorization once per circuit, then
  a numba left-looking numeric factorization over the fixed filled pattern for every sample
  and Newton step, in parallel over the batch (:mod:`xbarsolve._sparse_lu`; no pivoting,
  justified there);
* :class:`SuperLU` (``"superlu"``) -- scipy's SuperLU per sample with threshold pivoting
  (the baseline; kept for comparison and as a cross-check);
* :class:`DiagonalSolver` (``"diagonal"``) -- Jacobians whose unknowns do not couple
  (1T-1R crossbars with ideal wires): one division per unknown.

Both LUs work in the order the netlist numbers its unknowns, which is fill-reducing
(:func:`xbarsolve.netlist.fill_reducing_order`).  A state keeps the factors, so the
transposed solve of implicit differentiation needs no refactorization.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from . import _sparse_lu
from ._linear import ArrayState, JacobianPattern, LinearPlan, LinearSolver, register_linear_solver


def _rows(values: np.ndarray, rows) -> np.ndarray:
    return np.arange(values.shape[0], dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)


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
    """The filled pattern of L+U for one Jacobian pattern (the symbolic factorization)."""

    def __init__(self, solver: SparseLU, pattern: JacobianPattern):
        self.solver, self.pattern = solver, pattern
        self.fill_indptr, self.fill_indices, self.diag = _sparse_lu.symbolic_factorization(
            pattern.n, pattern.indptr, pattern.indices)

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
        _sparse_lu.factor_batch(self.pattern.indptr, self.pattern.indices, np.ascontiguousarray(values[rows]),
                                self.fill_indptr, self.fill_indices, self.diag,
                                np.arange(rows.size, dtype=np.int64), lu, ok)
        return LUState(lu=lu, ok=ok)

    def solve(self, state, rhs, *, transpose=False):
        out = np.array(rhs, dtype=float, copy=True)
        _sparse_lu.solve_batch(self.fill_indptr, self.fill_indices, self.diag, state.lu,
                               np.flatnonzero(state.ok).astype(np.int64), out, transpose)
        out[~state.ok] = np.nan
        return out


# ----------------------------------------------------------------------------- SuperLU
class SuperLUState(ArrayState):
    """One ``scipy.sparse.linalg.SuperLU`` object per sample (object array; None where singular)."""

    _fields = ("factors", "ok")


@dataclass(frozen=True)
class SuperLU(LinearSolver):
    """scipy's SuperLU per sample, in the netlist's order, diagonal pivots preferred (threshold 0.1)."""

    name = "superlu"

    def analyse(self, pattern: JacobianPattern) -> "SuperLUPlan":
        return SuperLUPlan(self, pattern)


class SuperLUPlan(LinearPlan):
    def __init__(self, solver: SuperLU, pattern: JacobianPattern):
        self.solver, self.pattern = solver, pattern
        self._indptr = np.asarray(pattern.indptr, dtype=np.int32)
        self._indices = np.asarray(pattern.indices, dtype=np.int32)

    @property
    def memory_per_sample(self) -> int:
        return 8 * 20 * max(self.pattern.n, 1)  # SuperLU's fill is not known in advance: an estimate

    def _one(self, values):
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
        factors[:] = [self._one(values[s]) for s in rows]
        return SuperLUState(factors=factors, ok=np.array([f is not None for f in factors], dtype=np.bool_))

    def solve(self, state, rhs, *, transpose=False):
        out = np.array(rhs, dtype=float, copy=True)
        for k, lu in enumerate(state.factors):
            if state.ok[k]:
                out[k] = lu.solve(out[k], trans="T" if transpose else "N")
            else:
                out[k] = np.nan
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
