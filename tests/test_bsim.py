"""Tests of the BSIM4-like NMOS model (xbarsolve/devices/bsim.py).

Tolerances: derivatives vs central differences (step 1e-6 V) within 1e-6
relative; live ngspice BSIM4 comparison within 1e-8 relative (the model
matches ngspice to ~1e-11; the slack covers ngspice's printing and solver).
"""
import dataclasses
import math
import os
import shutil
import subprocess
import tempfile

import numpy as np
import pytest

from xbarsolve.devices.bsim import (BsimLikeNMOS, bsim_core, bsim_core_complex_step, bsim_current,
                                    bsim_gate_body, bsim_terminal, card_parameter_names)

MODEL = BsimLikeNMOS()
Q = MODEL.core_parameters()
FD_STEP = 1e-6  # V
FD_RTOL = 1e-6


def core(vgs, vds, vbs=0.0, q=Q):
    return bsim_core(float(vgs), float(vds), float(vbs), q)


# ------------------------------------------------------------------ derivatives
@pytest.mark.parametrize("vbs", [0.0, -0.3, 0.2])
def test_derivatives_match_central_differences(vbs):
    h = FD_STEP
    for vgs in (0.1, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3):
        for vds in (0.002, 0.02, 0.1, 0.3, 0.6, 1.0):
            ids, gm, gds, gmbs = core(vgs, vds, vbs)
            fd = ((core(vgs + h, vds, vbs)[0] - core(vgs - h, vds, vbs)[0]) / (2 * h),
                  (core(vgs, vds + h, vbs)[0] - core(vgs, vds - h, vbs)[0]) / (2 * h),
                  (core(vgs, vds, vbs + h)[0] - core(vgs, vds, vbs - h)[0]) / (2 * h))
            for name, exact, approx in zip(("gm", "gds", "gmbs"), (gm, gds, gmbs), fd):
                assert abs(exact - approx) <= FD_RTOL * abs(approx) + 1e-20, (
                    f"{name} at vgs={vgs} vds={vds} vbs={vbs}: {exact} vs FD {approx}")


def test_dual_numbers_and_complex_step_agree():
    """Two arithmetics on one expression: the dual-number derivatives the solver uses equal the
    complex-step ones to rounding (2e-13 relative), over the bias box the solver visits,
    subthreshold and forward body bias included; the terminal form gives gds and gm+gds+gmbs."""
    rng = np.random.default_rng(7)
    for vgs, vds, vbs in rng.uniform((-0.5, 0.0, -1.5), (1.8, 1.8, 0.4), size=(400, 3)):
        dual, cstep = core(vgs, vds, vbs), bsim_core_complex_step(vgs, vds, vbs, Q)
        np.testing.assert_allclose(dual, cstep, rtol=2e-13, atol=0.0)
        ids, gds, g_source = bsim_terminal(vgs, vds, vbs, Q)
        np.testing.assert_allclose([ids, gds, g_source], [dual[0], dual[2], dual[1] + dual[2] + dual[3]],
                                   rtol=2e-13, atol=0.0)
        assert bsim_current(vgs, vds, vbs, Q) == ids
        np.testing.assert_allclose(bsim_gate_body(vgs, vds, vbs, Q), [dual[1], dual[3]], rtol=2e-13, atol=0.0)


def test_gds_at_zero_vds_matches_one_sided_difference():
    for vgs in (0.3, 0.7, 1.2):
        ids, gm, gds, gmbs = core(vgs, 0.0)
        fd = (-core(vgs, 2e-7)[0] + 4 * core(vgs, 1e-7)[0] - 3 * core(vgs, 0.0)[0]) / 2e-7
        assert gds > 0 and abs(gds - fd) <= 1e-5 * gds


# ------------------------------------------------------------------ continuity
def _max_jumps(values):
    return np.max(np.abs(np.diff(values, axis=0)), axis=0)


def _sweep(points):
    return np.array([core(*p) for p in points])


@pytest.mark.parametrize("vbs", [0.0, -0.3])
def test_continuous_through_threshold(vbs):
    """Across V_th ± 0.15 V the current and gm, gds, gmbs change by no more
    per step than smoothness allows, and the steps shrink with the step size
    (a jump or kink would not shrink)."""
    vth = MODEL.threshold_voltage(0.05, vbs)
    lo, hi = vth - 0.15, vth + 0.15
    coarse = _sweep([(v, 0.05, vbs) for v in np.arange(lo, hi, 1e-4)])
    fine = _sweep([(v, 0.05, vbs) for v in np.arange(lo, hi, 1e-5)])
    scale = np.max(np.abs(coarse), axis=0)
    jc, jf = _max_jumps(coarse) / scale, _max_jumps(fine) / scale
    assert np.all(jc < 1e-2), jc
    assert np.all(jf < 0.2 * jc), (jf, jc)
    # the current's steps agree with the trapezoidal integral of gm
    dv = 1e-5
    trap = 0.5 * (fine[1:, 1] + fine[:-1, 1]) * dv
    assert np.max(np.abs(np.diff(fine[:, 0]) - trap)) <= 1e-8 * scale[0]


