"""A BSIM4 transistor as a solver element: the sub-circuit with its internal nodes, condensed.

The solver sees a transistor as a two-terminal element between its drain-side node ``a``
and source-side node ``b`` with the gate and body held at fixed voltages (element
parameters ``v_gate``, ``v_body``).  Inside, a BSIM4 device is a small circuit::

    a ─ Rd ─ d'      g ─ Rg ─ g'      s' ─ Rs ─ b           (Rd, Rs: RSH·NRS/NRD or RGEOMOD;
            │                            │                   Rg: RGATEMOD's electrode resistance)
            └──── intrinsic device (d', g', s', b') ────┘
    junctions: db → d', sb → s';  body network: b' – b (RBPB), b' – db (RBPD), b' – sb (RBPS),
               db – b (RBDB), sb – b (RBSB)                   (RBODYMOD; else db = sb = b' = b)

Local numbering (:func:`_local_nodes`): the internal nodes the card creates first, then the
terminals a, b (free), gate and body (fixed); an internal node that the card does not
create is its external node (the same index): its currents and Jacobian entries fold
onto that node.

Internal nodes are solved inside the element, exactly: Newton on the internal KCL
equations r_U(v_U; v_a, v_b) = 0, started from the external voltages.  When the last
Newton update is below ``LINEAR_TOLERANCE`` (every internal node within 0.1 µV of the
solution), the terminal currents are extrapolated linearly to the solution,
i_E + J_EU·Δ_U: the neglected term is ½·|I''|·Δ², below 1e-11 relative even for an
exponential junction (|I''|/|I| = 1/Vt²).  With the published cards this is one
evaluation: their gate and body currents are nA through Ω-sized resistances, so the
internal nodes sit within ~10 nV of the external ones.  The element's derivatives are
those of the condensed circuit (Schur complement): G = J_EE − J_EU·J_UU⁻¹·J_UE, exact by
implicit differentiation.  One partial Gaussian elimination of the internal nodes from the
local Jacobian and current vector gives both (:func:`_eliminate_internal`); the gate's and
body's rows and columns take part only where their currents or derivatives are asked for.
Gate and body currents (into the fixed nodes) are reported the same way, for the readouts
and the power bookkeeping.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from collections import namedtuple

from ..base import Stamp
from ..mosfet import channel_step_fraction
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
WORKSPACE = 3 * N_NODES + 20 + N_NODES * N_NODES  # v, i_node, Δ, the device stamp, the local Jacobian


@njit(cache=True)
def _local_nodes(p):
    """Local indices of the sub-circuit's nodes: ``(n_u, a, b, g, body, d', s', g', b', db, sb)``.

    The n_u internal nodes the card creates come first (0 … n_u − 1, in the order d', s', g',
    b', db, sb), then the terminals a, b, gate and body (n_u … n_u + 3); an internal node the
    card does not create takes the index of the external node it is (its home).
    """
    rdsmod = p[H.rdsmod] != 0.0
    has_d = rdsmod or p[H.g_drain] != 0.0
    has_s = rdsmod or p[H.g_source] != 0.0
    has_g = p[H.g_gate] != 0.0
    net = p[H.has_body_network] != 0.0
    n_u = int(has_d) + int(has_s) + int(has_g) + (3 if net else 0)
    a, b, g, body = n_u, n_u + 1, n_u + 2, n_u + 3
    k = 0
    d = a
    if has_d:
        d = k
        k += 1
    s = b
    if has_s:
        s = k
        k += 1
    gp = g
    if has_g:
        gp = k
        k += 1
    bp, db, sb = body, body, body
    if net:
        bp, db, sb = k, k + 1, k + 2
    return n_u, a, b, g, body, d, s, gp, bp, db, sb


@njit(cache=True, inline="always")
def _stamp_conductance(i_node, jac, v, x, y, g):
    """A resistor of conductance ``g`` (S; 0: none) between local nodes x and y."""
    if g == 0.0 or x == y:
        return
    cur = g * (v[x] - v[y])
    i_node[x] += cur
    i_node[y] -= cur
    jac[x, x] += g
    jac[x, y] -= g
    jac[y, x] -= g
    jac[y, y] += g


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
def _assemble(v, p, nodes, n, i_node, jac, dev_i, dev_j):
    """Currents (A) from every local node into the sub-circuit's elements, and their Jacobian (S),
    in the local numbering of :func:`_local_nodes` (``n`` nodes)."""
    _, a, b, g, body, d, s, gp, bp, db, sb = nodes
    for r in range(n):
        i_node[r] = 0.0
        for c in range(n):
            jac[r, c] = 0.0
    node_jacobian(v[d], v[gp], v[s], v[bp], p[Q_OFFSET:], dev_i, dev_j)
    device = (d, gp, s, bp)
    for r in range(4):
        i_node[device[r]] += dev_i[r]
        for c in range(4):
            jac[device[r], device[c]] += dev_j[r, c]
    # junctions: current from the junction's body end (db / sb) into the diffusion (d' / s')
    gmin = p[H.gmin]
    for body_end, diffusion, offset in ((db, d, DRAIN_DIODE), (sb, s, SOURCE_DIODE)):
        ij, gj = junction_current(v[body_end] - v[diffusion], p[offset:offset + N_DIODE], gmin)
        i_node[body_end] += ij
        i_node[diffusion] -= ij
        jac[body_end, body_end] += gj
        jac[body_end, diffusion] -= gj
        jac[diffusion, body_end] -= gj
        jac[diffusion, diffusion] += gj
    if p[H.rdsmod] == 0.0:
        _stamp_conductance(i_node, jac, v, a, d, p[H.g_drain])
        _stamp_conductance(i_node, jac, v, b, s, p[H.g_source])
    else:
        _stamp_series(i_node, jac, v, a, d, gp, bp, p, DRAIN_SERIES)
        _stamp_series(i_node, jac, v, b, s, gp, bp, p, SOURCE_SERIES)
    _stamp_conductance(i_node, jac, v, g, gp, p[H.g_gate])
    if p[H.has_body_network] != 0.0:
        _stamp_conductance(i_node, jac, v, body, bp, p[H.g_b_bp])
        _stamp_conductance(i_node, jac, v, bp, sb, p[H.g_bp_sb])
        _stamp_conductance(i_node, jac, v, bp, db, p[H.g_bp_db])
        _stamp_conductance(i_node, jac, v, body, sb, p[H.g_b_sb])
        _stamp_conductance(i_node, jac, v, body, db, p[H.g_b_db])


@njit(cache=True)
def _eliminate_internal(jac, i_node, n_u, n):
    """Gaussian elimination of the internal nodes 0 … n_u − 1 (partial pivoting among them) from
    the first ``n`` rows and columns of ``jac`` and from ``i_node``, in place.

    Afterwards rows and columns n_u … n − 1 of ``jac`` hold the Schur complement
    J_EE − J_EU·J_UU⁻¹·J_UE and ``i_node[n_u:n]`` holds i_E − J_EU·J_UU⁻¹·i_U = i_E + J_EU·Δ:
    the condensed circuit's conductances and its terminal currents extrapolated linearly to
    the internal solution.  The first n_u rows keep J_UU's upper-triangular factor and the
    forward-eliminated i_U, from which :func:`_internal_update` gets Δ.
    """
    for k in range(n_u):
        piv = k
        for r in range(k + 1, n_u):
            if abs(jac[r, k]) > abs(jac[piv, k]):
                piv = r
        if piv != k:
            for c in range(k, n):
                jac[k, c], jac[piv, c] = jac[piv, c], jac[k, c]
            i_node[k], i_node[piv] = i_node[piv], i_node[k]
        inv = 1.0 / jac[k, k]
        for r in range(k + 1, n):
            f = jac[r, k] * inv
            if f != 0.0:
                for c in range(k + 1, n):
                    jac[r, c] -= f * jac[k, c]
                i_node[r] -= f * i_node[k]


@njit(cache=True)
def _internal_update(jac, i_node, delta, n_u):
    """Δ = −J_UU⁻¹·i_U by back substitution on the factor left by :func:`_eliminate_internal`;
    returns max |Δ| (V)."""
    largest = 0.0
    for k in range(n_u - 1, -1, -1):
        x = -i_node[k]
        for c in range(k + 1, n_u):
            x -= jac[k, c] * delta[c]
        x /= jac[k, k]
        delta[k] = x
        largest = max(largest, abs(x))
    return largest


@njit(cache=True)
def element_state(va, vb, p, full):
    """Solve the sub-circuit at terminal voltages ``va``, ``vb`` (V); ``full`` = False skips the
    gate/body currents and the derivatives with respect to v_gate and v_body (0 is returned).

    Returns ``(evaluations, ia, ib, ig, ibody, gaa, gab, gba, gbb, dia_dvg, dib_dvg, dia_dvbody,
    dib_dvbody)``: the number of local evaluations (−1 when the internal nodes did not converge;
    the rest is then NaN); the currents (A) into the element at a, b, gate and body; the
    condensed circuit's ∂(ia, ib)/∂(va, vb) (S); and ∂(ia, ib)/∂(v_gate, v_body) (S).
    """
    nodes = _local_nodes(p)
    n_u, a, b, g, body = nodes[0], nodes[1], nodes[2], nodes[3], nodes[4]
    n = n_u + 4
    # the rows and columns the result needs: the gate's and body's only for ``full``
    n_used = n if full else n_u + 2
    # one workspace for every local array (a single allocation per call)
    work = np.empty(WORKSPACE)
    v = work[0:N_NODES]
    i_node = work[N_NODES:2 * N_NODES]
    delta = work[2 * N_NODES:3 * N_NODES]
    dev_i = work[3 * N_NODES:3 * N_NODES + 4]
    dev_j = work[3 * N_NODES + 4:3 * N_NODES + 20].reshape((4, 4))
    jac = work[3 * N_NODES + 20:WORKSPACE].reshape((N_NODES, N_NODES))
    v[a] = va
    v[b] = vb
    v[g] = p[H.v_gate]
    v[body] = p[H.v_body]
    # internal nodes start at their external node's voltage
    d, s, gp, bp, db, sb = nodes[5], nodes[6], nodes[7], nodes[8], nodes[9], nodes[10]
    v[d] = va
    v[s] = vb
    v[gp] = v[g]
    v[bp] = v[body]
    v[db] = v[body]
    v[sb] = v[body]
    evaluations = 0
    while True:
        _assemble(v, p, nodes, n, i_node, jac, dev_i, dev_j)
        evaluations += 1
        if n_u == 0:
            break
        _eliminate_internal(jac, i_node, n_u, n_used)
        largest = _internal_update(jac, i_node, delta, n_u)
        if not largest < 1e300:  # NaN or overflow
            return _FAILED
        if largest <= LINEAR_TOLERANCE:
            break
        if evaluations >= MAX_LOCAL_ITERATIONS:
            return _FAILED
        # damped Newton on the junction exponentials: at most 0.1 V per local step
        scale = min(1.0, 0.1 / largest)
        for r in range(n_u):
            v[r] += scale * delta[r]
    # the condensed terminal quantities (see _eliminate_internal)
    m = p[H.multiplier]
    if full:
        return (evaluations, m * i_node[a], m * i_node[b], m * i_node[g], m * i_node[body],
                m * jac[a, a], m * jac[a, b], m * jac[b, a], m * jac[b, b],
                m * jac[a, g], m * jac[b, g], m * jac[a, body], m * jac[b, body])
    return (evaluations, m * i_node[a], m * i_node[b], 0.0, 0.0,
            m * jac[a, a], m * jac[a, b], m * jac[b, a], m * jac[b, b], 0.0, 0.0, 0.0, 0.0)


_NAN = math.nan
_FAILED = (-1, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN)


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
    return channel_step_fraction(va, vb, dva, dvb, p[H.v_gate], p[H.vth_estimate])
