"""The differentiable parameters of a crossbar: one specification, from which everything follows.

Each entry of :data:`PARAMETERS` says what a user-facing quantity is -- which element role it
sets and which entry of those elements' parameter vectors, its shape on the crossbar, its
unit, and whether it is a resistance (stored in the element as the conductance g = 1/R, so
that gradients stay finite as R grows; dL/dR = −g²·dL/dg).  From it follow: the checks of
constructor values and per-solve overrides (:meth:`Parameter.check`, :meth:`Parameter.override`),
the element parameter arrays of a solve (:func:`element_parameters`), the arguments of
:func:`xbarsolve.autodiff.crossbar_currents` and the trainable quantities of
:class:`~xbarsolve.autodiff.CrossbarLayer`, and the mapping of element-level gradients back
to the user's arrays (:meth:`Parameter.collect`).

=================  ===========  ==============================  =====  ====================
name               role         shape                           unit   element parameter
=================  ===========  ==============================  =====  ====================
``conductances``   memristor    (rows, cols)                    S      conductance
``v_gate``         transistor   scalar or one per gate line     V      v_gate
``r_source``       source       scalar or (rows,)               Ω      conductance = 1/R
``r_sink``         sink         scalar or (cols,)               Ω      conductance = 1/R
``r_wire_row``     row_wire     scalar (every segment)          Ω      conductance = 1/R
``r_wire_col``     col_wire     scalar (every segment)          Ω      conductance = 1/R
=================  ===========  ==============================  =====  ====================

Gate lines run along the rows (one gate voltage per row, (rows,)) or along the columns
((cols,)), as the crossbar's ``gate_lines`` says.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks

#: Where a parameter's entries sit on the crossbar: per cell, per row, per column, per gate line, or
#: one value for every element of its role (None).
AXES = ("cells", "rows", "cols", "gate_lines", None)


@dataclass(frozen=True)
class Parameter:
    """One differentiable quantity of a crossbar (see the module docstring)."""

    name: str
    role: str
    element_parameter: str
    axis: str | None
    unit: str
    description: str
    resistance: bool = False
    non_negative: bool = False
    needs_transistors: bool = False

    # ------------------------------------------------------------------ shapes
    def axis_of(self, crossbar) -> str | None:
        """The axis (``"rows"``, ``"cols"``, ``"cells"`` or None), gate lines resolved."""
        if self.axis == "gate_lines":
            return "rows" if crossbar.gate_lines == "rows" else "cols"
        return self.axis

    def shape(self, crossbar) -> tuple:
        """The full shape of the quantity on ``crossbar`` (() for a scalar)."""
        rows, cols = crossbar.shape
        return {"cells": (rows, cols), "rows": (rows,), "cols": (cols,), None: ()}[self.axis_of(crossbar)]

    def describe_shape(self, crossbar) -> str:
        """The accepted shapes, in words (for messages and docs)."""
        shape = self.shape(crossbar)
        if not shape:
            return "a scalar"
        return f"shape {shape}" if self.axis == "cells" else f"a scalar or shape {shape}"

    # ------------------------------------------------------------------ checks
    def check(self, value, shape: tuple) -> np.ndarray:
        """``value`` checked (type, finite, sign, resistance) and broadcast to ``shape`` (a new array)."""
        if self.resistance:
            return checks.resistance_array(self.name, value, shape if shape else None)
        arr = checks.real_array(self.name, value, non_negative=self.non_negative)
        if self.axis == "cells":  # one value per cell: no broadcasting of a scalar
            if arr.shape != shape:
                raise ValueError(f"{self.name} must have shape {shape}, got {arr.shape}")
            return arr
        return checks.broadcast(self.name, arr, shape)

    def compiled(self, crossbar) -> np.ndarray:
        """The value the crossbar was built with (its own read-only array, or a float)."""
        return np.asarray(getattr(crossbar, self.name), dtype=float)

    def override(self, crossbar, value) -> np.ndarray:
        """A per-solve replacement of the compiled value, checked before any work.

        Resistances must keep the netlist: 0 Ω (merged nodes) stays 0, non-zero stays non-zero.
        """
        if self.needs_transistors and crossbar.cell != "1t1r":
            raise ValueError(f"{self.name} was given but the crossbar has passive 1R cells (no gates)")
        arr = self.check(value, self.shape(crossbar))
        if self.resistance:
            _check_same_topology(self.name, arr, self.compiled(crossbar))
        return arr

    # ------------------------------------------------------------------ elements
    def element_index(self, crossbar, elements) -> tuple:
        """Index into the full array of the quantity for each element of ``elements`` (a
        :class:`~xbarsolve._layout.RoleElements`); () for a scalar."""
        axis = self.axis_of(crossbar)
        if axis is None:
            return ()
        if axis == "cells":
            return elements.index
        if self.role == "transistor":  # a gate line: the cell's row or column
            return (elements.index[0 if axis == "rows" else 1],)
        return (elements.index[0 if axis == "rows" else -1],)

    def element_values(self, crossbar, elements, arr: np.ndarray) -> np.ndarray:
        """The element parameter values (conductances 1/R for resistances) of ``elements``."""
        index = self.element_index(crossbar, elements)
        values = arr[index] if index else np.full(elements.positions.size, float(arr))
        return 1.0 / values if self.resistance else values

    def collect(self, crossbar, elements, grad_elements: np.ndarray,
                element_values: np.ndarray) -> np.ndarray:
        """The gradient with respect to the quantity (full shape) from the gradients with respect
        to its element parameters, ``grad_elements`` (per element of ``elements``); the chain
        rule dL/dR = −g²·dL/dg for resistances (``element_values`` are the conductances g)."""
        if self.resistance:
            grad_elements = -element_values ** 2 * grad_elements
        index = self.element_index(crossbar, elements)
        if not index:
            return np.asarray(grad_elements.sum())
        out = np.zeros(self.shape(crossbar))
        np.add.at(out, index, grad_elements)
        return out


def _check_same_topology(name: str, new: np.ndarray, compiled: np.ndarray):
    """Raise unless ``new`` (Ω) is 0 exactly where the compiled resistance ``compiled`` (Ω) is."""
    bad = np.flatnonzero((np.broadcast_to(new, compiled.shape) == 0) != (compiled == 0))
    if bad.size == 0:
        return
    k = int(bad[0])
    where = f"{name}[{k}]" if compiled.ndim else name
    old, val = float(compiled.reshape(-1)[k]), float(np.broadcast_to(new, compiled.shape).reshape(-1)[k])
    if old == 0:
        raise ValueError(f"{where} was 0 Ω when the crossbar was compiled, so its two nodes are merged into "
                         f"one electrical node and no resistor exists to take the new value {val!r} Ω; "
                         f"build a new Crossbar with {name} > 0 to change it")
    raise ValueError(f"{where} was {old!r} Ω when the crossbar was compiled; 0 Ω would merge its nodes, "
                     f"which changes the netlist; build a new Crossbar with {name}=0 instead")


#: The differentiable parameters, by name, in the order of the autodiff arguments.
PARAMETERS = {p.name: p for p in (
    Parameter("conductances", "memristor", "conductance", "cells", "S", "memristor state conductances",
              non_negative=True),
    Parameter("v_gate", "transistor", "v_gate", "gate_lines", "V", "gate (select-line) voltages",
              needs_transistors=True),
    Parameter("r_source", "source", "conductance", "rows", "Ω", "row driver output resistances",
              resistance=True),
    Parameter("r_sink", "sink", "conductance", "cols", "Ω", "column sink resistances", resistance=True),
    Parameter("r_wire_row", "row_wire", "conductance", None, "Ω", "row wire segment resistance",
              resistance=True),
    Parameter("r_wire_col", "col_wire", "conductance", None, "Ω", "column wire segment resistance",
              resistance=True),
)}


def check_names(names, *, what: str = "parameter") -> None:
    """TypeError for a name that is not a parameter (as Python reports an unknown keyword)."""
    for name in names:
        if name not in PARAMETERS:
            raise TypeError(f"unexpected keyword argument {name!r}: the crossbar's {what}s are "
                            f"{tuple(PARAMETERS)}")


def element_parameters(crossbar, base: list, overrides: dict) -> list:
    """Element-group parameter arrays: ``base`` (one array per group) with the quantities in
    ``overrides`` (name -> value, None keeps the compiled one) replaced.  Values are checked
    first; groups are copied, never modified in place."""
    check_names(overrides)
    params = list(base)
    checked = {name: PARAMETERS[name].override(crossbar, value) for name, value in overrides.items()
               if value is not None}
    for name, arr in checked.items():
        spec = PARAMETERS[name]
        elements = crossbar.layout.roles.get(spec.role)
        if elements is None:
            continue  # every segment is 0 Ω (merged) or there is no such element at all
        k = crossbar.netlist.groups[elements.group].model.param_index(spec.element_parameter)
        params[elements.group] = params[elements.group].copy()
        params[elements.group][elements.positions, k] = spec.element_values(crossbar, elements, arr)
    return params
