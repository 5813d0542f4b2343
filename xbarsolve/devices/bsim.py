"""A BSIM4-like compact NMOS model: one smooth expression from subthreshold to saturation.

:class:`BsimLikeNMOS` evaluates the DC channel current of the BSIM4 model
(mobMod = 0, rdsMod = 0, capMod-independent) for the subset of effects listed
below.  It was written from the equations of the UC Berkeley BSIM4 manual;
where the manual leaves a detail open (smoothing functions, which width scales
RDSW, ...) the detail was settled by black-box comparison with ngspice's
level-54 model (``validation/bsim/compare_bsim4.py``), which it matches to
~1e-11 relative with the card of :meth:`BsimLikeNMOS.bsim4_model_card`.  The
device is evaluated at ``T = TNOM = temperature``: the model has no
temperature scaling, and the card it writes has every temperature
coefficient at zero.

Equations (forward mode, V_DS >= 0)
-----------------------------------
Constants as BSIM4 uses them: k/q = 8.617087e-5 V/K, ε0 = 8.85418e-12 F/m,
εsi = 1.03594e-10 F/m, q = 1.60219e-19 C; Vt = k·T/q; εox = EPSROX·ε0.

Geometry (no binning, NF = 1, DWG = DWB = 0)::

    Leff = L + XL − 2·LINT,   Weff = W + XW − 2·WINT,   Weff,CJ = W + XW − 2·DWJ

Constants at TNOM::

    Eg0   = 1.16 − 7.02e-4·T²/(T + 1108)
    ni    = 1.45e10·(T/300.15)^1.5·exp(21.5565981 − Eg0/(2·Vt))          (cm⁻³)
    Φs    = 0.4 + Vt·ln(NDEP/ni) + PHIN,     Vbi = Vt·ln(NDEP·NSD/ni²)
    Xdep0 = sqrt(2·εsi·Φs/(q·NDEP)),  lt0 = sqrt(εsi·TOXE·Xdep0/εox),  Cdep0 = εsi/Xdep0
    litl  = sqrt(3·(3.9/EPSROX)·TOXE·XJ),   Coxe = εox/TOXE,  Coxp = εox/TOXP

Effective body bias (smooth; Vbc = 0.9·(Φs − K1²/(4·K2²)) clamped to [−30, −3] V
for K2 < 0, else −30 V; then smoothly limited below 0.95·Φs; δ1 = 1e-3 V)::

    Vbseff = Vbc + ½·[(Vbs − Vbc − δ1) + sqrt((Vbs − Vbc − δ1)² − 4·δ1·Vbc)]
    Vbseff = 0.95Φs − ½·[(0.95Φs − Vbseff − δ1) + sqrt((0.95Φs − Vbseff − δ1)² + 4·δ1·0.95Φs)]

Threshold voltage (body effect K1/K2, short-channel effect DVT0/1/2, DIBL
ETA0/ETAB/DSUB, drain-induced threshold shift DVTP0/DVTP1) and subthreshold
swing (NFACTOR, CDSC, CDSCB, CDSCD, CIT)::

    Xdep = Xdep0·sqrt(Φs − Vbseff)/sqrt(Φs),   lt = sqrt(εsi·TOXE·Xdep/εox)·(1 + DVT2·Vbseff)
    θ(x) = 0.5/(cosh(x) − 1),   θth = θ(DVT1·Leff/lt),   θDIBL = θ(DSUB·Leff/lt0)
    n    = 1 + [NFACTOR·εsi/Xdep + (CDSC + CDSCD·Vds + CDSCB·Vbseff)·θth + CIT]/Coxe
    Vth  = VTH0 + K1ox·sqrt(Φs − Vbseff) − K1·sqrt(Φs) − K2ox·Vbseff
           − DVT0·θth·(Vbi − Φs) − (ETA0 + ETAB·Vbseff)·θDIBL·Vds
           − n·Vt·ln(Leff/(Leff + DVTP0·(1 + exp(−DVTP1·Vds))))
    (K1ox = K1·TOXE/TOXM, K2ox = K2·TOXE/TOXM)

Effective gate overdrive, one expression for weak and strong inversion
(m* = ½ + arctan(MINV)/π, Voff' = VOFF + VOFFL/Leff)::

    Vgsteff = n·Vt·ln(1 + exp(m*·(Vgs − Vth)/(n·Vt)))
              / (m* + n·(Coxe/Cdep0)·exp(−((1 − m*)·(Vgs − Vth) − Voff')/(n·Vt)))

Inversion-charge centroid (the channel charge sees Coxeff, not Coxe; VFB is
the card's flat-band voltage, used only here since VTH0 is given)::

    Xdc    = ADOS·1.9e-9 m / (1 + ((Vgsteff + 4·max(VTH0 − VFB − Φs, 0))/(2e8·TOXP))^(0.7·BDOS))
    Coxeff = Coxp·(εsi/Xdc)/(Coxp + εsi/Xdc)

Bulk charge factor, mobility (mobMod = 0), velocity saturation, series
resistance (rdsMod = 0: RDSW inside the current expression; RDSW in Ω·µm^WR)::

    Abulk = [1 + (K1ox/(2·sqrt(Φs − Vbseff)) + K2ox)·(A0·Leff/(Leff + 2·sqrt(XJ·Xdep))
             ·(1 − AGS·Vgsteff·(Leff/(Leff + 2·sqrt(XJ·Xdep)))²) + B0/(Weff + B1))]
            / (1 + KETA·Vbseff)
    μeff  = U0 / (1 + (UA + UC·Vbseff)·(Vgsteff + 2·Vth)/TOXE + UB·((Vgsteff + 2·Vth)/TOXE)²)
    Esat  = 2·VSAT/μeff
    r     = PRWB·(sqrt(Φs − Vbseff) − sqrt(Φs)) + 1/(1 + PRWG·Vgsteff)
    Rds   = [RDSWMIN + RDSW·½·(r + sqrt(r² + 0.01))] / (1e6·Weff,CJ)^WR

Saturation voltage (λ = A2; the Rds quadratic, in its cancellation-free form)::

    a = Abulk²·Weff·VSAT·Coxe·Rds + (1/λ − 1)·Abulk
    b = −[(Vgsteff + 2Vt)·(2/λ − 1) + Abulk·Esat·Leff + 3·Abulk·(Vgsteff + 2Vt)·Weff·VSAT·Coxe·Rds]
    c = (Vgsteff + 2Vt)·Esat·Leff + 2·(Vgsteff + 2Vt)²·Weff·VSAT·Coxe·Rds
    Vdsat = (−b − sqrt(b² − 4ac))/(2a) = 2c/(−b + sqrt(b² − 4ac))

Smooth V_DS (δ = DELTA; the second form is the same number, exactly 0 at Vds = 0)::

    Vdseff = Vdsat − ½·(Vdsat − Vds − δ + sqrt((Vdsat − Vds − δ)² + 4·δ·Vdsat))
           = 2·Vdsat·Vds / (Vdsat + Vds + δ + sqrt((Vdsat − Vds − δ)² + 4·δ·Vdsat))

Current, with channel-length modulation (PCLM, PVAG), DIBL output resistance
(PDIBLC1/2, PDIBLCB, DROUT), drain-induced threshold shift output resistance
(PDITS, PDITSD, PDITSL, FPROUT) and substrate-current body effect (PSCBE1/2)::

    Ids0   = Weff·μeff·Coxeff·Vgsteff·Vdseff·(1 − Abulk·Vdseff/(2·(Vgsteff + 2Vt)))
             / (Leff·(1 + Vdseff/(Esat·Leff)))
    Idl    = Ids0 / (1 + Rds·Ids0/Vdseff)
    F      = 1/(1 + FPROUT·sqrt(Leff)/(Vgsteff + 2Vt)),   P = 1 + PVAG·Vgsteff/(Esat·Leff)
    Cclm   = F·P·(1 + Rds·Idl/Vdseff)·(Leff + Vdsat/Esat)/(PCLM·litl)
    VAsat  = [Esat·Leff + Vdsat + 2·Rds·VSAT·Coxe·Weff·Vgsteff·(1 − Abulk·Vdsat/(2(Vgsteff + 2Vt)))]
             / [2/λ − 1 + Rds·VSAT·Coxe·Weff·Abulk]
    θrout  = PDIBLC1·θ(DROUT·Leff/lt0) + PDIBLC2
    VADIBL = (Vgsteff + 2Vt)/(θrout·(1 + PDIBLCB·Vbseff))
             ·(1 − Abulk·Vdsat/(Abulk·Vdsat + Vgsteff + 2Vt))·P
    VADITS = F·[1 + (1 + PDITSL·Leff)·exp(PDITSD·Vds)]/PDITS
    1/VASCBE = (PSCBE2/Leff)·exp(−PSCBE1·litl/(Vds − Vdseff))
    Ids    = Idl·[1 + ln(1 + Cclm·(Vds − Vdseff)/VAsat)/Cclm]
                ·[1 + (Vds − Vdseff)/VADIBL]·[1 + (Vds − Vdseff)/VADITS]·[1 + (Vds − Vdseff)/VASCBE]

Every step is smooth (C∞) in (Vgs, Vds, Vbs); there are no region switches.
The only branches pick numerically stable but identical forms of one function
(ln(1 + eˣ) for large or small x, θ(x) for small x) and, far outside normal
bias, C¹ floors that keep 1 + DVT2·Vbseff, 1 + KETA·Vbseff, Abulk, the
mobility denominator and 1 + PDIBLCB·Vbseff above 0.1–0.2, n above 0.5 and
ETA0 + ETAB·Vbseff above 1e-4 (BSIM4 guards the same quantities, with other
floor functions, so agreement is not claimed there).

Not modelled -- :meth:`BsimLikeNMOS.bsim4_model_card` switches each of them
off: binning, temperature scaling, poly-gate depletion (NGATE = 0), narrow-
width effects (K3, K3B, DVT0W), lateral non-uniform doping (LPE0, LPEB),
DVTP2..5, bias-dependent width (DWG, DWB), λ's Vgsteff dependence (A1 = 0),
UD/UP mobility terms, velocity overshoot and source-end velocity limit,
gate tunnelling (igcMod = igbMod = 0), GIDL/GISL, impact ionisation (ALPHA0 =
ALPHA1 = 0), diffusion resistance (RSH = 0), stress and well-proximity
effects.  Junction diodes and gmin come from the
:class:`~xbarsolve.devices.mosfet.NMOSModel` wrapper, not from BSIM4's diode
model.

Derivatives
-----------
The model is one expression, written once and evaluated in two kinds of
arithmetic.  The solver uses *forward-mode dual numbers*
(:mod:`xbarsolve.devices.dual`): each quantity carries its derivatives along
two bias directions, so one pass gives Ids and two derivatives, exact to
rounding (no step size, no two currents subtracted).  The Jacobian of a
two-terminal element needs only gds and gm + gds + gmbs (gate and body are
fixed, the source moves Vgs, Vds and Vbs together): one pass,
:func:`bsim_terminal`, about 0.3 µs; :func:`bsim_core` (gm, gds, gmbs
separately) takes two.  The same code also runs in *complex-step*
arithmetic (each bias perturbed by h·i, h = 1e-30, derivative Im(Ids)/h;
:func:`bsim_core_complex_step`, three passes, ~1.4 µs), which the tests use as
an independent check of the dual-number derivatives.  Elementary functions
(exp, log, sqrt, θ, ln(1 + eˣ), ...) are written once through their
first-order extension f(z) = f(Re z) + f'(Re z)·(derivative parts of z)
(``chain``), which is all either method needs and keeps full accuracy where
the cmath versions would lose it.  Branches compare real parts only.  The
derivatives agree with ngspice's analytic gm, gds, gmbs to ~1e-12.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from numba import njit

from .base import check_finite, check_positive
from .bsim4.card import format_model_card
from .dual import Dual, constant_like
from .smooth import (cexp as _cexp, cfloor as _cfloor, clog as _clog, clog1p as _clog1p,
                     clog_softplus as _clog_softplus, clogaddexp as _clogaddexp, csqrt as _csqrt,
                     ctheta as _ctheta)
from .mosfet import NMOSModel

# Physical constants exactly as the BSIM4 model uses them (so that a card gives
# the same device in SPICE): Boltzmann/q, vacuum and silicon permittivity, q.
BSIM4_KBOQ = 8.617087e-5  # V/K
BSIM4_EPS0 = 8.85418e-12  # F/m
BSIM4_EPSSI = 1.03594e-10  # F/m (11.7·ε0)
BSIM4_Q = 1.60219e-19  # C
_DELTA1 = 1e-3  # V, smoothing of Vbseff
_H = 1e-30  # complex-step size

# ---------------------------------------------------------------- layout of q
CORE_PARAM_NAMES = (
    "vtm", "leff", "weff", "coxe", "phis", "sqrt_phis", "vbc",
    "vth0", "k1", "k1ox", "k2ox", "dvt0_v0", "dvt1", "dvt2", "lt0", "xdep0",
    "theta_dibl", "eta0", "etab", "dvtp0", "dvtp1",
    "nfactor", "cdsc", "cdscb", "cdscd", "cit", "mstar", "voff_eff", "coxe_over_cdep0",
    "u0", "ua", "ub", "uc", "toxe", "vsat", "coxp", "xdc_offset", "xdc_scale", "ados", "bdos",
    "a0", "ags", "b0_term", "keta", "xj", "lambda",
    "rds_scaled", "rdswmin_scaled", "prwg", "prwb", "delta",
    "pclm", "theta_rout", "pdiblcb", "pvag", "fprout",
    "pdits", "pditsd", "pditsl", "pscbe1", "pscbe2", "litl",
)
(_VTM, _LEFF, _WEFF, _COXE, _PHIS, _SQRTPHIS, _VBC,
 _VTH0, _K1, _K1OX, _K2OX, _DVT0V0, _DVT1, _DVT2, _LT0, _XDEP0,
 _THETA_DIBL, _ETA0, _ETAB, _DVTP0, _DVTP1,
 _NFACTOR, _CDSC, _CDSCB, _CDSCD, _CIT, _MSTAR, _VOFF, _COXE_CDEP0,
 _U0, _UA, _UB, _UC, _TOXE, _VSAT, _COXP, _XDC_OFFSET, _XDC_SCALE, _ADOS, _BDOS,
 _A0, _AGS, _B0TERM, _KETA, _XJ, _LAMBDA,
 _RDS, _RDSWMIN, _PRWG, _PRWB, _DELTA,
 _PCLM, _THETA_ROUT, _PDIBLCB, _PVAG, _FPROUT,
 _PDITS, _PDITSD, _PDITSL, _PSCBE1, _PSCBE2, _LITL) = range(len(CORE_PARAM_NAMES))
N_CORE = len(CORE_PARAM_NAMES)
N_INTERNALS = 13
INTERNAL_NAMES = ("vbseff", "vth", "n", "vgsteff", "abulk", "ueff", "esat", "rds",
                  "vdsat", "vdseff", "ids0", "ids_no_rout", "ids")


# ----------------------------------------------------------------- the model
@njit(cache=True)
def _vbseff(vbs, q):
    vbc = q[_VBC]
    t0 = vbs - vbc - _DELTA1
    vbseff = vbc + 0.5 * (t0 + _csqrt(t0 * t0 - 4.0 * _DELTA1 * vbc))
    t9 = 0.95 * q[_PHIS]
    t0 = t9 - vbseff - _DELTA1
    return t9 - 0.5 * (t0 + _csqrt(t0 * t0 + 4.0 * _DELTA1 * t9))


@njit(cache=True)
def _threshold(vds, vbseff, q):
    """Threshold voltage Vth (V), subthreshold factor n, sqrt(Φs − Vbseff), Xdep (m)."""
    vtm = q[_VTM]
    leff = q[_LEFF]
    sqrtphi = q[_SQRTPHIS]
    sqrtphis = _csqrt(q[_PHIS] - vbseff)
    xdep = q[_XDEP0] * sqrtphis / sqrtphi
    # short-channel θ with the bias-dependent characteristic length
    lt = q[_LT0] * _csqrt(sqrtphis / sqrtphi) * _cfloor(1.0 + q[_DVT2] * vbseff, 0.1)
    theta0 = _ctheta(q[_DVT1] * leff / lt)
    vth = (q[_VTH0] + q[_K1OX] * sqrtphis - q[_K1] * sqrtphi - q[_K2OX] * vbseff
           - q[_DVT0V0] * theta0
           - _cfloor(q[_ETA0] + q[_ETAB] * vbseff, 1e-4) * vds * q[_THETA_DIBL])
    n = _cfloor(1.0 + (q[_NFACTOR] * BSIM4_EPSSI / xdep
                       + (q[_CDSC] + q[_CDSCD] * vds + q[_CDSCB] * vbseff) * theta0
                       + q[_CIT]) / q[_COXE], 0.5)
    if q[_DVTP0] > 0.0:
        vth = vth - n * vtm * _clog(leff / (leff + q[_DVTP0] * (1.0 + _cexp(-q[_DVTP1] * vds))))
    return vth, n, sqrtphis, xdep


@njit(cache=True)
def _internals(vgs, vds, vbs, q):
    """All intermediate quantities (complex128) at one bias; the last is Ids (A)."""
    vtm = q[_VTM]
    leff = q[_LEFF]
    weff = q[_WEFF]
    coxe = q[_COXE]
    vsat = q[_VSAT]
    lam = q[_LAMBDA]

    vbseff = _vbseff(vbs, q)
    vth, n, sqrtphis, xdep = _threshold(vds, vbseff, q)

    # effective overdrive: ln(Vgsteff/(n·Vt)) = ln(ln(1 + e^{m x})) − ln(m + C·n·e^{−(1−m)x + voff/(nVt)})
    mstar = q[_MSTAR]
    nvt = n * vtm
    x = (vgs - vth) / nvt
    lognum = _clog_softplus(mstar * x)
    logden = _clogaddexp(constant_like(x, math.log(mstar)),
                         _clog(q[_COXE_CDEP0] * n) - (1.0 - mstar) * x + q[_VOFF] / nvt)
    vgsteff = nvt * _cexp(lognum - logden)
    vgst2vtm = vgsteff + 2.0 * vtm

    # inversion-charge centroid: effective oxide capacitance for the channel charge
    xdc = q[_ADOS] * 1.9e-9 / (1.0 + _cexp(0.7 * q[_BDOS] * _clog((vgsteff + q[_XDC_OFFSET])
                                                                  * q[_XDC_SCALE])))
    cen = BSIM4_EPSSI / xdc
    coxeff = q[_COXP] * cen / (q[_COXP] + cen)


    # bulk charge factor
    t5 = leff / (leff + 2.0 * _csqrt(q[_XJ] * xdep))
    fdoping = 0.5 * q[_K1OX] / sqrtphis + q[_K2OX]  # −∂Vth/∂Vbs of the body-effect terms
    abulk = 1.0 + fdoping * (q[_A0] * t5 * (1.0 - q[_AGS] * vgsteff * t5 * t5) + q[_B0TERM])
    abulk = _cfloor(abulk / _cfloor(1.0 + q[_KETA] * vbseff, 0.1), 0.1)

    # mobility (mobMod = 0) and velocity saturation
    eeff = (vgsteff + 2.0 * vth) / q[_TOXE]
    ueff = q[_U0] / _cfloor(1.0 + (q[_UA] + q[_UC] * vbseff) * eeff + q[_UB] * eeff * eeff, 0.2)
    esat = 2.0 * vsat / ueff
    esatl = esat * leff

    # source/drain series resistance inside the channel (rdsMod = 0)
    # (the bias factor is kept positive by the smooth max ½·(x + sqrt(x² + 0.01)), as BSIM4 does)
    rfact = q[_PRWB] * (sqrtphis - q[_SQRTPHIS]) + 1.0 / (1.0 + q[_PRWG] * vgsteff)
    rds = q[_RDSWMIN] + q[_RDS] * 0.5 * (rfact + _csqrt(rfact * rfact + 0.01))

    # saturation voltage
    wvcox = weff * vsat * coxe
    wvcoxrds = wvcox * rds
    qa = abulk * abulk * wvcoxrds + (1.0 / lam - 1.0) * abulk
    qb = -(vgst2vtm * (2.0 / lam - 1.0) + abulk * esatl + 3.0 * abulk * vgst2vtm * wvcoxrds)
    qc = vgst2vtm * esatl + 2.0 * vgst2vtm * vgst2vtm * wvcoxrds
    vdsat = 2.0 * qc / (-qb + _csqrt(qb * qb - 4.0 * qa * qc))

    # effective drain voltage
    delta = q[_DELTA]
    t1 = vdsat - vds - delta
    vdseff = 2.0 * vdsat * vds / (vdsat + vds + delta + _csqrt(t1 * t1 + 4.0 * delta * vdsat))
    diffvds = vds - vdseff

    # linear-region current and series resistance
    gchan = (weff * ueff * coxeff / leff * vgsteff
             * (1.0 - 0.5 * abulk * vdseff / vgst2vtm) / (1.0 + vdseff / esatl))  # Ids0/Vdseff
    ids0 = gchan * vdseff
    rfac = 1.0 + rds * gchan
    idl = ids0 / rfac

    # output resistance
    fp = 1.0 / (1.0 + q[_FPROUT] * math.sqrt(leff) / vgst2vtm)
    pvag = 1.0 + q[_PVAG] * vgsteff / esatl
    factor = constant_like(ids0, 1.0)
    if q[_PCLM] > 0.0:
        cclm = (fp * pvag * (1.0 + rds * gchan / rfac) * (leff + vdsat / esat)
                / (q[_PCLM] * q[_LITL]))
        vasat = ((esatl + vdsat + 2.0 * rds * vsat * coxe * weff * vgsteff
                  * (1.0 - 0.5 * abulk * vdsat / vgst2vtm))
                 / (2.0 / lam - 1.0 + rds * vsat * coxe * weff * abulk))
        factor = factor * (1.0 + _clog1p(cclm * diffvds / vasat) / cclm)
    if q[_THETA_ROUT] > 0.0:
        vadibl = (vgst2vtm / (q[_THETA_ROUT] * _cfloor(1.0 + q[_PDIBLCB] * vbseff, 0.1))
                  * (1.0 - abulk * vdsat / (abulk * vdsat + vgst2vtm)) * pvag)
        factor = factor * (1.0 + diffvds / vadibl)
    if q[_PDITS] > 0.0:
        vadits = fp * (1.0 + (1.0 + q[_PDITSL] * leff) * _cexp(q[_PDITSD] * vds)) / q[_PDITS]
        factor = factor * (1.0 + diffvds / vadits)
    if q[_PSCBE2] > 0.0 and diffvds.real > 0.0:
        arg = q[_PSCBE1] * q[_LITL] / diffvds
        if arg.real < 700.0:
            factor = factor * (1.0 + diffvds * q[_PSCBE2] / leff * _cexp(-arg))
    ids = idl * factor
    return (vbseff, vth, n, vgsteff, abulk, ueff, esat, rds, vdsat, vdseff, ids0, idl, ids)


@njit(cache=True)
def _ids(vgs, vds, vbs, q):
    return _internals(vgs, vds, vbs, q)[N_INTERNALS - 1]


@njit(cache=True)
def bsim_core(vgs, vds, vbs, q):
    """Channel current Ids (A) and gm, gds, gmbs (S) in forward mode (vds >= 0).

    Derivatives by forward-mode dual numbers (exact to rounding), two passes of
    two tangents; ``q`` is the vector of :attr:`BsimLikeNMOS.core_param_names`.
    """
    z = _ids(Dual(vgs, 1.0, 0.0), Dual(vds, 0.0, 1.0), Dual(vbs, 0.0, 0.0), q)
    zb = _ids(Dual(vgs, 0.0, 0.0), Dual(vds, 0.0, 0.0), Dual(vbs, 1.0, 0.0), q)
    return z.real, z.d1, z.d2, zb.d1


@njit(cache=True)
def bsim_core_complex_step(vgs, vds, vbs, q):
    """As :func:`bsim_core`, by complex-step differentiation (three complex evaluations): an
    independent check of the dual-number derivatives (same expression, other arithmetic)."""
    zg = _ids(complex(vgs, _H), complex(vds, 0.0), complex(vbs, 0.0), q)
    zd = _ids(complex(vgs, 0.0), complex(vds, _H), complex(vbs, 0.0), q)
    zb = _ids(complex(vgs, 0.0), complex(vds, 0.0), complex(vbs, _H), q)
    return zg.real, zg.imag / _H, zd.imag / _H, zb.imag / _H


@njit(cache=True)
def bsim_terminal(vgs, vds, vbs, q):
    """Ids (A), gds and gm + gds + gmbs (S): the two derivatives of a two-terminal element.

    One pass in dual numbers with two tangents: d1 along Vds, d2 along Vgs, Vds
    and Vbs together (the source node moving against a fixed gate and body).
    """
    z = _ids(Dual(vgs, 0.0, 1.0), Dual(vds, 1.0, 1.0), Dual(vbs, 0.0, 1.0), q)
    return z.real, z.d1, z.d2


@njit(cache=True)
def bsim_gate_body(vgs, vds, vbs, q):
    """gm and gmbs (S) in one dual pass (tangents along Vgs and Vbs): what gradients with
    respect to the gate and body voltages need."""
    z = _ids(Dual(vgs, 1.0, 0.0), Dual(vds, 0.0, 0.0), Dual(vbs, 0.0, 1.0), q)
    return z.d1, z.d2


@njit(cache=True)
def bsim_current(vgs, vds, vbs, q):
    """Ids (A) alone (one evaluation)."""
    return _ids(Dual(vgs, 0.0, 0.0), Dual(vds, 0.0, 0.0), Dual(vbs, 0.0, 0.0), q).real


@njit(cache=True)
def _internals_real(vgs, vds, vbs, q):
    z = _internals(complex(vgs, 0.0), complex(vds, 0.0), complex(vbs, 0.0), q)
    out = np.empty(N_INTERNALS)
    for i in range(N_INTERNALS):
        out[i] = z[i].real
    return out


def card_parameter_names() -> tuple:
    """Names of the :class:`BsimLikeNMOS` fields that form the BSIM4 card (w, l, vth0, ...)."""
    inherited = {f.name for f in fields(NMOSModel)}
    return tuple(f.name for f in fields(BsimLikeNMOS) if f.name not in inherited)


def _fmt(value: float) -> str:
    return repr(float(value)) if value != 0 else "0"


@dataclass(frozen=True)
class BsimLikeNMOS(NMOSModel):
    """BSIM4-like NMOS (see the module docstring for every equation).

    Default card: the 45 nm high-performance NMOS of the Predictive Technology
    Model, "PTM High Performance 45nm Metal Gate / High-K / Strained-Si",
    nominal Vdd = 1.0 V (Arizona State University, ptm.asu.edu; BSIM4 card
    ``PTMHP45N``): every parameter this model implements has the PTM value
    (TOXE, TOXP, TOXM, EPSROX, XJ, NDEP, NSD, PHIN, LINT, WINT, XL, DWJ,
    VTH0, VFB, K1, K2, DVT0-2, DSUB, ETA0, ETAB, DVTP0/1, NFACTOR, CDSC*, CIT,
    VOFF, VOFFL, MINV, U0, UA, UB, UC, VSAT, A0, AGS, B0, B1, KETA, A2, DELTA,
    RDSW, RDSWMIN, PRWG, PRWB, WR, PCLM, PDIBLC1/2, PDIBLCB, DROUT, PVAG,
    FPROUT, PDITS, PDITSD, PDITSL, PSCBE1/2).  What the PTM card has and this
    model leaves out (see the module docstring) is switched off in
    :meth:`bsim4_model_card`: NGATE = 1e23 → 0 (poly depletion, < 4e-4 of
    the current; the device has a metal gate), RSH = 5 Ω/□ → 0 (acts only
    through instance NRS/NRD squares, which PTM does not give), gate
    tunnelling, GIDL and impact ionisation (off: the solver's gate and body
    draw no DC current), BSIM4's junction diodes (the wrapper's diodes are
    used instead) and temperature coefficients (the model runs at TNOM).  ngspice with the complete,
    unmodified PTM card differs from this model by < 2.5e-4 relative, almost
    all of it NGATE's.
    Resulting Vth ≈ 0.46 V at Vds = 50 mV, DIBL ≈ 0.13 V/V, Ion ≈ 1.35 mA/µm
    and Ioff ≈ 21 nA/µm at Vds = 1 V.

    Geometry: drawn W = 200 nm, L = 45 nm (Leff = 17.5 nm, Weff = 190 nm).
    200 nm is the upper end of a compact 1T-1R selector and keeps the
    linear-region on-resistance at V_G = 1.0 V at ≈ 1.17 kΩ (0.78 kΩ of it
    RDSW), ≈ 4 % of R_ON = 30 kΩ.  With the transistor on the column side
    (source at the virtual ground) the cell is then linear within 0.2 % at
    V_G >= 0.8 V; with it on the row side (source follower, source at the
    memristor) a G_M = 3e-5 S cell at V_in = 0.5 V passes 0.95/0.84/0.59 of
    G_M·V_in at V_G = 1.3/1.0/0.8 V, i.e. the gate voltage sets the
    non-linearity.

    Units are those of a BSIM4 card, so that a card maps one-to-one: SI (m,
    V, F/m², m²/(V·s), m/s, 1/V, ...), except ``ndep`` and ``nsd`` in cm⁻³
    and ``rdsw``, ``rdswmin`` in Ω·µm^WR, as BSIM4 defines them.
    ``temperature`` (K, inherited) is both the device temperature and TNOM.
    ``junction_is`` (inherited) defaults to 0 here: the card switches BSIM4's
    junction diodes off, so the exported circuit is exactly the one ngspice
    solves (gmin across each junction stays, as in ngspice).
    """

    junction_is: float = 0.0
    # geometry (m)
    w: float = 200e-9
    l: float = 45e-9
    xl: float = -20e-9
    xw: float = 0.0
    lint: float = 3.75e-9
    wint: float = 5e-9
    dwj: float = 0.0
    # process
    toxe: float = 1.25e-9
    toxm: float = 1.25e-9
    epsrox: float = 3.9
    xj: float = 1.4e-8
    ndep: float = 3.24e18  # cm^-3
    nsd: float = 2e20  # cm^-3
    phin: float = 0.0
    toxp: float = 1e-9
    ados: float = 1.0
    bdos: float = 1.0
    # threshold voltage
    vth0: float = 0.46893
    vfb: float = -0.55
    k1: float = 0.4
    k2: float = 0.0
    dvt0: float = 1.0
    dvt1: float = 2.0
    dvt2: float = 0.0
    dsub: float = 0.1
    eta0: float = 0.0055
    etab: float = 0.0
    dvtp0: float = 1e-10
    dvtp1: float = 0.1
    # subthreshold
    nfactor: float = 2.22
    cdsc: float = 0.0
    cdscb: float = 0.0
    cdscd: float = 0.0
    cit: float = 0.0
    voff: float = -0.13
    voffl: float = 0.0
    minv: float = 0.05
    # mobility and saturation
    u0: float = 0.054
    ua: float = 6e-10
    ub: float = 1.2e-18
    uc: float = 0.0
    vsat: float = 170000.0
    a0: float = 1.0
    ags: float = 0.0
    b0: float = 0.0
    b1: float = 0.0
    keta: float = 0.04
    a2: float = 1.0
    delta: float = 0.01
    # series resistance (rdsMod = 0)
    rdsw: float = 155.0  # ohm * um^wr
    rdswmin: float = 0.0
    prwg: float = 0.0
    prwb: float = 0.0
    wr: float = 1.0
    # output resistance
    pclm: float = 0.02
    pdiblc1: float = 0.001
    pdiblc2: float = 0.001
    pdiblcb: float = -0.005
    drout: float = 0.5
    pvag: float = 1e-20
    fprout: float = 0.2
    pdits: float = 0.08
    pditsd: float = 0.23
    pditsl: float = 2.3e6
    pscbe1: float = 8.14e8
    pscbe2: float = 1e-7

    core_param_names = CORE_PARAM_NAMES
    core = staticmethod(bsim_core)
    core_terminal = staticmethod(bsim_terminal)
    core_current = staticmethod(bsim_current)
    core_gate_body = staticmethod(bsim_gate_body)

    def __post_init__(self):
        self._check_common()
        for name in card_parameter_names():
            check_finite(name, getattr(self, name))
        for name in ("w", "l", "toxe", "toxp", "toxm", "ados", "bdos", "epsrox", "xj", "ndep",
                     "nsd", "u0", "vsat", "delta", "dvt1", "dsub", "drout", "wr", "a2",
                     "pclm"):  # (BSIM4 rejects PCLM <= 0 too)
            check_positive(name, getattr(self, name))
        for name in ("rdsw", "rdswmin", "prwg", "pdits", "pscbe1", "pscbe2", "fprout",
                     "nfactor", "dvtp0", "pdiblc1", "pdiblc2"):
            check_positive(name, getattr(self, name), allow_zero=True)
        if self.leff <= 0:
            raise ValueError(f"effective length l + xl - 2*lint must be > 0, got {self.leff!r} m "
                             f"(l={self.l}, xl={self.xl}, lint={self.lint})")
        if self.weff <= 0:
            raise ValueError(f"effective width w + xw - 2*wint must be > 0, got {self.weff!r} m "
                             f"(w={self.w}, xw={self.xw}, wint={self.wint})")
        if self.a2 > 1.0:
            raise ValueError(f"a2 (lambda) must be in (0, 1], got {self.a2!r}")
        if self.ndep <= self._ni:
            raise ValueError(f"ndep must exceed the intrinsic density {self._ni:.3g} cm^-3, "
                             f"got {self.ndep!r}")
        if self.phis <= 0:
            raise ValueError(f"surface potential 0.4 + Vt*ln(ndep/ni) + phin must be > 0, "
                             f"got {self.phis!r} V (phin={self.phin})")
        if self.weff_rds <= 0:
            raise ValueError(f"w + xw - 2*dwj must be > 0, got {self.weff_rds!r} m (dwj={self.dwj})")
        if self.b1 + self.weff == 0:
            raise ValueError("b1 must differ from -Weff")

    # ----------------------------------------------------- derived constants
    @property
    def leff(self) -> float:
        """Effective channel length L + XL − 2·LINT (m)."""
        return self.l + self.xl - 2.0 * self.lint

    @property
    def weff(self) -> float:
        """Effective channel width W + XW − 2·WINT (m)."""
        return self.w + self.xw - 2.0 * self.wint

    @property
    def weff_rds(self) -> float:
        """Width W + XW − 2·DWJ (m) that scales RDSW (BSIM4's junction width Weff,CJ)."""
        return self.w + self.xw - 2.0 * self.dwj

    @property
    def vtm(self) -> float:
        """Thermal voltage kT/q (V) with BSIM4's constant."""
        return BSIM4_KBOQ * self.temperature

    @property
    def _ni(self) -> float:
        t = self.temperature
        eg0 = 1.16 - 7.02e-4 * t * t / (t + 1108.0)
        r = t / 300.15
        return 1.45e10 * r * math.sqrt(r) * math.exp(21.5565981 - eg0 / (2.0 * self.vtm))

    @property
    def phis(self) -> float:
        """Surface potential Φs (V) at zero body bias."""
        return 0.4 + self.vtm * math.log(self.ndep / self._ni) + self.phin

    @property
    def coxe(self) -> float:
        """Gate capacitance per area εox/TOXE (F/m²)."""
        return self.epsrox * BSIM4_EPS0 / self.toxe

    def core_parameters(self) -> np.ndarray:
        vtm = self.vtm
        leff = self.leff
        weff = self.weff
        phis = self.phis
        ni = self._ni
        coxe = self.coxe
        eps_ratio = BSIM4_EPSSI / (self.epsrox * BSIM4_EPS0)
        xdep0 = math.sqrt(2.0 * BSIM4_EPSSI / (BSIM4_Q * self.ndep * 1e6)) * math.sqrt(phis)
        lt0 = math.sqrt(eps_ratio * self.toxe * xdep0)
        litl = math.sqrt(3.0 * 3.9 / self.epsrox * self.toxe * self.xj)
        vbi = vtm * math.log(self.ndep * self.nsd / (ni * ni))
        cdep0 = BSIM4_EPSSI / xdep0
        k1ox = self.k1 * self.toxe / self.toxm
        k2ox = self.k2 * self.toxe / self.toxm
        if self.k2 < 0.0:
            vbc = 0.9 * (phis - (0.5 * self.k1 / self.k2) ** 2)
            vbc = min(max(vbc, -30.0), -3.0)
        else:
            vbc = -30.0

        def theta(x):  # 0.5/(cosh x − 1), overflow-free
            u = math.exp(-x)
            return u / (1.0 - u) ** 2

        theta_dibl = theta(self.dsub * leff / lt0)
        theta_rout = self.pdiblc1 * theta(self.drout * leff / lt0) + self.pdiblc2
        rscale = (1e6 * self.weff_rds) ** self.wr
        values = dict(
            vtm=vtm, leff=leff, weff=weff, coxe=coxe, phis=phis, sqrt_phis=math.sqrt(phis), vbc=vbc,
            vth0=self.vth0, k1=self.k1, k1ox=k1ox, k2ox=k2ox, dvt0_v0=self.dvt0 * (vbi - phis),
            dvt1=self.dvt1, dvt2=self.dvt2, lt0=lt0, xdep0=xdep0, theta_dibl=theta_dibl,
            eta0=self.eta0, etab=self.etab, dvtp0=self.dvtp0, dvtp1=self.dvtp1,
            nfactor=self.nfactor, cdsc=self.cdsc, cdscb=self.cdscb, cdscd=self.cdscd, cit=self.cit,
            mstar=0.5 + math.atan(self.minv) / math.pi, voff_eff=self.voff + self.voffl / leff,
            coxe_over_cdep0=coxe / cdep0, u0=self.u0, ua=self.ua, ub=self.ub, uc=self.uc,
            toxe=self.toxe, vsat=self.vsat, coxp=self.epsrox * BSIM4_EPS0 / self.toxp,
            xdc_offset=max(4.0 * (self.vth0 - self.vfb - phis), 0.0),
            xdc_scale=1.0 / (2e8 * self.toxp),
            ados=self.ados, bdos=self.bdos, a0=self.a0, ags=self.ags,
            b0_term=self.b0 / (weff + self.b1), keta=self.keta, xj=self.xj, **{"lambda": self.a2},
            rds_scaled=self.rdsw / rscale, rdswmin_scaled=self.rdswmin / rscale,
            prwg=self.prwg, prwb=self.prwb, delta=self.delta, pclm=self.pclm,
            theta_rout=theta_rout, pdiblcb=self.pdiblcb, pvag=self.pvag, fprout=self.fprout,
            pdits=self.pdits, pditsd=self.pditsd, pditsl=self.pditsl,
            pscbe1=self.pscbe1, pscbe2=self.pscbe2, litl=litl,
        )
        return np.array([values[k] for k in CORE_PARAM_NAMES], dtype=np.float64)

    # ------------------------------------------------------------ diagnostics
    def internals(self, vgs: float, vds: float, vbs: float = 0.0) -> dict:
        """Intermediate quantities at one forward-mode bias (V): Vbseff, Vth (V),
        n, Vgsteff (V), Abulk, μeff (m²/(V·s)), Esat (V/m), Rds (Ω), Vdsat,
        Vdseff (V), Ids0, Ids without output-resistance factors, Ids (A)."""
        if float(vds) < 0:
            raise ValueError(f"vds must be >= 0 for the forward-mode core, got {vds}")
        vals = _internals_real(float(vgs), float(vds), float(vbs), self.core_parameters())
        return dict(zip(INTERNAL_NAMES, (float(v) for v in vals)))

    def threshold_voltage(self, vds: float = 0.0, vbs: float = 0.0) -> float:
        """Bias-dependent threshold voltage Vth (V) at ``vds``, ``vbs`` (V)."""
        return self.internals(self.vth0, vds, vbs)["vth"]

    @property
    def vth_estimate(self) -> float:
        """Threshold voltage at V_DS = V_BS = 0 (V), used to limit Newton steps."""
        return self.threshold_voltage(0.0, 0.0)

    # ------------------------------------------------------------- SPICE card
    def bsim4_model_card(self, name: str = "nbsim") -> str:
        """ngspice ``.model`` line (BSIM4, level 54) for exactly this device.

        Every parameter that influences the DC channel current is explicit, and
        every effect this model does not implement is switched off, so that
        ngspice's BSIM4 computes the same I_DS.  Use the instance line of
        :meth:`bsim4_instance` (it carries W and L) and run the circuit at
        ``.temp`` = :attr:`temperature` − 273.15 (the card's TNOM).
        """
        if not name or not name.replace("_", "").isalnum():
            raise ValueError(f"model name must be alphanumeric, got {name!r}")
        p = {
            # selectors: DC core of BSIM4.8, every optional effect off
            "version": "4.8", "binunit": 1, "paramchk": 1, "mobmod": 0, "rdsmod": 0,
            "igcmod": 0, "igbmod": 0, "capmod": 2, "rgatemod": 0, "rbodymod": 0,
            "trnqsmod": 0, "acnqsmod": 0, "diomod": 1, "tempmod": 0, "permod": 1,
            "geomod": 0, "rgeomod": 0, "mtrlmod": 0, "wpemod": 0,
            "tnom": self.temperature - 273.15,
            # geometry and process
            "toxe": self.toxe, "toxp": self.toxp, "toxm": self.toxm,
            "ados": self.ados, "bdos": self.bdos,
            "epsrox": self.epsrox, "xj": self.xj, "ndep": self.ndep, "nsd": self.nsd,
            "ngate": 0.0, "phin": self.phin, "rsh": 0.0,
            "lint": self.lint, "wint": self.wint, "xl": self.xl, "xw": self.xw,
            "dwj": self.dwj, "dwc": self.wint, "dlc": self.lint,
            "ll": 0.0, "wl": 0.0, "lw": 0.0, "ww": 0.0, "lwl": 0.0, "wwl": 0.0,
            "lln": 1.0, "wln": 1.0, "lwn": 1.0, "wwn": 1.0,
            # threshold voltage
            "vth0": self.vth0, "vfb": self.vfb, "k1": self.k1, "k2": self.k2,
            "k3": 0.0, "k3b": 0.0, "w0": 2.5e-6,
            "dvt0": self.dvt0, "dvt1": self.dvt1, "dvt2": self.dvt2,
            "dvt0w": 0.0, "dvt1w": 0.0, "dvt2w": 0.0, "lpe0": 0.0, "lpeb": 0.0,
            "dsub": self.dsub, "eta0": self.eta0, "etab": self.etab,
            "dvtp0": self.dvtp0, "dvtp1": self.dvtp1,
            # subthreshold
            "nfactor": self.nfactor, "cdsc": self.cdsc, "cdscb": self.cdscb, "cdscd": self.cdscd,
            "cit": self.cit, "voff": self.voff, "voffl": self.voffl, "minv": self.minv,
            # mobility, velocity saturation, bulk charge
            "u0": self.u0, "ua": self.ua, "ub": self.ub, "uc": self.uc, "ud": 0.0, "up": 0.0,
            "vsat": self.vsat, "a0": self.a0, "ags": self.ags, "b0": self.b0, "b1": self.b1,
            "keta": self.keta, "a1": 0.0, "a2": self.a2, "delta": self.delta,
            "dwg": 0.0, "dwb": 0.0,
            # series resistance
            "rdsw": self.rdsw, "rdswmin": self.rdswmin, "prwg": self.prwg, "prwb": self.prwb,
            "wr": self.wr,
            # output resistance
            "pclm": self.pclm, "pdiblc1": self.pdiblc1, "pdiblc2": self.pdiblc2,
            "pdiblcb": self.pdiblcb, "drout": self.drout, "pvag": self.pvag,
            "fprout": self.fprout, "pdits": self.pdits, "pditsd": self.pditsd,
            "pditsl": self.pditsl, "pscbe1": self.pscbe1, "pscbe2": self.pscbe2,
            # effects not modelled: off
            "alpha0": 0.0, "alpha1": 0.0, "beta0": 30.0, "agidl": 0.0, "agisl": 0.0,
            "jss": 0.0, "jsws": 0.0, "jswgs": 0.0, "jsd": 0.0, "jswd": 0.0, "jswgd": 0.0,
            # no temperature dependence
            "kt1": 0.0, "kt1l": 0.0, "kt2": 0.0, "ute": 0.0, "ua1": 0.0, "ub1": 0.0,
            "uc1": 0.0, "at": 0.0, "prt": 0.0,
        }
        return format_model_card(f".model {name} nmos level=54",
                                 [(k, v if isinstance(v, (str, int)) else _fmt(v)) for k, v in p.items()])

    def bsim4_instance(self, name: str, drain: str, gate: str, source: str, body: str,
                       model: str = "nbsim") -> str:
        """ngspice instance line ``M<name> d g s b model W=.. L=..`` for this device."""
        return f"M{name} {drain} {gate} {source} {body} {model} W={_fmt(self.w)} L={_fmt(self.l)}"
