"""Sweep throughput on a Dask LocalCluster with 1 and 2 workers, and the scheduler's cost per task.

Sweep: 32×32 1T-1R crossbars (BSIM-like NMOS, row side), r_source = r_sink = 50 Ω,
a grid over r_wire (0.5…4 Ω, one compiled structure) × 4 random V_G in 0.8…1.2 V,
8 input vectors per configuration (``--configs`` configurations, ``--task-size`` per task).

Measured, in one process:

* ``serial``: the same tasks run in this process (``run_task``, no Dask): seconds per configuration;
* ``1 worker`` / ``2 workers``: ``run_sweep`` on a warm LocalCluster (started, then one untimed
  sweep so every worker has loaded its kernels and compiled the crossbar), timed repetitions
  interleaved 1, 2, 1, 2, ... with medians; efficiency = t(1) / (2·t(2));
* ``overhead``: ``--noop`` empty tasks through ``client.map`` + ``as_completed`` on the 2-worker
  cluster: the scheduler's and the round trip's cost per task (no work).

Prints a table and the machine load, writes ``benchmarks/results/sweep_throughput.json``;
docs/distributed.md turns the numbers into the cost model of a 10⁶-solve sweep.

Usage: ``python benchmarks/sweep_throughput.py [--configs 64] [--task-size 4] [--repeats 3]``
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from xbarsolve.cluster import dask_client
from xbarsolve.sweep import SweepSpec, run_task
from xbarsolve.sweep.run import run_sweep


def spec_for(configs: int, task_size: int, seed: int) -> SweepSpec:
    n_wire = max(1, configs // 4)
    return SweepSpec.from_dict({
        "sweep": {"seed": seed, "task_size": task_size, "record": ["column_current_error", "iterations_max"]},
        "fixed": {"rows": 32, "cols": 32, "batch": 8, "r_source": 50.0, "r_sink": 50.0},
        "grid": {"r_wire": [0.5 + 3.5 * i / max(n_wire - 1, 1) for i in range(n_wire)]},
        "random": {"count": 4, "v_gate": {"uniform": [0.8, 1.2]}}})


def timed_sweep(client, spec, root) -> float:
    out = Path(tempfile.mkdtemp(dir=root))
    t = time.perf_counter()
    run_sweep(spec, out, client=client, progress=False)
    return time.perf_counter() - t


def noop(i):
    return i


def scheduler_overhead(client, n: int) -> float:
    from distributed import as_completed
    t = time.perf_counter()
    for f in as_completed(client.map(noop, range(n), pure=False)):
        f.result()
    return (time.perf_counter() - t) / n


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", type=int, default=64)
    p.add_argument("--task-size", type=int, default=4)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--noop", type=int, default=2000)
    args = p.parse_args(argv)
    spec = spec_for(args.configs, args.task_size, seed=1)
    solves = len(spec)
    # serial reference, in this process (warm: one untimed task first)
    run_task(spec.record, spec.tasks()[0])
    serial = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        for task in spec.tasks():
            run_task(spec.record, task)
        serial.append((time.perf_counter() - t) / solves)
    times = {1: [], 2: []}
    overhead = None
    with tempfile.TemporaryDirectory() as root, dask_client(workers=1) as c1, dask_client(workers=2) as c2:
        clients = {1: c1, 2: c2}
        for n, c in clients.items():  # warm-up: kernels loaded and the crossbar compiled on every worker
            timed_sweep(c, spec_for(max(8, 4 * n * args.task_size), args.task_size, seed=99), root)
        for _ in range(args.repeats):
            for n, c in clients.items():
                times[n].append(timed_sweep(c, spec, root) / solves)
        overhead = scheduler_overhead(c2, args.noop)
    t1, t2, ts = statistics.median(times[1]), statistics.median(times[2]), statistics.median(serial)
    result = {
        "configurations": solves, "task_size": args.task_size, "solves_per_configuration": 8, "crossbar": "32x32 1T-1R",
        "serial_s_per_configuration": ts, "one_worker_s_per_configuration": t1, "two_workers_s_per_configuration": t2,
        "throughput_per_s": {"serial": 1 / ts, "1 worker": 1 / t1, "2 workers": 1 / t2},
        "efficiency_2_workers": t1 / (2 * t2), "one_worker_vs_serial": ts / t1,
        "scheduler_overhead_s_per_task": overhead, "load_average": os.getloadavg(), "cpus": os.cpu_count(),
    }
    print(f"{solves} configurations (32x32 1T-1R, 8 vectors each), {args.task_size} per task; "
          f"load average {result['load_average'][0]:.2f} on {os.cpu_count()} cores")
    print("| run | s / configuration (median) | configurations / s |\n|---|---|---|")
    for name, t in (("serial (in process)", ts), ("1 worker", t1), ("2 workers", t2)):
        print(f"| {name} | {t:.4f} | {1 / t:.1f} |")
    print(f"efficiency with 2 workers t1/(2 t2) = {result['efficiency_2_workers']:.2f}; "
          f"1 worker vs serial = {result['one_worker_vs_serial']:.2f}")
    print(f"scheduler + round trip per empty task: {overhead * 1e3:.2f} ms")
    out = Path(__file__).resolve().parent / "results" / "sweep_throughput.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
