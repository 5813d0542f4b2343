"""BSIM4 channel current in forward mode (V_DS >= 0), one smooth expression.

:func:`channel` evaluates the drain current of one BSIM4 NMOS from its intrinsic
biases (gate, drain and body relative to the source) and returns, with it, the
intermediate quantities the leakage currents need (:mod:`.leakage`).  Written
from the BSIM4.8.0 manual (chapters 1-3 and 5; equation numbers below refer to
it); details the manual leaves open were settled by black-box comparison with
ngspice's BSIM4 (see ``validation/bsim4``).  The constants come from
:mod:`.setup` in the layout of :mod:`.layout`.

The arguments may be dual numbers (:mod:`xbarsolve.devices.dual`; the solver's
derivatives) or complex numbers (complex-step checks): the expression is
written once in first-order elementary functions (:mod:`xbarsolve.devices.smooth`).

Equations, in evaluation order (Φs, Vbc, lt0, ... are constants):

* Vbseff: (2.43)/(2.45), δ1 = 1 mV.
* Poly-gate depletion (1.7), with the poly drop limited smoothly below 1.12 V
  (T3 → 1.12 − ½·(T7 + sqrt(T7² + 0.224)), T7 = 1.07 − T3: not in the manual, as
  ngspice does):  Vgse = Vgs − Vpoly.
* Vth (2.40) with the temperature term KT2·Vbseff·(T/TNOM − 1) (13.1); the
  DITS term uses n·Vt (2.20)/(2.21) and, from BSIM4.7, the tanh term (2.22).
* n (3.x), Vgsteff with MINV, VOFF, VOFFL (3.x).
* Weff = Weff' − 2·(DWG·Vgsteff + DWB·(sqrt(Φs − Vbseff) − sqrt Φs)).
* Abulk (5.1) with LPEB's factor on the body-effect coefficient.
* μeff for MOBMOD 0…6 (5.6)-(5.16) with the Coulomb term UD; Esat = 2·VSAT/μeff.
  MOBMOD 3 as ngspice runs it: μeff = U0·f(Leff)/(1 + UD/(½·(1 + Vgsteff/Vgsteff,Vth))^UCS)
  -- the vertical-field term of (5.13) has no effect there (black-box: UA from 0 to
  1e-5 m/V, UB, UC and EU leave the current unchanged to 1e-12, while UD and UCS
  act as written), and Vgsteff,Vth is this module's Vgsteff at Vgse = Vth, Vds =
  Vbs = 0 (fitted from the currents: agrees to 1e-9 relative).
* Rds (5.17) inside the current when RDSMOD = 0; λ = A1·Vgsteff + A2 (5.32) kept
  inside (0, 1] smoothly as BSIM4 does; Vdsat (5.28); Vdseff (5.33).
* Ids0, Idl (5.23)/(5.24); output resistance: CLM, DIBL, DITS, SCBE (5.7).
* Velocity overshoot (5.53)/(5.54) and the source-end velocity limit (5.55)-(5.58) with
  2·MM = 6 (see :func:`channel`).
"""
from __future__ import annotations

import math

from numba import njit

from ..smooth import (cexp, cfloor, clog, clog1p, clog_softplus, clogaddexp, constant_like, cpow,
                      csqrt, ctanh, ctheta)
from .constants import EPSSI
from .layout import Q

DELTA1 = 1e-3  # V, smoothing of Vbseff (2.43)


@njit(cache=True)
def body_bias(vbs, q):
    """Vbseff (V): Vbs limited smoothly below by Vbc and above by 0.95·Φs (2.43)-(2.45)."""
    vbc = q[Q.vbc]
    t0 = vbs - vbc - DELTA1
    vbseff = vbc + 0.5 * (t0 + csqrt(t0 * t0 - 4.0 * DELTA1 * vbc))
    t9 = 0.95 * q[Q.phis]
    t0 = t9 - vbseff - DELTA1
    return t9 - 0.5 * (t0 + csqrt(t0 * t0 + 4.0 * DELTA1 * t9))


