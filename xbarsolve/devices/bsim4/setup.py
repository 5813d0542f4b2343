"""Card → intrinsic-device constants: geometry, temperature and version, computed once per device.

:func:`intrinsic_constants` turns the parameters of a BSIM4 card (given values; the
manual's defaults for the rest) and an instance's drawn geometry into the float64
vector ``q`` that the numba kernels read (layout: :mod:`.layout`).  Every bias-
independent quantity of the model is computed here, once: effective length and width,
surface potential, depletion widths, temperature-scaled parameters (Chapter 13),
tunnelling prefactors, and the flat-band voltages Vfbzb and Vfbsd.

Temperatures: the device runs at ``temperature`` (K); the card's parameters were
extracted at TNOM.  As BSIM4 does, Φs, Vbi and ni are evaluated at TNOM, and the
temperature enters through the thermal voltage of the current equations and the
parametric laws of Chapter 13 (KT1, KT1L, KT2, UTE, UA1, UB1, UC1, UD1, AT, PRT,
TVOFF, TNFACTOR, TETA0).  TEMPMOD 1, 2, 3 as ngspice runs them (black-box, where the
manual differs or is silent): UB scales as UB·(1 + UB1·(T − TNOM)) like UA, UC, UD;
UCS scales by (T/TNOM)^UCSTE under every TEMPMOD; TEMPMOD 3 uses TNOM's thermal
voltage for DITS and tunnelling like TEMPMOD 2; under both, the tunnelling Vfbzb is
its TNOM value minus KT1·(T/TNOM − 1).
"""
from __future__ import annotations

import math
import numpy as np

from .constants import (EPS0, EPSSI, GAMMA_COXE_PER_SQRT_DOPING, KBOQ, NDEP_PER_GAMMA_COXE_SQUARED,
                        Q_ELECTRON, Q_NGSPICE, VBX_PER_NDEP_XT_SQUARED)
from .channel import threshold_overdrive
from .checks import refuse
from .layout import N_CONSTANTS, Q


def theta(x: float) -> float:
    """0.5/(cosh x − 1), overflow-free (the short-channel roll-off function)."""
    u = math.exp(-x)
    return u / (1.0 - u) ** 2


class Parameters:
    """Read access to one instance's model parameters: the size-dependent (binned) value of a
    binnable parameter, the card's value or default of the others (card units)."""

    def __init__(self, card, size):
        self.card = card
        self.size = size
        self._binnable = set(size)

    def __getitem__(self, name: str) -> float:
        value = self.size[name] if name in self._binnable else self.card.get(name)
        if value is None:
            raise KeyError(f"{name.upper()} has no value (the model computes it)")
        return float(value)

    def get(self, name: str, default=None):
        value = self.size[name] if name in self._binnable else self.card.get(name)
        return default if value is None else float(value)

    def given(self, name: str) -> bool:
        return self.card.given(name)


def version_number(version: str) -> float:
    """4.5 for the cards ngspice runs through its BSIM4.5 code (versions 4.0-4.5), else major.minor."""
    major, minor = (int(x) for x in version.split(".")[:2])
    number = major + minor / 10.0
    return 4.5 if number < 4.6 else number


def body_effect_coefficients(p: Parameters, ndep: float, coxe: float, phis: float) -> tuple:
    """(K1 (√V), K2): as the card gives them, or -- when it gives neither -- from the body-effect
    coefficients γ1 = GAMMA1 or sqrt(2·q·εsi·NDEP)/Coxe, γ2 = GAMMA2 or sqrt(2·q·εsi·NSUB)/Coxe
    (Note-1), VBM and VBX = Φs − q·NDEP·XT²/(2·εsi) unless given (Note-3), by Note-5.  The
    constants sqrt(2·q·εsi) and q/(2·εsi) are ngspice's rounded ones (see :mod:`.constants`),
    and a positive computed VBX is negated, as ngspice does (black-box).  The catalog supplies
    K1 = 0.53 or K2 = −0.0186 when the card gives only the other one."""
    k1, k2 = p.get("k1"), p.get("k2")
    if k1 is not None and k2 is not None:
        return k1, k2
    gamma1 = p.get("gamma1")
    if gamma1 is None:
        gamma1 = GAMMA_COXE_PER_SQRT_DOPING * math.sqrt(ndep) / coxe
    gamma2 = p.get("gamma2")
    if gamma2 is None:
        gamma2 = GAMMA_COXE_PER_SQRT_DOPING * math.sqrt(p["nsub"]) / coxe
    vbx = p.get("vbx")
    if vbx is None:  # Note-3 with ngspice's rounded q/(2·εsi) and the sign it enforces
        vbx = -abs(phis - VBX_PER_NDEP_XT_SQUARED * ndep * p["xt"] ** 2)
    vbm = p["vbm"]
    sqrt_phis = math.sqrt(phis)
    k2 = ((gamma1 - gamma2) * (math.sqrt(phis - vbx) - sqrt_phis)
          / (2.0 * sqrt_phis * (math.sqrt(phis - vbm) - sqrt_phis) + vbm))
    k1 = gamma2 - 2.0 * k2 * math.sqrt(phis - vbm)
    return k1, k2


