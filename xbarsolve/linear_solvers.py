"""Linear solvers for Newton steps and adjoint solves: the protocol, the built-in solvers, the registry.

Pass one to the solver as ``NewtonOptions(linear_solver=...)``, by object or by name:

==============  ==========================  ==================================================
name            class                       method
==============  ==========================  ==================================================
``"auto"``      :class:`AutoSolver`         picks from the Jacobian's structure (default)
``"krylov"``    :class:`KrylovSolver`       GMRES, block Gauss–Seidel preconditioner over the
                                            crossbar's row and column sides, LU fallback
``"lu"``        :class:`SparseLU`           fixed-pattern sparse LU (numba), no pivoting
``"superlu"``   :class:`SuperLU`            scipy's SuperLU (the baseline)
``"diagonal"``  :class:`DiagonalSolver`     unknowns that do not couple
==============  ==========================  ==================================================

>>> from xbarsolve import NewtonOptions
>>> from xbarsolve.linear_solvers import KrylovSolver
>>> options = NewtonOptions(linear_solver=KrylovSolver(rtol=1e-12, max_iterations=100))

A new method implements :class:`LinearSolver` (a frozen configuration whose ``analyse``
does the symbolic work for one :class:`JacobianPattern`), :class:`LinearPlan` (``init`` on
a batch of Jacobian values → a :class:`LinearState`; ``solve`` with ``transpose`` for the
adjoint) and :class:`LinearState`, and may be registered by name with
:func:`register_linear_solver`.  See ``docs/architecture.md``.
"""
from __future__ import annotations

from dataclasses import dataclass

from ._krylov import KrylovPlan, KrylovSolver, KrylovState
from ._linear import (ArrayState, JacobianPattern, LinearPlan, LinearSolver, LinearState, linear_solver,
                      register_linear_solver, registered_linear_solvers)
from ._lu import DiagonalSolver, SparseLU, SuperLU

__all__ = ["LinearSolver", "LinearPlan", "LinearState", "ArrayState", "JacobianPattern", "AutoSolver",
           "KrylovSolver", "SparseLU", "SuperLU", "DiagonalSolver", "KrylovPlan", "KrylovState",
           "linear_solver", "register_linear_solver", "registered_linear_solvers"]


@dataclass(frozen=True)
class AutoSolver(LinearSolver):
    """Chooses from the Jacobian's structure: :class:`DiagonalSolver` when the unknowns do not
    couple, :class:`KrylovSolver` when every unknown has a crossbar side (every
    :class:`~xbarsolve.Crossbar`), :class:`SparseLU` otherwise."""

    name = "auto"

    def choose(self, pattern: JacobianPattern) -> LinearSolver:
        """The solver this one stands for on ``pattern``."""
        if pattern.is_diagonal:
            return DiagonalSolver()
        if pattern.side is not None:
            return KrylovSolver()
        return SparseLU()

    def analyse(self, pattern: JacobianPattern) -> LinearPlan:
        return self.choose(pattern).analyse(pattern)


register_linear_solver("auto", AutoSolver)
