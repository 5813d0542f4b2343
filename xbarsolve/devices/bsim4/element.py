"""A BSIM4 transistor as a solver element: the sub-circuit with its internal nodes, condensed.

The solver sees a transistor as a two-terminal element between its drain-side node ``a``
and source-side node ``b`` with the gate and body held at fixed voltages (element
parameters ``v_gate``, ``v_body``).  Inside, a BSIM4 device is a small circuit::

    a ─ Rd ─ d'      g ─ Rg ─ g'      s' ─ Rs ─ b           (Rd, Rs: RSH·NRS/NRD or RGEOMOD;
            │                            │                   Rg: RGATEMOD's electrode resistance)
            └──── intrinsic device (d', g', s', b') ────┘
    junctions: db → d', sb → s';  body network: b' – b (RBPB), b' – db (RBPD), b' – sb (RBPS),
               db – b (RBDB), sb – b (RBSB)                   (RBODYMOD; else db = sb = b' = b)

Node indices of the local circuit: 0 a, 1 b (the element's terminals, free), 2 g, 3 body
(fixed), 4 d', 5 s', 6 g', 7 b', 8 db, 9 sb (internal).  An internal node that the card
does not create is an alias of its external node (``alias``): its currents and Jacobian
entries fold onto that node.

Internal nodes are solved inside the element, exactly: Newton on the internal KCL
equations r_U(v_U; v_a, v_b) = 0, started from the external voltages.  When the last
Newton update is below ``LINEAR_TOLERANCE`` (every internal node within 0.1 µV of the
solution), the terminal currents are extrapolated linearly to the solution,
i_E + J_EU·Δ_U: the neglected term is ½·|I''|·Δ², below 1e-11 relative even for an
exponential junction (|I''|/|I| = 1/Vt²).  With the published cards this is one
evaluation: their gate and body currents are nA through Ω-sized resistances, so the
internal nodes sit within ~10 nV of the external ones.  The element's derivatives are
those of the condensed circuit (Schur complement): G = J_EE − J_EU·J_UU⁻¹·J_UE, exact by
implicit differentiation.  Gate and body currents (into the fixed nodes) are reported
the same way, for the readouts and the power bookkeeping.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from collections import namedtuple

from ..base import Stamp
from ..mosfet import fetlim, limvds, step_fraction
from .intrinsic import node_jacobian
from .junction import N_DIODE, junction_current
from .layout import N_CONSTANTS
from .parasitics import N_SERIES, series_resistance

LINEAR_TOLERANCE = 1e-7  # V: internal Newton updates below this are applied by linear extrapolation
MAX_LOCAL_ITERATIONS = 60

# element parameter vector: header, the two junctions, the two RDSMOD = 1 series resistors, q
HEADER = ("v_gate", "v_body", "vth_estimate", "gmin",
          "multiplier",                  # M: identical devices in parallel (every current × M)
          "g_gate",                      # S: 1/Rgeltd (RGATEMOD = 1); 0: g' is the gate itself
          "rdsmod",                      # 0: fixed source/drain resistances; 1: bias-dependent
          "g_drain", "g_source",         # S (RDSMOD = 0): diffusion resistances; 0: no resistor
          "g_b_bp", "g_bp_sb", "g_bp_db", "g_b_sb", "g_b_db",  # S: substrate network (RBODYMOD)
          "has_body_network")
H = namedtuple("ElementHeaderIndex", HEADER)(*range(len(HEADER)))
N_HEADER = len(HEADER)
SOURCE_DIODE = N_HEADER                    # junction vectors (layout of :mod:`.junction`)
DRAIN_DIODE = SOURCE_DIODE + N_DIODE
SOURCE_SERIES = DRAIN_DIODE + N_DIODE      # RDSMOD = 1 vectors (layout of :mod:`.parasitics`)
DRAIN_SERIES = SOURCE_SERIES + N_SERIES
Q_OFFSET = DRAIN_SERIES + N_SERIES
N_PARAMS = Q_OFFSET + N_CONSTANTS
N_NODES = 10
HOME = (0, 1, 2, 3, 0, 1, 2, 3, 3, 3)  # the external node each local node belongs to
WORKSPACE = 208


@njit(cache=True)
def _aliases(p):
    """Which local node each of the 10 node indices stands for (itself, or its external node)."""
    fixed_rds = p[H.rdsmod] == 0.0
    d = 0 if fixed_rds and p[H.g_drain] == 0.0 else 4
    s = 1 if fixed_rds and p[H.g_source] == 0.0 else 5
    g = 2 if p[H.g_gate] == 0.0 else 6
    net = p[H.has_body_network] != 0.0
    return (0, 1, 2, 3, d, s, g, 7 if net else 3, 8 if net else 3, 9 if net else 3)


@njit(cache=True)
def _stamp_resistor(i_node, jac, alias, v, a, b, g):
    if g == 0.0:
        return
    ia = alias[a]
    ib = alias[b]
    if ia == ib:
        return
    cur = g * (v[ia] - v[ib])
    i_node[ia] += cur
    i_node[ib] -= cur
    jac[ia, ia] += g
    jac[ia, ib] -= g
    jac[ib, ia] -= g
    jac[ib, ib] += g


@njit(cache=True)
def _stamp_series(i_node, jac, v, outer, inner, gate, body, p, offset):
    """RDSMOD = 1: the bias-dependent resistor between an external node and its internal one,
    R(V_g'·inner, V_b'·inner) (:func:`.parasitics.series_resistance`)."""
    r, dr_dvgs, dr_dvbs = series_resistance(v[gate] - v[inner], v[body] - v[inner], p[offset:])
    dv = v[inner] - v[outer]
    cur = dv / r                            # from the internal node to the external one
    k = -dv / (r * r)                       # ∂cur/∂R
    d_inner = 1.0 / r - k * (dr_dvgs + dr_dvbs)
    d_gate = k * dr_dvgs
    d_body = k * dr_dvbs
    for node, sign in ((inner, 1.0), (outer, -1.0)):
        i_node[node] += sign * cur
        jac[node, inner] += sign * d_inner
        jac[node, outer] -= sign / r
        jac[node, gate] += sign * d_gate
        jac[node, body] += sign * d_body


@njit(cache=True)
def _assemble(v, p, alias, i_node, jac, dev_i, dev_j):
    """Currents (A) from every local node into the sub-circuit's elements, and their Jacobian (S)."""
    i_node[:N_NODES] = 0.0
    jac[:, :] = 0.0
    q = p[Q_OFFSET:]
    nd, ng, ns, nb = alias[4], alias[6], alias[5], alias[7]
    node_jacobian(v[nd], v[ng], v[ns], v[nb], q, dev_i, dev_j)
    nodes = (nd, ng, ns, nb)
    for r in range(4):
        i_node[nodes[r]] += dev_i[r]
        for c in range(4):
            jac[nodes[r], nodes[c]] += dev_j[r, c]
    # junctions: current from the junction's body end (db / sb) into the diffusion (d' / s')
    gmin = p[H.gmin]
    for body_end, diffusion, offset in ((alias[8], nd, DRAIN_DIODE), (alias[9], ns, SOURCE_DIODE)):
        ij, gj = junction_current(v[body_end] - v[diffusion], p[offset:offset + N_DIODE], gmin)
        i_node[body_end] += ij
        i_node[diffusion] -= ij
        jac[body_end, body_end] += gj
        jac[body_end, diffusion] -= gj
        jac[diffusion, body_end] -= gj
        jac[diffusion, diffusion] += gj
    if p[H.rdsmod] == 0.0:
        _stamp_resistor(i_node, jac, alias, v, 0, 4, p[H.g_drain])
        _stamp_resistor(i_node, jac, alias, v, 1, 5, p[H.g_source])
    else:
        _stamp_series(i_node, jac, v, 0, nd, ng, nb, p, DRAIN_SERIES)
        _stamp_series(i_node, jac, v, 1, ns, ng, nb, p, SOURCE_SERIES)
    _stamp_resistor(i_node, jac, alias, v, 2, 6, p[H.g_gate])
    if p[H.has_body_network] != 0.0:
        _stamp_resistor(i_node, jac, alias, v, 3, 7, p[H.g_b_bp])
        _stamp_resistor(i_node, jac, alias, v, 7, 9, p[H.g_bp_sb])
        _stamp_resistor(i_node, jac, alias, v, 7, 8, p[H.g_bp_db])
        _stamp_resistor(i_node, jac, alias, v, 3, 9, p[H.g_b_sb])
        _stamp_resistor(i_node, jac, alias, v, 3, 8, p[H.g_b_db])


