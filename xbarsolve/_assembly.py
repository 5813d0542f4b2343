"""Nodal analysis: numba kernels that assemble KCL residuals and Jacobian values.

For a batch of node-voltage vectors ``x`` (batch, n_free) the residual of free
node k is the total current (A) flowing out of node k into elements,

    F_k(x) = Σ_elements I_into_element_at_k(x) + g_shunt · x_k ,

and the Jacobian J = ∂F/∂x (S) lives in the fixed CSC pattern of the compiled
netlist, one value array per sample.  ``g_shunt`` (S, from every free node to
0 V) is zero in a normal solve; gmin stepping uses it.

The loops over elements are the numba kernels of :mod:`xbarsolve._kernels`,
specialised per model kernel family, cached on disk, and reused for every
circuit and sample.
"""
from __future__ import annotations

import numpy as np

from . import _kernels
from ._netlist import CompiledNetlist


class CircuitEquations:
    """KCL equations of a compiled netlist, with replaceable element parameters.

    ``params`` is a list with one float64 array per element group; replace an
    entry (same shape) to change conductances or gate voltages without
    recompiling the circuit.
    """

    def __init__(self, netlist: CompiledNetlist, params=None):
        self.netlist = netlist
        self.params = [g.params for g in netlist.groups] if params is None else list(params)
        self.families = [_kernels.kernel_family(g.model, g.params[0] if len(g.params) else None)
                         for g in netlist.groups]

    @property
    def n_free(self) -> int:
        return self.netlist.n_free

    def with_params(self, params) -> "CircuitEquations":
        """A copy sharing the netlist and kernels, with other group parameters."""
        other = object.__new__(CircuitEquations)
        other.netlist, other.families, other.params = self.netlist, self.families, list(params)
        return other

    def assemble(self, x, fixed_v, active, g_shunt=0.0):
        """Residual F (A), Jacobian CSC values (S), current scale and rounding scale per free node.

        ``scale`` is Σ|I| (A) over the currents meeting at the node; ``noise`` is
        Σ|∂I/∂v|·|v| (A), the size of the terms whose rounding limits how
        precisely F can be evaluated (large for very low resistances).
        Shapes: F, scale and noise (batch, n_free); Jacobian values (batch, nnz).
        Rows of inactive samples are left at zero; rows of samples where a device model is
        undefined (see :func:`_per_sample_on_error`) are NaN.
        """
        batch = x.shape[0]
        residual = np.zeros((batch, self.n_free))
        scale = np.zeros((batch, self.n_free))
        noise = np.zeros((batch, self.n_free))
        jac = np.zeros((batch, self.netlist.nnz))

        def fill(rows):
            for group, params, kind in zip(self.netlist.groups, self.params, self.families):
                _kernels.stamp(kind, x[rows], fixed_v[rows], group.term_a, group.term_b, params, group.slots,
                               active[rows], residual[rows], jac[rows], scale[rows], noise[rows])

        _per_sample_on_error(fill, batch, (residual, jac, scale, noise), 0.0)
        if g_shunt:
            residual[active] += g_shunt * x[active]
            jac[np.ix_(active, self.netlist.diag_slots)] += g_shunt
        return residual, jac, scale, noise

    @property
    def is_linear(self) -> bool:
        """True when every element is linear (``ElementModel.linear``): the Jacobian is then one
        constant matrix, the same for every sample and iterate."""
        return all(getattr(g.model, "linear", False) for g in self.netlist.groups)

    def kcl(self, x, fixed_v, active):
        """Residual F (A), current scale and rounding scale per free node, as :meth:`assemble`
        gives them, without the Jacobian (each (batch, n_free))."""
        batch = x.shape[0]
        residual = np.zeros((batch, self.n_free))
        scale = np.zeros((batch, self.n_free))
        noise = np.zeros((batch, self.n_free))

        def fill(rows):
            for group, params, kind in zip(self.netlist.groups, self.params, self.families):
                _kernels.kcl(kind, x[rows], fixed_v[rows], group.term_a, group.term_b, params, active[rows],
                             residual[rows], scale[rows], noise[rows])

        _per_sample_on_error(fill, batch, (residual, scale, noise), 0.0)
        return residual, scale, noise

    def residual(self, x, fixed_v, active=None, g_shunt=0.0):
        """KCL residual F (A), shape (batch, n_free)."""
        if active is None:
            active = np.ones(x.shape[0], dtype=np.bool_)
        residual = np.zeros((x.shape[0], self.n_free))

        def fill(rows):
            for group, params, kind in zip(self.netlist.groups, self.params, self.families):
                _kernels.residual(kind, x[rows], fixed_v[rows], group.term_a, group.term_b, params,
                                  active[rows], residual[rows])

        _per_sample_on_error(fill, x.shape[0], (residual,), 0.0)
        if g_shunt:
            residual[active] += g_shunt * x[active]
        return residual

    def residual_at_zero(self, fixed_v):
        """F(0) (A), (batch, n_free): the KCL residual with every free node at 0 V -- for a linear
        circuit, minus the right-hand side of J·x = −F(0).

        Per sample, only the elements with a fixed terminal are evaluated (in a crossbar, the
        drivers and sinks: ~2·n of its ~3·n² elements).  Every other element sees 0 V at both
        terminals in every sample; what it adds (0 A for a resistor) is computed once, at the
        first call, and added to each sample.
        """
        boundary, constant = self._zero_state_parts()
        batch = fixed_v.shape[0]
        residual = np.zeros((batch, self.n_free))
        x = np.zeros((batch, self.n_free))
        active = np.ones(batch, dtype=np.bool_)

        def fill(rows):
            for kind, term_a, term_b, params in boundary:
                _kernels.residual(kind, x[rows], fixed_v[rows], term_a, term_b, params, active[rows],
                                  residual[rows])

        _per_sample_on_error(fill, batch, (residual,), 0.0)
        if constant is not None:
            residual += constant
        return residual

    def _zero_state_parts(self):
        """(boundary, constant) for :meth:`residual_at_zero`: per group with elements that touch a
        fixed terminal, (family, term_a, term_b, params) of those elements; and the residual (A,
        (1, n_free)) of all other elements at 0 V, or None where it is exactly zero."""
        parts = getattr(self, "_zero_parts", None)
        if parts is None:
            boundary, interior = [], []
            for group, params, kind in zip(self.netlist.groups, self.params, self.families):
                touches = (group.term_a < 0) | (group.term_b < 0)
                for mask, into in ((touches, boundary), (~touches, interior)):
                    if mask.any():
                        into.append((kind, np.ascontiguousarray(group.term_a[mask]),
                                     np.ascontiguousarray(group.term_b[mask]), np.ascontiguousarray(params[mask])))
            constant = np.zeros((1, self.n_free))
            zeros = np.zeros((1, self.n_free))
            for kind, term_a, term_b, params in interior:
                _kernels.residual(kind, zeros, np.zeros((1, len(self.netlist.fixed_sources))), term_a, term_b,
                                  params, np.ones(1, dtype=np.bool_), constant)
            parts = self._zero_parts = (boundary, constant if constant.any() else None)
        return parts

    def step_fraction(self, x, dx, fixed_v, active):
        """Largest fraction in (0, 1] of the Newton step ``dx`` every element accepts, per sample."""
        alpha = np.ones(x.shape[0])

        def fill(rows):
            for group, params, kind in zip(self.netlist.groups, self.params, self.families):
                if kind.limits_steps:  # (other elements accept any step)
                    _kernels.limit(kind, x[rows], dx[rows], fixed_v[rows], group.term_a, group.term_b, params,
                                   active[rows], alpha[rows])

        _per_sample_on_error(fill, x.shape[0], (alpha,), 1.0)
        return alpha

    def element_currents(self, x, fixed_v, groups=None):
        """Per group, the currents (A) into each element, each array (batch, n_elements):
        ``(ia, ib)`` for two-terminal models, ``(ia, ib, i_gate, i_body)`` for models with
        ``terminal_currents`` (four-terminal transistors: one evaluation gives all four).
        Only the groups in ``groups`` (indices; default all) are evaluated, the others are None."""
        wanted = range(len(self.netlist.groups)) if groups is None else groups
        out = [None] * len(self.netlist.groups)
        for gid in wanted:
            n = self.netlist.groups[gid].term_a.size
            terminals = 4 if self.families[gid].terminal_currents is not None else 2
            out[gid] = tuple(np.empty((x.shape[0], n)) for _ in range(terminals))

        def fill(rows):
            for gid in wanted:
                group, params, kind, arrays = self.netlist.groups[gid], self.params[gid], self.families[gid], out[gid]
                kernel = _kernels.terminals if len(arrays) == 4 else _kernels.currents
                kernel(kind, x[rows], fixed_v[rows], group.term_a, group.term_b, params, *(a[rows] for a in arrays))

        _per_sample_on_error(fill, x.shape[0], [a for gid in wanted for a in out[gid]], 0.0)
        return out


#: What a device model's numba code raises where its equations are undefined (numba raises
#: ZeroDivisionError for a float division by zero, as Python does).
ARITHMETIC_ERRORS = (ZeroDivisionError, OverflowError, FloatingPointError)


def _per_sample_on_error(fill, batch: int, outputs, initial: float) -> None:
    """Run ``fill(rows)`` (kernels writing into ``outputs``) for the whole batch; if a device model
    raises an arithmetic error, redo it sample by sample and set the rows of the samples where it
    raises to NaN.  Such a sample then looks like any non-finite evaluation to Newton: it
    backtracks, falls back to gmin and source stepping, and ends in a typed ConvergenceError --
    never a raw ZeroDivisionError from deep inside a kernel."""
    try:
        fill(slice(None))
        return
    except ARITHMETIC_ERRORS:
        pass
    for out in outputs:
        out[...] = initial
    for s in range(batch):
        try:
            fill(slice(s, s + 1))
        except ARITHMETIC_ERRORS:
            for out in outputs:
                out[s] = np.nan
