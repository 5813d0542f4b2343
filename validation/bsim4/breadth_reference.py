"""ngspice 39 reference currents for the breadth of BSIM4 DC switches; written to ``breadth_reference.npz``.

Each case is the published PTM 45 nm HP NMOS card (validation/cards/ptm45_hp.pm)
with a few parameters changed to switch one feature on at sensible values
(:data:`CASES`): the temperature models (TEMPMOD 1-3), MOBMOD 3, the source-end
velocity limit (VTL, XN, LC), GIDL/GISL (GIDLMOD 0 and 1, the separate GISL
parameters), the BSIM4 versions ngspice runs through different codes (4.6.5,
4.7), and the parameters the model computes when a card omits them.  Every case
is run at 27 °C and 85 °C, with W = 90 nm and 1 µm (L = 45 nm), at the same
:data:`N_BIASES` terminal biases: random ones spread over the selector's
operating range and beyond, plus biases where GIDL and GISL are on
(Vds − Vgs > EGIDL with a reverse-biased junction), in forward and reverse mode.

The junction diodes are switched off (JSS = JSWS = JSWGS = 0, drain likewise,
GEOMOD = 0): they belong to the junction model, validated on its own.  Every
other part of the card stays as published (gate tunnelling IGCMOD = IGBMOD = 1,
poly depletion, RGATEMOD = RBODYMOD = 1, impact ionisation, GIDL).

ngspice runs with ``reltol=1e-13 abstol=1e-22 vntol=1e-16 gmin=1e-30`` so that
its operating point is converged far below the compared digits; currents are
those into the drain, gate, source and body terminals (A).

tests/test_bsim4_breadth.py compares xbarsolve's Bsim4NMOS with these numbers
(no ngspice needed) and re-runs one case live when ngspice is installed.

Usage::

    python validation/bsim4/breadth_reference.py            # rewrite breadth_reference.npz
    python validation/bsim4/breadth_reference.py CASE ...   # rewrite only these cases
    python validation/bsim4/breadth_reference.py --report   # xbarsolve's worst errors per case
"""
from __future__ import annotations

import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from xbarsolve.spice import run_ngspice  # noqa: E402

OUTPUT = os.path.join(HERE, "breadth_reference.npz")
CARD = os.path.join(HERE, "..", "cards", "ptm45_hp.pm")

#: junction diodes off (their model is validated separately)
BASE = {"jss": 0, "jsws": 0, "jswgs": 0, "jsd": 0, "jswd": 0, "jswgd": 0, "geomod": 0}
TEMPERATURES = (27.0, 85.0)   # °C
WIDTHS = (90e-9, 1e-6)        # m
LENGTH = 45e-9                # m
N_RANDOM = 32
SEED = 20240611
OPTIONS = "reltol=1e-13 abstol=1e-22 vntol=1e-16 gmin=1e-30"

# A TEMPMOD > 0 card needs AT in 1/K (VSAT·(1 − AT·(T − TNOM))): the PTM card's AT = 33000 m/s
# would make VSAT negative, a card ngspice refuses.
_T1 = {"at": 5e-4, "ua1": 1e-3, "uc1": 1e-3, "ub1": 1e-19, "prt": 1e-3, "ud": 1e17, "ud1": 1e-3,
       "uc": 1e-10, "kt1l": 1e-9}

