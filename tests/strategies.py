"""Hypothesis strategies for random crossbars, and an independent circuit checker.

Strategies
----------
:func:`crossbar_specs` draws a :class:`CrossbarSpec` (everything ``Crossbar(...)``
takes) and :func:`input_batches` a ``(batch, rows)`` array of input voltages;
:func:`circuits` draws both.  Ranges (SI units):

* sizes 1…12 rows and 1…12 columns;
* cell conductances log-uniform in 1e-7…1e-3 S, drawn per cell;
* each parasitic (``r_source``, ``r_sink``, ``r_wire_row``, ``r_wire_col``)
  independently exactly 0 Ω or log-uniform in 0.1…1000 Ω; source and sink
  resistances are sometimes a scalar and sometimes one value per row/column
  (each entry again 0 or 0.1…1000 Ω);
* cells "1t1r" and "1r", transistor sides "row" and "column";
* memristors :class:`LinearMemristor` and :class:`SinhMemristor` (v0 0.1…1 V);
* transistors :class:`Level1NMOS` with random physical cards (below) and
  :class:`BsimLikeNMOS` cards (see :data:`BSIM`);
* inputs in −0.5…0.5 V with exact zeros mixed in; gates 0…1.5 V (from deep
  subthreshold -- the cards' VTO is 0.2…0.8 V -- to strong inversion), a
  scalar or one value per row.

Independent checker
-------------------
:class:`CircuitCheck` recomputes every element current of a solved crossbar
from the solution's node voltages *without* using the solver's residual or
element kernels: wires, sources and sinks from Ohm's law with the resistances
that were passed, memristors from G·V or G·V0·sinh(V/V0), transistors from the
model's public ``channel_current(vgs, vds, vbs)`` wrapper (mirrored when
V_DS < 0, as the device is symmetric) plus the bulk-junction equations
documented in ``xbarsolve/devices/mosfet.py`` (body at 0 V).  Nodes joined by
0 Ω parasitics are merged by its own union-find.  The tests use it for KCL,
charge and energy conservation, passivity and output consistency.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from xbarsolve import BsimLikeNMOS, Crossbar, Level1NMOS, LinearMemristor, SinhMemristor

EPS = float(np.finfo(float).eps)  # 2.22e-16, the float64 spacing at 1.0
MAX_SIDE = 12
G_CELL = (1e-7, 1e-3)  # S
R_PARASITIC = (0.1, 1000.0)  # Ω
V_IN_MAX = 0.5  # V
V_GATE = (0.0, 1.5)  # V


# --------------------------------------------------------------------- helpers
def log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Floats spread evenly over the decades between ``lo`` and ``hi`` (> 0)."""
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: float(10.0 ** e))


def parasitic() -> st.SearchStrategy[float]:
    """Exactly 0 Ω (an ideal wire that merges its nodes) or 0.1…1000 Ω."""
    return st.one_of(st.just(0.0), log_uniform(*R_PARASITIC))


def scalar_or_vector(n: int, elements: st.SearchStrategy) -> st.SearchStrategy:
    """A scalar (broadcast by Crossbar) or a float64 vector of length ``n``."""
    return st.one_of(elements, hnp.arrays(np.float64, (n,), elements=elements))


# ---------------------------------------------------------------------- models
def memristors() -> st.SearchStrategy:
    """LinearMemristor or SinhMemristor with v0 in 0.1…1 V."""
    return st.one_of(st.just(LinearMemristor()), st.builds(SinhMemristor, v0=st.floats(0.1, 1.0)))


