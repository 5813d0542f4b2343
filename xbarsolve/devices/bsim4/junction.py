"""Source/body and drain/body junction diodes of BSIM4 (manual chapter 11 and section 13.5).

Each junction is one diode from the body side (the body node, or the sbNode/dbNode of the
substrate network) to the source or drain side (the internal s' or d' node).  Its DC current,
*from the body into the diffusion* (positive in forward bias), is

    I(V) = Is·(exp(V/NVT) − 1)·f_bd(V) − Σ_k I_k·(exp(−V/NVT0_k · VTS_k/(VTS_k − V)) − 1) + gmin·V

with V = V_bs (V_bd for the drain), NVT = NJ·k·T/q, f_bd the breakdown factor, and the sum the
trap-assisted tunnelling currents of the bottom, STI-sidewall and gate-edge components
(manual 11.11).  Setup (:func:`diode_parameters`, once per device, Python) reduces a card and an
instance to a float64 vector; :func:`junction_current` (numba) evaluates current and conductance.

Saturation current (13.38 ... 13.45)
------------------------------------
    Is = Aeff·Js(T) + Peff·Jsw(T) + Weffcj·NF·Jswg(T)
    J(T) = J·exp([Eg(TNOM)/vt(TNOM) − Eg(T)/vt(T) + XTI·ln(T/TNOM)] / NJ)
    Eg(T) = 1.16 − 7.02e-4·T²/(T + 1108)  (eV),   vt = k·T/q,  k/q = 8.617087e-5 V/K

with Aeff, Peff of :mod:`.diffusions`, a negative area counting as 0.  With MTRLMOD = 1 the band
gap is the substrate's, BG0SUB − TBGASUB·T²/(T + TBGBSUB) (13.73; measured: ngspice's junctions
use it from version 4.6 on, where MTRLMOD exists), here and in the tunnelling currents below.

The manual turns the diode
off when Aeff and Peff are both zero.  ngspice 39 does so for BSIM4 versions 4.6 and later, where
a negative Peff (a given PS below the gate edge under PERMOD = 1) also counts as 0; its 4.0-4.5
code keeps a negative Peff and, whenever Aeff <= 0 and Peff <= 0, uses Is = 1e-14 A instead (not
temperature-scaled, gate edge not added) -- the case of every drain of the PTM cards' default
layout (GEOMOD = 1, DMCG = 0: a shared drain end has no area and no perimeter).  All measured.
The exponent uses the device temperature T (the manual's 11.1 writes TNOM; measured: T).

Diode models (DIOMOD, 11.1 ... 11.10)
-------------------------------------
* 0: breakdown factor f_bd = 1 + XJBV·exp(−(BV + V)/NVT) (none when XJBV = 0; XJBV < 0 acts
  as 1), no current limiting.
* 1: no breakdown; above V_fwd = NVT·ln(IJTHFWD/Is + 1) the current continues linearly with the
  slope it has there.
* 2: breakdown (XJBV <= 0 acts as 1) and linear continuation in both directions.  Forward:
  V_fwd solves Is·(e − 1)·(1 + XJBV·exp(−BV/NVT)/e) = IJTHFWD exactly (a quadratic in
  e = exp(V/NVT)); the line has the value and slope of the full expression there.  Reverse:
  V_rev = −BV − NVT·ln((IJTHREV/Is − 1)/XJBV), below which
  I = −IJTHREV + (IJTHREV − Is)/NVT·(V − V_rev) -- the breakdown term alone, linearised (so not
  exactly continuous with the full expression when BV is a few NVT).  When IJTHREV < Is, ngspice
  uses 10·Is in its place; IJTHREV = Is is refused (ngspice fails there).
IJTH not positive is 0.1 A and BV not positive 10 V (manual Appendix A).  These limiting rules
are not in the manual's text; they were measured black-box in ngspice 39 (every version).

Trap-assisted tunnelling (11.11, 13.46 ... 13.57)
-------------------------------------------------
Components k = bottom (area, JTSS), STI sidewall (Peff, JTSSWS), gate edge (Weffcj·NF, JTSSWGS):

    I_k = geometry_k·JT_k·exp(−Eg(TNOM)/(k·T/q)·XT_k·(1 − T/TNOM)),  gate edge ·(sqrt(JTWEFF/Weffcj) + 1)
    NVT0_k = NJT_k·(1 + TNJT_k·(T/TNOM − 1))·k·TNOM/q

JTWEFF acts from BSIM4 version 4.6 on (ngspice's 4.0-4.5 code has no JTWEFF); the drain's own
NJTSD, NJTSSWD, NJTSSWGD, TNJTSD ... exist from 4.6 on, before which the drain uses the source's.
ngspice clamps VTS − V at 1e-5 V from below (measured), which keeps the expression finite in
forward bias; the clamped region has zero slope in VTS − V.

gmin
----
ngspice adds exactly one ``gmin·V`` to each junction (its .options GMIN), in parallel with the
diode, whatever DIOMOD and also when Is = 0 (measured; the manual's 11.11 would add a second one).
It is not part of the model card, so :func:`junction_current` takes it as an argument.

Parameter vector (float64, :data:`N_DIODE` entries; ``DIODE.<name>`` is the index)
------------------------------------------------------------------------------------
=========  ======================================================================
isat       Is(T), A
nvt        NJ·k·T/q, V
xjbv       breakdown coefficient (0: no breakdown), dimensionless
bv         breakdown voltage, V
v_fwd      forward limiting voltage, V (+inf: none)
i_fwd      current at v_fwd, A
g_fwd      conductance above v_fwd, S
v_rev      reverse limiting voltage, V (−inf: none)
i_rev      current at v_rev, A
g_rev      conductance below v_rev, S
tat_i0..2  trap-assisted saturation currents (bottom, STI sidewall, gate edge), A
tat_nv0..2 NJT(T)·k·TNOM/q of each component, V
tat_vts0..2 VTS of each component, V
=========  ======================================================================
"""
from __future__ import annotations

