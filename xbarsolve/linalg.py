"""Sparse LU factorization behind a small interface.

The netlist already numbers unknowns in a fill-reducing order (computed once
at compile time), so every factorization runs in the natural order: the
ordering work is never repeated across Newton steps or samples.  Nodal
Jacobians of resistors, memristors and gate-biased transistors are column
diagonally dominant, so the diagonal is a safe pivot; SuperLU is told to
prefer it (threshold partial pivoting keeps it safe in the rare other case).

A factor solves both ``J x = b`` and ``Jᵀ x = b``: the transpose solve is what
implicit differentiation needs, with no refactorization.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


class SingularJacobianError(ArithmeticError):
    """The Jacobian is exactly singular (e.g. a floating node)."""


class LUFactor:
    """An LU factorization of one Jacobian."""

    def __init__(self, lu):
        self._lu = lu

    def solve(self, b: np.ndarray) -> np.ndarray:
        """Solve J x = b."""
        return self._lu.solve(b)

    def solve_transpose(self, b: np.ndarray) -> np.ndarray:
        """Solve Jᵀ x = b (same factorization)."""
        return self._lu.solve(b, trans="T")


class SparseLU:
    """Factorizes matrices that share one CSC pattern (``indptr``, ``indices``)."""

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray):
        self.n = n
        self.indptr = indptr.astype(np.int32)
        self.indices = indices.astype(np.int32)

    def factorize(self, values: np.ndarray) -> LUFactor:
        """Factorize the matrix with CSC ``values`` (float64, nnz)."""
        a = sp.csc_matrix((values, self.indices, self.indptr), shape=(self.n, self.n))
        try:
            lu = spla.splu(a, permc_spec="NATURAL", diag_pivot_thresh=0.1,
                           options={"SymmetricMode": True})
        except RuntimeError as exc:  # SuperLU reports exact singularity this way
            raise SingularJacobianError(str(exc)) from None
        return LUFactor(lu)
