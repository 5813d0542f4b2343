"""A sweep's specification: which crossbar configurations, in which order, with which seeds.

A spec (a TOML file, or the same structure as a dict) has up to four tables::

    [sweep]                 # how to run and what to record
    seed = 0                # every random choice derives from it
    repeats = 1             # independent draws (conductances, inputs) per configuration
    task_size = 16          # configurations per task (compiled crossbars are reused within a worker)
    record = ["column_current_error", "total_power", "iterations_max"]

    [fixed]                 # parameters with one value
    cell = "1t1r"

    [grid]                  # Cartesian product, in the order written (the last varies fastest)
    rows = [16, 32]
    r_wire = [0.0, 1.0, 2.5]

    [random]                # `count` random points, drawn once from the spec seed: the product
    count = 4               # grid × random points × repeats is swept
    v_gate = {uniform = [0.8, 1.2]}

Every :data:`PARAMETERS` entry may appear in one of ``fixed``, ``grid`` or ``random``
(once); the others keep their defaults.  Distributions of ``random``:
``{uniform = [a, b]}``, ``{loguniform = [a, b]}`` (a, b > 0), ``{normal = [mean, std]}``,
``{integers = [a, b]}`` (a..b inclusive), ``{choice = [v1, v2, ...]}``.

The configuration list is a pure function of the spec: index ``i`` runs over grid
points (outer), random points, repeats (inner).  Configuration ``i`` draws its
conductances and inputs from its own seed, :func:`configuration_seed` ``(seed, i)``,
whatever task or worker solves it.  The structure of the spec (unknown names,
wrong types, a name given twice) is checked here, before any work; parameter
*values* are checked by :class:`xbarsolve.Crossbar` when the configuration is solved,
and a bad value becomes that configuration's error row.
"""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Parameter", "PARAMETERS", "SpecError", "SweepSpec", "Configuration", "load_spec",
           "configuration_seed", "structure_key", "DISTRIBUTIONS"]


class SpecError(ValueError):
    """A sweep specification is malformed; the message names the table and entry."""


@dataclass(frozen=True)
class Parameter:
    """One swept quantity: its name, Python type, default and role.

    ``role``: ``"structure"`` (changes the compiled circuit: one compilation per distinct
    value set on each worker), ``"value"`` (applied per solve, no recompilation), or
    ``"draw"`` (how the conductances and inputs are drawn).
    """

    name: str
    kind: type
    default: object
    role: str
    doc: str


def _p(name, kind, default, role, doc):
    return Parameter(name, kind, default, role, doc)


#: Every parameter a sweep may vary, in the column order of the results table.
PARAMETERS = {p.name: p for p in (
    _p("rows", int, 16, "structure", "crossbar rows"),
    _p("cols", int, 16, "structure", "crossbar columns"),
    _p("cell", str, "1t1r", "structure", "'1t1r' or '1r' (passive)"),
    _p("transistor_side", str, "row", "structure", "'row' or 'column' (1T-1R)"),
    _p("gate_lines", str, "rows", "structure", "'rows' or 'columns' (1T-1R)"),
    _p("card", str, "bsimlike", "structure",
       "transistor: 'bsimlike' (BsimLikeNMOS), 'level1' (Level1NMOS) or a SPICE card file (relative to the spec)"),
    _p("width", float, None, "structure", "transistor channel width (m); default: the card's"),
    _p("temperature", float, None, "structure", "device temperature (°C); default: the card's"),
    _p("memristor", str, "linear", "structure", "'linear' (I = G·V) or 'sinh' (I = G·V0·sinh(V/V0))"),
    _p("memristor_v0", float, 0.25, "structure", "V0 of the sinh memristor (V)"),
    _p("v_gate", float, 1.0, "value", "gate voltage of every gate line (V, 1T-1R)"),
    _p("r_source", float, 0.0, "value", "row driver resistance (Ω)"),
    _p("r_sink", float, 0.0, "value", "column sink resistance (Ω)"),
    _p("r_wire", float, 0.0, "value", "wire segment resistance, rows and columns (Ω)"),
    _p("r_wire_row", float, None, "value", "row wire segment resistance (Ω); default r_wire"),
    _p("r_wire_col", float, None, "value", "column wire segment resistance (Ω); default r_wire"),
    _p("g_distribution", str, "uniform", "draw", "conductances: 'uniform', 'loguniform' or 'binary'"),
    _p("g_low", float, 1 / 300e3, "draw", "lowest conductance (S)"),
    _p("g_high", float, 1 / 30e3, "draw", "highest conductance (S)"),
    _p("v_distribution", str, "uniform", "draw", "inputs: 'uniform', 'binary' or 'constant' (v_high)"),
    _p("v_low", float, 0.0, "draw", "lowest input voltage (V)"),
    _p("v_high", float, 0.2, "draw", "highest input voltage (V)"),
    _p("batch", int, 8, "draw", "input vectors solved per configuration"),
)}

