"""Torch autograd for crossbar DC solutions: exact gradients by implicit differentiation.

>>> import torch
>>> from xbarsolve import Crossbar
>>> from xbarsolve.autodiff import crossbar_currents
>>> xb = Crossbar(np.full((4, 3), 1e-5), cell="1t1r", v_gate=1.0, r_source=50.0, r_wire=2.5)
>>> g = torch.full((4, 3), 1e-5, dtype=torch.float64, requires_grad=True)
>>> i = crossbar_currents(xb, torch.full((8, 4), 0.2, dtype=torch.float64), conductances=g)
>>> i.sum().backward()          # g.grad: dΣI/dG, (rows, cols), A/S

The forward pass solves with the xbarsolve core (same netlist, LU pattern and
Newton options as :meth:`Crossbar.operating_point`); the backward pass solves
Jᵀλ = ∂L/∂x once per sample with the final Newton Jacobian (transposed GMRES,
or the LU factor Newton kept; no refactorization) and forms −λᵀ∂F/∂θ plus the explicit output partials
with numba kernels (see :mod:`xbarsolve._adjoint`).

dtypes.  The solver runs in float64.  Outputs take the promoted floating dtype of the
tensor arguments, but at least float32: float16 and bfloat16 cannot hold crossbar
currents (float16 has no normal numbers below 6e-5, so microamperes lose their digits and
nanoamperes become 0; bfloat16 keeps 3 significant digits), so with such inputs the outputs
are float32.  Every gradient is cast back to its input's dtype and device.  Inputs are
checked as numpy inputs are: boolean tensors are refused, as boolean arrays are.

Gradients are first order: ``backward(create_graph=True)`` (double backward) raises
:class:`~xbarsolve.NotDifferentiableError` instead of returning a gradient that silently
has no graph.
"""
from __future__ import annotations

import inspect
import weakref

import numpy as np
import torch

from ._adjoint import DIFFERENTIABLE, CrossbarAdjoint
from ._parameters import PARAMETERS, check_names
from ._readout import OUTPUTS
from .errors import NotDifferentiableError

__all__ = ["crossbar_currents", "CrossbarLayer", "adjoint_plan", "NotDifferentiableError", "OUTPUTS",
           "PARAMETERS"]

_ARGUMENTS = DIFFERENTIABLE  # order of the differentiable arguments: v_in, then the parameters
_PLANS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def adjoint_plan(crossbar) -> CrossbarAdjoint:
    """The (cached) :class:`~xbarsolve._adjoint.CrossbarAdjoint` of ``crossbar``, built once."""
    plan = _PLANS.get(crossbar)
    if plan is None:
        plan = _PLANS[crossbar] = CrossbarAdjoint(crossbar)
    return plan


def _as_numpy(name: str, value):
    """``value`` (tensor, array or number) as numpy, detached; None stays None.

    Floating tensors become float64; integer and boolean tensors keep their kind, so that the
    crossbar's checks treat them exactly as numpy arrays of that kind (booleans are refused).
    """
    if value is None:
        return None
    if torch.is_tensor(value):
        if value.is_complex():
            raise TypeError(f"{name} must be real-valued, got a {value.dtype} tensor")
        value = value.detach().to(device="cpu")
        return value.to(torch.float64).numpy() if value.is_floating_point() else value.numpy()
    return value  # validated by the crossbar (numbers, arrays)


def _output_names(outputs) -> tuple[tuple, bool]:
    """Output names as a tuple, and whether a single name (not a sequence) was given."""
    if isinstance(outputs, str):
        return (outputs,), True
    try:
        return tuple(outputs), False
    except TypeError:
        raise TypeError(f"outputs must be a name or a sequence of names from {tuple(OUTPUTS)}") from None


#: Floating dtypes too narrow for crossbar currents and voltages, and what is returned instead.
_WIDENED = {torch.float16: torch.float32, torch.bfloat16: torch.float32}


def _result_dtype_device(args: dict):
    """Output dtype -- the promoted floating dtype of the tensor arguments, at least float32
    (float64 if none is floating) -- and the device of the first tensor."""
    tensors = [a for a in args.values() if torch.is_tensor(a)]
    dtype = None
    for t in tensors:
        if t.is_floating_point():
            dtype = t.dtype if dtype is None else torch.promote_types(dtype, t.dtype)
    device = tensors[0].device if tensors else torch.device("cpu")
    return _WIDENED.get(dtype, dtype or torch.float64), device


