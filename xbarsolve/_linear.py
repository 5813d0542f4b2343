"""The linear-solver protocol: how a Newton step's J·dx = −F (and the adjoint's Jᵀλ = g) is solved.

Three objects, after lineax (``init`` on the operator → state; ``compute``; transpose) and
theseus (the sparsity pattern apart from the values, symbolic analysis once):

* :class:`JacobianPattern` -- the fixed CSC pattern of a circuit's Jacobian (and, for
  crossbars, the side of every unknown), built once per circuit;
* :class:`LinearSolver` -- a *configuration* (immutable, hashable: tolerances, no data) that a
  user passes as ``NewtonOptions(linear_solver=...)``; :meth:`LinearSolver.analyse` does the
  symbolic work for one pattern and returns a
* :class:`LinearPlan` -- per circuit: :meth:`LinearPlan.init` takes a *batch* of Jacobian
  values, shape (batch, nnz), and returns a :class:`LinearState` (numeric factorizations,
  preconditioners, or just the values, whatever the method needs), and
  :meth:`LinearPlan.solve` solves ``J x = b`` -- or ``Jᵀ x = b`` with ``transpose=True``,
  the same state serving both -- for every row of a right-hand-side batch.

A state is one object for a whole batch (arrays with a leading batch axis), never a list of
per-sample closures: Newton keeps the rows of converged samples with :meth:`LinearState.take`
and :meth:`LinearState.put`, and implicit differentiation later solves the transposed systems
of all of them in one call.

Solvers are found by name in a registry (:func:`register_linear_solver`,
:func:`linear_solver`), so that no module needs to import another to pick one.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class JacobianPattern:
    """The fixed sparsity pattern of an n × n Jacobian, in compressed sparse columns.

    ``indptr`` (n + 1,), ``indices`` (nnz,): int64, rows sorted within each column, the
    diagonal always present.  ``side`` (n,) int64 or None: 0 for unknowns on a crossbar's
    row side, 1 on its column side (see :mod:`xbarsolve._krylov`); None when unknown.
    """

    n: int
    indptr: np.ndarray
    indices: np.ndarray
    side: np.ndarray | None = None

    @property
    def nnz(self) -> int:
        return int(self.indices.size)

    @property
    def is_diagonal(self) -> bool:
        """True when the only entries are the diagonal (unknowns that do not couple)."""
        return self.nnz == self.n


class LinearState(ABC):
    """The numeric state of a batch of linear systems (see the module docstring).

    ``ok`` (batch,) bool: False where the system is singular (its solutions are NaN) or was
    never set (rows of :meth:`LinearPlan.empty_state` not yet :meth:`put`).
    """

    ok: np.ndarray

    @property
    def batch(self) -> int:
        return int(self.ok.size)

    @abstractmethod
    def take(self, rows: np.ndarray) -> "LinearState":
        """A new state holding rows ``rows`` of this one (copied, not views of this batch)."""

    @abstractmethod
    def put(self, rows: np.ndarray, part: "LinearState") -> None:
        """Store the rows of ``part`` (a state of the same plan) at rows ``rows`` of this one."""


class ArrayState(LinearState):
    """A state made of arrays with a leading batch axis, listed in ``_fields`` (``ok`` included)."""

    _fields: tuple = ("ok",)

    def __init__(self, **arrays):
        for name in self._fields:
            setattr(self, name, arrays[name])

    def take(self, rows):
        rows = np.asarray(rows, dtype=np.int64)
        return type(self)(**{name: getattr(self, name)[rows].copy() for name in self._fields})

    def put(self, rows, part):
        rows = np.asarray(rows, dtype=np.int64)
        for name in self._fields:
            getattr(self, name)[rows] = getattr(part, name)


class LinearPlan(ABC):
    """A linear solver analysed for one :class:`JacobianPattern` (see the module docstring)."""

    solver: "LinearSolver"
    pattern: JacobianPattern

    @abstractmethod
    def init(self, values: np.ndarray, rows: np.ndarray | None = None) -> LinearState:
        """The state of the Jacobians ``values[rows]`` (CSC values, (batch, nnz); all rows if None).

        Singular systems are flagged in ``state.ok``, not raised.
        """

    @abstractmethod
    def solve(self, state: LinearState, rhs: np.ndarray, *, transpose: bool = False) -> np.ndarray:
        """Solve ``J_k x = rhs[k]`` (or ``J_kᵀ x = rhs[k]``) for every row k of the state.

        ``rhs`` (batch, n) is not modified; returns (batch, n), NaN rows where ``state.ok``
        is False.
        """

    @abstractmethod
    def empty_state(self, batch: int) -> LinearState:
        """A state of ``batch`` rows, none set (``ok`` all False), to :meth:`LinearState.put` into."""

    @property
    @abstractmethod
    def memory_per_sample(self) -> int:
        """Bytes a state keeps per sample (for sizing batch chunks)."""


class LinearSolver(ABC):
    """A linear-solver configuration: immutable and hashable (a frozen dataclass in practice).

    Subclasses set ``name`` and implement :meth:`analyse`; register them with
    :func:`register_linear_solver` to make them available by name.
    """

    name: str = ""

    @abstractmethod
    def analyse(self, pattern: JacobianPattern) -> LinearPlan:
        """The symbolic analysis of ``pattern`` (orderings, filled patterns): done once per circuit."""


_REGISTRY: dict = {}


def register_linear_solver(name: str, factory) -> None:
    """Make ``factory()`` (a :class:`LinearSolver` with default settings) available as ``name``."""
    _REGISTRY[name] = factory


def registered_linear_solvers() -> tuple:
    """The names :func:`linear_solver` accepts."""
    return tuple(_REGISTRY)


def linear_solver(spec) -> LinearSolver:
    """The :class:`LinearSolver` ``spec`` names (a registered name), or ``spec`` itself if it is one."""
    if isinstance(spec, LinearSolver):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"NewtonOptions.linear_solver must be a LinearSolver or a name, "
                        f"got {type(spec).__name__}")
    if spec in _REGISTRY:
        return _REGISTRY[spec]()
    raise ValueError(f"NewtonOptions.linear_solver must be a LinearSolver or one of "
                     f"{registered_linear_solvers()}, got {spec!r}")
