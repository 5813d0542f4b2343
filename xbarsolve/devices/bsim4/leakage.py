"""BSIM4 leakage currents: gate tunnelling (Chapter 4), GIDL/GISL and impact ionisation (Chapter 6).

All functions take the intrinsic biases in the *mode frame* of :func:`.channel.channel`
(the terminal at the higher potential of source/drain acts as the drain) plus the
channel intermediates they depend on, and return currents in amperes.  Like the
channel they run on dual or complex numbers.

Gate tunnelling (IGCMOD, IGBMOD).  The oxide voltages (4.1)/(4.2)::

    Vfbeff    = Vfbzb − ½·(T3 + sqrt(T3² − 4·δ3·Vfbzb)),   T3 = Vfbzb − Vgse + Vbseff − δ3,  δ3 = 0.02 V
    Voxacc    = Vfbzb − Vfbeff  (>= 0)
    Voxdepinv = K1ox·(sqrt(K1ox²/4 + T3') − K1ox/2) + Vgsteff,   T3' = Vgse − Vfbeff − Vbseff − Vgsteff

(the depletion part solved for the surface potential, as BSIM4's code does; the manual's
(4.2) writes its large-signal limit K1ox·sqrt(Φs)).  Then (4.5)-(4.21): Igb = Igbacc + Igbinv
between gate and body, Igc = Igcs + Igcd between gate and channel split by PIGCD, and
the edge currents Igs, Igd between gate and the source/drain diffusions.

GIDL/GISL (6.3)/(6.4), or (6.8)/(6.9) with GIDLMOD = 1, and Iii (6.1)/(6.2) flow from
the drain (source) into the body.  GIDLMOD = 1 as ngspice runs it (black-box; the
manual's (6.8)/(6.9) differ)::

    T1    = (Vds − RGIDL·Vgse − EGIDL)/(3·TOXE)          (0 when T1 <= 0)
    IGIDL = AGIDL·Weffcj·NF·T1·exp(−BGIDL/T1)·exp(−KGIDL/(Vdb + FGIDL))

and the same with the GISL parameters on the source side.  The parameter sets belong to
the physical terminals: in reverse mode the source's current takes AGISL ... FGISL.
"""
from __future__ import annotations

import math

from numba import njit

from ..smooth import cexp, chain, constant_like, csoftplus, csqrt
from .constants import EXP_THRESHOLD, MAX_EXP, MIN_EXP
from .layout import Q

DELTA3 = 0.02  # V, smoothing of Vfbeff


@njit(cache=True)
def oxide_voltages(vgse, vbseff, vgsteff, q):
    """(Voxacc, Voxdepinv) (V): voltage across the oxide in accumulation and in depletion/inversion."""
    vfbzb = q[Q.vfbzb]
    t3 = vfbzb - vgse + vbseff - DELTA3
    if vfbzb <= 0.0:
        root = csqrt(t3 * t3 - 4.0 * DELTA3 * vfbzb)
    else:
        root = csqrt(t3 * t3 + 4.0 * DELTA3 * vfbzb)
    vfbeff = vfbzb - 0.5 * (t3 + root)
    voxacc = vfbzb - vfbeff
    if voxacc.real < 0.0:
        voxacc = constant_like(voxacc, 0.0)
    k1ox = q[Q.k1ox]
    t3 = vgse - vfbeff - vbseff - vgsteff
    if k1ox == 0.0:
        voxdep = t3
    elif t3.real < 0.0:
        voxdep = -t3
    else:
        half = 0.5 * k1ox
        voxdep = k1ox * (csqrt(half * half + t3) - half)
    return voxacc, voxdep + vgsteff


@njit(cache=True)
def _tunnel_exponent(b, a_, b_, c_, vox):
    """exp(−B·TOXE·(A − B'·Vox)·(1 + C·Vox)) with ``b`` = B·TOXE (the common factor of (4.5)-(4.14))."""
    return cexp(-b * (a_ - b_ * vox) * (1.0 + c_ * vox))


