"""The 1T-1R cell, analysed with xbarsolve: I–V family, non-linearity metric, cut-off conductance.

All physics comes from :mod:`xbarsolve`: a cell is the one-cell crossbar of
xbarsolve with zero parasitics.  With zero wire, source and sink resistance
every cell of a crossbar sees exactly its own row voltage and a 0 V column, so
one ``Crossbar(G, cell="1t1r", ...)`` of shape ``(n_v, n_g)`` with row ``i``
driven at ``V_i`` and column ``j`` programmed to ``G_j`` gives the whole table
``I(V_i, G_j)`` in one solve; ``Crossbar.solve(v, conductances=..., v_gate=...)``
changes ``G`` and ``V_G`` without recompiling.

Non-linearity metric (``CellConfig.metric``)
--------------------------------------------
For a cell programmed to memristor conductance ``G`` (S) at gate voltage
``V_G`` (V), with read inputs ``V ∈ (0, V_max]`` sampled at
``V_i = V_max·i/n_v`` (i = 1…n_v):

``"ideal"`` (default) -- worst relative deviation from the ideal memristor::

    m(G, V_G) = max_i |I(V_i) − G·V_i| / (G·V_i)

  This is the *non-ideality factor* NF = (I_ideal − I_non-ideal)/I_ideal of
  the NEAT authors' group, maximised over the input range: it measures exactly
  the error a network sees when weights are mapped linearly onto G (as NEAT
  does), both the input dependence of the transistor (the shape) and its
  series resistance (the gain).

``"small_signal"`` -- worst relative deviation from the cell's own small-signal
line ``g0·V`` with ``g0 = I(V_ε)/V_ε``, ``V_ε = 1e-4·V_max``: the gain error is
excluded, only the input dependence counts::

    m = max_i |I(V_i) − g0·V_i| / (g0·V_i)

``"endpoint"`` -- end-point integral non-linearity in % of the cell's full scale
(the data-converter INL)::

    m = max_i |I(V_i) − I(V_max)·V_i/V_max| / I(V_max)

Cut-off conductance
-------------------
The linear range at ``V_G`` is the interval ``[G_OFF, G_cut]`` with::

    G_cut(V_G) = sup{ G ∈ [G_OFF, G_ON] : m(G', V_G) <= tolerance for every G' ∈ [G_OFF, G] }

(the first crossing of the tolerance, so no monotonicity of ``m`` in ``G`` is
assumed).  It is found on a dense linear grid of ``n_g`` conductances, refined
by a second dense grid of ``n_refine`` points inside the bracketing interval,
and the crossing is interpolated linearly in ``m`` there.  Status ``"linear"``
means the whole range is linear (``G_cut = G_ON``, the paper's "no cut-off"),
``"partial"`` a cut-off inside the range, ``"none"`` that even ``G_OFF``
violates the tolerance (``G_cut = NaN``).

Defaults (see docs/neat_cell_analysis.md for the comparison with the paper)
----------------------------------------------------------------------------
``G_ON = 1/30 kΩ``, ``G_OFF = 1/300 kΩ``, ``V_max = 0.5 V``, tolerance 2.5 %,
metric ``"ideal"``, the transistor on the *row* side (drain at the row, the
memristor at its source: ``V_GS = V_G − V_mid`` falls as the input rises), and
the 45 nm BSIM-like NMOS of :mod:`xbarsolve.devices.bsim` with ``W = 3.5 µm``
(:func:`calibrate_width`: the smallest width, rounded up to 0.5 µm, at which the
whole conductance range is linear at the paper's baseline ``V_G = 1.0 V`` with a
10 % margin on the tolerance).  If ``BsimLikeNMOS`` cannot be imported,
:func:`default_transistor` falls back to ``Crossbar.DEFAULT_TRANSISTOR``.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import math
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import xbarsolve
from xbarsolve import Crossbar
from xbarsolve.devices import ElementModel, LinearMemristor, NMOSModel

from . import checks
from .cards import with_width

__all__ = ["CellConfig", "CutoffTable", "default_transistor", "cell_currents", "nonlinearity", "metric_from_currents",
           "cutoff_table", "default_cache_dir", "DEFAULT_V_GATES", "METRICS", "TRANSISTOR_SIDES",
           "PAPER_CUTOFFS", "DEFAULT_WIDTH", "calibrate_width"]

METRICS = ("ideal", "small_signal", "endpoint")
TRANSISTOR_SIDES = ("row", "column")
#: Default selector width (m) of the BSIM-like 45 nm NMOS (see the module docstring).
DEFAULT_WIDTH = 3.5e-6
#: The gate-voltage grid of the analysis (V): 0.6 … 1.4 V in 0.05 V steps.
DEFAULT_V_GATES = tuple(round(0.6 + 0.05 * i, 2) for i in range(17))
#: Cut-offs reported by the NEAT paper: V_G (V) -> G_cut (S), ``inf`` meaning "no cut-off".
PAPER_CUTOFFS = {0.8: 1.25e-5, 1.0: 3.34e-5, 1.3: math.inf}
_EPS_SMALL_SIGNAL = 1e-4  # V_ε / V_max of the small-signal metric


def default_transistor() -> NMOSModel:
    """The default selector: ``BsimLikeNMOS`` (45 nm card) with ``W = DEFAULT_WIDTH``.

    Falls back to ``xbarsolve.Crossbar.DEFAULT_TRANSISTOR`` (a level-1 card)
    with a warning if :mod:`xbarsolve.devices.bsim` cannot be imported.
    """
    try:
        from xbarsolve.devices.bsim import BsimLikeNMOS
    except ImportError:  # pragma: no cover - only while the BSIM model is missing
        warnings.warn("xbarsolve.devices.bsim.BsimLikeNMOS is not importable; the cell analysis "
                      "falls back to Crossbar.DEFAULT_TRANSISTOR (level 1)", RuntimeWarning, stacklevel=2)
        return Crossbar.DEFAULT_TRANSISTOR
    return dataclasses.replace(BsimLikeNMOS(), w=DEFAULT_WIDTH)


def default_cache_dir() -> Path:
    """Cache directory: ``$NEAT_CACHE_DIR`` or ``~/.cache/neat``."""
    env = os.environ.get("NEAT_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "neat"


def _model_fingerprint(model) -> dict:
    """Class, card values and a hash of the source files that define ``model``'s equations.

    The source hash covers the modules of the model's classes and, for a model defined in a
    package (BSIM4: :mod:`xbarsolve.devices.bsim4`), every module of that package.
    """
    h = hashlib.sha256()
    files = set()
    for cls in type(model).__mro__:
        mod = sys.modules.get(cls.__module__)
        if mod is None or not cls.__module__.startswith("xbarsolve"):
            continue
        try:
            source = Path(inspect.getsourcefile(mod))
        except TypeError:  # pragma: no cover - frozen installs
            h.update(cls.__qualname__.encode())
            continue
        files.add(source)
        if (source.parent / "__init__.py").is_file() and source.parent.name != "devices":
            files.update(source.parent.glob("*.py"))
    for path in sorted(files):
        try:
            h.update(path.read_bytes())
        except OSError:  # pragma: no cover - frozen installs
            h.update(str(path).encode())
    card = {}
    if dataclasses.is_dataclass(model):
        for f in dataclasses.fields(model):
            value = getattr(model, f.name)
            parameters = getattr(value, "parameters", None)  # a BSIM4 card or instance: its given values
            if parameters is not None and hasattr(parameters, "items"):
                for k, v in sorted(parameters.items()):
                    card[f"{f.name}.{k}"] = float(v) if isinstance(v, (int, float)) else repr(v)
                for k in ("level", "version"):
                    if hasattr(value, k):
                        card[f"{f.name}.{k}"] = repr(getattr(value, k))
            elif isinstance(value, (int, float)):
                card[f.name] = float(value)
            elif isinstance(value, (str, tuple)) or value is None:
                card[f.name] = repr(value)
    return {"class": f"{type(model).__module__}.{type(model).__qualname__}", "card": card,
            "source": h.hexdigest()[:16]}


@dataclass(frozen=True)
class CellConfig:
    """A 1T-1R cell and how its non-linearity is judged.

    Parameters
    ----------
    g_on, g_off : float, S
        Memristor conductance range (defaults 1/30 kΩ and 1/300 kΩ); ``g_on > g_off > 0``.
    v_max : float, V
        Largest read (input) voltage, default 0.5 V.
    transistor : NMOSModel
        Selector transistor card (default :func:`default_transistor`: BSIM-like
        45 nm, W = 3.5 µm).  Change the width with :func:`neat.cards.with_width`.
    transistor_side : {"row", "column"}
        Where the transistor sits (see :class:`xbarsolve.Crossbar`).  Default ``"row"``.
    memristor : ElementModel or None
        Memristor model (default :class:`xbarsolve.LinearMemristor`, I = G·V).
    metric : {"ideal", "small_signal", "endpoint"}
        Non-linearity metric (module docstring), default ``"ideal"``.
    tolerance : float
        Largest acceptable metric value (fraction), default 0.025 (2.5 %).
    n_v : int
        Input voltages ``V_max·i/n_v`` (i = 1…n_v) at which the metric is evaluated (default 50: 10 mV).
    """

    g_on: float = 1 / 30e3
    g_off: float = 1 / 300e3
    v_max: float = 0.5
    transistor: NMOSModel = field(default_factory=default_transistor)
    transistor_side: str = "row"
    memristor: ElementModel | None = None
    metric: str = "ideal"
    tolerance: float = 0.025
    n_v: int = 50

    def __post_init__(self):
        g_on = checks.positive("g_on", self.g_on)
        g_off = checks.positive("g_off", self.g_off)
        if not g_on > g_off:
            raise ValueError(f"g_on must exceed g_off, got g_on={g_on!r} S, g_off={g_off!r} S")
        checks.positive("v_max", self.v_max)
        if not isinstance(self.transistor, NMOSModel):
            raise TypeError(f"transistor must be an xbarsolve NMOSModel, got {type(self.transistor).__name__}")
        checks.choice("transistor_side", self.transistor_side, TRANSISTOR_SIDES)
        if self.memristor is not None and not isinstance(self.memristor, ElementModel):
            raise TypeError(f"memristor must be an xbarsolve ElementModel or None, "
                            f"got {type(self.memristor).__name__}")
        checks.choice("metric", self.metric, METRICS)
        tol = checks.positive("tolerance", self.tolerance)
        if tol >= 1:
            raise ValueError(f"tolerance is a fraction and must be < 1, got {tol!r}")
        checks.integer("n_v", self.n_v, low=2)

    @property
    def memristor_model(self) -> ElementModel:
        """The memristor model actually used (``LinearMemristor()`` when ``memristor`` is None)."""
        return LinearMemristor() if self.memristor is None else self.memristor

    @property
    def delta_g(self) -> float:
        """``g_on − g_off`` (S): the conductance span of one weight sign."""
        return self.g_on - self.g_off

    def physics_key(self) -> str:
        """Hash of everything that determines the cell current I(V, G; V_G) (not the metric)."""
        return self._physics_key

    @functools.cached_property
    def _physics_key(self) -> str:  # cached: hashing reads the device model sources
        d = {"g_on": self.g_on, "g_off": self.g_off, "v_max": self.v_max, "side": self.transistor_side,
             "transistor": _model_fingerprint(self.transistor),
             "memristor": _model_fingerprint(self.memristor_model), "xbarsolve": xbarsolve.__version__}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:20]

    def key(self) -> str:
        """Hash of the whole configuration (physics, metric, tolerance, n_v)."""
        d = {"physics": self.physics_key(), "metric": self.metric, "tolerance": self.tolerance, "n_v": self.n_v}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:20]

    def metric_voltages(self) -> np.ndarray:
        """Inputs (V) at which the metric is evaluated: ``V_max·i/n_v``, i = 1…n_v."""
        return self.v_max * np.arange(1, self.n_v + 1) / self.n_v

    def describe(self) -> str:
        """One line naming the cell (for plots and reports)."""
        t = self.transistor
        w = getattr(t, "w", float("nan"))
        return (f"1T-1R, transistor on {self.transistor_side} side, {type(t).__name__} W={w * 1e6:.3g} µm, "
                f"G {self.g_off:.3g}–{self.g_on:.3g} S, V_max={self.v_max} V")


# ----------------------------------------------------------------------- exact cell currents
_CROSSBARS: dict = {}


def _crossbar(config: CellConfig, n_v: int, n_g: int) -> Crossbar:
    """A compiled (n_v, n_g) zero-parasitic crossbar of ``config``'s cells (cached per process)."""
    key = (config.physics_key(), n_v, n_g)
    xb = _CROSSBARS.get(key)
    if xb is None:
        if len(_CROSSBARS) > 16:
            _CROSSBARS.pop(next(iter(_CROSSBARS)))
        xb = Crossbar(np.full((n_v, n_g), config.g_off), cell="1t1r", transistor_side=config.transistor_side,
                      v_gate=1.0, transistor=config.transistor, memristor=config.memristor_model)
        _CROSSBARS[key] = xb
    return xb


