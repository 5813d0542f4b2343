"""Typed errors raised by the solver."""
from __future__ import annotations

import numpy as np

__all__ = ["ConvergenceError", "NotDifferentiableError"]


class ConvergenceError(RuntimeError):
    """Newton's method (and every fallback) failed to converge.

    Attributes
    ----------
    samples : numpy.ndarray of int
        Batch indices of the samples that did not converge.
    residual_norm : numpy.ndarray of float
        2-norm of the KCL residual (A) of each failed sample at its last iterate.
    iterations : numpy.ndarray of int
        Newton iterations spent on each failed sample, all stages together.
    stage : str
        The last strategy tried: ``"newton"``, ``"gmin stepping"`` or
        ``"source stepping"``.
    """

    def __init__(self, samples, residual_norm, iterations, stage: str):
        self.samples = np.asarray(samples, dtype=np.int64)
        self.residual_norm = np.asarray(residual_norm, dtype=float)
        self.iterations = np.asarray(iterations, dtype=np.int64)
        self.stage = stage
        worst = int(np.argmax(self.residual_norm)) if self.residual_norm.size else 0
        detail = ""
        if self.samples.size:
            detail = (f"; worst sample {self.samples[worst]}: residual norm "
                      f"{self.residual_norm[worst]:.3e} A after {self.iterations[worst]} iterations")
        super().__init__(f"DC solve did not converge for {self.samples.size} sample(s) "
                         f"(last strategy tried: {stage}){detail}")


class NotDifferentiableError(ValueError):
    """A gradient was requested with respect to something the solver cannot differentiate
    (a 0 Ω resistance, which merges its nodes; the gates of a passive crossbar; an initial guess)."""