@st.composite
def level1_cards(draw) -> Level1NMOS:
    """Physical level-1 NMOS cards: VTO 0.2…0.8 V, KP 2e-5…5e-4 A/V², GAMMA 0…0.6 √V,
    PHI 0.5…0.9 V, LAMBDA 0…0.2 /V, W 0.1…10 µm, L 45 nm…2 µm, LD 0…0.2·L,
    IS 0 or 1e-17…1e-12 A, GMIN 0, 1e-12 or 1e-15…1e-9 S, T 250…400 K."""
    length = draw(log_uniform(45e-9, 2e-6))
    return Level1NMOS(
        vto=draw(st.floats(0.2, 0.8)), kp=draw(log_uniform(2e-5, 5e-4)),
        gamma=draw(st.floats(0.0, 0.6)), phi=draw(st.floats(0.5, 0.9)),
        lambda_=draw(st.floats(0.0, 0.2)), w=draw(log_uniform(0.1e-6, 10e-6)), l=length,
        ld=draw(st.floats(0.0, 0.2)) * length,
        junction_is=draw(st.one_of(st.just(0.0), log_uniform(1e-17, 1e-12))),
        gmin=draw(st.one_of(st.just(0.0), st.just(1e-12), log_uniform(1e-15, 1e-9))),
        temperature=draw(st.floats(250.0, 400.0)))


BSIM = BsimLikeNMOS


def bsim_cards() -> st.SearchStrategy:
    """BsimLikeNMOS cards: the default card with the fields every NMOSModel has
    (junction IS, GMIN, temperature) varied, W scaled 0.5…4× and VTH0 in 0.3…0.6 V.
    Cards the model rejects are skipped."""
    default = BSIM()
    changes = {
        "junction_is": st.one_of(st.just(0.0), log_uniform(1e-17, 1e-12)),
        "gmin": st.one_of(st.just(0.0), st.just(1e-12), log_uniform(1e-15, 1e-9)),
        "temperature": st.floats(250.0, 400.0),
        "w": st.floats(0.5, 4.0).map(lambda k: k * float(default.w)),
        "vth0": st.floats(0.3, 0.6),
    }

    def build(kw):
        try:
            return dataclasses.replace(default, **kw)
        except (TypeError, ValueError):
            return None

    return st.fixed_dictionaries(changes).map(build).filter(lambda m: m is not None)


def transistors() -> st.SearchStrategy:
    """Level-1 cards and BsimLikeNMOS cards, half of the draws each."""
    return st.booleans().flatmap(lambda bsim: bsim_cards() if bsim else level1_cards())


# --------------------------------------------------------------------- circuits
@dataclass(frozen=True, eq=False)
class CrossbarSpec:
    """A crossbar description.  ``kwargs`` holds the arguments as given to
    ``Crossbar`` (scalars stay scalars); the properties give them as arrays."""

    conductances: np.ndarray  # (rows, cols) S
    kwargs: dict

    @property
    def shape(self):
        return self.conductances.shape

    @property
    def cell(self) -> str:
        return self.kwargs["cell"]

    @property
    def transistor_side(self) -> str:
        return self.kwargs.get("transistor_side", "row")

    @property
    def memristor(self):
        return self.kwargs["memristor"]

    @property
    def transistor(self):
        return self.kwargs.get("transistor", Crossbar.DEFAULT_TRANSISTOR)

    def _vec(self, name, n, default=0.0):
        return np.broadcast_to(np.asarray(self.kwargs.get(name, default), dtype=float), (n,)).copy()

    @property
    def v_gate(self) -> np.ndarray:  # (rows,) V
        return self._vec("v_gate", self.shape[0], 1.0)

    @property
    def r_source(self) -> np.ndarray:  # (rows,) Ω
        return self._vec("r_source", self.shape[0])

    @property
    def r_sink(self) -> np.ndarray:  # (cols,) Ω
        return self._vec("r_sink", self.shape[1])

    @property
    def r_wire_row(self) -> float:
        return float(self.kwargs.get("r_wire_row", 0.0))

    @property
    def r_wire_col(self) -> float:
        return float(self.kwargs.get("r_wire_col", 0.0))

    def build(self, **overrides) -> Crossbar:
        """The Crossbar (``overrides`` replace keyword arguments, e.g. ``options``)."""
        return Crossbar(self.conductances, **{**self.kwargs, **overrides})

    def replace(self, conductances=None, **kwargs) -> "CrossbarSpec":
        g = self.conductances if conductances is None else np.asarray(conductances, dtype=float)
        return CrossbarSpec(g, {**self.kwargs, **kwargs})

    def __repr__(self):  # complete enough to rebuild a failing example
        with np.printoptions(precision=17, threshold=10**6):
            return f"CrossbarSpec(conductances=np.{self.conductances!r}, kwargs={self.kwargs!r})"