def _as_vector(name, value, *, nonneg=True) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a number or a 1-D array of numbers, got {type(value).__name__}")
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or a 1-D array of numbers") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a scalar or a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if nonneg and np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, got a minimum of {arr.min()!r}")
    return arr


def cell_currents(config: CellConfig, v_in, g, v_gate) -> np.ndarray:
    """Exact DC current (A) of isolated 1T-1R cells, solved by xbarsolve.

    Parameters
    ----------
    config : CellConfig
    v_in : float or array (n_v,), V
        Read voltages (>= 0) applied to the row terminal; the column terminal is at 0 V.
    g : float or array (n_g,), S
        Memristor conductances (>= 0).
    v_gate : float or array (n_vg,), V
        Gate voltages.

    Returns
    -------
    array (n_vg, n_v, n_g), A
        ``I[k, i, j]`` = current out of a cell with conductance ``g[j]`` at
        input ``v_in[i]`` and gate voltage ``v_gate[k]`` into the column (what
        the column's read-out sees: the current from the row plus what the
        transistor's gate and body contribute, e.g. BSIM4 gate tunnelling).
    """
    if not isinstance(config, CellConfig):
        raise TypeError(f"config must be a CellConfig, got {type(config).__name__}")
    v = _as_vector("v_in", v_in)
    gg = _as_vector("g", g)
    vg = _as_vector("v_gate", v_gate, nonneg=False)
    xb = _crossbar(config, v.size, gg.size)
    gmat = np.broadcast_to(gg, (v.size, gg.size))
    out = np.empty((vg.size, v.size, gg.size))
    for k, gate in enumerate(vg):
        out[k] = xb.solve(v, conductances=gmat, v_gate=float(gate)).cell_output_currents
    return out


