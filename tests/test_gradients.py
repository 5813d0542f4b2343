"""Gradients of crossbar solutions (xbarsolve.autodiff; the adjoint of xbarsolve._adjoint).

Units inside the gradcheck wrappers: to make every Jacobian entry O(0.01…10)
(so that gradcheck's absolute tolerance means something), conductances enter
in µS, resistances in kΩ, voltages in V, and currents leave in µA.

Tolerances
----------
* gradcheck (float64, eps = 1e-6 in those units): atol = 1e-6, rtol = 1e-5,
  i.e. 100× tighter than torch's default rtol.  The solver converges to
  machine precision (Newton's last, tiny step is applied), so the central
  difference has round-off ≈ 1e-16·|y|/eps ≈ 1e-10 and truncation ≈ eps² ≈
  1e-12; the adjoint uses the Jacobian factored one (≤ 1e-9 relative) step
  before the final iterate, an error ≲ 1e-9 relative.  A missing or wrong term
  (explicit output partial, fixed-terminal coupling, chain rule dR = −g²dg)
  shows up at ≥ 1e-3.
* finite differences on 32×32: 1e-6 relative (the requirement); measured
  agreement is ~1e-10 with a 4th-order (Richardson) central difference.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from xbarsolve import Bsim4NMOS, Crossbar, LinearMemristor, NewtonOptions, SinhMemristor
from xbarsolve.autodiff import CrossbarLayer, NotDifferentiableError, crossbar_currents
from xbarsolve.linear_solvers import KrylovPlan

try:  # written concurrently; picked up as soon as it imports
    from xbarsolve.devices.bsim import BsimLikeNMOS
    _BSIM = pytest.param(BsimLikeNMOS(), id="bsim")
except Exception:  # pragma: no cover - depends on the checkout
    _BSIM = pytest.param(None, id="bsim", marks=pytest.mark.skip(reason="xbarsolve.devices.bsim unavailable"))

F64 = dict(dtype=torch.float64)
GRADCHECK = dict(eps=1e-6, atol=1e-6, rtol=1e-5)
CURRENT_OUTPUTS = ("column_currents", "source_currents", "cell_currents", "cell_output_currents")

CELLS = [pytest.param(("1r", None, None), id="1r"),
         pytest.param(("1t1r", "row", Crossbar.DEFAULT_TRANSISTOR), id="1t1r-row-level1"),
         pytest.param(("1t1r", "column", Crossbar.DEFAULT_TRANSISTOR), id="1t1r-col-level1")]
for _side in ("row", "column"):
    _model = _BSIM.values[0]
    CELLS.append(pytest.param(("1t1r", _side, _model), id=f"1t1r-{_side[:3]}-bsim", marks=_BSIM.marks))
# the published PTM 45 nm LP card as written (gate tunnelling, GIDL, junctions, ... all on), at 85 C,
# with diffusion resistances (NRS, NRD: internal source/drain nodes solved inside the element)
_CARDS = Path(__file__).resolve().parent.parent / "validation" / "cards"
PTM_LP = Bsim4NMOS.from_card(_CARDS / "ptm45_lp.pm", w=1e-6, l=45e-9, nrs=1.0, nrd=1.0, temperature=358.15)
for _side in ("row", "column"):
    CELLS.append(pytest.param(("1t1r", _side, PTM_LP), id=f"1t1r-{_side[:3]}-ptm45lp"))
MEMRISTORS = [pytest.param(LinearMemristor(), id="linear"), pytest.param(SinhMemristor(v0=0.25), id="sinh")]
PARASITICS = ["ideal", "all", "mixed"]


def _build(cell, side, transistor, memristor, parasitics, rows, cols, rng):
    """A random small crossbar and the gradcheck inputs (scaled units, see module docstring)."""
    compiled = {
        "ideal": {},
        "all": dict(r_source=rng.uniform(200, 2000, rows), r_sink=rng.uniform(200, 2000, cols),
                    r_wire_row=150.0, r_wire_col=250.0),
        # row 0's driver merged with its row wire, every row wire merged, column wires and sinks resistive
        "mixed": dict(r_source=np.r_[0.0, rng.uniform(200, 2000, rows - 1)], r_sink=700.0, r_wire_col=150.0),
    }[parasitics]
    xb = Crossbar(rng.uniform(5e-6, 2e-5, (rows, cols)), cell=cell, transistor_side=side,
                  transistor=transistor, memristor=memristor, **compiled)
    inputs = {"v_in": torch.tensor(rng.uniform(0.05, 0.3, (2, rows)), requires_grad=True, **F64),
              "conductances": torch.tensor(rng.uniform(5, 20, (rows, cols)), requires_grad=True, **F64)}
    if cell == "1t1r":
        inputs["v_gate"] = torch.tensor(rng.uniform(0.9, 1.2, rows), requires_grad=True, **F64)
    constants = {}
    if parasitics == "all":
        inputs.update(r_source=torch.tensor(compiled["r_source"] / 1e3, requires_grad=True, **F64),
                      r_sink=torch.tensor(compiled["r_sink"] / 1e3, requires_grad=True, **F64),
                      r_wire_row=torch.tensor(0.15, requires_grad=True, **F64),
                      r_wire_col=torch.tensor(0.25, requires_grad=True, **F64))
    elif parasitics == "mixed":  # gradients only for the resistive (non-merged) parasitics
        constants["r_source"] = compiled["r_source"]
        inputs.update(r_sink=torch.tensor(0.7, requires_grad=True, **F64),
                      r_wire_col=torch.tensor(0.15, requires_grad=True, **F64))
    return xb, inputs, constants


def _scaled(xb, names, constants, outputs):
    """f(*inputs in scaled units) -> outputs (currents in µA, voltages in V)."""
    def f(*tensors):
        kw = dict(constants)
        for name, t in zip(names, tensors):
            kw[name] = t * 1e-6 if name == "conductances" else t * 1e3 if name.startswith("r_") else t
        v_in = kw.pop("v_in")
        ys = crossbar_currents(xb, v_in, outputs=outputs, **kw)
        return tuple(y * 1e6 if n in CURRENT_OUTPUTS else y for n, y in zip(outputs, ys))
    return f


@pytest.mark.parametrize("parasitics", PARASITICS)
@pytest.mark.parametrize("memristor", MEMRISTORS)
@pytest.mark.parametrize("cell", CELLS)
def test_gradcheck_matrix(cell, memristor, parasitics):
    """gradcheck (float64) of every output w.r.t. inputs, conductances, gates and parasitics."""
    cell_type, side, transistor = cell
    key = f"{cell_type}-{side}-{type(transistor).__name__}-{type(memristor).__name__}-{parasitics}"
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    rows, cols = (2, 3) if parasitics != "all" else (3, 2)
    xb, inputs, constants = _build(cell_type, side, transistor, memristor, parasitics, rows, cols, rng)
    outputs = CURRENT_OUTPUTS + ("row_voltages", "column_voltages")
    if cell_type == "1t1r":
        outputs += ("internal_voltages",)
    f = _scaled(xb, list(inputs), constants, outputs)
    assert torch.autograd.gradcheck(f, tuple(inputs.values()), **GRADCHECK)


@pytest.mark.parametrize("parasitics", ["ideal", "all"])
@pytest.mark.parametrize("cell", CELLS[1:])
def test_gradcheck_gate_lines_along_columns(cell, parasitics):
    """Gate lines along the columns (one v_gate per column): gradcheck of every output with
    respect to inputs, conductances, the per-column gates and the parasitics."""
    _, side, transistor = cell
    key = f"columns-{side}-{type(transistor).__name__}-{parasitics}"
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    rows, cols = 3, 2
    compiled = {} if parasitics == "ideal" else dict(r_source=rng.uniform(200, 2000, rows),
                                                     r_sink=rng.uniform(200, 2000, cols), r_wire=150.0)
    xb = Crossbar(rng.uniform(5e-6, 2e-5, (rows, cols)), transistor_side=side, transistor=transistor,
                  gate_lines="columns", v_gate=rng.uniform(0.9, 1.2, cols), **compiled)
    inputs = {"v_in": torch.tensor(rng.uniform(0.05, 0.3, (2, rows)), requires_grad=True, **F64),
              "conductances": torch.tensor(rng.uniform(5, 20, (rows, cols)), requires_grad=True, **F64),
              "v_gate": torch.tensor(rng.uniform(0.9, 1.2, cols), requires_grad=True, **F64)}
    if parasitics == "all":
        inputs.update(r_sink=torch.tensor(compiled["r_sink"] / 1e3, requires_grad=True, **F64),
                      r_wire_row=torch.tensor(0.15, requires_grad=True, **F64))
    outputs = CURRENT_OUTPUTS + ("row_voltages", "internal_voltages")
    f = _scaled(xb, list(inputs), {}, outputs)
    assert torch.autograd.gradcheck(f, tuple(inputs.values()), **GRADCHECK)
    layer = CrossbarLayer(xb, trainable=("v_gate",))
    assert layer.v_gate.shape == (cols,)
    layer(inputs["v_in"].detach()).sum().backward()
    assert layer.v_gate.grad.shape == (cols,) and torch.all(layer.v_gate.grad != 0)


def test_gradcheck_single_vector_and_scalar_parameters():
    """1-D v_in (no batch axis) and scalar v_gate / r_source / r_sink tensors."""
    rng = np.random.default_rng(7)
    xb = Crossbar(rng.uniform(5e-6, 2e-5, (3, 2)), cell="1t1r", transistor_side="column",
                  r_source=300.0, r_sink=500.0, r_wire=100.0)
    inputs = {"v_in": torch.tensor(rng.uniform(0.05, 0.3, 3), requires_grad=True, **F64),
              "conductances": torch.tensor(rng.uniform(5, 20, (3, 2)), requires_grad=True, **F64),
              "v_gate": torch.tensor(1.1, requires_grad=True, **F64),
              "r_source": torch.tensor(0.3, requires_grad=True, **F64),
              "r_sink": torch.tensor(0.5, requires_grad=True, **F64)}
    f = _scaled(xb, list(inputs), {}, ("column_currents",))
    assert f(*inputs.values())[0].shape == (2,)
    assert torch.autograd.gradcheck(f, tuple(inputs.values()), **GRADCHECK)


@pytest.mark.parametrize("linear_solver", ["lu", "superlu", "krylov"])
@pytest.mark.parametrize("wires", ["ideal", "resistive"])
def test_gradcheck_solver_backends(linear_solver, wires):
    """The adjoint is exact whichever solver Newton used: sparse LU, SuperLU, GMRES (whose adjoint
    is a transposed GMRES solve), or the decoupled (diagonal) fast path that ideal-wire 1T-1R
    crossbars take."""
    rng = np.random.default_rng(11)
    r = dict(r_source=300.0, r_sink=500.0, r_wire=100.0) if wires == "resistive" else {}
    options = NewtonOptions(linear_solver=linear_solver, decoupled_fast_path=True)
    xb = Crossbar(rng.uniform(5e-6, 2e-5, (2, 3)), cell="1t1r", options=options, **r)
    inputs = {"v_in": torch.tensor(rng.uniform(0.05, 0.3, (2, 2)), requires_grad=True, **F64),
              "conductances": torch.tensor(rng.uniform(5, 20, (2, 3)), requires_grad=True, **F64),
              "v_gate": torch.tensor(rng.uniform(0.9, 1.2, 2), requires_grad=True, **F64)}
    f = _scaled(xb, list(inputs), {}, ("column_currents", "internal_voltages"))
    assert torch.autograd.gradcheck(f, tuple(inputs.values()), **GRADCHECK)
    expected = "decoupled" if wires == "ideal" else "newton"
    assert xb.solve(inputs["v_in"].detach().numpy()).strategy == [expected, expected]


# ------------------------------------------------------------------ finite differences, 32 × 32
def test_finite_differences_32x32_with_parasitics():
    """Directional derivatives of a random loss agree with central differences to 1e-6 relative.

    32×32 1T-1R (Level-1 NMOS, transistor on the row side) with source, sink and
    wire resistances, batch 2; three random directions through all of v_in,
    conductances, v_gate and the four parasitics at once, each component
    scaled by its own magnitude.  Central difference with Richardson
    extrapolation (steps h and h/2, h = 1e-4 relative): truncation error
    O(h⁴) ≈ 1e-16·f⁽⁵⁾, round-off ≈ 1e-16/h ≈ 1e-12.
    """
    rng = np.random.default_rng(2024)
    n = 32
    base = dict(v_in=rng.uniform(0.1, 0.4, (2, n)), conductances=rng.uniform(2e-6, 5e-5, (n, n)),
                v_gate=rng.uniform(0.9, 1.3, n), r_source=rng.uniform(10, 30, n),
                r_sink=rng.uniform(20, 40, n), r_wire_row=np.array(2.5), r_wire_col=np.array(3.0))
    xb = Crossbar(base["conductances"], cell="1t1r", v_gate=base["v_gate"], r_source=base["r_source"],
                  r_sink=base["r_sink"], r_wire_row=2.5, r_wire_col=3.0)
    weights = rng.standard_normal((2, n))

    def loss(values):
        kw = {k: torch.as_tensor(v) for k, v in values.items()}
        return float((crossbar_currents(xb, **kw).numpy() * weights).sum())

    tensors = {k: torch.tensor(v, requires_grad=True, **F64) for k, v in base.items()}
    (crossbar_currents(xb, **tensors) * torch.as_tensor(weights)).sum().backward()
    for _ in range(3):
        d = {k: rng.standard_normal(np.shape(v)) * np.abs(v) for k, v in base.items()}
        analytic = sum(float((tensors[k].grad.numpy() * d[k]).sum()) for k in base)

        def at(h):
            return loss({k: base[k] + h * d[k] for k in base})

        h = 1e-4
        fd = (8.0 * (at(h / 2) - at(-h / 2)) - (at(h) - at(-h))) / (6.0 * h)
        assert abs(fd - analytic) <= 1e-6 * abs(analytic), (fd, analytic)


# ------------------------------------------------------------------------- semantics
def _crossbar_1t1r(rng, rows=3, cols=4, **kw):
    defaults = dict(cell="1t1r", r_source=50.0, r_sink=80.0, r_wire=5.0)
    defaults.update(kw)
    return Crossbar(rng.uniform(5e-6, 3e-5, (rows, cols)), **defaults)


def test_forward_matches_crossbar_solve():
    """Every output equals Crossbar.solve's (same core), with conductance and gate overrides."""
    rng = np.random.default_rng(1)
    xb = _crossbar_1t1r(rng, transistor_side="column")
    v = rng.uniform(0.0, 0.4, (3, 3))
    g = rng.uniform(5e-6, 3e-5, (3, 4))
    vg = rng.uniform(0.8, 1.2, 3)
    names = ("column_currents", "source_currents", "cell_currents", "row_voltages", "column_voltages",
             "internal_voltages")
    ys = crossbar_currents(xb, torch.tensor(v), conductances=torch.tensor(g), v_gate=torch.tensor(vg),
                           outputs=names)
    ref = xb.solve(v, conductances=g, v_gate=vg)
    expected = (ref.column_currents, ref.source_currents, ref.cell_currents, ref.row_voltages,
                ref.column_voltages, ref.internal_voltages)
    for name, y, e in zip(names, ys, expected):
        np.testing.assert_allclose(y.numpy(), e, rtol=1e-12, atol=1e-20, err_msg=name)


