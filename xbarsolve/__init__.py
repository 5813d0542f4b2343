"""xbarsolve: exact, differentiable DC solutions of memristive crossbars.

>>> from xbarsolve import Crossbar

The public surface is what this module exports (``__all__``) and these public modules:

* :mod:`xbarsolve.autodiff` -- gradients through the exact solution as PyTorch autograd
  (``crossbar_currents``, ``CrossbarLayer``; imports torch);
* :mod:`xbarsolve.devices` -- device models and the element-model protocol;
* :mod:`xbarsolve.linear_solvers` -- the linear-solver protocol and the built-in solvers;
* :mod:`xbarsolve.spice` -- ngspice netlist export, model cards, running ngspice;
* :mod:`xbarsolve.checks` -- the input-check predicates every public function uses;
* :mod:`xbarsolve.errors` -- the typed errors.

Modules whose names start with an underscore are internal: their contents may change without
notice (``docs/architecture.md`` describes them).
"""
from ._crossbar import Crossbar
from ._newton import NewtonOptions
from ._results import CrossbarSolution, OperatingPoint
from .devices import (Bsim4NMOS, BsimLikeNMOS, ElementModel, Level1NMOS, LinearMemristor, NMOSModel,
                      Resistor, SinhMemristor, Stamp)
from .errors import ConvergenceError, NotDifferentiableError

__all__ = ["Crossbar", "CrossbarSolution", "OperatingPoint", "NewtonOptions", "ConvergenceError",
           "NotDifferentiableError", "ElementModel", "Stamp", "NMOSModel", "Level1NMOS", "BsimLikeNMOS",
           "Bsim4NMOS", "LinearMemristor", "SinhMemristor", "Resistor"]
__version__ = "0.1.0"
