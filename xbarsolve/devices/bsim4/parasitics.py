"""Parasitic resistances of a BSIM4 device through which DC currents flow.

* Source/drain series resistance between the external s, d and internal s', d' nodes:
  RDSMOD = 0 -- the diffusion resistance alone (:mod:`.diffusions`; the LDD part RDSW is inside
  the channel current); RDSMOD = 1 -- diffusion plus the bias-dependent LDD resistance of
  manual 5.18/5.19, :func:`series_resistance`.
* Gate electrode resistance between g and g' (RGATEMOD, manual 9.2, 12.1).
* Substrate resistance network between b and b', sb, db (RBODYMOD, manual 9.3).

:func:`parasitic_network` computes all of them once per device (Python); the bias-dependent
RDSMOD = 1 resistance is evaluated by :func:`series_resistance` (numba) from a parameter vector.
Where the manual leaves a detail open, it was settled black-box against ngspice 39 (every BSIM4
version it runs, 4.0 ... 4.8) and the finding is stated where it is used.

RDSMOD = 1: bias-dependent source/drain resistance
--------------------------------------------------
Between s and s' (d and d' with V_gd, V_bd)::

    R_s = R_diff + [RSWMIN + RSW·½·(t + sqrt(t² + 0.01))] / [(1e6·Weffcj)^WR · NF]
    t   = 1/(1 + PRWG·Vgs_eff) − PRWB·V_bs
    Vgs_eff = ½·(x + sqrt(x² + 1e-4)),   x = V_gs − V_fbsd
    V_fbsd  = (k·TNOM/q)·ln(NGATE/NSD)  when NGATE > 0, else 0

V_gs, V_bs are the intrinsic voltages the channel sees (g' or the gate, b', s').  Measured, not in
the manual: the smooth max(t, 0) with 0.01 (as RDSMOD = 0's), the smooth max(x, 0) with 1e-4,
V_fbsd at TNOM and without VFBSDOFF, and the diffusion part: a diffusion resistance of 0 becomes
1e-3 Ω (ngspice: "conductance reset to 1.0e3 mho"), so s' always exists.  Temperature (13.28 ...
13.37): TEMPMOD = 0 adds PRT·(T/TNOM − 1) to RSW, RSWMIN, RDW, RDWMIN; TEMPMOD >= 1 multiplies
them by 1 + PRT·(T − TNOM).  RSW, RDW, PRWG, PRWB, WR, NGATE, NSD are the binned values.

Gate electrode resistance (manual 12.1)
---------------------------------------
    Rgeltd = RSHG·(XGW + Weffcj/(3·NGCON)) / (NGCON·NF·(L + XL − XGL))

L is the drawn length (measured: with XL).  RGATEMOD = 1: Rgeltd between g and g'.  RGATEMOD = 2
and 3: at DC the gate current crosses Rgeltd and the intrinsic-input resistance Rii of manual 9.6
in series (RGATEMOD 3 puts them on two nodes; measured: the same DC drop); Rii depends on the
channel's bias (Ids/Vdseff, μeff, Coxeff) and is the channel model's to add (XRCRG1, XRCRG2 are
carried here).  Rgeltd = 0 becomes 1e-3 Ω (ngspice's "gate conductance reset"); NGCON outside 1,
2 is used as given (ngspice warns but keeps it, measured).

Substrate network (manual 9.3)
------------------------------
Five conductances, each 1/R + GBMIN, or exactly 1e3 S when R < 1e-3 Ω (measured):
b–b' (RBPB), b'–sb (RBPS), b'–db (RBPD), b–sb (RBSB), b–db (RBDB).  The junction diodes hang
from sb and db.  RBODYMOD = 1: the card's values, each overridden by the instance's.
RBODYMOD = 2: the scalable resistors of 9.11 ... 9.18 with L = Leff, W = Weff per finger
(bias-independent; measured: not the drawn sizes) and NF.  The manual's reductions, as ngspice
39 reads them (measured, every version): a card giving neither RBSBX0 nor RBSBY0, or neither
RBDBX0 nor RBDBY0, opens RBSB and RBDB (conductance GBMIN; a card giving one of a pair uses the
other's default); a card not giving RBPS0 or not giving RBPD0 also makes RBPS = RBPD = 1e-3 Ω.

Series-resistance parameter vector (float64, :data:`N_SERIES` entries, ``SERIES.<name>``)
-----------------------------------------------------------------------------------------
==========  ==============================================================
r_diff      diffusion resistance, Ω (1e-3 when the layout gives none)
r_min       RSWMIN(T)/[(1e6·Weffcj)^WR·NF], Ω
r_ldd       RSW(T)/[(1e6·Weffcj)^WR·NF], Ω
prwg        PRWG, 1/V
prwb        PRWB, 1/V
vfbsd       V_fbsd, V
==========  ==============================================================
"""
from __future__ import annotations

