"""Input checks: small reusable predicates that return a clean value or raise a clear error.

Every public function of xbarsolve (and of neat) validates its arguments with these before
doing any work.  Each predicate checks one thing, names the argument in its message, says
what was expected and what it got, and returns the value in the form the caller works with
(a float, an int, a float64 array, a lower-case name).  Wrong *types* raise :class:`TypeError`,
wrong *values* raise :class:`ValueError`.

>>> real_number("v0", 0.25, positive=True)
0.25
>>> real_array("g", [[1e-5, 2e-5]], non_negative=True).shape
(1, 2)
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = ["real_array", "broadcast", "resistance_array", "real_number", "positive_number",
           "finite_number", "integer", "boolean", "choice", "instance_of", "real_sequence",
           "readonly_copy"]


# ----------------------------------------------------------------------------- arrays
def _kind_name(value) -> str:
    """How a rejected non-numeric value is described in messages."""
    kind = np.asarray(value).dtype.kind if not isinstance(value, (str, bytes)) else ""
    return {"b": "booleans", "U": "strings", "S": "bytes"}.get(kind, type(value).__name__)


def real_array(name: str, value, *, non_negative: bool = False, positive: bool = False,
               finite: bool = True) -> np.ndarray:
    """``value`` (number, nested sequence, array or tensor-like) as a new float64 array.

    Rejects (TypeError) strings, bytes, None, booleans, complex numbers and anything numpy
    cannot read as real numbers; then (ValueError) NaN or infinity when ``finite``, negative
    entries when ``non_negative``, entries <= 0 when ``positive``.  The result never shares
    memory with ``value``.
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a number or array of numbers, got {type(value).__name__}")
    try:
        complex_input = np.iscomplexobj(value)
        arr = None if complex_input else np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or array of numbers, got {type(value).__name__}") from None
    if complex_input:
        raise TypeError(f"{name} must be real-valued, got complex numbers")
    if np.asarray(value).dtype.kind not in "fiu":  # booleans, strings and objects are not numbers here
        raise TypeError(f"{name} must be a number or array of numbers, got {_kind_name(value)}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    if (non_negative or positive) and np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, got a minimum of {arr.min()!r}")
    if positive and np.any(arr == 0):
        raise ValueError(f"{name} must be > 0")
    return arr


def broadcast(name: str, arr: np.ndarray, shape: tuple, *, what: str | None = None) -> np.ndarray:
    """A scalar ``arr`` repeated to ``shape``, or ``arr`` itself if it already has ``shape``.

    ``what`` describes the expected shape in the message (default: ``shape``).
    """
    if arr.ndim == 0:
        return np.full(shape, float(arr))
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must be a scalar or have shape {what or tuple(shape)}, "
                         f"got shape {arr.shape}")
    return arr


def resistance_array(name: str, value, shape: tuple | None = None) -> np.ndarray:
    """Resistances (Ω): finite, >= 0, each either 0 (an ideal wire) or with a finite conductance 1/R.

    ``shape`` None: a scalar only; otherwise a scalar or an array of ``shape``, broadcast to it.
    """
    arr = real_array(name, value, non_negative=True)
    if shape is None:
        if arr.ndim != 0:
            raise ValueError(f"{name} must be a scalar, got shape {arr.shape}")
    else:
        arr = broadcast(name, arr, shape)
    with np.errstate(divide="ignore", over="ignore"):
        bad = (arr > 0) & ~np.isfinite(1.0 / np.where(arr > 0, arr, 1.0))
    if np.any(bad):
        raise ValueError(f"{name} must be 0 (an ideal wire) or large enough that 1/R is finite, "
                         f"got {arr[bad].min()!r} Ω")
    return arr


def readonly_copy(arr: np.ndarray) -> np.ndarray:
    """A copy of ``arr`` that cannot be written (so that no caller can change it in place)."""
    out = np.array(arr, copy=True)
    out.setflags(write=False)
    return out


# ----------------------------------------------------------------------------- scalars
def _is_real(value) -> bool:
    return (isinstance(value, (numbers.Real, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def real_number(name: str, value, *, finite: bool = True, positive: bool = False, non_negative: bool = False,
                below: float | None = None, prefix: str = "") -> float:
    """``value`` (a real number, not a bool or an array) as float.

    ``positive``: > 0; ``non_negative``: >= 0; ``below``: < that bound.  ``prefix`` is put
    before ``name`` in messages (e.g. ``"NewtonOptions."``).
    """
    label = prefix + name
    if not _is_real(value):
        raise TypeError(f"{label} must be a real number, got {type(value).__name__}")
    value = float(value)
    if positive and not (np.isfinite(value) and value > 0):
        raise ValueError(f"{label} must be a finite number > 0, got {value!r}")
    if non_negative and not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{label} must be a finite number >= 0, got {value!r}")
    if finite and not np.isfinite(value):
        raise ValueError(f"{label} must be finite, got {value!r}")
    if below is not None and not value < below:
        raise ValueError(f"{label} must be < {below!r}, got {value!r}")
    return value


def positive_number(name: str, value, *, allow_zero: bool = False) -> float:
    """``value`` as float after checking it is a finite real number > 0 (or >= 0)."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        expected = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {expected}, got {value!r}")
    return value


def finite_number(name: str, value) -> float:
    """``value`` as float after checking it is a finite real number."""
    return real_number(name, value)


def integer(name: str, value, *, minimum: int | None = None, prefix: str = "") -> int:
    """``value`` (an int or numpy integer, not a bool or a float) as int, >= ``minimum`` if given."""
    label = prefix + name
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{label} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{label} must be an integer >= {minimum}, got {value!r}")
    return value


def boolean(name: str, value, *, prefix: str = "") -> bool:
    """``value`` (a Python or numpy bool) as bool; anything else (0, 1, "no") is a TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{prefix}{name} must be a bool (True or False), got {type(value).__name__}")
    return bool(value)


def choice(name: str, value, choices: Sequence[str]) -> str:
    """``value``, a string naming one of ``choices`` (case-insensitive), in lower case."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {tuple(choices)}, got {type(value).__name__}")
    if value.lower() not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value.lower()


def instance_of(name: str, value, cls: type, *, described: str | None = None):
    """``value`` itself after checking it is an instance of ``cls`` (a class is not an instance)."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be {described or 'a ' + cls.__name__}, got {type(value).__name__}")
    return value


def real_sequence(name: str, value, *, positive: bool = False, described: str | None = None,
                  prefix: str = "") -> tuple:
    """``value``, a tuple or list of finite real numbers (> 0 when ``positive``), as a tuple of floats.

    ``described`` names the entries in the message (default "finite numbers[ > 0]").
    """
    ok = isinstance(value, (tuple, list)) and all(
        _is_real(v) and np.isfinite(v) and (not positive or v > 0) for v in value)
    if not ok:
        what = described or ("finite numbers > 0" if positive else "finite numbers")
        raise ValueError(f"{prefix}{name} must be a sequence of {what}, got {value!r}")
    return tuple(float(v) for v in value)
