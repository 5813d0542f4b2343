"""Damped Newton's method for a circuit's DC operating point, with fallbacks (one module per part).

* :mod:`.options` -- :class:`NewtonOptions`, the tolerances and limits;
* :mod:`.convergence` -- the convergence tests (KCL at every node, negligible update);
* :mod:`.iteration` -- one attempt of damped Newton with device limiting and a line search;
* :mod:`.homotopy` -- gmin stepping and source stepping, for samples Newton alone cannot solve;
* :mod:`.decoupled` -- the fast path for circuits whose unknowns do not couple;
* :mod:`.driver` -- :func:`solve_dc`: batch chunks, the strategy cascade, typed failure.

If every strategy fails, :class:`~xbarsolve.ConvergenceError` is raised: an unconverged answer
is never returned.
"""
from .driver import solve_dc
from .options import NewtonOptions
from .result import NewtonResult

__all__ = ["NewtonOptions", "NewtonResult", "solve_dc"]