import dataclasses
import math
from collections import namedtuple

import numpy as np
from numba import njit

from .constants import KBOQ

__all__ = ["DIODE", "N_DIODE", "DiodeCard", "diode_cards", "silicon_band_gap", "SILICON_BAND_GAP",
           "saturation_current",
           "diode_parameters", "junction_current", "junction_diodes", "JunctionDiodes", "effective_geometry",
           "DEFAULT_SATURATION_CURRENT", "TAT_MIN_DENOMINATOR"]

_NAMES = ("isat", "nvt", "xjbv", "bv", "v_fwd", "i_fwd", "g_fwd", "v_rev", "i_rev", "g_rev",
          "tat_i0", "tat_i1", "tat_i2", "tat_nv0", "tat_nv1", "tat_nv2", "tat_vts0", "tat_vts1", "tat_vts2")
#: index of each entry of a diode parameter vector (see the module docstring)
DIODE = namedtuple("DiodeIndex", _NAMES)(*range(len(_NAMES)))
N_DIODE = len(_NAMES)

#: saturation current ngspice 39 uses when a junction has neither area nor perimeter (A)
DEFAULT_SATURATION_CURRENT = 1.0e-14
#: lower bound of VTS − V in the trap-assisted tunnelling exponent (V), measured in ngspice 39
TAT_MIN_DENOMINATOR = 1.0e-5


#: (BG0SUB eV, TBGASUB eV/K, TBGBSUB K) of silicon: the band gap of MTRLMOD = 0 (manual 13.70)
SILICON_BAND_GAP = (1.16, 7.02e-4, 1108.0)


def silicon_band_gap(temperature: float, coefficients: tuple = SILICON_BAND_GAP) -> float:
    """Eg(T) in eV (manual 13.70/13.71; 13.73 with a card's BG0SUB, TBGASUB, TBGBSUB), T in K."""
    eg0, a, b = coefficients
    return eg0 - a * temperature * temperature / (temperature + b)