def test_resistance_override_matches_recompiled_crossbar():
    """Replacing resistances per solve (Crossbar.solve and crossbar_currents) without recompiling
    equals compiling with the new values."""
    rng = np.random.default_rng(2)
    g = rng.uniform(5e-6, 3e-5, (3, 4))
    v = rng.uniform(0.0, 0.4, (2, 3))
    old = Crossbar(g, cell="1t1r", r_source=[10.0, 20.0, 0.0], r_sink=30.0, r_wire_row=2.0, r_wire_col=3.0)
    new = dict(r_source=np.array([15.0, 5.0, 0.0]), r_sink=np.array([40.0, 35.0, 30.0, 20.0]),
               r_wire_row=4.0, r_wire_col=1.5)
    ref = Crossbar(g, cell="1t1r", **new).solve(v).column_currents
    np.testing.assert_allclose(old.solve(v, **new).column_currents, ref, rtol=1e-12)
    np.testing.assert_allclose(crossbar_currents(old, torch.tensor(v), **new).numpy(), ref, rtol=1e-12)
    # the compiled crossbar itself is untouched
    np.testing.assert_allclose(crossbar_currents(old, torch.tensor(v)).numpy(), old.solve(v).column_currents,
                               rtol=1e-12)
    with pytest.raises(ValueError, match="was 0 Ω when the crossbar was compiled"):
        old.solve(v, r_source=[15.0, 5.0, 1.0])


