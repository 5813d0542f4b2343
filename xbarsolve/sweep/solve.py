"""The work of one sweep task, on whatever process runs it: draw, solve, record -> rows.

:func:`run_task` needs neither Dask nor pyarrow: a task is plain data in, plain
rows out, so it runs the same in a Dask worker, in a test, or in a loop.  Each
worker process keeps the crossbars it compiled (:data:`_COMPILED`, keyed by
:func:`~xbarsolve.sweep.spec.structure_key`), so a configuration's circuit is
compiled once per worker; every solve passes all its values as overrides, so a
result does not depend on which configuration compiled the crossbar.
"""
from __future__ import annotations

import dataclasses
from collections import OrderedDict
from pathlib import Path

import numba
import numpy as np

from .._crossbar import Crossbar
from ..devices import BsimLikeNMOS, Level1NMOS, LinearMemristor, SinhMemristor
from ..errors import ConvergenceError
from .record import recorder
from .spec import Configuration, structure_key

__all__ = ["run_task", "solve_configuration", "draw_conductances", "draw_inputs", "CONFIGURATION_ERRORS"]

#: What makes a configuration an error row instead of stopping the sweep: the solver's typed failure and
#: the checks of bad values (ValueError/TypeError, a card file that cannot be read).
CONFIGURATION_ERRORS = (ConvergenceError, ValueError, TypeError, OSError)

_COMPILED: OrderedDict = OrderedDict()
_COMPILED_MAX = 16
_COMPILED_STATS = {"compiled": 0, "reused": 0}


def draw_conductances(rng: np.random.Generator, p: dict) -> np.ndarray:
    """Conductances (S), (rows, cols), from ``g_distribution`` between ``g_low`` and ``g_high``."""
    shape, low, high, dist = (p["rows"], p["cols"]), p["g_low"], p["g_high"], p["g_distribution"]
    if dist == "uniform":
        return rng.uniform(low, high, size=shape)
    if dist == "loguniform":
        if not 0 < low <= high:
            raise ValueError(f"g_distribution 'loguniform' needs 0 < g_low <= g_high, got {low:g}, {high:g} S")
        return np.exp(rng.uniform(np.log(low), np.log(high), size=shape))
    if dist == "binary":
        return np.where(rng.random(size=shape) < 0.5, low, high)
    raise ValueError(f"g_distribution must be 'uniform', 'loguniform' or 'binary', got {dist!r}")


def draw_inputs(rng: np.random.Generator, p: dict) -> np.ndarray:
    """Input voltages (V), (batch, rows), from ``v_distribution`` between ``v_low`` and ``v_high``."""
    shape, low, high, dist = (p["batch"], p["rows"]), p["v_low"], p["v_high"], p["v_distribution"]
    if dist == "uniform":
        return rng.uniform(low, high, size=shape)
    if dist == "binary":
        return np.where(rng.random(size=shape) < 0.5, low, high)
    if dist == "constant":
        return np.full(shape, float(high))
    raise ValueError(f"v_distribution must be 'uniform', 'binary' or 'constant', got {dist!r}")


def _transistor(p: dict, base_dir: str):
    card, temperature = p["card"], p["temperature"]
    if card in ("bsimlike", "level1"):
        model = BsimLikeNMOS() if card == "bsimlike" else Level1NMOS()
        changes = {}
        if p["width"] is not None:
            changes["w"] = p["width"]
        if temperature is not None:
            changes["temperature"] = temperature + 273.15
        return dataclasses.replace(model, **changes) if changes else model
    from ..spice import parse_model_card
    text = (Path(base_dir) / card).read_text()
    if temperature is not None:
        text += f"\n.options temp={temperature!r}\n"
    return parse_model_card(text, w=p["width"])


def _memristor(p: dict):
    if p["memristor"] == "linear":
        return LinearMemristor()
    if p["memristor"] == "sinh":
        return SinhMemristor(v0=p["memristor_v0"])
    raise ValueError(f"memristor must be 'linear' or 'sinh', got {p['memristor']!r}")


def _wires(p: dict) -> tuple:
    return (p["r_wire"] if p["r_wire_row"] is None else p["r_wire_row"],
            p["r_wire"] if p["r_wire_col"] is None else p["r_wire_col"])


def _compiled(p: dict, base_dir: str) -> Crossbar:
    """This worker's crossbar for ``p``'s structure, compiled with placeholder values on first use."""
    key = structure_key(p) + (base_dir,)
    xb = _COMPILED.get(key)
    if xb is not None:
        _COMPILED.move_to_end(key)
        _COMPILED_STATS["reused"] += 1
        return xb

    def placeholder(r):  # only 0 Ω or not matters to the compiled netlist
        return 0.0 if r == 0 else 1.0
    r_row, r_col = _wires(p)
    kw = dict(cell=p["cell"], r_source=placeholder(p["r_source"]), r_sink=placeholder(p["r_sink"]),
              r_wire_row=placeholder(r_row), r_wire_col=placeholder(r_col), memristor=_memristor(p))
    if p["cell"] != "1r":
        kw.update(transistor_side=p["transistor_side"], gate_lines=p["gate_lines"], v_gate=1.0,
                  transistor=_transistor(p, base_dir))
    rows, cols = p["rows"], p["cols"]
    if rows < 1 or cols < 1:
        raise ValueError(f"rows and cols must be >= 1, got {rows} x {cols}")
    xb = Crossbar(np.full((rows, cols), 1e-5), **kw)
    _COMPILED[key] = xb
    _COMPILED_STATS["compiled"] += 1
    while len(_COMPILED) > _COMPILED_MAX:
        _COMPILED.popitem(last=False)
    return xb


def solve_configuration(config: Configuration, record: tuple, base_dir: str = ".") -> dict:
    """One row: the configuration, its error (None) and every recorded value; a bad configuration
    or a :class:`ConvergenceError` gives the error (``"Type: message"``) and NaN values."""
    p = config.params
    row = {"index": config.index, "repeat": config.repeat, "seed": config.seed, **p, "error": None}
    try:
        xb = _compiled(p, base_dir)
        rng = np.random.default_rng(config.seed)
        g = draw_conductances(rng, p)
        v = draw_inputs(rng, p)
        r_row, r_col = _wires(p)
        overrides = dict(conductances=g, r_source=p["r_source"], r_sink=p["r_sink"], r_wire_row=r_row,
                         r_wire_col=r_col)
        if p["cell"] != "1r":
            overrides["v_gate"] = p["v_gate"]
        sol = xb.solve(v, **overrides)
    except CONFIGURATION_ERRORS as e:
        row["error"] = f"{type(e).__name__}: {e}"
        row.update({name: float("nan") for name in record})
        return row
    for name in record:
        row[name] = float(recorder(name)(xb, v, g, sol))
    return row


def run_task(record: tuple, configurations: list, base_dir: str = ".", solver_threads: int = 1) -> list:
    """Rows of ``configurations`` (a task), in order; the solver's batch threads set to ``solver_threads``
    for this thread (they never change a number)."""
    numba.set_num_threads(max(1, min(int(solver_threads), numba.config.NUMBA_NUM_THREADS)))
    return [solve_configuration(c, tuple(record), base_dir) for c in configurations]