@st.composite
def crossbar_specs(draw, *, cells=("1t1r", "1r"), sides=("row", "column"), memristor=None,
                   transistor=None, parasitics=True, max_side=MAX_SIDE, gate=V_GATE) -> CrossbarSpec:
    """Random crossbars (see the module docstring for the ranges).

    ``memristor``/``transistor``: strategies for the device models (default: all);
    ``parasitics=False`` makes every parasitic 0 Ω; ``gate``: (lo, hi) V range.
    """
    rows = draw(st.integers(1, max_side), label="rows")
    cols = draw(st.integers(1, max_side), label="cols")
    exponents = draw(hnp.arrays(np.float64, (rows, cols),
                                elements=st.floats(math.log10(G_CELL[0]), math.log10(G_CELL[1]))))
    g = 10.0 ** exponents
    cell = draw(st.sampled_from(cells))
    kwargs = {"cell": cell, "memristor": draw(memristor if memristor is not None else memristors())}
    if parasitics:
        kwargs.update(r_source=draw(scalar_or_vector(rows, parasitic())),
                      r_sink=draw(scalar_or_vector(cols, parasitic())),
                      r_wire_row=draw(parasitic()), r_wire_col=draw(parasitic()))
    if cell == "1t1r":
        kwargs["transistor_side"] = draw(st.sampled_from(sides))
        kwargs["transistor"] = draw(transistor if transistor is not None else transistors())
        kwargs["v_gate"] = draw(scalar_or_vector(rows, st.floats(*gate)))
    return CrossbarSpec(g, kwargs)


def input_batches(rows: int, *, max_batch: int = 3, v_max: float = V_IN_MAX,
                  min_batch: int = 1) -> st.SearchStrategy:
    """(batch, rows) input voltages in −v_max…v_max with exact zeros mixed in."""
    elements = st.one_of(st.just(0.0), st.floats(-v_max, v_max))
    return st.integers(min_batch, max_batch).flatmap(
        lambda b: hnp.arrays(np.float64, (b, rows), elements=elements))


@st.composite
def circuits(draw, max_batch: int = 3, **spec_kwargs):
    """(CrossbarSpec, v_in (batch, rows) V)."""
    spec = draw(crossbar_specs(**spec_kwargs))
    v_in = draw(input_batches(spec.shape[0], max_batch=max_batch), label="v_in")
    return spec, v_in


# ------------------------------------------------------------ independent checker
def junction(v: float, isat: float, vt: float, gmin: float):
    """Bulk-junction diode of devices/mosfet.py (as ngspice's MOS1): current (A) from the
    body into the node at forward bias ``v`` (V) and its conductance (S).

    I = IS·(exp(V/Vt) − 1) above −3·Vt (exponent capped at 709), the saturated reverse
    current I = −IS at and below −3·Vt, and ``gmin`` in parallel throughout.
    """
    if v <= -3.0 * vt:
        return gmin * v - isat, gmin
    e = math.exp(min(v / vt, 709.0))
    return isat * (e - 1.0) + gmin * v, isat * e / vt + gmin