@pytest.mark.parametrize("name, compiled, value, match", [
    ("r_source", [10.0, 0.0], [10.0, 5.0], "was 0 Ω when the crossbar was compiled"),
    ("r_sink", 30.0, 0.0, "0 Ω would merge its nodes"),
    ("r_wire_row", 0.0, 1.0, "merged"),
    ("r_wire_col", 2.0, [1.0, 2.0], "must be a scalar"),
])
def test_resistance_override_topology_errors(name, compiled, value, match):
    """A 0 Ω (merged) resistance cannot become non-zero without recompiling, nor vice versa."""
    xb = Crossbar(np.full((2, 2), 1e-5), cell="1r", **{name: compiled})
    with pytest.raises(ValueError, match=match):
        crossbar_currents(xb, torch.full((2,), 0.2, **F64), **{name: torch.tensor(value, **F64)})


def test_zero_ohm_gradient_is_refused_before_solving(monkeypatch):
    """Requesting dL/dR at R = 0 Ω raises NotDifferentiableError naming the entry, before any solve."""
    xb = Crossbar(np.full((2, 3), 1e-5), cell="1r", r_source=[0.0, 10.0], r_sink=5.0)
    calls = []
    monkeypatch.setattr(xb.linear_solver, "init", lambda *a: calls.append(a))
    v = torch.full((2,), 0.2, **F64)
    with pytest.raises(NotDifferentiableError, match=r"r_source\[0\] is 0 Ω.*merges"):
        crossbar_currents(xb, v, r_source=torch.tensor([0.0, 10.0], requires_grad=True, **F64))
    with pytest.raises(NotDifferentiableError, match="r_wire_row is 0 Ω"):  # compiled value 0, no override
        crossbar_currents(xb, v, r_wire_row=torch.tensor(0.0, requires_grad=True, **F64))
    with pytest.raises(NotDifferentiableError, match="0 Ω"):
        CrossbarLayer(xb, trainable=("conductances", "r_wire_col"))
    assert calls == []