#: name -> parameters set on the card (on top of :data:`BASE`)
CASES = {
    "v48": {"version": "4.8"},
    "tempmod1": {"version": "4.8", "tempmod": 1, **_T1},
    "tempmod2": {"version": "4.8", "tempmod": 2, "dvtp0": 1e-8, "dvtp1": 1, **_T1},
    "tempmod3": {"version": "4.8", "tempmod": 3, **_T1, "ua1": 0.5, "ub1": -0.7, "uc1": 1.2, "ud1": -1},
    "tempmod2_v40": {"tempmod": 2, **_T1},
    "mobmod3": {"version": "4.8", "mobmod": 3, "ud": 0.5, "ucs": 1.2, "ucste": -0.3},
    "mobmod3_tempmod3": {"version": "4.8", "mobmod": 3, "tempmod": 3, "at": 5e-4, "ud": 0.5,
                         "ucs": 1.2, "ucste": 0.5, "ud1": 0.2},
    # source-end velocity limit: 2·MM = 6 (XN below 3 runs as given despite ngspice's warning)
    "vtl": {"version": "4.8", "vtl": 1e5, "xn": 4, "lc": 1e-8},
    "vtl_v40": {"vtl": 1.5e5},
    "vtl_xn2": {"version": "4.8", "vtl": 1e5, "xn": 2},
    # IGCMOD = 2 (Vth in place of VTH0 in Igc's Vaux)
    "igcmod2": {"version": "4.8", "igcmod": 2},
    "igcmod2_v40": {"igcmod": 2, "tempmod": 2, "at": 5e-4},
    # GIDL/GISL: separate source-side parameters, GIDLMOD = 1 (RGIDL, KGIDL, FGIDL)
    "gisl": {"version": "4.8", "agisl": 1e-4, "bgisl": 1.8e9, "egisl": 0.6, "cgisl": 0.1},
    "gidlmod1": {"version": "4.8", "gidlmod": 1, "rgidl": 1.3, "kgidl": 0.2, "fgidl": 0.1,
                 "agisl": 1e-4, "bgisl": 1.8e9, "egisl": 0.6, "rgisl": 0.8, "kgisl": 0.4, "fgisl": 0.5},
    "gidlmod1_defaults": {"version": "4.8", "gidlmod": 1},
    # versions 4.6.x and 4.7.x (ngspice's BSIM4v6 and BSIM4v7 codes)
    "v460": {"version": "4.6.0", "lambda": 0.05, "ud": 1e17},
    "v465": {"version": "4.6.5", "mobmod": 3, "ud": 0.3, "tempmod": 3, "at": 5e-4, "ua1": 0.5,
             "vtl": 1.5e5, "dvtp0": 1e-8, "dvtp1": 1},
    "v47": {"version": "4.7", "dvtp0": 1e-8, "dvtp1": 1, "dvtp2": 1e-10, "dvtp3": 1, "dvtp4": 2,
            "dvtp5": 0.01, "tnfactor": 0.5, "teta0": 0.01, "tvoff": 1e-3, "lambda": 0.05},
    "v47_gidlmod1": {"version": "4.7", "gidlmod": 1, "rgidl": 1.3, "kgidl": 0.2, "fgidl": 0.1,
                     "agisl": 1e-4, "bgisl": 1.8e9, "egisl": 0.6, "rgisl": 0.8, "kgisl": 0.4,
                     "fgisl": 0.5},
    # VFBSDOFF at temperature (13.5): the edge tunnelling currents Igs, Igd
    "tvfbsdoff": {"version": "4.8", "vfbsdoff": 0.05, "tvfbsdoff": 1e-2},
    "tvfbsdoff_v40": {"vfbsdoff": 0.05, "tvfbsdoff": 1e-2},
    # parameters the model computes when the card omits them (Notes 1-5), unit conversions,
    # and poly-gate depletion at a doping where it matters
    "computed_vth0_vfb": {"version": "4.8", "vth0": None, "vfb": None},
    "computed_k1_k2": {"version": "4.8", "k1": None, "k2": None, "xt": 2e-8, "nsub": 1e18, "vbm": -2},
    "computed_from_gammas": {"vth0": None, "vfb": None, "k1": None, "k2": None, "ndep": None,
                             "gamma1": 0.5, "gamma2": 0.3, "xt": 1e-8},
    "computed_k2_only": {"version": "4.7", "k2": None},
    "units": {"version": "4.8", "ndep": 3.24e24, "ngate": 2e25, "nsd": 2e26, "u0": 540},
    "ngate": {"version": "4.8", "ngate": 3e19},
    "ngate_v40": {"ngate": 3e19},
}
#: ngspice warnings a case is expected to give (any other warning stops the generator)
EXPECTED_WARNINGS = {
    "vtl_xn2": r"back scattering coeff xn = 2 is too small. Reset to 3.0",
    "v460": r"Lambda = 0.05 may be too large",
    "v47": r"Lambda = 0.05 may be too large",
    "computed_k2_only": r"k2 should be specified with k1",
}


