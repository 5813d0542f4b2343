"""neat.cell and neat.expansion: the 1T-1R cell analysis and the separable expansion.

Every physical number comes from xbarsolve; these tests check that the
analysis uses it correctly (batched cells = single cells, metric and cut-off
definitions, caches) and that the expansion meets its stated error.
"""
from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

import neat.cell as cell_mod
from neat.cell import CellConfig, CutoffTable, calibrate_width, cell_currents, cutoff_table, nonlinearity
from neat.expansion import ExpansionSpec, SplineTable, build_expansion, get_expansion, spline_eval
from xbarsolve import Crossbar

CFG = CellConfig()
FULL_SCALE = CFG.g_on * CFG.v_max
SMALL_SPEC = ExpansionSpec(n_v=33, n_g=17, tol=1e-3, max_rank=6)


@pytest.fixture(scope="module")
def expansion_08():
    """Expansion at 0.8 V (strongly non-linear: needs rank > 1) on small grids."""
    return build_expansion(CFG, 0.8, SMALL_SPEC)


# ----------------------------------------------------------------------------- exact cells
def test_batched_cells_equal_single_cell_solves():
    # With zero parasitics every cell of the (n_v, n_g) crossbar is independent: each entry must be
    # what a 1x1 crossbar gives.  Tolerance 1e-9 relative: both are Newton solves at reltol 1e-9.
    v = np.array([0.05, 0.31, 0.5])
    g = np.array([CFG.g_off, 1.7e-5, CFG.g_on])
    batched = cell_currents(CFG, v, g, [0.8, 1.2])
    for k, vg in enumerate([0.8, 1.2]):
        for j, gj in enumerate(g):
            single = Crossbar(np.array([[gj]]), cell="1t1r", transistor_side=CFG.transistor_side, v_gate=vg,
                              transistor=CFG.transistor)
            i = single.solve(v[:, None]).cell_output_currents[:, 0, 0]
            np.testing.assert_allclose(batched[k, :, j], i, rtol=1e-8, atol=1e-15)


def test_cell_physics_sanity():
    # Series transistor only removes current: 0 <= I <= G·V; and raising V_G never lowers it.
    v = np.linspace(0, CFG.v_max, 11)
    g = np.linspace(CFG.g_off, CFG.g_on, 5)
    i = cell_currents(CFG, v, g, [0.7, 0.9, 1.1, 1.4])
    assert np.all(np.abs(i[:, 0, :]) < 1e-12)
    assert np.all(i >= -1e-15)
    assert np.all(i <= g[None, None, :] * v[None, :, None] * (1 + 1e-9) + 1e-15)
    assert np.all(np.diff(i, axis=0) >= -1e-14)


@pytest.mark.parametrize("metric", ["ideal", "small_signal", "endpoint"])
def test_metric_definitions(metric):
    cfg = dataclasses.replace(CFG, metric=metric, n_v=10)
    g = np.array([CFG.g_off, 2e-5, CFG.g_on])
    vg = [0.85, 1.0]
    m = nonlinearity(cfg, g, vg)
    v = cfg.metric_voltages()
    np.testing.assert_allclose(v, CFG.v_max * np.arange(1, 11) / 10)
    i = cell_currents(cfg, v, g, vg)
    if metric == "ideal":
        ref = np.max(np.abs(i - g * v[:, None]) / (g * v[:, None]), axis=1)
    elif metric == "small_signal":
        v_eps = 1e-4 * CFG.v_max
        g0 = cell_currents(cfg, [v_eps], g, vg)[:, 0, :] / v_eps
        ref = np.max(np.abs(i - g0[:, None, :] * v[:, None]) / (g0[:, None, :] * v[:, None]), axis=1)
    else:
        ref = np.max(np.abs(i - i[:, -1:, :] * v[:, None] / v[-1]), axis=1) / i[:, -1, :]
    np.testing.assert_allclose(m, ref, rtol=1e-12)
    assert m.shape == (2, 3) and np.all(m >= 0)