def nmos_currents(model, v_gate: float, va: float, vb: float, v_body: float = 0.0):
    """Currents (A) into an NMOS (drain a, source b) at its two terminals, the body
    leakage (A, out through the body), and the largest partial conductance (S).

    Channel: ``model.channel_current`` in forward mode; for va < vb the roles of the
    terminals swap (symmetric device).  Junctions: :func:`junction` at body−va and body−vb.
    """
    if va >= vb:
        ids, gm, gds, gmbs = model.channel_current(v_gate - vb, va - vb, v_body - vb)
        i = ids
    else:
        ids, gm, gds, gmbs = model.channel_current(v_gate - va, vb - va, v_body - va)
        i = -ids
    vt = model.thermal_voltage
    ja, gja = junction(v_body - va, model.junction_is, vt, model.gmin)
    jb, gjb = junction(v_body - vb, model.junction_is, vt, model.gmin)
    ia, ib = i - ja, -i - jb
    return ia, ib, ia + ib, abs(gm) + abs(gds) + abs(gmbs) + gja + gjb


@dataclass
class Elements:
    """One kind of element: terminals (node ids), currents into the element at each
    terminal (A) and a conductance scale (S) per element, all (batch, n) except ids."""

    role: str
    index: tuple  # element positions in the solution's per-role arrays
    a: np.ndarray
    b: np.ndarray
    ia: np.ndarray
    ib: np.ndarray
    g: np.ndarray
    va: np.ndarray = None
    vb: np.ndarray = None

    @property
    def power(self):  # W, with the body (for transistors) at 0 V
        return self.va * self.ia + self.vb * self.ib

    @property
    def power_scale(self):  # W, Σ|terms| of the power sum, for rounding bounds
        return np.abs(self.va * self.ia) + np.abs(self.vb * self.ib)