def metric_from_currents(metric: str, i_v, v, g, i_eps=None) -> np.ndarray:
    """Metric values (n_vg, n_g) of ``metric`` from cell currents ``i_v`` (A, (n_vg, n_v, n_g)) at read
    voltages ``v`` (V, (n_v,), ascending, the last is V_max) and conductances ``g`` (S, (n_g,)).

    ``i_eps`` (A, (n_vg, n_g)): the currents at ``V_ε = 1e-4·V_max``, needed by ``"small_signal"``.
    The definitions are in the module docstring; this is the one place they are computed (also for
    currents from ngspice, :mod:`neat.cell_search`).
    """
    checks.choice("metric", metric, METRICS)
    i_v, v, g = np.asarray(i_v, float), np.asarray(v, float), np.asarray(g, float)
    vv = v[None, :, None]
    if metric == "ideal":
        ref = g[None, None, :] * vv
        return np.max(np.abs(i_v - ref) / ref, axis=1)
    if metric == "small_signal":
        if i_eps is None:
            raise ValueError("the small_signal metric needs the currents at V_eps (i_eps)")
        g0 = np.asarray(i_eps, float) / (_EPS_SMALL_SIGNAL * v[-1])  # (n_vg, n_g)
        ref = g0[:, None, :] * vv
        return np.max(np.abs(i_v - ref) / ref, axis=1)
    i_end = i_v[:, -1:, :]
    return np.max(np.abs(i_v - i_end * vv / v[-1]), axis=1) / i_end[:, 0, :]