#: cards ngspice refuses ("Fatal: ...") or cannot evaluate, and cards next to the limits that both
#: accept: name -> (card changes, temperature (°C), the parameter xbarsolve names or None when it
#: accepts the card, whether ngspice stops with "Fatal")
REFUSALS = {
    "vsat_negative": ({"version": "4.8", "vsat": -1}, 27.0, "vsat", True),
    "vsat_at_85C_tempmod1": ({"version": "4.8", "tempmod": 1, "at": 2e-2}, 85.0, "vsat", True),
    "vsat_at_85C_tempmod0": ({"at": 1e6}, 85.0, "vsat", True),
    "vsat_at_m30C_tempmod1": ({"version": "4.8", "tempmod": 1, "at": 2e-2}, -30.0, None, False),
    "u0_binned_negative": ({"version": "4.8", "u0": 0.03, "lu0": -0.0007}, 27.0, "u0", True),
    "u0_up_lp": ({"version": "4.8", "u0": 0.05, "up": 1e20, "lp": 1e-8}, 27.0, "u0", True),
    "ndep_binned_negative": ({"version": "4.8", "ndep": 1e17, "lndep": -3.5e15}, 27.0, "ndep", True),
    "xj_binned_negative": ({"xj": 1e-8, "lxj": -1.75e-8}, 27.0, "xj", True),
    "nsub_zero": ({"version": "4.8", "nsub": 0}, 27.0, "nsub", True),
    "pclm_binned_negative": ({"version": "4.8", "pclm": 0.5, "lpclm": -0.0175}, 27.0, "pclm", True),
    "ngate_negative": ({"version": "4.8", "ngate": -1}, 27.0, "ngate", True),
    "ngate_too_high": ({"version": "4.8", "ngate": 2e31}, 27.0, "ngate", True),
    "phin": ({"version": "4.8", "phin": -1}, 27.0, "phin", True),
    "dvt1_negative": ({"version": "4.8", "dvt1": -0.5}, 27.0, "dvt1", True),
    "dvt1w_negative": ({"version": "4.8", "dvt1w": -1e6}, 27.0, "dvt1w", True),
    "dsub_negative": ({"dsub": -1}, 27.0, "dsub", True),
    "drout_negative": ({"version": "4.8", "drout": -0.5}, 27.0, "drout", True),
    "delta_negative": ({"version": "4.7", "delta": -0.01}, 27.0, "delta", True),
    "fprout_negative": ({"version": "4.8", "fprout": -1}, 27.0, "fprout", True),
    "clc_negative": ({"clc": -1e-7}, 27.0, "clc", True),
    "lpe0_below_leff": ({"version": "4.8", "lpe0": -1.8e-8}, 27.0, "lpe0", True),
    "lpe0_above_leff": ({"version": "4.8", "lpe0": -1.7e-8}, 27.0, None, False),
    "lpeb_below_leff": ({"version": "4.8", "lpeb": -1.8e-8}, 27.0, "lpeb", True),
    "w0_minus_weff": ({"version": "4.8", "w0": -9.9e-7}, 27.0, "w0", True),
    "b1_minus_weff": ({"version": "4.8", "b1": -9.9e-7}, 27.0, "b1", True),
    "vtss_negative": ({"vtss": -1}, 27.0, "vtss", True),
    "easub_negative": ({"version": "4.6.5", "easub": -1}, 27.0, "easub", True),
    "epsrgate_negative": ({"version": "4.8", "epsrgate": -1}, 27.0, "epsrgate", True),
    "ni0sub_zero": ({"version": "4.7", "ni0sub": 0}, 27.0, "ni0sub", True),
    "rbps0_zero_v48": ({"version": "4.8", "rbps0": 0}, 27.0, "rbps0", True),
    "rbps0_zero_v47": ({"version": "4.7", "rbps0": 0}, 27.0, None, False),
    # not refused by ngspice, but its results are no currents
    "dvt1_zero": ({"version": "4.8", "dvt1": 0}, 27.0, "dvt1", False),
    "dsub_zero": ({"version": "4.8", "dsub": 0}, 27.0, "dsub", False),
    "drout_zero": ({"version": "4.8", "drout": 0}, 27.0, "drout", False),
    "gidlmod1_fgidl_zero": ({"version": "4.7", "gidlmod": 1, "kgidl": 0.2}, 27.0, "fgidl", False),
    # layout-dependent effects xbarsolve does not model: refused when the instance switches them on
    # (instance parameters in "_instance"); ngspice runs them
    "stress": ({"version": "4.8", "kvth0": 1e-9, "_instance": "sa=0.5u sb=0.5u"}, 27.0, "SA", False),
    "stress_no_coefficients": ({"version": "4.8", "_instance": "sa=0.5u sb=0.5u"}, 27.0, None, False),
    "wpe": ({"version": "4.8", "wpemod": 1, "kvth0we": 0.01, "_instance": "sc=1u"}, 27.0, "WPEMOD", False),
    "wpe_sca": ({"version": "4.8", "wpemod": 1, "kvth0we": 0.01, "_instance": "sca=5"}, 27.0, "WPEMOD", False),
    "wpe_off": ({"version": "4.8", "wpemod": 0, "kvth0we": 0.01, "_instance": "sc=1u"}, 27.0, None, False),
}