def test_cutoff_semantics_and_cache(tmp_path, monkeypatch):
    cfg = dataclasses.replace(CFG, n_v=20)
    vgs = (0.8, 0.92, 0.95, 1.4)
    t = cutoff_table(cfg, vgs, n_g=9, n_refine=9, cache_dir=tmp_path)
    assert len(t.status) == 4 and t.metric.shape == (4, 9)
    for k, vg in enumerate(vgs):
        row = t.metric[k]
        if t.status[k] == "linear":
            assert np.all(row <= cfg.tolerance) and t.g_cut[k] == cfg.g_on
        elif t.status[k] == "none":
            assert row[0] > cfg.tolerance and math.isnan(t.g_cut[k])
        else:
            gc = t.g_cut[k]
            assert cfg.g_off < gc < cfg.g_on
            assert np.all(row[t.g_grid < gc] <= cfg.tolerance)
            # the crossing is interpolated between refine points (spacing ΔG/64 here): m(G_cut) is within
            # 5 % of the tolerance (the metric changes by < 5 % of itself over one refine interval)
            m_cut = nonlinearity(cfg, [gc], vg)[0, 0]
            assert abs(m_cut - cfg.tolerance) <= 0.05 * cfg.tolerance
    # the row-side cell gets more linear with V_G: statuses ordered none <= partial <= linear, G_cut rising
    order = {"none": 0, "partial": 1, "linear": 2}
    assert [order[s] for s in t.status] == sorted(order[s] for s in t.status)
    finite = t.g_cut[np.isfinite(t.g_cut)]
    assert np.all(np.diff(finite) >= 0)
    # cached: a second call must not compute anything
    monkeypatch.setattr(cell_mod, "nonlinearity", lambda *a, **k: pytest.fail("cache not used"))
    t2 = cutoff_table(cfg, vgs, n_g=9, n_refine=9, cache_dir=tmp_path)
    np.testing.assert_array_equal(t2.g_cut, t.g_cut)
    assert t2.status == t.status and t2.g_cut_at(0.95) == t.g_cut[2]
    files = list(tmp_path.glob("cutoff-*.json"))
    assert len(files) == 1
    t3 = CutoffTable.from_json(json.loads(files[0].read_text()))
    np.testing.assert_array_equal(t3.metric, t.metric)
    with pytest.raises(ValueError, match="v_gate"):
        t.g_cut_at(0.81)


def test_config_key_tracks_physics():
    wide = dataclasses.replace(CFG, transistor=dataclasses.replace(CFG.transistor, w=CFG.transistor.w * 2))
    assert wide.physics_key() != CFG.physics_key()
    assert dataclasses.replace(CFG, metric="endpoint").physics_key() == CFG.physics_key()
    assert dataclasses.replace(CFG, metric="endpoint").key() != CFG.key()