def nonlinearity(config: CellConfig, g, v_gate) -> np.ndarray:
    """Non-linearity metric ``m(G, V_G)`` (fraction) of ``config.metric``, shape (n_vg, n_g).

    ``g`` (S, > 0) and ``v_gate`` (V) are scalars or 1-D arrays.  See the
    module docstring for the exact definitions.
    """
    if not isinstance(config, CellConfig):
        raise TypeError(f"config must be a CellConfig, got {type(config).__name__}")
    gg = _as_vector("g", g)
    if np.any(gg <= 0):
        raise ValueError("g must be > 0 (the metric divides by the ideal current G·V)")
    vg = _as_vector("v_gate", v_gate, nonneg=False)
    v = config.metric_voltages()
    if config.metric == "small_signal":
        v_all = np.concatenate([[_EPS_SMALL_SIGNAL * config.v_max], v])
        i_all = cell_currents(config, v_all, gg, vg)
        return metric_from_currents(config.metric, i_all[:, 1:], v, gg, i_all[:, 0])
    return metric_from_currents(config.metric, cell_currents(config, v, gg, vg), v, gg)


# ----------------------------------------------------------------------------- cut-offs
@dataclass
class CutoffTable:
    """Cut-off conductance per gate voltage, with the metric surface it came from.

    Attributes
    ----------
    v_gate : array (n_vg,), V
    g_cut : array (n_vg,), S -- ``g_on`` where the whole range is linear, NaN where none is.
    status : tuple of str -- ``"linear"``, ``"partial"`` or ``"none"`` per gate voltage.
    g_grid : array (n_g,), S -- the dense conductance grid of ``metric``.
    metric : array (n_vg, n_g) -- ``m(G, V_G)`` on that grid (fraction).
    metric_at_g_off, metric_at_g_on : arrays (n_vg,) -- the metric at the range ends.
    config_key : str -- :meth:`CellConfig.key` of the configuration.
    description : str -- :meth:`CellConfig.describe`.
    tolerance : float; metric_name : str.
    """

    v_gate: np.ndarray
    g_cut: np.ndarray
    status: tuple
    g_grid: np.ndarray
    metric: np.ndarray
    metric_at_g_off: np.ndarray
    metric_at_g_on: np.ndarray
    config_key: str
    description: str
    tolerance: float
    metric_name: str

    def index(self, v_gate: float) -> int:
        """Position of ``v_gate`` (V) in the table (matched to 1e-9 V); ValueError if absent."""
        v = checks.real("v_gate", v_gate)
        hits = np.flatnonzero(np.abs(self.v_gate - v) < 1e-9)
        if hits.size == 0:
            raise ValueError(f"v_gate={v!r} V is not in the table's grid {self.v_gate.tolist()}")
        return int(hits[0])

    def g_cut_at(self, v_gate: float) -> float:
        """Cut-off conductance (S) at ``v_gate`` (V): ``g_on`` if all linear, NaN if none."""
        return float(self.g_cut[self.index(v_gate)])

    def to_json(self) -> dict:
        """A JSON-serialisable dict (NaN written as null)."""
        def lst(a):
            return [None if not np.isfinite(x) else float(x) for x in np.asarray(a).ravel()]
        return {"v_gate": lst(self.v_gate), "g_cut": lst(self.g_cut), "status": list(self.status),
                "g_grid": lst(self.g_grid), "metric": [lst(r) for r in self.metric],
                "metric_at_g_off": lst(self.metric_at_g_off), "metric_at_g_on": lst(self.metric_at_g_on),
                "config_key": self.config_key, "description": self.description,
                "tolerance": self.tolerance, "metric_name": self.metric_name}

    @classmethod
    def from_json(cls, d: dict) -> "CutoffTable":
        """Inverse of :meth:`to_json`."""
        def arr(x):
            return np.array([np.nan if v is None else v for v in x], dtype=float)
        return cls(v_gate=arr(d["v_gate"]), g_cut=arr(d["g_cut"]), status=tuple(d["status"]),
                   g_grid=arr(d["g_grid"]), metric=np.array([arr(r) for r in d["metric"]]),
                   metric_at_g_off=arr(d["metric_at_g_off"]), metric_at_g_on=arr(d["metric_at_g_on"]),
                   config_key=d["config_key"], description=d["description"],
                   tolerance=float(d["tolerance"]), metric_name=d["metric_name"])


