"""Input checks of neat: small reusable predicates, one home for every argument test.

Each predicate checks one value, raises ``TypeError`` (wrong kind of value) or
``ValueError`` (right kind, wrong value) with a message that names the argument
and says what was expected, and returns the value in canonical form (a Python
``float``/``int``/``str``).  Configuration classes and public functions call them
before doing any work::

    from . import checks
    g_on = checks.positive("g_on", g_on)            # finite and > 0
    n = checks.integer("n_v", n_v, low=2)
    side = checks.choice("transistor_side", side, ("row", "column"))

The shape follows badcrossbar's ``check.py``.  The xbarsolve core is growing the
same kind of module; when it lands, these predicates move there and this module
re-exports them (nothing here depends on the rest of neat).
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch

__all__ = ["NonFiniteError", "real", "positive", "non_negative", "fraction", "integer", "choice", "boolean",
           "tensor", "finite_tensor", "optional"]


class NonFiniteError(ValueError):
    """A tensor that must hold finite numbers holds NaN or ±inf (e.g. a crossbar layer's input or weights)."""


def _is_real(value) -> bool:
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def real(name: str, value, *, low: float | None = None, high: float | None = None, low_open: bool = False,
         high_open: bool = False, unit: str = "") -> float:
    """A finite real number (bool is not a number here) inside ``[low, high]`` (open ends on request)."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number{_unit(unit)}, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}{unit and ' ' + unit}, got {value!r}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g}{unit and ' ' + unit}, got {value!r}")
    return v


def _unit(unit: str) -> str:
    return f" ({unit})" if unit else ""


def positive(name: str, value, *, unit: str = "") -> float:
    """A finite number > 0."""
    return real(name, value, low=0.0, low_open=True, unit=unit)


def non_negative(name: str, value, *, unit: str = "") -> float:
    """A finite number >= 0."""
    return real(name, value, low=0.0, unit=unit)


def fraction(name: str, value, *, zero_ok: bool = False) -> float:
    """A fraction in (0, 1] (or [0, 1] with ``zero_ok``)."""
    v = real(name, value)
    if not (0.0 <= v <= 1.0) or (v == 0.0 and not zero_ok):
        raise ValueError(f"{name} must be a fraction in {'[0' if zero_ok else '(0'}, 1], got {value!r}")
    return v


def integer(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """An integer (Python or numpy; not bool, not a float with an integral value) in ``[low, high]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def choice(name: str, value, options) -> str:
    """One of the strings ``options``."""
    options = tuple(options)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {options}, got {type(value).__name__}")
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def boolean(name: str, value) -> bool:
    """``True``/``False`` (numpy's bool too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def optional(check, name: str, value, **kwargs):
    """``None``, or ``check(name, value, **kwargs)``."""
    return None if value is None else check(name, value, **kwargs)


def tensor(name: str, x, *, floating: bool = True) -> torch.Tensor:
    """A torch tensor (of a floating-point dtype unless ``floating=False``)."""
    if not torch.is_tensor(x):
        raise TypeError(f"{name} must be a torch tensor, got {type(x).__name__}")
    if floating and not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    return x


def finite_tensor(name: str, x: torch.Tensor, *, where: str = "") -> torch.Tensor:
    """A floating-point tensor without NaN or ±inf (:class:`NonFiniteError` otherwise, with the count)."""
    tensor(name, x)
    if x.numel() and not bool(torch.isfinite(x.detach()).all()):
        xd = x.detach()
        n_nan = int(torch.isnan(xd).sum())
        n_inf = int(torch.isinf(xd).sum())
        raise NonFiniteError(f"{name}{' of ' + where if where else ''} must be finite: it holds {n_nan} NaN and "
                             f"{n_inf} infinite value(s) out of {x.numel()} (a crossbar cannot apply or store "
                             f"them; check the data and whether training diverged)")
    return x
