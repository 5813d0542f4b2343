"""BSIM4 size-dependent parameters (xbarsolve.devices.bsim4.binning) against ngspice 39.

The committed measurements (validation/bsim4_card/binning_reference.json,
written by binning_reference.py; see its docstring for why each isolates
one quantity) are compared with binning.py without ngspice; a live test
re-measures a subset when ngspice is installed.

Tolerances: Vth shifts within 1e-8 relative (ngspice prints 17 digits; the
PTM card's poly depletion makes Vth depend on VTH0 through VFB at the
1e-9 level); current and capacitance ratios within 1e-12 relative (both
are products of one geometric factor and bias terms that cancel exactly).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xbarsolve.devices.bsim4 import binning, parameters as P
from xbarsolve.devices.bsim4.binning import SizeDependentParameters, size_dependent
from xbarsolve.devices.bsim4.card import CardError, read_instance, read_model_card

DATA = os.path.join(os.path.dirname(__file__), "..", "validation", "bsim4_card")
sys.path.insert(0, DATA)
with open(os.path.join(DATA, "binning_reference.json"), encoding="utf-8") as _fh:
    REF = json.load(_fh)
HP = os.path.join(os.path.dirname(__file__), "..", "validation", "cards", "ptm45_hp.pm")
needs_ngspice = pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice is not installed")


def _sd(card_text: str, instance_text: str, extra: str = "") -> SizeDependentParameters:
    card = read_model_card(card_text + (f"\n+ {extra}" if extra else ""))
    return size_dependent(card, read_instance(f"M1 d g 0 0 n1 {instance_text}"))


# =============================================================== against ngspice (committed numbers)
@pytest.mark.parametrize("case", sorted(REF["vth"]))
def test_binned_vth0_shift_matches_ngspice(case):
    """P = P0 + PL/Leff + PW/Weff + PP/(Leff Weff) with ngspice's Leff, Weff and BINUNIT."""
    ref = REF["vth"][case]
    base = _sd(ref["card"], ref["instance"])
    for name, step in ref["steps"].items():
        shifted = _sd(ref["card"], ref["instance"], f"{name}={step!r}")
        ours = shifted["vth0"] - base["vth0"]
        theirs = ref["vth"][name] - ref["vth"]["base"]
        assert ours == pytest.approx(theirs, rel=1e-8, abs=1e-14), (case, name)


@pytest.mark.parametrize("case", sorted(set(REF["weffcj"]) - {"base"}))
def test_weffcj_matches_ngspice_gidl_ratio(case):
    ref, base = REF["weffcj"][case], REF["weffcj"]["base"]
    ours = _sd(ref["card"], ref["instance"])
    theirs0 = _sd(base["card"], base["instance"])
    assert ours.weffcj * ours.nf / (theirs0.weffcj * theirs0.nf) == \
        pytest.approx(ref["igidl"] / base["igidl"], rel=1e-12)


@pytest.mark.parametrize("case", sorted(set(REF["cv"]) - {"base"}))
def test_leffcv_weffcv_match_ngspice_capacitance_ratio(case):
    ref, base = REF["cv"][case], REF["cv"]["base"]
    ours = _sd(ref["card"], ref["instance"])
    theirs0 = _sd(base["card"], base["instance"])
    assert ours.leffcv * ours.weffcv * ours.nf / (theirs0.leffcv * theirs0.weffcv * theirs0.nf) == \
        pytest.approx(ref["cgg"] / base["cgg"], rel=1e-12)


_RULE_PARAMETERS = ("dsub", "drout", "aigs", "bigs", "cigs", "aigd", "bigd", "cigd")


@pytest.mark.parametrize("case", sorted(REF["same"]))
def test_default_rules_give_the_devices_ngspice_runs(case):
    """Card X (a rule in play) and card Y (the explicit values it implies): same binned values here,
    same currents or Vth in ngspice."""
    ref = REF["same"][case]
    x, y = _sd(ref["card_x"], ref["instance"]), _sd(ref["card_y"], ref["instance"])
    for name in _RULE_PARAMETERS:
        assert x[name] == pytest.approx(y[name], rel=1e-15), name
    for out, value in ref["x"].items():
        assert value == pytest.approx(ref["y"][out], rel=1e-12), out


