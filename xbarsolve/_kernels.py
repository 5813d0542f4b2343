"""The element kernels: every numba loop over the elements of a group, for assembly and for gradients.

A device model supplies per-element functions (:mod:`xbarsolve.devices.base`): ``evaluate``
(terminal currents and their voltage derivatives, as a :class:`~xbarsolve.devices.Stamp`),
optionally ``current``, ``step_limit`` and ``parameter_partials``.  The loops that apply
them to all elements of a group and all samples of a batch are written once, here:

==================  ====================================================================
kernel              does, per sample and element
==================  ====================================================================
``stamp``           KCL residual, Jacobian values, current and rounding scales (assembly)
``residual``        KCL residual only (line searches, diagnostics)
``kcl``             KCL residual with its current and rounding scales, no Jacobian (linear circuits)
``currents``        terminal currents at a and b (results)
``terminals``       currents at a, b, gate and body in one evaluation (results, power)
``limit``           the fraction of a Newton step the element accepts (device limiting)
``read``            a linear read-out of terminal currents (:mod:`xbarsolve._readout`)
``read_stored``     the same read-out from terminal currents already computed
``power``           v_a·i_a + v_b·i_b per element, from terminal currents already computed
``read_vjp``        its transpose, w.r.t. node voltages and parameters (gradients)
``implicit_vjp``    −λᵀ ∂F/∂θ and −λᵀ ∂F/∂v_fixed (implicit differentiation)
==================  ====================================================================

Why the model arrives as an argument.  Each kernel is a module-level function compiled with
``cache=True`` that takes, as its first argument, the :class:`KernelFamily` of the model: a
small Python object whose numba type (:class:`ElementKind`) names the model's functions and
a hash of their source files.  numba compiles one specialisation per type and finds the model's
functions through the ``element_*`` overloads below, so the compiled code is the same as if
the kernel had been written for that model (everything is inlined), yet it is written to
numba's on-disk cache under a key that is the same in every process: a fresh process loads
it instead of compiling it.  (A closure over the model's functions, the previous design,
cannot be cached: numba hashes the closure's dispatchers, whose identity differs per process.)
A change to a model's source changes the key, so a stale kernel is never loaded.
"""
from __future__ import annotations

import hashlib
import math
import threading

import numpy as np
from numba import njit, types
from numba.core.dispatcher import Dispatcher
from numba.extending import NativeValue, models, overload, register_model, typeof_impl, unbox

from .devices.base import Stamp, no_step_limit
from ._threads import batched, over_batch


# ----------------------------------------------------------------------------- kernel families
class ElementKind(types.Type):
    """The numba type of a :class:`KernelFamily`; its name is the family's key."""

    def __init__(self, key: str):
        self.family_key = key
        super().__init__(name=f"ElementKind({key})")


register_model(ElementKind)(models.OpaqueModel)


@unbox(ElementKind)
def _unbox_kind(typ, obj, c):
    return NativeValue(c.context.get_dummy_value())


class KernelFamily:
    """The element functions of one model kernel (models sharing them share the family).

    ``evaluate``, ``current`` (or None), ``step_limit``, ``parameter_partials`` (or None),
    ``terminal_currents`` (or None): numba dispatchers (see :class:`xbarsolve.devices.ElementModel`); ``key``: their names and
    a hash of the source files they come from.
    """

    def __init__(self, key: str, evaluate, current, step_limit, partials, terminal_currents=None):
        self.key, self.evaluate, self.current = key, evaluate, current
        self.step_limit, self.partials = step_limit, partials
        self.terminal_currents = terminal_currents
        self.numba_type = ElementKind(key)
        self.limits_steps = step_limit is not no_step_limit


@typeof_impl.register(KernelFamily)
def _typeof_family(value, context):
    return value.numba_type


_FAMILIES: dict = {}  # key -> KernelFamily (what the overloads look up while compiling)
_BY_FUNCTIONS: dict = {}  # (evaluate, current, step_limit, partials) -> KernelFamily
_LOCK = threading.Lock()


