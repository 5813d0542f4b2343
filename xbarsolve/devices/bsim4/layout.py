"""Layout of the BSIM4 intrinsic-device constant vector ``q``.

The numba kernels of :mod:`.channel` and :mod:`.leakage` read one float64 vector of
size-, temperature- and version-dependent constants, computed once per device by
:mod:`.setup`.  ``Q.<name>`` is the position of constant ``<name>``; numba folds it to a
literal.  Units are SI (V, m, F/m², m²/(V·s), m/s, A, Ω) unless the comment says otherwise.
Switches are stored as 0.0/1.0 (or the selector's value).
"""
from __future__ import annotations

from collections import namedtuple

NAMES = (
    "version",        # the ngspice code reproduced: 4.5 (cards of version 4.0-4.5) or 4.8
    # thermal voltages, geometry, oxide
    "vtm",            # kT/q at the device temperature (V)
    "vtm_dits",       # thermal voltage of the DITS term: T, or TNOM when TEMPMOD = 2 (V)
    "vtm_tunnel",     # thermal voltage of the tunnelling equations: T, or TNOM when TEMPMOD = 2 (V)
    "leff", "weff0",  # effective length and bias-independent effective width per finger (m)
    "nf",             # number of fingers (the channel current is NF times one finger's)
    "toxe", "coxe", "coxp",
    # surface potential and depletion
    "phis", "sqrt_phis", "vbc", "xdep0", "lt0", "litl", "vbi_minus_phis",
    # poly-silicon gate depletion
    "poly_on",        # 1.0 when NGATE lies in (1e18, 1e25) cm^-3, else 0.0
    "poly_t1",        # q·εsi·NGATE/Coxe² (V)
    "poly_vfb_phis",  # VFB + Φs: gate voltage above which the poly gate depletes (V)
    # threshold voltage
    "vth0",           # VTH0 + DELVTO + (KT1 + KT1L/Leff)·(T/TNOM − 1) (V)
    "vth0_param",     # VTH0 (+ DELVTO) without temperature terms: Vaux of IGCMOD = 1 (V)
    "kt2_term",       # KT2·(T/TNOM − 1)
    "k1", "k1ox", "k2ox", "lpeb_factor", "lpe0_term",
    "k3", "k3b", "narrow_term",   # TOXE·Φs/(Weff' + W0) (m·V/m = V)
    "dvt0w", "dvt1w_lw", "dvt2w",  # DVT1W·Leff·Weff' (m²)
    "dvt0", "dvt1_leff", "dvt2",   # DVT1·Leff (m)
    "theta_dibl", "eta0", "etab",
    "dvtp0", "dvtp1", "dvtp_tanh", "dvtp4",  # DVTP5 + DVTP2/Leff^DVTP3 (V)
    # subthreshold swing and effective overdrive
    "nfactor", "cdsc", "cdscb", "cdscd", "cit", "mstar", "voff_eff", "coxe_over_cdep0",
    # width bias dependence
    "dwg", "dwb",
    # bulk charge
    "a0", "ags", "b0_term", "keta", "xj",
    # mobility
    "mobmod", "u0", "ua", "ub", "uc", "ud", "eu", "ucs", "mob_vth_term", "vgsteff_vth",
    "vsat",
    # inversion-charge centroid
    "xdc_offset", "xdc_scale", "ados", "bdos",
    # series resistance inside the current (RDSMOD = 0)
    "rdsmod", "rds_scaled", "rdswmin_scaled", "prwg", "prwb",
    # λ and the Vdseff smoothing
    "a1", "a2", "delta",
    # output resistance
    "pclm", "theta_rout", "pdiblcb", "pvag", "fprout", "pdits", "pditsd", "pditsl",
    "pscbe1", "pscbe2",
    # velocity overshoot and source-end velocity limit
    "lambda_vo", "vtl", "vtl_r",      # vtl_r = (1 − r)/(1 + r)·VTL with r = Leff/(XN·Leff + LC)
    # gate tunnelling (Chapter 4)
    "vfbzb", "vfbsd",
    "igcmod", "igc_a", "igc_b", "aigc", "bigc", "cigc", "nigc", "pigcd", "pigcd_given",
    "igs_a", "igd_a", "igsd_b", "aigs", "bigs", "cigs", "aigd", "bigd", "cigd",
    "igbmod", "igbacc_a", "igbacc_b", "aigbacc", "bigbacc", "cigbacc", "nigbacc",
    "igbinv_a", "igbinv_b", "aigbinv", "bigbinv", "cigbinv", "eigbinv", "nigbinv",
    # GIDL / GISL (Chapter 6); the GISL block repeats the GIDL block's order (intrinsic.py relies on it)
    "gidlmod", "gidl_w", "gidl_w_drain", "gidl_w_source",
    "agidl", "bgidl", "cgidl", "egidl", "rgidl", "kgidl", "fgidl",
    "agisl", "bgisl", "cgisl", "egisl", "rgisl", "kgisl", "fgisl",
    # impact ionisation (Chapter 6)
    "alpha_term", "beta0",
)

Q = namedtuple("BsimConstantIndex", NAMES)(*range(len(NAMES)))
N_CONSTANTS = len(NAMES)
