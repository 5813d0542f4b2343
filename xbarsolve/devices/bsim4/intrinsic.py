"""The intrinsic BSIM4 device: channel and leakage currents at its four intrinsic nodes.

:func:`intrinsic_currents` takes the voltages of the intrinsic drain, gate, source and
body (V) and returns the current (A) flowing *into the device* at each, together with
the current into the drain-side and source-side junction nodes' body ends (see
:mod:`.element` for the sub-circuit).  The device is symmetric: when V_DS < 0 the
source and drain swap roles ("reverse mode", as BSIM4 does), the channel and the
mode-dependent leakage components (Igcs/Igcd, GIDL/GISL, Iii) are evaluated in that
frame and mapped back.  Derivatives: evaluated on :class:`~xbarsolve.devices.dual.Dual3`
numbers seeded along the mode-frame (Vgs, Vds, Vbs), each current carries its three
partial derivatives (see :func:`node_jacobian`).
"""
from __future__ import annotations

from numba import njit

from ..dual import Dual3
from ..smooth import constant_like
from .channel import channel, poly_depleted_gate
from .layout import Q
from .leakage import (gate_to_body, gate_to_channel, gate_to_diffusion, gidl, impact_ionisation,
                      oxide_voltages)


@njit(cache=True)
def mode_frame_currents(vgs, vds, vbs, vgd_actual, vgs_actual, reverse, q):
    """Currents of the intrinsic device in the mode frame (V_DS >= 0), on dual numbers.

    Returns (ids, isub, igidl, igisl, igcs, igcd, igs, igd, igb): the channel current from the
    mode drain to the mode source, impact ionisation (mode drain → body), GIDL (mode drain →
    body), GISL (mode source → body), the gate-to-channel parts into the mode source and
    drain, the edge currents from the gate into the ACTUAL source (igs) and drain (igd)
    diffusions, and gate-to-body tunnelling.  ``vgs_actual``/``vgd_actual`` are the actual
    gate-source and gate-drain voltages (V) in the same dual seeding.
    """
    ids, vgse, vth, vgsteff, vdseff, vbseff, sqrtphis, ids_no_scbe, diffvds = channel(vgs, vds, vbs, q)
    zero = constant_like(vgs, 0.0)
    isub = impact_ionisation(diffvds, ids_no_scbe, q)
    igidl = zero
    igisl = zero
    if q[Q.agidl] > 0.0 or q[Q.agisl] > 0.0:
        vgd = vgs - vds
        vbd = vbs - vds
        vgde = poly_depleted_gate(vgd, q)  # the gate voltage over the drain side
        # the parameters belong to the physical terminals: in reverse mode the mode drain is the
        # actual source, whose current takes the GISL parameters (black-box: with AGISL ... FGISL
        # unlike AGIDL ... FGIDL, ngspice's reverse-mode source current agrees only so)
        d = 7 if reverse else 0
        s = 0 if reverse else 7
        igidl = gidl(vds, vgse, -vbd, q[Q.agidl + d], q[Q.agidl + d + 1], q[Q.agidl + d + 2],
                     q[Q.agidl + d + 3], q[Q.agidl + d + 4], q[Q.agidl + d + 5], q[Q.agidl + d + 6],
                     q[Q.gidl_w_drain], q)
        igisl = gidl(-vds, vgde, -vbs, q[Q.agidl + s], q[Q.agidl + s + 1], q[Q.agidl + s + 2],
                     q[Q.agidl + s + 3], q[Q.agidl + s + 4], q[Q.agidl + s + 5], q[Q.agidl + s + 6],
                     q[Q.gidl_w_source], q)
    igcs = zero
    igcd = zero
    igs = zero
    igd = zero
    igb = zero
    if q[Q.igcmod] != 0.0 or q[Q.igbmod] != 0.0:
        voxacc, voxdep = oxide_voltages(vgse, vbseff, vgsteff, q)
        if q[Q.igcmod] != 0.0:
            igcs, igcd = gate_to_channel(vgse, vth, vgsteff, vdseff, voxdep, q)
            igs = gate_to_diffusion(vgs_actual, q[Q.igs_a], q[Q.aigs], q[Q.bigs], q[Q.cigs], q)
            igd = gate_to_diffusion(vgd_actual, q[Q.igd_a], q[Q.aigd], q[Q.bigd], q[Q.cigd], q)
        if q[Q.igbmod] != 0.0:
            igb = gate_to_body(vgse, vbseff, voxacc, voxdep, q)
    return ids, isub, igidl, igisl, igcs, igcd, igs, igd, igb


@njit(cache=True)
def intrinsic_currents(vd, vg, vs, vb, q):
    """Currents (A) into the intrinsic drain, gate, source and body at node voltages (V).

    Returns four :class:`Dual3` numbers whose tangents are the derivatives with respect to
    (V_G, V_D, V_B) with the source fixed -- use :func:`node_jacobian` for all four nodes.
    """
    if vd >= vs:
        vgs = Dual3(vg - vs, 1.0, 0.0, 0.0)
        vds = Dual3(vd - vs, 0.0, 1.0, 0.0)
        vbs = Dual3(vb - vs, 0.0, 0.0, 1.0)
        ids, isub, igidl, igisl, igcs, igcd, igs, igd, igb = mode_frame_currents(
            vgs, vds, vbs, vgs - vds, vgs, False, q)
        i_drain = ids + isub + igidl - igcd - igd
        i_source = -ids + igisl - igcs - igs
    else:  # reverse mode: the actual source acts as the drain; seed along (Vgd, Vsd, Vbd)
        vgd = Dual3(vg - vd, 1.0, 0.0, 0.0)
        vsd = Dual3(vs - vd, 0.0, 1.0, 0.0)
        vbd = Dual3(vb - vd, 0.0, 0.0, 1.0)
        ids, isub, igidl, igisl, igcs, igcd, igs, igd, igb = mode_frame_currents(
            vgd, vsd, vbd, vgd, vgd - vsd, True, q)
        i_source = ids + isub + igidl - igcd - igs
        i_drain = -ids + igisl - igcs - igd
    i_gate = igcs + igcd + igs + igd + igb
    i_body = -(isub + igidl + igisl) - igb
    return i_drain, i_gate, i_source, i_body


@njit(cache=True)
def node_jacobian(vd, vg, vs, vb, q, currents, jacobian):
    """Fill ``currents`` (4,) A and ``jacobian`` (4, 4) S with the intrinsic currents into
    (drain, gate, source, body) and their derivatives with respect to the same nodes' voltages.

    The dual tangents are derivatives along the mode frame's (Vg, Vd or Vs, Vb) with the
    mode source fixed; the mode source's column follows from invariance under a common
    shift of all four voltages (its entries make each row sum to zero).
    """
    out = intrinsic_currents(vd, vg, vs, vb, q)
    forward = vd >= vs
    for k in range(4):
        z = out[k]
        currents[k] = z.real
        jacobian[k, 1] = z.d1
        if forward:
            jacobian[k, 0] = z.d2
            jacobian[k, 3] = z.d3
            jacobian[k, 2] = -(z.d1 + z.d2 + z.d3)
        else:
            jacobian[k, 2] = z.d2
            jacobian[k, 3] = z.d3
            jacobian[k, 0] = -(z.d1 + z.d2 + z.d3)
