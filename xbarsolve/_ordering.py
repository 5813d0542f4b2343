"""Fill-reducing elimination orders for the linear solvers' symbolic analysis.

* :func:`minimum_degree_order` -- multiple minimum degree on Aᵀ + A (SuperLU's ordering, via
  scipy): good for any structurally symmetric pattern; it runs a full LU of a stand-in matrix,
  so its cost grows with the fill (seconds for 10⁵–10⁶ unknowns of a grid-like pattern);
* :func:`forest_order` -- leaves first, in O(n): for a pattern whose graph is a forest (each
  side of a crossbar: wires with cells hanging off them) every such order has no fill at all.

:func:`elimination_order` uses the second where it applies and the first otherwise.
Patterns are given as CSC (``indptr``, ``indices``), structurally symmetric.
Orders are returned as *positions*: ``position[k]`` is where unknown ``k`` goes.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._netlist import sort_segment


def minimum_degree_order(n: int, pairs: np.ndarray) -> np.ndarray:
    """New position of each unknown in a minimum-degree order of the pattern with off-diagonal
    entries ``pairs`` ((m, 2) int: (row, column), either triangle or both)."""
    if n <= 2 or pairs.size == 0:
        return np.arange(n)
    import scipy.sparse as sp  # (imported on use: most crossbars never need it)
    import scipy.sparse.linalg as spla

    rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n)])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n)])
    vals = np.concatenate([-np.ones(2 * len(pairs)), np.full(n, 0.0)])
    a = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
    a = a + sp.diags(np.asarray(-a.sum(axis=0)).ravel() + 1.0)  # diagonally dominant stand-in
    lu = spla.splu(a.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                   options={"SymmetricMode": True})
    return np.asarray(lu.perm_c)  # SuperLU's perm_c[i] is the position column i moves to


@njit(cache=True)
def leaves_first(indptr, indices, keep):
    """Positions of a leaves-first elimination of the graph of a symmetric CSC pattern's kept
    off-diagonal entries; all -1 if that graph has a cycle."""
    n = indptr.size - 1
    degree = np.zeros(n, dtype=np.int64)
    for k in range(n):
        for p in range(indptr[k], indptr[k + 1]):
            if keep[p] and indices[p] != k:
                degree[k] += 1
    position = np.full(n, -1, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    top = 0
    for k in range(n - 1, -1, -1):  # popped in increasing order first
        if degree[k] <= 1:
            stack[top] = k
            top += 1
    placed = 0
    while top > 0:
        top -= 1
        k = stack[top]
        if position[k] >= 0:
            continue
        position[k] = placed
        placed += 1
        for p in range(indptr[k], indptr[k + 1]):
            m = indices[p]
            if keep[p] and m != k and position[m] < 0:
                degree[m] -= 1
                if degree[m] == 1:
                    stack[top] = m
                    top += 1
    if placed < n:
        position[:] = -1
    return position


def forest_order(indptr: np.ndarray, indices: np.ndarray, keep: np.ndarray) -> np.ndarray | None:
    """Positions of a no-fill (leaves-first) elimination order of the kept entries of a
    structurally symmetric CSC pattern, or None if their graph has a cycle."""
    n = indptr.size - 1
    position = leaves_first(indptr, indices, keep)
    return None if n and position[0] < 0 else position


def elimination_order(indptr: np.ndarray, indices: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """A fill-reducing order (positions) of the kept entries (all if ``keep`` is None) of a
    structurally symmetric CSC pattern: :func:`forest_order` where their graph is a forest,
    else :func:`minimum_degree_order`."""
    n = indptr.size - 1
    keep = np.ones(indices.size, dtype=np.bool_) if keep is None else keep
    position = forest_order(indptr, indices, keep)
    if position is not None:
        return position
    cols = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    off = keep & (indices != cols)
    return minimum_degree_order(n, np.stack([indices[off], cols[off]], axis=1))


@njit(cache=True)
def permuted_pattern(indptr, indices, position, order, keep):
    """The entries of a CSC pattern with ``keep[slot]`` true, symmetrically permuted: entry
    (r, c) goes to (position[r], position[c]) (``order`` is the inverse of ``position``).

    Returns the permuted pattern's indptr and indices (rows sorted within each column) and
    ``source``: for each of its entries, the slot of the original value it takes.
    """
    n = position.size
    indptr_out = np.zeros(n + 1, dtype=np.int64)
    for q in range(n):
        c = order[q]
        count = 0
        for p in range(indptr[c], indptr[c + 1]):
            if keep[p]:
                count += 1
        indptr_out[q + 1] = indptr_out[q] + count
    indices_out = np.empty(indptr_out[n], dtype=np.int64)
    source = np.empty(indptr_out[n], dtype=np.int64)
    for q in range(n):
        c = order[q]
        base = indptr_out[q]
        m = 0
        for p in range(indptr[c], indptr[c + 1]):
            if keep[p]:
                indices_out[base + m] = position[indices[p]]
                source[base + m] = p
                m += 1
        sort_segment(indices_out, base, base + m, source)
    return indptr_out, indices_out, source
