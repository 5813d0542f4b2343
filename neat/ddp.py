"""Data-parallel training on several processes: torch.distributed (DDP), as started by ``torchrun``.

``torchrun --nproc_per_node=N -m neat.train ...`` starts N copies of the
pipeline; :func:`start_from_environment` (called by :mod:`neat.train`) joins
them into one process group -- ``nccl`` when the run uses CUDA, ``gloo`` on
CPU -- and makes it :func:`current`.  Then, and only then:

* every training step runs through ``DistributedDataParallel`` (:func:`wrap`):
  gradients are averaged over the ranks, so every rank holds the same weights;
* each epoch's batches are sharded by ``torch.utils.data.DistributedSampler``
  over the epoch's global order (drawn from the seed as in one process): each rank
  takes every N-th sample, padded to equal length; the global batch size stays
  ``batch_size`` (each rank takes ``batch_size / N``);
* evaluations are sharded the same way and their correct counts summed;
* only rank 0 writes checkpoints, ``state.json`` and the report; the other ranks
  read them after a barrier, so ``--resume`` continues on any number of ranks
  (the folder must be on a file system every rank sees).

With one process (``--nproc_per_node=1``) every number equals plain
``python -m neat.train`` with the same seed (tested): the order, batches, the
averaging over one rank and the summed statistics are exact.  With N > 1 the
numbers are those of the same global batches with gradients averaged over the
shards (BatchNorm statistics per rank, rank 0's buffers kept): a run's numbers
depend on its configuration, seed and N.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

__all__ = ["DataParallel", "current", "start_from_environment", "stop", "wrap", "shard_positions"]


@dataclass(frozen=True)
class DataParallel:
    """The process group this process belongs to: ``rank`` of ``world_size``, ``backend``, ``device``."""

    rank: int
    world_size: int
    backend: str
    device: str

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        import torch.distributed as dist
        if self.backend == "nccl":
            dist.barrier(device_ids=[torch.device(self.device).index or 0])
        else:
            dist.barrier()

    def sum(self, values: list) -> list:
        """``values`` (numbers) summed over the ranks, exactly (float64)."""
        import torch.distributed as dist
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.cpu().tolist()

    def broadcast(self, obj):
        """Rank 0's ``obj`` on every rank."""
        import torch.distributed as dist
        box = [obj]
        dist.broadcast_object_list(box, src=0, device=torch.device(self.device) if self.backend == "nccl" else None)
        return box[0]


_CURRENT: DataParallel | None = None


def current() -> DataParallel | None:
    """The active process group, or None (one process: plain ``python -m neat.train``)."""
    return _CURRENT


def launched_by_torchrun() -> bool:
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ and "LOCAL_RANK" in os.environ


def start_from_environment(device: str = "cpu") -> DataParallel | None:
    """Join the process group torchrun describes in the environment (None when not launched by torchrun).

    ``device``: the run's device; ``"cuda"`` becomes ``cuda:LOCAL_RANK`` and the backend ``nccl``.
    """
    global _CURRENT
    if not launched_by_torchrun():
        return None
    import torch.distributed as dist
    rank, world, local = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_RANK"])
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError(f"device {device!r} requested but CUDA is not available")
        device, backend = f"cuda:{local}", "nccl"
        torch.cuda.set_device(local)
    else:
        device, backend = "cpu", "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    _CURRENT = DataParallel(rank=rank, world_size=world, backend=backend, device=device)
    return _CURRENT


def stop() -> None:
    """Leave the process group (end of the run)."""
    global _CURRENT
    if _CURRENT is not None:
        import torch.distributed as dist
        if dist.is_initialized():
            dist.destroy_process_group()
        _CURRENT = None


def wrap(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` in ``DistributedDataParallel`` when a process group is active (else ``model`` itself).

    The wrapper holds the same parameters: an optimizer built on ``model`` steps them."""
    dp = current()
    if dp is None:
        return model
    from torch.nn.parallel import DistributedDataParallel
    ids = [torch.device(dp.device).index] if dp.backend == "nccl" else None
    return DistributedDataParallel(model, device_ids=ids)


def shard_positions(n: int, rank: int = 0, world_size: int = 1) -> torch.Tensor:
    """Positions in ``0..n-1`` of a global order that ``rank`` takes (``DistributedSampler``: every
    ``world_size``-th, padded by wrapping around to equal lengths, so every rank takes as many steps);
    all of them, in order, for one process."""
    if world_size == 1:
        return torch.arange(n)
    from torch.utils.data.distributed import DistributedSampler
    sampler = DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=False, drop_last=False)
    return torch.tensor(list(iter(sampler)), dtype=torch.long)
