"""Property tests of the crossbar solver on random circuits (hypothesis).

Every property is checked against quantities recomputed *independently* of the
solver (see :class:`strategies.CircuitCheck`): element currents from Ohm's law,
the memristor laws and the transistor's public ``channel_current`` wrapper plus
the documented junction equations -- never from the solver's residual.

Profiles: ``XBARSOLVE_PROFILE=fast`` (default, CI) or ``thorough`` (see conftest.py).
Each tolerance is stated next to its use with its reason.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

import strategies as S
from strategies import EPS, CircuitCheck, assert_kcl, circuits, crossbar_specs, input_batches
from xbarsolve import ConvergenceError, Crossbar, Level1NMOS, LinearMemristor, SinhMemristor

ROLES = ("source", "row_wire", "col_wire", "sink", "memristor", "transistor")
LEVEL1 = Level1NMOS(vto=0.4, kp=2e-4, gamma=0.3, phi=0.7, lambda_=0.05, w=1e-6, l=1e-6)


def solve(spec, v_in, **kw):
    """Solve a batch (always 2-D, so the solution is batch-first)."""
    note(repr(spec))
    note(f"v_in = np.{np.asarray(v_in)!r}")
    sol = spec.build().solve(np.atleast_2d(v_in), **kw)
    event(f"{spec.cell} {type(spec.transistor).__name__ if spec.cell == '1t1r' else ''} "
          f"{type(spec.memristor).__name__}")
    event(f"size {'large' if max(spec.shape) > 6 else 'small'} (max side > 6)")
    for strategy in set(sol.strategy):
        event(f"strategy: {strategy}")
    return sol


def solution_arrays(sol):
    """Every numeric field of a solution, by name (for equality checks)."""
    out = {name: getattr(sol, name) for name in (
        "column_currents", "source_currents", "row_voltages", "column_voltages",
        "internal_voltages", "cell_currents", "total_power", "delivered_power")}
    out.update({f"power[{k}]": v for k, v in sol.power.items()})
    return out


# =========================================================================== KCL
@given(circuits())
def test_kcl_at_every_node_independently_recomputed(case):
    """ΣI = 0 at every free electrical node, from independently recomputed element currents.

    Tolerance per node (strategies.py, KCL_*): 1e-8·Σ|I| + 1e-14 A + 64·eps·Σ g(|Va|+|Vb|).
    Nodes joined by 0 Ω parasitics must have bitwise equal voltages (they are one node).
    """
    spec, v_in = case
    assert_kcl(spec, v_in, solve(spec, v_in))


@given(circuits())
def test_reported_outputs_match_recomputed_currents(case):
    """source_currents, column_currents and cell_currents equal the currents recomputed
    at the driver terminals, the virtual grounds and each cell's row-side element.

    Tolerance: the solver and the checker add the same terms in different orders and
    compute a resistor current as G·ΔV vs ΔV/R (1 ulp apart), so per output
    |a − b| <= n·eps·Σ|terms|, n = number of terms + 2 (standard summation bound).
    """
    spec, v_in = case
    sol = solve(spec, v_in)
    chk = CircuitCheck(spec, v_in, sol)
    src, col = chk.terminal_currents()
    terms = chk.n_nodes + 2
    src_scale = chk.group_abs[:, chk.label[chk.IN]]
    col_scale = chk.group_abs[:, chk.label[chk.OUT]]
    np.testing.assert_array_less(np.abs(sol.source_currents - src), terms * EPS * src_scale + 1e-300)
    np.testing.assert_array_less(np.abs(sol.column_currents - col), terms * EPS * col_scale + 1e-300)
    # the element touching the row wire: the memristor (1R, or column-side transistor), else the transistor
    role = "transistor" if (spec.cell == "1t1r" and spec.transistor_side == "row") else "memristor"
    el = chk.element(role)
    expected = np.zeros_like(sol.cell_currents)
    expected[(slice(None),) + el.index] = el.ia
    scale = np.zeros_like(expected)
    scale[(slice(None),) + el.index] = np.abs(el.ia) + np.abs(el.ib)
    np.testing.assert_array_less(np.abs(sol.cell_currents - expected), 16 * EPS * scale + 1e-300)


# ================================================================== conservation
@given(circuits())
def test_charge_conservation(case):
    """Σ source currents = Σ column currents + Σ transistor body leakage (junctions + gmin).

    Using the solver's reported source and column currents and the independently
    recomputed body leakage.  The three totals differ by the sum of all nodal KCL
    residuals, so the tolerance is Σ over free nodes of the KCL tolerance, plus the
    rounding of the sums (n_terms·eps·Σ|terms|).
    """
    spec, v_in = case
    sol = solve(spec, v_in)
    chk = CircuitCheck(spec, v_in, sol)
    tol_nodes = chk.kcl_tolerance(S.KCL_RTOL, S.KCL_ATOL, S.KCL_ROUND)[:, ~chk.fixed_group].sum(axis=1)
    terms = np.abs(sol.source_currents).sum(1) + np.abs(sol.column_currents).sum(1)
    leak_abs = 0.0
    if spec.cell == "1t1r":
        el = chk.element("transistor")
        leak_abs = np.abs(el.ia + el.ib).sum(1)
    n = chk.n_nodes + sum(el.a.size for el in chk.elements)
    imbalance = sol.source_currents.sum(1) - sol.column_currents.sum(1) - chk.body_leakage
    np.testing.assert_array_less(np.abs(imbalance), tol_nodes + n * EPS * (terms + leak_abs) + 1e-300)
    if spec.cell == "1r":
        assert np.all(chk.body_leakage == 0.0)


@given(circuits())
def test_energy_conservation(case):
    """Power delivered by the row drivers (Σ V_in·I_src) = power dissipated in all elements.

    solution.delivered_power vs solution.total_power, and both vs the independently
    recomputed Σ(Va·Ia + Vb·Ib) over all elements (the grounds and bodies are at 0 V).
    By Tellegen's theorem the mismatch is Σ V_node·(KCL residual), so the tolerance is
    Σ_free |V|·(KCL tolerance) plus summation rounding n·eps·Σ|Va·Ia| + |Vb·Ib|.
    """
    spec, v_in = case
    sol = solve(spec, v_in)
    chk = CircuitCheck(spec, v_in, sol)
    free = ~chk.fixed_group
    tol_nodes = (np.abs(chk.group_voltage[:, free])
                 * chk.kcl_tolerance(S.KCL_RTOL, S.KCL_ATOL, S.KCL_ROUND)[:, free]).sum(axis=1)
    scale = sum(el.power_scale.sum(1) for el in chk.elements) + np.abs(v_in * sol.source_currents).sum(1)
    n = chk.n_nodes + 2 * sum(el.a.size for el in chk.elements)
    tol = tol_nodes + n * EPS * scale + 1e-300
    recomputed = sum(el.power.sum(1) for el in chk.elements)
    np.testing.assert_array_less(np.abs(sol.delivered_power - sol.total_power), tol)
    np.testing.assert_array_less(np.abs(sol.total_power - recomputed), n * EPS * scale + 1e-300)
    np.testing.assert_array_less(np.abs(sol.delivered_power - (v_in * sol.source_currents).sum(1)),
                                 n * EPS * scale + 1e-300)


# ===================================================================== passivity
@given(circuits())
def test_passivity_and_element_powers(case):
    """No resistor or memristor delivers power; every transistor (channel + junction
    diodes + gmin) dissipates >= 0; and solution.power[role] holds, at each element's
    documented position, the power recomputed independently (0 for 0 Ω wires).

    Tolerances: for resistive elements (I = f(Va − Vb), f odd and increasing) the
    computed Va·I − Vb·I is exactly >= 0 in IEEE arithmetic (rounding is monotone and
    fl(Va − Vb) has the sign of Va − Vb), so the bound is 0.  For transistors the
    power is a sum of three signed products: >= −4·eps·(|Va·Ia| + |Vb·Ib|).  The match
    with the recomputed power: <= 16·eps·(|Va·Ia| + |Vb·Ib|) (the two current
    computations differ by a few ulps: G·ΔV vs ΔV/R, numba vs libm exp).
    """
    spec, v_in = case
    sol = solve(spec, v_in)
    chk = CircuitCheck(spec, v_in, sol)
    batch = v_in.shape[0]
    for role in ROLES:
        if role == "transistor" and spec.cell == "1r":
            assert role not in sol.power
            continue
        reported = sol.power[role]
        assert np.all(np.isfinite(reported))
        el = chk.element(role)
        expected, scale = np.zeros_like(reported), np.zeros_like(reported)
        if el is not None:
            expected[(slice(None),) + el.index] = el.power
            scale[(slice(None),) + el.index] = el.power_scale
        np.testing.assert_array_less(np.abs(reported - expected), 16 * EPS * scale + 1e-300,
                                     err_msg=f"power[{role!r}] differs from the recomputed power")
        floor = 4 * EPS * scale if role == "transistor" else 0.0
        assert np.all(reported >= -floor), f"{role} delivers power: min {reported.min()!r} W"
    assert sol.total_power.shape == (batch,)


# ===================================================================== linearity
@given(crossbar_specs(cells=("1r",), memristor=st.just(LinearMemristor())), st.data())
def test_linear_1r_superposition_and_scaling(spec, data):
    """A passive linear 1R crossbar (any parasitics) is a linear map V_in -> I_out:
    I(a·V1 + b·V2) = a·I(V1) + b·I(V2) for every output (column, source and cell
    currents) and every node voltage.

    Tolerance: both sides come from the same linear solve and differ by rounding only.
    Voltages: 1e-9·(|x(aV1+bV2)| + |a·x(V1)| + |b·x(V2)|) + 1e-20 V (the solver's
    reltol; observed <= 3e-14).  Currents: the same plus the current rounding floor
    (CircuitCheck.current_floor, 64·eps·max g·(|Va|+|Vb|)): a current read across a
    0.1 Ω wire is only known to ~eps·V·10 S however exact the voltages are (observed
    relative errors up to 4e-10 in source currents through 0 Ω sources + 0.1 Ω wires).
    """
    rows = spec.shape[0]
    v = data.draw(input_batches(rows, min_batch=2, max_batch=2), label="V1, V2")
    a, b = data.draw(st.floats(-3, 3), label="a"), data.draw(st.floats(-3, 3), label="b")
    batch = np.vstack([v, a * v[0] + b * v[1]])
    sol = solve(spec, batch)
    floor = CircuitCheck(spec, batch, sol).current_floor().max()
    for name in ("column_currents", "source_currents", "row_voltages", "column_voltages", "cell_currents"):
        x = getattr(sol, name)
        lhs, rhs = x[2], a * x[0] + b * x[1]
        tol = 1e-9 * (np.abs(x[2]) + np.abs(a * x[0]) + np.abs(b * x[1])) + 1e-20
        if "currents" in name:
            tol = tol + (1 + abs(a) + abs(b)) * floor
        np.testing.assert_array_less(np.abs(lhs - rhs), tol, err_msg=name)


@given(crossbar_specs(cells=("1r",), memristor=st.just(LinearMemristor()), parasitics=False), st.data())
def test_linear_1r_without_parasitics_is_exactly_vg(spec, data):
    """With every parasitic 0 Ω, column currents are V·G (each I_j = Σ_i V_i·G_ij), row
    and column voltages are V_i and 0, and cell currents are V_i·G_ij exactly.

    Tolerance: the cell currents G_ij·(V_i − 0) are single products, so bitwise equal.
    The column sum is taken in the solver's own order: |I − fsum| <= rows·eps·Σ|V_i·G_ij|
    (the classical bound γ_n for summing n terms, against the correctly rounded fsum).
    """
    rows, cols = spec.shape
    v = data.draw(input_batches(rows), label="v_in")
    sol = solve(spec, v)
    g = spec.conductances
    np.testing.assert_array_equal(sol.cell_currents, v[:, :, None] * g[None])
    np.testing.assert_array_equal(sol.row_voltages, np.broadcast_to(v[:, :, None], sol.row_voltages.shape))
    np.testing.assert_array_equal(sol.column_voltages, 0.0)
    exact = np.array([[math.fsum(v[s] * g[:, j]) for j in range(cols)] for s in range(v.shape[0])])
    bound = rows * EPS * (np.abs(v) @ g) + 1e-300
    np.testing.assert_array_less(np.abs(sol.column_currents - exact), bound)
    np.testing.assert_array_less(np.abs(sol.source_currents - np.array(
        [[math.fsum(v[s, i] * g[i]) for i in range(rows)] for s in range(v.shape[0])])),
        cols * EPS * (np.abs(v)[:, :, None] * g[None]).sum(2) + 1e-300)


# ====================================================================== symmetry
@given(circuits(cells=("1r",)))
def test_1r_crossbar_is_exactly_odd(case):
    """Claim: a 1R crossbar (linear or sinh memristors, any parasitics) is an odd map:
    solve(−V) = −solve(V) bitwise for every voltage and current, and powers are equal.

    Why exact: every element law is odd (G·V, G·V0·sinh(V/V0)), the Jacobian is even,
    the step limit of the sinh memristor depends on |ΔV| only, the line search on norms,
    and IEEE rounding is symmetric under negation -- so every Newton iterate is negated
    bit for bit.  Tolerance: none.
    """
    spec, v = case
    sol_p = solve(spec, v)
    sol_n = solve(spec, -v)
    for name, x in solution_arrays(sol_p).items():
        y = solution_arrays(sol_n)[name]
        if name.startswith("power") or name in ("total_power", "delivered_power"):
            np.testing.assert_array_equal(y, x, err_msg=name)
        else:
            np.testing.assert_array_equal(y, -x, err_msg=name)


@st.composite
def cutoff_1t1r(draw):
    """1T-1R level-1 crossbars whose transistors stay in cutoff for any node voltage in
    −0.5…0.5 V: V_G <= VTO − GAMMA·sqrt(PHI) − 0.5 V − margin (V_th can never drop below
    VTO − GAMMA·sqrt(PHI), and V_GS <= V_G + 0.5 V), junction IS = 0 (pure gmin)."""
    card = draw(S.level1_cards())
    card = Level1NMOS(**{**{f: getattr(card, f) for f in (
        "vto", "kp", "gamma", "phi", "lambda_", "w", "l", "ld", "gmin", "temperature")}, "junction_is": 0.0})
    spec = draw(crossbar_specs(cells=("1t1r",), transistor=st.just(card)))
    top = card.vto - card.gamma * math.sqrt(card.phi) - S.V_IN_MAX - 1e-3
    gate = draw(S.scalar_or_vector(spec.shape[0], st.floats(top - 1.0, top)))
    return spec.replace(v_gate=gate)


@given(cutoff_1t1r(), st.data())
def test_1t1r_in_cutoff_is_odd(spec, data):
    """Claim: with every transistor in cutoff (gate below VTO − GAMMA·sqrt(PHI) − 0.5 V)
    and junction IS = 0, a 1T-1R crossbar is a network of odd elements (memristors --
    linear or sinh --, wires, gmin to the 0 V body), so solve(−V) = −solve(V).

    Not bitwise: the transistor's step limiter (fetlim/limvds) sees V_GS, which is not
    odd, so the two solves may take different Newton paths to the same solution.
    Tolerance: 1e-9·(|x(V)| + |x(−V)|) + 1e-20 per output (the solver's reltol;
    observed differences are at rounding level).
    """
    v = data.draw(input_batches(spec.shape[0]), label="v_in")
    sol_p = solve(spec, v)
    sol_n = solve(spec, -v)
    for name in ("column_currents", "source_currents", "row_voltages", "column_voltages",
                 "internal_voltages", "cell_currents"):
        x, y = getattr(sol_p, name), getattr(sol_n, name)
        np.testing.assert_array_less(np.abs(x + y), 1e-9 * (np.abs(x) + np.abs(y)) + 1e-20, err_msg=name)


@st.composite
def mirror_cases(draw):
    """Level-1 1T-1R crossbars with GAMMA = 0, junction IS = 0, GMIN = 0, one gate voltage,
    and a uniform input V (every row the same)."""
    card = draw(S.level1_cards())
    card = Level1NMOS(vto=card.vto, kp=card.kp, gamma=0.0, phi=card.phi, lambda_=card.lambda_,
                      w=card.w, l=card.l, ld=card.ld, junction_is=0.0, gmin=0.0)
    spec = draw(crossbar_specs(cells=("1t1r",), transistor=st.just(card)))
    spec = spec.replace(v_gate=draw(st.floats(*S.V_GATE), label="v_gate"))
    v = draw(st.one_of(st.just(0.0), st.floats(-S.V_IN_MAX, S.V_IN_MAX)), label="V")
    return spec, v


def mirror(spec: S.CrossbarSpec, shift: float) -> S.CrossbarSpec:
    """The crossbar seen upside down and from behind: cell (r, k) of the mirror is cell
    (R−1−k, C−1−r) of the original (rows <-> columns, both reversed), drivers <-> sinks,
    row wires <-> column wires, the transistor on the other side, gate raised by ``shift``."""
    kw = spec.kwargs
    return S.CrossbarSpec(spec.conductances[::-1, ::-1].T.copy(), {
        **kw, "r_source": spec.r_sink[::-1].copy(), "r_sink": spec.r_source[::-1].copy(),
        "r_wire_row": spec.r_wire_col, "r_wire_col": spec.r_wire_row,
        "transistor_side": {"row": "column", "column": "row"}[spec.transistor_side],
        "v_gate": float(spec.v_gate[0]) + shift})


@given(mirror_cases())
def test_1t1r_sign_flip_is_the_mirrored_crossbar(case):
    """Claim (exact physics): for a level-1 1T-1R crossbar with GAMMA = 0, IS = 0, GMIN = 0
    (the transistor depends only on V_GS and V_DS, no body terminal current), a scalar
    gate V_G and a uniform input, the solution at input −V equals the solution of the
    mirrored crossbar (see :func:`mirror`, transistor side swapped, gate V_G + V) at
    input +V, shifted down by V, with every current reversed:

        row_v(−V)[i, j] = col_v'(+V)[C−1−j, R−1−i] − V,  col_v likewise with row_v',
        mid(−V)[i, j] = mid'(+V)[C−1−j, R−1−i] − V,
        I_src(−V)[i] = −I_col'(+V)[R−1−i],  I_col(−V)[j] = −I_src'(+V)[C−1−j].

    (Shift every potential by +V -- gate and body included: the element laws see only
    differences -- then turn the array over: drivers become sinks.  The body moves to
    +V too, which is harmless only because GAMMA = IS = GMIN = 0.)  A plain sign flip,
    I(−V) = −I(V), is *not* true for conducting 1T-1R cells (see the example test below).

    Tolerance: voltages 1e-9·max(|V|, max|node V|) + 1e-12 V (the solver's reltol and
    vntol; the shift itself adds only eps·|V|; observed <= 3e-14 relative); currents
    1e-8·(|I| + |I'|) + 1e-14 A (KCL_RTOL, KCL_ATOL) + both solutions' current rounding
    floors (CircuitCheck.current_floor; observed differences <= 3e-16 A).
    """
    spec, v = case
    rows, cols = spec.shape
    sol = solve(spec, np.full((1, rows), -v))
    mspec = mirror(spec, v)
    note(f"mirror: {mspec!r}")
    msol = mspec.build().solve(np.full((1, cols), v))
    floor = (CircuitCheck(spec, np.full((1, rows), -v), sol).current_floor()
             + CircuitCheck(mspec, np.full((1, cols), v), msol).current_floor())
    flip = lambda x: x[:, ::-1, ::-1].transpose(0, 2, 1)  # noqa: E731
    vmax = max(abs(v), np.abs(sol.row_voltages).max(), np.abs(sol.column_voltages).max())
    vtol = 1e-9 * vmax + 1e-12
    for mine, theirs in (("row_voltages", "column_voltages"), ("column_voltages", "row_voltages"),
                         ("internal_voltages", "internal_voltages")):
        np.testing.assert_allclose(getattr(sol, mine), flip(getattr(msol, theirs)) - v, rtol=0, atol=vtol,
                                   err_msg=mine)
    for x, y, name in ((sol.source_currents, -msol.column_currents[:, ::-1], "source/column"),
                       (sol.column_currents, -msol.source_currents[:, ::-1], "column/source"),
                       (sol.cell_currents, -flip(msol.cell_currents), "cell")):
        tol = S.KCL_RTOL * (np.abs(x) + np.abs(y)) + S.KCL_ATOL + floor[0]
        np.testing.assert_array_less(np.abs(x - y), tol,
                                     err_msg=name)


def test_conducting_1t1r_is_not_odd():
    """Why the sign-flip claim above needs the mirror: for a conducting 1T-1R cell the
    transistor's source changes ends when the input changes sign (V_GS = V_G − V_mid
    for +V, V_G + 0.5 V for −V), so |I(−V)| differs from |I(V)| by far more than 1 %."""
    xb = Crossbar(np.array([[1e-4]]), cell="1t1r", v_gate=0.8, transistor=LEVEL1)
    i_p = xb.solve(np.array([0.5])).column_currents[0]
    i_n = xb.solve(np.array([-0.5])).column_currents[0]
    assert i_p > 0 > i_n
    assert abs(i_p + i_n) > 0.01 * abs(i_p)


# ==================================================================== uniqueness
@pytest.mark.filterwarnings("ignore:overflow encountered in multiply:RuntimeWarning")
@given(circuits(), st.integers(0, 2**32 - 1), st.sampled_from([0.5, 2.0, 10.0]))
def test_unique_solution_from_any_initial_guess(case, seed, spread):
    """Newton started from random initial guesses x0 (uniform in ±spread V, shape
    (batch, n_free)) reaches the same operating point as from 0 V.

    (A ±10 V start forward-biases junctions by up to 10 V: the residual reaches ~1e293 A
    and numpy warns of overflow inside ‖F‖₂ in newton.py; the solver treats the
    infinite norm as a failed step and backtracks -- the warning is filtered here.)

    Every element here is an M-element (its current rises with its own terminal
    voltage and falls with the other's; transistors and diodes included), so the DC
    solution is unique and any converged answer must be it.  A ConvergenceError
    from a random start is reported as a failure (the fallbacks must cope).

    Tolerance per node voltage: 1e-8·max|V_in| + 1e-12 V -- two solutions that meet
    KCL to a relative 1e-8 (KCL_RTOL) differ by about that fraction of the voltage
    drops; 1e-12 V is the solver's vntol (observed <= 2e-15 relative).  Currents:
    1e-8·max|I| (KCL_RTOL) + 1e-14 A (KCL_ATOL: the solver's abstol lets any node
    current be ~1e-15 A off, e.g. 7e-43 A instead of 0 at V_in = 0) + both solutions'
    current rounding floors (CircuitCheck.current_floor; observed <= 3e-10·max|I|).
    """
    spec, v_in = case
    xb = spec.build()
    ref = xb.solve(v_in)
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-spread, spread, size=(v_in.shape[0], xb.n_free))
    note(repr(spec))
    note(f"v_in = np.{v_in!r}; x0 seed {seed}, spread {spread}")
    try:
        other = xb.solve(v_in, x0=x0)
        for strategy in set(other.strategy):
            event(f"strategy from random x0: {strategy}")
    except ConvergenceError as exc:  # pragma: no cover - a finding, not an expected path
        pytest.fail(f"ConvergenceError from a random initial guess: {exc}")
    vmax = max(float(np.abs(v_in).max()), 1e-3)
    for name in ("row_voltages", "column_voltages", "internal_voltages"):
        a, b = getattr(ref, name), getattr(other, name)
        if spec.cell == "1r" and name == "internal_voltages":
            continue
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-8 * vmax + 1e-12, err_msg=name)
    floor = (CircuitCheck(spec, v_in, ref).current_floor() + CircuitCheck(spec, v_in, other).current_floor())
    for name in ("column_currents", "source_currents", "cell_currents"):
        a, b = getattr(ref, name), getattr(other, name)
        tol = S.KCL_RTOL * np.abs(a).reshape(len(a), -1).max(axis=1) + S.KCL_ATOL + floor
        diff = np.abs(b - a).reshape(len(a), -1).max(axis=1)
        np.testing.assert_array_less(diff, tol, err_msg=name)


@given(circuits(cells=("1t1r",), parasitics=False), st.integers(0, 2**32 - 1))
def test_1t1r_with_ideal_wires_kcl_and_unique(case, seed):
    """1T-1R crossbars with every parasitic 0 Ω: each internal node sits between two fixed
    terminals, the Jacobian is diagonal and the solver may take its node-by-node fast
    path (strategy "decoupled").  KCL must hold at every internal node (independently
    recomputed, same tolerances as above), and a random start in ±2 V must give the
    same voltages (1e-8·max|V_in| + 1e-12 V, as in the uniqueness test)."""
    spec, v_in = case
    sol = solve(spec, v_in)
    assert_kcl(spec, v_in, sol)
    xb = spec.build()
    x0 = np.random.default_rng(seed).uniform(-2, 2, size=(v_in.shape[0], xb.n_free))
    other = xb.solve(v_in, x0=x0)
    assert_kcl(spec, v_in, other)
    atol = 1e-8 * max(float(np.abs(v_in).max()), 1e-3) + 1e-12
    np.testing.assert_allclose(other.internal_voltages, sol.internal_voltages, rtol=0, atol=atol)


# ======================================================= the checks can fail
def _solved_example():
    spec = S.CrossbarSpec(np.array([[1e-4, 3e-6, 2e-5], [5e-7, 1e-3, 7e-5]]), {
        "cell": "1t1r", "memristor": SinhMemristor(0.3), "transistor": LEVEL1,
        "transistor_side": "column", "v_gate": np.array([1.1, 0.6]), "r_source": np.array([2.0, 0.0]),
        "r_sink": 5.0, "r_wire_row": 1.0, "r_wire_col": 0.0})
    v = np.array([[0.3, -0.2]])
    return spec, v, spec.build().solve(v)


def test_kcl_checker_catches_a_perturbed_node_voltage():
    """The independent KCL check fails when one free node voltage is off by 1e-6 relative
    (shows the tolerances are tight enough to catch a small solver error)."""
    spec, v, sol = _solved_example()
    assert_kcl(spec, v, sol)  # the true solution passes
    sol.internal_voltages[0, 1, 2] *= 1 + 1e-6
    with pytest.raises(AssertionError, match="KCL violated"):
        assert_kcl(spec, v, sol)


def test_kcl_checker_catches_a_wrong_element_law():
    """The checker fails if the circuit it is told about differs slightly from the one
    solved (a memristor 1e-6 relative off) -- it really recomputes every element."""
    spec, v, sol = _solved_example()
    g = spec.conductances.copy()
    g[1, 0] *= 1 + 1e-6
    with pytest.raises(AssertionError, match="KCL violated"):
        assert_kcl(spec.replace(conductances=g), v, sol)