@njit(cache=True)
def _lu_in_place(a, perm, n):
    """LU factorization with partial pivoting of a[:n, :n] in place; row order in ``perm``."""
    for k in range(n):
        perm[k] = float(k)
    for k in range(n):
        piv = k
        for r in range(k + 1, n):
            if abs(a[r, k]) > abs(a[piv, k]):
                piv = r
        if piv != k:
            for c in range(n):
                a[k, c], a[piv, c] = a[piv, c], a[k, c]
            perm[k], perm[piv] = perm[piv], perm[k]
        inv = 1.0 / a[k, k]
        for r in range(k + 1, n):
            a[r, k] *= inv
            f = a[r, k]
            if f != 0.0:
                for c in range(k + 1, n):
                    a[r, c] -= f * a[k, c]


@njit(cache=True)
def _lu_solve(a, perm, b, x, n):
    """x = A⁻¹·b with the factors of :func:`_lu_in_place`."""
    for k in range(n):
        x[k] = b[int(perm[k])]
    for k in range(n):
        for c in range(k):
            x[k] -= a[k, c] * x[c]
    for k in range(n - 1, -1, -1):
        for c in range(k + 1, n):
            x[k] -= a[k, c] * x[c]
        x[k] /= a[k, k]


@njit(cache=True)
def element_state(va, vb, p, full):
    """Solve the sub-circuit at terminal voltages ``va``, ``vb`` (V); ``full`` = False skips the
    gate/body currents and the derivatives with respect to v_gate and v_body (0 is returned).

    Returns ``(evaluations, ia, ib, ig, ibody, gaa, gab, gba, gbb, dia_dvg, dib_dvg, dia_dvbody,
    dib_dvbody)``: the number of local evaluations (−1 when the internal nodes did not converge;
    the rest is then NaN); the currents (A) into the element at a, b, gate and body; the
    condensed circuit's ∂(ia, ib)/∂(va, vb) (S); and ∂(ia, ib)/∂(v_gate, v_body) (S).
    """
    alias = _aliases(p)
    # one workspace for every local array (a single allocation per call)
    work = np.empty(WORKSPACE)
    v = work[0:10]
    jac = work[10:110].reshape((N_NODES, N_NODES))
    dev_i = work[110:114]
    dev_j = work[114:130].reshape((4, 4))
    juu = work[130:166].reshape((6, 6))
    rhs = work[166:172]
    delta = work[172:178]
    col = work[178:184]
    g = work[184:192].reshape((2, 4))
    i_node = work[192:202]
    perm = work[202:208]  # row order of the local LU (stored as floats)
    v[0] = va
    v[1] = vb
    v[2] = p[H.v_gate]
    v[3] = p[H.v_body]
    for k in range(4, N_NODES):  # internal nodes start at their external node's voltage
        v[k] = v[HOME[k]]
    unknowns = (0, 0, 0, 0, 0, 0)
    n_u = 0
    for k in range(4, N_NODES):
        if alias[k] == k:
            unknowns = _tuple_set(unknowns, n_u, k)
            n_u += 1
    evaluations = 0
    while True:
        _assemble(v, p, alias, i_node, jac, dev_i, dev_j)
        evaluations += 1
        if n_u == 0:
            break
        for r in range(n_u):
            rhs[r] = -i_node[unknowns[r]]
            for c in range(n_u):
                juu[r, c] = jac[unknowns[r], unknowns[c]]
        _lu_in_place(juu, perm, n_u)
        _lu_solve(juu, perm, rhs, delta, n_u)
        largest = 0.0
        for r in range(n_u):
            largest = max(largest, abs(delta[r]))
        if not largest < 1e300:  # NaN or overflow
            return _FAILED
        if largest <= LINEAR_TOLERANCE:
            break
        if evaluations >= MAX_LOCAL_ITERATIONS:
            return _FAILED
        # damped Newton on the junction exponentials: at most 0.1 V per local step
        scale = min(1.0, 0.1 / largest)
        for r in range(n_u):
            v[unknowns[r]] += scale * delta[r]

    # condensed terminal quantities: x = i_X + J_XU·Δ and G = J_XY − J_XU·J_UU⁻¹·J_UY,
    # X, Y in (a, b, gate, body); J_UU's factors are those of the last local step
    ia, ib, ig, ibody = i_node[0], i_node[1], i_node[2], i_node[3]
    for r in range(n_u):
        u = unknowns[r]
        ia += jac[0, u] * delta[r]
        ib += jac[1, u] * delta[r]
        if full:
            ig += jac[2, u] * delta[r]
            ibody += jac[3, u] * delta[r]
    for x in range(2):
        for y in range(4):
            g[x, y] = jac[x, y] if (full or y < 2) else 0.0
    if n_u > 0:
        for y in range(4 if full else 2):
            for r in range(n_u):
                rhs[r] = jac[unknowns[r], y]
            _lu_solve(juu, perm, rhs, col, n_u)
            for x in range(2):
                s = 0.0
                for r in range(n_u):
                    s += jac[x, unknowns[r]] * col[r]
                g[x, y] -= s
    m = p[H.multiplier]
    return (evaluations, m * ia, m * ib, m * ig, m * ibody, m * g[0, 0], m * g[0, 1], m * g[1, 0],
            m * g[1, 1], m * g[0, 2], m * g[1, 2], m * g[0, 3], m * g[1, 3])