import dataclasses
import math
from collections import namedtuple

import numpy as np
from numba import njit

from .constants import KBOQ
from .diffusions import diffusion_resistance, effective_rgeomod, finger_diffusions

__all__ = ["SERIES", "N_SERIES", "series_resistance", "series_parameters", "ldd_temperature",
           "gate_electrode_resistance", "body_conductance", "body_network", "ParasiticNetwork",
           "parasitic_network", "BODY_BRANCHES", "RESET_RESISTANCE"]

_NAMES = ("r_diff", "r_min", "r_ldd", "prwg", "prwb", "vfbsd")
#: index of each entry of a series-resistance parameter vector (see the module docstring)
SERIES = namedtuple("SeriesIndex", _NAMES)(*range(len(_NAMES)))
N_SERIES = len(_NAMES)

#: resistance (Ω) ngspice 39 puts where a diffusion (RDSMOD = 1) or gate electrode resistance is 0
RESET_RESISTANCE = 1.0e-3
#: the substrate network's branches, in the order of :attr:`ParasiticNetwork.body_conductances`
BODY_BRANCHES = (("b", "b'"), ("b'", "sb"), ("b'", "db"), ("b", "sb"), ("b", "db"))


# ============================================================================ RDSMOD = 1
def ldd_temperature(value: float, *, prt: float, tempmod, temperature: float, tnom: float) -> float:
    """RSW, RSWMIN, RDW or RDWMIN at ``temperature`` K (manual 13.28 ... 13.37; TNOM in K)."""
    if int(tempmod) == 0:
        return value + prt * (temperature / tnom - 1.0)
    return value * (1.0 + prt * (temperature - tnom))


def series_parameters(*, r_diff: float, rw: float, rwmin: float, prwg: float, prwb: float, wr: float,
                      weffcj: float, nf: float, ngate: float, nsd: float, tnom: float) -> np.ndarray:
    """The RDSMOD = 1 parameter vector of one side (layout :data:`SERIES`).

    ``r_diff`` (Ω) the diffusion resistance (0: none); ``rw``, ``rwmin`` (Ω·µm^WR) at the device
    temperature (:func:`ldd_temperature`); ``weffcj`` (m, per finger); NGATE, NSD in cm^-3;
    ``tnom`` in K.
    """
    p = np.zeros(N_SERIES)
    scale = 1.0 / ((1e6 * weffcj) ** wr * nf)
    p[SERIES.r_diff] = r_diff if r_diff > 0.0 else RESET_RESISTANCE
    p[SERIES.r_min] = rwmin * scale
    p[SERIES.r_ldd] = rw * scale
    p[SERIES.prwg] = prwg
    p[SERIES.prwb] = prwb
    p[SERIES.vfbsd] = KBOQ * tnom * math.log(ngate / nsd) if ngate > 0.0 else 0.0
    return p


@njit(cache=True)
def series_resistance(vgs, vbs, p):
    """(R, dR/dV_gs, dR/dV_bs) of the RDSMOD = 1 source resistance, Ω and Ω/V.

    For the drain pass V_gd, V_bd and the drain's vector.  ``p``: :func:`series_parameters`.
    """
    vgse, dvgse = _smooth_max(vgs - p[SERIES.vfbsd], 1.0e-4)
    den = 1.0 + p[SERIES.prwg] * vgse
    t = 1.0 / den - p[SERIES.prwb] * vbs
    dt_dvgs = -p[SERIES.prwg] * dvgse / (den * den)
    smooth, dsmooth = _smooth_max(t, 0.01)
    r_ldd = p[SERIES.r_ldd]
    r = p[SERIES.r_diff] + p[SERIES.r_min] + r_ldd * smooth
    return r, r_ldd * dsmooth * dt_dvgs, -r_ldd * dsmooth * p[SERIES.prwb]


@njit(cache=True, inline="always")
def _smooth_max(x, d):
    """(½·(x + sqrt(x² + d)), its derivative), without cancellation for x < 0."""
    s = math.sqrt(x * x + d)
    m = 0.5 * (x + s) if x >= 0.0 else 0.5 * d / (s - x)
    return m, m / s