# ============================================================================ model values
@dataclasses.dataclass(frozen=True)
class DiodeCard:
    """The card's values for one junction (source or drain), defaults applied; SI units.

    js, jsw, jswg : bottom (A/m²), isolation-edge (A/m) and gate-edge (A/m) saturation current
        densities at TNOM; nj : emission coefficient; xti : temperature exponent;
    ijth_fwd, ijth_rev : limiting currents (A); bv : breakdown voltage (V); xjbv : breakdown
        coefficient, as given;
    jt, njt, xt, vt, tnjt : trap-assisted tunnelling (bottom, STI sidewall, gate edge), each a
        3-tuple: saturation densities (A/m², A/m, A/m), non-ideality factors, temperature powers,
        voltage parameters (V), temperature coefficients of the factors;
    band_gap : (BG0SUB, TBGASUB, TBGBSUB) of :func:`silicon_band_gap`.
    """
    js: float
    jsw: float
    jswg: float
    nj: float
    xti: float
    ijth_fwd: float
    ijth_rev: float
    bv: float
    xjbv: float
    jt: tuple
    njt: tuple
    xt: tuple
    vts: tuple
    tnjt: tuple
    band_gap: tuple = SILICON_BAND_GAP


def _version_at_least(version: str, major: int, minor: int) -> bool:
    parts = [int(p) for p in str(version).split(".")[:2]]
    return (parts[0], parts[1] if len(parts) > 1 else 0) >= (major, minor)


def diode_cards(card) -> tuple:
    """(source, drain) :class:`DiodeCard` from a :class:`~.card.ModelCard` (defaults from its catalog).

    Before BSIM4 version 4.6 the drain's trap-assisted non-ideality factors and their temperature
    coefficients are the source's (ngspice's 4.0-4.5 code has no NJTSD ...; measured).
    """
    g = card.get
    own_drain_factors = _version_at_least(card.version, 4, 6)
    band_gap = ((g("bg0sub"), g("tbgasub"), g("tbgbsub")) if int(g("mtrlmod")) == 1 else SILICON_BAND_GAP)

    def side(s: str) -> DiodeCard:
        d = s == "d"
        njt = ("njtsd", "njtsswd", "njtsswgd") if d and own_drain_factors else ("njts", "njtssw", "njtsswg")
        tnjt = (("tnjtsd", "tnjtsswd", "tnjtsswgd") if d and own_drain_factors
                else ("tnjts", "tnjtssw", "tnjtsswg"))
        return DiodeCard(
            js=g("jsd" if d else "jss"), jsw=g("jswd" if d else "jsws"), jswg=g("jswgd" if d else "jswgs"),
            nj=g("njd" if d else "njs"), xti=g("xtid" if d else "xtis"),
            ijth_fwd=g("ijthdfwd" if d else "ijthsfwd"), ijth_rev=g("ijthdrev" if d else "ijthsrev"),
            bv=g("bvd" if d else "bvs"), xjbv=g("xjbvd" if d else "xjbvs"),
            jt=tuple(g(n) for n in (("jtsd", "jtsswd", "jtsswgd") if d else ("jtss", "jtssws", "jtsswgs"))),
            njt=tuple(g(n) for n in njt),
            xt=tuple(g(n) for n in (("xtsd", "xtsswd", "xtsswgd") if d else ("xtss", "xtssws", "xtsswgs"))),
            vts=tuple(g(n) for n in (("vtsd", "vtsswd", "vtsswgd") if d else ("vtss", "vtssws", "vtsswgs"))),
            tnjt=tuple(g(n) for n in tnjt), band_gap=band_gap)
    return side("s"), side("d")