@njit(cache=True)
def gate_to_body(vgse, vbseff, voxacc, voxdep, q):
    """Igb (A) from gate to body (4.5)-(4.9): accumulation (ECB) plus inversion (EVB)."""
    vgb = vgse - vbseff
    t0 = q[Q.vtm_tunnel] * q[Q.nigbacc]
    vaux = t0 * csoftplus((q[Q.vfbzb] - vgb) / t0)
    igbacc = q[Q.igbacc_a] * vgb * vaux * _tunnel_exponent(
        q[Q.igbacc_b], q[Q.aigbacc], q[Q.bigbacc], q[Q.cigbacc], voxacc)
    t0 = q[Q.vtm_tunnel] * q[Q.nigbinv]
    vaux = t0 * csoftplus((voxdep - q[Q.eigbinv]) / t0)
    igbinv = q[Q.igbinv_a] * vgb * vaux * _tunnel_exponent(
        q[Q.igbinv_b], q[Q.aigbinv], q[Q.bigbinv], q[Q.cigbinv], voxdep)
    return igbacc + igbinv


@njit(cache=True)
def gate_to_channel(vgse, vth, vgsteff, vdseff, voxdep, q):
    """(Igcs, Igcd) (A): gate-to-channel tunnelling (4.10)-(4.12) split between the mode-frame
    source and drain by PIGCD (4.19)-(4.21)."""
    t0 = q[Q.vtm_tunnel] * q[Q.nigc]
    if q[Q.igcmod] == 1.0:
        vaux = t0 * csoftplus((vgse - q[Q.vth0_param]) / t0)
    else:
        vaux = t0 * csoftplus((vgse - vth) / t0)
    igc = q[Q.igc_a] * vgse * vaux * _tunnel_exponent(q[Q.igc_b], q[Q.aigc], q[Q.bigc], q[Q.cigc], voxdep)
    if q[Q.pigcd_given] != 0.0:
        pigcd = constant_like(vgsteff, q[Q.pigcd])
    else:
        # (4.21) as ngspice evaluates it: B·TOXE times TOXE once more, and negative -- a PIGCD of
        # ~1e-6 V^-2, i.e. Igcs = Igcd = Igc/2 to ~1e-7 (black box: the drain/source split of a
        # card without PIGCD is the equal split within what can be measured); the 1e-20 V offset
        # keeps it finite at Vgsteff = 0
        vg = vgsteff + 1e-20
        pigcd = -q[Q.igc_b] * q[Q.toxe] / (vg * vg) * (1.0 - 0.5 * vdseff / vg)
    t7 = -pigcd * vdseff
    t8 = t7 * t7 + 2e-4
    if t7.real > EXP_THRESHOLD:  # BSIM4's clamps of exp(t7) (reached with a computed PIGCD)
        e = constant_like(t7, MAX_EXP)
    elif t7.real < -EXP_THRESHOLD:
        e = constant_like(t7, MIN_EXP)
    else:
        e = cexp(t7)
    igcs = igc * (e - 1.0 + 1e-4 - t7) / t8
    igcd = igc * (1.0 - (1.0 - t7) * e + 1e-4) / t8
    return igcs, igcd


@njit(cache=True)
def gate_to_diffusion(vgs, a_edge, a_, b_, c_, q):
    """Igs or Igd (A): edge tunnelling between gate and one diffusion (4.13)/(4.14) at the
    gate-diffusion voltage ``vgs`` (V) with that side's prefactor ``a_edge``.

    A function of one voltage: evaluated in real arithmetic with its derivative written out,
    then carried to the dual (or complex) argument by ``chain``.
    """
    if a_edge == 0.0:
        return constant_like(vgs, 0.0)
    v = vgs.real
    t = v - q[Q.vfbsd]
    x = math.sqrt(t * t + 1e-4)              # Vgs' (4.16)
    b = q[Q.igsd_b]
    e = math.exp(-b * (a_ - b_ * x) * (1.0 + c_ * x))
    dlne_dx = -b * (c_ * a_ - b_ - 2.0 * b_ * c_ * x)
    dx_dv = t / x
    value = a_edge * v * x * e
    slope = a_edge * e * (x + v * dx_dv + v * x * dlne_dx * dx_dv)
    return chain(vgs, value, slope)


