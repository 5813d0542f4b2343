"""A fixed-pattern sparse LU for batches of nodal Jacobians (numba).

Every sample and every Newton step of a circuit share one sparsity pattern, so
the symbolic work — elimination tree and the filled pattern of L and U — is
done once per circuit, and each numeric factorization is a left-looking
column sweep over that fixed pattern, run for all samples of a batch in
parallel.

No pivoting: nodal Jacobians of resistors, memristors and transistors with
fixed gate and body are column diagonally dominant (each element adds a
non-negative conductance to the diagonal of its column and the same amount,
negated, off the diagonal; gm, gds, gmbs >= 0), and Gaussian elimination on
a column diagonally dominant matrix needs no pivoting and keeps growth below
2.  A pivot that is zero or non-finite marks the sample singular instead.

Storage: the filled matrix in CSC (``fill_indptr``, ``fill_indices``,
``diag``); column j holds U's entries (rows < j, ascending), the pivot, then
L's entries (rows > j, ascending; L has a unit diagonal).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._threads import batched


@njit
def _elimination_tree(n, indptr, indices):
    parent = np.full(n, -1, dtype=np.int64)
    ancestor = np.full(n, -1, dtype=np.int64)
    for k in range(n):
        for p in range(indptr[k], indptr[k + 1]):
            i = indices[p]
            while i != -1 and i < k:
                nxt = ancestor[i]
                ancestor[i] = k
                if nxt == -1:
                    parent[i] = k
                i = nxt
    return parent


@njit
def _row_patterns(n, indptr, indices, parent):
    """Column indices (< k) of row k of L, for every k: (rowptr, rowidx), each row sorted."""
    mark = np.full(n, -1, dtype=np.int64)
    counts = np.zeros(n + 1, dtype=np.int64)
    # first pass: count
    for k in range(n):
        mark[k] = k
        for p in range(indptr[k], indptr[k + 1]):
            i = indices[p]
            while i < k and mark[i] != k:
                mark[i] = k
                counts[k + 1] += 1
                i = parent[i]
    rowptr = np.cumsum(counts)
    rowidx = np.empty(rowptr[n], dtype=np.int64)
    mark[:] = -1
    fill = rowptr[:-1].copy()
    for k in range(n):
        mark[k] = k
        for p in range(indptr[k], indptr[k + 1]):
            i = indices[p]
            while i < k and mark[i] != k:
                mark[i] = k
                rowidx[fill[k]] = i
                fill[k] += 1
                i = parent[i]
        rowidx[rowptr[k]:rowptr[k + 1]] = np.sort(rowidx[rowptr[k]:rowptr[k + 1]])
    return rowptr, rowidx


def symbolic_factorization(n: int, indptr: np.ndarray, indices: np.ndarray):
    """Filled pattern (fill_indptr, fill_indices, diag) of L+U for a structurally symmetric matrix."""
    return symbolic(np.asarray(indptr, dtype=np.int64), np.asarray(indices, dtype=np.int64))


@njit(cache=True)
def symbolic(indptr, indices):
    """:func:`symbolic_factorization` in numba (one compiled entry: one load from numba's cache)."""
    n = indptr.size - 1
    parent = _elimination_tree(n, indptr, indices)
    rowptr, rowidx = _row_patterns(n, indptr, indices, parent)
    # Column j of the filled matrix: U part = row pattern of row j (k < j, by symmetry),
    # diagonal, L part = {i > j : j in row pattern of i}.
    lower_counts = np.zeros(n, dtype=np.int64)
    for p in range(rowidx.size):
        lower_counts[rowidx[p]] += 1
    fill_indptr = np.zeros(n + 1, dtype=np.int64)
    diag = np.empty(n, dtype=np.int64)
    for j in range(n):
        upper = rowptr[j + 1] - rowptr[j]
        diag[j] = fill_indptr[j] + upper
        fill_indptr[j + 1] = fill_indptr[j] + upper + 1 + lower_counts[j]
    fill_indices = np.empty(fill_indptr[n], dtype=np.int64)
    _fill_pattern(n, rowptr, rowidx, fill_indptr, diag, fill_indices)
    return fill_indptr, fill_indices, diag


@njit
def _fill_pattern(n, rowptr, rowidx, fill_indptr, diag, fill_indices):
    for j in range(n):  # U part and diagonal of column j
        q = fill_indptr[j]
        for p in range(rowptr[j], rowptr[j + 1]):
            fill_indices[q] = rowidx[p]
            q += 1
        fill_indices[diag[j]] = j
    # L parts: row i contributes entry i to the L part of every column in its row pattern;
    # walking i ascending keeps each column's L rows sorted.
    pos = diag + 1
    for i in range(n):
        for p in range(rowptr[i], rowptr[i + 1]):
            j = rowidx[p]
            fill_indices[pos[j]] = i
            pos[j] += 1


@njit(cache=True)
def factor_one(a_indptr, a_indices, a_values, f_indptr, f_indices, diag, lu, work):
    n = a_indptr.shape[0] - 1
    for j in range(n):
        for p in range(f_indptr[j], f_indptr[j + 1]):
            work[f_indices[p]] = 0.0
        for p in range(a_indptr[j], a_indptr[j + 1]):
            work[a_indices[p]] = a_values[p]
        for p in range(f_indptr[j], diag[j]):
            k = f_indices[p]
            ukj = work[k]
            if ukj != 0.0:
                for q in range(diag[k] + 1, f_indptr[k + 1]):
                    work[f_indices[q]] -= lu[q] * ukj
        for p in range(f_indptr[j], diag[j]):
            lu[p] = work[f_indices[p]]
        d = work[j]
        if d == 0.0 or not np.isfinite(d):
            return False
        lu[diag[j]] = d
        for p in range(diag[j] + 1, f_indptr[j + 1]):
            lu[p] = work[f_indices[p]] / d
    return True


@njit(cache=True, nogil=True)
def _factor_rows(a_indptr, a_indices, a_values, f_indptr, f_indices, diag, selected, lu, ok):
    n = a_indptr.shape[0] - 1
    work = np.zeros(n)
    for t in range(selected.shape[0]):
        s = selected[t]
        ok[s] = factor_one(a_indptr, a_indices, a_values[s], f_indptr, f_indices, diag, lu[s], work)


_factor_slices = batched(_factor_rows, (6,))  # slices of ``selected``


def factor_batch(a_indptr, a_indices, a_values, f_indptr, f_indices, diag, selected, lu, ok):
    """Factorize ``a_values[s]`` into ``lu[s]`` for each ``s`` in ``selected``; ``ok[s]`` False if singular.

    Parallel over samples (:mod:`xbarsolve._threads`).
    """
    _factor_slices(a_indptr, a_indices, a_values, f_indptr, f_indices, diag, selected, lu, ok)


@njit(cache=True)
def solve_range(f_indptr, f_indices, diag, lu, x, lo, hi):
    """Overwrite ``x[lo:hi]`` with the solution of the diagonal block [lo, hi) of LU.

    Valid when the block does not couple to the rest of the matrix (then its
    factors stay inside the block too); (0, n) is the whole system.
    """
    for j in range(lo, hi):  # L y = b (unit diagonal)
        yj = x[j]
        if yj != 0.0:
            for q in range(diag[j] + 1, f_indptr[j + 1]):
                x[f_indices[q]] -= lu[q] * yj
    for j in range(hi - 1, lo - 1, -1):  # U x = y
        xj = x[j] / lu[diag[j]]
        x[j] = xj
        if xj != 0.0:
            for p in range(f_indptr[j], diag[j]):
                x[f_indices[p]] -= lu[p] * xj


@njit(cache=True)
def solve_transpose_range(f_indptr, f_indices, diag, lu, x, lo, hi):
    """As :func:`solve_range` for the transposed block."""
    for j in range(lo, hi):  # Uᵀ z = b
        acc = x[j]
        for p in range(f_indptr[j], diag[j]):
            acc -= lu[p] * x[f_indices[p]]
        x[j] = acc / lu[diag[j]]
    for j in range(hi - 1, lo - 1, -1):  # Lᵀ x = z
        acc = x[j]
        for q in range(diag[j] + 1, f_indptr[j + 1]):
            acc -= lu[q] * x[f_indices[q]]
        x[j] = acc


@njit(cache=True, nogil=True)
def _solve_rows(f_indptr, f_indices, diag, lu, selected, rhs, transpose):
    for t in range(selected.shape[0]):
        s = selected[t]
        if transpose:
            solve_transpose_range(f_indptr, f_indices, diag, lu[s], rhs[s], 0, diag.shape[0])
        else:
            solve_range(f_indptr, f_indices, diag, lu[s], rhs[s], 0, diag.shape[0])


_solve_slices = batched(_solve_rows, (4,))  # slices of ``selected``


def solve_batch(f_indptr, f_indices, diag, lu, selected, rhs, transpose):
    """Overwrite ``rhs[s]`` with the solution of (LU)[s] x = rhs[s] (or its transpose) for s in ``selected``."""
    _solve_slices(f_indptr, f_indices, diag, lu, selected, rhs, transpose)