class _Problem:
    """Everything the autograd function needs, validated before any solve."""

    def __init__(self, plan, names, v, params, x0, dtype, device, one_d):
        self.plan, self.names, self.v, self.params, self.x0 = plan, names, v, params, x0
        self.dtype, self.device, self.one_d = dtype, device, one_d
        self.op = None  # the OperatingPoint, once solved
        self.needs_gradient = True  # keep the final Jacobians for the backward pass (False: nothing requires grad)


class _CrossbarSolve(torch.autograd.Function):
    """Autograd node: (v_in, conductances, v_gate, resistances) -> named crossbar outputs."""

    @staticmethod
    def forward(ctx, problem, *args):
        op = problem.plan.crossbar.operating_point_with(problem.v, problem.params, problem.x0,
                                                        keep_jacobians=problem.needs_gradient)
        values = problem.plan.readouts.evaluate(problem.names, op)
        ctx.problem, ctx.op = problem, op
        problem.op = op  # read by CrossbarLayer for warm starts
        ctx.inputs = [(a.dtype, a.device, a.shape) if torch.is_tensor(a) else None for a in args]
        outs = []
        for name in problem.names:
            y = values[name][0] if problem.one_d else values[name]
            y = torch.from_numpy(np.ascontiguousarray(y))
            outs.append(y.to(dtype=problem.dtype, device=problem.device))
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grad_outputs):
        if torch.is_grad_enabled():  # backward(create_graph=True): a graph of this backward is wanted
            raise NotDifferentiableError(
                "double backward (create_graph=True) is not supported through a crossbar solve: the "
                "implicit-differentiation adjoint gives first derivatives only; call backward() without "
                "create_graph, or use finite differences of the gradient for second derivatives")
        problem, op = ctx.problem, ctx.op
        batch = op.v_in.shape[0]
        cotangents = {}
        for name, g in zip(problem.names, grad_outputs):
            if g is None:
                continue
            g = g.detach().to(device="cpu", dtype=torch.float64).numpy()
            if not np.all(np.isfinite(g)):
                raise ValueError(f"the upstream gradient of {name!r} contains NaN or infinity; implicit "
                                 f"differentiation needs finite cotangents (check the loss for overflow)")
            if np.any(g):
                cotangents[name] = g.reshape(batch, -1)
        wrt = {n for n, need in zip(_ARGUMENTS, ctx.needs_input_grad[1:]) if need}
        grads = problem.plan.vjp(op, cotangents, wrt) if cotangents else {}
        result = [None]
        for name, meta, need in zip(_ARGUMENTS, ctx.inputs, ctx.needs_input_grad[1:]):
            if not need:
                result.append(None)
                continue
            dtype, device, shape = meta
            g = grads.get(name)
            if g is None:
                result.append(torch.zeros(shape, dtype=dtype, device=device))
                continue
            if name == "v_in" and problem.one_d:
                g = g[0]
            if len(shape) == 0:  # a scalar broadcast over rows or columns
                g = np.asarray(g.sum())
            g = torch.from_numpy(np.ascontiguousarray(g)).reshape(shape)
            result.append(g.to(dtype=dtype, device=device))
        return tuple(result)


def crossbar_currents(crossbar, v_in, *, outputs="column_currents", x0=None, **parameters):
    """Solve ``crossbar`` and return differentiable outputs as torch tensors.

    Parameters
    ----------
    crossbar : Crossbar
        Compiled once; nothing is rebuilt per call.
    v_in : tensor (batch, rows) or (rows,), V
        Input (row driver) voltages.
    conductances, v_gate, r_source, r_sink, r_wire_row, r_wire_col : tensors or numbers, optional
        The crossbar's parameters (:data:`PARAMETERS`): memristor conductances (S, (rows,
        cols)), gate voltages (V, scalar or one per gate line), driver and sink resistances
        (Ω, scalar or (rows,) / (cols,)), wire segment resistances (Ω, scalars).  Each
        replaces the compiled value without recompiling (default: the crossbar's own).  An
        entry that was 0 Ω (merged nodes) at compile time must stay 0 and a non-zero one
        must stay non-zero; gradients with respect to a 0 Ω resistance are refused
        (:class:`NotDifferentiableError`).
    outputs : str or sequence of str
        Any of ``column_currents`` (batch, cols) A, ``source_currents`` (batch, rows) A,
        ``cell_currents`` (batch, rows, cols) A, ``row_voltages``, ``column_voltages``,
        ``internal_voltages`` (1T-1R only) (batch, rows, cols) V (:data:`OUTPUTS`).  A single
        name returns one tensor, a sequence a tuple.  A 1-D ``v_in`` drops the batch axis.
    x0 : array (batch, n_free), V, optional
        Initial guess of the free node voltages (not differentiable).

    Any argument may be a tensor with ``requires_grad``; gradients flow to ``v_in`` (per
    sample) and to the parameters (summed over the batch).  Errors (bad shapes, 0 Ω
    gradients, unknown outputs) are raised before any solve; a failed solve raises
    :class:`~xbarsolve.ConvergenceError`.
    """
    result, _ = _apply(crossbar, v_in, parameters, outputs, x0)
    return result


