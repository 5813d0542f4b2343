"""ngspice 39 reference numbers for BSIM4 binning and effective dimensions; written to ``binning_reference.json``.

Each measurement isolates one size-dependent quantity of
:mod:`xbarsolve.devices.bsim4.binning` in ngspice's own output (black box):

* ``vth``: ngspice's ``@m1[vth]`` for a card with VTH0 = 0.5 V and the same
  card plus one of LVTH0, WVTH0, PVTH0.  Vth is VTH0 plus terms that do not
  depend on VTH0, so the shift is exactly ``PL/Leff``, ``PW/Weff`` or
  ``PP/(Leff Weff)`` with the Leff, Weff that binning uses (BINUNIT,
  XL, XW, NF, LINT ... WWL all enter; DWG, DWB, WNFLAG must not).
* ``weffcj``: the GIDL current is AGIDL Weffcj NF times factors that depend
  on bias and oxide only, so the ratio of two cards' GIDL currents is the
  ratio of their Weffcj NF (DWJ, WLC, WWC, WWLC and their defaults).
* ``cv``: with every overlap and fringing capacitance zero (CAPMOD = 0), the
  gate capacitance in strong inversion at Vds = 0 is Coxe Weffcv Leffcv NF:
  ratios of ``@m1[cgg]`` are ratios of Leffcv Weffcv NF.
* ``same``: pairs of cards that binning says are the same device (a default
  rule against the explicit values it implies: DSUB from DROUT but not
  LDSUB from LDROUT; AIGS/AIGD against AIGSD and their L/W/P terms) and the
  ngspice outputs that must then be equal.

tests/test_bsim4_binning.py compares binning.py with these numbers (no
ngspice needed) and re-measures a few when ngspice is installed.

Usage::

    python validation/bsim4_card/binning_reference.py           # rewrite binning_reference.json
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from xbarsolve.devices.bsim4.parameters import MODEL_PARAMETERS, binned_names  # noqa: E402

OUTPUT = os.path.join(HERE, "binning_reference.json")
CARDS = os.path.join(HERE, "..", "cards")

# ------------------------------------------------------------------ cases
#: (name, version, card text after LEVEL/VERSION, instance text)
VTH_CASES = [
    ("plain", "4.8", "", "W=10u L=1u"),
    ("plain_v45", "4.5", "", "W=10u L=1u"),
    ("long", "4.8", "", "W=10u L=2u"),
    ("binunit2", "4.8", "binunit=2", "W=10u L=1u"),
    ("binunit0", "4.5", "binunit=0", "W=3u L=0.5u"),
    ("xl_xw_nf", "4.8", "xl=-20n xw=30n", "W=10u L=1u nf=2"),
    ("offsets", "4.8", "lint=10n wint=20n ll=1e-15 lln=1 wl=1e-15 wln=1 lw=1e-14 lwn=1 ww=1e-14 wwn=1 "
                       "lwl=1e-21 wwl=1e-21 xl=-20n xw=30n", "W=10u L=1u nf=2"),
    ("offsets_powers", "4.7", "lint=5n wint=8n ll=1e-13 lln=0.5 wl=2e-13 wln=0.5 lw=1e-17 lwn=1.5 "
                              "ww=3e-17 wwn=1.5 lwl=1e-24 wwl=2e-24 xl=10n xw=-15n", "W=2u L=0.2u nf=2"),
    ("offsets_binunit2", "4.5", "binunit=2 lint=10n wint=20n ll=1e-15 lw=1e-14 wl=1e-15 ww=1e-14 "
                                "xl=-20n xw=30n", "W=10u L=1u nf=4"),
    ("bias_terms_wnflag", "4.8", "dwg=1e-8 dwb=1e-8", "W=4u L=0.1u nf=4 wnflag=1"),
    ("cv_offsets_not_in_binning", "4.8", "dlc=5n dwc=7n llc=1e-15 wlc=1e-15 dwj=3n", "W=10u L=1u"),
]
#: the PTM 45 nm HP card itself (version 4.0, BSIM4v5): its LINT, WINT, XL at the paper's sizes
PTM_VTH_CASES = [("ptm_hp_w1u", "W=1u L=45n"), ("ptm_hp_w90n", "W=90n L=45n"), ("ptm_hp_w4u_nf2", "W=4u L=45n nf=2")]

GIDL = "agidl=1e-3 bgidl=1e9 cgidl=0.5 egidl=0.8"
WEFFCJ_CASES = [
    ("base", "", "W=10u L=1u"),
    ("dwj", "dwj=10n", "W=10u L=1u"),
    ("dwj_xl_xw_nf", "dwj=10n xl=-20n xw=30n", "W=10u L=1u nf=2"),
    ("dwj_wlc_wwc_wwlc", "dwj=10n wlc=1e-15 wwc=1e-14 wwlc=1e-21 xl=-20n xw=30n", "W=10u L=1u nf=2"),
    ("dwj_powers", "dwj=10n wlc=1e-13 wln=0.5 wwc=1e-14 wwn=1.2 xl=-20n xw=30n", "W=10u L=1u nf=2"),
    ("dwc_default", "dwc=10n xl=-20n xw=30n", "W=10u L=1u nf=2"),
    ("wint_default", "wint=10n", "W=10u L=1u"),
    ("wl_ww_defaults", "wint=10n wl=1e-15 ww=1e-14", "W=10u L=1u"),
]
CAP = "capmod=0 cgso=0 cgdo=0 cgbo=0 cgsl=0 cgdl=0 cf=0"
CV_CASES = [
    ("base", "", "W=10u L=1u"),
    ("dlc_dwc", "dlc=10n dwc=20n", "W=10u L=1u"),
    ("dlc_dwc_xl_xw_nf", "dlc=10n dwc=20n xl=-20n xw=30n", "W=10u L=1u nf=2"),
    ("all_cv_terms", "dlc=10n dwc=20n llc=1e-15 lwc=1e-14 lwlc=1e-21 wlc=1e-15 wwc=1e-14 wwlc=1e-21 "
                     "xl=-20n xw=30n", "W=10u L=1u nf=2"),
    ("iv_defaults", "lint=10n wint=20n ll=1e-15 ww=1e-14", "W=10u L=1u"),
]
IGC = "igcmod=1 toxe=1.2n toxref=1.2n dlcig=5n dlcigd=5n"
#: (name, version, card X, card Y, ngspice outputs that must agree, bias (vd, vg))
SAME_CASES = [
    ("dsub_from_drout", "4.8", "vth0=0.5 drout=0.66", "vth0=0.5 drout=0.66 dsub=0.66", ["vth"], (0.05, 1.0)),
    ("ldsub_not_from_ldrout", "4.8", "vth0=0.5 ldrout=0.1", "vth0=0.5 ldrout=0.1 ldsub=0", ["vth"], (0.05, 1.0)),
    ("aigsd_overrides_aigs", "4.8", f"{IGC} aigsd=1e-2 aigs=2e-2", f"{IGC} aigs=1e-2 aigd=1e-2", ["igs", "igd"],
     (0.2, 1.0)),
    ("laigsd_when_no_aigs_aigd", "4.8", f"{IGC} laigsd=2e-3 laigs=1e-3",
     f"{IGC} aigs=0.0136 aigd=0.0136 laigs=2e-3 laigd=2e-3", ["igs", "igd"], (0.2, 1.0)),
    ("own_terms_when_aigs_given", "4.8", f"{IGC} laigsd=2e-3 aigs=1e-2",
     f"{IGC} aigs=1e-2 aigd=0.0136", ["igs", "igd"], (0.2, 1.0)),
    ("own_terms_when_aigd_given", "4.7", f"{IGC} laigsd=2e-3 aigd=1e-2",
     f"{IGC} aigs=0.0136 aigd=1e-2", ["igs", "igd"], (0.2, 1.0)),
    ("binned_joint_b_c", "4.8", f"{IGC} wbigsd=1e-4 pcigsd=1e-3",
     f"{IGC} bigs=0.00171 bigd=0.00171 cigs=0.075 cigd=0.075 wbigs=1e-4 wbigd=1e-4 pcigs=1e-3 pcigd=1e-3",
     ["igs", "igd"], (0.2, 1.0)),
]
SAME_INSTANCE = "W=10u L=0.1u"
#: model values ngspice stores for binned names with default rules (showmod)
SHOWMOD_CARD = ("4.8", "lagidl=1e-5 wbgidl=1e8 pcgidl=0.1 legidl=0.01 lrgidl=0.1 lkgidl=0.1 lfgidl=0.1 "
                       "ldrout=0.01 lckappas=0.01 laigsd=1e-4 wbigsd=2e-4 pcigsd=3e-4")


# ------------------------------------------------------------------ ngspice
def _run(deck: str) -> str:
    exe = shutil.which("ngspice")
    if exe is None:
        raise RuntimeError("ngspice is not on the PATH")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "deck.cir")
        with open(path, "w") as fh:
            fh.write(deck)
        return subprocess.run([exe, "-b", path], capture_output=True, text=True, cwd=tmp, timeout=120).stdout


def card_line(version: str, extra: str) -> str:
    return f".model n1 nmos level=54 version={version} {extra}".rstrip()


def outputs(card: str, instance: str, names, *, vd: float, vg: float) -> dict:
    """ngspice's ``@m1[name]`` at the operating point (drain vd, gate vg, source and body 0 V)."""
    deck = "\n".join(["ref", card, f"M1 d g 0 0 n1 {instance}", f"Vd d 0 {vd!r}", f"Vg g 0 {vg!r}",
                      ".options gmin=1e-20", ".control", "set numdgt=17", "op",
                      "print " + " ".join(f"@m1[{n}]" for n in names), ".endc", ".end", ""])
    out = _run(deck)
    values = {m.group(1): float(m.group(2)) for m in re.finditer(r"@m1\[(\w+)\] = (\S+)", out)}
    if set(values) != set(names):
        raise RuntimeError(f"ngspice gave no {sorted(set(names) - set(values))} for\n{deck}\n{out[-2000:]}")
    return values