def test_binned_defaults_match_ngspice_model_values():
    """L/W/P coefficients with default rules (LAGISL <- LAGIDL, LDSUB not <- LDROUT, LAIGS <- LAIGSD)."""
    card = read_model_card(REF["showmod"]["card"])
    checked = 0
    for name, text in REF["showmod"]["values"].items():
        assert card.get(name) == pytest.approx(float(text), rel=5e-6, abs=0), name
        checked += 1
    assert checked > 400


# =============================================================== the formulas, by hand
def test_geometry_by_hand():
    card = read_model_card(".model n1 nmos level=54 lint=10n wint=20n ll=1e-15 lln=1 lw=1e-14 lwn=1 "
                           "wl=1e-15 wln=1 ww=1e-14 wwn=1 xl=-20n xw=30n dlc=12n dwc=22n dwj=5n "
                           "llc=2e-15 wwc=3e-14 binunit=1")
    sd = size_dependent(card, w=10e-6, l=1e-6, nf=2)
    l_new, w_new = 1e-6 - 20e-9, 5e-6 + 30e-9
    assert (sd.l_new, sd.w_new) == (l_new, w_new)
    assert sd.leff == pytest.approx(l_new - 2 * (10e-9 + 1e-15 / l_new + 1e-14 / w_new), rel=1e-15)
    assert sd.weff == pytest.approx(w_new - 2 * (20e-9 + 1e-15 / l_new + 1e-14 / w_new), rel=1e-15)
    assert sd.leffcv == pytest.approx(l_new - 2 * (12e-9 + 2e-15 / l_new + 1e-14 / w_new), rel=1e-15)
    assert sd.weffcv == pytest.approx(w_new - 2 * (22e-9 + 1e-15 / l_new + 3e-14 / w_new), rel=1e-15)
    assert sd.weffcj == pytest.approx(w_new - 2 * (5e-9 + 1e-15 / l_new + 3e-14 / w_new), rel=1e-15)
    assert sd.inv_l == pytest.approx(1e-6 / sd.leff) and sd.inv_lw == pytest.approx(1e-12 / (sd.leff * sd.weff))
    assert (sd.nf, sd.m, sd.binunit, sd.length_unit) == (2.0, 1.0, 1, 1e-6)


def test_binned_values_and_access():
    card = read_model_card(".model n1 nmos level=54 vth0=0.4 lvth0=0.01 wvth0=0.02 pvth0=0.003 "
                           "u0=0.03 lu0=-1e-3 dwg=-1e-9 ldwg=1e-10 binunit=2")
    sd = size_dependent(card, w=2e-6, l=0.5e-6)
    leff, weff = sd.leff, sd.weff
    assert sd["vth0"] == pytest.approx(0.4 + 0.01 / leff + 0.02 / weff + 0.003 / (leff * weff), rel=1e-15)
    assert sd.vth0 == sd["VTHO"] == sd["vth0"]
    assert sd.u0 == pytest.approx(0.03 - 1e-3 / leff, rel=1e-15)
    assert sd.dwg == pytest.approx(-1e-9 + 1e-10 / leff, rel=1e-15)   # for the channel's bias-dependent Weff
    assert sd["k3"] == 80.0 and sd["ua"] == 1e-9                       # defaults
    assert len(sd) == len(binning.BINNABLE) == sum(p.binnable for p in P.MODEL_PARAMETERS.values())
    assert set(sd) == set(binning.BINNABLE)
    bare = size_dependent(read_model_card(".model n1 nmos level=54 lvth0=0.1 lk1=0.1"), w=1e-6, l=1e-6)
    assert bare["vth0"] is None and bare["k1"] is None and bare["vfb"] == -1.0  # computed by the model
    with pytest.raises(KeyError, match="TOXE is not binnable"):
        sd["toxe"]
    with pytest.raises(AttributeError, match="no attribute or binnable parameter 'foo'"):
        sd.foo
    assert isinstance(hash(sd), int) and sd == size_dependent(card, w=2e-6, l=0.5e-6)
    with pytest.raises(AttributeError):
        sd.leff = 1.0


