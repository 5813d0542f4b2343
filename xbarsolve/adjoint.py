"""Reverse-mode sensitivities of a converged crossbar solution (implicit function theorem).

No torch here: this module works on numpy arrays and numba kernels; the torch
glue lives in :mod:`xbarsolve.autodiff`.

At a converged DC solution the KCL residual vanishes, F(x, θ, v) = 0, with x
the free node voltages (V), θ the element parameters (conductances in S, gate
voltages in V) and v the fixed terminal voltages (V).  An output y(x, θ, v) --
a column current, say -- depends on θ and v directly *and* through x.  For a
scalar loss L(y), with ȳ = ∂L/∂y,

    g_x = ȳ · ∂y/∂x                       (explicit, per sample)
    Jᵀ λ = g_x                            (one transpose solve per sample,
                                           with the final Newton Jacobian
                                           J = ∂F/∂x: its kept factor)
    dL/dθ = ȳ · ∂y/∂θ − Σ_s λ_sᵀ ∂F/∂θ    (summed over the batch: θ is shared)
    dL/dv = ȳ · ∂y/∂v − λ_sᵀ ∂F/∂v        (per sample)

∂F/∂θ and ∂F/∂v are never formed: every element contributes to F only at its
two terminals, so λᵀ ∂F/∂θ_e = λ_a · ∂i_a/∂θ_e + λ_b · ∂i_b/∂θ_e (a fixed
terminal has no equation and contributes nothing), computed by numba kernels
from each model's ``parameter_partials``.  Outputs are linear read-outs of
element terminal currents or node voltages, so their explicit partials come
from the same per-element derivatives.

Resistances are stored as conductances g = 1/R (S) in Resistor elements; the
chain rule dL/dR = −g² · dL/dg converts their gradients to Ω.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from . import _kernels, checks
from .devices import Resistor
from .results import OperatingPoint

#: Differentiable quantities: name -> (graph role, element parameter name).
PARAMETERS = {
    "conductances": ("memristor", "conductance"),
    "v_gate": ("transistor", "v_gate"),
    "r_source": ("source", "conductance"),
    "r_sink": ("sink", "conductance"),
    "r_wire_row": ("row_wire", "conductance"),
    "r_wire_col": ("col_wire", "conductance"),
}
RESISTANCES = ("r_source", "r_sink", "r_wire_row", "r_wire_col")
#: Everything a gradient can be requested for: the parameters plus the input voltages.
DIFFERENTIABLE = ("v_in",) + tuple(PARAMETERS)
#: Outputs: name -> kind ("current" in A or "voltage" in V).
OUTPUTS = {
    "column_currents": "current", "source_currents": "current", "cell_currents": "current",
    "row_voltages": "voltage", "column_voltages": "voltage", "internal_voltages": "voltage",
}


class NotDifferentiableError(ValueError):
    """A gradient was requested with respect to something the solver cannot differentiate."""


# ----------------------------------------------------------------------- parameters
def _check_same_topology(name: str, new: np.ndarray, compiled: np.ndarray):
    """Raise unless ``new`` (Ω) is 0 exactly where the compiled resistance ``compiled`` (Ω) is."""
    bad = np.flatnonzero((new == 0) != (compiled == 0))
    if bad.size == 0:
        return
    k = int(bad[0])
    where = f"{name}[{k}]" if compiled.ndim else name
    old, val = float(compiled.reshape(-1)[k]), float(new.reshape(-1)[k])
    if old == 0:
        raise ValueError(f"{where} was 0 Ω when the crossbar was compiled, so its two nodes are merged into "
                         f"one electrical node and no resistor exists to take the new value {val!r} Ω; "
                         f"build a new Crossbar with {name} > 0 to change it")
    raise ValueError(f"{where} was {old!r} Ω when the crossbar was compiled; 0 Ω would merge its nodes, "
                     f"which changes the netlist; build a new Crossbar with {name}=0 instead")


def compiled_resistance(crossbar, name: str) -> np.ndarray:
    """The resistance (Ω) ``name`` the crossbar was compiled with: (rows,), (cols,) or scalar."""
    return np.asarray(getattr(crossbar, name), dtype=float)


def resistance_array(crossbar, name: str, value) -> np.ndarray:
    """Validate a resistance override (Ω) and broadcast it to the crossbar's layout.

    ``r_source`` is a scalar or (rows,), ``r_sink`` a scalar or (cols,),
    ``r_wire_row``/``r_wire_col`` scalars (one value per segment, as
    :class:`~xbarsolve.Crossbar` accepts).  Zero entries must stay zero and
    non-zero entries non-zero (0 Ω merges nodes at compile time).
    """
    rows, cols = crossbar.shape
    shape = {"r_source": (rows,), "r_sink": (cols,)}.get(name)
    arr = checks.resistance_array(name, value, shape)
    _check_same_topology(name, arr, compiled_resistance(crossbar, name))
    return arr


def with_resistances(crossbar, params: list, **resistances) -> list:
    """Element-group parameters ``params`` with Resistor conductances 1/R replaced.

    Keyword arguments: ``r_source``, ``r_sink``, ``r_wire_row``, ``r_wire_col``
    (Ω; ``None`` keeps the compiled value).  Groups are copied, never modified
    in place; the compiled crossbar is untouched (no recompilation).
    """
    params = list(params)
    k = Resistor().param_index("conductance")
    for name, value in resistances.items():
        if name not in RESISTANCES:
            raise TypeError(f"unknown resistance {name!r}; expected one of {RESISTANCES}")
        if value is None:
            continue
        r = resistance_array(crossbar, name, value)
        role = PARAMETERS[name][0]
        if role not in crossbar.role_elements:
            continue  # every segment is 0 Ω (merged) or there is no segment at all
        gid, pos, idx = crossbar.role_elements[role]
        r_el = r[idx[:1]] if r.ndim else np.full(pos.size, float(r))
        params[gid] = params[gid].copy()
        params[gid][pos, k] = 1.0 / r_el
    return params


def crossbar_parameters(crossbar, conductances=None, v_gate=None, r_source=None, r_sink=None,
                        r_wire_row=None, r_wire_col=None) -> list:
    """Element-group parameter arrays for new conductances (S), gate voltages (V) and resistances (Ω).

    Like :meth:`Crossbar.parameters` plus the parasitic resistances; ``None``
    keeps the compiled value.
    """
    params = crossbar.parameters(conductances, v_gate)
    return with_resistances(crossbar, params, r_source=r_source, r_sink=r_sink,
                            r_wire_row=r_wire_row, r_wire_col=r_wire_col)


def solve_with_parameters(crossbar, v_in, params: list, x0=None) -> OperatingPoint:
    """Solve the crossbar for inputs ``v_in`` (V, (batch, rows)) with element parameters ``params``.

    The same core path as :meth:`Crossbar.operating_point` (same netlist,
    symbolic LU pattern and Newton options), but with any parameter list, e.g.
    from :func:`crossbar_parameters`.  ``x0`` (V, (batch, n_free)) is an
    optional initial guess.  Raises ConvergenceError if the solve fails.
    """
    return crossbar.operating_point(v_in, params=params, x0=x0)


# ------------------------------------------------------------------------- read-outs
@dataclass
class CurrentReadout:
    """y[s, out] = Σ coef · (terminal current into element ``elem`` at ``side``) (A), per group.

    ``entries[g] = (elem, side, out, coef)`` arrays for element group ``g``
    (side 0 = terminal a, 1 = terminal b); ``shape`` is the per-sample shape.
    """

    shape: tuple
    entries: dict


@dataclass
class VoltageReadout:
    """y[s, o] = voltage (V) of terminal ``codes[o]``; ``shape`` is the per-sample shape."""

    shape: tuple
    codes: np.ndarray


def _terminal_readout(netlist, codes: np.ndarray, coef: float) -> CurrentReadout:
    """coef × Σ of the currents flowing from fixed terminals ``codes`` into their elements."""
    lookup = {int(c): k for k, c in enumerate(codes)}
    entries = {}
    for gid, group in enumerate(netlist.groups):
        rows = []
        for side, term in enumerate((group.term_a, group.term_b)):
            for e in np.flatnonzero(term < 0):
                k = lookup.get(int(term[e]))
                if k is not None:
                    rows.append((e, side, k))
        if rows:
            arr = np.array(rows, dtype=np.int64)
            entries[gid] = (arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy(), np.full(len(rows), coef))
    return CurrentReadout((codes.size,), entries)


def _cell_readout(crossbar) -> CurrentReadout:
    """Current (A) from the row wire into each cell: terminal a of the element at the row side."""
    rows, cols = crossbar.shape
    role = "memristor" if crossbar.cell == "1r" or crossbar.transistor_side == "column" else "transistor"
    gid, pos, idx = crossbar.role_elements[role]
    out = np.ravel_multi_index(idx, (rows, cols)).astype(np.int64)
    return CurrentReadout((rows, cols), {gid: (pos.copy(), np.zeros(pos.size, dtype=np.int64), out,
                                               np.ones(pos.size))})


class CrossbarAdjoint:
    """Read-outs and reverse-mode sensitivities of one compiled :class:`~xbarsolve.Crossbar`.

    Built once per crossbar (index arrays only); :meth:`outputs` reads named
    results from an operating point and :meth:`vjp` returns the gradients of
    ``Σ ȳ · y`` with respect to the requested quantities.
    """

    def __init__(self, crossbar):
        self.crossbar = crossbar
        net = crossbar.netlist
        rows, cols = crossbar.shape
        self.n_fixed = len(net.fixed_sources)
        in_codes = np.array([net.node_code[("in", i)] for i in range(rows)], dtype=np.int64)
        out_codes = np.array([net.node_code[("out", j)] for j in range(cols)], dtype=np.int64)
        self.readouts = {
            "column_currents": _terminal_readout(net, out_codes, -1.0),
            "source_currents": _terminal_readout(net, in_codes, 1.0),
            "cell_currents": _cell_readout(crossbar),
        }
        for name, kind in (("row_voltages", "row"), ("column_voltages", "col"), ("internal_voltages", "mid")):
            if kind == "mid" and crossbar.cell != "1t1r":
                continue
            codes = np.array([net.node_code[(kind, i, j)] for i in range(rows) for j in range(cols)],
                             dtype=np.int64)
            self.readouts[name] = VoltageReadout((rows, cols), codes)
        # fixed terminal -> input row (or -1 for a constant voltage)
        self.fixed_input_row = np.array([v if kind == "input" else -1 for kind, v in net.fixed_sources],
                                        dtype=np.int64)
        self.families = [_kernels.kernel_family(g.model) for g in net.groups]

    # ------------------------------------------------------------------ checks
    def check_outputs(self, names) -> tuple:
        """Validate output names; return them as a tuple."""
        names = tuple(names)
        for name in names:
            if name not in OUTPUTS:
                raise ValueError(f"unknown output {name!r}; expected some of {tuple(OUTPUTS)}")
            if name not in self.readouts:
                raise ValueError(f"output {name!r} needs 1T-1R cells; this crossbar has passive "
                                 f"{self.crossbar.cell!r} cells")
        if not names:
            raise ValueError("no outputs requested")
        if len(set(names)) != len(names):
            raise ValueError(f"outputs must not repeat a name, got {names}")
        return names

    def check_differentiable(self, wrt, values: dict | None = None):
        """Raise :class:`NotDifferentiableError` before any work if a gradient in ``wrt`` is impossible.

        ``values`` maps names to the numpy values that will be used (overrides
        of the compiled ones), to detect 0 Ω (merged) resistances.
        """
        xb = self.crossbar
        values = values or {}
        for name in wrt:
            if name not in DIFFERENTIABLE:
                raise NotDifferentiableError(
                    f"cannot differentiate with respect to {name!r}: the differentiable quantities are "
                    f"{DIFFERENTIABLE}")
            if name == "v_in":
                continue
            if name == "v_gate" and xb.cell != "1t1r":
                raise NotDifferentiableError("gradient with respect to v_gate requested, but the crossbar "
                                             "has passive 1R cells (no transistors, no gates)")
            model = {"conductances": xb.memristor, "v_gate": xb.transistor}.get(name, Resistor())
            if model.parameter_partials is None:
                raise NotDifferentiableError(f"gradient with respect to {name} requested, but the model "
                                             f"{type(model).__name__} provides no parameter_partials")
            if name in RESISTANCES:
                r = values.get(name)
                r = np.asarray(compiled_resistance(xb, name) if r is None else r)
                zero = np.flatnonzero(r.reshape(-1) == 0)
                if zero.size:
                    where = f"{name}[{int(zero[0])}]" if r.ndim else name
                    raise NotDifferentiableError(
                        f"gradient with respect to {name} requested, but {where} is 0 Ω: a zero-ohm wire "
                        f"merges its two nodes into one electrical node, so no resistor (and no equation "
                        f"in which R appears) exists, and the solver cannot differentiate through the merge. "
                        f"Compile the crossbar with a small positive {name} (e.g. 1e-3 Ω) if this "
                        f"gradient is needed, or pass {name} without requires_grad")

    # ----------------------------------------------------------------- forward
    def outputs(self, op: OperatingPoint, names) -> dict:
        """Named results (A or V), each of shape (batch, *per-sample shape), from a converged ``op``."""
        x, fixed_v = op.result.x, op.fixed_voltages
        net = self.crossbar.netlist
        out = {}
        for name in names:
            ro = self.readouts[name]
            if isinstance(ro, VoltageReadout):
                y = net.node_voltages_of_codes(x, fixed_v, ro.codes)
            else:
                y = np.zeros((x.shape[0], int(np.prod(ro.shape))))
                for gid, (elem, side, o, coef) in ro.entries.items():
                    g = net.groups[gid]
                    _kernels.read(self.families[gid], x, fixed_v, g.term_a, g.term_b, op.equations.params[gid],
                                  elem, side, o, coef, y)
            out[name] = y.reshape((x.shape[0],) + ro.shape)
        return out

    # ---------------------------------------------------------------- backward
    def _param_indices(self, wrt) -> list:
        """Per element group, the sorted parameter indices needed by ``wrt``."""
        xb = self.crossbar
        ks = [set() for _ in xb.netlist.groups]
        for name in wrt:
            if name not in PARAMETERS:
                continue
            role, pname = PARAMETERS[name]
            if role not in xb.role_elements:
                continue  # no such elements (all merged, or none exist): gradient is 0
            gid = xb.role_elements[role][0]
            model = {"memristor": xb.memristor, "transistor": xb.transistor}.get(role, Resistor())
            ks[gid].add(model.param_index(pname))
        return [np.array(sorted(k), dtype=np.int64) for k in ks]

    def _explicit(self, op, cotangents, ks, grad_x, grad_fixed, grad_params):
        """Add ȳ · ∂y/∂(x, v_fixed, θ) of every output to the gradient accumulators."""
        x, fixed_v = op.result.x, op.fixed_voltages
        net = self.crossbar.netlist
        batch = x.shape[0]
        for name, ybar in cotangents.items():
            ro = self.readouts[name]
            ybar = np.ascontiguousarray(ybar, dtype=float).reshape(batch, -1)
            if isinstance(ro, VoltageReadout):
                free = ro.codes >= 0
                np.add.at(grad_x, (slice(None), ro.codes[free]), ybar[:, free])
                np.add.at(grad_fixed, (slice(None), -ro.codes[~free] - 1), ybar[:, ~free])
                continue
            for gid, (elem, side, o, coef) in ro.entries.items():
                g = net.groups[gid]
                _kernels.read_vjp(self.families[gid], x, fixed_v, g.term_a, g.term_b, op.equations.params[gid],
                                  elem, side, o, coef, ybar, ks[gid], grad_x, grad_fixed, grad_params[gid])

    def adjoint(self, op: OperatingPoint, grad_x: np.ndarray) -> np.ndarray:
        """λ with Jᵀ λ = ``grad_x`` per sample (V⁻¹·loss units): one transposed solve of the batch
        with the linear solver's state of the final Newton Jacobians (no refactorization)."""
        lam = np.zeros_like(grad_x)
        if grad_x.shape[1] == 0:
            return lam
        rows = np.flatnonzero(np.any(grad_x != 0, axis=1))
        if rows.size:
            state = op.result.final_jacobians
            lam[rows] = self.crossbar.linear_solver.solve(state.take(rows), grad_x[rows], transpose=True)
        return lam

    def vjp(self, op: OperatingPoint, cotangents: dict, wrt) -> dict:
        """Gradients of L = Σ_name Σ ȳ_name · y_name with respect to ``wrt``.

        ``cotangents`` maps output names to ȳ (shape (batch, *per-sample
        shape), in loss units per A or per V).  Returns a dict: ``v_in``
        (batch, rows) per V; ``conductances`` (rows, cols) per S; ``v_gate``
        (rows,) per V; ``r_source`` (rows,), ``r_sink`` (cols,) per Ω;
        ``r_wire_row``, ``r_wire_col`` (scalars) per Ω.  Parameter gradients
        are summed over the batch.
        """
        wrt = set(wrt)
        xb = self.crossbar
        net = xb.netlist
        x, fixed_v = op.result.x, op.fixed_voltages
        batch = x.shape[0]
        ks = self._param_indices(wrt)
        grad_x = np.zeros_like(x)
        grad_fixed = np.zeros((batch, self.n_fixed))
        grad_params = [np.zeros((g.term_a.size, k.size)) for g, k in zip(net.groups, ks)]
        self._explicit(op, cotangents, ks, grad_x, grad_fixed, grad_params)
        lam = self.adjoint(op, grad_x)
        want_fixed = "v_in" in wrt
        for gid, g in enumerate(net.groups):
            if ks[gid].size or want_fixed:
                _kernels.implicit_vjp(self.families[gid], x, fixed_v, g.term_a, g.term_b, op.equations.params[gid],
                                      lam, ks[gid], want_fixed, grad_fixed, grad_params[gid])
        return self._collect(op, wrt, ks, grad_fixed, grad_params)

    def _collect(self, op, wrt, ks, grad_fixed, grad_params) -> dict:
        """Map element-parameter and fixed-terminal gradients to the user-facing quantities."""
        xb = self.crossbar
        rows, cols = xb.shape
        grads = {}
        if "v_in" in wrt:
            g = np.zeros((grad_fixed.shape[0], rows))
            inputs = self.fixed_input_row >= 0
            np.add.at(g, (slice(None), self.fixed_input_row[inputs]), grad_fixed[:, inputs])
            grads["v_in"] = g
        shapes = {"conductances": (rows, cols), "v_gate": (rows,), "r_source": (rows,), "r_sink": (cols,),
                  "r_wire_row": (), "r_wire_col": ()}
        for name in wrt:
            if name not in PARAMETERS:
                continue
            out = np.zeros(shapes[name])
            role, pname = PARAMETERS[name]
            if role in xb.role_elements:
                gid, pos, idx = xb.role_elements[role]
                model = {"memristor": xb.memristor, "transistor": xb.transistor}.get(role, Resistor())
                k = model.param_index(pname)
                kk = int(np.searchsorted(ks[gid], k))
                vals = grad_params[gid][pos, kk]
                if name in RESISTANCES:  # dL/dR = −g² dL/dg
                    vals = -op.equations.params[gid][pos, k] ** 2 * vals
                if out.ndim:
                    np.add.at(out, idx[:out.ndim], vals)
                else:
                    out = np.asarray(vals.sum())
            grads[name] = out
        for name, g in grads.items():
            if not np.all(np.isfinite(g)):
                raise FloatingPointError(f"the gradient with respect to {name} is not finite; a device model "
                                         f"returned non-finite partial derivatives at this operating point")
        return grads
