"""``circuit`` fidelity on a Dask cluster: each layer's tile solves spread over the workers.

A network at ``circuit`` fidelity is evaluated layer after layer (a layer needs
the previous one's outputs), and within a layer every input vector -- an
(image, output position) pair of both read phases -- is solved on every tile
independently of the others.  :class:`DaskCircuitFidelity` keeps the network's
forward pass in this process and, at each crossbar layer, cuts the layer's
input vectors into batches of ``rows_per_task`` and hands each batch to a
worker, which runs neat's own single-process path on it
(:func:`neat.circuit.circuit_currents`: all tiles of that batch, compiled once
per worker).  The batches' currents are joined in order.  Each input vector's
Newton solve and its ADC are independent of the other vectors in its batch,
so the numbers equal the single-process path's (tested to the bit,
``tests/test_neat_distributed.py``).

Evaluation only: gradients do not cross the cluster (refused).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .circuit import circuit_currents
from .fidelity import CircuitFidelity

__all__ = ["DaskCircuitFidelity", "layer_batch_currents"]


def layer_batch_currents(v_pos, v_neg, g_pair, cell, mapping, circuit, v_gate) -> torch.Tensor:
    """A worker's task: :func:`neat.circuit.circuit_currents` of one batch of a layer's input vectors,
    one solver thread (threads never change a number; the worker is one core)."""
    import numba
    numba.set_num_threads(1)
    with torch.no_grad():
        return circuit_currents(v_pos, v_neg, g_pair[0], g_pair[1], cell=cell, mapping=mapping, circuit=circuit,
                                v_gate=v_gate)


@dataclass(frozen=True)
class DaskCircuitFidelity(CircuitFidelity):
    """The ``circuit`` fidelity with each layer's input vectors solved in batches on a Dask cluster.

    ``client``: a ``distributed.Client`` (:func:`xbarsolve.cluster.dask_client`);
    ``rows_per_task``: input vectors per task (each is solved on every tile of the layer, both phases).
    """

    client: object = field(default=None, compare=False, repr=False)
    rows_per_task: int = 256

    def __post_init__(self):
        if self.client is None:
            raise ValueError("DaskCircuitFidelity needs a distributed.Client (xbarsolve.cluster.dask_client)")
        if not isinstance(self.rows_per_task, int) or self.rows_per_task < 1:
            raise ValueError(f"rows_per_task must be an integer >= 1, got {self.rows_per_task!r}")

    def tiled_columns(self, layer, v_pos, v_neg, g_pos, g_neg):
        if torch.is_grad_enabled() and any(t.requires_grad for t in (v_pos, v_neg, g_pos, g_neg)):
            raise RuntimeError("the distributed circuit fidelity evaluates only: run the network under "
                               "torch.no_grad() (gradients at circuit fidelity: the single-process 'circuit')")
        cfg = layer.config
        m, k = v_pos.shape[0], self.rows_per_task
        [g_pair] = self.client.scatter([(g_pos.detach().cpu(), g_neg.detach().cpu())])
        starts = range(0, m, k)
        futures = self.client.map(layer_batch_currents, [v_pos[s:s + k].detach().cpu() for s in starts],
                                  [v_neg[s:s + k].detach().cpu() for s in starts], [g_pair] * len(starts),
                                  cell=cfg.cell, mapping=cfg.mapping, circuit=cfg.circuit,
                                  v_gate=float(layer.v_gate), pure=False)
        parts = self.client.gather(futures)
        return torch.cat(parts, dim=0).to(v_pos.device)
