"""Device models: derivatives against finite differences, regions, limiting.

Derivative tolerance: central differences with step h have truncation error
O(h²·f''') and rounding error O(eps·|f|/h); with h = 1e-6 V on currents of
~1e-5 A both stay below ~1e-7 relative to the largest conductance in play, so
we require agreement to 1e-6 of that scale.
"""
import math

import numpy as np
import pytest

from xbarsolve import Level1NMOS, LinearMemristor, Resistor, SinhMemristor

H = 1e-6

LEVEL1_CARDS = [
    Level1NMOS(vto=0.4, kp=2e-4, gamma=0.4, phi=0.7, lambda_=0.05, w=1e-6, l=1e-6),
    Level1NMOS(vto=0.7, kp=5e-5, gamma=0.0, lambda_=0.0, w=2e-6, l=1e-6, ld=0.1e-6),
    Level1NMOS(vto=0.3, kp=1e-4, gamma=0.6, phi=0.6, lambda_=0.1, junction_is=1e-12),
]


def element_fd(model, params, va, vb):
    """Central-difference 2×2 Jacobian of the (ia, ib) element currents."""
    ev = type(model).evaluate
    cols = []
    for da, db in ((H, 0.0), (0.0, H)):
        plus = np.array(ev(va + da, vb + db, params)[:2])
        minus = np.array(ev(va - da, vb - db, params)[:2])
        cols.append((plus - minus) / (2 * H))
    return np.array(cols).T  # [[dia/dva, dia/dvb], [dib/dva, dib/dvb]]


def biases(rng, n=200, span=1.5):
    pts = rng.uniform(-span, span, size=(n, 2))
    return [tuple(p) for p in pts]


@pytest.mark.parametrize("card", LEVEL1_CARDS)
@pytest.mark.parametrize("v_gate", [0.0, 0.5, 1.0, 1.8])
def test_level1_element_jacobian_matches_finite_differences(card, v_gate):
    params = card.element_parameters(v_gate=v_gate)
    rng = np.random.default_rng(int(v_gate * 10))
    for va, vb in biases(rng):
        out = type(card).evaluate(va, vb, params)
        analytic = np.array([[out[2], out[3]], [out[4], out[5]]])
        numeric = element_fd(card, params, va, vb)
        scale = max(np.abs(analytic).max(), 1e-9)
        # skip points within H of a region boundary, where the FD stencil straddles a kink
        np.testing.assert_allclose(analytic, numeric, atol=1e-6 * scale + 1e-12,
                                   err_msg=f"bias va={va}, vb={vb}")


def test_level1_regions_closed_form():
    card = Level1NMOS(vto=0.5, kp=1e-4, gamma=0.0, lambda_=0.02, w=2e-6, l=1e-6)
    beta = card.beta
    assert beta == pytest.approx(2e-4)
    # cutoff
    assert card.channel_current(0.4, 0.3)[0] == 0.0
    # linear: vgst = 0.5 > vds = 0.2
    ids, gm, gds, gmbs = card.channel_current(1.0, 0.2)
    assert ids == pytest.approx(beta * 0.2 * (0.5 - 0.1) * (1 + 0.02 * 0.2), rel=1e-14)
    assert gmbs == 0.0
    # saturation: vgst = 0.5 <= vds = 0.8
    ids, gm, gds, _ = card.channel_current(1.0, 0.8)
    assert ids == pytest.approx(0.5 * beta * 0.25 * (1 + 0.02 * 0.8), rel=1e-14)
    assert gm == pytest.approx(beta * 0.5 * (1 + 0.016), rel=1e-14)
    assert gds == pytest.approx(0.5 * 0.02 * beta * 0.25, rel=1e-14)


def test_level1_body_effect_raises_threshold():
    card = Level1NMOS(vto=0.5, kp=1e-4, gamma=0.5, phi=0.6)
    # with vbs = -0.4 the threshold is vto + gamma (sqrt(1.0) - sqrt(0.6))
    vth = 0.5 + 0.5 * (1.0 - math.sqrt(0.6))
    assert card.channel_current(vth - 1e-9, 1.0, -0.4)[0] == 0.0
    assert card.channel_current(vth + 1e-3, 1.0, -0.4)[0] > 0.0


