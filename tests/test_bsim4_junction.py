"""BSIM4 junction diodes and parasitic resistances (xbarsolve/devices/bsim4/{diffusions,junction,parasitics}.py).

* Layout arithmetic (diffusion counts, areas, perimeters, diffusion resistances) on hand-worked
  cases, and the refusals (GEOMOD 9/10 with odd NF, RGEOMOD 2 ... 8, bad NF/GEOMOD/MIN).
* Diode current: exact derivatives (against Richardson-extrapolated central differences,
  1e-9 relative, hypothesis over DIOMOD 0/1/2, breakdown, limiting, trap-assisted tunnelling,
  temperatures), continuity at the limiting voltages, the documented special cases.
* RDSMOD = 1 resistance: exact derivatives, its documented values; gate and body resistances.
* Against ngspice 39: tests/test_bsim4_junction_ngspice.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from xbarsolve.devices.bsim4.card import InstanceParameters, read_model_card
from xbarsolve.devices.bsim4.binning import size_dependent
from xbarsolve.devices.bsim4.constants import KBOQ
from xbarsolve.devices.bsim4.diffusions import (Diffusions, diffusion_resistance, effective_area_perimeter,
                                                effective_rgeomod, finger_diffusions, junction_area_perimeter)
from xbarsolve.devices.bsim4.junction import (DIODE, N_DIODE, DiodeCard, diode_parameters, effective_geometry,
                                              junction_current, junction_diodes, saturation_current,
                                              silicon_band_gap)
from xbarsolve.devices.bsim4.parasitics import (N_SERIES, SERIES, body_conductance, gate_electrode_resistance,
                                                ldd_temperature, parasitic_network, series_parameters,
                                                series_resistance)

T300 = 300.15


def derivative(f, x: float, h: float) -> float:
    """Richardson-extrapolated central difference (error O(h^4))."""
    d1 = (f(x + h) - f(x - h)) / (2 * h)
    d2 = (f(x + h / 2) - f(x - h / 2)) / h
    return (4 * d2 - d1) / 3


def card(**overrides):
    return DiodeCard(js=overrides.get("js", 1e-4), jsw=overrides.get("jsw", 1e-11), jswg=overrides.get("jswg", 1e-10),
                     nj=overrides.get("nj", 1.0), xti=overrides.get("xti", 3.0),
                     ijth_fwd=overrides.get("ijth_fwd", 0.1), ijth_rev=overrides.get("ijth_rev", 0.1),
                     bv=overrides.get("bv", 10.0), xjbv=overrides.get("xjbv", 1.0),
                     jt=overrides.get("jt", (0.0, 0.0, 0.0)), njt=overrides.get("njt", (20.0, 20.0, 20.0)),
                     xt=overrides.get("xt", (0.02, 0.02, 0.02)), vts=overrides.get("vts", (10.0, 10.0, 10.0)),
                     tnjt=overrides.get("tnjt", (0.0, 0.0, 0.0)),
                     band_gap=overrides.get("band_gap", (1.16, 7.02e-4, 1108.0)))


def params(dc=None, *, diomod=1, area=1e-12, perimeter=2e-6, gate_edge=1e-6, temperature=T300, tnom=T300,
           weffcj=1e-6, jtweff=0.0, without_junction=0.0):
    return diode_parameters(dc if dc is not None else card(), diomod=diomod, area=area, perimeter=perimeter,
                            gate_edge=gate_edge, temperature=temperature, tnom=tnom, weffcj=weffcj, jtweff=jtweff,
                            without_junction=without_junction)


# ============================================================================ layout
def test_finger_diffusions_odd_and_even():
    s, d = finger_diffusions(1, 1, 0)
    assert s == Diffusions(("isolated",), 0, "isolated") and d == Diffusions(("shared",), 0, "shared")
    s, d = finger_diffusions(5, 4, 1)   # odd NF: MIN has no effect
    assert s == Diffusions(("isolated",), 2, "isolated") and d == Diffusions(("merged",), 2, "merged")
    s, d = finger_diffusions(4, 2, 0)   # even NF, MIN = 0: both ends sources
    assert s == Diffusions(("shared", "shared"), 1, "shared") and d == Diffusions((), 2, "isolated")
    s, d = finger_diffusions(4, 2, 1)   # MIN = 1: both ends drains
    assert s == Diffusions((), 2, "shared") and d == Diffusions(("isolated", "isolated"), 1, "isolated")
    for mn in (0, 1):                   # GEOMOD 9/10: MIN has no effect
        assert finger_diffusions(6, 9, mn)[0].ends == ("shared", "isolated")
        assert finger_diffusions(6, 10, mn)[1] == Diffusions(("shared", "isolated"), 2, "shared+isolated")


@pytest.mark.parametrize("nf, geomod, mn, match", [(0, 0, 0, "at least 1"), (1.5, 0, 0, "integer"),
                                                    (1, 11, 0, "GEOMOD"), (3, 9, 0, "even number"),
                                                    (1, 10, 0, "even number"), (2, 0, 2, "MIN")])
def test_finger_diffusions_refuses(nf, geomod, mn, match):
    with pytest.raises(ValueError, match=match):
        finger_diffusions(nf, geomod, mn)


def test_junction_area_perimeter_table():
    w, dmcg, dmci, dmdg, dmcgt = 2e-6, 1.1e-7, 1.9e-7, 0.7e-7, 0.3e-7
    dg, dm = dmcg - dmcgt, dmdg - dmcgt
    cases = [(Diffusions(("isolated",), 0, "isolated"), (dg + dmci) * w, 2 * (dg + dmci) + w),
             (Diffusions(("shared",), 0, "shared"), dg * w, 2 * dg),
             (Diffusions(("merged",), 0, "merged"), dm * w, 2 * dm),
             (Diffusions((), 3, "shared"), 6 * dg * w, 12 * dg),
             (Diffusions(("shared", "isolated"), 1, "x"), (4 * dg + dmci) * w, 8 * dg + 2 * dmci + w)]
    for side, area, perimeter in cases:
        a, p = junction_area_perimeter(side, w, dmcg, dmci, dmdg, dmcgt)
        assert a == pytest.approx(area, rel=1e-14) and p == pytest.approx(perimeter, rel=1e-14)


def test_given_area_and_perimeter_replace_the_layout():
    side = Diffusions(("isolated",), 1, "isolated")
    common = dict(weffcj=1e-6, nf=3, dmcg=1e-7, dmci=1e-7, dmdg=0.0, dmcgt=0.0)
    a, p = effective_area_perimeter(side, area_given=2e-12, perimeter_given=5e-6, permod=1, **common)
    assert (a, p) == (2e-12, pytest.approx(2e-6))     # PERMOD = 1: gate edge Weffcj·NF taken off
    a, p = effective_area_perimeter(side, area_given=None, perimeter_given=5e-6, permod=0, **common)
    assert p == 5e-6 and a == junction_area_perimeter(side, 1e-6, 1e-7, 1e-7, 0.0, 0.0)[0]
    a, p = effective_area_perimeter(side, area_given=0.0, perimeter_given=1e-6, permod=1, **common)
    assert p == pytest.approx(-2e-6)                  # not clipped (ngspice 4.0-4.5 keeps it)


def test_effective_geometry_by_version():
    assert effective_geometry(-1e-12, -2e-6, "4.5.0") == (0.0, -2e-6, 1e-14)
    assert effective_geometry(-1e-12, -2e-6, "4.6.5") == (0.0, 0.0, 0.0)
    assert effective_geometry(1e-12, 2e-6, "4.8.2") == (1e-12, 2e-6, 0.0)


def test_diffusion_resistance_rules():
    common = dict(rsh=10.0, weffcj=1e-6, dmcg=1.1e-7, dmdg=0.7e-7, dmcgt=0.3e-7)
    g_c = 1e-6 / (10.0 * 0.8e-7)      # one contacted finger-side
    g_m = 1e-6 / (10.0 * 0.4e-7)      # one merged end
    side = Diffusions(("isolated",), 2, "isolated")
    assert diffusion_resistance(side, squares_given=3.0, rgeomod=0, geomod=0, **common) == 30.0
    assert diffusion_resistance(side, squares_given=None, rgeomod=0, geomod=0, **common) == 0.0
    assert diffusion_resistance(side, squares_given=None, rgeomod=1, geomod=0, **common) == pytest.approx(1 / (5 * g_c))
    # GEOMOD 4: a merged side gets one merged-end term whatever its number of ends (ngspice)
    for ends in ((), ("merged",), ("merged", "merged")):
        r = diffusion_resistance(Diffusions(ends, 1, "merged"), squares_given=None, rgeomod=1, geomod=4, **common)
        assert r == pytest.approx(1 / (2 * g_c + g_m))
    # GEOMOD 5: one term per end, and none at all shorts the side (ngspice)
    assert diffusion_resistance(Diffusions(("merged", "merged"), 1, "merged"), squares_given=None, rgeomod=1,
                                geomod=5, **common) == pytest.approx(1 / (2 * g_c + 2 * g_m))
    assert diffusion_resistance(Diffusions((), 1, "merged"), squares_given=None, rgeomod=1, geomod=5,
                                **common) == 0.0
    # no distance to the contact: no resistor
    assert diffusion_resistance(side, squares_given=None, rgeomod=1, geomod=0,
                                **dict(common, dmcg=0.3e-7)) == 0.0


def test_effective_rgeomod():
    assert effective_rgeomod(0, None) == 0 and effective_rgeomod(5, None) == 1
    assert effective_rgeomod(0, 1) == 1 and effective_rgeomod(3, 0) == 0
    with pytest.raises(ValueError, match="RGEOMOD = 2"):
        effective_rgeomod(1, 2)


# ============================================================================ diode set-up
def test_saturation_current_and_temperature():
    dc = card(js=2e-4, jsw=3e-11, jswg=4e-10, nj=1.3, xti=2.0)
    at_tnom = saturation_current(dc, area=1e-12, perimeter=2e-6, gate_edge=1e-6, temperature=T300, tnom=T300)
    assert at_tnom == pytest.approx(2e-16 + 6e-17 + 4e-16, rel=1e-15)
    t = 358.15
    expected = at_tnom * math.exp((silicon_band_gap(T300) / (KBOQ * T300) - silicon_band_gap(t) / (KBOQ * t)
                                   + 2.0 * math.log(t / T300)) / 1.3)
    assert saturation_current(dc, area=1e-12, perimeter=2e-6, gate_edge=1e-6, temperature=t,
                              tnom=T300) == pytest.approx(expected, rel=1e-14)
    for without in (0.0, 1e-14):   # no area, no perimeter: the version's value, not scaled
        assert saturation_current(dc, area=0.0, perimeter=-1e-6, gate_edge=1e-6, temperature=t, tnom=T300,
                                  without_junction=without) == without


def test_band_gap_of_the_card():
    assert silicon_band_gap(300.15) == pytest.approx(1.16 - 7.02e-4 * 300.15 ** 2 / 1408.15, rel=1e-15)
    assert silicon_band_gap(350.0, (1.12, 6e-4, 900.0)) == pytest.approx(1.12 - 6e-4 * 350.0 ** 2 / 1250.0)
    dc = card(xti=0.0, band_gap=(1.12, 6e-4, 900.0))
    ratio = (saturation_current(dc, area=1e-12, perimeter=0.0, gate_edge=0.0, temperature=358.15, tnom=T300)
             / saturation_current(dc, area=1e-12, perimeter=0.0, gate_edge=0.0, temperature=T300, tnom=T300))
    eg = [silicon_band_gap(t, (1.12, 6e-4, 900.0)) for t in (T300, 358.15)]
    assert ratio == pytest.approx(math.exp(eg[0] / (KBOQ * T300) - eg[1] / (KBOQ * 358.15)), rel=1e-14)


def test_diode_parameter_layout_and_modes():
    p = params(diomod=1)
    assert p.shape == (N_DIODE,) and p.dtype == np.float64
    isat, nvt = p[DIODE.isat], p[DIODE.nvt]
    assert nvt == KBOQ * T300 and p[DIODE.xjbv] == 0.0 and p[DIODE.v_rev] == -np.inf
    assert p[DIODE.v_fwd] == pytest.approx(nvt * math.log(0.1 / isat + 1.0), rel=1e-14)
    assert p[DIODE.i_fwd] == pytest.approx(0.1, rel=1e-12)
    p0 = params(diomod=0)
    assert p0[DIODE.v_fwd] == np.inf and p0[DIODE.v_rev] == -np.inf and p0[DIODE.xjbv] == 1.0
    assert params(card(xjbv=0.0), diomod=0)[DIODE.xjbv] == 0.0
    assert params(card(xjbv=-2.0), diomod=0)[DIODE.xjbv] == 1.0
    assert params(card(xjbv=0.0), diomod=2)[DIODE.xjbv] == 1.0
    p2 = params(card(ijth_rev=1e-3, bv=5.0, xjbv=0.5), diomod=2)
    assert p2[DIODE.v_rev] == pytest.approx(-5.0 - nvt * math.log((1e-3 / isat - 1.0) / 0.5), rel=1e-14)
    assert p2[DIODE.i_rev] == pytest.approx(-1e-3, rel=1e-14)
    assert p2[DIODE.g_rev] == pytest.approx((1e-3 - isat) / nvt, rel=1e-14)
    # IJTHREV below Is: ngspice uses 10·Is
    p3 = params(card(js=1e3, ijth_rev=1e-10), diomod=2)
    assert p3[DIODE.i_rev] == pytest.approx(-10 * p3[DIODE.isat], rel=1e-14)
    # non-positive IJTH and BV take the manual's values
    p4 = params(card(ijth_fwd=0.0, ijth_rev=-1.0, bv=0.0), diomod=2)
    assert p4[DIODE.bv] == 10.0 and p4[DIODE.i_fwd] == pytest.approx(0.1, rel=1e-9)
    assert p4[DIODE.i_rev] == pytest.approx(-0.1, rel=1e-12)
    # no saturation current: no limits, only gmin (and tunnelling)
    p5 = params(card(js=0.0, jsw=0.0, jswg=0.0), diomod=2)
    assert p5[DIODE.isat] == 0.0 and p5[DIODE.v_fwd] == np.inf and p5[DIODE.v_rev] == -np.inf
    assert junction_current(0.7, p5, 1e-12) == (pytest.approx(0.7e-12, rel=1e-15), 1e-12)


@pytest.mark.parametrize("kwargs, match", [(dict(diomod=3), "DIOMOD"), (dict(temperature=0.0), "positive"),
                                           (dict(dc=card(nj=0.0)), "NJ")])
def test_diode_parameters_refuses(kwargs, match):
    with pytest.raises(ValueError, match=match):
        params(**kwargs)


def test_reverse_limit_equal_to_saturation_current_refused():
    isat = saturation_current(card(), area=1e-12, perimeter=2e-6, gate_edge=1e-6, temperature=T300, tnom=T300)
    with pytest.raises(ValueError, match="IJTHREV"):
        params(card(ijth_rev=isat), diomod=2)


def test_forward_limit_includes_breakdown_factor():
    """DIOMOD = 2 with a low BV: the full expression equals IJTHFWD at V_fwd, and the line continues it."""
    dc = card(js=1e3, bv=0.2, ijth_fwd=3e-7)
    p = params(dc, diomod=2)
    v = p[DIODE.v_fwd]
    below = junction_current(np.nextafter(v, -1.0), p, 0.0)
    assert below[0] == pytest.approx(3e-7, rel=1e-13) and p[DIODE.i_fwd] == pytest.approx(3e-7, rel=1e-13)
    above = junction_current(np.nextafter(v, 1.0), p, 0.0)
    assert above[1] == pytest.approx(below[1], rel=1e-12) and above[0] == pytest.approx(below[0], rel=1e-13)


# ============================================================================ bias evaluation
_EXPS = st.floats(-3.0, 3.0)


@st.composite
def diode_setups(draw):
    diomod = draw(st.sampled_from([0, 1, 2]))
    tat = draw(st.booleans())
    dc = card(js=10 ** draw(st.floats(-6, 3)), jsw=10 ** draw(st.floats(-13, -5)),
              jswg=10 ** draw(st.floats(-13, -5)), nj=draw(st.floats(0.8, 2.0)), xti=draw(st.floats(0.0, 5.0)),
              ijth_fwd=10 ** draw(st.floats(-7, -1)), ijth_rev=10 ** draw(st.floats(-7, -1)),
              bv=draw(st.floats(0.5, 12.0)), xjbv=draw(st.floats(0.0, 3.0)),
              jt=tuple(10 ** draw(st.floats(-6, 2)) * tat for _ in range(3)),
              njt=tuple(draw(st.floats(5.0, 30.0)) for _ in range(3)),
              xt=tuple(draw(st.floats(0.0, 0.1)) for _ in range(3)),
              vts=tuple(draw(st.floats(0.3, 12.0)) for _ in range(3)),
              tnjt=tuple(draw(st.floats(0.0, 0.5)) for _ in range(3)))
    temperature = draw(st.floats(233.15, 423.15))
    p = params(dc, diomod=diomod, temperature=temperature, tnom=draw(st.floats(273.15, 348.15)),
               jtweff=draw(st.sampled_from([0.0, 1e-7])))
    return p


def _kinks(p):
    kinks = [p[DIODE.v_fwd], p[DIODE.v_rev]]
    kinks += [p[DIODE.tat_vts0 + k] - 1e-5 for k in range(3)]
    return [k for k in kinks if np.isfinite(k)]


@settings(max_examples=300, deadline=None)
@given(p=diode_setups(), v=st.floats(-14.0, 1.3), gmin=st.sampled_from([0.0, 1e-12]))
@example(p=params(card(bv=1.0), diomod=0, temperature=205.0), v=-14.0, gmin=0.0)
def test_junction_conductance_is_the_exact_derivative(p, v, gmin):
    h = 1e-4 * p[DIODE.nvt]
    if any(abs(v - k) < 2 * h for k in _kinks(p)):
        return   # the derivative jumps at a limiting voltage or at the tunnelling clamp
    i, g = junction_current(v, p, gmin)
    if not abs(i) < 1e250:
        assert p[DIODE.v_rev] == -np.inf   # only unlimited DIOMOD = 0 breakdown overflows (as in ngspice)
        return
    assert np.isfinite(g) and (g >= 0.0 or any(p[DIODE.tat_i0:DIODE.tat_i0 + 3]))
    numeric = derivative(lambda x: junction_current(x, p, gmin)[0], v, h)
    scale = max(abs(g), abs(i) / p[DIODE.nvt] * 1e-6, 1e-30)
    assert abs(numeric - g) <= 1e-9 * scale + 1e-12 * abs(i) / h


@settings(max_examples=200, deadline=None)
@given(p=diode_setups())
def test_current_is_continuous_at_the_limits(p):
    for v, rtol in ((p[DIODE.v_fwd], 1e-12), (p[DIODE.v_rev], 1e-9)):
        if not np.isfinite(v):
            continue
        lo = junction_current(np.nextafter(v, -np.inf), p, 0.0)[0]
        hi = junction_current(np.nextafter(v, np.inf), p, 0.0)[0]
        # the reverse line is the breakdown term alone: it leaves out the factor exp(V_rev/NVT)
        # of the full expression (ngspice's jump, a few 1e-10 relative when BV is ~15 NVT)
        slack = abs(p[DIODE.i_rev]) * math.exp(v / p[DIODE.nvt]) if v < 0 else 0.0
        assert abs(lo - hi) <= rtol * max(abs(lo), abs(hi)) + 2 * slack


def test_gmin_is_added_once_and_always():
    for p in (params(diomod=0), params(diomod=2), params(card(js=0.0, jsw=0.0, jswg=0.0))):
        for v in (-3.0, 0.0, 0.4):
            i0, g0 = junction_current(v, p, 0.0)
            i1, g1 = junction_current(v, p, 1e-9)
            assert i1 - i0 == pytest.approx(1e-9 * v, rel=1e-6, abs=1e-24) and g1 - g0 == pytest.approx(1e-9)


def test_trap_assisted_tunnelling_clamp():
    p = params(card(js=0.0, jsw=0.0, jswg=0.0, jt=(1e3, 0.0, 0.0), vts=(0.01, 10.0, 10.0)), diomod=1)
    nv0 = p[DIODE.tat_nv0]
    assert nv0 == pytest.approx(20.0 * KBOQ * T300, rel=1e-15)
    for v in (0.009999, 0.01, 0.5):   # VTS − V clamped at 1e-5 V
        i, g = junction_current(v, p, 0.0)
        assert i == pytest.approx(-1e-9 * math.expm1(-v * 0.01 / (nv0 * 1e-5)), rel=1e-12)
    i, g = junction_current(0.0095, p, 0.0)
    assert i == pytest.approx(-1e-9 * math.expm1(-0.0095 * 0.01 / (nv0 * 0.0005)), rel=1e-12)


# ============================================================================ resistances
@settings(max_examples=200, deadline=None)
@given(prwg=st.floats(0.0, 3.0), prwb=st.floats(-1.0, 2.0), vgs=st.floats(-2.0, 2.0), vbs=st.floats(-2.0, 0.9),
       ngate=st.sampled_from([0.0, 5e19, 1e23]), wr=st.floats(0.7, 1.2))
def test_series_resistance_derivatives(prwg, prwb, vgs, vbs, ngate, wr):
    p = series_parameters(r_diff=0.0, rw=150.0, rwmin=20.0, prwg=prwg, prwb=prwb, wr=wr, weffcj=0.8e-6, nf=2,
                          ngate=ngate, nsd=2e20, tnom=T300)
    assert p.shape == (N_SERIES,) and p[SERIES.r_diff] == 1e-3
    r, dg, db = series_resistance(vgs, vbs, p)
    assert r > 0
    h = 1e-4
    assert derivative(lambda x: series_resistance(x, vbs, p)[0], vgs, h) == pytest.approx(dg, rel=1e-9, abs=1e-9)
    assert derivative(lambda x: series_resistance(vgs, x, p)[0], vbs, h) == pytest.approx(db, rel=1e-9, abs=1e-9)


def test_series_resistance_values():
    p = series_parameters(r_diff=12.0, rw=100.0, rwmin=20.0, prwg=0.0, prwb=0.0, wr=1.0, weffcj=1e-6, nf=1,
                          ngate=0.0, nsd=1e20, tnom=T300)
    assert series_resistance(0.3, -0.2, p)[0] == pytest.approx(12.0 + 20.0 + 50.0 * (1 + math.sqrt(1.01)),
                                                                  rel=1e-15)
    p = series_parameters(r_diff=0.0, rw=100.0, rwmin=0.0, prwg=0.5, prwb=0.0, wr=1.0, weffcj=1e-6, nf=1,
                          ngate=1e23, nsd=2e20, tnom=T300)
    assert p[SERIES.vfbsd] == pytest.approx(KBOQ * T300 * math.log(500.0), rel=1e-15)
    x = 0.9 - p[SERIES.vfbsd]
    t = 1.0 / (1.0 + 0.5 * 0.5 * (x + math.sqrt(x * x + 1e-4)))
    assert series_resistance(0.9, 0.0, p)[0] == pytest.approx(1e-3 + 50.0 * (t + math.sqrt(t * t + 0.01)),
                                                                 rel=1e-14)


def test_ldd_temperature():
    assert ldd_temperature(100.0, prt=40.0, tempmod=0, temperature=358.15, tnom=T300) == \
        pytest.approx(100.0 + 40.0 * (358.15 / T300 - 1.0), rel=1e-15)
    assert ldd_temperature(100.0, prt=0.01, tempmod=1, temperature=358.15, tnom=T300) == \
        pytest.approx(100.0 * (1.0 + 0.01 * 58.0), rel=1e-15)


def test_gate_electrode_resistance():
    r = gate_electrode_resistance(rshg=1e3, xgw=1e-7, ngcon=2, weffcj=1e-6, nf=2, l_drawn=70e-9, xgl=5e-9)
    assert r == pytest.approx(1e3 * (1e-7 + 1e-6 / 6) / (2 * 2 * 65e-9), rel=1e-15)
    assert gate_electrode_resistance(rshg=0.0, xgw=0.0, ngcon=1, weffcj=1e-6, nf=1, l_drawn=1e-7, xgl=0.0) == 1e-3
    with pytest.raises(ValueError, match="XGL"):
        gate_electrode_resistance(rshg=1.0, xgw=0.0, ngcon=1, weffcj=1e-6, nf=1, l_drawn=1e-8, xgl=2e-8)


def test_body_conductance():
    assert body_conductance(50.0, 1e-12) == 1 / 50.0 + 1e-12
    assert body_conductance(1e-3, 1e-6) == 1e3 + 1e-6
    assert body_conductance(0.9e-3, 1e-6) == 1e3 and body_conductance(0.0, 1e-6) == 1e3


# ============================================================================ one device, from a card
PTM_HP = "validation/cards/ptm45_hp.pm"


@pytest.fixture(scope="module")
def hp_card():
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return read_model_card(os.path.join(root, PTM_HP), "nmos")


def test_ptm_default_geometry(hp_card):
    """PTM HP, W = 1 µm, no AS/PS: isolated source (perimeter Weffcj), shared drain without geometry."""
    sizes = size_dependent(hp_card, InstanceParameters.from_keywords(w=1e-6, l=45e-9))
    jd = junction_diodes(sizes, T300)
    assert jd.source_area == 0.0 and jd.source_perimeter == pytest.approx(1e-6)
    assert jd.drain_area == 0.0 and jd.drain_perimeter == 0.0
    assert jd.source[DIODE.isat] == pytest.approx(1e-6 * (1e-11 + 1e-10), rel=1e-14)
    assert jd.drain[DIODE.isat] == 1e-14    # version 4.0: ngspice's 1e-14 A without geometry
    net = parasitic_network(sizes, T300)
    assert net.rdsmod == 0 and net.source_resistance == 0.0 and net.drain_resistance == 0.0
    assert net.rgatemod == 1 and net.gate_resistance == pytest.approx(0.4 * (1e-6 / 3) / 25e-9, rel=1e-14)
    assert net.rbodymod == 1
    np.testing.assert_allclose(net.body_conductances, [1 / 5 + 1e-10] + [1 / 15 + 1e-10] * 4, rtol=1e-15)


def test_instance_rgeomod_2_refused(hp_card):
    sizes = size_dependent(hp_card, InstanceParameters.from_keywords(w=1e-6, l=45e-9, rgeomod=2))
    with pytest.raises(ValueError, match="RGEOMOD = 2"):
        parasitic_network(sizes, T300)
