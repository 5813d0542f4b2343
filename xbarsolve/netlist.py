"""Circuit graph → compiled netlist: flat index arrays and a fixed sparsity pattern.

Compilation

1. merges the nodes joined by ideal (0 Ω) wires into one electrical node
   (union–find; no tiny resistors);
2. splits electrical nodes into *fixed* ones (holding a driver or ground
   terminal) and *free* ones (unknown voltages);
3. numbers the free nodes in a fill-reducing order (computed once, here), so
   that every later LU factorization can use the natural order;
4. groups elements by model kernel, packing their parameters into one float64
   array per group, and precomputes where each element's four Jacobian entries
   live in the compressed-sparse-column (CSC) value array.

Terminal codes: ``k >= 0`` is free node ``k``; ``k < 0`` is fixed terminal
``-k - 1`` whose voltage is ``fixed_voltages[..., -k - 1]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ._linear import JacobianPattern


@dataclass
class ElementGroup:
    """Elements sharing one model kernel.

    ``term_a``/``term_b`` -- terminal codes (int64, shape (n,));
    ``params`` -- parameter vectors (float64, shape (n, n_params));
    ``slots`` -- CSC value positions of the entries (a,a), (a,b), (b,a), (b,b)
    (int64, shape (n, 4); −1 where a terminal is fixed);
    ``edges`` -- the graph edge keys ``(u, v, key)`` in element order;
    ``roles``, ``indices`` -- the edges' ``role`` and ``index`` attributes (None if absent).
    """

    model: object
    term_a: np.ndarray
    term_b: np.ndarray
    params: np.ndarray
    slots: np.ndarray
    edges: list
    roles: list = field(default_factory=list)
    indices: list = field(default_factory=list)


@dataclass
class CompiledNetlist:
    """A circuit compiled to index arrays (see module docstring)."""

    n_free: int
    fixed_sources: list  # per fixed terminal: ("input", i) or ("voltage", V)
    node_code: dict  # graph node -> terminal code
    groups: list  # list[ElementGroup]
    indptr: np.ndarray  # CSC pattern of the n_free × n_free Jacobian
    indices: np.ndarray
    diag_slots: np.ndarray  # CSC value position of each diagonal entry
    edge_location: dict = field(default_factory=dict)  # edge key -> (group, position)
    merged_edges: list = field(default_factory=list)  # ideal-wire edge keys
    # per free node: 0 row side, 1 column side (node attribute ``side``); None if any is unknown
    free_side: np.ndarray | None = None
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


def fill_reducing_order(n: int, pairs: np.ndarray) -> np.ndarray:
    """New position of each free node in a fill-reducing order (minimum degree on Aᵀ+A, SuperLU).

    SuperLU's ``perm_c[i]`` is the position column ``i`` moves to.
    """
    if n <= 2 or pairs.size == 0:
        return np.arange(n)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n)])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n)])
    vals = np.concatenate([-np.ones(2 * len(pairs)), np.full(n, 0.0)])
    a = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
    a = a + sp.diags(np.asarray(-a.sum(axis=0)).ravel() + 1.0)  # diagonally dominant stand-in
    lu = spla.splu(a.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                   options={"SymmetricMode": True})
    return np.asarray(lu.perm_c)


def _sparsity_pattern(n: int, term_a: np.ndarray, term_b: np.ndarray):
    """CSC pattern of the Jacobian: the diagonal plus (a, b) and (b, a) of every element
    between free nodes.  Returns indptr, indices, per-element slots of (a,a), (a,b), (b,a),
    (b,b) (−1 where a terminal is fixed) and the slot of each diagonal entry."""
    both = (term_a >= 0) & (term_b >= 0)
    rows = np.concatenate([np.arange(n), term_a[both], term_b[both]])
    cols = np.concatenate([np.arange(n), term_b[both], term_a[both]])
    keys = np.unique(cols * n + rows)  # column-major order
    indices = keys % n
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(keys // n, minlength=n))

    def slot(r, c):
        valid = (r >= 0) & (c >= 0)
        out = np.full(r.shape, -1, dtype=np.int64)
        out[valid] = np.searchsorted(keys, c[valid] * n + r[valid])
        return out

    slots = np.stack([slot(term_a, term_a), slot(term_a, term_b), slot(term_b, term_a),
                      slot(term_b, term_b)], axis=1)
    diag_slots = np.searchsorted(keys, np.arange(n) * n + np.arange(n))
    return indptr, indices.astype(np.int64), slots, diag_slots


def compile_netlist(graph: nx.MultiDiGraph) -> CompiledNetlist:
    """Compile a circuit graph (see :mod:`xbarsolve.topology` for its form)."""
    uf = _UnionFind(graph.nodes)
    merged_edges, element_edges = [], []
    for u, v, k, data in graph.edges(keys=True, data=True):
        if data.get("model") is None:
            uf.union(u, v)
            merged_edges.append((u, v, k))
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
    provisional = {r: k for k, r in enumerate(free_roots)}

    pairs = []
    for u, v, _, _ in element_edges:
        a, b = provisional.get(uf.find(u), -1), provisional.get(uf.find(v), -1)
        if a >= 0 and b >= 0 and a != b:
            pairs.append((a, b))
    pairs = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    new_index = fill_reducing_order(len(free_roots), pairs)  # old position -> new position

    def code_of_root(root):
        if root in fixed_of_root:
            return -fixed_index[root] - 1
        return int(new_index[provisional[root]])

    node_code = {n: code_of_root(uf.find(n)) for n in graph.nodes}
    n_free = len(free_roots)
    free_side = _free_sides(graph, node_code, n_free)
    term_a_all = np.array([node_code[u] for u, _, _, _ in element_edges], dtype=np.int64)
    term_b_all = np.array([node_code[v] for _, v, _, _ in element_edges], dtype=np.int64)
    indptr, indices, slots_all, diag_slots = _sparsity_pattern(n_free, term_a_all, term_b_all)

    # Group elements by model kernel.
    by_kernel: dict = {}
    for e, (_, _, _, d) in enumerate(element_edges):
        by_kernel.setdefault(kernel_functions(d["model"]), []).append(e)
    groups, edge_location, packed = [], {}, {}
    for gid, members in enumerate(by_kernel.values()):
        members = np.array(members, dtype=np.int64)
        first_model = element_edges[members[0]][3]["model"]
        n_params = len(first_model.param_names)
        params = np.empty((members.size, n_params))
        edges, roles, edge_indices = [], [], []
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
            roles.append(d.get("role"))
            edge_indices.append(d.get("index"))
            edge_location[(u, v, key)] = (gid, pos)
        groups.append(ElementGroup(first_model, term_a_all[members], term_b_all[members], params,
                                   slots_all[members], edges, roles, edge_indices))

    return CompiledNetlist(n_free=n_free, fixed_sources=fixed_sources, node_code=node_code,
                           groups=groups, indptr=indptr, indices=indices, diag_slots=diag_slots,
                           edge_location=edge_location, merged_edges=merged_edges, free_side=free_side)


SIDES = {"row": 0, "column": 1}


def kernel_functions(model) -> tuple:
    """The element functions of ``model``; elements whose models share them share a group (and kernels)."""
    return (model.evaluate, model.current, model.step_limit, model.parameter_partials)


def _free_sides(graph: nx.MultiDiGraph, node_code: dict, n_free: int):
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