@pytest.mark.parametrize("vgs", [0.5, 0.8, 1.2])
def test_continuous_through_saturation(vgs):
    vdsat = MODEL.internals(vgs, 0.5)["vdsat"]
    hi = 3 * vdsat
    coarse = _sweep([(vgs, v, 0.0) for v in np.arange(0.0, hi, 1e-4)])
    fine = _sweep([(vgs, v, 0.0) for v in np.arange(0.0, hi, 1e-5)])
    scale = np.max(np.abs(coarse), axis=0)
    jc, jf = _max_jumps(coarse) / scale, _max_jumps(fine) / scale
    assert np.all(jc < 2e-2), jc
    assert np.all(jf < 0.2 * jc), (jf, jc)
    dv = 1e-5
    trap = 0.5 * (fine[1:, 2] + fine[:-1, 2]) * dv
    assert np.max(np.abs(np.diff(fine[:, 0]) - trap)) <= 1e-8 * scale[0]


# ------------------------------------------------------------------ shape
def test_monotonic_in_vgs_and_vds():
    vgs = np.linspace(-0.3, 1.5, 61)
    vds = np.linspace(0.0, 1.5, 61)
    for vbs in (0.0, -0.4):
        grid = np.array([[core(g, d, vbs) for d in vds] for g in vgs])  # (vgs, vds, 4)
        ids = grid[:, 1:, 0]  # vds > 0 (at vds = 0, ids = gm = gmbs = 0)
        assert np.all(np.diff(ids, axis=0) > 0)  # increasing in vgs
        assert np.all(np.diff(ids, axis=1) > 0)  # increasing in vds
        assert np.all(grid[:, 1:, 1] > 0) and np.all(grid[..., 2] > 0)
        assert np.all(grid[:, 1:, 3] > 0)  # reverse body bias lowers the current


def test_zero_current_at_zero_vds():
    for vgs in (-0.5, 0.0, 0.4, 1.0, 2.0):
        for vbs in (0.0, -0.5, 0.3):
            assert core(vgs, 0.0, vbs)[0] == 0.0


def test_finite_far_from_operating_range():
    for vgs in (-20.0, -3.0, 0.0, 3.0, 20.0):
        for vds in (0.0, 1e-9, 5.0, 50.0):
            for vbs in (-40.0, -5.0, 0.0, 0.8, 3.0):
                out = core(vgs, vds, vbs)
                assert all(math.isfinite(x) for x in out) and out[0] >= 0.0


def test_default_card_figures():
    assert MODEL.leff == pytest.approx(17.5e-9) and MODEL.weff == pytest.approx(190e-9)
    assert 0.4 < MODEL.vth_estimate < 0.5
    dibl = (MODEL.threshold_voltage(0.05) - MODEL.threshold_voltage(1.0)) / 0.95
    assert 0.08 < dibl < 0.2
    r_on = 1.0 / core(1.0, 0.0)[2]
    assert 500.0 < r_on < 3000.0  # a few kOhm or less at V_G = 1 V
    assert core(1.0, 1.0)[0] > 1e4 * core(0.0, 1.0)[0]  # Ion/Ioff


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("change, name", [
    (dict(w=0.0), "w"), (dict(l=-45e-9), "l"), (dict(toxe=0.0), "toxe"),
    (dict(ndep=-1.0), "ndep"), (dict(u0=0.0), "u0"), (dict(vsat=-1.0), "vsat"),
    (dict(vth0=float("nan")), "vth0"), (dict(pclm=0.0), "pclm"), (dict(a2=1.5), "a2"),
    (dict(l=20e-9), "l + xl - 2*lint"), (dict(rdsw=-1.0), "rdsw"), (dict(temperature=0.0),
                                                                    "temperature"),
])
def test_bad_card_raises_value_error_naming_parameter(change, name):
    with pytest.raises(ValueError, match=name.replace("+", r"\+").replace("*", r"\*")):
        BsimLikeNMOS(**change)


def test_non_number_raises_type_error():
    with pytest.raises(TypeError, match="k1"):
        BsimLikeNMOS(k1="0.4")
    with pytest.raises(TypeError, match="eta0"):
        BsimLikeNMOS(eta0=True)


