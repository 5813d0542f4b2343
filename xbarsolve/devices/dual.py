"""Dual numbers as numba value types: forward-mode derivatives in one pass.

``Dual(v, d1, d2)`` carries a value ``v`` and its derivatives along two
directions; ``Dual3(v, d1, d2, d3)`` along three.  Arithmetic (+, −, ×, ÷ with
duals and plain numbers, unary −) follows the chain rule to first order, so
evaluating an expression on duals seeded with the directions gives the value
and every directional derivative at once: exact to rounding (no step size),
one pass over the expression instead of one complex-step pass per direction.
``.real`` is the value, so code written for complex-step evaluation (branches
on ``.real``) runs unchanged; :func:`chain` and :func:`constant_like` are the
two places where such code must know what it works on.

Each type is a plain struct of float64s passed by value: no allocation.
Only usable inside numba-compiled code.  Both types are made by one factory
(:func:`_dual_type`), so their arithmetic is written once.
"""
from __future__ import annotations

import operator

from numba import types
from numba.core import cgutils
from numba.extending import (lower_builtin, make_attribute_wrapper, models, overload, register_model,
                             type_callable)


def _is_number(t):
    return isinstance(t, (types.Float, types.Integer))


def _dual_type(name: str, n_tangents: int):
    """Create the constructor placeholder and numba type of a dual number with ``n_tangents``."""
    tangents = tuple(f"d{k + 1}" for k in range(n_tangents))

    class Placeholder:
        __doc__ = (f"Placeholder for the numba constructor ``{name}(value, {', '.join(tangents)})`` "
                   "(nopython mode only).")

        def __init__(self, *args):
            raise TypeError(f"{name} exists only inside numba-compiled functions")

    Placeholder.__name__ = Placeholder.__qualname__ = name

    class DualType(types.Type):
        def __init__(self):
            super().__init__(name=name)

    dual_type = DualType()

    @register_model(DualType)
    class DualModel(models.StructModel):
        def __init__(self, dmm, fe_type):
            super().__init__(dmm, fe_type, [(f, types.float64) for f in ("real",) + tangents])

    for field in ("real",) + tangents:
        make_attribute_wrapper(DualType, field, field)

    @type_callable(Placeholder)
    def _type_constructor(context):
        # numba needs the typer's exact arity: (value, d1, ..., dn)
        arguments = ", ".join(("value",) + tangents)
        return _generated(f"def impl({arguments}):\n"
                          f"    if all(N(t) for t in ({arguments},)):\n        return C\n",
                          dual_type, N=_is_number)

    @lower_builtin(Placeholder, *([types.Number] * (n_tangents + 1)))
    def _lower_constructor(context, builder, sig, args):
        dual = cgutils.create_struct_proxy(sig.return_type)(context, builder)
        for field, arg, typ in zip(("real",) + tangents, args, sig.args):
            setattr(dual, field, context.cast(builder, arg, typ, types.float64))
        return dual._getvalue()

    # The arithmetic, generated once per type from these templates (a, b: dual or number).
    def build(value_expr, tangent_expr, prelude=""):
        body = ", ".join([value_expr] + [tangent_expr.format(d=d) for d in tangents])
        return _generated(f"def impl(a, b):\n{prelude}    return C({body})\n", Placeholder)

    rules = {  # op: {(a is dual, b is dual): implementation}
        operator.add: {(True, True): build("a.real + b.real", "a.{d} + b.{d}"),
                       (True, False): build("a.real + b", "a.{d}"),
                       (False, True): build("a + b.real", "b.{d}")},
        operator.sub: {(True, True): build("a.real - b.real", "a.{d} - b.{d}"),
                       (True, False): build("a.real - b", "a.{d}"),
                       (False, True): build("a - b.real", "-b.{d}")},
        operator.mul: {(True, True): build("a.real * b.real", "a.{d} * b.real + a.real * b.{d}"),
                       (True, False): build("a.real * b", "a.{d} * b"),
                       (False, True): build("a * b.real", "a * b.{d}")},
        operator.truediv: {
            (True, True): build("value", "(a.{d} - value * b.{d}) * inv",
                                "    inv = 1.0 / b.real\n    value = a.real * inv\n"),
            (True, False): build("a.real * inv", "a.{d} * inv", "    inv = 1.0 / b\n"),
            (False, True): build("value", "-value * b.{d} * inv",
                                 "    inv = 1.0 / b.real\n    value = a * inv\n")},
    }
    def binary_typer(impls):
        def typer(a, b):
            a_dual, b_dual = a is dual_type, b is dual_type
            if (a_dual or _is_number(a)) and (b_dual or _is_number(b)) and (a_dual or b_dual):
                return impls[(a_dual, b_dual)]
        return typer

    for op, impls in rules.items():
        overload(op)(binary_typer(impls))

    negate = _generated(f"def impl(a):\n    return C(-a.real, {', '.join(f'-a.{d}' for d in tangents)})\n",
                        Placeholder)
    overload(operator.neg)(lambda a: negate if a is dual_type else None)
    chain_impl = _generated("def impl(z, value, slope):\n    return C(value, "
                            f"{', '.join(f'slope * z.{d}' for d in tangents)})\n", Placeholder)
    constant_impl = _generated(f"def impl(z, value):\n    return C(value, {', '.join(['0.0'] * n_tangents)})\n",
                               Placeholder)
    return Placeholder, dual_type, chain_impl, constant_impl


def _generated(source: str, constructor, **names):
    """Compile the small template ``source`` (which calls ``C``, the constructor, and ``names``)."""
    scope = {"C": constructor, **names}
    exec(source, scope)  # noqa: S102 -- fixed templates above, no outside input
    return scope["impl"]


Dual, dual_type, _chain2, _constant2 = _dual_type("Dual", 2)
Dual3, dual3_type, _chain3, _constant3 = _dual_type("Dual3", 3)
_CHAIN = {dual_type: _chain2, dual3_type: _chain3}
_CONST = {dual_type: _constant2, dual3_type: _constant3}


# ----------------------------------------------------------------- shared with complex step

def chain(z, value, slope):
    """f(z) from f(z.real) = ``value`` and f'(z.real) = ``slope``: the first-order extension of
    f to a dual or complex-step argument (nopython mode only)."""
    raise TypeError("chain exists only inside numba-compiled functions")


@overload(chain)
def _chain(z, value, slope):
    if z in _CHAIN:
        return _CHAIN[z]
    if isinstance(z, types.Complex):
        return lambda z, value, slope: complex(value, slope * z.imag)


def constant_like(z, value):
    """The constant ``value`` in the number type of ``z`` (dual or complex; nopython mode only)."""
    raise TypeError("constant_like exists only inside numba-compiled functions")


@overload(constant_like)
def _constant_like(z, value):
    if z in _CONST:
        return _CONST[z]
    if isinstance(z, types.Complex):
        return lambda z, value: complex(value, 0.0)