def card_text(overrides: dict) -> str:
    """The HP card's NMOS model with ``BASE`` and ``overrides`` set (replaced in place or appended;
    a value None removes the parameter from the card)."""
    with open(CARD, encoding="utf-8") as fh:
        text = fh.read()
    card = re.search(r"(?ims)^\s*\.model\s+nmos\s.*?(?=^\s*\.model|\Z)", text).group(0)
    appended = []
    for key, value in {**BASE, **overrides}.items():
        if key == "_instance":  # instance parameters, not the card's
            continue
        pattern = re.compile(rf"(?i)(?<![A-Za-z0-9_]){re.escape(key)}\s*=\s*[^\s]+")
        if value is None or value == "None":
            card = pattern.sub("", card)
        elif pattern.search(card):
            card = pattern.sub(f"{key} = {value}", card)
        else:
            appended.append(f"{key}={value}")
    if appended:
        card = card.rstrip() + "\n+ " + " ".join(appended) + "\n"
    return card


def biases() -> np.ndarray:
    """(N_BIASES, 4) terminal voltages (V) in the order drain, gate, source, body."""
    rng = np.random.default_rng(SEED)
    n = N_RANDOM
    random = np.column_stack([rng.uniform(-0.5, 1.0, n), rng.uniform(-0.6, 1.4, n),
                              rng.uniform(-0.5, 0.5, n), rng.uniform(-0.4, 0.0, n)])
    # GIDL (drain) and GISL (source) on: the diffusion far above the gate, junction reverse-biased
    leakage = np.array([[1.2, -0.4, 0.0, 0.0], [1.0, -0.2, 0.0, -0.3], [1.3, 0.0, 0.1, -0.2],
                        [0.9, -0.6, 0.2, 0.0],
                        [0.0, -0.4, 1.2, 0.0], [0.0, -0.2, 1.0, -0.3], [0.1, 0.0, 1.3, -0.2],
                        [0.2, -0.6, 0.9, 0.0]])
    return np.vstack([random, leakage])


N_BIASES = N_RANDOM + 8


def measure(overrides: dict, temperature: float, width: float, expected_warning: str | None = None
            ) -> np.ndarray:
    """ngspice's currents (A) into drain, gate, source, body at :func:`biases`, shape (N_BIASES, 4)."""
    b = biases()
    lines = ["breadth reference", card_text(overrides)]
    lines += [f"V{n} {n}n 0 DC {float(b[0, k])!r}" for k, n in enumerate("dgsb")]
    lines += [f"M1 dn gn sn bn nmos W={width!r} L={LENGTH!r}",
              f".options {OPTIONS} temp={temperature!r}", ".control", "set filetype=binary",
              "op", "write out.raw", "set appendwrite"]
    for row in b[1:]:
        lines += [f"alter v{n} dc = {float(row[k])!r}" for k, n in enumerate("dgsb")]
        lines += ["op", "write out.raw"]
    lines += ["quit", ".endc", ".end"]
    out = run_ngspice("\n".join(lines) + "\n", expected_points=len(b), timeout=300)
    unexpected = [w for w in out["warnings"]
                  if expected_warning is None or not re.search(expected_warning, w)]
    if unexpected:
        raise RuntimeError(f"ngspice warned: {unexpected}")
    c = out["currents"]
    # SPICE's i(vX) flows into the source's + terminal, i.e. out of the device terminal
    return -np.column_stack([c["vd"], c["vg"], c["vs"], c["vb"]])