def test_not_differentiable_requests():
    """Gates of a passive crossbar, x0 and unknown outputs give clear errors."""
    xb = Crossbar(np.full((2, 2), 1e-5), cell="1r")
    v = torch.full((2, 2), 0.2, **F64)
    with pytest.raises(NotDifferentiableError, match="passive 1R"):
        crossbar_currents(xb, v, v_gate=torch.tensor(1.0, requires_grad=True, **F64))
    with pytest.raises(NotDifferentiableError, match="initial guess"):
        crossbar_currents(xb, v, x0=torch.zeros((2, xb.n_free), requires_grad=True, **F64))
    with pytest.raises(ValueError, match="needs 1T-1R"):
        crossbar_currents(xb, v, outputs="internal_voltages")
    with pytest.raises(ValueError, match="unknown output"):
        crossbar_currents(xb, v, outputs=("column_currents", "power"))
    with pytest.raises(ValueError, match="must not repeat"):
        crossbar_currents(xb, v, outputs=("column_currents", "column_currents"))
    with pytest.raises(ValueError, match="cannot train"):
        CrossbarLayer(xb, trainable=("v_in",))


def test_non_finite_upstream_gradient():
    """NaN / inf cotangents raise ValueError instead of silently poisoning parameters."""
    xb = _crossbar_1t1r(np.random.default_rng(3))
    g = torch.tensor(xb.conductances, requires_grad=True)
    for bad in (float("nan"), float("inf")):
        i = crossbar_currents(xb, torch.full((2, 3), 0.2, **F64), conductances=g)
        upstream = torch.ones_like(i)
        upstream[1, 2] = bad
        with pytest.raises(ValueError, match="upstream gradient of 'column_currents'"):
            i.backward(upstream)