def _source_files(function, seen: set) -> None:
    """Source files of a numba function, of the dispatchers its closure holds and of the
    dispatchers its code names as globals (recursively)."""
    py_func = getattr(function, "py_func", function)
    code = getattr(py_func, "__code__", None)
    if code is None or id(py_func) in seen:
        return
    seen.add(id(py_func))
    seen.add(code.co_filename)
    for cell in py_func.__closure__ or ():
        if isinstance(cell.cell_contents, Dispatcher):
            _source_files(cell.cell_contents, seen)
    for name in code.co_names:
        value = py_func.__globals__.get(name)
        if isinstance(value, Dispatcher):
            _source_files(value, seen)


def _family_key(functions) -> str:
    seen: set = set()
    names = []
    for f in functions:
        if f is None:
            names.append("-")
            continue
        py_func = getattr(f, "py_func", f)
        names.append(f"{py_func.__module__}.{py_func.__qualname__}")
        _source_files(f, seen)
    digest = hashlib.sha256()
    for path in sorted(p for p in seen if isinstance(p, str)):
        try:
            with open(path, "rb") as fh:
                digest.update(fh.read())
        except OSError:  # no source file (e.g. defined interactively): names only
            digest.update(path.encode())
    return "|".join(names) + "#" + digest.hexdigest()[:16]


def kernel_family(model, sample_params=None) -> KernelFamily:
    """The :class:`KernelFamily` of an :class:`~xbarsolve.devices.ElementModel` (created once).

    ``sample_params``: one element's parameter vector, with which a model from outside
    xbarsolve is tried once (its ``evaluate`` must return a :class:`~xbarsolve.devices.Stamp`).
    """
    functions = (model.evaluate, model.current, model.step_limit, model.parameter_partials,
                 getattr(model, "terminal_currents", None))
    family = _BY_FUNCTIONS.get(functions)
    if family is not None:
        return family
    with _LOCK:
        family = _BY_FUNCTIONS.get(functions)
        if family is None:
            _check_model_functions(model, sample_params)
            family = KernelFamily(_family_key(functions), *functions)
            _FAMILIES.setdefault(family.key, family)
            _BY_FUNCTIONS[functions] = family
    return family


def _check_model_functions(model, sample_params) -> None:
    """A clear error for a model whose ``evaluate`` is not a numba function returning a Stamp."""
    name = type(model).__name__
    if not isinstance(model.evaluate, Dispatcher):
        raise TypeError(f"{name}.evaluate must be a numba @njit function, "
                        f"got {type(model.evaluate).__name__}")
    for attr in ("current", "step_limit", "parameter_partials", "terminal_currents"):
        f = getattr(model, attr, None)
        if f is not None and not isinstance(f, Dispatcher):
            raise TypeError(f"{name}.{attr} must be a numba @njit function or None, got {type(f).__name__}")
    if sample_params is None or getattr(model.evaluate.py_func, "__module__", "").startswith("xbarsolve."):
        return  # the package's own models are tested; checking them here would compile them per process
    out = model.evaluate(0.0, 0.0, np.asarray(sample_params, dtype=float))
    if not isinstance(out, Stamp):
        raise TypeError(f"{name}.evaluate must return xbarsolve.devices.Stamp(ia, ib, dia_dva, dia_dvb, "
                        f"dib_dva, dib_dvb) (named fields), got {type(out).__name__}")


def _family(kind) -> KernelFamily:
    return _FAMILIES[kind.family_key]


# ----------------------------------------------------------------------------- element functions
def element_evaluate(kind, va, vb, p):
    """The model's ``evaluate(va, vb, p)`` -> Stamp (numba only)."""


def element_current(kind, va, vb, p):
    """The model's ``current(va, vb, p)`` -> (ia, ib), or evaluate's currents (numba only)."""


def element_terminals(kind, va, vb, p):
    """Currents (A) into the element at a, b, gate and body: the model's ``terminal_currents``,
    else (ia, ib, 0, −(ia + ib)) -- a gate draws no current and whatever leaves a and b goes to
    the body (0 for a two-terminal element) (numba only)."""


def element_step_limit(kind, va, vb, dva, dvb, p):
    """The model's ``step_limit`` -> fraction in (0, 1] (numba only)."""


def element_partials(kind, va, vb, p, k):
    """The model's ``parameter_partials(va, vb, p, k)`` -> (dia/dp_k, dib/dp_k), NaN if none (numba only)."""