#: Transistor parameters, meaningless for passive 1R cells (null in their rows).
TRANSISTOR_PARAMETERS = ("transistor_side", "gate_lines", "card", "width", "temperature", "v_gate")
DISTRIBUTIONS = ("uniform", "loguniform", "normal", "integers", "choice")
_TABLES = ("sweep", "fixed", "grid", "random")
_SWEEP_KEYS = {"seed": int, "repeats": int, "task_size": int, "record": list, "solver_threads": int}


def configuration_seed(seed: int, index: int) -> int:
    """The seed (0 <= s < 2**63) of configuration ``index`` of a sweep seeded ``seed``."""
    state = np.random.SeedSequence(seed, spawn_key=(index,)).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def _coerce(name: str, kind: type, value, where: str):
    """``value`` as ``kind`` (ints are accepted for floats); SpecError otherwise."""
    if value is None:
        return None
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if kind is str and isinstance(value, str):
        return value
    raise SpecError(f"{where}: {name} must be {'a number' if kind is float else 'an integer' if kind is int else 'a string'}, "
                    f"got {value!r}")


@dataclass(frozen=True)
class Configuration:
    """One row of the sweep: its index, repeat number, seed and every parameter's value."""

    index: int
    repeat: int
    seed: int
    params: dict


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep specification (see the module docstring); build with :meth:`from_dict` or :func:`load_spec`.

    ``record``: names of :data:`xbarsolve.sweep.record.RECORDERS` or ``"module:function"``.
    ``base_dir``: the folder relative card paths are read from (the spec file's).
    """

    seed: int = 0
    repeats: int = 1
    task_size: int = 16
    record: tuple = ("column_current_error", "total_power", "iterations_max")
    solver_threads: int = 1
    fixed: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)
    random_count: int = 0
    random: dict = field(default_factory=dict)
    base_dir: str = "."

    @classmethod
    def from_dict(cls, spec: dict, base_dir=".") -> "SweepSpec":
        if not isinstance(spec, dict):
            raise SpecError(f"a sweep spec is a table (dict), got {type(spec).__name__}")
        unknown = set(spec) - set(_TABLES)
        if unknown:
            raise SpecError(f"unknown table(s) {sorted(unknown)}; a spec has {list(_TABLES)}")
        head = dict(spec.get("sweep", {}))
        for key, value in head.items():
            if key not in _SWEEP_KEYS:
                raise SpecError(f"[sweep]: unknown entry {key!r}; expected one of {sorted(_SWEEP_KEYS)}")
            if not isinstance(value, _SWEEP_KEYS[key]) or isinstance(value, bool):
                raise SpecError(f"[sweep]: {key} must be {'a list of names' if key == 'record' else 'an integer'}, "
                                f"got {value!r}")
        for key, low in (("seed", 0), ("repeats", 1), ("task_size", 1), ("solver_threads", 1)):
            if key in head and head[key] < low:
                raise SpecError(f"[sweep]: {key} must be >= {low}, got {head[key]}")
        record = tuple(head.get("record", cls.record))
        if not record or not all(isinstance(r, str) for r in record) or len(set(record)) != len(record):
            raise SpecError(f"[sweep]: record must be a non-empty list of distinct names, got {list(record)!r}")
        from .record import check_recorder_name
        for r in record:
            check_recorder_name(r)

        seen = {}
        fixed, grid, random = {}, {}, {}
        for table, target in (("fixed", fixed), ("grid", grid), ("random", random)):
            entries = spec.get(table, {})
            if not isinstance(entries, dict):
                raise SpecError(f"[{table}] must be a table, got {type(entries).__name__}")
            for name, value in entries.items():
                if table == "random" and name == "count":
                    continue
                if name not in PARAMETERS:
                    raise SpecError(f"[{table}]: unknown parameter {name!r}; sweepable parameters are "
                                    f"{', '.join(PARAMETERS)}")
                if name in seen:
                    raise SpecError(f"parameter {name!r} is given in both [{seen[name]}] and [{table}]")
                seen[name] = table
                kind, where = PARAMETERS[name].kind, f"[{table}]"
                if table == "fixed":
                    target[name] = _coerce(name, kind, value, where)
                elif table == "grid":
                    if not isinstance(value, list) or not value:
                        raise SpecError(f"[grid]: {name} must be a non-empty list of values, got {value!r}")
                    target[name] = [_coerce(name, kind, v, where) for v in value]
                else:
                    target[name] = _distribution(name, kind, value)
        count = spec.get("random", {}).get("count", 0 if not random else None)
        if random and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise SpecError(f"[random]: count must be an integer >= 1 (random points drawn), got {count!r}")
        if not random and count:
            raise SpecError("[random]: count is given but no parameter is drawn")
        return cls(seed=head.get("seed", 0), repeats=head.get("repeats", 1), task_size=head.get("task_size", 16),
                   record=record, solver_threads=head.get("solver_threads", 1), fixed=fixed, grid=grid,
                   random_count=count or 0, random=random, base_dir=str(base_dir))

    # ------------------------------------------------------------------ identity
    def to_json(self) -> dict:
        """Everything that determines the results table (not ``solver_threads``: it never changes a number)."""
        return {"seed": self.seed, "repeats": self.repeats, "task_size": self.task_size, "record": list(self.record),
                "fixed": self.fixed, "grid": self.grid, "random_count": self.random_count, "random": self.random}

    @property
    def hash(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]

    # ------------------------------------------------------------------ expansion
    def random_points(self) -> list:
        """The ``random_count`` random parameter points (dicts), drawn from the spec seed."""
        if not self.random:
            return [{}]
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(1 << 40,)))
        points = [{} for _ in range(self.random_count)]
        for name, dist in self.random.items():  # one parameter at a time: adding one keeps the others' draws
            values = _draw(rng, PARAMETERS[name].kind, dist, self.random_count)
            for point, v in zip(points, values):
                point[name] = v
        return points

    def __len__(self) -> int:
        n = max(self.random_count, 1) * self.repeats
        for values in self.grid.values():
            n *= len(values)
        return n

    def configurations(self) -> list:
        """Every :class:`Configuration`, by index."""
        base = {name: p.default for name, p in PARAMETERS.items()}
        base.update(self.fixed)
        names = list(self.grid)
        randoms = self.random_points()
        out = []
        for combo in itertools.product(*(self.grid[n] for n in names)):
            for point in randoms:
                params = dict(base)
                params.update(zip(names, combo))
                params.update(point)
                if params["cell"] == "1r":
                    for name in TRANSISTOR_PARAMETERS:
                        params[name] = None
                for rep in range(self.repeats):
                    i = len(out)
                    out.append(Configuration(i, rep, configuration_seed(self.seed, i), dict(params)))
        return out

    def tasks(self) -> list:
        """The configurations cut into tasks of ``task_size``: sorted (stably) by :func:`structure_key`
        first, so a task mostly reuses one compiled crossbar.  A pure function of the spec."""
        configs = sorted(self.configurations(), key=lambda c: _sortable(structure_key(c.params)))
        return [configs[s:s + self.task_size] for s in range(0, len(configs), self.task_size)]


def _sortable(key: tuple) -> tuple:
    return tuple((v is None, "" if v is None else str(type(v)), v if v is not None else 0) for v in key)


def _nonzero(value) -> bool:
    return value is None or value != 0


def structure_key(params: dict) -> tuple:
    """What a compiled crossbar depends on: the structure parameters and which resistances are 0 Ω."""
    r_row = params["r_wire"] if params["r_wire_row"] is None else params["r_wire_row"]
    r_col = params["r_wire"] if params["r_wire_col"] is None else params["r_wire_col"]
    return tuple(params[n] for n, p in PARAMETERS.items() if p.role == "structure") + tuple(
        _nonzero(r) for r in (params["r_source"], params["r_sink"], r_row, r_col))


def _distribution(name: str, kind: type, value) -> dict:
    where = f"[random]: {name}"
    if not isinstance(value, dict) or len(value) != 1:
        raise SpecError(f"{where} must be one distribution such as {{uniform = [a, b]}} "
                        f"(one of {', '.join(DISTRIBUTIONS)}), got {value!r}")
    (dist, args), = value.items()
    if dist not in DISTRIBUTIONS:
        raise SpecError(f"{where}: unknown distribution {dist!r}; expected one of {', '.join(DISTRIBUTIONS)}")
    if not isinstance(args, list) or not args:
        raise SpecError(f"{where}: {dist} takes a list of arguments, got {args!r}")
    if dist == "choice":
        return {dist: [_coerce(name, kind, v, where) for v in args]}
    if kind is str:
        raise SpecError(f"{where}: a text parameter can only be drawn with {{choice = [...]}}")
    if len(args) != 2 or not all(isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a)
                                 for a in args):
        raise SpecError(f"{where}: {dist} takes two finite numbers, got {args!r}")
    a, b = args
    if dist in ("uniform", "loguniform", "integers") and not a <= b:
        raise SpecError(f"{where}: {dist} needs low <= high, got {args!r}")
    if dist == "loguniform" and a <= 0:
        raise SpecError(f"{where}: loguniform needs positive bounds, got {args!r}")
    if dist == "normal" and b < 0:
        raise SpecError(f"{where}: normal needs a standard deviation >= 0, got {args!r}")
    if dist == "integers" and not (float(a).is_integer() and float(b).is_integer()):
        raise SpecError(f"{where}: integers needs integer bounds, got {args!r}")
    if kind is int and dist != "integers":
        raise SpecError(f"{where}: an integer parameter is drawn with {{integers = [a, b]}} or {{choice = [...]}}")
    return {dist: list(args)}


def _draw(rng: np.random.Generator, kind: type, dist: dict, n: int) -> list:
    (name, args), = dist.items()
    if name == "choice":
        return [args[i] for i in rng.integers(0, len(args), size=n)]
    if name == "integers":
        return [int(v) for v in rng.integers(int(args[0]), int(args[1]) + 1, size=n)]
    if name == "uniform":
        values = rng.uniform(args[0], args[1], size=n)
    elif name == "loguniform":
        values = np.exp(rng.uniform(np.log(args[0]), np.log(args[1]), size=n))
    else:
        values = rng.normal(args[0], args[1], size=n)
    return [float(v) for v in values]


def load_spec(path) -> SweepSpec:
    """Read a TOML sweep spec (:mod:`tomllib`, standard library since Python 3.11)."""
    import tomllib
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise SpecError(f"cannot read the sweep spec {path}: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{path} is not valid TOML: {e}") from e
    return SweepSpec.from_dict(data, base_dir=path.resolve().parent)


def replace(spec: SweepSpec, **changes) -> SweepSpec:
    """``dataclasses.replace`` for specs."""
    return dataclasses.replace(spec, **changes)