# ============================================================================ gate and body
def gate_electrode_resistance(*, rshg: float, xgw: float, ngcon: float, weffcj: float, nf: float,
                              l_drawn: float, xgl: float) -> float:
    """Rgeltd in Ω (manual 12.1): ``l_drawn`` = L + XL (m), ``weffcj`` per finger (m).

    0 becomes 1e-3 Ω as in ngspice.  ValueError when L + XL − XGL <= 0 or NGCON < 1.
    """
    length = l_drawn - xgl
    if not length > 0.0:
        raise ValueError(f"L + XL − XGL = {length:g} m must be positive for the gate resistance")
    if not ngcon >= 1.0:
        raise ValueError(f"NGCON = {ngcon!r} must be at least 1")
    r = rshg * (xgw + weffcj / (3.0 * ngcon)) / (ngcon * nf * length)
    if r < 0.0:
        raise ValueError(f"gate electrode resistance {r:g} Ω is negative (RSHG = {rshg!r}, XGW = {xgw!r})")
    return r if r > 0.0 else RESET_RESISTANCE


def body_conductance(r: float, gbmin: float) -> float:
    """One branch of the substrate network: 1/R + GBMIN, or 1e3 S when R < 1e-3 Ω (ngspice 39)."""
    return 1.0e3 if r < 1.0e-3 else 1.0 / r + gbmin


def _scaled(card, prefix: str, lsc: str, wsc: str, nfsc: str, leff: float, weff: float, nf: float) -> float:
    g = card.get
    return g(prefix) * (leff * 1e6) ** g(lsc) * (weff * 1e6) ** g(wsc) * nf ** g(nfsc)


def body_network(card, instance, *, leff: float, weff: float, nf: float) -> np.ndarray | None:
    """The five substrate conductances (S, order :data:`BODY_BRANCHES`), or None for RBODYMOD = 0.

    ``leff``, ``weff``: bias-independent effective length and width per finger (m).
    """
    mode = int(instance.get("rbodymod", card))
    if mode == 0:
        return None
    gbmin = card.get("gbmin")
    if mode == 1:
        r = [instance.get(n, card) for n in ("rbpb", "rbps", "rbpd", "rbsb", "rbdb")]
        return np.array([body_conductance(x, gbmin) for x in r])
    if mode != 2:
        raise ValueError(f"RBODYMOD = {mode} must be 0, 1 or 2")

    def par(a: float, b: float) -> float:
        return a * b / (a + b)
    sc = dict(leff=leff, weff=weff, nf=nf)
    rbpb = par(_scaled(card, "rbpbx0", "rbpbxl", "rbpbxw", "rbpbxnf", **sc),
               _scaled(card, "rbpby0", "rbpbyl", "rbpbyw", "rbpbynf", **sc))
    rbps = _scaled(card, "rbps0", "rbpsl", "rbpsw", "rbpsnf", **sc)
    rbpd = _scaled(card, "rbpd0", "rbpdl", "rbpdw", "rbpdnf", **sc)
    given = card.given
    g_pb = body_conductance(rbpb, gbmin)
    if not (given("rbps0") and given("rbpd0")):
        g_ps = g_pd = body_conductance(1e-3, gbmin)
        g_sb = g_db = gbmin
    else:
        g_ps, g_pd = body_conductance(rbps, gbmin), body_conductance(rbpd, gbmin)
        if not (given("rbsbx0") or given("rbsby0")) or not (given("rbdbx0") or given("rbdby0")):
            g_sb = g_db = gbmin
        else:
            rbsb = par(_scaled(card, "rbsbx0", "rbsdbxl", "rbsdbxw", "rbsdbxnf", **sc),
                       _scaled(card, "rbsby0", "rbsdbyl", "rbsdbyw", "rbsdbynf", **sc))
            rbdb = par(_scaled(card, "rbdbx0", "rbsdbxl", "rbsdbxw", "rbsdbxnf", **sc),
                       _scaled(card, "rbdby0", "rbsdbyl", "rbsdbyw", "rbsdbynf", **sc))
            g_sb, g_db = body_conductance(rbsb, gbmin), body_conductance(rbdb, gbmin)
    return np.array([g_pb, g_ps, g_pd, g_sb, g_db])


