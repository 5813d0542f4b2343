"""Where distributed work runs: a Dask cluster, local or remote (optional extra ``xbarsolve[distributed]``).

Sweeps (:mod:`xbarsolve.sweep`) and neat's circuit-fidelity evaluation
(:mod:`neat.evaluate`) hand their independent solve batches to a Dask
``distributed`` scheduler.  :func:`dask_client` gives a client on

* the scheduler at ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``),
  else at ``$DASK_SCHEDULER_ADDRESS`` -- a cluster started by hand
  (``dask scheduler`` / ``dask worker``), by dask-jobqueue on SLURM/PBS, or by
  dask-kubernetes;
* otherwise a ``LocalCluster`` on this machine (no set-up): ``workers``
  processes (default: one per core) with one thread each.

The solver's own batch threads (:mod:`xbarsolve._threads`) are set per task by
the code that runs on the workers (one by default), so a worker process uses
one core; results never depend on either count.

Dask is imported only here and only when a client is asked for: the rest of
xbarsolve imports and works without it.
"""
from __future__ import annotations

import contextlib
import logging
import os

__all__ = ["SCHEDULER_ENV", "MissingExtraError", "require_distributed", "dask_client"]

#: Environment variable naming a running scheduler (Dask's own convention).
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


class MissingExtraError(ImportError):
    """An optional dependency of the distributed extra is not installed; the message says how to get it."""


def require_distributed(*modules: str) -> None:
    """Import ``modules`` (default: ``distributed``) or raise :class:`MissingExtraError` saying how to install."""
    import importlib
    for name in modules or ("distributed",):
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise MissingExtraError(f"{name} is not installed: distributed sweeps and evaluations need the "
                                    f"optional extra, `pip install xbarsolve[distributed]` "
                                    f"(dask[distributed], pyarrow)") from e


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None, quiet: bool = True):
    """A ``distributed.Client`` for the duration of the block (see the module docstring).

    ``scheduler``: address of a running scheduler (default ``$DASK_SCHEDULER_ADDRESS``;
    neither: a LocalCluster).  ``workers``: LocalCluster worker processes (default
    ``os.cpu_count()``); refused with a scheduler address, whose cluster has its own.
    A LocalCluster is closed on leaving the block; a remote cluster is left running.
    """
    require_distributed()
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address is not None:
        if workers is not None:
            raise ValueError(f"workers={workers} applies to a LocalCluster; the scheduler at {address} "
                             f"has its own workers")
        with Client(address) as client:
            yield client
        return
    if workers is None:
        workers = os.cpu_count() or 1
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    kwargs = dict(silence_logs=logging.ERROR) if quiet else {}
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      **kwargs) as cluster, Client(cluster) as client:
        yield client