# The signature help() shows: the parameters as keyword arguments, from their specification.
crossbar_currents.__signature__ = inspect.Signature(
    [inspect.Parameter("crossbar", inspect.Parameter.POSITIONAL_OR_KEYWORD),
     inspect.Parameter("v_in", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None) for name in PARAMETERS]
    + [inspect.Parameter("outputs", inspect.Parameter.KEYWORD_ONLY, default="column_currents"),
       inspect.Parameter("x0", inspect.Parameter.KEYWORD_ONLY, default=None)])


def _apply(crossbar, v_in, parameters: dict, outputs, x0):
    """:func:`crossbar_currents`, also returning its :class:`_Problem` (holding ``op`` once solved)."""
    check_names(parameters)
    plan = adjoint_plan(crossbar)
    names, single = _output_names(outputs)
    names = plan.readouts.check_names(names)
    args = {"v_in": v_in, **{n: parameters.get(n) for n in PARAMETERS}}
    if torch.is_tensor(x0) and x0.requires_grad:
        raise NotDifferentiableError("x0 is only an initial guess: the converged solution does not depend on "
                                     "it, so it cannot require a gradient")
    grad_on = torch.is_grad_enabled()
    wrt = {n for n, a in args.items() if grad_on and torch.is_tensor(a) and a.requires_grad}
    values = {n: _as_numpy(n, a) for n, a in args.items()}
    plan.check_differentiable(wrt, values)
    v, one_d = crossbar.check_inputs(values["v_in"])
    params = crossbar.element_parameters(**{n: values[n] for n in PARAMETERS})
    dtype, device = _result_dtype_device(args)
    problem = _Problem(plan, names, v, params, _as_numpy("x0", x0), dtype, device, one_d)
    problem.needs_gradient = bool(wrt)
    result = _CrossbarSolve.apply(problem, *(args[n] for n in _ARGUMENTS))
    return (result[0] if single else tuple(result)), problem


class CrossbarLayer(torch.nn.Module):
    """A compiled crossbar as a torch module: v_in (batch, rows) V → outputs (default column currents, A).

    ``trainable`` names the quantities held as :class:`torch.nn.Parameter`
    (any of ``conductances`` (S), ``v_gate`` (V), ``r_source``, ``r_sink``,
    ``r_wire_row``, ``r_wire_col`` (Ω)); the others are buffers.  Initial
    values are the crossbar's own.  Values stay in SI units; keep
    conductances >= 0 (e.g. clamp them after each optimizer step).

    ``warm_start=True`` starts each solve from the previous call's node
    voltages when the batch size is unchanged (fewer Newton iterations when
    parameters change slowly, as in training; the converged result does not
    depend on the starting point beyond the solver tolerance).
    """

    def __init__(self, crossbar, *, trainable=("conductances",), dtype=torch.float64,
                 outputs="column_currents", warm_start: bool = False):
        super().__init__()
        self.crossbar = crossbar
        self.outputs = outputs
        self.warm_start = bool(warm_start)
        self._last_x = None
        self._plan = adjoint_plan(crossbar)
        self._plan.readouts.check_names(_output_names(outputs)[0])
        trainable = (trainable,) if isinstance(trainable, str) else tuple(trainable)
        unknown = [n for n in trainable if n not in PARAMETERS]
        if unknown:
            raise ValueError(f"cannot train {unknown}: trainable quantities are {tuple(PARAMETERS)}")
        self._plan.check_differentiable(trainable)
        for name in PARAMETERS:
            if PARAMETERS[name].needs_transistors and crossbar.cell != "1t1r":
                continue
            value = torch.as_tensor(np.array(PARAMETERS[name].compiled(crossbar)), dtype=dtype)
            if name in trainable:
                self.register_parameter(name, torch.nn.Parameter(value))
            else:
                self.register_buffer(name, value)

    def forward(self, v_in):
        """Outputs for input voltages ``v_in`` (V), as :func:`crossbar_currents`."""
        kw = {n: getattr(self, n, None) for n in PARAMETERS}
        batch = 1 if torch.as_tensor(v_in).ndim == 1 else len(v_in)
        x0 = None
        if self.warm_start and self._last_x is not None and len(self._last_x) == batch:
            x0 = self._last_x
        result, problem = _apply(self.crossbar, v_in, kw, self.outputs, x0)
        if self.warm_start:
            self._last_x = problem.op.result.x.copy()
        return result