def test_backward_reuses_the_newton_factorization(monkeypatch):
    """With the LU solver, backward is one batched transpose solve with the factors Newton kept:
    no factorization."""
    rng = np.random.default_rng(4)
    xb = _crossbar_1t1r(rng, options=NewtonOptions(linear_solver="lu"))
    g = torch.tensor(xb.conductances, requires_grad=True)
    i = crossbar_currents(xb, torch.full((3, 3), 0.2, **F64), conductances=g)
    factorized, solves = [], []
    plan = xb.linear_solver
    monkeypatch.setattr(plan, "init", lambda *a: factorized.append(a))
    original = plan.solve
    monkeypatch.setattr(plan, "solve", lambda state, rhs, transpose=False:
                        solves.append((state.batch, transpose)) or original(state, rhs, transpose=transpose))
    i.sum().backward()
    assert factorized == [] and solves == [(3, True)]


def test_backward_by_gmres_is_one_batched_transpose_solve(monkeypatch):
    """With the Krylov solver (the default), backward solves Jᵀλ for the whole batch in one
    transposed GMRES call on the kept Jacobians: no factorization, no LU fallback."""
    xb = _crossbar_1t1r(np.random.default_rng(4))
    plan = xb.linear_solver
    assert isinstance(plan, KrylovPlan)
    g = torch.tensor(xb.conductances, requires_grad=True)
    i = crossbar_currents(xb, torch.full((3, 3), 0.2, **F64), conductances=g)
    factorized, calls = [], []
    monkeypatch.setattr(plan, "init", lambda *a: factorized.append(a))
    original = plan.solve
    monkeypatch.setattr(plan, "solve", lambda state, rhs, transpose=False:
                        calls.append((state.batch, transpose)) or original(state, rhs, transpose=transpose))
    i.sum().backward()
    assert factorized == [] and calls == [(3, True)]
    assert plan.stats["lu_fallbacks"] == 0