# ============================================================================ set-up
def saturation_current(dc: DiodeCard, *, area: float, perimeter: float, gate_edge: float,
                       temperature: float, tnom: float, without_junction: float = 0.0) -> float:
    """Is(T) in A: Aeff·Js(T) + Peff·Jsw(T) + gate_edge·Jswg(T), or ``without_junction`` (A) when
    Aeff <= 0 and Peff <= 0 (0 from version 4.6 on, :data:`DEFAULT_SATURATION_CURRENT` before).

    ``area`` m², ``perimeter`` m (gate edge excluded), ``gate_edge`` = Weffcj·NF m; temperatures in K.
    """
    if area <= 0.0 and perimeter <= 0.0:
        return without_junction
    t, tn = float(temperature), float(tnom)
    eg_tnom, eg_t = silicon_band_gap(tn, dc.band_gap), silicon_band_gap(t, dc.band_gap)
    exponent = (eg_tnom / (KBOQ * tn) - eg_t / (KBOQ * t) + dc.xti * math.log(t / tn)) / dc.nj
    scale = math.exp(exponent)
    return (area * dc.js + perimeter * dc.jsw + gate_edge * dc.jswg) * scale


def _full(v: float, isat: float, nvt: float, xjbv: float, bv: float) -> tuple:
    """Current and conductance of the unlimited diode expression (Python, for the set-up)."""
    e = math.exp(v / nvt)
    b = xjbv * math.exp(-(bv + v) / nvt)
    return isat * (e - 1.0) * (1.0 + b), isat / nvt * (e * (1.0 + b) - (e - 1.0) * b)


def diode_parameters(dc: DiodeCard, *, diomod, area: float, perimeter: float, gate_edge: float,
                     temperature: float, tnom: float, weffcj: float, jtweff: float = 0.0,
                     without_junction: float = 0.0) -> np.ndarray:
    """The float64 parameter vector of one junction (layout: :data:`DIODE`).

    ``area`` (m²), ``perimeter`` (m, gate edge excluded), ``gate_edge`` (Weffcj·NF, m): the
    junction's effective geometry (:func:`effective_geometry`); temperatures in K; ``weffcj`` (m,
    per finger) and ``jtweff`` (m; pass 0 for BSIM4 versions before 4.6) scale the gate-edge
    trap-assisted current; ``without_junction``: Is (A) when there is neither area nor perimeter
    (:func:`saturation_current`).  Raises ValueError for DIOMOD outside 0, 1, 2, a non-positive NJ,
    temperature or TNOM, and IJTHREV equal to Is under DIOMOD = 2.
    """
    mode = float(diomod)
    if mode not in (0.0, 1.0, 2.0):
        raise ValueError(f"DIOMOD = {diomod!r} must be 0, 1 or 2")
    t, tn = float(temperature), float(tnom)
    if not (t > 0.0 and tn > 0.0):
        raise ValueError(f"temperature {t!r} K and TNOM {tn!r} K must be positive")
    if not dc.nj > 0.0:
        raise ValueError(f"the junction emission coefficient NJ = {dc.nj!r} must be positive")
    p = np.zeros(N_DIODE)
    isat = saturation_current(dc, area=area, perimeter=perimeter, gate_edge=gate_edge,
                              temperature=t, tnom=tn, without_junction=without_junction)
    nvt = dc.nj * KBOQ * t
    bv = dc.bv if dc.bv > 0.0 else 10.0
    ijth_fwd = dc.ijth_fwd if dc.ijth_fwd > 0.0 else 0.1
    ijth_rev = dc.ijth_rev if dc.ijth_rev > 0.0 else 0.1
    if mode == 1.0:
        xjbv = 0.0
    elif mode == 0.0:
        xjbv = 1.0 if dc.xjbv < 0.0 else dc.xjbv
    else:
        xjbv = 1.0 if dc.xjbv <= 0.0 else dc.xjbv
    p[DIODE.isat], p[DIODE.nvt], p[DIODE.xjbv], p[DIODE.bv] = isat, nvt, xjbv, bv
    p[DIODE.v_fwd], p[DIODE.v_rev] = math.inf, -math.inf
    if mode != 0.0 and isat > 0.0:
        # forward: Is·(e − 1)·(1 + c/e) = IJTHFWD with c = XJBV·exp(−BV/NVT), a quadratic in e
        c = xjbv * math.exp(-bv / nvt)
        minus_b = 1.0 + ijth_fwd / isat - c
        e = 0.5 * (minus_b + math.sqrt(minus_b * minus_b + 4.0 * c))
        v_fwd = nvt * math.log(e)
        p[DIODE.v_fwd] = v_fwd
        p[DIODE.i_fwd], p[DIODE.g_fwd] = _full(v_fwd, isat, nvt, xjbv, bv)
    if mode == 2.0 and isat > 0.0:
        ratio = ijth_rev / isat
        if ratio == 1.0:
            raise ValueError(f"IJTHREV = {ijth_rev!r} A equals the junction saturation current: "
                             "the reverse limit of DIOMOD = 2 is undefined there")
        if ratio < 1.0:
            ratio = 10.0   # ngspice 39's replacement (measured)
        v_rev = -bv - nvt * math.log((ratio - 1.0) / xjbv)
        p[DIODE.v_rev] = v_rev
        p[DIODE.i_rev] = -isat * ratio
        p[DIODE.g_rev] = isat * (ratio - 1.0) / nvt
    # trap-assisted tunnelling
    eg_nom = silicon_band_gap(tn, dc.band_gap)
    vtm0 = KBOQ * tn
    geometry = (area, perimeter, gate_edge)
    for k in range(3):
        scale = math.exp(-eg_nom / (KBOQ * t) * dc.xt[k] * (1.0 - t / tn))
        i0 = geometry[k] * dc.jt[k] * scale
        if k == 2 and jtweff > 0.0:
            i0 *= math.sqrt(jtweff / weffcj) + 1.0
        p[DIODE.tat_i0 + k] = i0
        p[DIODE.tat_nv0 + k] = dc.njt[k] * (1.0 + dc.tnjt[k] * (t / tn - 1.0)) * vtm0
        p[DIODE.tat_vts0 + k] = dc.vts[k]
        if i0 != 0.0 and not p[DIODE.tat_nv0 + k] > 0.0:
            raise ValueError(f"trap-assisted tunnelling component {k}: NJT·(1 + TNJT·(T/TNOM − 1)) = "
                             f"{p[DIODE.tat_nv0 + k] / vtm0!r} must be positive")
    return p


