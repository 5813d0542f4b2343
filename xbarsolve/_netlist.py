"""The compiled netlist (flat index arrays and a fixed sparsity pattern), and the general
compiler from a circuit graph.

A :class:`CompiledNetlist` is what the solver works on.  Crossbars are compiled into one
directly from their arrays (:mod:`xbarsolve._compile`); any circuit given as a graph
(:mod:`xbarsolve._topology` describes the form; a crossbar's own graph is ``Crossbar.graph``)
is compiled by :func:`compile_netlist`, which gives the identical netlist for a crossbar's graph.
Compilation

1. merges the nodes joined by ideal (0 Ω) wires into one electrical node
   (union–find; no tiny resistors);
2. splits electrical nodes into *fixed* ones (holding a driver or ground
   terminal) and *free* ones (unknown voltages), both numbered in order of
   first appearance (graph node order); fill-reducing orders are the linear
   solvers' business (:mod:`xbarsolve._ordering`);
3. groups elements by model kernel, packing their parameters into one float64
   array per group, and precomputes where each element's four Jacobian entries
   live in the compressed-sparse-column (CSC) value array.

Terminal codes: ``k >= 0`` is free node ``k``; ``k < 0`` is fixed terminal
``-k - 1`` whose voltage is ``fixed_voltages[..., -k - 1]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._linear import JacobianPattern

#: Element roles of a crossbar (edge attribute ``role``; see :mod:`xbarsolve._topology`).  A graph
#: may use other role names too: they are numbered after these.
ROLES = ("source", "row_wire", "col_wire", "sink", "memristor", "transistor")
#: Node attribute ``side`` -> code (see :mod:`xbarsolve._krylov`).
SIDES = {"row": 0, "column": 1}


@dataclass
class ElementGroup:
    """Elements sharing one model kernel (:func:`kernel_functions`).

    ``term_a``/``term_b`` -- terminal codes (int64, (n,)); ``params`` -- parameter vectors
    (float64, (n, n_params)); ``slots`` -- CSC value positions of the entries (a,a), (a,b),
    (b,a), (b,b) (int64, (n, 4); −1 where a terminal is fixed); ``role`` -- each element's
    role as a position in the netlist's ``role_names`` (int64, (n,); −1 for none);
    ``index`` -- each element's ``index`` label, padded with −1 (int64, (n, 2)); ``edges`` --
    the graph edge keys ``(u, v, key)`` in element order (graph-compiled netlists only, else None).
    """

    model: object
    term_a: np.ndarray
    term_b: np.ndarray
    params: np.ndarray
    slots: np.ndarray
    role: np.ndarray
    index: np.ndarray
    edges: list | None = None


@dataclass
class CompiledNetlist:
    """A circuit compiled to index arrays (see module docstring)."""

    n_free: int
    fixed_sources: list  # per fixed terminal: ("input", i) or ("voltage", V)
    groups: list  # list[ElementGroup]
    indptr: np.ndarray  # CSC pattern of the n_free × n_free Jacobian
    indices: np.ndarray
    diag_slots: np.ndarray  # CSC value position of each diagonal entry
    # per free node: 0 row side, 1 column side (node attribute ``side``); None if any is unknown
    free_side: np.ndarray | None = None
    role_names: tuple = ROLES
    # graph node -> terminal code (graph-compiled netlists only; a crossbar has its CrossbarLayout)
    node_code: dict | None = None
    _pattern: JacobianPattern | None = field(default=None, repr=False, compare=False)

    @property
    def nnz(self) -> int:
        return int(self.indices.size)

    @property
    def pattern(self) -> JacobianPattern:
        """The Jacobian's sparsity pattern (and the side of every unknown), for linear solvers."""
        if self._pattern is None:
            self._pattern = JacobianPattern(self.n_free, self.indptr, self.indices, self.free_side)
        return self._pattern

    @property
    def n_inputs(self) -> int:
        return sum(1 for s in self.fixed_sources if s[0] == "input")

    def fixed_voltages(self, v_in: np.ndarray) -> np.ndarray:
        """Voltages (V) of the fixed terminals, shape (batch, n_fixed), from inputs (batch, n_inputs)."""
        out = np.zeros((v_in.shape[0], len(self.fixed_sources)))
        for f, (kind, value) in enumerate(self.fixed_sources):
            out[:, f] = v_in[:, value] if kind == "input" else value
        return out

    def node_voltages(self, x: np.ndarray, fixed_v: np.ndarray, nodes) -> np.ndarray:
        """Voltages (V) of graph ``nodes`` for solutions ``x`` (batch, n_free); shape (batch, len(nodes))."""
        return self.node_voltages_of_codes(x, fixed_v, np.array([self.node_code[n] for n in nodes],
                                                                dtype=np.int64))

    @staticmethod
    def node_voltages_of_codes(x: np.ndarray, fixed_v: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Voltages (V) at terminal ``codes`` for solutions ``x``; shape (batch, len(codes))."""
        free = codes >= 0
        if free.all():
            return np.take(x, codes, axis=1)
        out = np.empty((x.shape[0], codes.size))
        out[:, free] = x[:, codes[free]]
        out[:, ~free] = fixed_v[:, -codes[~free] - 1]
        return out


class _UnionFind:
    def __init__(self, items):
        self.parent = {x: x for x in items}

    def find(self, x):
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def unique_int(a: np.ndarray, return_first: bool = False):
    """The sorted distinct values of an integer array (and the position of each one's first
    occurrence), by one sort: faster than ``np.unique`` for the millions of keys of a large crossbar."""
    order = np.argsort(a, kind="stable")
    ordered = a[order]
    start = np.ones(ordered.size, dtype=bool)
    start[1:] = ordered[1:] != ordered[:-1]
    return (ordered[start], order[start]) if return_first else ordered[start]


def sparsity_pattern(n: int, term_a: np.ndarray, term_b: np.ndarray):
    """CSC pattern of the Jacobian: the diagonal plus (a, b) and (b, a) of every element
    between free nodes, rows sorted within each column.  Returns indptr, indices, per-element
    slots of (a,a), (a,b), (b,a), (b,b) (−1 where a terminal is fixed) and the slot of each
    diagonal entry."""
    return _pattern_and_slots(n, np.ascontiguousarray(term_a, dtype=np.int64),
                              np.ascontiguousarray(term_b, dtype=np.int64))


@njit(cache=True)
def _pattern_and_slots(n, term_a, term_b):
    indptr, indices = _csc_pattern(n, term_a, term_b)
    slots = np.empty((term_a.size, 4), dtype=np.int64)
    diag_slots = np.empty(n, dtype=np.int64)
    _pattern_slots(indptr, indices, term_a, term_b, slots, diag_slots)
    return indptr, indices, slots, diag_slots


@njit
def _csc_pattern(n, term_a, term_b):
    """indptr, indices of the pattern of :func:`sparsity_pattern` (duplicates merged)."""
    count = np.ones(n, dtype=np.int64)  # the diagonal
    for e in range(term_a.size):
        a, b = term_a[e], term_b[e]
        if a >= 0 and b >= 0 and a != b:
            count[a] += 1  # (b, a): row b of column a
            count[b] += 1  # (a, b): row a of column b
    start = np.zeros(n + 1, dtype=np.int64)
    for k in range(n):
        start[k + 1] = start[k] + count[k]
    rows = np.empty(start[n], dtype=np.int64)
    fill = start[:n].copy()
    for k in range(n):
        rows[fill[k]] = k
        fill[k] += 1
    for e in range(term_a.size):
        a, b = term_a[e], term_b[e]
        if a >= 0 and b >= 0 and a != b:
            rows[fill[a]] = b
            fill[a] += 1
            rows[fill[b]] = a
            fill[b] += 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices = np.empty(start[n], dtype=np.int64)
    q = 0
    for k in range(n):
        sort_segment(rows, start[k], start[k + 1])
        for p in range(start[k], start[k + 1]):
            if p == start[k] or rows[p] != rows[p - 1]:
                indices[q] = rows[p]
                q += 1
        indptr[k + 1] = q
    return indptr, indices[:q].copy()


@njit(cache=True)
def sort_segment(keys, lo, hi, values=None):
    """Sort ``keys[lo:hi]`` in place (and ``values[lo:hi]`` along, if given): insertion sort for
    the few entries of a typical column, a library sort for long ones."""
    if hi - lo > 32:
        order = np.argsort(keys[lo:hi])
        keys[lo:hi] = keys[lo:hi][order].copy()
        if values is not None:
            values[lo:hi] = values[lo:hi][order].copy()
        return
    for i in range(lo + 1, hi):
        key = keys[i]
        value = values[i] if values is not None else 0
        j = i - 1
        while j >= lo and keys[j] > key:
            keys[j + 1] = keys[j]
            if values is not None:
                values[j + 1] = values[j]
            j -= 1
        keys[j + 1] = key
        if values is not None:
            values[j + 1] = value


@njit
def _slot(indptr, indices, row, col):
    """Position of entry (row, col) in the CSC value array (binary search in the column)."""
    lo, hi = indptr[col], indptr[col + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        if indices[mid] < row:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit
def _pattern_slots(indptr, indices, term_a, term_b, slots, diag_slots):
    for k in range(diag_slots.size):
        diag_slots[k] = _slot(indptr, indices, k, k)
    for e in range(term_a.size):
        a, b = term_a[e], term_b[e]
        slots[e, 0] = diag_slots[a] if a >= 0 else -1
        slots[e, 3] = diag_slots[b] if b >= 0 else -1
        if a >= 0 and b >= 0:
            slots[e, 1] = _slot(indptr, indices, a, b)
            slots[e, 2] = _slot(indptr, indices, b, a)
        else:
            slots[e, 1] = -1
            slots[e, 2] = -1


def compile_netlist(graph) -> CompiledNetlist:
    """Compile a circuit graph (a networkx ``MultiDiGraph``; see :mod:`xbarsolve._topology` for its form)."""
    uf = _UnionFind(graph.nodes)
    element_edges = []
    for u, v, k, data in graph.edges(keys=True, data=True):
        if data.get("model") is None:
            uf.union(u, v)
        else:
            element_edges.append((u, v, k, data))

    # Electrical nodes and which fixed terminal (if any) each holds.
    fixed_of_root: dict = {}
    for node, data in graph.nodes(data=True):
        source = data.get("fixed")
        if source is None:
            continue
        root = uf.find(node)
        if root in fixed_of_root and fixed_of_root[root] != source:
            raise ValueError(f"ideal wires short two fixed terminals: {fixed_of_root[root]} and {source} "
                             f"(node {node!r}); give one of the wires a resistance > 0")
        fixed_of_root[root] = source
    # One fixed terminal per electrical node, even when two share a voltage (each
    # column's virtual ground is its own terminal, so its current can be read).
    fixed_sources = list(fixed_of_root.values())
    fixed_index = {root: f for f, root in enumerate(fixed_of_root)}

    roots = list(dict.fromkeys(uf.find(n) for n in graph.nodes))
    free_roots = [r for r in roots if r not in fixed_of_root]
    number = {r: k for k, r in enumerate(free_roots)}  # free nodes in order of first appearance

    def code_of_root(root):
        if root in fixed_of_root:
            return -fixed_index[root] - 1
        return number[root]

    node_code = {n: code_of_root(uf.find(n)) for n in graph.nodes}
    n_free = len(free_roots)
    free_side = _free_sides(graph, node_code, n_free)
    term_a_all = np.array([node_code[u] for u, _, _, _ in element_edges], dtype=np.int64)
    term_b_all = np.array([node_code[v] for _, v, _, _ in element_edges], dtype=np.int64)
    indptr, indices, slots_all, diag_slots = sparsity_pattern(n_free, term_a_all, term_b_all)

    # Group elements by model kernel.
    by_kernel: dict = {}
    for e, (_, _, _, d) in enumerate(element_edges):
        by_kernel.setdefault(kernel_functions(d["model"]), []).append(e)
    role_names = list(ROLES)
    groups, packed = [], {}
    for members in by_kernel.values():
        members = np.array(members, dtype=np.int64)
        first_model = element_edges[members[0]][3]["model"]
        n_params = len(first_model.param_names)
        params = np.empty((members.size, n_params))
        role = np.full(members.size, -1, dtype=np.int64)
        index = np.full((members.size, 2), -1, dtype=np.int64)
        edges = []
        for pos, e in enumerate(members):
            u, v, key, d = element_edges[e]
            # elements with equal parameters (wires) share one packing call
            memo = (id(d["model"]), tuple(sorted(d["values"].items())))
            vec = packed.get(memo)
            if vec is None:
                vec = packed[memo] = d["model"].element_parameters(**d["values"])
            if vec.shape != (n_params,):
                raise ValueError(f"models sharing a kernel must share a parameter layout; edge {(u, v)} "
                                 f"has {vec.shape[0]} parameters, expected {n_params}")
            params[pos] = vec
            edges.append((u, v, key))
            label = d.get("role")
            if isinstance(label, str):
                if label not in role_names:
                    role_names.append(label)
                role[pos] = role_names.index(label)
            label = d.get("index")
            integers = isinstance(label, tuple) and all(isinstance(k, (int, np.integer)) for k in label)
            if integers and len(label) <= 2:
                index[pos, :len(label)] = label
        groups.append(ElementGroup(first_model, term_a_all[members], term_b_all[members], params,
                                   slots_all[members], role, index, edges))

    return CompiledNetlist(n_free=n_free, fixed_sources=fixed_sources, groups=groups, indptr=indptr,
                           indices=indices, diag_slots=diag_slots, free_side=free_side,
                           role_names=tuple(role_names), node_code=node_code)


def kernel_functions(model) -> tuple:
    """The element functions of ``model``; elements whose models share them share a group (and kernels)."""
    return (model.evaluate, model.current, model.step_limit, model.parameter_partials)


def _free_sides(graph, node_code: dict, n_free: int):
    """Side (0 row, 1 column) of every free node from the ``side`` node attributes; None when a
    node has none or nodes merged into one free node disagree."""
    side = np.full(n_free, -1, dtype=np.int64)
    for node, label in graph.nodes(data="side"):
        code = node_code[node]
        if code < 0:
            continue
        value = SIDES.get(label, -2)
        if value == -2 or side[code] not in (-1, value):
            return None
        side[code] = value
    return side if (side >= 0).all() else None
