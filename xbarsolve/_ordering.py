"""Fill-reducing elimination orders for the linear solvers' symbolic analysis.

* :func:`minimum_degree_order` -- multiple minimum degree on Aᵀ + A (SuperLU's ordering, via
  scipy): good for any structurally symmetric pattern; it runs a full LU of a stand-in matrix,
  so its cost grows with the fill (seconds for 10⁵–10⁶ unknowns of a grid-like pattern);
* :func:`forest_order` -- leaves first, in O(n): for a pattern whose graph is a forest (each
  side of a crossbar: wires with cells hanging off them) every such order has no fill at all.

:func:`elimination_order` uses the second where it applies and the first otherwise.
Orders are returned as *positions*: ``position[k]`` is where unknown ``k`` goes.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._netlist import unique_int


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
def _leaves_first(n, indptr, neighbours):
    """Positions of a leaves-first elimination of the graph (CSR adjacency); -1s if it has a cycle."""
    degree = np.empty(n, dtype=np.int64)
    for k in range(n):
        degree[k] = indptr[k + 1] - indptr[k]
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
            m = neighbours[p]
            if position[m] < 0:
                degree[m] -= 1
                if degree[m] == 1:
                    stack[top] = m
                    top += 1
    if placed < n:
        position[:] = -1
    return position


def forest_order(n: int, pairs: np.ndarray) -> np.ndarray | None:
    """Positions of a no-fill (leaves-first) elimination order, or None if the pattern's graph
    (off-diagonal ``pairs``, duplicates allowed) has a cycle."""
    if pairs.size == 0:
        return np.arange(n)
    a, b = pairs[:, 0], pairs[:, 1]
    keep = a != b
    keys = unique_int(np.concatenate([a[keep] * n + b[keep], b[keep] * n + a[keep]]))
    src, dst = keys // n, keys % n
    if src.size // 2 >= n:  # a forest has fewer than n edges
        return None
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(src, minlength=n))
    position = _leaves_first(n, indptr, dst.astype(np.int64))
    return None if n and position[0] < 0 else position


def elimination_order(n: int, pairs: np.ndarray) -> np.ndarray:
    """A fill-reducing order: :func:`forest_order` where the pattern is a forest, else
    :func:`minimum_degree_order`."""
    position = forest_order(n, pairs)
    return minimum_degree_order(n, pairs) if position is None else position
