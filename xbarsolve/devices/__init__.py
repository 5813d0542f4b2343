"""Device models: each a two-terminal element the solver can stamp."""
from .base import ElementModel, Stamp
from .bsim import BsimLikeNMOS
from .bsim4 import Bsim4NMOS
from .level1 import Level1NMOS
from .mosfet import NMOSModel
from .passive import LinearMemristor, Resistor, SinhMemristor

__all__ = ["ElementModel", "Stamp", "NMOSModel", "Level1NMOS", "BsimLikeNMOS", "Bsim4NMOS", "LinearMemristor",
           "SinhMemristor", "Resistor"]