@overload(element_evaluate)
def _element_evaluate(kind, va, vb, p):
    if isinstance(kind, ElementKind):
        f = _family(kind).evaluate
        return lambda kind, va, vb, p: f(va, vb, p)


@overload(element_current)
def _element_current(kind, va, vb, p):
    if isinstance(kind, ElementKind):
        family = _family(kind)
        f = family.current
        if f is None:
            g = family.evaluate

            def from_stamp(kind, va, vb, p):
                s = g(va, vb, p)
                return s.ia, s.ib
            return from_stamp

        def own(kind, va, vb, p):
            out = f(va, vb, p)
            return out[0], out[1]
        return own


@overload(element_terminals)
def _element_terminals(kind, va, vb, p):
    if isinstance(kind, ElementKind):
        f = _family(kind).terminal_currents
        if f is None:
            def two_terminal(kind, va, vb, p):
                ia, ib = element_current(kind, va, vb, p)
                return ia, ib, 0.0, -(ia + ib)
            return two_terminal

        def own(kind, va, vb, p):
            out = f(va, vb, p)
            return out[0], out[1], out[2], out[3]
        return own


@overload(element_step_limit)
def _element_step_limit(kind, va, vb, dva, dvb, p):
    if isinstance(kind, ElementKind):
        f = _family(kind).step_limit
        return lambda kind, va, vb, dva, dvb, p: f(va, vb, dva, dvb, p)


@overload(element_partials)
def _element_partials(kind, va, vb, p, k):
    if isinstance(kind, ElementKind):
        f = _family(kind).partials
        if f is None:
            return lambda kind, va, vb, p, k: (math.nan, math.nan)

        def own(kind, va, vb, p, k):
            out = f(va, vb, p, k)
            return out[0], out[1]
        return own


@njit(inline="always")
def volt(x, fixed_v, s, code):
    """Voltage (V) at terminal ``code`` of sample ``s``: free node ``code`` or fixed terminal −code−1."""
    return x[s, code] if code >= 0 else fixed_v[s, -code - 1]


# ----------------------------------------------------------------------------- assembly kernels
@njit(inline="always")
def _add_kcl(s, a, b, va, vb, st, residual, scale, noise):
    """Add an element's terminal currents to the KCL residual of its free nodes, with the current
    scale (Σ|I|) and the rounding scale (Σ|∂I/∂v·v|) the convergence test uses."""
    if a >= 0:
        residual[s, a] += st.ia
        scale[s, a] += abs(st.ia)
        noise[s, a] += abs(st.dia_dva * va) + abs(st.dia_dvb * vb)
    if b >= 0:
        residual[s, b] += st.ib
        scale[s, b] += abs(st.ib)
        noise[s, b] += abs(st.dib_dva * va) + abs(st.dib_dvb * vb)


@njit(cache=True, nogil=True)
def _stamp_rows(kind, x, fixed_v, term_a, term_b, params, slots, active, residual, jac, scale, noise):
    for s in range(x.shape[0]):
        if not active[s]:
            continue
        for e in range(term_a.shape[0]):
            a = term_a[e]
            b = term_b[e]
            va = volt(x, fixed_v, s, a)
            vb = volt(x, fixed_v, s, b)
            st = element_evaluate(kind, va, vb, params[e])
            _add_kcl(s, a, b, va, vb, st, residual, scale, noise)
            if a >= 0:
                jac[s, slots[e, 0]] += st.dia_dva
                if b >= 0:
                    jac[s, slots[e, 1]] += st.dia_dvb
            if b >= 0:
                jac[s, slots[e, 3]] += st.dib_dvb
                if a >= 0:
                    jac[s, slots[e, 2]] += st.dib_dva


@njit(cache=True, nogil=True)
def _kcl_rows(kind, x, fixed_v, term_a, term_b, params, active, residual, scale, noise):
    for s in range(x.shape[0]):
        if not active[s]:
            continue
        for e in range(term_a.shape[0]):
            a = term_a[e]
            b = term_b[e]
            va = volt(x, fixed_v, s, a)
            vb = volt(x, fixed_v, s, b)
            _add_kcl(s, a, b, va, vb, element_evaluate(kind, va, vb, params[e]), residual, scale, noise)


