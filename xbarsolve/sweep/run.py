"""Running a sweep on a Dask cluster: submit the tasks not on disk, write each as it finishes.

The driver (this process) plans the tasks (:meth:`SweepSpec.tasks`), skips those
whose rows are already on disk, hands the rest to the Dask scheduler
(``client.map``; Dask places, retries on lost workers and balances them), and
writes each task's rows as its own Parquet part the moment it arrives
(:class:`~xbarsolve.sweep.store.SweepStore`).  Only the driver writes, so the
workers need no shared file system.
"""
from __future__ import annotations

import time

from tqdm.auto import tqdm

from ..cluster import dask_client, require_distributed
from .solve import run_task
from .spec import SweepSpec
from .store import SweepStore

__all__ = ["run_sweep"]


def run_sweep(spec: SweepSpec, out, *, client=None, scheduler: str | None = None, workers: int | None = None,
              overwrite: bool = False, progress: bool = True) -> dict:
    """Run (or finish) the sweep ``spec`` into the folder ``out``; returns a summary dict.

    ``client``: a ``distributed.Client`` to use; else one from
    :func:`xbarsolve.cluster.dask_client` (``scheduler`` address or
    ``$DASK_SCHEDULER_ADDRESS``, else a LocalCluster of ``workers`` processes).
    The summary: ``tasks``, ``skipped`` (already on disk), ``ran``, ``configurations``,
    ``errors`` (error rows written by this run), ``wall_s``, ``out``.
    """
    if not isinstance(spec, SweepSpec):
        raise TypeError(f"spec must be a SweepSpec (load_spec / SweepSpec.from_dict), got {type(spec).__name__}")
    require_distributed("distributed", "pyarrow")
    store = SweepStore(out, spec, overwrite=overwrite)
    tasks = spec.tasks()
    done = store.done_tasks()
    todo = [t for t in range(len(tasks)) if t not in done]
    summary = {"out": str(out), "tasks": len(tasks), "skipped": len(tasks) - len(todo), "ran": 0,
               "configurations": len(spec), "errors": 0}
    t0 = time.perf_counter()
    if todo:
        if client is None:
            with dask_client(scheduler, workers=workers) as c:
                _run(c, spec, store, tasks, todo, summary, progress)
        else:
            _run(client, spec, store, tasks, todo, summary, progress)
    summary["wall_s"] = round(time.perf_counter() - t0, 3)
    return summary


def _run(client, spec, store, tasks, todo, summary, progress):
    from distributed import as_completed
    record, base, threads = tuple(spec.record), spec.base_dir, spec.solver_threads
    keys = [f"xbarsolve-sweep-{spec.hash}-{t}" for t in todo]
    futures = client.map(run_task, [record] * len(todo), [tasks[t] for t in todo], [base] * len(todo),
                         [threads] * len(todo), key=keys)
    task_of = {f.key: t for f, t in zip(futures, todo)}
    solves = sum(len(tasks[t]) for t in todo)
    with tqdm(total=solves, desc="sweep", unit="config", disable=not progress) as bar:
        for future in as_completed(futures):
            rows = future.result()  # an unexpected exception (a bug, not a bad configuration) stops the sweep
            store.write_part(task_of[future.key], rows)
            summary["ran"] += 1
            summary["errors"] += sum(r["error"] is not None for r in rows)
            bar.update(len(rows))
            future.release()
