"""What a sweep records of each solved configuration: named functions of the solution.

A recorder is ``f(crossbar, v_in, conductances, solution) -> float``: ``v_in``
(batch, rows) V and ``conductances`` (rows, cols) S are what was solved,
``solution`` the :class:`xbarsolve.CrossbarSolution`.  Each becomes a float64
column of the results table.  Built-ins are :data:`RECORDERS`; any importable
``"package.module:function"`` works too (it must be importable on the workers).
"""
from __future__ import annotations

import importlib

import numpy as np

from .spec import SpecError

__all__ = ["RECORDERS", "recorder", "check_recorder_name"]


def _ideal(v_in, g):
    return v_in @ g  # A: what linear cells without parasitics would give


def column_current_error(crossbar, v_in, g, sol) -> float:
    """‖I − V·G‖ / ‖V·G‖ (Frobenius norms over batch and columns): the column currents' relative
    error against the ideal crossbar (dimensionless)."""
    ideal = _ideal(v_in, g)
    return float(np.linalg.norm(sol.column_currents - ideal) / np.linalg.norm(ideal))


def column_current_max_error(crossbar, v_in, g, sol) -> float:
    """max |I − V·G| / max |V·G|: the worst column current's error against the ideal, relative to
    the largest ideal current (dimensionless)."""
    ideal = _ideal(v_in, g)
    return float(np.max(np.abs(sol.column_currents - ideal)) / np.max(np.abs(ideal)))


def column_current_mean(crossbar, v_in, g, sol) -> float:
    """Mean column current over batch and columns (A)."""
    return float(np.mean(sol.column_currents))


def total_power(crossbar, v_in, g, sol) -> float:
    """Power dissipated in the whole crossbar, mean over the batch (W)."""
    return float(np.mean(sol.total_power))


def parasitic_power(crossbar, v_in, g, sol) -> float:
    """Power dissipated in drivers, sinks and wires, mean over the batch (W)."""
    parts = ("source", "sink", "row_wire", "col_wire")
    per_sample = sum(sol.power[p].reshape(len(v_in), -1).sum(axis=1) for p in parts)
    return float(np.mean(per_sample))


def iterations_mean(crossbar, v_in, g, sol) -> float:
    """Newton iterations per input vector, mean over the batch."""
    return float(np.mean(sol.iterations))


def iterations_max(crossbar, v_in, g, sol) -> float:
    """Newton iterations of the hardest input vector of the batch."""
    return float(np.max(sol.iterations))


#: Built-in recorders by name.
RECORDERS = {f.__name__: f for f in (column_current_error, column_current_max_error, column_current_mean,
                                     total_power, parasitic_power, iterations_mean, iterations_max)}


def check_recorder_name(name: str) -> None:
    """SpecError unless ``name`` is a built-in recorder or has the form ``module:function``."""
    if name in RECORDERS:
        return
    module, sep, func = name.partition(":")
    if not sep or not module or not func.isidentifier():
        raise SpecError(f"[sweep]: record entry {name!r} is neither a built-in recorder "
                        f"({', '.join(RECORDERS)}) nor 'package.module:function'")


def recorder(name: str):
    """The recorder function called ``name`` (built-in, or imported from ``module:function``)."""
    if name in RECORDERS:
        return RECORDERS[name]
    check_recorder_name(name)
    module, _, func = name.partition(":")
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as e:
        raise SpecError(f"record entry {name!r}: cannot import {func} from {module} ({e})") from e
