"""Nodal analysis: numba kernels that assemble KCL residuals and Jacobian values.

For a batch of node-voltage vectors ``x`` (batch, n_free) the residual of free
node k is the total current (A) flowing out of node k into elements,

    F_k(x) = Σ_elements I_into_element_at_k(x) + g_shunt · x_k ,

and the Jacobian J = ∂F/∂x (S) lives in the fixed CSC pattern of the compiled
netlist, one value array per sample.  ``g_shunt`` (S, from every free node to
0 V) is zero in a normal solve; gmin stepping uses it.

One set of kernels is compiled per element model kernel (``model.evaluate``)
and reused for every circuit and sample.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .devices.base import no_step_limit
from .netlist import CompiledNetlist
from .threads import batched

_KERNELS: dict = {}


def group_kernels(model):
    """The numba kernels (stamp, currents, limit, partials) for ``model``'s element kernel."""
    key = model.evaluate
    if key in _KERNELS:
        return _KERNELS[key]
    evaluate = model.evaluate
    current_of = model.current
    if current_of is None:
        @njit
        def current_of(va, vb, p):
            out = evaluate(va, vb, p)
            return out[0], out[1]
    step_limit = model.step_limit
    partials = model.parameter_partials

    @njit
    def volt(x, fixed_v, s, code):
        return x[s, code] if code >= 0 else fixed_v[s, -code - 1]

    def stamp_rows(x, fixed_v, term_a, term_b, params, slots, active, residual, jac, scale, noise):
        for s in range(x.shape[0]):
            if not active[s]:
                continue
            for e in range(term_a.shape[0]):
                a = term_a[e]
                b = term_b[e]
                va = volt(x, fixed_v, s, a)
                vb = volt(x, fixed_v, s, b)
                ia, ib, gaa, gab, gba, gbb = evaluate(va, vb, params[e])
                if a >= 0:
                    residual[s, a] += ia
                    scale[s, a] += abs(ia)
                    noise[s, a] += abs(gaa * va) + abs(gab * vb)
                    jac[s, slots[e, 0]] += gaa
                    if b >= 0:
                        jac[s, slots[e, 1]] += gab
                if b >= 0:
                    residual[s, b] += ib
                    scale[s, b] += abs(ib)
                    noise[s, b] += abs(gba * va) + abs(gbb * vb)
                    jac[s, slots[e, 3]] += gbb
                    if a >= 0:
                        jac[s, slots[e, 2]] += gba

    # stamp_rows(x, fixed_v, term_a, term_b, params, slots, active, residual, jac, scale, noise)
    stamp = batched(njit(nogil=True)(stamp_rows), (0, 1, 6, 7, 8, 9, 10))

    def residual_rows(x, fixed_v, term_a, term_b, params, active, residual):
        for s in range(x.shape[0]):
            if not active[s]:
                continue
            for e in range(term_a.shape[0]):
                a = term_a[e]
                b = term_b[e]
                out = current_of(volt(x, fixed_v, s, a), volt(x, fixed_v, s, b), params[e])
                if a >= 0:
                    residual[s, a] += out[0]
                if b >= 0:
                    residual[s, b] += out[1]

    residual_only = batched(njit(nogil=True)(residual_rows), (0, 1, 5, 6))

    def currents_rows(x, fixed_v, term_a, term_b, params, ia_out, ib_out):
        for s in range(x.shape[0]):
            for e in range(term_a.shape[0]):
                out = current_of(volt(x, fixed_v, s, term_a[e]), volt(x, fixed_v, s, term_b[e]), params[e])
                ia_out[s, e] = out[0]
                ib_out[s, e] = out[1]

    currents = batched(njit(nogil=True)(currents_rows), (0, 1, 5, 6))

    def limit_rows(x, dx, fixed_v, term_a, term_b, params, active, alpha):
        for s in range(x.shape[0]):
            if not active[s]:
                continue
            for e in range(term_a.shape[0]):
                a = term_a[e]
                b = term_b[e]
                dva = dx[s, a] if a >= 0 else 0.0
                dvb = dx[s, b] if b >= 0 else 0.0
                if dva == 0.0 and dvb == 0.0:
                    continue
                frac = step_limit(volt(x, fixed_v, s, a), volt(x, fixed_v, s, b), dva, dvb, params[e])
                if frac < alpha[s]:
                    alpha[s] = frac

    limit = batched(njit(nogil=True)(limit_rows), (0, 1, 2, 6, 7))
    kernels = {"stamp": stamp, "residual": residual_only, "currents": currents, "limit": limit}
    if partials is not None:
        @njit
        def parameter_partials(x, fixed_v, term_a, term_b, params, k, da_out, db_out):
            for s in range(x.shape[0]):
                for e in range(term_a.shape[0]):
                    out = partials(volt(x, fixed_v, s, term_a[e]), volt(x, fixed_v, s, term_b[e]), params[e], k)
                    da_out[s, e] = out[0]
                    db_out[s, e] = out[1]
        kernels["partials"] = parameter_partials
    _KERNELS[key] = kernels
    return kernels


