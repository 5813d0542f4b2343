"""Two-terminal passive elements: linear conductances and sinh memristors.

* :class:`Resistor` -- a wire segment, source or sink resistance (parameter:
  conductance in S, so that gradients stay finite as R grows).
* :class:`LinearMemristor` -- a memristor in read mode, I = G·V.
* :class:`SinhMemristor` -- a non-linear memristor in read mode,
  I = G·V0·sinh(V/V0): small-signal conductance G at V = 0, super-linear
  above |V| ≈ V0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .base import ElementModel, Stamp, check_positive, check_positive_array


@njit(cache=True)
def _linear_evaluate(va, vb, p):
    g = p[0]
    i = g * (va - vb)
    return Stamp(i, -i, g, -g, -g, g)


@njit(cache=True)
def _linear_partials(va, vb, p, k):
    # k == 0: d/dG
    dv = va - vb
    return dv, -dv


@dataclass(frozen=True)
class Resistor(ElementModel):
    """Ohmic resistor.  Element parameter: ``conductance`` (S) = 1/R."""

    param_names = ("conductance",)
    linear = True
    evaluate = staticmethod(_linear_evaluate)
    parameter_partials = staticmethod(_linear_partials)

    def element_parameters(self, *, resistance: float) -> np.ndarray:
        """Parameter vector for a resistor of ``resistance`` ohms (> 0)."""
        r = check_positive("resistance", resistance)
        return np.array([1.0 / r])

    def element_parameter_array(self, *, resistance) -> np.ndarray:
        """Parameter vectors of resistors of ``resistance`` ohms (array, each > 0), (n, 1)."""
        return (1.0 / check_positive_array("resistance", resistance))[:, None]


@dataclass(frozen=True)
class LinearMemristor(ElementModel):
    """Memristor read at low bias: an ohmic conductance, I = G·V (G in S)."""

    param_names = ("conductance",)
    linear = True
    evaluate = staticmethod(_linear_evaluate)
    parameter_partials = staticmethod(_linear_partials)

    def element_parameters(self, *, conductance: float) -> np.ndarray:
        """Parameter vector for state conductance ``conductance`` (S, >= 0)."""
        return np.array([check_positive("conductance", conductance, allow_zero=True)])

    def element_parameter_array(self, *, conductance) -> np.ndarray:
        """Parameter vectors of memristors of state ``conductance`` (S, array, each >= 0), (n, 1)."""
        return np.array(check_positive_array("conductance", conductance, allow_zero=True))[:, None]


@njit(cache=True)
def _sinh_evaluate(va, vb, p):
    g = p[0]
    v0 = p[1]
    v = va - vb
    i = g * v0 * math.sinh(v / v0)
    di = g * math.cosh(v / v0)
    return Stamp(i, -i, di, -di, -di, di)


@njit(cache=True)
def _sinh_partials(va, vb, p, k):
    v = va - vb
    if k == 0:  # d/dG
        d = p[1] * math.sinh(v / p[1])
    else:  # d/dV0
        x = v / p[1]
        d = p[0] * (math.sinh(x) - x * math.cosh(x))
    return d, -d


@njit(cache=True)
def _sinh_step_limit(va, vb, dva, dvb, p):
    # sinh grows like exp: limit the change of the branch voltage to a few V0
    # once the branch is far into its exponential part (like SPICE's pnjlim).
    v0 = p[1]
    dv = dva - dvb
    span = 4.0 * v0 + 0.5 * abs(va - vb)
    if abs(dv) > span:
        return span / abs(dv)
    return 1.0


@dataclass(frozen=True)
class SinhMemristor(ElementModel):
    """Non-linear memristor in read mode: I = G·V0·sinh(V/V0).

    ``v0`` (V, > 0) sets where the I–V curve bends; ``G`` (S) is the
    small-signal conductance at V = 0 and is the per-element state.
    """

    v0: float = 0.25
    param_names = ("conductance", "v0")
    evaluate = staticmethod(_sinh_evaluate)
    parameter_partials = staticmethod(_sinh_partials)
    step_limit = staticmethod(_sinh_step_limit)

    def __post_init__(self):
        check_positive("v0", self.v0)

    def element_parameters(self, *, conductance: float) -> np.ndarray:
        """Parameter vector for small-signal conductance ``conductance`` (S)."""
        return np.array([check_positive("conductance", conductance, allow_zero=True), float(self.v0)])

    def element_parameter_array(self, *, conductance) -> np.ndarray:
        """Parameter vectors for small-signal conductances ``conductance`` (S, array), (n, 2)."""
        g = check_positive_array("conductance", conductance, allow_zero=True)
        return np.stack([g, np.full(g.shape, float(self.v0))], axis=1)