# ============================================================================ bias evaluation
@njit(cache=True)
def junction_current(v, p, gmin):
    """(I, dI/dV) of one junction at V = V_bs (or V_bd): current in A from the body side into the
    diffusion side, conductance in S.  ``p``: :func:`diode_parameters`' vector; ``gmin`` (S): the
    circuit's minimum conductance, added once in parallel (as ngspice does)."""
    isat = p[DIODE.isat]
    nvt = p[DIODE.nvt]
    if v > p[DIODE.v_fwd]:
        i = p[DIODE.i_fwd] + p[DIODE.g_fwd] * (v - p[DIODE.v_fwd])
        g = p[DIODE.g_fwd]
    elif v < p[DIODE.v_rev]:
        i = p[DIODE.i_rev] + p[DIODE.g_rev] * (v - p[DIODE.v_rev])
        g = p[DIODE.g_rev]
    elif isat != 0.0:
        em1 = math.expm1(v / nvt)
        xjbv = p[DIODE.xjbv]
        if xjbv != 0.0:
            b = xjbv * math.exp(-(p[DIODE.bv] + v) / nvt)
            i = isat * em1 * (1.0 + b)
            g = isat / nvt * ((em1 + 1.0) * (1.0 + b) - em1 * b)
        else:
            i = isat * em1
            g = isat / nvt * (em1 + 1.0)
    else:
        i = 0.0
        g = 0.0
    for k in range(3):
        i0 = p[DIODE.tat_i0 + k]
        if i0 != 0.0:
            nv0 = p[DIODE.tat_nv0 + k]
            vts = p[DIODE.tat_vts0 + k]
            d = vts - v
            if d > TAT_MIN_DENOMINATOR:
                arg = -v * vts / (nv0 * d)
                darg = -vts * vts / (nv0 * d * d)
            else:
                arg = -v * vts / (nv0 * TAT_MIN_DENOMINATOR)
                darg = -vts / (nv0 * TAT_MIN_DENOMINATOR)
            ex = math.exp(arg)
            i -= i0 * (ex - 1.0)
            g -= i0 * ex * darg
    return i + gmin * v, g + gmin


