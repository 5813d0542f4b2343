"""Batches in parallel: serial ``nogil`` numba kernels on slices of the batch, one per thread.

Every batch kernel of the solver loops over the samples of its batch and is
compiled once, serially, with ``nogil=True``; :func:`over_batch` runs it on
contiguous slices of the samples in a thread pool.  Samples write disjoint
rows, so nothing needs synchronising.  Why not ``prange``: numba compiles a
``parallel=True`` variant separately and cannot cache it beside the serial
one (one cache file per function), so every new process paid ~9 s compiling
the parallel variants on its first batched solve.

The number of threads is numba's (``NUMBA_NUM_THREADS``, ``numba.set_num_threads``).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba

_POOL: ThreadPoolExecutor | None = None
_POOL_WORKERS = 0


def n_threads() -> int:
    """Threads a batch is spread over (numba's setting for the calling thread)."""
    return max(1, numba.get_num_threads())


def _pool(workers: int) -> ThreadPoolExecutor:
    """The shared pool, grown (replaced) when more workers are asked for than it has."""
    global _POOL, _POOL_WORKERS
    if _POOL is None or _POOL_WORKERS < workers:
        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xbarsolve")
        _POOL_WORKERS = workers
    return _POOL


def over_batch(n: int, work) -> None:
    """Call ``work(start, stop)`` on contiguous slices that cover ``range(n)``, in parallel.

    The first slice runs in the calling thread; exceptions of any slice propagate.
    """
    k = min(n_threads(), n)
    if k <= 1:
        work(0, n)
        return
    bounds = [n * i // k for i in range(k + 1)]
    pool = _pool(k - 1)
    futures = [pool.submit(work, a, b) for a, b in zip(bounds[1:-1], bounds[2:])]
    work(bounds[0], bounds[1])
    for f in futures:
        f.result()


def batched(kernel, sliced: tuple):
    """Run ``kernel`` (a serial nogil numba function over a batch) with the positional arguments
    at indices ``sliced`` cut to contiguous slices of the batch; the batch size is the length
    of the first of them."""
    sliced = tuple(sliced)

    def run(*args):
        def work(a, b):
            kernel(*(arg[a:b] if i in sliced else arg for i, arg in enumerate(args)))

        over_batch(len(args[sliced[0]]), work)

    return run
