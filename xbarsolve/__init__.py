"""xbarsolve: exact, differentiable DC solutions of memristive crossbars.

>>> from xbarsolve import Crossbar

Gradients through the exact solution: ``from xbarsolve.autodiff import crossbar_currents``
(imports torch).  SPICE interop: :mod:`xbarsolve.spice`.
"""
from .crossbar import Crossbar
from .devices import (BsimLikeNMOS, ElementModel, Level1NMOS, LinearMemristor, NMOSModel, Resistor,
                      SinhMemristor)
from .errors import ConvergenceError
from ._newton import NewtonOptions
from .results import CrossbarSolution

__all__ = ["Crossbar", "CrossbarSolution", "ConvergenceError", "NewtonOptions", "ElementModel",
           "NMOSModel", "Level1NMOS", "BsimLikeNMOS", "LinearMemristor", "SinhMemristor", "Resistor"]
__version__ = "0.1.0"