def _read_cached_table(path: Path, config: CellConfig, v_gates: np.ndarray, n_g: int):
    """The table cached in ``path`` if readable and consistent with the request, else None (with a
    warning naming the file; the caller recomputes the entry and overwrites it)."""
    try:
        table = CutoffTable.from_json(json.loads(path.read_text()))
        n_vg = v_gates.size
        if table.config_key != config.key() or not np.array_equal(np.round(table.v_gate, 9), np.round(v_gates, 9)):
            raise ValueError("it holds the table of another configuration or gate-voltage grid")
        if (table.g_cut.shape != (n_vg,) or len(table.status) != n_vg or table.metric.shape != (n_vg, n_g)
                or table.g_grid.shape != (n_g,)):
            raise ValueError("array shapes do not match the grids")
        ok_status = {"linear", "partial", "none"}
        for g, st in zip(table.g_cut, table.status):
            if st not in ok_status or (st == "none") != (not np.isfinite(g)) or \
                    (np.isfinite(g) and not config.g_off <= g <= config.g_on):
                raise ValueError(f"cut-off {g!r} S with status {st!r} is impossible")
        return table
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        warnings.warn(f"neat cache entry {path} is unreadable or inconsistent ({type(e).__name__}: {e}); "
                      f"recomputing it", RuntimeWarning, stacklevel=3)
        return None