def ngspice_verdict(overrides: dict, temperature: float) -> list:
    """ngspice's "Fatal" lines for the card at one operating point (W = 1 µm), or ["(no result)"]
    when it finishes without one; [] when it runs the device."""
    deck = "\n".join(["verdict", card_text(overrides), "Vd d 0 0.5", "Vg g 0 1.0", "Vs s 0 0", "Vb b 0 0",
                      f"M1 d g s b nmos W=1e-6 L={LENGTH!r} {overrides.get('_instance', '')}",
                      f".options temp={temperature!r}",
                      ".op", ".end", ""])
    try:
        out = run_ngspice(deck, timeout=60)
    except Exception as exc:  # noqa: BLE001 - ngspice's failure is the measurement
        text = str(exc)
        fatal = [line.strip() for line in text.splitlines() if "Fatal" in line]
        return fatal or ["(no result)"]
    return [line for line in out["warnings"] if "Fatal" in line]


def key(case: str, temperature: float, width: float) -> str:
    return f"{case}|{temperature:g}|{width:g}"


def overrides_text(overrides: dict) -> str:
    """The case's card changes as stored with its numbers (a test compares them with :data:`CASES`)."""
    return json.dumps({k: str(v) for k, v in overrides.items()}, sort_keys=True)


def ngspice_version() -> str:
    import subprocess
    out = subprocess.run(["ngspice", "-v"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    match = re.search(r"ngspice-\S+", out.stdout + out.stderr)
    return match.group(0) if match else "ngspice (unknown version)"


def main(names=None) -> None:
    arrays = {}
    if os.path.exists(OUTPUT):
        with np.load(OUTPUT) as old:
            arrays = {k: old[k] for k in old.files}
    for name in (names or CASES):
        if name not in CASES:
            continue
        for temperature in TEMPERATURES:
            for width in WIDTHS:
                arrays[key(name, temperature, width)] = measure(
                    CASES[name], temperature, width, EXPECTED_WARNINGS.get(name))
                print(f"{key(name, temperature, width)}: done", flush=True)
        arrays[f"{name}|overrides"] = np.array(overrides_text(CASES[name]))
    for name, (overrides, temperature, _, _) in REFUSALS.items():
        if names and name not in names:
            continue
        arrays[f"refusal|{name}"] = np.array(json.dumps(
            {"overrides": overrides_text(overrides), "temperature": temperature,
             "ngspice": ngspice_verdict(overrides, temperature)}))
        print(f"refusal {name}: done", flush=True)
    keep = {key(n, t, w) for n in CASES for t in TEMPERATURES for w in WIDTHS}
    keep |= {f"{n}|overrides" for n in CASES} | {f"refusal|{n}" for n in REFUSALS}
    keep |= {"biases", "ngspice_version"}
    arrays = {k: v for k, v in arrays.items() if k in keep}
    arrays["biases"] = biases()
    arrays["ngspice_version"] = np.array(ngspice_version())
    np.savez_compressed(OUTPUT, **arrays)


def report() -> None:
    """Print, per case and terminal, xbarsolve's worst relative error against the committed numbers
    where the current is at least 1e-12 A, and its worst absolute error (A) at any bias."""
    from xbarsolve.devices.bsim4.model import Bsim4NMOS
    with np.load(OUTPUT) as ref:
        for name in CASES:
            if f"{name}|overrides" not in ref.files:
                print(f"{name:24s} (no committed numbers)")
                continue
            rel, err = np.zeros(4), np.zeros(4)
            for temperature in TEMPERATURES:
                for width in WIDTHS:
                    fet = Bsim4NMOS.from_card(card_text(CASES[name]), w=width, l=LENGTH,
                                              temperature=temperature + 273.15, gmin=0.0)
                    theirs = ref[key(name, temperature, width)]
                    for k, (vd, vg, vs, vb) in enumerate(biases()):
                        i_d, i_s, i_g, i_b = fet.terminal_currents(
                            vd, vs, fet.element_parameters(v_gate=vg, v_body=vb))
                        e = np.abs(np.array([i_d, i_g, i_s, i_b]) - theirs[k])
                        big = np.abs(theirs[k]) >= 1e-12
                        rel = np.maximum(rel, np.where(big, e / np.maximum(np.abs(theirs[k]), 1e-300), 0.0))
                        err = np.maximum(err, e)
            print(f"{name:20s} rel " + " ".join(f"{t}:{r:.1e}" for t, r in zip("dgsb", rel))
                  + "   abs " + " ".join(f"{t}:{e:.0e}" for t, e in zip("dgsb", err)))


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        report()
    else:
        main(sys.argv[1:] or None)