def test_batch_gradients_sum_shared_parameters():
    """Parameter gradients of a batch are the sums of per-sample gradients; v_in's stay per sample."""
    rng = np.random.default_rng(5)
    xb = _crossbar_1t1r(rng)
    v = rng.uniform(0.05, 0.4, (3, 3))
    w = torch.tensor(rng.standard_normal((3, 4)))

    def grads(v_batch, w_batch):
        g = torch.tensor(xb.conductances, requires_grad=True)
        vg = torch.tensor(1.0, requires_grad=True, **F64)
        rs = torch.tensor(xb.r_sink, requires_grad=True)
        vt = torch.tensor(v_batch, requires_grad=True)
        (crossbar_currents(xb, vt, conductances=g, v_gate=vg, r_sink=rs) * w_batch).sum().backward()
        return g.grad, vg.grad, rs.grad, vt.grad

    whole = grads(v, w)
    parts = [grads(v[s:s + 1], w[s:s + 1]) for s in range(3)]
    for k in range(3):
        torch.testing.assert_close(whole[k], sum(p[k] for p in parts), rtol=1e-10, atol=0)
    torch.testing.assert_close(whole[3], torch.cat([p[3] for p in parts]), rtol=1e-10, atol=0)


def test_float32_inputs_give_float32_outputs_and_gradients():
    """float32 in -> float64 solve -> float32 out; gradients agree with float64 to float32 rounding.

    Tolerance 1e-5 relative: the float32 inputs differ from the float64 ones
    by ≤ 6e-8 relative and outputs/gradients are rounded to float32 (6e-8).
    """
    rng = np.random.default_rng(6)
    xb = _crossbar_1t1r(rng, transistor_side="column")
    v = rng.uniform(0.05, 0.4, (2, 3)).astype(np.float32)
    g = xb.conductances.astype(np.float32)
    out = {}
    for dtype in (torch.float32, torch.float64):
        vt = torch.tensor(v, dtype=dtype, requires_grad=True)
        gt = torch.tensor(g, dtype=dtype, requires_grad=True)
        rt = torch.tensor(50.0, dtype=dtype, requires_grad=True)
        i = crossbar_currents(xb, vt, conductances=gt, r_source=rt)
        assert i.dtype == dtype
        i.sum().backward()
        assert vt.grad.dtype == gt.grad.dtype == rt.grad.dtype == dtype
        out[dtype] = (i, vt.grad, gt.grad, rt.grad)
    for a, b in zip(out[torch.float32], out[torch.float64]):
        np.testing.assert_allclose(a.detach().double().numpy(), b.detach().numpy(), rtol=1e-5)