@njit(cache=True)
def poly_depleted_gate(vgs, q):
    """Effective gate voltage Vgse (V) after the poly-silicon gate's depletion drop (1.7)."""
    if q[Q.poly_on] == 0.0 or vgs.real <= q[Q.poly_vfb_phis]:
        return vgs
    t1 = q[Q.poly_t1]
    t8 = vgs - q[Q.poly_vfb_phis]
    t4 = csqrt(1.0 + 2.0 * t8 / t1)
    t2 = 2.0 * t8 / (t4 + 1.0)
    vpoly = 0.5 * t2 * t2 / t1            # (1.7): the unlimited poly drop
    t7 = 1.12 - vpoly - 0.05
    t6 = csqrt(t7 * t7 + 0.224)
    return vgs - (1.12 - 0.5 * (t7 + t6))  # smooth limit of the drop below 1.12 V


@njit(cache=True)
def threshold(vds, vbseff, q):
    """Vth (V), subthreshold swing n, sqrt(Φs − Vbseff) (√V) and Xdep (m) at (Vds, Vbseff) (2.40)."""
    leff = q[Q.leff]
    sqrtphi = q[Q.sqrt_phis]
    sqrtphis = csqrt(q[Q.phis] - vbseff)
    xdep = q[Q.xdep0] * sqrtphis / sqrtphi
    lt_scale = csqrt(sqrtphis / sqrtphi)  # sqrt(Xdep/Xdep0): lt and ltw scale with it
    # short-channel effect (2.29)-(2.31)
    lt = q[Q.lt0] * lt_scale * cfloor(1.0 + q[Q.dvt2] * vbseff, 0.1)
    theta0 = ctheta(q[Q.dvt1_leff] / lt)
    roll_off = q[Q.dvt0] * theta0
    if q[Q.dvt0w] != 0.0:  # narrow-width effect for short channels (2.38)-(2.39)
        ltw = q[Q.lt0] * lt_scale * cfloor(1.0 + q[Q.dvt2w] * vbseff, 0.1)
        roll_off = roll_off + q[Q.dvt0w] * ctheta(q[Q.dvt1w_lw] / ltw)
    vth = (q[Q.vth0] + (q[Q.k1ox] * sqrtphis - q[Q.k1] * sqrtphi) * q[Q.lpeb_factor]
           - q[Q.k2ox] * vbseff + q[Q.lpe0_term]
           + (q[Q.k3] + q[Q.k3b] * vbseff) * q[Q.narrow_term]
           - roll_off * q[Q.vbi_minus_phis]
           - cfloor(q[Q.eta0] + q[Q.etab] * vbseff, 1e-4) * vds * q[Q.theta_dibl]
           + q[Q.kt2_term] * vbseff)
    n = cfloor(1.0 + (q[Q.nfactor] * EPSSI / xdep
                      + (q[Q.cdsc] + q[Q.cdscd] * vds + q[Q.cdscb] * vbseff) * theta0
                      + q[Q.cit]) / q[Q.coxe], 0.5)
    if q[Q.dvtp0] > 0.0:  # drain-induced threshold shift of pocket implants (2.20)
        vth = vth - n * q[Q.vtm_dits] * clog(leff / (leff + q[Q.dvtp0] * (1.0 + cexp(-q[Q.dvtp1] * vds))))
    if q[Q.dvtp_tanh] != 0.0:  # BSIM4.7's asymmetric DITS term (2.22)
        vth = vth - q[Q.dvtp_tanh] * ctanh(q[Q.dvtp4] * vds)
    return vth, n, sqrtphis, xdep


@njit(cache=True)
def effective_overdrive(vgse, vth, n, q):
    """Vgsteff (V): one expression from weak to strong inversion (MINV, VOFF, VOFFL)."""
    mstar = q[Q.mstar]
    nvt = n * q[Q.vtm]
    x = (vgse - vth) / nvt
    lognum = clog_softplus(mstar * x)
    logden = clogaddexp(constant_like(x, math.log(mstar)),
                        clog(q[Q.coxe_over_cdep0] * n) - (1.0 - mstar) * x + q[Q.voff_eff] / nvt)
    return nvt * cexp(lognum - logden)