def test_ptm_card_at_the_papers_sizes():
    card = read_model_card(HP)
    for w in (90e-9, 1e-6, 4e-6):
        sd = size_dependent(card, w=w, l=45e-9)
        assert sd.leff == pytest.approx(45e-9 - 20e-9 - 2 * 3.75e-9, rel=1e-15)
        assert sd.weff == pytest.approx(w - 2 * 5e-9, rel=1e-15)
        assert sd.weffcj == pytest.approx(w, rel=1e-15)      # DWJ = 0 given
        assert sd.leffcv == pytest.approx(sd.leff, rel=1e-15)  # DLC -> LINT, LLC... -> 0
        assert sd["vth0"] == 0.46893 and sd["aigs"] == 0.02


# =============================================================== errors
@pytest.mark.parametrize("card,kw,message,parameter", [
    (".model n1 nmos level=54 lint=30n", {"w": 1e-6, "l": 50e-9}, "Leff = -1e-08 m is not positive", "l"),
    (".model n1 nmos level=54 wint=0.6u", {"w": 1e-6, "l": 1e-6}, "Weff = -2e-07 m is not positive", "w"),
    (".model n1 nmos level=54 dlc=0.6u", {"w": 1e-6, "l": 1e-6}, "LeffCV = .* is not positive", "l"),
    (".model n1 nmos level=54 xl=-2u", {"w": 1e-6, "l": 1e-6}, "L \\+ XL = -1e-06 m is not positive", "l"),
    (".model n1 nmos level=54 lmin=0.1u", {"w": 1e-6, "l": 50e-9}, "below LMIN", "l"),
    (".model n1 nmos level=54 wmax=0.5u", {"w": 1e-6, "l": 50e-9}, "above WMAX", "w"),
    (".model n1 nmos level=54 nigc=1 lnigc=-1", {"w": 1e-6, "l": 0.5e-6}, "binned NIGC = -1 .*must be positive",
     "nigc"),
    (".model n1 nmos level=54 lpdits=-1", {"w": 1e-6, "l": 0.5e-6}, "binned PDITS = -2 .*must not be negative",
     "pdits"),
])
def test_size_errors(card, kw, message, parameter):
    with pytest.raises(CardError, match=message) as info:
        size_dependent(read_model_card(card), **kw)
    assert info.value.parameter == parameter and isinstance(info.value, ValueError)


def test_argument_errors():
    card = read_model_card(".model n1 nmos level=54")
    with pytest.raises(TypeError, match="ModelCard"):
        size_dependent(".model n1 nmos level=54", w=1e-6, l=1e-6)
    with pytest.raises(TypeError, match="not both"):
        size_dependent(card, read_instance("M1 d g s b n1 W=1u L=1u"), w=1e-6)
    with pytest.raises(ValueError, match="W = 0 must be positive"):
        size_dependent(card, w=0.0, l=1e-6)
    pmos = read_model_card(".model p pmos level=54\n.model n nmos level=54", name="n")
    assert pmos.device_type == "nmos"


@given(w=st.floats(1e-7, 1e-4), l=st.floats(2e-8, 1e-5), nf=st.integers(1, 8),  # subnormals are refused
       lvth0=st.floats(-0.1, 0.1, allow_subnormal=False), wvth0=st.floats(-0.1, 0.1, allow_subnormal=False),
       pvth0=st.floats(-0.1, 0.1, allow_subnormal=False))
def test_binning_is_linear_in_the_coefficients(w, l, nf, lvth0, wvth0, pvth0):
    """Invariant: the binned value is P0 plus the three coefficient terms, each linear."""
    text = f".model n1 nmos level=54 vth0=0.45 lint=5n wint=5n xl=-2n lvth0={lvth0!r} wvth0={wvth0!r} " \
           f"pvth0={pvth0!r}"
    sd = size_dependent(read_model_card(text), w=w, l=l, nf=nf)
    expected = 0.45 + lvth0 * sd.inv_l + wvth0 * sd.inv_w + pvth0 * sd.inv_lw
    assert sd["vth0"] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert math.isclose(sd.inv_lw, sd.inv_l * sd.inv_w, rel_tol=1e-14)


# =============================================================== live ngspice
@needs_ngspice
@pytest.mark.parametrize("case", ["offsets", "offsets_binunit2", "ptm_hp_w1u", "bias_terms_wnflag"])
def test_live_ngspice_vth_shifts(case):
    import binning_reference as R
    ref = REF["vth"][case]
    binunit = 2 if "binunit=2" in ref["card"] else 1
    live = R.measure_vth(ref["card"], ref["instance"], binunit)
    assert live["vth"] == pytest.approx(ref["vth"], rel=1e-13)
