"""The tolerances and limits of a DC solve."""
from __future__ import annotations

from dataclasses import dataclass

from .. import checks
from .. import linear_solvers  # noqa: F401  (registers the built-in linear solvers by name)
from .._linear import LinearSolver, linear_solver as resolve_linear_solver

DEFAULT_GMIN_STEPS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)  # S


@dataclass(frozen=True)
class NewtonOptions:
    """Tolerances and limits of the DC solve.

    reltol -- relative tolerance on node voltages and on KCL currents;
    vntol -- absolute voltage tolerance (V); abstol -- absolute current
    tolerance (A); max_iterations -- Newton steps per attempt;
    max_backtracks -- line-search halvings per step; gmin_steps -- shunt
    conductances (S) tried in order by gmin stepping; source_min_step --
    smallest input-ramp increment before source stepping gives up;
    linear_solver -- how Newton steps (and the adjoint's transposed systems)
    are solved: a :class:`~xbarsolve.linear_solvers.LinearSolver` or its
    registered name, "auto" (default: the diagonal solver where unknowns do not
    couple, "krylov" for crossbars, "lu" otherwise), "krylov" (GMRES with a
    block Gauss–Seidel preconditioner over the row and column sides, exact LU
    where it does not converge), "lu" (fixed-pattern sparse LU, parallel over
    the batch) or "superlu" (scipy; the baseline); see
    :mod:`xbarsolve.linear_solvers`.  decoupled_fast_path -- solve circuits
    whose unknowns do not couple (1T-1R cells with ideal wires) node by node
    with a bracketed scalar Newton (:mod:`xbarsolve._newton.decoupled`).
    linear_fast_path -- solve circuits of linear elements only (1R cells with
    linear memristors) with one factorization of their constant Jacobian for the
    whole batch (:mod:`xbarsolve._newton.linear`; same convergence tests).

    ``linear_solver`` is stored as the solver object (a name is looked up).
    """

    reltol: float = 1e-9
    vntol: float = 1e-12
    abstol: float = 1e-15
    max_iterations: int = 100
    max_backtracks: int = 10
    gmin_steps: tuple = DEFAULT_GMIN_STEPS
    source_min_step: float = 1e-4
    linear_solver: LinearSolver | str = "auto"
    decoupled_fast_path: bool = True
    linear_fast_path: bool = True

    def __post_init__(self):
        prefix = "NewtonOptions."
        for name in ("reltol", "vntol", "abstol", "source_min_step"):
            object.__setattr__(self, name, checks.real_number(name, getattr(self, name), positive=True,
                                                              prefix=prefix))
        if self.reltol >= 1e-2:
            raise ValueError(f"NewtonOptions.reltol must be < 1e-2 (a relative tolerance; default 1e-9), "
                             f"got {self.reltol!r}")
        if self.source_min_step >= 1:
            raise ValueError(f"NewtonOptions.source_min_step must be < 1, got {self.source_min_step!r}")
        for name in ("max_iterations", "max_backtracks"):
            value = checks.integer(name, getattr(self, name), minimum=1, prefix=prefix)
            object.__setattr__(self, name, value)
        steps = checks.real_sequence("gmin_steps", self.gmin_steps, positive=True,
                                     described="finite conductances > 0 (S)", prefix=prefix)
        object.__setattr__(self, "gmin_steps", steps)
        object.__setattr__(self, "linear_solver", resolve_linear_solver(self.linear_solver))
        for name in ("decoupled_fast_path", "linear_fast_path"):
            object.__setattr__(self, name, checks.boolean(name, getattr(self, name), prefix=prefix))