def test_no_free_nodes_and_unused_outputs():
    """An ideal passive crossbar (every node fixed) differentiates through explicit terms only."""
    xb = Crossbar(np.array([[1e-5, 2e-5], [3e-5, 4e-5]]), cell="1r")
    assert xb.n_free == 0
    v = torch.tensor([[0.1, 0.2]], requires_grad=True, **F64)
    g = torch.tensor(xb.conductances, requires_grad=True)
    i, src = crossbar_currents(xb, v, conductances=g, outputs=("column_currents", "source_currents"))
    i.sum().backward()  # src unused: its cotangent is zero
    np.testing.assert_allclose(g.grad.numpy(), np.repeat([[0.1], [0.2]], 2, axis=1), rtol=1e-15)
    np.testing.assert_allclose(v.grad.numpy(), [xb.conductances.sum(axis=1)], rtol=1e-15)


def test_layer_trains_conductances():
    """CrossbarLayer exposes conductances as a Parameter; one Adam step lowers a calibration loss."""
    rng = np.random.default_rng(8)
    xb = _crossbar_1t1r(rng, rows=4, cols=3)
    layer = CrossbarLayer(xb)
    assert [n for n, _ in layer.named_parameters()] == ["conductances"]
    v = torch.tensor(rng.uniform(0.05, 0.3, (6, 4)))
    target = v @ torch.tensor(xb.conductances)  # ideal V·G
    opt = torch.optim.Adam(layer.parameters(), lr=2e-7)  # first Adam step: ±0.2 µS per cell
    losses = []
    for _ in range(2):
        opt.zero_grad()
        loss = ((layer(v) - target) ** 2).sum()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[1] < losses[0]


def test_layer_warm_start_gives_the_same_solution():
    """Warm-started solves (previous node voltages as x0) converge to the cold-start answer.

    Tolerance 1e-9 relative: both satisfy the Newton criteria (reltol 1e-9 on
    node voltages; the final step is applied, so far tighter in practice).
    """
    rng = np.random.default_rng(9)
    xb = _crossbar_1t1r(rng)
    warm = CrossbarLayer(xb, warm_start=True)
    v1, v2 = (torch.tensor(rng.uniform(0.05, 0.3, (4, 3))) for _ in range(2))
    warm(v1)
    with torch.no_grad():
        warm.conductances.mul_(1.1)
    got = warm(v2)
    cold = crossbar_currents(xb, v2, conductances=warm.conductances.detach())
    torch.testing.assert_close(got, cold, rtol=1e-9, atol=0)


