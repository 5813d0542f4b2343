"""First-order elementary functions of dual-number or complex-step arguments.

``chain(z, f, f')`` (from :mod:`xbarsolve.devices.dual`) gives f at ``z.real``,
carried to the derivative parts of ``z`` by f'.  Written once here, these
functions let a device expression run unchanged in dual-number arithmetic (the
solver's derivatives) and in complex-step arithmetic (an independent check).
Branches compare real parts only; every function keeps full accuracy where the
``cmath`` versions would lose it (large arguments, differences of nearly equal
numbers).  Only usable inside numba-compiled code.
"""
from __future__ import annotations

import math

from numba import njit

from .dual import chain, constant_like  # noqa: F401  (constant_like re-exported for device code)

# (``chain(z, f, f')``: the value f at z.real, carried to the derivative parts by f')
@njit(cache=True, inline="always")
def cexp(z):
    e = math.exp(z.real)
    return chain(z, e, e)


@njit(cache=True, inline="always")
def clog(z):
    return chain(z, math.log(z.real), 1.0 / z.real)


@njit(cache=True, inline="always")
def clog1p(z):
    return chain(z, math.log1p(z.real), 1.0 / (1.0 + z.real))


@njit(cache=True, inline="always")
def csqrt(z):
    s = math.sqrt(z.real)
    return chain(z, s, 0.5 / s)


@njit(cache=True, inline="always")
def ctheta(z):
    """θ(z) = 0.5/(cosh z − 1) = u/(1 − u)² with u = e^(−z), for z > 0 (no overflow)."""
    a = z.real
    if a < 1e-3:  # cosh a − 1 = 2·sinh²(a/2) without cancellation
        s = math.sinh(0.5 * a)
        c = 2.0 * s * s
        return chain(z, 0.5 / c, -0.5 * math.sinh(a) / (c * c))
    u = math.exp(-a)
    d = 1.0 - u
    return chain(z, u / (d * d), -u * (1.0 + u) / (d * d * d))


@njit(cache=True, inline="always")
def cfloor(z, a):
    """Smooth positive floor: z for z >= a, a²/(2a − z) below (C¹ at a, > 0 everywhere).

    Only reached far outside normal bias (e.g. 1 + KETA·Vbseff near Vbs = −25 V);
    BSIM4 guards the same quantities with floors of its own.
    """
    if z.real >= a:
        return z
    return a * a / (2.0 * a - z)


@njit(cache=True, inline="always")
def clog_softplus(z):
    """ln(ln(1 + e^z)), finite for every real part."""
    a = z.real
    if a > 36.0:
        sp = a + math.exp(-a)  # ln(1+e^a) to machine precision
        sig = 1.0
    elif a > -36.0:
        sp = math.log1p(math.exp(a))
        sig = 1.0 / (1.0 + math.exp(-a))
    else:  # ln(1 + e^a) = e^a·(1 − e^a/2 + ...): return its logarithm directly
        ea = math.exp(a)
        return chain(z, a - 0.5 * ea, 1.0 - 0.5 * ea)
    return chain(z, math.log(sp), sig / sp)


@njit(cache=True, inline="always")
def clogaddexp(x, y):
    """ln(e^x + e^y) without overflow."""
    if x.real >= y.real:
        return x + clog1p(cexp(y - x))
    return y + clog1p(cexp(x - y))


@njit(cache=True, inline="always")
def ctanh(z):
    t = math.tanh(z.real)
    return chain(z, t, 1.0 - t * t)


@njit(cache=True, inline="always")
def csoftplus(z):
    """ln(1 + e^z) without overflow or loss of digits."""
    a = z.real
    if a > 36.0:
        return chain(z, a + math.exp(-a), 1.0)
    e = math.exp(a)
    return chain(z, math.log1p(e), e / (1.0 + e))


@njit(cache=True, inline="always")
def cpow(z, p):
    """z**p for a constant real exponent ``p`` and z.real > 0."""
    v = z.real ** p
    return chain(z, v, p * v / z.real)
