"""Sparse LU factorization of batches of Jacobians, behind one small interface.

The netlist numbers unknowns in a fill-reducing order once, at compile time,
so no backend ever computes an ordering again.  Two backends:

* :class:`NumbaLU` (default) -- symbolic factorization once per circuit, then
  a numba left-looking numeric factorization over the fixed filled pattern for
  every sample and Newton step, in parallel over the batch
  (:mod:`xbarsolve.sparse_lu`; no pivoting, justified there);
* :class:`SuperLU` -- scipy's SuperLU in the natural order with threshold
  pivoting (the baseline; kept for comparison and as a cross-check).

``factorize(values, selected)`` returns a :class:`FactorBatch`: per-sample
success flags, batched solves ``J x = b`` and ``Jᵀ x = b`` (the transpose solve
is what implicit differentiation needs, with no refactorization), and
:meth:`FactorBatch.factor` for one sample's :class:`LUFactor`.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from . import sparse_lu


class LUFactor:
    """The LU factorization of one sample's Jacobian."""

    def __init__(self, solve, solve_transpose):
        self._solve = solve
        self._solve_t = solve_transpose

    def solve(self, b: np.ndarray) -> np.ndarray:
        """Solve J x = b (b: (n,) or (n, k))."""
        return self._solve(np.asarray(b, dtype=float))

    def solve_transpose(self, b: np.ndarray) -> np.ndarray:
        """Solve Jᵀ x = b with the same factorization."""
        return self._solve_t(np.asarray(b, dtype=float))


class FactorBatch:
    """Factorizations of the Jacobians of ``selected`` samples (row k ↔ sample selected[k])."""

    def __init__(self, selected, ok, solve_rows, factor_of_row):
        self.selected = selected
        self.ok = ok  # bool per row
        self._solve_rows = solve_rows
        self._factor_of_row = factor_of_row

    def solve(self, rhs: np.ndarray, transpose: bool = False) -> np.ndarray:
        """Solve for every row of ``rhs`` ((len(selected), n)); rows of failed factorizations give NaN."""
        out = np.array(rhs, dtype=float, copy=True)
        self._solve_rows(out, transpose)
        out[~self.ok] = np.nan
        return out

    def factor(self, row: int) -> LUFactor:
        """A standalone factor for row ``row`` (None where factorization failed)."""
        return self._factor_of_row(row) if self.ok[row] else None


class NumbaLU:
    """Fixed-pattern LU (numba), parallel over the batch."""

    name = "numba"

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray):
        self.n = n
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.fill_indptr, self.fill_indices, self.diag = sparse_lu.symbolic_factorization(
            n, self.indptr, self.indices)

    @property
    def nnz_factors(self) -> int:
        """Stored entries of L and U together."""
        return int(self.fill_indices.size)

    def factorize(self, values: np.ndarray, selected: np.ndarray) -> FactorBatch:
        """Factorize ``values[selected]`` (CSC values, (batch, nnz))."""
        selected = np.asarray(selected, dtype=np.int64)
        rows = np.arange(selected.size, dtype=np.int64)
        lu = np.empty((selected.size, self.nnz_factors))
        ok = np.zeros(selected.size, dtype=np.bool_)
        sparse_lu.factor_batch(self.indptr, self.indices, np.ascontiguousarray(values[selected]),
                               self.fill_indptr, self.fill_indices, self.diag, rows, lu, ok)
        pattern = (self.fill_indptr, self.fill_indices, self.diag)

        def solve_rows(rhs, transpose):
            good = rows[ok]
            sparse_lu.solve_batch(*pattern, lu, good, rhs, transpose)

        def factor_of_row(row):
            own = lu[row:row + 1].copy()
            return LUFactor(lambda b: _solve_single(pattern, own, b, False),
                            lambda b: _solve_single(pattern, own, b, True))

        return FactorBatch(selected, ok, solve_rows, factor_of_row)


def _solve_single(pattern, lu_row, b, transpose):
    if b.ndim == 1:
        out = b[None, :].copy()
        sparse_lu.solve_batch(*pattern, lu_row, np.zeros(1, dtype=np.int64), out, transpose)
        return out[0]
    cols = np.ascontiguousarray(b.T)  # one right-hand side per row
    lu_rep = np.broadcast_to(lu_row, (cols.shape[0], lu_row.shape[1]))
    sparse_lu.solve_batch(*pattern, np.ascontiguousarray(lu_rep), np.arange(cols.shape[0]), cols, transpose)
    return cols.T


class SuperLU:
    """scipy SuperLU per sample, natural order, diagonal preferred (threshold 0.1)."""

    name = "superlu"

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray):
        self.n = n
        self.indptr = np.asarray(indptr, dtype=np.int32)
        self.indices = np.asarray(indices, dtype=np.int32)

    def _one(self, values):
        a = sp.csc_matrix((values, self.indices, self.indptr), shape=(self.n, self.n))
        try:
            return spla.splu(a, permc_spec="NATURAL", diag_pivot_thresh=0.1,
                             options={"SymmetricMode": True})
        except RuntimeError:  # exactly singular
            return None

    def factorize(self, values: np.ndarray, selected: np.ndarray) -> FactorBatch:
        selected = np.asarray(selected, dtype=np.int64)
        lus = [self._one(values[s]) for s in selected]
        ok = np.array([lu is not None for lu in lus], dtype=bool)

        def solve_rows(rhs, transpose):
            for k, lu in enumerate(lus):
                if lu is not None:
                    rhs[k] = lu.solve(rhs[k], trans="T" if transpose else "N")

        def factor_of_row(row):
            lu = lus[row]
            return LUFactor(lambda b: lu.solve(b), lambda b: lu.solve(b, trans="T"))

        return FactorBatch(selected, ok, solve_rows, factor_of_row)


BACKENDS = {"numba": NumbaLU, "superlu": SuperLU}


def make_lu(backend: str, n: int, indptr: np.ndarray, indices: np.ndarray):
    """The LU backend named ``backend`` ("numba" or "superlu") for a CSC pattern."""
    if backend not in BACKENDS:
        raise ValueError(f"linear solver backend must be one of {tuple(BACKENDS)}, got {backend!r}")
    return BACKENDS[backend](n, indptr, indices)


def make_linear_solver(options, netlist):
    """The linear solver ``options.linear_solver`` names, for a compiled netlist.

    "auto" is "krylov" where the netlist's unknowns carry row/column sides (every
    :class:`~xbarsolve.Crossbar`) and "numba" otherwise.
    """
    name = options.linear_solver
    if name == "auto":
        name = "krylov" if netlist.free_side is not None else "numba"
    if name == "krylov":
        if netlist.free_side is None:
            raise ValueError("linear_solver='krylov' needs a circuit whose nodes carry a row/column "
                             "'side' (as a Crossbar's do); use 'numba' or 'superlu' for this one")
        from .krylov import KrylovSolver  # krylov builds on this module

        return KrylovSolver(netlist.n_free, netlist.indptr, netlist.indices, netlist.free_side,
                            rtol=options.krylov_rtol, max_iterations=options.krylov_max_iterations)
    return make_lu(name, netlist.n_free, netlist.indptr, netlist.indices)