_NAN = math.nan
_FAILED = (-1, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN)


@njit(cache=True, inline="always")
def _tuple_set(t, i, value):
    return (value if i == 0 else t[0], value if i == 1 else t[1], value if i == 2 else t[2],
            value if i == 3 else t[3], value if i == 4 else t[4], value if i == 5 else t[5])


@njit(cache=True)
def evaluate(va, vb, p):
    """Solver kernel: Stamp(ia, ib, ∂ia/∂va, ∂ia/∂vb, ∂ib/∂va, ∂ib/∂vb) (A, S); NaN when the
    internal nodes do not converge (the solver then treats the step as failed)."""
    r = element_state(va, vb, p, False)
    return Stamp(r[1], r[2], r[5], r[6], r[7], r[8])


@njit(cache=True)
def current(va, vb, p):
    """Solver kernel: (ia, ib) (A)."""
    r = element_state(va, vb, p, False)
    return r[1], r[2]


@njit(cache=True)
def terminal_currents(va, vb, p):
    """(ia, ib, i_gate, i_body) (A): every current into the element, for readouts and power."""
    r = element_state(va, vb, p, True)
    return r[1], r[2], r[3], r[4]


@njit(cache=True)
def parameter_partials(va, vb, p, k):
    """Solver kernel: ∂(ia, ib)/∂p_k for k = 0 (v_gate) and 1 (v_body); NaN otherwise."""
    if k != 0 and k != 1:
        return math.nan, math.nan
    r = element_state(va, vb, p, True)
    if k == 0:
        return r[9], r[10]
    return r[11], r[12]


@njit(cache=True)
def step_limit(va, vb, dva, dvb, p):
    """SPICE-style limiting of the external V_GS (fetlim) and V_DS (limvds), as for every NMOS."""
    vg = p[H.v_gate]
    vth = p[H.vth_estimate]
    van = va + dva
    vbn = vb + dvb
    if va >= vb:
        vgs_old, vgs_new = vg - vb, vg - vbn
        vds_old, vds_new = va - vb, van - vbn
    else:
        vgs_old, vgs_new = vg - va, vg - van
        vds_old, vds_new = vb - va, vbn - van
    frac = step_fraction(vgs_old, vgs_new, fetlim(vgs_new, vgs_old, vth))
    return min(frac, step_fraction(vds_old, vds_new, limvds(vds_new, vds_old)))
