"""Hard circuits: the fallbacks (gmin stepping, source stepping) and ConvergenceError.

Whatever path produced it, every solution the solver returns must satisfy KCL at
every node, recomputed independently of the solver (strategies.assert_kcl, the
same tolerances as the property tests: 1e-8·Σ|I| + 1e-14 A + 64·eps·Σ g(|Va|+|Vb|)).
When it cannot solve, it must raise ConvergenceError with consistent attributes --
never return an unconverged answer.

White-box in one place: the residual of the real problem at x = 0 is recomputed with the
crossbar's own equations (``Crossbar.equations``, internal) to check ConvergenceError's report.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

import strategies as S
from strategies import CrossbarSpec, assert_kcl
from xbarsolve import ConvergenceError, Level1NMOS, LinearMemristor, NewtonOptions, SinhMemristor

STAGES = ("newton", "gmin stepping", "source stepping")  # ConvergenceError.stage (documented)
STRATEGIES = STAGES + ("decoupled",)  # solution.strategy: also the diagonal-Jacobian fast path
L1 = Level1NMOS(vto=0.4, kp=2e-4, gamma=0.3, phi=0.7, lambda_=0.05, w=1e-6, l=1e-6)  # VTO = 0.4 V


def spec_of(g, **kw) -> CrossbarSpec:
    kw.setdefault("memristor", LinearMemristor())
    if kw.get("cell", "1t1r") == "1t1r":
        kw.setdefault("cell", "1t1r")
        kw.setdefault("transistor", L1)
    return CrossbarSpec(np.asarray(g, dtype=float), kw)


def check_convergence_error(exc: ConvergenceError, batch: int):
    """The documented attributes of ConvergenceError, consistent with each other."""
    assert exc.stage in STAGES
    assert exc.samples.dtype == np.int64 and exc.samples.ndim == 1 and exc.samples.size >= 1
    assert np.all(np.diff(exc.samples) > 0) and exc.samples.min() >= 0 and exc.samples.max() < batch
    assert exc.residual_norm.shape == exc.samples.shape == exc.iterations.shape
    assert not np.any(np.isnan(exc.residual_norm)) and np.all(exc.residual_norm > 0)
    assert np.all(exc.iterations >= 0)  # 0 when even the first residual overflows (e.g. sinh at 1e6 V)
    assert f"{exc.samples.size} sample(s)" in str(exc) and exc.stage in str(exc)


def solve_or_raise(spec, v_in, options=None):
    """Solve; return the solution after asserting KCL, or the ConvergenceError after
    checking its attributes."""
    xb = spec.build(**({} if options is None else {"options": options}))
    try:
        sol = xb.solve(v_in)
    except ConvergenceError as exc:
        check_convergence_error(exc, v_in.shape[0])
        return exc
    assert all(s in STRATEGIES for s in sol.strategy)
    assert_kcl(spec, v_in, sol)
    return sol


G_HI = np.full((8, 8), 1e-3)  # 1e-3 S cells: 1 kΩ, the same as one 1000 Ω wire segment
WIRES_1K = dict(r_wire_row=1000.0, r_wire_col=1000.0)


def _bsim():
    return S.BSIM()


SINH_1R = spec_of(G_HI, cell="1r", memristor=SinhMemristor(0.1), **WIRES_1K)
NEAR_THRESHOLD = spec_of(G_HI, v_gate=0.45, **WIRES_1K)  # V_G = 0.45 V, VTO = 0.4 V


HARD = [
    # (id, spec, v_in (batch, rows), options)
    ("1r sinh v0=0.1 1e-3S 1kΩ wires +10V", SINH_1R, np.full((1, 8), 10.0), None),
    ("1r sinh v0=0.1 1e-3S 1kΩ wires ±20V", SINH_1R, np.array([[20.0] * 8, [-20.0] * 8]), None),
    ("1r linear 1e-3S 1kΩ wires 20V", spec_of(G_HI, cell="1r", **WIRES_1K), np.full((1, 8), 20.0), None),
    ("1t1r row 1e-3S 1kΩ wires ±20V", spec_of(G_HI, v_gate=1.5, **WIRES_1K),
     np.array([[20.0] * 8, [-20.0] * 8, [5.0, -5.0] * 4]), None),
    ("1t1r column sinh 1e-3S 1kΩ wires 5..20V",
     spec_of(G_HI, transistor_side="column", v_gate=1.5, memristor=SinhMemristor(0.1), **WIRES_1K),
     np.array([[5.0] * 8, [10.0] * 8, [20.0] * 8]), None),
    ("1t1r near threshold VG=0.45 1kΩ wires", NEAR_THRESHOLD, np.array([[0.5] * 8, [-0.5] * 8]), None),
    ("1t1r per-row gates around VTO, 0.1Ω wires, 1e-3S",
     spec_of(G_HI, v_gate=np.linspace(0.35, 0.45, 8), r_wire_row=0.1, r_wire_col=0.1, r_source=0.1,
             r_sink=0.1),
     np.full((1, 8), 0.5), None),
    ("1t1r near threshold, max_iterations=3", NEAR_THRESHOLD, np.full((1, 8), 0.5),
     NewtonOptions(max_iterations=3)),
    ("1t1r near threshold, max_iterations=5", NEAR_THRESHOLD, np.full((1, 8), 0.5),
     NewtonOptions(max_iterations=5)),
    ("1t1r near threshold, max_iterations=1", NEAR_THRESHOLD, np.full((1, 8), 0.5),
     NewtonOptions(max_iterations=1)),
    ("bsim column sinh 1e-3S 1kΩ wires 20V",
     spec_of(G_HI, transistor_side="column", v_gate=1.5, memristor=SinhMemristor(0.1), transistor=_bsim(),
             **WIRES_1K), np.full((1, 8), 20.0), None),
    ("bsim row 1e-3S 1kΩ wires -20V",
     spec_of(G_HI, v_gate=1.5, transistor=_bsim(), **WIRES_1K), np.full((1, 8), -20.0), None),
]


@pytest.mark.parametrize("spec, v_in, options", [pytest.param(*c[1:], id=c[0]) for c in HARD])
def test_hard_case_returns_a_kcl_exact_solution_or_raises(spec, v_in, options):
    """Large inputs (5–20 V, both signs), near-threshold gates, 1e-3 S cells with 1 kΩ
    wires, sinh memristors with v0 = 0.1 V, small iteration limits: the solver either
    returns a solution that meets KCL at every node (whichever strategy it reports)
    or raises a ConvergenceError with consistent attributes."""
    solve_or_raise(spec, v_in, options)


def test_gmin_stepping_rescues_a_case_plain_newton_cannot_solve():
    """1R, sinh memristors (v0 = 0.1 V, 1e-3 S) behind 1 kΩ wires at +10 V: plain damped
    Newton fails within 100 iterations (the sinh branch voltages start far out on the
    exponential), gmin stepping solves it, and the answer is KCL-exact.  (If Newton
    ever solves this alone, pick a harder case: the fallback path must stay covered.)"""
    spec, v = SINH_1R, np.full((1, 8), 10.0)
    sol = spec.build().solve(v)
    assert sol.strategy == ["gmin stepping"]
    assert sol.iterations[0] > NewtonOptions().max_iterations  # the Newton attempt used them all
    assert_kcl(spec, v, sol)


def test_source_stepping_rescues_what_gmin_stepping_cannot():
    """The same crossbar at ±20 V: Newton and gmin stepping fail, source stepping
    (inputs ramped from 0 V) solves both polarities; KCL holds; by the odd symmetry of
    a 1R crossbar the two solutions are exact negatives."""
    spec, v = SINH_1R, np.array([[20.0] * 8, [-20.0] * 8])
    sol = spec.build().solve(v)
    assert sol.strategy == ["source stepping", "source stepping"]
    assert_kcl(spec, v, sol)
    np.testing.assert_array_equal(sol.column_currents[1], -sol.column_currents[0])


def test_small_iteration_limits_pick_different_fallbacks():
    """Near threshold (V_G = 0.45 V, VTO = 0.4 V) with 1 kΩ wires: Newton needs 6
    iterations; with 5 allowed, gmin stepping rescues it; with 3, source stepping does
    (its small input increments need few iterations each).  All KCL-exact.  The zero
    input in the batch converges at once by plain Newton (x0 = 0 is its solution)."""
    spec = NEAR_THRESHOLD
    v = np.array([[0.0] * 8, [0.5] * 8])
    expect = {6: "newton", 5: "gmin stepping", 3: "source stepping"}
    for max_iterations, strategy in expect.items():
        sol = spec.build(options=NewtonOptions(max_iterations=max_iterations)).solve(v)
        assert sol.strategy == ["newton", strategy], max_iterations
        assert sol.iterations[0] == 1
        assert_kcl(spec, v, sol)


def test_convergence_error_attributes():
    """max_iterations = 1 near threshold: nothing can converge, so ConvergenceError is
    raised for sample 1 only (sample 0, zero input, converges in one step) with:
    samples = [1]; stage = "source stepping" (the last fallback); iterations = [7]
    (1 Newton + 1 in the first gmin stage + 5 source-stepping attempts with increments
    0.1, 0.025, 0.00625, 0.0015625, 0.00039 before the increment falls below
    source_min_step = 1e-4); residual_norm finite and > 0 (A)."""
    spec = NEAR_THRESHOLD
    v = np.array([[0.0] * 8, [0.5] * 8])
    with pytest.raises(ConvergenceError) as info:
        spec.build(options=NewtonOptions(max_iterations=1)).solve(v)
    exc = info.value
    check_convergence_error(exc, batch=2)
    np.testing.assert_array_equal(exc.samples, [1])
    np.testing.assert_array_equal(exc.iterations, [7])
    assert exc.stage == "source stepping"
    assert np.all(np.isfinite(exc.residual_norm))
    assert isinstance(exc, RuntimeError)
    assert "1 sample(s)" in str(exc) and "worst sample 1" in str(exc)


def test_convergence_error_residual_norm_is_that_of_the_real_problem():
    """ConvergenceError.residual_norm is documented as the KCL residual of each failed sample
    at its last iterate.  Same case as above: source stepping never got past input level 0,
    so its last iterate is x = 0 and the residual there, for the inputs actually given, is
    ‖F(0)‖ ≈ 1.4e-3 A (computed here from the circuit's own equations)."""
    xb = NEAR_THRESHOLD.build(options=NewtonOptions(max_iterations=1))
    v = np.full((1, 8), 0.5)
    with pytest.raises(ConvergenceError) as info:
        xb.solve(v)
    f0 = np.linalg.norm(xb.equations.residual(np.zeros((1, xb.n_free)), xb.netlist.fixed_voltages(v)))
    np.testing.assert_allclose(info.value.residual_norm, [f0], rtol=0.5)


def test_convergence_error_on_a_one_d_input():
    """A 1-D input (batch of one) that cannot converge raises too; samples = [0]."""
    with pytest.raises(ConvergenceError) as info:
        NEAR_THRESHOLD.build(options=NewtonOptions(max_iterations=2)).solve(np.full(8, 0.5))
    check_convergence_error(info.value, batch=1)
    np.testing.assert_array_equal(info.value.samples, [0])


# ------------------------------------------------------------------ random fuzz
# A fifth of the profile's count (fast: 20, thorough: 200): a hard example can cost ~1 s
# (source stepping ramps each sample alone, hundreds of Newton iterations).
_N = max(10, settings.default.max_examples // 5)


@settings(max_examples=_N)
@given(S.crossbar_specs(max_side=8), st.data(), st.sampled_from([2, 3, 5, 100]))
def test_every_returned_solution_is_kcl_exact_whatever_the_path(spec, data, max_iterations):
    """Random crossbars up to 8×8 (all models, parasitics 0 or 0.1…1000 Ω), inputs up to ±20 V
    and iteration limits down to 2: every returned solution -- Newton's, gmin stepping's
    or source stepping's -- meets KCL at every node; otherwise ConvergenceError."""
    v = data.draw(S.input_batches(spec.shape[0], max_batch=2, v_max=20.0), label="v_in")
    note(repr(spec))
    note(f"v_in = np.{v!r}")
    with np.errstate(over="ignore"):  # ‖F‖₂ of wild first iterates overflows in newton.py (harmless)
        out = solve_or_raise(spec, v, NewtonOptions(max_iterations=max_iterations))
    if isinstance(out, ConvergenceError):
        event(f"ConvergenceError ({out.stage})")
    else:
        for strategy in set(out.strategy):
            event(f"strategy: {strategy}")