@njit(cache=True)
def threshold_overdrive(q):
    """Vgsteff,Vth (V): Vgsteff at Vgse = Vth with Vds = Vbs = 0, the scale of MOBMOD = 3's
    Coulomb term (5.13); a constant of the device, evaluated once by :mod:`.setup`."""
    zero = complex(0.0, 0.0)
    vbseff = body_bias(zero, q)
    vth, n, _, _ = threshold(zero, vbseff, q)
    return effective_overdrive(vth, vth, n, q).real


@njit(cache=True)
def mobility(vgsteff, vth, vbseff, q):
    """Effective mobility μeff (m²/(V·s)) for MOBMOD 0…6 (5.6)-(5.16)."""
    toxe = q[Q.toxe]
    mode = q[Q.mobmod]
    ud = q[Q.ud]
    # Coulomb scattering term UD·(Vth·TOXE/(Vgsteff + 2·sqrt(Vth² + 1e-4)))² of BSIM4.8;
    # BSIM4.5 has Vgsteff + 2·Vth in the denominator (found by black-box comparison)
    if ud != 0.0 and mode != 3.0:
        v = constant_like(vgsteff, q[Q.mob_vth_term]) if mode >= 4.0 else vth
        if q[Q.version] < 4.6:
            c = v * toxe / (vgsteff + 2.0 * v)
        else:
            c = v * toxe / (vgsteff + 2.0 * csqrt(v * v + 1e-4))
        coulomb = ud * c * c
    else:
        coulomb = constant_like(vgsteff, 0.0)
    if mode == 0.0:
        eeff = (vgsteff + 2.0 * vth) / toxe
        denom = 1.0 + (q[Q.ua] + q[Q.uc] * vbseff) * eeff + q[Q.ub] * eeff * eeff + coulomb
    elif mode == 1.0:
        eeff = (vgsteff + 2.0 * vth) / toxe
        denom = 1.0 + (q[Q.ua] * eeff + q[Q.ub] * eeff * eeff) * (1.0 + q[Q.uc] * vbseff) + coulomb
    elif mode == 2.0 or mode == 6.0:
        eeff = (vgsteff + q[Q.mob_vth_term]) / toxe
        denom = 1.0 + (q[Q.ua] + q[Q.uc] * vbseff) * cpow(eeff, q[Q.eu]) + coulomb
    elif mode == 3.0:  # (5.13) -- ngspice keeps only the Coulomb term (see the docstring)
        denom = 1.0 + ud / cpow(0.5 * (1.0 + vgsteff / q[Q.vgsteff_vth]), q[Q.ucs])
    elif mode == 4.0:
        eeff = (vgsteff + q[Q.mob_vth_term]) / toxe
        denom = 1.0 + (q[Q.ua] + q[Q.uc] * vbseff) * eeff + q[Q.ub] * eeff * eeff + coulomb
    else:  # mode == 5.0
        eeff = (vgsteff + q[Q.mob_vth_term]) / toxe
        denom = 1.0 + (q[Q.ua] * eeff + q[Q.ub] * eeff * eeff) * (1.0 + q[Q.uc] * vbseff) + coulomb
    return q[Q.u0] / cfloor(denom, 0.2)


@njit(cache=True)
def smooth_lambda(vgsteff, q):
    """λ = A1·Vgsteff + A2 kept inside (0, 1] by BSIM4's smooth limits (5.32)."""
    a1 = q[Q.a1]
    a2 = q[Q.a2]
    if a1 == 0.0:
        return constant_like(vgsteff, a2)
    if a1 > 0.0:
        t0 = 1.0 - a2
        t1 = t0 - a1 * vgsteff - 0.0001
        return a2 + t0 - 0.5 * (t1 + csqrt(t1 * t1 + 0.0004 * t0))
    t1 = a2 + a1 * vgsteff - 0.0001
    return 0.5 * (t1 + csqrt(t1 * t1 + 0.0004 * a2))