class CircuitCheck:
    """Independent recomputation of a solved crossbar (see module docstring).

    ``solution`` must be batch-first (solve with a 2-D ``v_in``).

    Node numbering: row(i, j) = i·C + j; col(i, j) = RC + i·C + j; mid(i, j) = 2RC + i·C + j;
    in_i = 3RC + i; out_j = 3RC + R + j.
    """

    def __init__(self, spec: CrossbarSpec, v_in, solution):
        self.spec = spec
        rows, cols = spec.shape
        self.rows, self.cols = rows, cols
        v_in = np.atleast_2d(np.asarray(v_in, dtype=float))
        batch = v_in.shape[0]
        rc = rows * cols
        self.n_nodes = 3 * rc + rows + cols
        cell_id = np.arange(rc).reshape(rows, cols)
        ROW, COL, MID = cell_id, rc + cell_id, 2 * rc + cell_id
        IN, OUT = 3 * rc + np.arange(rows), 3 * rc + rows + np.arange(cols)
        self.IN, self.OUT = IN, OUT

        v = np.zeros((batch, self.n_nodes))
        v[:, ROW.ravel()] = solution.row_voltages.reshape(batch, -1)
        v[:, COL.ravel()] = solution.column_voltages.reshape(batch, -1)
        if spec.cell == "1t1r":
            v[:, MID.ravel()] = solution.internal_voltages.reshape(batch, -1)
        v[:, IN] = v_in
        v[:, OUT] = 0.0  # virtual grounds
        self.v = v
        self.links = []  # (a, b) pairs joined by a 0 Ω parasitic
        self.elements: list[Elements] = []

        def resistors(role, a, b, r, index):
            a, b, r = np.ravel(a), np.ravel(b), np.ravel(np.broadcast_to(r, np.shape(a)))
            index = tuple(np.ravel(i) for i in index)
            zero = r == 0.0
            self.links += list(zip(a[zero], b[zero]))
            keep = ~zero
            if keep.any():
                a, b, r = a[keep], b[keep], r[keep]
                i = (v[:, a] - v[:, b]) / r  # Ohm's law
                self.elements.append(Elements(role, tuple(x[keep] for x in index), a, b, i, -i,
                                              np.broadcast_to(1.0 / r, i.shape)))

        ii, jj = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        resistors("source", IN, ROW[:, 0], spec.r_source, (np.arange(rows),))
        if cols > 1:  # segment j-1 -> j stored at [..., j-1] in solution.power
            resistors("row_wire", ROW[:, :-1], ROW[:, 1:], spec.r_wire_row, (ii[:, 1:], jj[:, 1:] - 1))
        if rows > 1:
            resistors("col_wire", COL[:-1, :], COL[1:, :], spec.r_wire_col, (ii[1:, :] - 1, jj[1:, :]))
        resistors("sink", COL[-1, :], OUT, spec.r_sink, (np.arange(cols),))

        # memristor and transistor terminals
        if spec.cell == "1r":
            mem_a, mem_b = ROW, COL
        elif spec.transistor_side == "row":
            mem_a, mem_b, tr_a, tr_b = MID, COL, ROW, MID
        else:
            mem_a, mem_b, tr_a, tr_b = ROW, MID, MID, COL
        cell_index = (ii.ravel(), jj.ravel())
        g = spec.conductances.ravel()
        a, b = mem_a.ravel(), mem_b.ravel()
        dv = v[:, a] - v[:, b]
        mem = spec.memristor
        if isinstance(mem, SinhMemristor):
            i = g * mem.v0 * np.sinh(dv / mem.v0)
            gd = g * np.cosh(dv / mem.v0)
        elif type(mem) is LinearMemristor:
            i, gd = g * dv, np.broadcast_to(g, dv.shape)
        else:  # pragma: no cover - strategies only draw the two models above
            raise TypeError(f"no reference current for memristor model {type(mem).__name__}")
        self.elements.append(Elements("memristor", cell_index, a, b, i, -i, gd))
        self.body_leakage = np.zeros(batch)  # A, out of the circuit through the bodies
        if spec.cell == "1t1r":
            a, b = tr_a.ravel(), tr_b.ravel()
            vg = spec.v_gate[ii.ravel()]
            ia, ib, gt = (np.empty((batch, a.size)) for _ in range(3))
            for s in range(batch):
                for e in range(a.size):
                    ia[s, e], ib[s, e], _, gt[s, e] = nmos_currents(spec.transistor, vg[e],
                                                                    v[s, a[e]], v[s, b[e]])
            self.elements.append(Elements("transistor", cell_index, a, b, ia, ib, gt))
            self.body_leakage = (ia + ib).sum(axis=1)
        for el in self.elements:
            el.va, el.vb = v[:, el.a], v[:, el.b]

        # Electrical nodes: union-find over the 0 Ω links.
        parent = list(range(self.n_nodes))

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for p, q in self.links:
            parent[find(int(p))] = find(int(q))
        roots = np.array([find(n) for n in range(self.n_nodes)])
        _, self.label = np.unique(roots, return_inverse=True)
        self.n_groups = int(self.label.max()) + 1
        fixed = np.zeros(self.n_groups, dtype=bool)
        fixed[self.label[IN]] = True
        fixed[self.label[OUT]] = True
        self.fixed_group = fixed

        # Per graph node: current out of the node into elements, Σ|I|, and the rounding
        # scale Σ g·(|va| + |vb|) of the element currents meeting there.
        out = np.zeros((self.n_nodes, batch))
        mag = np.zeros_like(out)
        rnd = np.zeros_like(out)
        for el in self.elements:
            vscale = np.abs(el.va) + np.abs(el.vb)
            for term, cur in ((el.a, el.ia), (el.b, el.ib)):
                np.add.at(out, term, cur.T)
                np.add.at(mag, term, np.abs(cur).T)
                np.add.at(rnd, term, (el.g * vscale).T)
        self.node_current = out.T  # (batch, n_nodes)

        def by_group(x):
            acc = np.zeros((self.n_groups, batch))
            np.add.at(acc, self.label, x)
            return acc.T

        self.group_current, self.group_abs, self.group_rounding = by_group(out), by_group(mag), by_group(rnd)
        self.group_voltage = np.zeros((batch, self.n_groups))
        self.group_voltage[:, self.label] = v

    # ------------------------------------------------------------------ derived
    def kcl_tolerance(self, rtol: float, atol: float, k_round: float) -> np.ndarray:
        """Per electrical node (batch, n_groups), A: rtol·Σ|I| + atol + k_round·eps·Σ g(|va|+|vb|)."""
        return rtol * self.group_abs + atol + k_round * EPS * self.group_rounding

    def current_floor(self) -> np.ndarray:
        """(batch,) A: KCL_ROUND·eps·max over elements of g·(|Va| + |Vb|) -- the rounding
        uncertainty of the least certain element current, which any current derived from
        node voltages inherits (e.g. a tiny current through a 0.1 Ω = 10 S wire)."""
        worst = np.zeros(self.v.shape[0])
        for el in self.elements:
            worst = np.maximum(worst, (el.g * (np.abs(el.va) + np.abs(el.vb))).max(axis=1))
        return KCL_ROUND * EPS * worst

    def terminal_currents(self):
        """(source currents (batch, rows), column currents (batch, cols)), A, recomputed:
        current delivered by each driver, current into each column's virtual ground."""
        src = self.group_current[:, self.label[self.IN]]
        col = -self.group_current[:, self.label[self.OUT]]
        return src, col

    def link_mismatch(self) -> float:
        """Largest |V_a − V_b| (V) over the 0 Ω parasitics (must be exactly 0)."""
        if not self.links:
            return 0.0
        a, b = np.array(self.links).T
        return float(np.max(np.abs(self.v[:, a] - self.v[:, b])))

    def element(self, role):
        for el in self.elements:
            if el.role == role:
                return el
        return None


