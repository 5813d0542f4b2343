"""Passive 1R crossbars with line resistance: xbarsolve against badcrossbar 1.1.0, side by side.

    OPENBLAS_NUM_THREADS=1 python benchmarks/vs_badcrossbar.py [--sizes 32 64 128 256] [--batches 1 64]
                                                             [--repeats 5] [--output PATH]

badcrossbar (``pip install --no-deps badcrossbar sigfig pathvalidate``; its plotting needs pycairo,
which is not used) solves a 1R crossbar whose word lines are driven through one interconnect
segment and whose bit lines end in one segment to ground; the same circuit in xbarsolve is
``Crossbar(g, cell="1r", r_wire=r, r_source=r, r_sink=r)``.  Per size and batch, in one process,
interleaved (xbarsolve, badcrossbar, xbarsolve, ...): end to end = build + solve (badcrossbar's
``compute`` does both; xbarsolve's ``Crossbar(...)`` then ``solve``), both returning every
result (node voltages and element currents); xbarsolve also with ``outputs=("column_currents",)``.
Prints medians, the ratio of medians, and the spread (min-max) of each; the peak memory of one
call of each (``tracemalloc``: Python and numpy allocations; SuperLU's own workspace, used by both,
is not traced); the largest difference of the output currents.  OPENBLAS_NUM_THREADS=1 keeps
badcrossbar's BLAS from oversubscribing the 2 cores.  Not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from xbarsolve import Crossbar  # noqa: E402

R_LINE = 2.5  # Ω, every interconnect segment (and the driver and sink segments)


def _badcrossbar():
    warnings.simplefilter("ignore", ImportWarning)
    logging.disable(logging.CRITICAL)
    import badcrossbar
    return badcrossbar


def ours(g, v, outputs=None):
    return Crossbar(g, cell="1r", r_wire=R_LINE, r_source=R_LINE, r_sink=R_LINE).solve(v, outputs=outputs)


def theirs(bc, g, v):
    return bc.compute(v.T, 1.0 / g, r_i_word_line=R_LINE, r_i_bit_line=R_LINE)


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return time.perf_counter() - t0, out


def peak_bytes(f) -> int:
    tracemalloc.start()
    try:
        f()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128, 256])
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--output", default=str(Path(__file__).parent / "results" / "vs_badcrossbar.json"))
    args = ap.parse_args(argv)
    bc = _badcrossbar()
    rng = np.random.default_rng(0)
    ours(rng.uniform(1e-5, 3e-5, (8, 8)), rng.uniform(0, 0.5, (8, 8)))  # warm-up: numba kernels load
    records = []
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, load {os.getloadavg()[0]:.1f}")
    print("| rows=cols | batch | xbarsolve (all results) | xbarsolve (column currents) | badcrossbar | "
          "ratio badcrossbar/xbarsolve | peak memory xbarsolve / badcrossbar | max rel. difference | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        for batch in args.batches:
            g = rng.uniform(1 / 300e3, 1 / 30e3, (n, n))
            v = rng.uniform(0.0, 0.5, (batch, n))
            reps = args.repeats if n < 256 else max(2, args.repeats // 2)
            t_all, t_cols, t_bad, load = [], [], [], [os.getloadavg()[0]]
            for _ in range(reps):
                dt, res = timed(lambda: ours(g, v))
                t_all.append(dt)
                dt, bad = timed(lambda: theirs(bc, g, v))
                t_bad.append(dt)
                dt, _ = timed(lambda: ours(g, v, ("column_currents",)))
                t_cols.append(dt)
                load.append(os.getloadavg()[0])
            diff = float(np.abs(res.column_currents - bad.currents.output).max() / np.abs(bad.currents.output).max())
            mem_ours = peak_bytes(lambda: ours(g, v))
            mem_bad = peak_bytes(lambda: theirs(bc, g, v))
            med = {k: statistics.median(t) for k, t in (("all", t_all), ("cols", t_cols), ("bad", t_bad))}
            rec = dict(rows=n, cols=n, batch=batch, xbarsolve_all_s=t_all, xbarsolve_column_currents_s=t_cols,
                       badcrossbar_s=t_bad, medians=med, ratio=med["bad"] / med["all"],
                       ratio_column_currents=med["bad"] / med["cols"], peak_bytes_xbarsolve=mem_ours,
                       peak_bytes_badcrossbar=mem_bad, max_rel_difference=diff, load=load)
            records.append(rec)

            def fmt(ts):
                return f"{statistics.median(ts) * 1e3:.1f} ms ({min(ts) * 1e3:.1f}-{max(ts) * 1e3:.1f})"

            print(f"| {n} | {batch} | {fmt(t_all)} | {fmt(t_cols)} | {fmt(t_bad)} | **{rec['ratio']:.2f}x** "
                  f"({rec['ratio_column_currents']:.2f}x) | {mem_ours / 2**20:.1f} / {mem_bad / 2**20:.1f} MB | "
                  f"{diff:.1e} | {min(load):.1f}-{max(load):.1f} |", flush=True)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(dict(cases=records, python=platform.python_version(),
                                                 cpus=os.cpu_count(), r_line_ohm=R_LINE,
                                                 badcrossbar=getattr(bc, "__version__", "1.1.0")), indent=2))


if __name__ == "__main__":
    main()
