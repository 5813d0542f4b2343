"""The outcome of a batched DC solve."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._linear import LinearState


@dataclass
class NewtonResult:
    """Outcome of a batched DC solve.

    x -- free node voltages (V), (batch, n_free); iterations -- Newton steps per sample, all
    stages; converged -- bool per sample; residual_norm -- ‖F‖₂ (A) at the last assembled
    iterate; final_jacobians -- the linear solver's state of each converged sample's final
    Jacobian (its factors, or the values GMRES works on; what implicit differentiation
    solves with), or None when not kept; strategy -- per sample, which stage solved it;
    plan -- the :class:`~xbarsolve.linear_solvers.LinearPlan` whose state ``final_jacobians``
    is when that is not the circuit's own (the shared factor of a linear circuit), else None.
    """

    x: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    residual_norm: np.ndarray
    final_jacobians: LinearState | None = None
    strategy: list = field(default_factory=list)
    plan: object = None

    @classmethod
    def start(cls, x0: np.ndarray, *, converged: bool = False) -> "NewtonResult":
        """A result for the batch of ``x0`` before any iteration (nothing kept)."""
        batch = x0.shape[0]
        return cls(np.array(x0, dtype=float, copy=True), np.zeros(batch, dtype=np.int64),
                   np.full(batch, converged, dtype=bool), np.full(batch, np.inf), None, [None] * batch)

    def keep(self, plan, rows: np.ndarray, state: LinearState) -> None:
        """Store ``state`` (one row per entry of ``rows``) as the final Jacobians of samples ``rows``."""
        if self.final_jacobians is None:
            self.final_jacobians = plan.empty_state(self.x.shape[0])
        self.final_jacobians.put(rows, state)

    def merge(self, part: "NewtonResult", idx: np.ndarray, label: str, plan) -> None:
        """Take over the samples ``idx`` that ``part`` (a solve of exactly those samples) converged."""
        self.iterations[idx] += part.iterations
        ok = part.converged
        self.x[idx[ok]] = part.x[ok]
        self.converged[idx[ok]] = True
        self.residual_norm[idx] = part.residual_norm
        for local in np.flatnonzero(ok):
            self.strategy[idx[local]] = label
        if part.final_jacobians is not None and ok.any():
            self.keep(plan, idx[ok], part.final_jacobians.take(np.flatnonzero(ok)))
