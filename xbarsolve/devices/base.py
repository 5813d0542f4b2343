"""The contract between device models and the circuit solver.

Every circuit element the solver knows is a *two-terminal element*: it connects
node ``a`` to node ``b`` (for a transistor: drain to source, with its gate and
body held at fixed voltages that are element parameters).  A model supplies

* ``param_names`` -- the layout of one element's parameter vector (float64);
* ``evaluate(va, vb, p)`` -- a numba ``@njit`` function returning a :data:`Stamp`
  ``(ia, ib, dia_dva, dia_dvb, dib_dva, dib_dvb)`` (named fields): the currents in amperes
  flowing *from the nodes into the element* at terminals ``a`` and ``b``, and
  their partial derivatives in siemens.  A conservative element has
  ``ib == -ia``; a transistor also leaks current into its body terminal
  (``-(ia + ib)``), which is held at a fixed voltage.
* optionally ``current(va, vb, p)`` -- ``(ia, ib)`` alone, where that is
  cheaper than ``evaluate`` (result extraction and line searches use it);
* ``step_limit(va, vb, dva, dvb, p)`` -- a numba function returning the
  fraction in (0, 1] of a proposed Newton step that the element accepts
  (SPICE-style voltage limiting; 1.0 for well-behaved elements).
* ``parameter_partials(va, vb, p, k)`` -- ``(dia/dp_k, dib/dp_k)``, the
  derivatives of the terminal currents with respect to parameter ``k``,
  used by implicit differentiation.
* optionally ``terminal_currents(va, vb, p)`` -- ``(ia, ib, i_gate, i_body)`` (A), every
  current into a four-terminal element (a transistor whose gate and body carry current,
  such as BSIM4's); without it the gate draws nothing and the body takes ``-(ia + ib)``.
  Results (gate-line currents) and the power bookkeeping use it.

New models are added by subclassing :class:`ElementModel`; the solver compiles
its element loops (:mod:`xbarsolve._kernels`) once per distinct set of these
functions -- and caches them on disk -- and never needs to know what is inside them.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections import namedtuple

import numpy as np
from numba import njit

from ..checks import finite_number, positive_number


#: What ``evaluate`` returns: the currents (A) flowing from the nodes into the element at its
#: terminals a and b, and their derivatives (S) with respect to the terminal voltages.  Build it
#: inside numba code as ``Stamp(ia, ib, dia_dva, dia_dvb, dib_dva, dib_dvb)``; the solver reads
#: the fields by name, so the record can grow (e.g. currents into an element's gate and body)
#: without touching the models that do not fill the new fields.
Stamp = namedtuple("Stamp", ["ia", "ib", "dia_dva", "dia_dvb", "dib_dva", "dib_dvb"])


@njit(cache=True)
def no_step_limit(va, vb, dva, dvb, p):
    """Accept any Newton step (the default for monotone, smooth elements)."""
    return 1.0


class ElementModel(ABC):
    """Base class of two-terminal element models (see module docstring).

    Subclasses set the class attributes ``param_names`` (tuple of str),
    ``evaluate`` and optionally ``current``, ``step_limit`` and ``parameter_partials``
    (numba dispatchers), and implement :meth:`element_parameters`.
    Instances must be immutable: their fields describe a model card.

    ``linear`` (class attribute, default False): True when the terminal currents are a fixed
    linear function of the terminal voltages, ``ia = g·(va − vb)`` and the like, so that the
    element's Jacobian entries depend on neither the voltages nor the inputs.  A circuit made
    only of such elements has one constant Jacobian, which the solver factorizes once for a
    whole batch (:mod:`xbarsolve._newton.linear`).
    """

    param_names: tuple = ()
    linear: bool = False
    evaluate = None
    current = None
    step_limit = staticmethod(no_step_limit)
    parameter_partials = None
    terminal_currents = None

    @abstractmethod
    def element_parameters(self, **values) -> np.ndarray:
        """Pack one element's parameter vector (float64, ``len(param_names)``)."""

    def element_parameter_array(self, **values) -> np.ndarray:
        """Parameter vectors of n elements at once, (n, len(param_names)): keyword arguments as
        :meth:`element_parameters` takes them, each an array of n values.

        This default packs each distinct combination of values once with
        :meth:`element_parameters`; models override it with a vectorised version where
        crossbars of millions of elements are built.
        """
        names = list(values)
        arrays = [np.asarray(values[k], dtype=float).reshape(-1) for k in names]
        n = arrays[0].size if arrays else 0
        out = np.empty((n, len(self.param_names)))
        packed: dict = {}
        for e in range(n):
            key = tuple(float(a[e]) for a in arrays)
            vec = packed.get(key)
            if vec is None:
                vec = packed[key] = self.element_parameters(**dict(zip(names, key)))
            out[e] = vec
        return out

    def param_index(self, name: str) -> int:
        """Position of parameter ``name`` in the element parameter vector."""
        try:
            return self.param_names.index(name)
        except ValueError:
            raise KeyError(f"{type(self).__name__} has no parameter {name!r}; "
                           f"it has {self.param_names}") from None


def check_positive_array(name: str, values, *, allow_zero: bool = False) -> np.ndarray:
    """``values`` as a float64 array after checking every entry is finite and > 0 (or >= 0)."""
    arr = np.asarray(values, dtype=float)
    bad = ~np.isfinite(arr) | (arr < 0) | ((arr == 0) & (not allow_zero))
    if bad.any():
        positive_number(name, float(arr[bad].flat[0]), allow_zero=allow_zero)  # raises with the message
    return arr


# The input checks device cards use (kept under these names for the device modules).
check_positive = positive_number
check_finite = finite_number
