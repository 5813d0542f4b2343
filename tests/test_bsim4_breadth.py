"""BSIM4 DC switches and parameters beyond the published cards' own, against ngspice 39.

Each case of validation/bsim4/breadth_reference.py (the PTM 45 nm HP card with
one feature switched on: TEMPMOD 1-3, MOBMOD 3, VTL, IGCMOD 2, GIDLMOD 1 and the
GISL parameters, versions 4.6.x and 4.7, parameters the model computes, unit
conversions, strong poly depletion) is compared, at 27 °C and 85 °C, W = 90 nm
and 1 µm, with the committed ngspice currents into all four terminals; no
ngspice needed.  Cards ngspice refuses are refused when the device is built
(committed ngspice verdicts).  Two live tests re-run a case and some verdicts
when ngspice is installed.

Tolerances (``python validation/bsim4/breadth_reference.py --report`` prints the measured worst
cases):
* drain and source currents: 1e-9 relative (measured: 4e-12, 3e-10 with MOBMOD = 3);
* gate and body currents: 1e-7 relative or 2e-15 A.  The differences (measured up to
  1.2e-15 A) come with the card's RGATEMOD = 1 and RBODYMOD = 1: with both off, gate and
  body currents agree to 1e-13 relative.  They are a near-constant 3e-16 A per bias
  across gate currents of 2e-11 ... 1e-10 A, consistent with ngspice's rounding of the
  intrinsic gate node (Rgeltd = 0.5 ohm at W = 90 nm: 2 S times 2.2e-16 V);
* 1e-15 A absolute for drain and source.
Switches and versions xbarsolve does not reproduce are refused with
:class:`UnsupportedModelError` naming them (tested below).
"""
from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np
import pytest

from xbarsolve.devices.bsim4 import parameters as catalog
from xbarsolve.devices.bsim4.card import read_instance
from xbarsolve.devices.bsim4.model import IMPLEMENTED_SELECTORS, Bsim4NMOS, UnsupportedModelError

HERE = os.path.dirname(__file__)
DATA = os.path.join(HERE, "..", "validation", "bsim4")
sys.path.insert(0, DATA)
import breadth_reference as gen  # noqa: E402

REF = dict(np.load(os.path.join(DATA, "breadth_reference.npz")))
needs_ngspice = pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice is not installed")

RTOL = np.array([1e-9, 1e-7, 1e-9, 1e-7])    # drain, gate, source, body
ATOL = np.array([1e-15, 2e-15, 1e-15, 2e-15])  # A


def xbarsolve_currents(overrides: dict, temperature: float, width: float) -> np.ndarray:
    """Bsim4NMOS's currents (A) into drain, gate, source, body at the generator's biases."""
    fet = Bsim4NMOS.from_card(gen.card_text(overrides), w=width, l=gen.LENGTH,
                              temperature=temperature + 273.15, gmin=0.0)
    out = np.empty((gen.N_BIASES, 4))
    for k, (vd, vg, vs, vb) in enumerate(gen.biases()):
        p = fet.element_parameters(v_gate=vg, v_body=vb)
        i_d, i_s, i_g, i_b = fet.terminal_currents(vd, vs, p)
        out[k] = (i_d, i_g, i_s, i_b)
    return out


def assert_matches(ours: np.ndarray, theirs: np.ndarray, label: str) -> None:
    assert np.all(np.isfinite(ours)), f"{label}: non-finite currents"
    excess = np.abs(ours - theirs) / (RTOL * np.abs(theirs) + ATOL)
    k, j = np.unravel_index(np.argmax(excess), excess.shape)
    assert excess[k, j] <= 1.0, (
        f"{label}: {'dgsb'[j]} current at bias {gen.biases()[k]} V: {ours[k, j]:.10e} A, "
        f"ngspice {theirs[k, j]:.10e} A (relative error {ours[k, j] / theirs[k, j] - 1:.2e})")


def test_reference_is_current():
    """The committed numbers were measured for the cases as they are defined now."""
    np.testing.assert_array_equal(REF["biases"], gen.biases())
    for name, overrides in gen.CASES.items():
        assert f"{name}|overrides" in REF, f"case {name} has no committed numbers: rerun the generator"
        assert json.loads(str(REF[f"{name}|overrides"])) == json.loads(gen.overrides_text(overrides)), name


@pytest.mark.parametrize("name", sorted(gen.CASES))
def test_case_matches_ngspice(name):
    for temperature in gen.TEMPERATURES:
        for width in gen.WIDTHS:
            key = gen.key(name, temperature, width)
            assert_matches(xbarsolve_currents(gen.CASES[name], temperature, width), REF[key], key)