@njit(cache=True)
def gidl(vds, vgse, vdb, a_, b_, c_, e_, r_, k_, f_, width, q):
    """GIDL (drain) or GISL (source) current (A) into the body: (6.3)/(6.4) with GIDLMOD = 0,
    (6.8)/(6.9) with GIDLMOD = 1.  ``vds`` is the drain(source)-to-source(drain) voltage,
    ``vgse`` the gate voltage over that junction's far side, ``vdb`` the diffusion-to-body
    voltage; A, B, C, E, R, K, F the side's AGIDL ... FGIDL (or AGISL ... FGISL)."""
    if a_ <= 0.0 or b_ <= 0.0:
        return constant_like(vds, 0.0)
    if q[Q.gidlmod] == 0.0:
        if c_ <= 0.0:
            return constant_like(vds, 0.0)
        t1 = (vds - vgse - e_) / (3.0 * q[Q.toxe])
        if t1.real <= 0.0 or vdb.real <= 0.0:
            return constant_like(vds, 0.0)
        vdb3 = vdb * vdb * vdb
        return a_ * width * t1 * cexp(-b_ / t1) * vdb3 / (c_ + vdb3)
    # RGIDL scales Vgse in the exponent too, not only in the prefactor as (6.8) prints it
    # (black-box: with RGIDL = 0.5 ngspice's GIDL at Vgs = −0.6 V is, to all digits, its
    # RGIDL = 1 GIDL at −0.3 V)
    t1 = (vds - r_ * vgse - e_) / (3.0 * q[Q.toxe])
    if t1.real <= 0.0:
        return constant_like(vds, 0.0)
    # body-bias factor exp(K/(Vbd − F)): the manual's (6.8) prints Vds and (6.9) −Vbs in place of
    # Vbd and Vbs (black-box: ln(I(K)/I(0)) = −K/(Vdb + F) for K = 0.3, 0.6, F = −0.2 ... 1,
    # Vdb = 0.9 ... 1.8 V)
    # Vdb + F may reach 0 (GIDLMOD = 1 with FGIDL = 0, the BSIM4.7 default, at Vdb = 0), where
    # ngspice returns ~6e37 A: there the factor takes its limit from Vdb + F > 0 (1 when K = 0,
    # 0 when K > 0; K < 0 has none).  Elsewhere the factor is as ngspice's, also for Vdb + F < 0.
    x = vdb + f_
    if x.real == 0.0:
        if k_ == 0.0:
            return a_ * width * t1 * cexp(-b_ / t1)
        if k_ > 0.0:
            return constant_like(vds, 0.0)
        return constant_like(vds, math.nan)
    return a_ * width * t1 * cexp(-b_ / t1) * cexp(-k_ / x)


@njit(cache=True)
def impact_ionisation(diffvds, ids_no_scbe, q):
    """Substrate current Iii (A) from drain to body (6.1)."""
    if q[Q.alpha_term] <= 0.0 or q[Q.beta0] <= 0.0 or diffvds.real <= 0.0:
        return constant_like(diffvds, 0.0)
    if diffvds.real <= q[Q.beta0] / EXP_THRESHOLD:
        # BSIM4 (and ngspice) replace exp(−BETA0/(Vds − Vdseff)) by its floor MIN_EXP = exp(−34)
        # once the exponent passes −34: a visible substrate current at low drain bias.
        return q[Q.alpha_term] * MIN_EXP * diffvds * ids_no_scbe
    return q[Q.alpha_term] * diffvds * cexp(-q[Q.beta0] / diffvds) * ids_no_scbe


__all__ = ["oxide_voltages", "gate_to_body", "gate_to_channel", "gate_to_diffusion", "gidl",
           "impact_ionisation"]
