"""Separable expansion of the exact 1T-1R cell current: I(V, G) ≈ Σₖ aₖ(V)·bₖ(G).

Why: a crossbar layer with non-linear cells needs the cell current for every
(input, weight) pair, which is not a matrix product.  A separable expansion
of rank k turns it into k matrix products::

    I_col[n, j] = Σ_i I(V[n, i], G[i, j]) ≈ Σₖ Σ_i aₖ(V[n, i])·bₖ(G[i, j])

(or one product with k× more input channels, which is how the layers use it).

How (:func:`build_expansion`):

1. the exact cell current is tabulated with xbarsolve (:func:`neat.cell.cell_currents`)
   on a uniform grid of ``n_v`` voltages in ``[0, V_max]`` and ``n_g``
   conductances in ``[G_OFF, G_ON]`` at one gate voltage; the ``V = 0`` row is
   set to exactly 0 (no current flows without input; the solver gives ~1e-20 A);
2. the table's SVD ``T = U·S·Wᵀ`` gives ``aₖ(V_i) = U_ik·S_k`` (A) and
   ``bₖ(G_j) = W_jk`` (dimensionless); signs are fixed so that ``bₖ(G_ON) >= 0``;
3. each ``aₖ`` and ``bₖ`` is interpolated by a not-a-knot cubic spline (C²,
   so the layer is differentiable in V and G with continuous derivatives);
   ``aₖ(0) = 0`` exactly, which the layers need (zero padding, zero inputs);
4. the error is *measured* against a second exact solve on the grid of all
   knots and midpoints (where interpolation errors peak), for every rank
   k = 1…``max_rank``; the rank used is the smallest whose worst error is
   ``<= tol·G_ON·V_max``.

The default tolerance, ``tol = 1e-3`` of the full-scale cell current
``G_ON·V_max``, is 25× below the 2.5 % non-linearity tolerance (so the
approximation cannot move a cell across the linear-range boundary by more than
a few per cent of that tolerance) and below half an LSB of an 8-bit ADC
(1/510 ≈ 2e-3).  Expansions are cached in memory and on disk (``.npz`` keyed by
a hash of the cell physics, the gate voltage and the grids).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numba import njit
from scipy.interpolate import CubicSpline

from . import checks
from .cell import CellConfig, cell_currents, default_cache_dir
from .checks import NonFiniteError
from .threads import over_rows

__all__ = ["ExpansionSpec", "CellExpansion", "SplineTable", "build_expansion", "get_expansion", "spline_eval"]


@dataclass(frozen=True)
class ExpansionSpec:
    """Grids and accuracy of a :class:`CellExpansion`.

    n_v : knots in V over [0, V_max] (default 65: 7.8 mV spacing);
    n_g : knots in G over [G_OFF, G_ON] (default 33);
    tol : largest acceptable error as a fraction of ``G_ON·V_max`` (default 1e-3);
    max_rank : largest rank tried (default 8).
    """

    n_v: int = 65
    n_g: int = 33
    tol: float = 1e-3
    max_rank: int = 8

    def __post_init__(self):
        checks.integer("n_v", self.n_v, low=4)
        checks.integer("n_g", self.n_g, low=4)
        tol = checks.positive("tol", self.tol)
        if tol >= 1:
            raise ValueError(f"tol is a fraction of the full-scale current and must be < 1, got {tol!r}")
        checks.integer("max_rank", self.max_rank, low=1)
        if self.max_rank > min(self.n_v, self.n_g):
            raise ValueError(f"max_rank must be <= min(n_v, n_g) = {min(self.n_v, self.n_g)}, got {self.max_rank}")


# ------------------------------------------------------------------ torch cubic splines
class SplineTable:
    """K cubic splines on one uniform grid, evaluated in torch.

    ``coef`` has shape (K, 4, n−1): on interval i, ``y = ((c0·t + c1)·t + c2)·t + c3``
    with ``t = x − (x0 + i·h)`` (scipy's ``CubicSpline.c`` layout).  Outside
    ``[x0, x0 + (n−1)·h]`` the end polynomials extrapolate (callers clamp).
    """

    def __init__(self, x0: float, h: float, n: int, coef: np.ndarray):
        self.x0, self.h, self.n = float(x0), float(h), int(n)
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        if self.coef.shape[1:] != (4, self.n - 1):
            raise ValueError(f"coef must have shape (K, 4, {self.n - 1}), got {self.coef.shape}")
        self._torch: dict = {}

    @property
    def rank(self) -> int:
        """Number of splines K."""
        return self.coef.shape[0]

    def truncated(self, k: int) -> "SplineTable":
        """The first ``k`` splines."""
        return SplineTable(self.x0, self.h, self.n, self.coef[:k])

    def tensors(self, dtype, device) -> torch.Tensor:
        """Coefficients as a (K, 4, n−1) tensor of ``dtype`` on ``device`` (cached)."""
        key = (dtype, str(device))
        t = self._torch.get(key)
        if t is None:
            t = self._torch[key] = torch.as_tensor(self.coef, dtype=dtype, device=device).contiguous()
        return t

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray) -> "SplineTable":
        """Not-a-knot cubic splines through ``y`` (n, K) at uniform knots ``x`` (n,)."""
        cs = CubicSpline(x, y, axis=0, bc_type="not-a-knot")
        coef = np.transpose(cs.c, (2, 0, 1))  # (4, n-1, K) -> (K, 4, n-1)
        return cls(x[0], (x[-1] - x[0]) / (len(x) - 1), len(x), coef)

    def __call__(self, x, *, odd: bool = False) -> torch.Tensor:
        """Evaluate at tensor ``x``; see :func:`spline_eval`."""
        return spline_eval(x, self, odd=odd)


def _locate(x: torch.Tensor, x0: float, h: float, n: int):
    idx = torch.floor((x - x0) * (1.0 / h)).clamp_(0, n - 2).to(torch.int64)
    t = x - (x0 + idx.to(x.dtype) * h)
    return idx, t


@njit(cache=True)
def _interval(v, step, x0, h, n_int):
    """Spline interval index and local offset t (V) of |v| after optional rounding to ``step``."""
    if step > 0:
        v = math.floor(v / step + 0.5) * step
    i = int(math.floor((v - x0) / h))
    i = min(max(i, 0), n_int - 1)
    return i, v - (x0 + i * h)


@njit(nogil=True, cache=True)
def _spline_forward_kernel(x, row_scale, limit, step, coef, x0, h, odd, out, p0, p1):  # pragma: no cover
    """out[p, k, s] = s_k(v) at v = q(clip(x[p, s]·row_scale[p], ±limit)) (odd: sign(v)·s_k(|v|)),
    for rows p0 <= p < p1.  Returns the number of non-finite products x·row_scale met (their
    outputs are NaN): the caller raises, so a NaN never becomes a silent interval index.

    x (P, S); row_scale (P,); q rounds |v| to multiples of ``step`` (step 0: none);
    coef (K, 4, n−1); out (P, K, S).  Serial and ``nogil``: :func:`neat.threads.over_rows`
    runs slices in parallel (no OpenMP, see :mod:`neat.threads`).
    """
    n_int = coef.shape[2]
    k_count = coef.shape[0]
    bad = 0
    for p in range(p0, p1):
        sc = row_scale[p]
        for s in range(x.shape[1]):
            v = x[p, s] * sc
            if not math.isfinite(v):
                bad += 1
                for k in range(k_count):
                    out[p, k, s] = math.nan
                continue
            v = min(max(v, -limit), limit)
            sg = 1.0
            if odd and v < 0:
                sg = -1.0
                v = -v
            i, t = _interval(v, step, x0, h, n_int)
            for k in range(k_count):
                y = ((coef[k, 0, i] * t + coef[k, 1, i]) * t + coef[k, 2, i]) * t + coef[k, 3, i]
                out[p, k, s] = sg * y
    return bad


@njit(nogil=True, cache=True)
def _spline_backward_kernel(x, row_scale, limit, step, coef, x0, h, odd, grad_out, grad_x, p0, p1):  # pragma: no cover
    """grad_x[p, s] = row_scale[p]·[|x·row_scale| <= limit]·Σ_k grad_out[p, k, s]·s_k'(|v|)
    (the odd extension's derivative; straight-through for the rounding), rows p0 <= p < p1."""
    n_int = coef.shape[2]
    k_count = coef.shape[0]
    for p in range(p0, p1):
        sc = row_scale[p]
        for s in range(x.shape[1]):
            v = x[p, s] * sc
            if v > limit or v < -limit:
                grad_x[p, s] = 0.0
                continue
            if odd and v < 0:
                v = -v
            i, t = _interval(v, step, x0, h, n_int)
            acc = 0.0
            for k in range(k_count):
                d = (3.0 * coef[k, 0, i] * t + 2.0 * coef[k, 1, i]) * t + coef[k, 2, i]
                acc += grad_out[p, k, s] * d
            grad_x[p, s] = acc * sc


#: Tensors at least this large take the fused numba path on CPU (below, thread start-up costs more than it saves).
NUMBA_MIN_NUMEL = 32768
_MIN_ROWS_PER_THREAD = 4


def _use_numba(x: torch.Tensor) -> bool:
    return x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64) and x.numel() >= NUMBA_MIN_NUMEL


class _FusedSpline(torch.autograd.Function):
    """CPU numba path of :func:`spline_eval`: pre-transform and K splines in one pass, rows split over threads."""

    @staticmethod
    def forward(ctx, x, row_scale, limit, step, coef64, x0, h, odd):
        k_count = coef64.shape[0]
        p = x.shape[0] * x.shape[1]
        xc = x.detach().contiguous()
        out = torch.empty(x.shape[:2] + (k_count,) + x.shape[2:], dtype=x.dtype)
        xa, oa = xc.view(p, -1).numpy(), out.view(p, k_count, -1).numpy()
        bad = [0]

        def work(a, b):
            bad.append(_spline_forward_kernel(xa, row_scale, limit, step, coef64, x0, h, odd, oa, a, b))

        over_rows(p, work, min_rows=_MIN_ROWS_PER_THREAD)
        if sum(bad):
            raise NonFiniteError(f"spline_eval: the input holds {sum(bad)} non-finite value(s) (NaN or ±inf, "
                                 f"after scaling) out of {x.numel()}")
        ctx.save_for_backward(xc)
        ctx.args = (row_scale, limit, step, coef64, x0, h, odd)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (xc,) = ctx.saved_tensors
        row_scale, limit, step, coef64, x0, h, odd = ctx.args
        p = xc.shape[0] * xc.shape[1]
        g = grad_out.contiguous()
        grad_x = torch.empty(xc.shape, dtype=xc.dtype)
        xa, ga, gx = xc.view(p, -1).numpy(), g.view(p, coef64.shape[0], -1).numpy(), grad_x.view(p, -1).numpy()
        over_rows(p, lambda a, b: _spline_backward_kernel(xa, row_scale, limit, step, coef64, x0, h, odd, ga, gx,
                                                          a, b), min_rows=_MIN_ROWS_PER_THREAD)
        return grad_x, None, None, None, None, None, None, None


class _TorchSpline(torch.autograd.Function):
    """Portable path (any device): the K splines (or their odd extensions) as torch ops."""

    @staticmethod
    def forward(ctx, v, coef, x0, h, n, odd):
        va = v.abs() if odd else v
        idx, t = _locate(va, x0, h, n)
        out = v.new_empty(v.shape[:2] + (coef.shape[0],) + v.shape[2:])
        sgn = torch.sign(v) if odd else None
        for k in range(coef.shape[0]):
            c = coef[k]
            y = torch.take(c[0], idx)
            y.mul_(t).add_(torch.take(c[1], idx)).mul_(t).add_(torch.take(c[2], idx)).mul_(t)
            y.add_(torch.take(c[3], idx))
            if odd:
                y.mul_(sgn)
            out[:, :, k] = y
        ctx.save_for_backward(v, coef)
        ctx.args = (x0, h, n, odd)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        v, coef = ctx.saved_tensors
        x0, h, n, odd = ctx.args
        va = v.abs() if odd else v
        idx, t = _locate(va, x0, h, n)
        grad_v = torch.zeros_like(v)
        for k in range(coef.shape[0]):
            c = coef[k]
            d = torch.take(c[0], idx).mul_(3.0).mul_(t).add_(torch.take(c[1], idx).mul_(2.0)).mul_(t)
            d.add_(torch.take(c[2], idx))  # s_k'(|v|): the odd extension's derivative
            grad_v.addcmul_(grad_out[:, :, k], d)
        return grad_v, None, None, None, None, None


def spline_eval(x: torch.Tensor, table: SplineTable, *, odd: bool = False, scale=None, limit: float | None = None,
                step: float | None = None) -> torch.Tensor:
    """Evaluate the K splines of ``table`` at every element of ``x`` (shape (N, C, ...), N, C >= 1).

    Returns shape (N, C, K, ...): the K axis is inserted after the channel
    axis, so ``reshape(N, C·K, ...)`` is a valid channel layout for
    ``linear``/``conv`` with grouped weights ``(out, C·K, ...)``.

    The splines are evaluated at ``v = q(clip(x·scale, −limit, limit))``:
    ``scale`` is a constant (not differentiated) scalar or a tensor of shape
    (N,) or (N, 1, …, 1) -- one factor per sample; ``q`` rounds ``|v|`` to
    multiples of ``step`` with a straight-through gradient (a DAC); ``None``
    skips each step.  ``odd=True`` evaluates the odd extension
    ``sign(v)·s(|v|)`` (requires ``s(0) = 0`` for continuity).  Differentiable
    in ``x`` with the analytic spline derivative (C¹), recomputed in the
    backward pass instead of stored.  On CPU the whole chain runs as one fused
    numba pass, rows split over threads; elsewhere as torch ops (same values to rounding).
    """
    if not torch.is_tensor(x):
        raise TypeError(f"x must be a torch tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (N, C, ...), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")
    if not isinstance(table, SplineTable):
        raise TypeError(f"table must be a SplineTable, got {type(table).__name__}")
    n = x.shape[0]
    if scale is not None:
        scale = torch.as_tensor(scale, dtype=torch.float64).detach()
        if scale.numel() not in (1, n):
            raise ValueError(f"scale must be a scalar or hold one factor per sample ({n}), got shape "
                             f"{tuple(scale.shape)}")
    if limit is not None and not limit > 0:
        raise ValueError(f"limit must be > 0, got {limit!r}")
    if step is not None and not step > 0:
        raise ValueError(f"step must be > 0, got {step!r}")
    if _use_numba(x):
        if scale is None:
            row_scale = np.ones(n * x.shape[1])
        else:
            row_scale = np.repeat(scale.to("cpu").reshape(-1).expand(n).numpy(), x.shape[1])
        return _FusedSpline.apply(x, row_scale, math.inf if limit is None else float(limit),
                                  0.0 if step is None else float(step), table.coef, table.x0, table.h, odd)
    v = x
    if scale is not None:
        v = v * scale.to(device=x.device, dtype=x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    if not bool(torch.isfinite(v.detach()).all()):
        bad = int((~torch.isfinite(v.detach())).sum())
        raise NonFiniteError(f"spline_eval: the input holds {bad} non-finite value(s) (NaN or ±inf, after "
                             f"scaling) out of {x.numel()}")
    if limit is not None:
        v = v.clamp(-limit, limit)
    if step is not None:
        vq = torch.floor(v.detach().abs() / step + 0.5) * step * torch.sign(v.detach())  # half up, as the DAC
        v = v + (vq - v.detach())
    return _TorchSpline.apply(v, table.tensors(x.dtype, x.device), table.x0, table.h, table.n, bool(odd))


# --------------------------------------------------------------------------- expansions
@dataclass
class CellExpansion:
    """``I(V, G) ≈ Σₖ aₖ(V)·bₖ(G)`` for one cell configuration and gate voltage.

    Attributes
    ----------
    a : SplineTable -- ``aₖ(V)`` (A), V in volts over [0, V_max], all ``max_rank`` terms.
    b : SplineTable -- ``bₖ(G)`` (dimensionless), G in siemens over [G_OFF, G_ON].
    rank : int -- the rank used (smallest meeting ``spec.tol``).
    errors : array (max_rank,) -- measured worst error (A) of rank 1…max_rank on knots and midpoints.
    full_scale : float -- ``G_ON·V_max`` (A).
    singular_values : array -- of the table (A).
    v_gate : float (V); v_max, g_off, g_on : the domain; spec : ExpansionSpec; physics_key : str.
    """

    a: SplineTable
    b: SplineTable
    rank: int
    errors: np.ndarray
    full_scale: float
    singular_values: np.ndarray
    v_gate: float
    v_max: float
    g_off: float
    g_on: float
    spec: ExpansionSpec
    physics_key: str

    @property
    def max_error(self) -> float:
        """Worst measured error (A) of the rank in use."""
        return float(self.errors[self.rank - 1])

    @property
    def relative_error(self) -> float:
        """:attr:`max_error` as a fraction of the full-scale current ``G_ON·V_max``."""
        return self.max_error / self.full_scale

    def a_table(self) -> SplineTable:
        """The ``rank`` splines aₖ(V) in use (cached)."""
        return self._cached("a", lambda: self.a.truncated(self.rank))

    def b_table(self) -> SplineTable:
        """The ``rank`` splines bₖ(G) in use (cached)."""
        return self._cached("b", lambda: self.b.truncated(self.rank))

    def _cached(self, name, make):
        cache = self.__dict__.setdefault("_tables", {})
        key = (name, self.rank)
        if key not in cache:
            cache[key] = make()
        return cache[key]

    def pair_table(self) -> SplineTable:
        """Splines ``b̃ₖ(u) = bₖ(G_OFF + ΔG·u) − bₖ(G_OFF)`` for ``u ∈ [0, 1]`` (ΔG = G_ON − G_OFF).

        A differential pair holding a weight ``w`` with scale ``w_max`` has
        ``G± = G_OFF + ΔG·max(±u, 0)``, ``u = w/w_max``, so
        ``bₖ(G⁺) − bₖ(G⁻) = sign(u)·b̃ₖ(|u|)``: the odd extension of this table
        (what the layers evaluate, in one pass, instead of two splines and a
        difference).  Same polynomials, re-expressed in ``u``.  Cached.
        """
        return self._cached("pair", self._make_pair_table)

    def _make_pair_table(self) -> SplineTable:
        b = self.b_table()
        dg = self.g_on - self.g_off
        powers = dg ** np.array([3.0, 2.0, 1.0, 0.0])
        coef = b.coef * powers[None, :, None]
        coef[:, 3, :] -= coef[:, 3, :1]  # subtract b_k(G_OFF), the value at the first knot
        return SplineTable((b.x0 - self.g_off) / dg, b.h / dg, b.n, coef)

    def current(self, v: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """Approximate cell current (A) for elementwise-paired ``v`` (V) and ``g`` (S), broadcast.

        ``v`` is clamped to [0, V_max] and ``g`` to [G_OFF, G_ON] (the fitted domain).
        """
        v, g = torch.broadcast_tensors(torch.as_tensor(v), torch.as_tensor(g))
        shape = v.shape
        vv = v.clamp(0.0, self.v_max).reshape(-1, 1)
        gg = g.clamp(self.g_off, self.g_on).reshape(-1, 1)
        av = spline_eval(vv, self.a_table())[:, 0]  # (M, K)
        bg = spline_eval(gg, self.b_table())[:, 0]
        return (av * bg).sum(-1).reshape(shape)

    def to_npz(self, path: Path) -> None:
        """Write to ``path`` (.npz)."""
        meta = {"rank": self.rank, "full_scale": self.full_scale, "v_gate": self.v_gate, "v_max": self.v_max,
                "g_off": self.g_off, "g_on": self.g_on, "physics_key": self.physics_key,
                "spec": [self.spec.n_v, self.spec.n_g, self.spec.tol, self.spec.max_rank],
                "a": [self.a.x0, self.a.h, self.a.n], "b": [self.b.x0, self.b.h, self.b.n]}
        tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
        np.savez(tmp, a=self.a.coef, b=self.b.coef, errors=self.errors, sv=self.singular_values,
                 meta=np.array(json.dumps(meta)))
        os.replace(tmp, path)

    @classmethod
    def from_npz(cls, path: Path) -> "CellExpansion":
        """Read what :meth:`to_npz` wrote; ``ValueError`` if the file's contents are inconsistent."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            a = SplineTable(*meta["a"], z["a"])
            b = SplineTable(*meta["b"], z["b"])
            exp = cls(a=a, b=b, rank=int(meta["rank"]), errors=z["errors"].copy(),
                      full_scale=float(meta["full_scale"]), singular_values=z["sv"].copy(),
                      v_gate=float(meta["v_gate"]), v_max=float(meta["v_max"]), g_off=float(meta["g_off"]),
                      g_on=float(meta["g_on"]), spec=ExpansionSpec(*meta["spec"]),
                      physics_key=meta["physics_key"])
        if not (1 <= exp.rank <= a.rank == b.rank) or exp.errors.shape != (a.rank,):
            raise ValueError(f"inconsistent ranks: rank {exp.rank}, {a.rank} a-splines, {b.rank} b-splines, "
                             f"{exp.errors.shape} errors")
        for name, arr in (("a", a.coef), ("b", b.coef), ("errors", exp.errors)):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"non-finite values in {name}")
        return exp


def build_expansion(config: CellConfig, v_gate: float, spec: ExpansionSpec | None = None) -> CellExpansion:
    """Fit and validate the separable expansion of ``config``'s cell at ``v_gate`` (V).

    Two exact xbarsolve solves: the ``n_v × n_g`` knot table and the
    ``(2n_v−1) × (2n_g−1)`` validation table of knots and midpoints.  Raises
    ``RuntimeError`` if no rank up to ``spec.max_rank`` meets ``spec.tol``
    (refine the grids).
    """
    if not isinstance(config, CellConfig):
        raise TypeError(f"config must be a CellConfig, got {type(config).__name__}")
    spec = ExpansionSpec() if spec is None else spec
    if not isinstance(spec, ExpansionSpec):
        raise TypeError(f"spec must be an ExpansionSpec or None, got {type(spec).__name__}")
    v_gate = checks.real("v_gate", v_gate, unit="V")
    v = np.linspace(0.0, config.v_max, spec.n_v)
    g = np.linspace(config.g_off, config.g_on, spec.n_g)
    table = cell_currents(config, v, g, v_gate)[0]
    table[0] = 0.0
    u, s, wt = np.linalg.svd(table, full_matrices=False)
    k_max = spec.max_rank
    u, s, wt = u[:, :k_max], s[:k_max], wt[:k_max]
    signs = np.where(wt[:, -1] < 0, -1.0, 1.0)
    a_vals = u * (s * signs)  # (n_v, K), A
    a_vals[0] = 0.0
    b_vals = (wt * signs[:, None]).T  # (n_g, K)
    a_spl = SplineTable.fit(v, a_vals)
    b_spl = SplineTable.fit(g, b_vals)
    # validation on knots and midpoints
    v_val = np.linspace(0.0, config.v_max, 2 * spec.n_v - 1)
    g_val = np.linspace(config.g_off, config.g_on, 2 * spec.n_g - 1)
    exact = cell_currents(config, v_val, g_val, v_gate)[0]
    with torch.no_grad():
        av = spline_eval(torch.as_tensor(v_val).reshape(-1, 1), a_spl)[:, 0].numpy()  # (n, K)
        bg = spline_eval(torch.as_tensor(g_val).reshape(-1, 1), b_spl)[:, 0].numpy()
    errors = np.empty(k_max)
    approx = np.zeros_like(exact)
    for k in range(k_max):
        approx += np.outer(av[:, k], bg[:, k])
        errors[k] = np.max(np.abs(approx - exact))
    full_scale = config.g_on * config.v_max
    ok = np.flatnonzero(errors <= spec.tol * full_scale)
    if ok.size == 0:
        raise RuntimeError(f"no expansion rank <= {k_max} meets tol={spec.tol} of full scale at v_gate={v_gate} V "
                           f"(best {errors.min() / full_scale:.2e}); refine n_v/n_g or raise max_rank")
    return CellExpansion(a=a_spl, b=b_spl, rank=int(ok[0]) + 1, errors=errors, full_scale=full_scale,
                         singular_values=s, v_gate=v_gate, v_max=config.v_max, g_off=config.g_off,
                         g_on=config.g_on, spec=spec, physics_key=config.physics_key())


_MEMORY: dict = {}

#: What reading a damaged cache file can raise (truncated zip, bad JSON, missing keys, wrong shapes).
CACHE_READ_ERRORS = (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile)


def _read_cached_expansion(path: Path, config: CellConfig, v_gate: float, spec: ExpansionSpec):
    """The expansion cached in ``path`` if it is readable and is the one asked for, else None
    (with a warning naming the file: the caller rebuilds the entry and overwrites it)."""
    try:
        exp = CellExpansion.from_npz(path)
        if (exp.physics_key != config.physics_key() or round(exp.v_gate, 9) != v_gate or exp.spec != spec
                or (exp.v_max, exp.g_off, exp.g_on) != (config.v_max, config.g_off, config.g_on)):
            raise ValueError("it holds the expansion of another cell, gate voltage or grid")
        return exp
    except CACHE_READ_ERRORS as e:
        warnings.warn(f"neat cache entry {path} is unreadable or inconsistent ({type(e).__name__}: {e}); "
                      f"rebuilding it", RuntimeWarning, stacklevel=3)
        return None


def get_expansion(config: CellConfig, v_gate: float, spec: ExpansionSpec | None = None, *,
                  cache_dir=None, use_cache: bool = True) -> CellExpansion:
    """Cached :func:`build_expansion`: in memory per process, and on disk (``.npz``) in ``cache_dir``
    (default :func:`neat.cell.default_cache_dir`) unless ``use_cache=False``."""
    if not isinstance(config, CellConfig):
        raise TypeError(f"config must be a CellConfig, got {type(config).__name__}")
    spec = ExpansionSpec() if spec is None else spec
    v_gate = round(checks.real("v_gate", v_gate, unit="V"), 9)
    ident = json.dumps({"physics": config.physics_key(), "v_gate": v_gate,
                        "spec": [spec.n_v, spec.n_g, spec.tol, spec.max_rank]})
    digest = hashlib.sha256(ident.encode()).hexdigest()[:20]
    if use_cache and digest in _MEMORY:
        return _MEMORY[digest]
    path = None
    if use_cache:
        path = (default_cache_dir() if cache_dir is None else Path(cache_dir)) / f"expansion-{digest}.npz"
        if path.is_file():
            exp = _read_cached_expansion(path, config, v_gate, spec)
            if exp is not None:
                _MEMORY[digest] = exp
                return exp
    exp = build_expansion(config, v_gate, spec)
    if use_cache:
        _MEMORY[digest] = exp
        path.parent.mkdir(parents=True, exist_ok=True)
        exp.to_npz(path)
    return exp