@njit(cache=True)
def channel(vgs, vds, vbs, q):
    """Forward-mode drain current and intermediates at (Vgs, Vds >= 0, Vbs) (V).

    Returns ``(ids, vgse, vth, vgsteff, vdseff, vbseff, sqrtphis, ids_no_scbe, diffvds)``:
    the drain current (A, all NF fingers), the poly-depleted gate voltage, Vth, Vgsteff,
    Vdseff (V), Vbseff (V), sqrt(Φs − Vbseff) (√V), the current without the substrate
    current-induced body effect (the impact-ionisation model's I_dsNoSCBE, A) and
    Vds − Vdseff (V).
    """
    vtm = q[Q.vtm]
    leff = q[Q.leff]
    coxe = q[Q.coxe]
    vsat = q[Q.vsat]

    vbseff = body_bias(vbs, q)
    vgse = poly_depleted_gate(vgs, q)
    vth, n, sqrtphis, xdep = threshold(vds, vbseff, q)
    vgsteff = effective_overdrive(vgse, vth, n, q)
    vgst2vtm = vgsteff + 2.0 * vtm

    # bias-dependent effective width (DWG, DWB), kept above 20 nm as BSIM4 does
    weff = q[Q.weff0] - 2.0 * (q[Q.dwg] * vgsteff + q[Q.dwb] * (sqrtphis - q[Q.sqrt_phis]))
    if weff.real < 2e-8:
        weff = 2e-8 * (4e-8 - weff) / (6e-8 - 2.0 * weff)

    # inversion-charge centroid: the channel charge sees Coxeff, not Coxe
    xdc = q[Q.ados] * 1.9e-9 / (1.0 + cexp(0.7 * q[Q.bdos] * clog((vgsteff + q[Q.xdc_offset])
                                                                 * q[Q.xdc_scale])))
    cen = EPSSI / xdc
    coxeff = q[Q.coxp] * cen / (q[Q.coxp] + cen)

    # bulk charge factor (5.1)
    t5 = leff / (leff + 2.0 * csqrt(q[Q.xj] * xdep))
    # −∂Vth/∂Vbs of the body-effect and narrow-width terms (K3B enters here too)
    body_coefficient = 0.5 * q[Q.k1ox] * q[Q.lpeb_factor] / sqrtphis + q[Q.k2ox] - q[Q.k3b] * q[Q.narrow_term]
    abulk = 1.0 + body_coefficient * (q[Q.a0] * t5 * (1.0 - q[Q.ags] * vgsteff * t5 * t5) + q[Q.b0_term])
    abulk = cfloor(abulk / cfloor(1.0 + q[Q.keta] * vbseff, 0.1), 0.1)

    ueff = mobility(vgsteff, vth, vbseff, q)
    esat = 2.0 * vsat / ueff
    esatl = esat * leff

    # source/drain series resistance inside the current (RDSMOD = 0; 0 with RDSMOD = 1)
    if q[Q.rdsmod] == 0.0:
        rfact = q[Q.prwb] * (sqrtphis - q[Q.sqrt_phis]) + 1.0 / (1.0 + q[Q.prwg] * vgsteff)
        rds = q[Q.rdswmin_scaled] + q[Q.rds_scaled] * 0.5 * (rfact + csqrt(rfact * rfact + 0.01))
    else:
        rds = constant_like(vgsteff, 0.0)

    lam = smooth_lambda(vgsteff, q)
    # saturation voltage (5.28)-(5.31) in its cancellation-free form
    wvcox = weff * vsat * coxe
    wvcoxrds = wvcox * rds
    qa = abulk * abulk * wvcoxrds + (1.0 / lam - 1.0) * abulk
    qb = -(vgst2vtm * (2.0 / lam - 1.0) + abulk * esatl + 3.0 * abulk * vgst2vtm * wvcoxrds)
    qc = vgst2vtm * esatl + 2.0 * vgst2vtm * vgst2vtm * wvcoxrds
    vdsat = 2.0 * qc / (-qb + csqrt(qb * qb - 4.0 * qa * qc))

    # effective drain voltage (5.33), exactly 0 at Vds = 0
    delta = q[Q.delta]
    t1 = vdsat - vds - delta
    vdseff = 2.0 * vdsat * vds / (vdsat + vds + delta + csqrt(t1 * t1 + 4.0 * delta * vdsat))
    diffvds = vds - vdseff

    # velocity overshoot (5.52)-(5.54): Esat·Leff scaled by Esat_ov/Esat, which every later
    # equation sees (BSIM4.5 keeps Esat itself unscaled; 4.6.4 and later scale it too)
    if q[Q.lambda_vo] > 0.0:
        t6 = 1.0 + diffvds / (esat * q[Q.litl])
        t6 = t6 * t6
        esatl = esatl * (1.0 + q[Q.lambda_vo] / (leff * ueff) * (t6 - 1.0) / (t6 + 1.0))
        if q[Q.version] >= 4.6:
            esat = esatl / leff

    # linear-region current and series resistance (5.23)/(5.24)
    gchan = (weff * ueff * coxeff / leff * vgsteff
             * (1.0 - 0.5 * abulk * vdseff / vgst2vtm) / (1.0 + vdseff / esatl))  # Ids0/Vdseff
    ids0 = gchan * vdseff
    rfac = 1.0 + rds * gchan
    idl = ids0 / rfac

    # output resistance (5.7)
    fp = 1.0 / (1.0 + q[Q.fprout] * math.sqrt(leff) / vgst2vtm)
    pvag = 1.0 + q[Q.pvag] * vgsteff / esatl
    factor = constant_like(ids0, 1.0)
    if q[Q.pclm] > 0.0:
        cclm = (fp * pvag * (1.0 + rds * gchan / rfac) * (leff + vdsat / esat)
                / (q[Q.pclm] * q[Q.litl]))
        vasat = ((esatl + vdsat + 2.0 * rds * vsat * coxe * weff * vgsteff
                  * (1.0 - 0.5 * abulk * vdsat / vgst2vtm))
                 / (2.0 / lam - 1.0 + rds * vsat * coxe * weff * abulk))
        factor = factor * (1.0 + clog1p(cclm * diffvds / vasat) / cclm)
    if q[Q.theta_rout] > 0.0:
        vadibl = (vgst2vtm / (q[Q.theta_rout] * cfloor(1.0 + q[Q.pdiblcb] * vbseff, 0.1))
                  * (1.0 - abulk * vdsat / (abulk * vdsat + vgst2vtm)) * pvag)
        factor = factor * (1.0 + diffvds / vadibl)
    if q[Q.pdits] > 0.0:
        vadits = fp * (1.0 + (1.0 + q[Q.pditsl] * leff) * cexp(q[Q.pditsd] * vds)) / q[Q.pdits]
        factor = factor * (1.0 + diffvds / vadits)
    ids_no_scbe = idl * factor
    ids = ids_no_scbe
    if q[Q.pscbe2] > 0.0 and diffvds.real > 0.0:
        arg = q[Q.pscbe1] * q[Q.litl] / diffvds
        if arg.real < 700.0:
            ids = ids * (1.0 + diffvds * q[Q.pscbe2] / leff * cexp(-arg))

    # source-end velocity limit (5.55)-(5.58): the source-end carrier velocity is
    # Ids/(Weff·Coxeff·Vgsteff) (per finger), and the exponent is 2·MM = 6, not the manual's
    # MM = 2 (black-box: ngspice's Ids(VTL)/Ids(no VTL) over VTL = 1e3 ... 2e5 m/s fits
    # (1 + x^p)^(-1/p) with p = 6.0000 at every bias, x the velocity ratio computed here)
    if q[Q.vtl] > 0.0:
        ratio = ids / (weff * coxeff * vgsteff * q[Q.vtl_r])
        ratio2 = ratio * ratio
        ids = ids / cpow(1.0 + ratio2 * ratio2 * ratio2, 1.0 / 6.0)
    nf = q[Q.nf]
    return (ids * nf, vgse, vth, vgsteff, vdseff, vbseff, sqrtphis, ids_no_scbe * nf, diffvds)
