"""Bsim4NMOS, the BSIM4 transistor from a published card: against ngspice 39, and its derivatives.

* every case of validation/bsim4 (both published PTM 45 nm cards as written, 27/85 °C, W 90 nm to
  4 µm, and variants reaching the branches the cards do not use) against the committed ngspice
  numbers, to the tolerances stated in validation/bsim4/cases.py; one case also live;
* the element's derivatives (the condensed sub-circuit's Jacobian and the gate/body partials)
  against central differences of its own currents;
* the linear extrapolation of the internal nodes against a fully converged inner solve;
* the errors for what is not implemented.
"""
from __future__ import annotations

import dataclasses
import math
import os

import numpy as np
import pytest

from validation.bsim4.cases import CASES
from validation.bsim4.compare import compare_case, device, load_reference
from xbarsolve.devices.bsim4 import Bsim4NMOS, UnsupportedModelError
from xbarsolve.devices.bsim4 import element as bsim4_element
from xbarsolve.spice import ngspice_available

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HP = os.path.join(ROOT, "validation", "cards", "ptm45_hp.pm")
LP = os.path.join(ROOT, "validation", "cards", "ptm45_lp.pm")
REFERENCE = load_reference()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_agrees_with_ngspice(case):
    entry = REFERENCE["cases"].get(case.name)
    assert entry is not None, f"no committed ngspice numbers for {case.name}: run validation/bsim4/reference.py"
    assert entry["definition"] == case.definition(), f"{case.name} changed since its reference was written"
    result = compare_case(case, entry)
    for terminal, r in result.items():
        assert r["worst"] <= 1.0, f"{case.name}: {terminal} current off by {r['worst']:.3g} tolerances at {r['at']}"


@pytest.mark.skipif(not ngspice_available(), reason="ngspice not installed")
def test_agrees_with_live_ngspice():
    from validation.bsim4_junction.compare import run_case
    case = dataclasses.replace(CASES[1], biases=CASES[1].biases[:8])
    result = compare_case(case, run_case(case))
    assert all(r["worst"] <= 1.0 for r in result.values()), result


def _state(fet, va, vb, vg, vbody):
    return bsim4_element.element_state(va, vb, fet.element_parameters(v_gate=vg, v_body=vbody), True)


@pytest.mark.parametrize("card,overrides", [(HP, {}), (LP, {}), (HP, {"rdsmod": 1})])
def test_condensed_jacobian_matches_central_differences(card, overrides):
    kw = {"w": 1e-6, "l": 45e-9, "nrs": 1.0, "nrd": 1.0} if overrides else {"w": 1e-6, "l": 45e-9}
    text = open(card).read()
    if overrides:
        text = text.replace("rdsmod  = 0", "rdsmod  = 1", 1)
    fet = Bsim4NMOS.from_card(text, name="nmos", **kw)
    rng = np.random.default_rng(7)
    h = 1e-6
    for va, vb, vg, vbody in rng.uniform([-0.3, -0.3, 0.4, -0.3], [0.8, 0.5, 1.4, 0.0], size=(12, 4)):
        r = _state(fet, va, vb, vg, vbody)
        columns = []
        for dva, dvb, dvg, dvbody in ((h, 0, 0, 0), (0, h, 0, 0), (0, 0, h, 0), (0, 0, 0, h)):
            plus = _state(fet, va + dva, vb + dvb, vg + dvg, vbody + dvbody)
            minus = _state(fet, va - dva, vb - dvb, vg - dvg, vbody - dvbody)
            columns.append(((plus[1] - minus[1]) / (2 * h), (plus[2] - minus[2]) / (2 * h)))
        analytic = [(r[5], r[7]), (r[6], r[8]), (r[9], r[10]), (r[11], r[12])]
        for (da, db), (ea, eb) in zip(columns, analytic):
            scale = max(abs(r[5]), abs(r[6]), 1e-9)
            assert abs(da - ea) <= 1e-6 * scale + 1e-7 * abs(ea)
            assert abs(db - eb) <= 1e-6 * scale + 1e-7 * abs(eb)


def test_linear_extrapolation_equals_converged_internal_nodes(monkeypatch):
    """The element applies the last internal Newton update (< 0.1 µV) linearly; a solve to the
    last digit gives the same terminal currents to rounding."""
    fet = Bsim4NMOS.from_card(HP, w=4e-6, l=45e-9, nrs=2.0, nrd=2.0)
    points = [(0.6, 0.0, 1.2, 0.0), (0.05, 0.0, 0.9, -0.2), (-0.4, 0.1, 0.7, 0.0), (0.9, 0.4, 0.3, -0.3)]
    fast = [_state(fet, *pt) for pt in points]
    monkeypatch.setattr(bsim4_element, "LINEAR_TOLERANCE", 1e-15)
    exact = [bsim4_element.element_state.py_func(pt[0], pt[1], fet.element_parameters(v_gate=pt[2], v_body=pt[3]), True)
             for pt in points]
    for a, b in zip(fast, exact):
        floor = 1e-15 * max(abs(b[1]), abs(b[2]))  # gate and body currents are sums of terms of this size
        for k in range(1, 5):
            assert abs(a[k] - b[k]) <= 1e-12 * abs(b[k]) + floor


def test_unimplemented_selector_is_refused_by_name():
    text = open(HP).read().replace("rgatemod= 1", "rgatemod= 2", 1)
    with pytest.raises(UnsupportedModelError, match="RGATEMOD = 2"):
        Bsim4NMOS.from_card(text, name="nmos", w=1e-6, l=45e-9)


@pytest.mark.parametrize("version", ["4.0", "4.2", "4.5", "4.6.5", "4.7", "4.8.2"])
def test_every_version_a_card_may_declare_loads(version):
    text = open(HP).read().replace("version = 4.0 ", f"version = {version} ", 1)
    fet = Bsim4NMOS.from_card(text, name="nmos", w=1e-6, l=45e-9)
    assert fet.card.version.startswith(version)


def test_multiplier_scales_every_current():
    one = Bsim4NMOS.from_card(HP, w=1e-6, l=45e-9)
    three = Bsim4NMOS.from_card(HP, w=1e-6, l=45e-9, m=3)
    a = _state(one, 0.4, 0.0, 1.0, 0.0)
    b = _state(three, 0.4, 0.0, 1.0, 0.0)
    for k in range(1, 13):
        assert b[k] == pytest.approx(3.0 * a[k], rel=1e-14, abs=1e-30)


def test_device_card_round_trips_through_spice_export():
    fet = Bsim4NMOS.from_card(LP, w=2e-6, l=45e-9, nf=2)
    again = Bsim4NMOS.from_card(fet.bsim4_model_card("copy"), name="copy", w=2e-6, l=45e-9, nf=2)
    p1 = fet.element_parameters(v_gate=1.0)
    p2 = again.element_parameters(v_gate=1.0)
    assert np.array_equal(p1, p2)
    assert not np.isnan(p1).any()  # (±inf: the junction limiting voltages of a diode without a limit)
