"""The batch driver: chunks of the batch, the strategy cascade, and typed failure.

Each chunk of samples is solved by the decoupled fast path (circuits whose unknowns do not
couple) or damped Newton; samples that fail are retried with gmin stepping and then with
source stepping; a sample that fails them all raises :class:`~xbarsolve.ConvergenceError`
with diagnostics.  Chunks bound the memory of the per-sample working arrays.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConvergenceError
from .decoupled import solve_decoupled
from .homotopy import gmin_stepping, source_stepping
from .iteration import damped_newton
from .linear import shared_factor, solve_linear, wants_linear_path
from .options import NewtonOptions
from .result import NewtonResult

#: Memory (bytes) the per-sample working arrays of one batch chunk may take (linear-solver
#: states, two Jacobians, ~16 node vectors); larger batches are solved in chunks so that peak
#: memory does not grow with the batch.
CHUNK_MEMORY_BUDGET = 256 * 2 ** 20


def chunk_size(plan, netlist, batch: int) -> int:
    """Samples per chunk within :data:`CHUNK_MEMORY_BUDGET`."""
    n_free = max(netlist.n_free, 1)
    per_sample = plan.memory_per_sample + 8 * (2 * netlist.nnz + 16 * n_free)
    return max(1, min(batch, CHUNK_MEMORY_BUDGET // per_sample))


def solve_dc(eqs, fixed_v: np.ndarray, x0=None, options: NewtonOptions | None = None, plan=None,
             keep_jacobians: bool = True) -> NewtonResult:
    """Solve the DC operating point of every sample; raise ConvergenceError on failure.

    ``fixed_v`` (V): fixed terminal voltages, (batch, n_fixed); ``x0`` (V): initial free node
    voltages, (batch, n_free), default 0 V; ``plan``: the linear solver analysed for the
    circuit (default: ``options.linear_solver`` analysed now).  ``keep_jacobians`` keeps the
    linear solver's state of each sample's final Jacobian (implicit differentiation needs it);
    without it, memory stays bounded by one batch chunk.
    """
    options = NewtonOptions() if options is None else options
    net = eqs.netlist
    if plan is None:
        plan = options.linear_solver.analyse(net.pattern)
    batch = fixed_v.shape[0]
    x0 = np.zeros((batch, net.n_free)) if x0 is None else np.asarray(x0, dtype=float)
    if wants_linear_path(eqs, batch, options):
        result = _solve_linear(eqs, fixed_v, x0, options, keep_jacobians)
        if result is not None:
            return result
    chunk = chunk_size(plan, net, batch)
    if chunk >= batch:
        return _solve_chunk(eqs, fixed_v, x0, options, plan, keep_jacobians)
    out = NewtonResult.start(x0)
    failures = []
    for start in range(0, batch, chunk):
        rows = np.arange(start, min(batch, start + chunk))
        try:
            part = _solve_chunk(eqs, fixed_v[rows], x0[rows], options, plan, keep_jacobians)
        except ConvergenceError as err:
            failures.append((start, err))
            continue
        out.merge(part, rows, None, plan)
        out.strategy[start:start + rows.size] = part.strategy
    if failures:
        stage = failures[-1][1].stage
        raise ConvergenceError(np.concatenate([start + e.samples for start, e in failures]),
                               np.concatenate([e.residual_norm for _, e in failures]),
                               np.concatenate([e.iterations for _, e in failures]), stage)
    return out


def _solve_linear(eqs, fixed_v, x0, options, keep_jacobians) -> NewtonResult | None:
    """A linear circuit with one shared factorization, in chunks of the batch (only the node
    vectors are per sample); None -- the general path decides -- if the matrix is singular or
    a sample does not converge."""
    shared = shared_factor(eqs)
    if shared is None:
        return None
    batch = x0.shape[0]
    chunk = max(1, min(batch, CHUNK_MEMORY_BUDGET // (8 * 8 * max(eqs.n_free, 1))))
    if chunk >= batch:
        out = solve_linear(eqs, shared, fixed_v, x0, options, keep_jacobians)
    else:
        out = NewtonResult.start(x0)
        out.plan = shared
        for start in range(0, batch, chunk):
            rows = np.arange(start, min(batch, start + chunk))
            out.merge(solve_linear(eqs, shared, fixed_v[rows], x0[rows], options, keep_jacobians), rows,
                      "linear", shared)
    if not out.converged.all():
        return None
    out.strategy = ["linear"] * batch
    return out


def _solve_chunk(eqs, fixed_v, x0, options, plan, keep_jacobians) -> NewtonResult:
    net = eqs.netlist
    if net.n_free and net.nnz == net.n_free and options.decoupled_fast_path:
        result = solve_decoupled(eqs, plan, fixed_v, x0, options, keep_jacobians)
        label = "decoupled"
    else:
        result = damped_newton(eqs, plan, x0, fixed_v, options, keep_jacobians=keep_jacobians)
        label = "newton"
    result.strategy = [label if c else None for c in result.converged]
    stage = label
    failed = np.flatnonzero(~result.converged)
    if failed.size:
        stage = "gmin stepping"
        result.merge(gmin_stepping(eqs, plan, x0[failed], fixed_v[failed], options, keep_jacobians),
                     failed, stage, plan)
        failed = np.flatnonzero(~result.converged)
    if failed.size:
        stage = "source stepping"
        part = source_stepping(eqs, plan, fixed_v[failed], options, keep_jacobians)
        result.merge(part, failed, stage, plan)
        failed = np.flatnonzero(~result.converged)
    if failed.size:
        raise ConvergenceError(failed, result.residual_norm[failed], result.iterations[failed], stage)
    return result
