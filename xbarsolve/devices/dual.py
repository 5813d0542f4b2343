"""Dual numbers with two tangents, as a numba value type: forward-mode derivatives in one pass.

``Dual(v, d1, d2)`` carries a value ``v`` and its derivatives along two
directions.  Arithmetic (+, −, ×, ÷ with duals and plain numbers, unary −)
follows the chain rule to first order, so evaluating an expression on duals
seeded with the two directions gives the value and both directional
derivatives at once: exact to rounding (no step size), one pass over the
expression instead of one complex-step pass per direction.  ``.real`` is the
value, so code written for complex-step evaluation (branches on ``.real``)
runs unchanged; :func:`chain` and :func:`constant_like` are the two places
where such code must know what it works on.

It is a plain struct (three float64), passed by value: no allocation.
Only usable inside numba-compiled code.
"""
from __future__ import annotations

import operator

from numba import types
from numba.core import cgutils
from numba.extending import (lower_builtin, make_attribute_wrapper, models, overload, register_model,
                             type_callable)


class Dual:
    """Placeholder for the numba constructor ``Dual(value, d1, d2)`` (nopython mode only)."""

    def __init__(self, *args):
        raise TypeError("Dual exists only inside numba-compiled functions")


class DualType(types.Type):
    def __init__(self):
        super().__init__(name="Dual")


dual_type = DualType()


@register_model(DualType)
class DualModel(models.StructModel):
    def __init__(self, dmm, fe_type):
        members = [("real", types.float64), ("d1", types.float64), ("d2", types.float64)]
        super().__init__(dmm, fe_type, members)


make_attribute_wrapper(DualType, "real", "real")
make_attribute_wrapper(DualType, "d1", "d1")
make_attribute_wrapper(DualType, "d2", "d2")


@type_callable(Dual)
def _type_dual(context):
    def typer(value, d1, d2):
        if all(isinstance(t, (types.Float, types.Integer)) for t in (value, d1, d2)):
            return dual_type
    return typer


@lower_builtin(Dual, types.Number, types.Number, types.Number)
def _lower_dual(context, builder, sig, args):
    dual = cgutils.create_struct_proxy(sig.return_type)(context, builder)
    dual.real, dual.d1, dual.d2 = (context.cast(builder, a, t, types.float64) for a, t in zip(args, sig.args))
    return dual._getvalue()


def _is_dual(t):
    return isinstance(t, DualType)


def _is_number(t):
    return isinstance(t, (types.Float, types.Integer))


@overload(operator.add)
def _add(a, b):
    if _is_dual(a) and _is_dual(b):
        return lambda a, b: Dual(a.real + b.real, a.d1 + b.d1, a.d2 + b.d2)
    if _is_dual(a) and _is_number(b):
        return lambda a, b: Dual(a.real + b, a.d1, a.d2)
    if _is_number(a) and _is_dual(b):
        return lambda a, b: Dual(a + b.real, b.d1, b.d2)


@overload(operator.sub)
def _sub(a, b):
    if _is_dual(a) and _is_dual(b):
        return lambda a, b: Dual(a.real - b.real, a.d1 - b.d1, a.d2 - b.d2)
    if _is_dual(a) and _is_number(b):
        return lambda a, b: Dual(a.real - b, a.d1, a.d2)
    if _is_number(a) and _is_dual(b):
        return lambda a, b: Dual(a - b.real, -b.d1, -b.d2)


@overload(operator.mul)
def _mul(a, b):
    if _is_dual(a) and _is_dual(b):
        return lambda a, b: Dual(a.real * b.real, a.d1 * b.real + a.real * b.d1,
                                 a.d2 * b.real + a.real * b.d2)
    if _is_dual(a) and _is_number(b):
        return lambda a, b: Dual(a.real * b, a.d1 * b, a.d2 * b)
    if _is_number(a) and _is_dual(b):
        return lambda a, b: Dual(a * b.real, a * b.d1, a * b.d2)


@overload(operator.truediv)
def _truediv(a, b):
    if _is_dual(a) and _is_dual(b):
        def impl(a, b):
            inv = 1.0 / b.real
            value = a.real * inv
            return Dual(value, (a.d1 - value * b.d1) * inv, (a.d2 - value * b.d2) * inv)
        return impl
    if _is_dual(a) and _is_number(b):
        def impl(a, b):
            inv = 1.0 / b
            return Dual(a.real * inv, a.d1 * inv, a.d2 * inv)
        return impl
    if _is_number(a) and _is_dual(b):
        def impl(a, b):
            inv = 1.0 / b.real
            value = a * inv
            return Dual(value, -value * b.d1 * inv, -value * b.d2 * inv)
        return impl


@overload(operator.neg)
def _neg(a):
    if _is_dual(a):
        return lambda a: Dual(-a.real, -a.d1, -a.d2)


# ----------------------------------------------------------------- shared with complex step

def chain(z, value, slope):
    """f(z) from f(z.real) = ``value`` and f'(z.real) = ``slope``: the first-order extension of
    f to a dual or complex-step argument (nopython mode only)."""
    raise TypeError("chain exists only inside numba-compiled functions")


@overload(chain)
def _chain(z, value, slope):
    if _is_dual(z):
        return lambda z, value, slope: Dual(value, slope * z.d1, slope * z.d2)
    if isinstance(z, types.Complex):
        return lambda z, value, slope: complex(value, slope * z.imag)


def constant_like(z, value):
    """The constant ``value`` in the number type of ``z`` (dual or complex; nopython mode only)."""
    raise TypeError("constant_like exists only inside numba-compiled functions")


@overload(constant_like)
def _constant_like(z, value):
    if _is_dual(z):
        return lambda z, value: Dual(value, 0.0, 0.0)
    if isinstance(z, types.Complex):
        return lambda z, value: complex(value, 0.0)
