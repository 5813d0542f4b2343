"""Reverse-mode sensitivities of a converged crossbar solution (implicit function theorem).

No torch here: this module works on numpy arrays and numba kernels; the torch glue lives in
:mod:`xbarsolve.autodiff`.

At a converged DC solution the KCL residual vanishes, F(x, θ, v) = 0, with x the free node
voltages (V), θ the element parameters (conductances in S, gate voltages in V) and v the fixed
terminal voltages (V).  An output y(x, θ, v) -- a column current, say -- depends on θ and v
directly *and* through x.  For a scalar loss L(y), with ȳ = ∂L/∂y,

    g_x = ȳ · ∂y/∂x                       (explicit, per sample)
    Jᵀ λ = g_x                            (one transposed solve per sample, with the
                                           linear solver's state of the final Newton
                                           Jacobian J = ∂F/∂x)
    dL/dθ = ȳ · ∂y/∂θ − Σ_s λ_sᵀ ∂F/∂θ    (summed over the batch: θ is shared)
    dL/dv = ȳ · ∂y/∂v − λ_sᵀ ∂F/∂v        (per sample)

∂F/∂θ and ∂F/∂v are never formed: every element contributes to F only at its two terminals,
so λᵀ ∂F/∂θ_e = λ_a · ∂i_a/∂θ_e + λ_b · ∂i_b/∂θ_e (a fixed terminal has no equation and
contributes nothing), computed by the kernels of :mod:`xbarsolve._kernels` from each model's
``parameter_partials``.  Outputs are linear read-outs (:mod:`xbarsolve._readout`), so their
explicit partials come from the same per-element derivatives.  Parameters and their
conversion to the user's quantities (dL/dR = −g²·dL/dg for resistances) come from
:mod:`xbarsolve._parameters`.
"""
from __future__ import annotations

import numpy as np

from . import _kernels
from ._assembly import ARITHMETIC_ERRORS
from ._parameters import PARAMETERS
from .devices import Resistor
from .errors import NotDifferentiableError
from ._results import OperatingPoint

#: Everything a gradient can be requested for: the input voltages and the parameters.
DIFFERENTIABLE = ("v_in",) + tuple(PARAMETERS)