# ------------------------------------------------------------------------- issue 17
def test_boolean_tensors_are_refused_as_boolean_arrays_are():
    """Issue 17 item 3: bool tensors were read as 1 V / 1 S; numpy booleans are refused."""
    xb = Crossbar(np.full((2, 2), 1e-5), cell="1r")
    with pytest.raises(TypeError, match="v_in must be a number or array of numbers, got booleans"):
        crossbar_currents(xb, torch.tensor([True, False]))
    with pytest.raises(TypeError, match="conductances must be a number or array of numbers, got booleans"):
        crossbar_currents(xb, torch.tensor([0.1, 0.2]), conductances=torch.ones((2, 2), dtype=torch.bool))
    # integer tensors are numbers, as integer arrays are
    np.testing.assert_allclose(crossbar_currents(xb, torch.tensor([1, 0])).numpy(), [1e-5, 1e-5], rtol=1e-15)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_inputs_give_float32_outputs(dtype):
    """Issue 17 item 3: float16 outputs in amperes underflowed (0 A at 1 mV on a 4x4 1R array).
    Outputs are float32 for half-precision inputs, equal to the float64 solve of the same (rounded)
    inputs to float32 rounding (1e-6 relative); gradients keep the inputs' dtype."""
    xb = Crossbar(np.full((4, 4), 1e-5), cell="1r")
    for volts in (1e-3, 1e-2):
        v = torch.full((2, 4), volts, dtype=dtype, requires_grad=True)
        i = crossbar_currents(xb, v)
        assert i.dtype == torch.float32
        exact = xb.solve(v.detach().double().numpy()).column_currents
        np.testing.assert_allclose(i.detach().double().numpy(), exact, rtol=1e-6)
        assert (i > 0).all()
        i.sum().backward()
        assert v.grad.dtype == dtype


def test_empty_batch_like_nn_linear():
    """Issue 17 item 5: an empty batch works where torch.nn.Linear accepts one."""
    xb = _crossbar_1t1r(np.random.default_rng(10))
    g = torch.tensor(xb.conductances, requires_grad=True)
    v = torch.zeros((0, 3), requires_grad=True, **F64)
    i = crossbar_currents(xb, v, conductances=g)
    assert i.shape == (0, 4)
    i.sum().backward()
    assert v.grad.shape == (0, 3) and torch.all(g.grad == 0)
    assert CrossbarLayer(xb, warm_start=True)(torch.zeros((0, 3), **F64)).shape == (0, 4)


def test_layer_trainable_given_as_one_name():
    """Issue 17 item 7: trainable="conductances" was read as the characters of the string."""
    xb = _crossbar_1t1r(np.random.default_rng(11))
    assert [n for n, _ in CrossbarLayer(xb, trainable="conductances").named_parameters()] == ["conductances"]
    assert [n for n, _ in CrossbarLayer(xb, trainable="v_gate").named_parameters()] == ["v_gate"]


def test_double_backward_is_refused_clearly():
    """Issue 17 item 7: backward(create_graph=True) silently returned a gradient without grad_fn."""
    xb = _crossbar_1t1r(np.random.default_rng(12))
    g = torch.tensor(xb.conductances, requires_grad=True)
    i = crossbar_currents(xb, torch.full((2, 3), 0.2, **F64), conductances=g)
    with pytest.raises(NotDifferentiableError, match="double backward"):
        torch.autograd.grad(i.sum(), g, create_graph=True)
    (grad,) = torch.autograd.grad(i.sum(), g)  # first order still works
    assert grad.shape == g.shape