def test_card_text_lists_every_parameter():
    card = MODEL.bsim4_model_card("nx")
    assert card.startswith(".model nx nmos level=54")
    words = {item.split("=")[0] for line in card.splitlines() for item in line.split()[1:]}
    for name in card_parameter_names():
        if name not in ("w", "l"):
            assert name in words, name
    for off in ("igcmod", "igbmod", "ngate", "rsh", "alpha0", "agidl", "k3", "lpe0", "a1"):
        assert off in words
    assert "W=2e-07 L=4.5e-08" in MODEL.bsim4_instance("1", "d", "g", "s", "b", "nx")


# ------------------------------------------------------------------ element kernel
def test_evaluate_is_mirror_symmetric_and_matches_core():
    m = dataclasses.replace(MODEL, junction_is=0.0, gmin=0.0)
    p = m.element_parameters(v_gate=1.0, v_body=0.0)
    ev = BsimLikeNMOS.evaluate
    # forward: a = drain at 0.6 V, b = source at 0.1 V
    ia, ib, daa, dab, dba, dbb = ev(0.6, 0.1, p)
    ids, gm, gds, gmbs = core(0.9, 0.5, -0.1)
    assert ia == pytest.approx(ids, rel=1e-14) and ib == -ia
    assert daa == pytest.approx(gds, rel=1e-14)
    assert dab == pytest.approx(-(gm + gds + gmbs), rel=1e-14)
    # reversed: the same two nodes swapped, current flows b -> a
    ra, rb, rdaa, rdab, rdba, rdbb = ev(0.1, 0.6, p)
    assert ra == pytest.approx(-ids, rel=1e-14) and rb == pytest.approx(ids, rel=1e-14)
    assert rdbb == pytest.approx(gds, rel=1e-14)
    assert rdba == pytest.approx(-(gm + gds + gmbs), rel=1e-14)
    # derivatives of the kernel vs differences, both orientations and across va = vb
    h = 1e-7
    for va, vb in ((0.1, 0.6), (0.6, 0.1), (0.3, 0.3 + 2e-7), (0.05, 0.0)):
        out = ev(va, vb, p)
        for k, (dva, dvb) in enumerate(((h, 0.0), (0.0, h))):
            plus, minus = ev(va + dva, vb + dvb, p), ev(va - dva, vb - dvb, p)
            for t in range(2):
                fd = (plus[t] - minus[t]) / (2 * h)
                assert abs(out[2 + 2 * t + k] - fd) <= 1e-5 * abs(fd) + 1e-12


def test_parameter_partials_give_gm_and_gmbs():
    p = MODEL.element_parameters(v_gate=0.8, v_body=0.0)
    ids, gm, gds, gmbs = core(0.8 - 0.2, 0.3, -0.2)
    dga, dgb = BsimLikeNMOS.parameter_partials(0.5, 0.2, p, 0)
    assert dga == pytest.approx(gm, rel=1e-14) and dgb == -dga
    dba, _ = BsimLikeNMOS.parameter_partials(0.5, 0.2, p, 1)
    assert dba == pytest.approx(gmbs - MODEL.junction_is / MODEL.thermal_voltage - MODEL.gmin,
                                rel=1e-12)


# ------------------------------------------------------------------ ngspice
def _ngspice_op(model, points):
    """I_DS, gm, gds, gmbs from ngspice BSIM4 at (vgs, vds, vbs) points, source at 0 V."""
    lines = ["* test", model.bsim4_model_card("nbsim").rstrip(),
             model.bsim4_instance("1", "d", "g", "s", "b", "nbsim"),
             "Vd d 0 0", "Vg g 0 0", "Vs s 0 0", "Vb b 0 0",
             f".temp {model.temperature - 273.15!r}", ".options gmin=1e-20",
             ".control", "option numdgt=15"]
    for vg, vd, vb in points:
        lines += [f"alter Vg dc = {vg!r}", f"alter Vd dc = {vd!r}", f"alter Vb dc = {vb!r}", "op",
                  "print i(Vs) @m1[gm] @m1[gds] @m1[gmbs]"]
    lines += [".endc", ".end"]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.cir")
        with open(path, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        res = subprocess.run(["ngspice", "-b", path], capture_output=True, text=True, timeout=60)
    vals = [float(line.split("=")[1]) for line in res.stdout.splitlines()
            if " = " in line and (line.startswith("i(") or line.startswith("@"))]
    assert len(vals) == 4 * len(points), res.stdout + res.stderr
    return np.array(vals).reshape(len(points), 4)


@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice not installed")
def test_matches_ngspice_bsim4():
    points = [(0.3, 0.05, 0.0), (0.3, 1.0, -0.3), (0.7, 0.1, 0.0), (0.8, 0.5, -0.3),
              (1.0, 0.05, 0.0), (1.0, 1.0, 0.0), (1.3, 0.4, -0.3)]
    ref = _ngspice_op(MODEL, points)
    for p, r in zip(points, ref):
        mine = np.array(core(*p))
        assert np.all(np.abs(mine - r) <= 1e-8 * np.abs(r)), (p, mine, r)