# ============================================================================ one device
def effective_geometry(area: float, perimeter: float, version: str) -> tuple:
    """(area, perimeter, Is without junction) as ngspice 39's code for ``version`` uses them.

    A negative area counts as 0; a negative perimeter too from version 4.6 on (kept before); a
    junction without area and perimeter has Is = 0 from 4.6 on, 1e-14 A before (measured).
    """
    since_46 = _version_at_least(version, 4, 6)
    area = max(area, 0.0)
    if since_46:
        perimeter = max(perimeter, 0.0)
    return area, perimeter, (0.0 if since_46 else DEFAULT_SATURATION_CURRENT)



@dataclasses.dataclass(frozen=True)
class JunctionDiodes:
    """Both junctions of one device.

    source, drain : parameter vectors (:data:`DIODE` layout) for V_bs and V_bd;
    source_area, source_perimeter, drain_area, drain_perimeter : effective geometry (m², m; the
        perimeters exclude the gate edge ``gate_edge`` = Weffcj·NF, m).
    """
    source: np.ndarray
    drain: np.ndarray
    source_area: float
    source_perimeter: float
    drain_area: float
    drain_perimeter: float
    gate_edge: float


def junction_diodes(sizes, temperature: float) -> JunctionDiodes:
    """Both junctions of the instance of ``sizes`` (:func:`~.binning.size_dependent`) at ``temperature`` K.

    Geometry from the instance's AS, AD, PS, PD or the layout (NF, GEOMOD, MIN, DMCG, DMCI, DMDG,
    DMCGT, PERMOD; :mod:`.diffusions`), Weffcj from ``sizes``; TNOM from the card (°C).
    """
    from .diffusions import effective_area_perimeter, finger_diffusions

    card, inst = sizes.card, sizes.instance
    g = card.get
    nf = sizes.nf
    src_layout, drn_layout = finger_diffusions(nf, inst.get("geomod", card), inst.get("min", card))
    common = dict(permod=g("permod"), weffcj=sizes.weffcj, nf=nf, dmcg=g("dmcg"), dmci=g("dmci"),
                  dmdg=g("dmdg"), dmcgt=g("dmcgt"))
    a_s, p_s = effective_area_perimeter(src_layout, area_given=inst.get("as", card),
                                        perimeter_given=inst.get("ps", card), **common)
    a_d, p_d = effective_area_perimeter(drn_layout, area_given=inst.get("ad", card),
                                        perimeter_given=inst.get("pd", card), **common)
    a_s, p_s, none_s = effective_geometry(a_s, p_s, card.version)
    a_d, p_d, none_d = effective_geometry(a_d, p_d, card.version)
    gate_edge = sizes.weffcj * nf
    tnom = g("tnom") + 273.15
    jtweff = g("jtweff") if _version_at_least(card.version, 4, 6) else 0.0
    dc_s, dc_d = diode_cards(card)
    shared = dict(diomod=g("diomod"), gate_edge=gate_edge, temperature=temperature, tnom=tnom,
                  weffcj=sizes.weffcj, jtweff=jtweff)
    return JunctionDiodes(
        source=diode_parameters(dc_s, area=a_s, perimeter=p_s, without_junction=none_s, **shared),
        drain=diode_parameters(dc_d, area=a_d, perimeter=p_d, without_junction=none_d, **shared),
        source_area=a_s, source_perimeter=p_s, drain_area=a_d, drain_perimeter=p_d, gate_edge=gate_edge)