class CrossbarAdjoint:
    """Reverse-mode sensitivities of one compiled :class:`~xbarsolve.Crossbar` (built once per crossbar).

    :meth:`vjp` returns the gradients of ``Σ ȳ · y`` over named outputs with respect to the
    requested quantities.
    """

    def __init__(self, crossbar):
        self.crossbar = crossbar
        self.readouts = crossbar.readouts
        self.families = crossbar.equations.families

    # ------------------------------------------------------------------ checks
    def _model_of(self, role: str):
        xb = self.crossbar
        return {"memristor": xb.memristor, "transistor": xb.transistor}.get(role, Resistor())

    def check_differentiable(self, wrt, values: dict | None = None):
        """Raise :class:`NotDifferentiableError` before any work if a gradient in ``wrt`` is impossible.

        ``values`` maps names to the numpy values that will be used (overrides of the
        compiled ones), to detect 0 Ω (merged) resistances.
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
            spec = PARAMETERS[name]
            if spec.needs_transistors and xb.cell != "1t1r":
                raise NotDifferentiableError(f"gradient with respect to {name} requested, but the crossbar "
                                             "has passive 1R cells (no transistors, no gates)")
            model = self._model_of(spec.role)
            if model.parameter_partials is None:
                raise NotDifferentiableError(f"gradient with respect to {name} requested, but the model "
                                             f"{type(model).__name__} provides no parameter_partials")
            if spec.resistance:
                r = values.get(name)
                r = np.asarray(spec.compiled(xb) if r is None else r)
                zero = np.flatnonzero(r.reshape(-1) == 0)
                if zero.size:
                    where = f"{name}[{int(zero[0])}]" if r.ndim else name
                    raise NotDifferentiableError(
                        f"gradient with respect to {name} requested, but {where} is 0 Ω: a zero-ohm wire "
                        f"merges its two nodes into one electrical node, so no resistor (and no equation "
                        f"in which R appears) exists, and the solver cannot differentiate through the merge. "
                        f"Compile the crossbar with a small positive {name} (e.g. 1e-3 Ω) if this "
                        f"gradient is needed, or pass {name} without requires_grad")

    # ---------------------------------------------------------------- backward
    def _param_indices(self, wrt) -> list:
        """Per element group, the sorted parameter indices needed by ``wrt``."""
        xb = self.crossbar
        ks = [set() for _ in xb.netlist.groups]
        for name in wrt:
            spec = PARAMETERS.get(name)
            elements = xb.layout.roles.get(spec.role) if spec else None
            if elements is None:
                continue  # v_in, or no such elements (all merged, or none exist): the gradient is 0
            model = xb.netlist.groups[elements.group].model
            ks[elements.group].add(model.param_index(spec.element_parameter))
        return [np.array(sorted(k), dtype=np.int64) for k in ks]

    def adjoint(self, op: OperatingPoint, grad_x: np.ndarray) -> np.ndarray:
        """λ with Jᵀ λ = ``grad_x`` per sample (V⁻¹·loss units): one transposed solve of the batch
        with the linear solver's state of the final Newton Jacobians (no refactorization)."""
        lam = np.zeros_like(grad_x)
        if grad_x.shape[1] == 0:
            return lam
        rows = np.flatnonzero(np.any(grad_x != 0, axis=1))
        if rows.size:
            state = op.result.final_jacobians
            plan = op.result.plan or self.crossbar.linear_solver  # (a linear circuit's shared factor)
            lam[rows] = plan.solve(state.take(rows), grad_x[rows], transpose=True)
        return lam

    def vjp(self, op: OperatingPoint, cotangents: dict, wrt) -> dict:
        """Gradients of L = Σ_name Σ ȳ_name · y_name with respect to ``wrt``.

        ``cotangents`` maps output names to ȳ (shape (batch, *per-sample shape), in loss units
        per A or per V).  Returns a dict: ``v_in`` (batch, rows) per V, and every parameter of
        ``wrt`` in its full shape (:mod:`xbarsolve._parameters`) per its unit, summed over the
        batch.
        """
        wrt = set(wrt)
        net = self.crossbar.netlist
        x, fixed_v = op.result.x, op.fixed_voltages
        batch = x.shape[0]
        ks = self._param_indices(wrt)
        grad_x = np.zeros_like(x)
        grad_fixed = np.zeros((batch, len(net.fixed_sources)))
        grad_params = [np.zeros((g.term_a.size, k.size)) for g, k in zip(net.groups, ks)]
        try:
            self.readouts.explicit_vjp(op, cotangents, self.families, ks, grad_x, grad_fixed, grad_params)
            lam = self.adjoint(op, grad_x)
            want_fixed = "v_in" in wrt
            for gid, g in enumerate(net.groups):
                if ks[gid].size or want_fixed:
                    _kernels.implicit_vjp(self.families[gid], x, fixed_v, g.term_a, g.term_b,
                                          op.equations.params[gid], lam, ks[gid], want_fixed, grad_fixed,
                                          grad_params[gid])
        except ARITHMETIC_ERRORS as err:
            raise FloatingPointError(f"the gradient is not defined at this operating point: a device model's "
                                     f"derivatives raised {type(err).__name__} ({err})") from err
        return self._collect(op, wrt, ks, grad_fixed, grad_params)

    def _collect(self, op, wrt, ks, grad_fixed, grad_params) -> dict:
        """Map element-parameter and fixed-terminal gradients to the user-facing quantities."""
        xb = self.crossbar
        grads = {}
        if "v_in" in wrt:
            g = np.zeros((grad_fixed.shape[0], xb.shape[0]))
            row = xb.layout.fixed_input_row
            np.add.at(g, (slice(None), row[row >= 0]), grad_fixed[:, row >= 0])
            grads["v_in"] = g
        for name in wrt:
            spec = PARAMETERS.get(name)
            if spec is None:
                continue
            elements = xb.layout.roles.get(spec.role)
            if elements is None:
                grads[name] = np.zeros(spec.shape(xb))
                continue
            k = xb.netlist.groups[elements.group].model.param_index(spec.element_parameter)
            kk = int(np.searchsorted(ks[elements.group], k))
            grads[name] = spec.collect(xb, elements, grad_params[elements.group][elements.positions, kk],
                                       op.equations.params[elements.group][elements.positions, k])
        for name, g in grads.items():
            if not np.all(np.isfinite(g)):
                raise FloatingPointError(f"the gradient with respect to {name} is not finite; a device model "
                                         f"returned non-finite partial derivatives at this operating point")
        return grads