class CircuitEquations:
    """KCL equations of a compiled netlist, with replaceable element parameters.

    ``params`` is a list with one float64 array per element group; replace an
    entry (same shape) to change conductances or gate voltages without
    recompiling the circuit.
    """

    def __init__(self, netlist: CompiledNetlist, params=None):
        self.netlist = netlist
        self.params = [g.params for g in netlist.groups] if params is None else list(params)
        self.kernels = [group_kernels(g.model) for g in netlist.groups]

    @property
    def n_free(self) -> int:
        return self.netlist.n_free

    def with_params(self, params) -> "CircuitEquations":
        """A copy sharing the netlist and kernels, with other group parameters."""
        other = object.__new__(CircuitEquations)
        other.netlist, other.kernels, other.params = self.netlist, self.kernels, list(params)
        return other

    def assemble(self, x, fixed_v, active, g_shunt=0.0):
        """Residual F (A), Jacobian CSC values (S), current scale and rounding scale per free node.

        ``scale`` is Σ|I| (A) over the currents meeting at the node; ``noise`` is
        Σ|∂I/∂v|·|v| (A), the size of the terms whose rounding limits how
        precisely F can be evaluated (large for very low resistances).
        Shapes: F, scale and noise (batch, n_free); Jacobian values (batch, nnz).
        Rows of inactive samples are left at zero.
        """
        batch = x.shape[0]
        residual = np.zeros((batch, self.n_free))
        scale = np.zeros((batch, self.n_free))
        noise = np.zeros((batch, self.n_free))
        jac = np.zeros((batch, self.netlist.nnz))
        for group, params, k in zip(self.netlist.groups, self.params, self.kernels):
            k["stamp"](x, fixed_v, group.term_a, group.term_b, params, group.slots, active,
                       residual, jac, scale, noise)
        if g_shunt:
            residual[active] += g_shunt * x[active]
            jac[np.ix_(active, self.netlist.diag_slots)] += g_shunt
        return residual, jac, scale, noise

    def residual(self, x, fixed_v, active=None, g_shunt=0.0):
        """KCL residual F (A), shape (batch, n_free)."""
        if active is None:
            active = np.ones(x.shape[0], dtype=np.bool_)
        residual = np.zeros((x.shape[0], self.n_free))
        for group, params, k in zip(self.netlist.groups, self.params, self.kernels):
            k["residual"](x, fixed_v, group.term_a, group.term_b, params, active, residual)
        if g_shunt:
            residual[active] += g_shunt * x[active]
        return residual

    def step_fraction(self, x, dx, fixed_v, active):
        """Largest fraction in (0, 1] of the Newton step ``dx`` every element accepts, per sample."""
        alpha = np.ones(x.shape[0])
        for group, params, k in zip(self.netlist.groups, self.params, self.kernels):
            if group.model.step_limit is not no_step_limit:  # elements that accept any step
                k["limit"](x, dx, fixed_v, group.term_a, group.term_b, params, active, alpha)
        return alpha

    def element_currents(self, x, fixed_v):
        """Per group, terminal currents (ia, ib) into each element (A), each (batch, n_elements)."""
        out = []
        for group, params, k in zip(self.netlist.groups, self.params, self.kernels):
            ia = np.empty((x.shape[0], group.term_a.size))
            ib = np.empty_like(ia)
            k["currents"](x, fixed_v, group.term_a, group.term_b, params, ia, ib)
            out.append((ia, ib))
        return out