@njit(cache=True, nogil=True)
def _residual_rows(kind, x, fixed_v, term_a, term_b, params, active, residual):
    for s in range(x.shape[0]):
        if not active[s]:
            continue
        for e in range(term_a.shape[0]):
            a = term_a[e]
            b = term_b[e]
            ia, ib = element_current(kind, volt(x, fixed_v, s, a), volt(x, fixed_v, s, b), params[e])
            if a >= 0:
                residual[s, a] += ia
            if b >= 0:
                residual[s, b] += ib


@njit(cache=True, nogil=True)
def _currents_rows(kind, x, fixed_v, term_a, term_b, params, ia_out, ib_out):
    for s in range(x.shape[0]):
        for e in range(term_a.shape[0]):
            ia, ib = element_current(kind, volt(x, fixed_v, s, term_a[e]), volt(x, fixed_v, s, term_b[e]),
                                     params[e])
            ia_out[s, e] = ia
            ib_out[s, e] = ib


@njit(cache=True, nogil=True)
def _terminals_rows(kind, x, fixed_v, term_a, term_b, params, ia_out, ib_out, ig_out, ibody_out):
    for s in range(x.shape[0]):
        for e in range(term_a.shape[0]):
            ia, ib, ig, ibody = element_terminals(kind, volt(x, fixed_v, s, term_a[e]),
                                                  volt(x, fixed_v, s, term_b[e]), params[e])
            ia_out[s, e] = ia
            ib_out[s, e] = ib
            ig_out[s, e] = ig
            ibody_out[s, e] = ibody


@njit(cache=True, nogil=True)
def _limit_rows(kind, x, dx, fixed_v, term_a, term_b, params, active, alpha):
    for s in range(x.shape[0]):
        if not active[s]:
            continue
        for e in range(term_a.shape[0]):
            a = term_a[e]
            b = term_b[e]
            dva = dx[s, a] if a >= 0 else 0.0
            dvb = dx[s, b] if b >= 0 else 0.0
            if dva == 0.0 and dvb == 0.0:
                continue
            va = volt(x, fixed_v, s, a)
            vb = volt(x, fixed_v, s, b)
            frac = element_step_limit(kind, va, vb, dva, dvb, params[e])
            if frac < alpha[s]:
                alpha[s] = frac


# the batch arguments of each kernel (by position) are cut into slices, one per thread
stamp = batched(_stamp_rows, (1, 2, 7, 8, 9, 10, 11))
residual = batched(_residual_rows, (1, 2, 6, 7))
kcl = batched(_kcl_rows, (1, 2, 6, 7, 8, 9))
currents = batched(_currents_rows, (1, 2, 6, 7))
terminals = batched(_terminals_rows, (1, 2, 6, 7, 8, 9))
limit = batched(_limit_rows, (1, 2, 3, 7, 8))


# ----------------------------------------------------------------------------- gradient kernels
@njit(inline="always")
def _add_voltage_grads(s, a, b, ga, gb, grad_x, grad_fixed):
    if a >= 0:
        grad_x[s, a] += ga
    else:
        grad_fixed[s, -a - 1] += ga
    if b >= 0:
        grad_x[s, b] += gb
    else:
        grad_fixed[s, -b - 1] += gb


@njit(cache=True, nogil=True)
def _read_rows(kind, x, fixed_v, term_a, term_b, params, elem, side, out, coef, y):
    for s in range(x.shape[0]):
        for m in range(elem.shape[0]):
            e = elem[m]
            ia, ib = element_current(kind, volt(x, fixed_v, s, term_a[e]), volt(x, fixed_v, s, term_b[e]),
                                     params[e])
            y[s, out[m]] += coef[m] * (ia if side[m] == 0 else ib)


#: ``y[s, out[m]] += coef[m] · i_side[m](element elem[m])`` (A): a read-out of terminal currents,
#: evaluating only the elements it names; (kind, x, fixed_v, term_a, term_b, params, elem, side,
#: out, coef, y), in slices of the batch
read = batched(_read_rows, (1, 2, 10))


@njit(cache=True, nogil=True)
def _read_stored_rows(ia, ib, elem, side, out, coef, y):
    for s in range(ia.shape[0]):
        for m in range(elem.shape[0]):
            e = elem[m]
            y[s, out[m]] += coef[m] * (ia[s, e] if side[m] == 0 else ib[s, e])