def intrinsic_constants(card, size, temperature: float) -> np.ndarray:
    """The constant vector ``q`` of one device.

    ``card`` is the :class:`~.card.ModelCard`, ``size`` its
    :class:`~.binning.SizeDependentParameters` at the instance's W, L, NF; ``temperature``
    (K) the device temperature.
    """
    p = Parameters(card, size)
    version = version_number(card.version)
    geometry_leff, geometry_weff, geometry_weffcj, nf = size.leff, size.weff, size.weffcj, size.nf
    q = np.zeros(N_CONSTANTS)
    leff, weff, weffcj = geometry_leff, geometry_weff, geometry_weffcj
    tnom = p["tnom"] + 273.15
    t = float(temperature)
    ratio_m1 = t / tnom - 1.0
    vtm = KBOQ * t
    vtm0 = KBOQ * tnom
    tempmod = p["tempmod"]

    # oxide (Figure 1.1: TOXE and TOXP, or one of them with DTOX)
    toxe, toxp = p["toxe"], p["toxp"]
    epsrox = p["epsrox"]
    coxe = epsrox * EPS0 / toxe
    coxp = epsrox * EPS0 / toxp

    # doping and surface potential at TNOM (13.70)/(13.72), (2.11)
    eg0 = 1.16 - 7.02e-4 * tnom * tnom / (tnom + 1108.0)
    ni = 1.45e10 * (tnom / 300.15) * math.sqrt(tnom / 300.15) * math.exp(21.5565981 - eg0 / (2.0 * vtm0))
    ndep, nsd = p.get("ndep"), p["nsd"]
    if ndep is None:  # GAMMA1 given instead (Note-2), 1/(2·q·εsi) rounded as ngspice has it
        ndep = NDEP_PER_GAMMA_COXE_SQUARED * (p["gamma1"] * coxe) ** 2
    phis = 0.4 + vtm0 * math.log(ndep / ni) + p["phin"]
    if not phis > 0.0:
        refuse(card, size, t, "phin", f"the surface potential Φs = {phis:g} V is not positive "
                                      "(check PHIN and NDEP)")
    sqrt_phis = math.sqrt(phis)
    vbi = vtm0 * math.log(ndep * nsd / (ni * ni))
    xdep0 = math.sqrt(2.0 * EPSSI / (Q_ELECTRON * ndep * 1e6)) * sqrt_phis
    lt0 = math.sqrt(EPSSI / (epsrox * EPS0) * toxe * xdep0)
    litl = math.sqrt(3.0 * 3.9 / epsrox * toxe * p["xj"])
    cdep0 = EPSSI / xdep0

    # body effect: K1, K2 as given or from GAMMA1, GAMMA2, VBM, VBX (Notes 1, 3, 5)
    k1, k2 = body_effect_coefficients(p, ndep, coxe, phis)
    k1ox = k1 * toxe / p["toxm"]
    k2ox = k2 * toxe / p["toxm"]
    if k2 < 0.0:
        vbc = min(max(0.9 * (phis - (0.5 * k1 / k2) ** 2), -30.0), -3.0)
    else:
        vbc = -30.0

    # threshold voltage at the device temperature (13.1); VTH0 and VFB, one from the other (Note-4)
    card_vth0 = p.get("vth0")
    if card_vth0 is None:
        vfb = p["vfb"]  # as given, or -1 V
        card_vth0 = vfb + phis + k1 * sqrt_phis
    else:
        vfb = p["vfb"] if p.given("vfb") else card_vth0 - phis - k1 * sqrt_phis
    vth0_param = card_vth0 + float(size.instance.get("delvto"))
    vth0 = vth0_param + (p["kt1"] + p["kt1l"] / leff) * ratio_m1
    lpeb_factor = math.sqrt(1.0 + p["lpeb"] / leff)
    lpe0_term = k1ox * (math.sqrt(1.0 + p["lpe0"] / leff) - 1.0) * sqrt_phis
    narrow_term = toxe * phis / (weff + p["w0"])
    theta_dibl = theta(p["dsub"] * leff / lt0)
    theta_rout = p["pdiblc1"] * theta(p["drout"] * leff / lt0) + p["pdiblc2"]
    dvtp_tanh = 0.0
    if version >= 4.7 and (p["dvtp5"] != 0.0 or p["dvtp2"] != 0.0):
        dvtp_tanh = p["dvtp5"] + p["dvtp2"] / leff ** p["dvtp3"]

    # mobility (13.8)-(13.23), f(Leff) (5.9)
    ute_factor = (t / tnom) ** p["ute"]
    u0 = p["u0"] * ute_factor * (1.0 - p["up"] * math.exp(-leff / p["lp"]))
    # Chapter 13.  TEMPMOD = 1, 2 and 3 scale UB as UB·(1 + UB1·(T − TNOM)) like UA, UC and UD, not
    # additively as the manual's (13.15) writes (black-box: UB1 = 1e-19 at 85 °C moves Ids by
    # 0.6 % under (13.15), 0 in ngspice; the product form agrees to 2e-9).  TEMPMOD = 3 scales
    # the mobility parameters by powers of T/TNOM (13.18)-(13.23); the rest as TEMPMOD = 2.
    t_ratio = t / tnom
    dt = t - tnom
    ucs = p["ucs"] * t_ratio ** p["ucste"]  # (13.19), applied by ngspice under every TEMPMOD (black-box)
    if tempmod == 0:
        ua = p["ua"] + p["ua1"] * ratio_m1
        ub = p["ub"] + p["ub1"] * ratio_m1
        uc = p["uc"] + p["uc1"] * ratio_m1
        ud = p["ud"] + p["ud1"] * ratio_m1
    elif tempmod == 3:
        ua = p["ua"] * t_ratio ** p["ua1"]
        ub = p["ub"] * t_ratio ** p["ub1"]
        uc = p["uc"] * t_ratio ** p["uc1"]
        ud = p["ud"] * t_ratio ** p["ud1"]
    else:
        ua = p["ua"] * (1.0 + p["ua1"] * dt)
        ub = p["ub"] * (1.0 + p["ub1"] * dt)
        uc = p["uc"] * (1.0 + p["uc1"] * dt)
        ud = p["ud"] * (1.0 + p["ud1"] * dt)
    if tempmod == 0:
        vsat = p["vsat"] - p["at"] * ratio_m1
        rdsw = p["rdsw"] + p["prt"] * ratio_m1
        rdswmin = p["rdswmin"] + p["prt"] * ratio_m1
    else:
        vsat = p["vsat"] * (1.0 - p["at"] * dt)
        rdsw = p["rdsw"] * (1.0 + p["prt"] * dt)
        rdswmin = p["rdswmin"] * (1.0 + p["prt"] * dt)
    if not u0 > 0.0:
        refuse(card, size, t, "u0", f"the mobility at the device temperature, U0·(T/TNOM)^UTE·"
                                    f"(1 − UP·exp(−Leff/LP)) = {u0:g} m²/(V·s), is not positive")
    if not vsat > 0.0:
        refuse(card, size, t, "vsat", f"the saturation velocity at the device temperature, {vsat:g} m/s, "
                                      f"is not positive (VSAT = {p['vsat']:g} m/s, AT = {p['at']:g}, "
                                      f"TEMPMOD = {tempmod:g})")
    rscale = (1e6 * weffcj) ** p["wr"]

    values = dict(
        vtm=vtm, vtm_dits=vtm0 if tempmod >= 2 else vtm, vtm_tunnel=vtm0 if tempmod >= 2 else vtm,
        leff=leff, weff0=weff, nf=nf, toxe=toxe, coxe=coxe, coxp=coxp,
        phis=phis, sqrt_phis=sqrt_phis, vbc=vbc, xdep0=xdep0, lt0=lt0, litl=litl,
        vbi_minus_phis=vbi - phis,
        poly_on=1.0 if 1e18 < p["ngate"] < 1e25 else 0.0,
        poly_t1=1e6 * Q_NGSPICE * EPSSI * p["ngate"] / (coxe * coxe),
        poly_vfb_phis=vfb + phis,
        vth0=vth0, vth0_param=vth0_param, kt2_term=p["kt2"] * ratio_m1,
        k1=k1, k1ox=k1ox, k2ox=k2ox, lpeb_factor=lpeb_factor, lpe0_term=lpe0_term,
        k3=p["k3"], k3b=p["k3b"], narrow_term=narrow_term,
        dvt0w=p["dvt0w"], dvt1w_lw=p["dvt1w"] * weff * leff, dvt2w=p["dvt2w"],
        dvt0=p["dvt0"], dvt1_leff=p["dvt1"] * leff, dvt2=p["dvt2"],
        theta_dibl=theta_dibl, eta0=p["eta0"] + p["teta0"] * ratio_m1, etab=p["etab"],
        dvtp0=p["dvtp0"], dvtp1=p["dvtp1"], dvtp_tanh=dvtp_tanh, dvtp4=p["dvtp4"],
        nfactor=p["nfactor"] + p["tnfactor"] * ratio_m1, cdsc=p["cdsc"], cdscb=p["cdscb"],
        cdscd=p["cdscd"], cit=p["cit"], mstar=0.5 + math.atan(p["minv"]) / math.pi,
        voff_eff=p["voff"] * (1.0 + p["tvoff"] * (t - tnom)) + p["voffl"] / leff,
        coxe_over_cdep0=coxe / cdep0,
        dwg=p["dwg"], dwb=p["dwb"],
        a0=p["a0"], ags=p["ags"], b0_term=p["b0"] / (weff + p["b1"]), keta=p["keta"], xj=p["xj"],
        mobmod=p["mobmod"], u0=u0, ua=ua, ub=ub, uc=uc, ud=ud, eu=p["eu"], ucs=ucs,
        mob_vth_term=2.0 * (card_vth0 - vfb - phis), vgsteff_vth=1.0,
        version=version, vsat=vsat,
        xdc_offset=max(4.0 * (card_vth0 - vfb - phis), 0.0), xdc_scale=1.0 / (2e8 * toxp),
        ados=p["ados"], bdos=p["bdos"],
        rdsmod=p["rdsmod"], rds_scaled=rdsw / rscale, rdswmin_scaled=rdswmin / rscale,
        prwg=p["prwg"], prwb=p["prwb"], a1=p["a1"], a2=p["a2"], delta=p["delta"],
        pclm=p["pclm"], theta_rout=theta_rout, pdiblcb=p["pdiblcb"], pvag=p["pvag"],
        fprout=p["fprout"], pdits=p["pdits"], pditsd=p["pditsd"], pditsl=p["pditsl"],
        pscbe1=p["pscbe1"], pscbe2=p["pscbe2"],
        lambda_vo=p["lambda"] if p.given("lambda") else 0.0,
        vtl=p["vtl"] if p.given("vtl") else 0.0,
    )
    if values["vtl"] > 0.0:
        # (5.57) with XN as given: ngspice warns that XN < 3 is "reset to 3.0", but its currents
        # are those of the given XN (black-box, XN = 2 against XN = 3 at 27 and 85 °C)
        r = leff / (p["xn"] * leff + p["lc"])
        values["vtl_r"] = (1.0 - r) / (1.0 + r) * p["vtl"]

    # zero-bias threshold for the tunnelling flat-band voltage (4.3)
    roll_off = p["dvt0"] * theta(p["dvt1"] * leff / lt0)
    if p["dvt0w"] != 0.0:
        roll_off += p["dvt0w"] * theta(p["dvt1w"] * weff * leff / lt0)
    # TEMPMOD = 2 evaluates the tunnelling equations at TNOM (manual 4.3), but ngspice's Vfbzb is
    # then the TNOM value shifted by −KT1·(T/TNOM − 1), KT1L not entering (black-box: Igb and Igc
    # at 60 and 85 °C give exactly this shift for KT1 = −0.3 ... 0.1 with and without KT1L)
    vth_zero_bias = ((vth0_param - p["kt1"] * ratio_m1 if tempmod >= 2 else vth0) - roll_off * (vbi - phis)
                     + p["k3"] * narrow_term + lpe0_term)
    values["vfbzb"] = vth_zero_bias - phis - k1 * sqrt_phis
    # (4.18) with the thermal voltage at TNOM, as ngspice evaluates it (black-box: at 85 °C the
    # edge currents Igs, Igd agree only so)
    # VFBSDOFF at the device temperature (13.5)
    vfbsdoff = p["vfbsdoff"] * (1.0 + p["tvfbsdoff"] * (t - tnom))
    values["vfbsd"] = (vtm0 * math.log(p["ngate"] / nsd) + vfbsdoff) if p["ngate"] > 0.0 else 0.0

    # gate tunnelling prefactors (4.5)-(4.15); A and B are NMOS constants
    tox_ratio = (p["toxref"] / toxe) ** p["ntox"] / (toxe * toxe)
    toxpox = toxe * p["poxedge"]
    tox_ratio_edge = (p["toxref"] / toxpox) ** p["ntox"] / (toxpox * toxpox)
    a_ecb, b_ecb = 4.97232e-7, 7.45669e11
    # EVB constants (4.8): BSIM4 scales the ECB ones by 0.75610 and 1.31724 (= 3.75956e-7 and
    # 9.82222e11 to five digits); the rounded factors are what the reference code, hence
    # ngspice, uses -- their 4e-6 difference changes Igbinv by ~4e-5 (black-box comparison).
    a_evb, b_evb = a_ecb * 0.75610, b_ecb * 1.31724
    # every finger tunnels: the prefactors carry NF (the channel current is scaled by NF in
    # :func:`.channel.channel`, GIDL and Iii through their own factors)
    values.update(
        igcmod=p["igcmod"], igc_a=a_ecb * weff * leff * tox_ratio * nf, igc_b=b_ecb * toxe,
        aigc=p["aigc"], bigc=p["bigc"], cigc=p["cigc"], nigc=p["nigc"],
        pigcd=p["pigcd"] if p.given("pigcd") else 0.0, pigcd_given=1.0 if p.given("pigcd") else 0.0,
        igs_a=a_ecb * weff * p["dlcig"] * tox_ratio_edge * nf,
        igd_a=a_ecb * weff * p["dlcigd"] * tox_ratio_edge * nf,
        igsd_b=b_ecb * toxe * p["poxedge"],
        aigs=p["aigs"], bigs=p["bigs"], cigs=p["cigs"], aigd=p["aigd"], bigd=p["bigd"], cigd=p["cigd"],
        igbmod=p["igbmod"], igbacc_a=a_ecb * weff * leff * tox_ratio * nf, igbacc_b=b_ecb * toxe,
        aigbacc=p["aigbacc"], bigbacc=p["bigbacc"], cigbacc=p["cigbacc"], nigbacc=p["nigbacc"],
        igbinv_a=a_evb * weff * leff * tox_ratio * nf, igbinv_b=b_evb * toxe,
        aigbinv=p["aigbinv"], bigbinv=p["bigbinv"], cigbinv=p["cigbinv"], eigbinv=p["eigbinv"],
        nigbinv=p["nigbinv"],
        gidlmod=p.get("gidlmod", 0.0), gidl_w=weffcj * nf,
        gidl_w_drain=weffcj * nf, gidl_w_source=weffcj * nf,
        agidl=p["agidl"], bgidl=p["bgidl"], cgidl=p["cgidl"], egidl=p["egidl"],
        agisl=p["agisl"], bgisl=p["bgisl"], cgisl=p["cgisl"], egisl=p["egisl"],
        rgidl=p["rgidl"], kgidl=p["kgidl"], fgidl=p["fgidl"],
        rgisl=p["rgisl"], kgisl=p["kgisl"], fgisl=p["fgisl"],
        alpha_term=(p["alpha0"] + p["alpha1"] * leff) / leff, beta0=p["beta0"],
    )
    for name, value in values.items():
        q[getattr(Q, name)] = value
    if p["mobmod"] == 3.0:
        q[Q.vgsteff_vth] = threshold_overdrive(q)
    return q