def test_mosfet_is_symmetric_under_source_drain_swap():
    card = Level1NMOS(vto=0.4, kp=2e-4, gamma=0.0, lambda_=0.05, junction_is=0.0, gmin=0.0)
    p = card.element_parameters(v_gate=1.2)
    ev = type(card).evaluate
    ia, ib, *_ = ev(0.3, 0.1, p)
    ja, jb, *_ = ev(0.1, 0.3, p)
    assert ia == pytest.approx(-ib, rel=1e-15)
    assert ja == pytest.approx(-ia, rel=1e-15)


def test_junction_diodes_match_spice_form():
    card = Level1NMOS(junction_is=1e-14, gmin=1e-12)
    vt = card.thermal_voltage
    p = card.element_parameters(v_gate=0.0)  # channel off (vto = 0, vgs <= 0 for va, vb >= 0)
    ev = type(card).evaluate
    ia, ib, *_ = ev(0.5, 0.0, p)
    # reverse-biased drain junction (below −3·Vt): saturated −IS plus gmin·V, flowing into the device
    assert ia == pytest.approx(1e-14 + 1e-12 * 0.5, rel=1e-12)
    # just below the body voltage (above −3·Vt) the exponential form holds
    ia, ib, *_ = ev(0.01, 0.0, p)
    assert ia == pytest.approx(-(1e-14 * (math.exp(-0.01 / vt) - 1) - 1e-12 * 0.01), rel=1e-12)
    # a node 0.3 V below the body forward-biases its junction: current flows out of the device
    ia, ib, *_ = ev(-0.3, 0.0, card.element_parameters(v_gate=-1.0))
    assert ia == pytest.approx(-(1e-14 * (math.exp(0.3 / vt) - 1) + 1e-12 * 0.3), rel=1e-12)


@pytest.mark.parametrize("model, values", [
    (Resistor(), {"resistance": 250.0}),
    (LinearMemristor(), {"conductance": 2e-5}),
    (SinhMemristor(v0=0.2), {"conductance": 2e-5}),
])
def test_passive_jacobian_and_conservation(model, values):
    params = model.element_parameters(**values)
    for va, vb in biases(np.random.default_rng(3), n=50, span=0.8):
        out = type(model).evaluate(va, vb, params)
        assert out[1] == -out[0]
        analytic = np.array([[out[2], out[3]], [out[4], out[5]]])
        np.testing.assert_allclose(analytic, element_fd(model, params, va, vb),
                                   rtol=1e-6, atol=1e-12)


def test_sinh_memristor_current():
    m = SinhMemristor(v0=0.25)
    p = m.element_parameters(conductance=1e-5)
    i = type(m).evaluate(0.4, 0.1, p)[0]
    assert i == pytest.approx(1e-5 * 0.25 * math.sinh(0.3 / 0.25), rel=1e-15)


@pytest.mark.parametrize("model, values, k", [
    (LinearMemristor(), {"conductance": 2e-5}, 0),
    (SinhMemristor(v0=0.3), {"conductance": 2e-5}, 0),
    (SinhMemristor(v0=0.3), {"conductance": 2e-5}, 1),
    (LEVEL1_CARDS[0], {"v_gate": 1.0}, 0),
    (LEVEL1_CARDS[0], {"v_gate": 1.0}, 1),
])
def test_parameter_partials_match_finite_differences(model, values, k):
    params = model.element_parameters(**values)
    ev, partials = type(model).evaluate, type(model).parameter_partials
    for va, vb in biases(np.random.default_rng(5), n=40, span=0.6):
        step = 1e-6 * max(abs(params[k]), 1e-3)
        plus, minus = params.copy(), params.copy()
        plus[k] += step
        minus[k] -= step
        fd = (np.array(ev(va, vb, plus)[:2]) - np.array(ev(va, vb, minus)[:2])) / (2 * step)
        np.testing.assert_allclose(partials(va, vb, params, k), fd,
                                   rtol=1e-6, atol=1e-9 * np.abs(fd).max() + 1e-15)


def test_step_limit_is_a_fraction():
    card = LEVEL1_CARDS[0]
    p = card.element_parameters(v_gate=1.0)
    lim = type(card).step_limit
    rng = np.random.default_rng(11)
    for _ in range(500):
        va, vb, dva, dvb = rng.uniform(-10, 10, 4)
        frac = lim(va, vb, dva, dvb, p)
        assert 0.0 < frac <= 1.0
    # a huge gate-source swing is cut down; a small one passes untouched
    assert lim(0.5, 0.0, 0.0, -20.0, p) < 1.0
    assert lim(0.5, 0.0, 0.01, 0.01, p) == 1.0