@njit(cache=True, nogil=True)
def _power_rows(x, fixed_v, term_a, term_b, ia, ib, power):
    for s in range(x.shape[0]):
        for e in range(term_a.shape[0]):
            power[s, e] = volt(x, fixed_v, s, term_a[e]) * ia[s, e] + volt(x, fixed_v, s, term_b[e]) * ib[s, e]


#: ``power[s, e] = v_a·i_a + v_b·i_b`` (W): what element ``e`` takes at its terminals a and b, from
#: its terminal currents ``ia``, ``ib`` (A) and the node voltages (V): (x, fixed_v, term_a, term_b,
#: ia, ib, power), in slices of the batch
power = batched(_power_rows, (0, 1, 4, 5, 6))


#: :func:`read` from terminal currents already computed, ``ia`` and ``ib`` (batch, n_elements) (A):
#: (ia, ib, elem, side, out, coef, y), in slices of the batch
read_stored = batched(_read_stored_rows, (0, 1, 6))


@njit(cache=True)
def read_vjp(kind, x, fixed_v, term_a, term_b, params, elem, side, out, coef, ybar, ks, grad_x, grad_fixed,
             grad_params):
    """The transpose of :func:`read` w.r.t. node voltages (into ``grad_x`` for free nodes,
    ``grad_fixed`` for fixed terminals) and parameters ``ks`` (``grad_params[e, kk]``, summed
    over the batch)."""
    for s in range(x.shape[0]):
        for m in range(elem.shape[0]):
            w = coef[m] * ybar[s, out[m]]
            if w == 0.0:
                continue
            e = elem[m]
            a = term_a[e]
            b = term_b[e]
            wa = w if side[m] == 0 else 0.0
            wb = w - wa
            va = volt(x, fixed_v, s, a)
            vb = volt(x, fixed_v, s, b)
            st = element_evaluate(kind, va, vb, params[e])
            _add_voltage_grads(s, a, b, wa * st.dia_dva + wb * st.dib_dva, wa * st.dia_dvb + wb * st.dib_dvb,
                               grad_x, grad_fixed)
            for kk in range(ks.shape[0]):
                da, db = element_partials(kind, va, vb, params[e], ks[kk])
                grad_params[e, kk] += wa * da + wb * db


@njit(cache=True, nogil=True)
def _implicit_vjp_rows(kind, x, fixed_v, term_a, term_b, params, lam, ks, want_fixed, grad_fixed,
                       grad_params):
    for s in range(x.shape[0]):
        for e in range(term_a.shape[0]):
            a = term_a[e]
            b = term_b[e]
            wa = -lam[s, a] if a >= 0 else 0.0
            wb = -lam[s, b] if b >= 0 else 0.0
            if wa == 0.0 and wb == 0.0:
                continue
            va = volt(x, fixed_v, s, a)
            vb = volt(x, fixed_v, s, b)
            if want_fixed and (a < 0 or b < 0):
                st = element_evaluate(kind, va, vb, params[e])
                if a < 0:
                    grad_fixed[s, -a - 1] += wa * st.dia_dva + wb * st.dib_dva
                if b < 0:
                    grad_fixed[s, -b - 1] += wa * st.dia_dvb + wb * st.dib_dvb
            for kk in range(ks.shape[0]):
                da, db = element_partials(kind, va, vb, params[e], ks[kk])
                grad_params[e, kk] += wa * da + wb * db


def implicit_vjp(kind, x, fixed_v, term_a, term_b, params, lam, ks, want_fixed, grad_fixed, grad_params):
    """Add −λᵀ ∂F/∂θ (parameters ``ks``) to ``grad_params`` and −λᵀ ∂F/∂v_fixed to ``grad_fixed``.

    Parallel over the batch: samples in slices, one per thread; each slice sums its parameter
    gradients (shared by all samples) into its own array, added in a fixed order afterwards,
    so the sum does not depend on thread timing.
    """
    parts = {}

    def work(a, b):
        own = np.zeros_like(grad_params)
        _implicit_vjp_rows(kind, x[a:b], fixed_v[a:b], term_a, term_b, params, lam[a:b], ks, want_fixed,
                           grad_fixed[a:b], own)
        parts[a] = own

    over_batch(x.shape[0], work)
    for a in sorted(parts):
        grad_params += parts[a]