def _first_crossing(m: np.ndarray, tol: float) -> int:
    """Index of the first value > tol, or len(m) if none."""
    bad = np.flatnonzero(m > tol)
    return int(bad[0]) if bad.size else len(m)


def cutoff_table(config: CellConfig | None = None, v_gates=DEFAULT_V_GATES, *, n_g: int = 161,
                 n_refine: int = 33, cache_dir=None, use_cache: bool = True) -> CutoffTable:
    """Cut-off conductance ``G_cut(V_G)`` (S) for each gate voltage in ``v_gates`` (V).

    ``n_g`` conductances spaced linearly over ``[g_off, g_on]`` give the metric
    surface; the first crossing of ``config.tolerance`` is refined with
    ``n_refine`` points inside the bracketing interval and interpolated
    linearly in the metric (resolution ≈ (g_on − g_off)/((n_g−1)(n_refine−1))).
    Results are cached as JSON in ``cache_dir`` (default :func:`default_cache_dir`)
    under a hash of the configuration and grids; ``use_cache=False`` recomputes
    (and does not write).
    """
    config = CellConfig() if config is None else config
    if not isinstance(config, CellConfig):
        raise TypeError(f"config must be a CellConfig or None, got {type(config).__name__}")
    vgs = _as_vector("v_gates", v_gates, nonneg=False)
    n_g = checks.integer("n_g", n_g, low=2)
    n_refine = checks.integer("n_refine", n_refine, low=2)
    cache_path = None
    if use_cache:
        cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
        ident = json.dumps({"config": config.key(), "v_gates": [round(float(x), 9) for x in vgs],
                            "n_g": n_g, "n_refine": n_refine})
        cache_path = cache_dir / f"cutoff-{hashlib.sha256(ident.encode()).hexdigest()[:20]}.json"
        if cache_path.is_file():
            table = _read_cached_table(cache_path, config, vgs, n_g)
            if table is not None:
                return table
    g_grid = np.linspace(config.g_off, config.g_on, n_g)
    metric = nonlinearity(config, g_grid, vgs)  # (n_vg, n_g)
    tol = config.tolerance
    g_cut = np.empty(vgs.size)
    status = []
    for k, vg in enumerate(vgs):
        first = _first_crossing(metric[k], tol)
        if first == n_g:
            g_cut[k] = config.g_on
            status.append("linear")
            continue
        if first == 0:
            g_cut[k] = np.nan
            status.append("none")
            continue
        fine = np.linspace(g_grid[first - 1], g_grid[first], n_refine)
        m_fine = nonlinearity(config, fine, vg)[0]
        j = _first_crossing(m_fine, tol)
        j = min(max(j, 1), n_refine - 1)  # the coarse bracket guarantees m(fine[0]) <= tol < m(fine[-1])
        m0, m1 = m_fine[j - 1], m_fine[j]
        frac = 0.0 if m1 == m0 else (tol - m0) / (m1 - m0)
        g_cut[k] = fine[j - 1] + min(max(frac, 0.0), 1.0) * (fine[j] - fine[j - 1])
        status.append("partial")
    table = CutoffTable(v_gate=vgs, g_cut=g_cut, status=tuple(status), g_grid=g_grid, metric=metric,
                        metric_at_g_off=metric[:, 0].copy(), metric_at_g_on=metric[:, -1].copy(),
                        config_key=config.key(), description=config.describe(), tolerance=tol,
                        metric_name=config.metric)
    if cache_path is not None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(table.to_json()))
        os.replace(tmp, cache_path)
    return table