# ============================================================================ one device
@dataclasses.dataclass(frozen=True)
class ParasiticNetwork:
    """Every DC parasitic resistance of one device.

    rdsmod : 0 or 1.
    source_resistance, drain_resistance : RDSMOD = 0: fixed resistances s–s', d–d' (Ω; 0.0 means
        no resistor, the nodes are one).  RDSMOD = 1: the diffusion parts (informative; the
        bias-dependent totals come from :func:`series_resistance`).
    source_series, drain_series : RDSMOD = 1 parameter vectors (:data:`SERIES`), else None.
    rgatemod : 0 ... 3.  gate_resistance : Rgeltd (Ω) between g and g' (0.0 when RGATEMOD = 0).
    xrcrg1, xrcrg2 : for RGATEMOD 2, 3, whose DC gate current also crosses Rii (manual 9.6).
    rbodymod : 0 ... 2.  body_conductances : (5,) in S, order :data:`BODY_BRANCHES`, or None.
    """
    rdsmod: int
    source_resistance: float
    drain_resistance: float
    source_series: np.ndarray | None
    drain_series: np.ndarray | None
    rgatemod: int
    gate_resistance: float
    xrcrg1: float
    xrcrg2: float
    rbodymod: int
    body_conductances: np.ndarray | None


def parasitic_network(sizes, temperature: float) -> ParasiticNetwork:
    """The parasitic resistances of the instance of ``sizes`` (:func:`~.binning.size_dependent`).

    ``temperature`` in K.  Raises ValueError for RDSMOD outside 0, 1, RGATEMOD outside 0 ... 3,
    RBODYMOD outside 0 ... 2, and an instance RGEOMOD of 2 ... 8 (:func:`.diffusions.effective_rgeomod`).
    """
    card, inst = sizes.card, sizes.instance
    g = card.get
    nf, wcj = sizes.nf, sizes.weffcj
    geomod = int(inst.get("geomod", card))
    src, drn = finger_diffusions(nf, geomod, inst.get("min", card))
    rgeomod = effective_rgeomod(g("rgeomod"), inst.get("rgeomod", card) if inst.given("rgeomod") else None)
    common = dict(rsh=g("rsh"), rgeomod=rgeomod, geomod=geomod, weffcj=wcj, dmcg=g("dmcg"),
                  dmdg=g("dmdg"), dmcgt=g("dmcgt"))
    r_s = diffusion_resistance(src, squares_given=inst.get("nrs", card), **common)
    r_d = diffusion_resistance(drn, squares_given=inst.get("nrd", card), **common)
    rdsmod = int(g("rdsmod"))
    if rdsmod not in (0, 1):
        raise ValueError(f"RDSMOD = {rdsmod} must be 0 or 1")
    source_series = drain_series = None
    if rdsmod == 1:
        tnom = g("tnom") + 273.15
        temp = dict(prt=sizes["prt"], tempmod=g("tempmod"), temperature=temperature, tnom=tnom)
        shared = dict(prwg=sizes["prwg"], prwb=sizes["prwb"], wr=sizes["wr"], weffcj=wcj, nf=nf,
                      ngate=sizes["ngate"], nsd=sizes["nsd"], tnom=tnom)
        source_series = series_parameters(r_diff=r_s, rw=ldd_temperature(sizes["rsw"], **temp),
                                          rwmin=ldd_temperature(g("rswmin"), **temp), **shared)
        drain_series = series_parameters(r_diff=r_d, rw=ldd_temperature(sizes["rdw"], **temp),
                                         rwmin=ldd_temperature(g("rdwmin"), **temp), **shared)
    rgatemod = int(inst.get("rgatemod", card))
    if rgatemod not in (0, 1, 2, 3):
        raise ValueError(f"RGATEMOD = {rgatemod} must be 0, 1, 2 or 3")
    r_gate = 0.0
    if rgatemod:
        r_gate = gate_electrode_resistance(rshg=g("rshg"), xgw=inst.get("xgw", card),
                                           ngcon=inst.get("ngcon", card), weffcj=wcj, nf=nf,
                                           l_drawn=sizes.l_new, xgl=g("xgl"))
    rbodymod = int(inst.get("rbodymod", card))
    body = body_network(card, inst, leff=sizes.leff, weff=sizes.weff, nf=nf)
    return ParasiticNetwork(rdsmod=rdsmod, source_resistance=r_s, drain_resistance=r_d,
                            source_series=source_series, drain_series=drain_series, rgatemod=rgatemod,
                            gate_resistance=r_gate, xrcrg1=sizes["xrcrg1"], xrcrg2=sizes["xrcrg2"],
                            rbodymod=rbodymod, body_conductances=body)
