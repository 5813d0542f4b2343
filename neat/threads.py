"""CPU threads in neat, and why a run's numbers do not depend on how many there are.

Two facts shape the policy (both measured on this project's machine; the tests
in ``tests/test_neat_reproducible.py`` check them):

1. **numba's OpenMP layer overrides torch, once.**  numba starts its threading
   layer the first time a process launches a ``parallel=True`` kernel *or asks
   for its thread count* (``numba.get_num_threads()``, which xbarsolve's batch
   threads do on every solve).  Its default OpenMP layer then calls
   ``omp_set_num_threads(NUMBA_NUM_THREADS)``, resetting the OpenMP thread count
   that torch's intra-op pool reads: a ``torch.set_num_threads(1)`` made before
   the first cell solve is silently undone (later calls stick).  Importing neat
   therefore starts numba's threading layer at once and puts torch's thread
   count back (:func:`_start_numba_threads`), so every later
   ``torch.set_num_threads`` holds.  neat itself has no ``parallel=True``
   kernel: its fused kernels are serial ``nogil`` numba functions that
   :func:`over_rows` runs on contiguous slices of rows in a small thread pool
   sized by torch's thread count, and every output element is computed by the
   same arithmetic whatever the split.
2. **torch's backward passes depend on the thread count.**  Weight gradients of
   convolutions and linear layers, batch-norm gradients and large sums are
   reductions that torch splits by thread; the same seed with 1 and 2 threads
   gives different last bits, which training amplifies.  Forward passes
   (convolution, linear, batch norm) compute each output element in one
   thread and are thread-count invariant.  So every training step runs under
   :func:`torch_threads` with a thread count that is part of the run's
   configuration (``PipelineConfig.train_threads``, default 1), whatever the
   machine or ``--threads`` says; ``--threads`` speeds up the rest (evaluation,
   the cell solves, neat's kernels) without changing a number.
"""
from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor

import numba
import torch

__all__ = ["over_rows", "torch_threads"]

_POOL: ThreadPoolExecutor | None = None
_POOL_WORKERS = 0


def _pool(workers: int) -> ThreadPoolExecutor:
    global _POOL, _POOL_WORKERS
    if _POOL is None or _POOL_WORKERS < workers:
        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="neat")
        _POOL_WORKERS = workers
    return _POOL


def over_rows(n: int, work, *, min_rows: int = 1) -> None:
    """Call ``work(start, stop)`` on contiguous slices covering ``range(n)``, one per thread.

    Threads: ``torch.get_num_threads()`` (at most one per ``min_rows`` rows).
    The first slice runs in the calling thread; an exception in any slice
    propagates.  ``work`` must release the GIL (a ``nogil`` numba kernel) for
    the slices to overlap.
    """
    k = max(1, min(torch.get_num_threads(), n // max(min_rows, 1)))
    if k <= 1:
        work(0, n)
        return
    bounds = [n * i // k for i in range(k + 1)]
    pool = _pool(k - 1)
    futures = [pool.submit(work, a, b) for a, b in zip(bounds[1:-1], bounds[2:])]
    try:
        work(bounds[0], bounds[1])
    finally:
        for f in futures:
            f.result()


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run the block with ``n`` torch intra-op threads (``None``: leave them), restoring them after."""
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _start_numba_threads() -> None:
    """Start numba's threading layer now, keeping torch's intra-op thread count (see the module docstring)."""
    n = torch.get_num_threads()
    numba.get_num_threads()  # launches the layer (OpenMP by default: it resets the OpenMP thread count)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


_start_numba_threads()