@pytest.mark.parametrize("name", ["vtl", "mobmod3", "gidlmod1", "tempmod3", "computed_from_gammas"])
def test_conductances_are_the_derivatives_of_the_currents(name):
    """The element's conductances (dual numbers through the new branches: VTL's 6th-power limit,
    MOBMOD 3, GIDLMOD 1 in both modes, TEMPMOD 3) match central differences of its currents."""
    fet = Bsim4NMOS.from_card(gen.card_text(gen.CASES[name]), w=1e-6, l=gen.LENGTH,
                              temperature=358.15)
    h = 1e-6
    for vd, vg, vs, vb in gen.biases():
        p = fet.element_parameters(v_gate=vg, v_body=vb)
        _, _, gaa, gab, gba, gbb = fet.evaluate(vd, vs, p)
        numeric = []
        for da, db in ((h, 0.0), (0.0, h)):
            up, down = fet.current(vd + da, vs + db, p), fet.current(vd - da, vs - db, p)
            numeric.append([(u - d) / (2.0 * h) for u, d in zip(up, down)])
        exact = np.array([[gaa, gba], [gab, gbb]])
        scale = np.abs(exact).max()
        np.testing.assert_allclose(exact, numeric, rtol=0, atol=1e-5 * scale, err_msg=f"{name} {vd, vg, vs, vb}")


# =============================================================== refusals
@pytest.mark.parametrize("name", sorted(gen.REFUSALS))
def test_refuses_what_ngspice_refuses(name):
    """A card ngspice stops on ("Fatal: ...", committed verdict) or cannot evaluate is refused when the
    device is built, with an error naming the parameter and the temperature; the cards next to
    the limits, which ngspice runs, are accepted."""
    overrides, temperature, parameter, fatal = gen.REFUSALS[name]
    verdict = json.loads(str(REF[f"refusal|{name}"]))
    assert verdict["overrides"] == gen.overrides_text(overrides), "stale verdict: rerun the generator"
    assert any("Fatal" in line for line in verdict["ngspice"]) == fatal, verdict["ngspice"]

    instance = read_instance(f"M1 d g s b nmos W=1e-6 L={gen.LENGTH!r} {overrides.get('_instance', '')}")

    def build():
        return Bsim4NMOS.from_card(gen.card_text(overrides), instance=instance,
                                   temperature=temperature + 273.15)
    if parameter is None:
        fet = build()
        currents = fet.terminal_currents(0.5, 0.0, fet.element_parameters(v_gate=1.0, v_body=0.0))
        assert np.all(np.isfinite(currents))
        return
    with pytest.raises(ValueError, match=parameter.upper()) as info:
        build()
    if not isinstance(info.value, UnsupportedModelError):  # parameter checks name the temperature
        assert f"{temperature:g} °C" in str(info.value)


def test_unimplemented_selector_values_are_refused_by_name():
    """Every selector value a 4.8 card may take but xbarsolve does not implement is refused with an
    UnsupportedModelError naming the selector and the value."""
    refused = 0
    for selector, implemented in IMPLEMENTED_SELECTORS.items():
        for value in catalog.model_parameter(selector).allowed_for("4.8.0"):
            if float(value) in implemented:
                continue
            with pytest.raises(UnsupportedModelError, match=rf"{selector.upper()} = {value:g}"):
                Bsim4NMOS.from_card(gen.card_text({"version": "4.8", selector: value}), w=1e-6,
                                    l=gen.LENGTH)
            refused += 1
    assert refused > 0  # MTRLMOD = 1 at least


@pytest.mark.parametrize("version", ["4.0", "4.2", "4.5.0", "4.6.0", "4.6.5", "4.7", "4.7.0", "4.8.0", "4.8.2"])
def test_every_version_ngspice_provides_builds(version):
    fet = Bsim4NMOS.from_card(gen.card_text({"version": version}), w=1e-6, l=gen.LENGTH)
    assert np.all(np.isfinite(fet.terminal_currents(0.5, 0.0, fet.element_parameters(v_gate=1.0))))


# =============================================================== live ngspice
@needs_ngspice
def test_live_ngspice_reproduces_a_case():
    """ngspice run now gives the committed numbers, and xbarsolve agrees with it."""
    name, temperature, width = "tempmod2", 85.0, 90e-9
    live = gen.measure(gen.CASES[name], temperature, width)
    np.testing.assert_allclose(live, REF[gen.key(name, temperature, width)], rtol=1e-12, atol=1e-24)
    assert_matches(xbarsolve_currents(gen.CASES[name], temperature, width), live, name)


@needs_ngspice
def test_live_ngspice_verdicts():
    """ngspice run now stops on the refused cards as committed."""
    for name in ("vsat_at_85C_tempmod1", "u0_up_lp", "lpe0_below_leff", "lpe0_above_leff"):
        overrides, temperature, _, fatal = gen.REFUSALS[name]
        assert any("Fatal" in line for line in gen.ngspice_verdict(overrides, temperature)) == fatal, name