# ------------------------------------------------------------- KCL assertion
# Tolerances of the independent KCL check, per electrical node (A):
#   |Σ I| <= KCL_RTOL·Σ|I| + KCL_ATOL + KCL_ROUND·eps·Σ g·(|V_a| + |V_b|)
# * KCL_RTOL = 1e-8: ten times the solver's own relative KCL tolerance
#   (NewtonOptions.reltol = 1e-9, checked *before* its last, tiny Newton update);
# * KCL_ATOL = 1e-14 A: ten times the solver's abstol (1e-15 A), far below any cell
#   current that matters (1e-7 S × 1 mV = 1e-10 A);
# * rounding floor: a node voltage is only known to ~eps·|V|, so an element of
#   (differential) conductance g carries a current uncertainty ~g·eps·(|V_a| + |V_b|)
#   even for the exactly-rounded solution; 64 allows for the LU solve's backward error
#   (a few dozen roundings along each elimination path).  It matters only at nodes
#   joined by 0.1 Ω wires (10 S) that carry tiny currents.
KCL_RTOL = 1e-8
KCL_ATOL = 1e-14
KCL_ROUND = 64.0


def kcl_failures(check: CircuitCheck, rtol=KCL_RTOL, atol=KCL_ATOL, k_round=KCL_ROUND) -> list:
    """Free electrical nodes where KCL fails: list of (sample, node ids, ΣI, Σ|I|, tolerance)."""
    tol = check.kcl_tolerance(rtol, atol, k_round)
    bad = (np.abs(check.group_current) > tol) & ~check.fixed_group[None, :]
    out = []
    for s, grp in zip(*np.nonzero(bad)):
        nodes = np.flatnonzero(check.label == grp)
        out.append((int(s), nodes.tolist(), float(check.group_current[s, grp]),
                    float(check.group_abs[s, grp]), float(tol[s, grp])))
    return out


def assert_kcl(spec: CrossbarSpec, v_in, solution) -> CircuitCheck:
    """Assert KCL at every free node (independently recomputed) and exact 0 Ω links."""
    check = CircuitCheck(spec, v_in, solution)
    assert check.link_mismatch() == 0.0, "nodes joined by a 0 Ω wire have different voltages"
    failures = kcl_failures(check)
    assert not failures, (f"KCL violated at {len(failures)} node(s); first (sample, nodes, ΣI [A], "
                          f"Σ|I| [A], tolerance [A]): {failures[:3]}")
    return check