def test_calibrate_width_brackets_the_linear_boundary():
    cfg = dataclasses.replace(CFG, n_v=10)
    w = calibrate_width(cfg, 1.0, margin=0.0, rel_tol=0.05, n_g=3)

    def worst(width):
        return nonlinearity(dataclasses.replace(cfg, transistor=dataclasses.replace(cfg.transistor, w=width)),
                            np.linspace(cfg.g_off, cfg.g_on, 3), 1.0).max()
    assert worst(w) <= cfg.tolerance < worst(w / 1.05)


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(g_on=1e-6), ValueError, "g_on"), (dict(v_max=-0.5), ValueError, "v_max"),
    (dict(metric="rms"), ValueError, "metric"), (dict(tolerance=2.0), ValueError, "tolerance"),
    (dict(transistor_side="left"), ValueError, "transistor_side"), (dict(transistor="bsim"), TypeError, "transistor"),
    (dict(n_v=1), ValueError, "n_v"), (dict(g_off="x"), TypeError, "g_off"),
])
def test_config_errors_name_the_argument(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        CellConfig(**kwargs)


def test_function_errors():
    with pytest.raises(ValueError, match="v_in"):
        cell_currents(CFG, [-0.1], [1e-5], 1.0)
    with pytest.raises(ValueError, match="g must be > 0"):
        nonlinearity(CFG, [0.0], 1.0)
    with pytest.raises(TypeError, match="config"):
        cutoff_table("default")
    with pytest.raises(ValueError, match="n_g"):
        cutoff_table(CFG, n_g=1, use_cache=False)


# ----------------------------------------------------------------------------- expansion
def test_expansion_meets_tolerance_off_grid(expansion_08):
    e = expansion_08
    assert e.rank > 1, "0.8 V is strongly non-linear; a rank-1 (linear-in-G) expansion cannot fit it"
    assert e.relative_error <= SMALL_SPEC.tol
    # Independent check at random off-grid points against fresh exact solves.  The measured error is
    # the max over knots and midpoints, where spline errors peak; between them the truncation error
    # (which dominates, see errors) varies smoothly, so allow 10 % above the stated tolerance.
    rng = np.random.default_rng(1)
    v = rng.uniform(0, CFG.v_max, 17)
    g = rng.uniform(CFG.g_off, CFG.g_on, 13)
    exact = cell_currents(CFG, v, g, 0.8)[0]
    approx = e.current(torch.as_tensor(v)[:, None], torch.as_tensor(g)[None, :]).numpy()
    assert np.max(np.abs(approx - exact)) <= 1.1 * SMALL_SPEC.tol * FULL_SCALE
    # the rank-1 truncation is much worse: the test would catch a rank/ordering bug
    assert e.errors[0] > 5 * SMALL_SPEC.tol * FULL_SCALE


def test_expansion_zero_input_gives_zero(expansion_08):
    a = spline_eval(torch.zeros(1, 3, dtype=torch.float64), expansion_08.a_table())
    assert torch.all(a == 0)


def test_pair_table_equals_difference_of_b(expansion_08):
    e = expansion_08
    u = torch.linspace(-1, 1, 41, dtype=torch.float64)[None, :]
    g_pos = e.g_off + (e.g_on - e.g_off) * u.clamp(min=0)
    g_neg = e.g_off + (e.g_on - e.g_off) * (-u).clamp(min=0)
    ref = spline_eval(g_pos, e.b_table()) - spline_eval(g_neg, e.b_table())
    got = spline_eval(u, e.pair_table(), odd=True)
    torch.testing.assert_close(got, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fused_spline_equals_torch_path(expansion_08, monkeypatch, dtype):
    import neat.expansion as ex
    x = torch.randn(8, 64, 80, dtype=dtype) * 0.7
    assert x.numel() >= ex.NUMBA_MIN_NUMEL
    scale = torch.rand(8, 1, 1, dtype=dtype) + 0.3
    kw = dict(odd=True, scale=scale, limit=0.5, step=0.5 / 15)
    xa = x.clone().requires_grad_()
    y1 = spline_eval(xa, expansion_08.a_table(), **kw)  # numba path
    g = torch.randn_like(y1)
    (gx1,) = torch.autograd.grad(y1, xa, g)
    monkeypatch.setattr(ex, "_use_numba", lambda t: False)
    xb = x.clone().requires_grad_()
    y2 = spline_eval(xb, expansion_08.a_table(), **kw)
    (gx2,) = torch.autograd.grad(y2, xb, g)
    # float64: both paths do the same float64 arithmetic.  float32: the torch path evaluates the
    # polynomials in float32 (the numba kernel in float64), so allow float32 rounding of the largest terms.
    big = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(y1, y2, rtol=big, atol=big * float(y2.detach().abs().max()))
    torch.testing.assert_close(gx1, gx2, rtol=big, atol=big * float(gx2.abs().max()))


def test_spline_gradcheck(expansion_08):
    # torch path (small tensor); the numba path's gradient equals it (test_fused_spline_equals_torch_path)
    x = (torch.rand(2, 30, dtype=torch.float64) - 0.5).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: spline_eval(t, expansion_08.a_table(), odd=True, scale=0.9), (x,),
                                    eps=1e-7, atol=1e-9, rtol=1e-5)


def test_expansion_cache_roundtrip(tmp_path):
    e1 = get_expansion(CFG, 1.0, SMALL_SPEC, cache_dir=tmp_path)
    files = list(tmp_path.glob("expansion-*.npz"))
    assert len(files) == 1
    from neat.expansion import CellExpansion
    e2 = CellExpansion.from_npz(files[0])
    assert e2.rank == e1.rank and e2.v_gate == 1.0
    np.testing.assert_array_equal(e2.a.coef, e1.a.coef)
    np.testing.assert_array_equal(e2.errors, e1.errors)


def test_expansion_errors():
    with pytest.raises(ValueError, match="max_rank"):
        ExpansionSpec(n_v=8, n_g=5, max_rank=6)
    with pytest.raises(ValueError, match="tol"):
        ExpansionSpec(tol=0)
    with pytest.raises(TypeError, match="x must be a torch tensor"):
        spline_eval(np.zeros((2, 2)), SplineTable(0.0, 1.0, 3, np.zeros((1, 4, 2))))
    with pytest.raises(ValueError, match="coef"):
        SplineTable(0.0, 1.0, 3, np.zeros((1, 4, 5)))
