"""Invalid inputs and the errors they get: one test per row of docs/bad_inputs.md.

ROWS: each invalid input is rejected cleanly; the test asserts the exception type and a
fragment of its message.  Inputs once accepted silently, answered wrongly or rejected late
(listed in docs/bad_inputs.md) are now ordinary rows.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from xbarsolve import (BsimLikeNMOS, Crossbar, ConvergenceError, Level1NMOS, LinearMemristor, NewtonOptions,
                       Resistor, SinhMemristor)
from xbarsolve.devices.bsim4 import Bsim4NMOS, UnsupportedModelError
from xbarsolve.devices.bsim4.card import CardError
from xbarsolve.linear_solvers import KrylovSolver
from xbarsolve.spice import parse_model_card

G = np.full((2, 3), 1e-5)  # 2 rows, 3 columns
V = np.array([0.3, 0.2])
SINH_HARD = dict(cell="1r", memristor=SinhMemristor(0.1), r_wire=1000.0)  # needs gmin stepping at 10 V


def xb():
    return Crossbar(G)  # 1T-1R, ideal wires


def xb_1r():
    return Crossbar(G, cell="1r")


def n_free():
    return xb().n_free


def _strict_warnings(call):
    """Run ``call`` with every warning an error (no stray numpy warning before the error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


# (id, call, exception type, message fragment)
def _krylov_without_sides():
    """A compiled netlist whose graph has no ``side`` labels, solved with the Krylov solver.

    White-box: every Crossbar has sides; only a hand-made graph, compiled by the internal
    graph compiler, lacks them."""
    import networkx as nx

    from xbarsolve.devices import Resistor
    from xbarsolve._netlist import compile_netlist

    graph = nx.MultiDiGraph()
    graph.add_node("in", fixed=("input", 0))
    graph.add_node("gnd", fixed=("voltage", 0.0))
    graph.add_edge("in", "x", model=Resistor(), values={"resistance": 1e3})
    graph.add_edge("x", "gnd", model=Resistor(), values={"resistance": 1e3})
    return NewtonOptions(linear_solver="krylov").linear_solver.analyse(compile_netlist(graph).pattern)


_HP = os.path.join(os.path.dirname(__file__), "..", "validation", "cards", "ptm45_hp.pm")

ROWS = [
    # ------------------------------------------------------------ BSIM4 cards
    ("card without .model", lambda: parse_model_card("M1 d g s 0 nch W=1u L=45n\n"), ValueError,
     "no .model card found"),
    ("PMOS card", lambda: Bsim4NMOS.from_card(".model p pmos level=54 vth0=-0.4", w=1e-6, l=45e-9), CardError,
     "only PMOS cards found (p (pmos)): xbarsolve's BSIM4 models NMOS transistors"),
    ("level 49 card", lambda: Bsim4NMOS.from_card(".model n nmos level=49 vth0=0.4", w=1e-6, l=45e-9), CardError,
     "line 1: .model n has level=49: not a BSIM4 card (BSIM4 is level 54 or 14)"),
    ("card value not a number", lambda: parse_model_card(".model n nmos level=54\n+ u0=abc\n"), CardError,
     "line 2: U0 in .model n: not a SPICE number: 'abc'"),
    ("card parameter twice", lambda: parse_model_card(".model n nmos level=54 vth0=0.4\n+ k1=0.5 vth0=0.5\n"),
     CardError, "line 2: VTH0 given twice in .model n: line 1 and line 2"),
    ("instance L negative", lambda: parse_model_card(".model n nmos level=54\nM1 d g s 0 n W=1u L=-45n\n"),
     CardError, "line 2: instance parameter L = -4.5e-08 must be positive"),
    ("instance W below WMIN",
     lambda: parse_model_card(".model n nmos level=54 wmin=1u wmax=10u\nM1 d g s 0 n W=0.5u L=45n\n"), CardError,
     "line 2: W = 5e-07 m is below WMIN = 1e-06 m of card n"),
    ("unknown card parameter", lambda: parse_model_card(".model n nmos level=54 vthx=0.4"), CardError,
     "line 1: unknown BSIM4 parameter VTHX in .model n (did you mean VTHO, VTH0?)"),
    ("unknown instance keyword", lambda: Bsim4NMOS.from_card(_HP, w=1e-6, l=45e-9, wdith=1), ValueError,
     "unknown BSIM4 instance parameter 'wdith'"),
    ("unimplemented RGATEMOD",
     lambda: Bsim4NMOS.from_card(open(_HP).read().replace("rgatemod= 1", "rgatemod= 2", 1), name="nmos",
                                 w=1e-6, l=45e-9), UnsupportedModelError,
     "card nmos: RGATEMOD = 2 is not implemented in xbarsolve's BSIM4 DC model (implemented: 0, 1); line 9"),
    ("stress effect on",
     lambda: Bsim4NMOS.from_card(".model n nmos level=54 saref=1e-6 sbref=1e-6 ku0=1e-6", w=1e-6, l=45e-9,
                                 sa=2e-6, sb=2e-6), UnsupportedModelError,
     "switch on the layout-dependent stress effect (chapter 14; KU0 = 1e-06), which xbarsolve's BSIM4 DC model "
     "does not implement"),
    ("card not text", lambda: Bsim4NMOS.from_card(12, w=1e-6, l=45e-9), TypeError,
     "expected SPICE text (str) or a path (str or os.PathLike) to a card file, got int"),
    # ------------------------------------------------------------ Crossbar(...)
    ("conductances negative", lambda: Crossbar(-G), ValueError, "conductances must be >= 0"),
    ("conductances NaN", lambda: Crossbar(np.full((2, 3), np.nan)), ValueError,
     "conductances must be finite (no NaN or infinity)"),
    ("conductances inf", lambda: Crossbar(np.full((2, 3), np.inf)), ValueError,
     "conductances must be finite (no NaN or infinity)"),
    ("conductances 1-D", lambda: Crossbar(np.full(3, 1e-5)), ValueError,
     "conductances must be a non-empty 2-D array (rows, cols), got shape (3,)"),
    ("conductances 3-D", lambda: Crossbar(np.full((1, 2, 3), 1e-5)), ValueError,
     "got shape (1, 2, 3)"),
    ("conductances empty", lambda: Crossbar(np.zeros((0, 3))), ValueError, "non-empty 2-D array"),
    ("conductances scalar", lambda: Crossbar(1e-5), ValueError, "got shape ()"),
    ("conductances string", lambda: Crossbar("1e-5"), TypeError,
     "conductances must be a number or array of numbers, got str"),
    ("conductances None", lambda: Crossbar(None), TypeError, "got NoneType"),
    ("conductances non-numeric strings", lambda: Crossbar([["a", "b"]]), TypeError,
     "conductances must be a number or array of numbers, got list"),
    ("conductances ragged list", lambda: Crossbar([[1e-5], [1e-5, 2e-5]]), TypeError, "got list"),
    ("conductances dict", lambda: Crossbar({"g": 1e-5}), TypeError, "got dict"),
    ("conductances complex", lambda: _strict_warnings(lambda: Crossbar(G * (1 + 1e-3j))), TypeError,
     "conductances must be real-valued, got complex numbers"),
    ("conductances as numeric strings", lambda: Crossbar([["1e-5", "2e-5"]]), TypeError,
     "conductances must be a number or array of numbers, got strings"),
    ("conductances as booleans", lambda: Crossbar(np.ones((2, 2), dtype=bool)), TypeError,
     "conductances must be a number or array of numbers, got booleans"),
    ("cell unknown", lambda: Crossbar(G, cell="2t2r"), ValueError,
     "cell must be one of ('1t1r', '1r'), got '2t2r'"),
    ("cell None (wrong type)", lambda: Crossbar(G, cell=None), TypeError, "cell must be a string"),
    ("transistor_side unknown", lambda: Crossbar(G, transistor_side="gate"), ValueError,
     "transistor_side must be one of ('row', 'column'), got 'gate'"),
    ("transistor_side int (wrong type)", lambda: Crossbar(G, transistor_side=3), TypeError,
     "transistor_side must be a string"),
    ("transistor_side given for 1R cells", lambda: Crossbar(G, cell="1r", transistor_side="column"),
     ValueError, "transistor_side applies to 1T-1R cells"),
    ("gate_lines unknown", lambda: Crossbar(G, gate_lines="diagonal"), ValueError,
     "gate_lines must be one of ('rows', 'columns'), got 'diagonal'"),
    ("gate_lines given for 1R cells", lambda: Crossbar(G, cell="1r", gate_lines="rows"), ValueError,
     "gate_lines applies to 1T-1R cells"),
    ("v_gate per row with gate lines along columns",
     lambda: Crossbar(G, gate_lines="columns", v_gate=np.ones(2)),
     ValueError, "v_gate must be a scalar or have shape (3,), got shape (2,)"),
    ("solve v_gate per row with gate lines along columns",
     lambda: Crossbar(G, gate_lines="columns").solve(V, v_gate=np.ones(2)), ValueError,
     "v_gate must be a scalar or have shape (3,), got shape (2,)"),
    ("v_gate given for 1R cells", lambda: Crossbar(G, cell="1r", v_gate=0.5), ValueError,
     "transistor and v_gate apply to 1T-1R cells; this crossbar has passive 1R cells (cell='1r')"),
    ("transistor given for 1R cells", lambda: Crossbar(G, cell="1r", transistor=Level1NMOS()), ValueError,
     "transistor and v_gate apply to 1T-1R cells"),
    ("v_gate NaN", lambda: Crossbar(G, v_gate=np.nan), ValueError, "v_gate must be finite"),
    ("v_gate wrong shape", lambda: Crossbar(G, v_gate=np.ones(3)), ValueError,
     "v_gate must be a scalar or have shape (2,), got shape (3,)"),
    ("v_gate string", lambda: Crossbar(G, v_gate="1.0"), TypeError, "v_gate must be a number"),
    ("r_source negative", lambda: Crossbar(G, r_source=-1.0), ValueError, "r_source must be >= 0"),
    ("r_source wrong shape", lambda: Crossbar(G, r_source=np.ones(3)), ValueError,
     "r_source must be a scalar or have shape (2,), got shape (3,)"),
    ("r_sink wrong shape (rows, not cols)", lambda: Crossbar(G, r_sink=np.ones(2)), ValueError,
     "r_sink must be a scalar or have shape (3,), got shape (2,)"),
    ("r_sink inf", lambda: Crossbar(G, r_sink=np.inf), ValueError, "r_sink must be finite"),
    ("r_wire NaN", lambda: Crossbar(G, r_wire=np.nan), ValueError, "r_wire must be finite"),
    ("r_wire negative", lambda: Crossbar(G, r_wire=-0.1), ValueError, "r_wire must be >= 0"),
    ("r_wire array", lambda: Crossbar(G, r_wire=np.ones(3)),
     ValueError, "r_wire must be a scalar, got shape (3,)"),
    ("r_wire_row negative", lambda: Crossbar(G, r_wire_row=-1.0), ValueError, "r_wire_row must be >= 0"),
    ("r_wire_col string", lambda: Crossbar(G, r_wire_col="1"), TypeError, "r_wire_col must be a number"),
    ("resistance whose conductance overflows", lambda: Crossbar(G, r_source=1e-320), ValueError,
     "r_source must be 0 (an ideal wire) or large enough that 1/R is finite"),
    ("memristor is a class", lambda: Crossbar(G, memristor=LinearMemristor), TypeError,
     "memristor must be an ElementModel, got ABCMeta"),
    ("memristor string", lambda: Crossbar(G, memristor="sinh"), TypeError,
     "memristor must be an ElementModel, got str"),
    ("memristor is a transistor model", lambda: Crossbar(G, memristor=Level1NMOS()), TypeError,
     "memristor must be a model whose element_parameters takes a conductance (S); Level1NMOS does not"),
    ("memristor is a Resistor", lambda: Crossbar(G, memristor=Resistor()), TypeError,
     "memristor must be a model whose element_parameters takes a conductance (S); Resistor does not"),
    ("transistor is a memristor", lambda: Crossbar(G, transistor=LinearMemristor()), TypeError,
     "transistor must be an NMOSModel, got LinearMemristor"),
    ("transistor is a class", lambda: Crossbar(G, transistor=Level1NMOS), TypeError,
     "transistor must be an NMOSModel, got ABCMeta"),
    ("options dict", lambda: Crossbar(G, options={"reltol": 1e-6}), TypeError,
     "options must be a NewtonOptions, got dict"),
    ("unknown keyword", lambda: Crossbar(G, gate=1.0), TypeError, "unexpected keyword argument 'gate'"),
    ("cell passed positionally", lambda: Crossbar(G, "1r"), TypeError, "positional argument"),
    # -------------------------------------------------------- Crossbar.solve(...)
    ("v_in wrong length", lambda: xb().solve(np.ones(3)), ValueError,
     "v_in has 3 values per vector but the crossbar has 2 rows (expected shape (batch, 2) or (2,))"),
    ("v_in batch/row mismatch", lambda: xb().solve(np.ones((4, 3))), ValueError,
     "v_in has 3 values per vector but the crossbar has 2 rows"),
    ("v_in 3-D", lambda: xb().solve(np.ones((1, 1, 2))), ValueError,
     "v_in must have shape (rows,) or (batch, rows) with rows=2, got (1, 1, 2)"),
    ("v_in scalar", lambda: xb().solve(0.3), ValueError, "got ()"),
    ("v_in of 1e160 V (issue 17: was a raw ZeroDivisionError)", lambda: Crossbar(G, r_wire=1.0).solve(
        np.full(2, 1e160)), ConvergenceError, "did not converge"),
    ("v_in of 1e300 V on ideal wires", lambda: xb().solve(np.full(2, 1e300)), ConvergenceError,
     "did not converge"),
    ("v_in NaN", lambda: xb().solve(np.array([np.nan, 0.1])), ValueError, "v_in must be finite"),
    ("v_in inf", lambda: xb().solve(np.array([np.inf, 0.1])), ValueError, "v_in must be finite"),
    ("v_in string", lambda: xb().solve("0.3"),
     TypeError, "v_in must be a number or array of numbers, got str"),
    ("v_in None", lambda: xb().solve(None), TypeError, "got NoneType"),
    ("v_in as numeric strings", lambda: xb().solve(["0.3", "0.1"]), TypeError,
     "v_in must be a number or array of numbers, got strings"),
    ("v_in as booleans", lambda: xb().solve(np.array([True, False])), TypeError,
     "v_in must be a number or array of numbers, got booleans"),
    ("v_in complex", lambda: _strict_warnings(lambda: xb().solve(V + 0.1j)), TypeError,
     "v_in must be real-valued, got complex numbers"),
    ("solve conductances wrong shape", lambda: xb().solve(V, conductances=np.full((3, 2), 1e-5)), ValueError,
     "conductances must have shape (2, 3), got (3, 2)"),
    ("solve conductances scalar", lambda: xb().solve(V, conductances=1e-5), ValueError,
     "conductances must have shape (2, 3), got ()"),
    ("solve conductances negative", lambda: xb().solve(V, conductances=-G), ValueError,
     "conductances must be >= 0"),
    ("solve conductances NaN", lambda: xb().solve(V, conductances=G * np.nan), ValueError,
     "conductances must be finite"),
    ("solve v_gate on 1R cells", lambda: xb_1r().solve(V, v_gate=1.0), ValueError,
     "v_gate was given but the crossbar has passive 1R cells (no gates)"),
    ("solve v_gate wrong shape", lambda: xb().solve(V, v_gate=np.ones(3)), ValueError,
     "v_gate must be a scalar or have shape (2,)"),
    ("solve v_gate NaN", lambda: xb().solve(V, v_gate=np.nan), ValueError, "v_gate must be finite"),
    ("x0 wrong width", lambda: xb().solve(V, x0=np.zeros((1, 3))), ValueError,
     "x0 must have shape (1, 6), got (1, 3)"),
    ("x0 1-D", lambda: xb().solve(V, x0=np.zeros(n_free())),
     ValueError, "x0 must have shape (1, 6), got (6,)"),
    ("x0 batch mismatch", lambda: xb().solve(np.ones((2, 2)), x0=np.zeros((1, n_free()))), ValueError,
     "x0 must have shape (2, 6), got (1, 6)"),
    ("x0 NaN", lambda: xb().solve(V, x0=np.full((1, n_free()), np.nan)), ValueError, "x0 must be finite"),
    ("solve unknown keyword", lambda: xb().solve(V, gate=1.0),
     TypeError, "unexpected keyword argument 'gate'"),
    # --------------------------------------------------------- device models
    ("Level1NMOS w = 0", lambda: Level1NMOS(w=0.0), ValueError, "w must be finite and > 0, got 0.0"),
    ("Level1NMOS w < 0", lambda: Level1NMOS(w=-1e-6), ValueError, "w must be finite and > 0, got -1e-06"),
    ("Level1NMOS l = 0", lambda: Level1NMOS(l=0.0), ValueError, "l must be finite and > 0, got 0.0"),
    ("Level1NMOS l NaN", lambda: Level1NMOS(l=np.nan), ValueError, "l must be finite and > 0, got nan"),
    ("Level1NMOS w string", lambda: Level1NMOS(w="1e-6"), TypeError, "w must be a real number, got str"),
    ("Level1NMOS l - 2 ld <= 0", lambda: Level1NMOS(l=1e-6, ld=0.6e-6), ValueError,
     "effective length l - 2*ld must be > 0"),
    ("Level1NMOS kp = 0", lambda: Level1NMOS(kp=0.0), ValueError, "kp must be finite and > 0"),
    ("Level1NMOS phi = 0", lambda: Level1NMOS(phi=0.0), ValueError, "phi must be finite and > 0"),
    ("Level1NMOS gamma < 0", lambda: Level1NMOS(gamma=-0.1), ValueError, "gamma must be finite and >= 0"),
    ("Level1NMOS lambda_ < 0", lambda: Level1NMOS(lambda_=-0.1),
     ValueError, "lambda_ must be finite and >= 0"),
    ("Level1NMOS vto NaN", lambda: Level1NMOS(vto=np.nan), ValueError, "vto must be finite, got nan"),
    ("Level1NMOS vto bool", lambda: Level1NMOS(vto=True), TypeError, "vto must be a real number, got bool"),
    ("Level1NMOS vto array", lambda: Level1NMOS(vto=np.array([0.4])), TypeError,
     "vto must be a real number, got ndarray"),
    ("Level1NMOS junction_is < 0", lambda: Level1NMOS(junction_is=-1e-14), ValueError,
     "junction_is must be finite and >= 0"),
    ("Level1NMOS gmin < 0", lambda: Level1NMOS(gmin=-1e-12), ValueError, "gmin must be finite and >= 0"),
    ("Level1NMOS temperature 0 K", lambda: Level1NMOS(temperature=0.0), ValueError,
     "temperature must be finite and > 0"),
    ("Level1NMOS unknown field", lambda: Level1NMOS(vth0=0.4),
     TypeError, "unexpected keyword argument 'vth0'"),
    ("SinhMemristor v0 = 0", lambda: SinhMemristor(v0=0.0), ValueError, "v0 must be finite and > 0, got 0.0"),
    ("SinhMemristor v0 < 0", lambda: SinhMemristor(v0=-0.2), ValueError, "v0 must be finite and > 0"),
    ("SinhMemristor v0 NaN", lambda: SinhMemristor(v0=np.nan),
     ValueError, "v0 must be finite and > 0, got nan"),
    ("SinhMemristor v0 string", lambda: SinhMemristor(v0="0.2"),
     TypeError, "v0 must be a real number, got str"),
    ("LinearMemristor with an argument", lambda: LinearMemristor(1e-5), TypeError, "positional argument"),
    ("Resistor resistance < 0", lambda: Resistor().element_parameters(resistance=-1.0), ValueError,
     "resistance must be finite and > 0"),
    ("BsimLikeNMOS w = 0", lambda: BsimLikeNMOS(w=0.0), ValueError, "w must be finite and > 0"),
    ("BsimLikeNMOS Leff <= 0", lambda: BsimLikeNMOS(l=1e-9), ValueError, "effective length"),
    # --------------------------------------------------------- NewtonOptions
    ("reltol = 0", lambda: NewtonOptions(reltol=0.0), ValueError,
     "NewtonOptions.reltol must be a finite number > 0, got 0.0"),
    ("reltol < 0", lambda: NewtonOptions(reltol=-1e-9),
     ValueError, "NewtonOptions.reltol must be a finite number > 0"),
    ("reltol NaN", lambda: NewtonOptions(reltol=np.nan), ValueError, "got nan"),
    ("reltol inf", lambda: NewtonOptions(reltol=np.inf), ValueError, "got inf"),
    ("reltol string", lambda: NewtonOptions(reltol="1e-9"), TypeError,
     "NewtonOptions.reltol must be a real number, got str"),
    ("reltol bool", lambda: NewtonOptions(reltol=True),
     TypeError, "NewtonOptions.reltol must be a real number, got bool"),
    ("reltol >= 1e-2", lambda: NewtonOptions(reltol=10.0), ValueError,
     "NewtonOptions.reltol must be < 1e-2 (a relative tolerance; default 1e-9), got 10.0"),
    ("vntol = 0", lambda: NewtonOptions(vntol=0.0),
     ValueError, "NewtonOptions.vntol must be a finite number > 0"),
    ("abstol < 0", lambda: NewtonOptions(abstol=-1.0),
     ValueError, "NewtonOptions.abstol must be a finite number > 0"),
    ("source_min_step = 0", lambda: NewtonOptions(source_min_step=0.0), ValueError,
     "NewtonOptions.source_min_step must be a finite number > 0"),
    ("max_iterations = 0", lambda: NewtonOptions(max_iterations=0), ValueError,
     "NewtonOptions.max_iterations must be an integer >= 1, got 0"),
    ("max_iterations float", lambda: NewtonOptions(max_iterations=10.0), TypeError,
     "NewtonOptions.max_iterations must be an integer, got float"),
    ("max_iterations bool", lambda: NewtonOptions(max_iterations=True), TypeError,
     "NewtonOptions.max_iterations must be an integer, got bool"),
    ("max_backtracks = 0", lambda: NewtonOptions(max_backtracks=0), ValueError,
     "NewtonOptions.max_backtracks must be an integer >= 1, got 0"),
    ("source_min_step >= 1", lambda: NewtonOptions(source_min_step=2.0), ValueError,
     "NewtonOptions.source_min_step must be < 1, got 2.0"),
    ("gmin_steps scalar", lambda: NewtonOptions(gmin_steps=1e-3), ValueError,
     "NewtonOptions.gmin_steps must be a sequence of finite conductances > 0 (S), got 0.001"),
    ("gmin_steps string", lambda: NewtonOptions(gmin_steps="abc"), ValueError,
     "NewtonOptions.gmin_steps must be a sequence of finite conductances > 0 (S), got 'abc'"),
    ("gmin_steps negative or NaN", lambda: NewtonOptions(gmin_steps=(1e-3, -1e-3, np.nan)), ValueError,
     "NewtonOptions.gmin_steps must be a sequence of finite conductances > 0 (S)"),
    ("linear_solver unknown", lambda: NewtonOptions(linear_solver="lapack"), ValueError,
     "NewtonOptions.linear_solver must be a LinearSolver or one of ("),
    ("linear_solver of a wrong type", lambda: NewtonOptions(linear_solver=KrylovSolver), TypeError,
     "NewtonOptions.linear_solver must be a LinearSolver or a name, got ABCMeta"),
    ("KrylovSolver rtol >= 1", lambda: KrylovSolver(rtol=1.0), ValueError,
     "KrylovSolver.rtol must be < 1 (a relative residual), got 1.0"),
    ("KrylovSolver rtol = 0", lambda: KrylovSolver(rtol=0.0), ValueError,
     "KrylovSolver.rtol must be a finite number > 0, got 0.0"),
    ("KrylovSolver max_iterations = 0", lambda: KrylovSolver(max_iterations=0), ValueError,
     "KrylovSolver.max_iterations must be an integer >= 1, got 0"),
    ("KrylovSolver restart float", lambda: KrylovSolver(restart=3.0), TypeError,
     "KrylovSolver.restart must be an integer, got float"),
    ("krylov for a circuit without sides", lambda: _krylov_without_sides(), ValueError,
     "linear_solver='krylov' needs a circuit whose nodes carry a row/column 'side'"),
    ("decoupled_fast_path not a bool", lambda: NewtonOptions(decoupled_fast_path="no"), TypeError,
     "NewtonOptions.decoupled_fast_path must be a bool (True or False), got str"),
    ("decoupled_fast_path 1 (an int)", lambda: NewtonOptions(decoupled_fast_path=1), TypeError,
     "NewtonOptions.decoupled_fast_path must be a bool (True or False), got int"),
]


@pytest.mark.parametrize("call, exc_type, fragment", [pytest.param(*r[1:], id=r[0]) for r in ROWS])
def test_bad_input_is_rejected(call, exc_type, fragment):
    with pytest.raises(exc_type) as info:
        call()
    assert type(info.value) is exc_type  # not a subclass (e.g. not ConvergenceError for a RuntimeError)
    assert fragment in str(info.value), f"message {str(info.value)!r} lacks {fragment!r}"


def test_floating_internal_nodes_raise_convergence_error():
    """Not an invalid input, an ill-posed circuit: G = 0 cells whose transistor is off and
    has IS = GMIN = 0 leave the internal node floating (singular Jacobian).  With wire
    resistance the solver raises ConvergenceError (its residual_norm does not name the
    cause); with ideal wires the decoupled fast path returns the (correct) zero currents."""
    card = Level1NMOS(vto=0.4, junction_is=0.0, gmin=0.0)
    with pytest.raises(ConvergenceError):
        Crossbar(np.zeros((2, 2)), transistor=card, v_gate=0.0, r_wire=1.0).solve(V)
    sol = Crossbar(np.zeros((2, 2)), transistor=card, v_gate=0.0).solve(V)
    np.testing.assert_array_equal(sol.column_currents, 0.0)


@pytest.mark.parametrize("call", [
    pytest.param(lambda: NewtonOptions(reltol=np.float32(1e-6)), id="reltol numpy float32"),
    pytest.param(lambda: NewtonOptions(max_iterations=np.int64(5)), id="max_iterations numpy int64"),
    pytest.param(lambda: NewtonOptions(gmin_steps=[1e-3, 1e-6]), id="gmin_steps as a list"),
    pytest.param(lambda: NewtonOptions(decoupled_fast_path=np.bool_(True)),
                 id="numpy bool option (issue 17)"),
    pytest.param(lambda: xb().solve(np.ones((0, 2))), id="empty batch (issue 17)"),
    pytest.param(lambda: Crossbar(G, cell="1T1R", transistor_side="COLUMN"), id="names in upper case"),
    pytest.param(lambda: Crossbar([[1, 2], [3, 4]], cell="1r").solve([1, 0]), id="integer lists"),
    pytest.param(lambda: Crossbar(np.zeros((2, 2)), cell="1r", r_wire=1.0).solve(V), id="all-zero conductances"),
    pytest.param(lambda: Level1NMOS(kp=np.float32(2e-5), w=np.float64(1e-6)), id="numpy scalars in a card"),
])
def test_valid_edge_inputs_are_accepted(call):
    """Inputs near the edge of the valid range that must *not* be rejected (the checks
    above must not overshoot; reltol = np.float32(1e-6) once was, see commit dd1e1e0)."""
    call()