def ptm_hp_card() -> str:
    with open(os.path.join(CARDS, "ptm45_hp.pm")) as fh:
        text = fh.read()
    m = re.search(r"(?ims)^\s*\.model\s+nmos\s.*?(?=^\s*\.model|\Z)", text)
    return re.sub(r"(?i)\.model\s+nmos\s+nmos", ".model n1 nmos", m.group(0)).rstrip()


def binned_steps(binunit: int) -> dict:
    """L/W/P VTH0 that shift Vth by about a millivolt (coefficients in V um, V um^2 when BINUNIT = 1)."""
    unit = 1.0 if binunit == 1 else 1e-6
    return {"lvth0": 1e-3 * unit, "wvth0": 1e-3 * unit, "pvth0": 1e-3 * unit * unit}


def measure_vth(card: str, instance: str, binunit: int) -> dict:
    runs = {"base": card}
    for name, step in binned_steps(binunit).items():
        runs[name] = f"{card}\n+ {name}={step!r}"
    return {"steps": binned_steps(binunit),
            "vth": {k: outputs(c, instance, ["vth"], vd=0.05, vg=1.0)["vth"] for k, c in runs.items()}}


def measure() -> dict:
    doc = {"vth": {}, "weffcj": {}, "cv": {}, "same": {}, "showmod": {}}
    for name, version, extra, instance in VTH_CASES:
        card = card_line(version, f"vth0=0.5 {extra}")
        binunit = 2 if "binunit=2" in extra else 0 if "binunit=0" in extra else 1
        doc["vth"][name] = {"card": card, "instance": instance, **measure_vth(card, instance, binunit)}
    for name, instance in PTM_VTH_CASES:
        card = ptm_hp_card()
        doc["vth"][name] = {"card": card, "instance": instance, **measure_vth(card, instance, 1)}
    for name, extra, instance in WEFFCJ_CASES:
        card = card_line("4.8", f"{GIDL} {extra}")
        doc["weffcj"][name] = {"card": card, "instance": instance,
                               "igidl": outputs(card, instance, ["igidl"], vd=1.0, vg=-0.5)["igidl"]}
    for name, extra, instance in CV_CASES:
        card = card_line("4.8", f"{CAP} {extra}")
        doc["cv"][name] = {"card": card, "instance": instance,
                           "cgg": outputs(card, instance, ["cgg"], vd=0.0, vg=1.5)["cgg"]}
    for name, version, x, y, names, (vd, vg) in SAME_CASES:
        cx, cy = card_line(version, x), card_line(version, y)
        doc["same"][name] = {"card_x": cx, "card_y": cy, "instance": SAME_INSTANCE,
                             "x": outputs(cx, SAME_INSTANCE, names, vd=vd, vg=vg),
                             "y": outputs(cy, SAME_INSTANCE, names, vd=vd, vg=vg)}
    version, extra = SHOWMOD_CARD
    card = card_line(version, extra)
    deck = "\n".join(["ref", card, "M1 d g 0 0 n1 W=1u L=1u", "Vd d 0 1", "Vg g 0 1", ".control", "op",
                      "showmod m1 : all", ".endc", ".end", ""])
    printed = dict(re.findall(r"^\s*(\S+)\s+(\S+)\s*$", _run(deck).split("models (", 1)[1], re.M))
    binned = {b for p in MODEL_PARAMETERS.values() for b in binned_names(p)}
    doc["showmod"] = {"card": card, "values": {k: v for k, v in printed.items() if k in binned}}
    return doc


def main() -> int:
    doc = measure()
    with open(OUTPUT, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    print(f"{sum(len(v) for v in doc.values())} measurements -> {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
