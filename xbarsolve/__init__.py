"""xbarsolve: exact, differentiable DC solutions of memristive crossbars.

>>> from xbarsolve import Crossbar
"""
from .crossbar import Crossbar
from .devices import ElementModel, Level1NMOS, LinearMemristor, NMOSModel, Resistor, SinhMemristor
from .errors import ConvergenceError
from .newton import NewtonOptions
from .results import CrossbarSolution

__all__ = ["Crossbar", "CrossbarSolution", "ConvergenceError", "NewtonOptions", "ElementModel",
           "NMOSModel", "Level1NMOS", "LinearMemristor", "SinhMemristor", "Resistor"]
__version__ = "0.1.0"