def calibrate_width(config: CellConfig | None = None, v_gate: float = 1.0, *, margin: float = 0.1,
                    w_min: float = 50e-9, w_max: float = 50e-6, rel_tol: float = 0.005, n_g: int = 9) -> float:
    """Smallest transistor width W (m) making the whole range ``[G_OFF, G_ON]`` linear at ``v_gate`` (V).

    "Linear with margin" means ``max_G m(G, v_gate) <= (1 − margin)·tolerance``
    on ``n_g`` conductances spread over the range.  Bisection on log W between
    ``w_min`` and ``w_max`` (m) to a relative width tolerance ``rel_tol``;
    assumes a wider transistor is never less linear.  This is how the
    default width was chosen (rounded up; see docs/neat_cell_analysis.md).
    Raises ValueError if even ``w_max`` is not linear or ``w_min`` already is.
    """
    config = CellConfig() if config is None else config
    if not isinstance(config, CellConfig):
        raise TypeError(f"config must be a CellConfig or None, got {type(config).__name__}")
    if not hasattr(config.transistor, "w"):
        raise TypeError(f"the transistor card {type(config.transistor).__name__} has no width field 'w'")
    v_gate = checks.real("v_gate", v_gate)
    margin = checks.non_negative("margin", margin)
    if margin >= 1:
        raise ValueError(f"margin must be in [0, 1), got {margin!r}")
    w_lo, w_hi = checks.positive("w_min", w_min), checks.positive("w_max", w_max)
    if not w_lo < w_hi:
        raise ValueError(f"w_min must be < w_max, got {w_lo!r}, {w_hi!r}")
    checks.positive("rel_tol", rel_tol)
    checks.integer("n_g", n_g, low=2)
    g = np.linspace(config.g_off, config.g_on, n_g)
    limit = (1 - margin) * config.tolerance

    def linear(w):
        c = dataclasses.replace(config, transistor=with_width(config.transistor, w))
        return float(nonlinearity(c, g, v_gate).max()) <= limit

    if not linear(w_hi):
        raise ValueError(f"even w_max={w_hi!r} m is not linear at v_gate={v_gate} V (raise w_max or v_gate)")
    if linear(w_lo):
        raise ValueError(f"w_min={w_lo!r} m is already linear at v_gate={v_gate} V (lower w_min)")
    while w_hi / w_lo > 1 + rel_tol:
        mid = math.sqrt(w_lo * w_hi)
        if linear(mid):
            w_hi = mid
        else:
            w_lo = mid
    return w_hi
