"""Backward / forward time of exact crossbar gradients (implicit differentiation).

Crossbar: 64×64 1T-1R (Level-1 NMOS on the row side, V_G = 1 V), r_source =
20 Ω, r_sink = 30 Ω, r_wire = 2.5 Ω per segment (rows and columns), random
conductances 2–50 µS, inputs 0–0.4 V.  Forward = ``crossbar_currents`` (DC
solve by Newton from 0 V + read-out of the column currents); backward =
``loss.backward()`` for a random linear loss with gradients requested for
*every* differentiable quantity (v_in, conductances, v_gate, r_source,
r_sink, r_wire_row, r_wire_col), the most expensive case.  One untimed call
first (numba compilation).  Each repeat times one forward and the following
backward; the table reports medians over repeats and the median of the
per-repeat ratios.  Target: backward/forward <= 0.3.

Results are printed as a table and written to
``benchmarks/results/gradient_overhead.json``.

Usage: ``python benchmarks/gradient_overhead.py [--size 64] [--batches 1 64] [--repeats 15 3]``
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from xbarsolve import Crossbar
from xbarsolve.autodiff import crossbar_currents

RESULTS = Path(__file__).resolve().parent / "results" / "gradient_overhead.json"
TARGET_RATIO = 0.3
PARASITICS = dict(r_source=20.0, r_sink=30.0, r_wire_row=2.5, r_wire_col=2.5)  # Ω


def build(size: int, seed: int = 0):
    """The benchmark crossbar (compiled once) and its differentiable parameter values."""
    rng = np.random.default_rng(seed)
    g = rng.uniform(2e-6, 50e-6, (size, size))  # S
    xb = Crossbar(g, cell="1t1r", transistor_side="row", v_gate=1.0, **PARASITICS)
    params = dict(conductances=g, v_gate=np.full(size, 1.0), r_source=np.full(size, PARASITICS["r_source"]),
                  r_sink=np.full(size, PARASITICS["r_sink"]), r_wire_row=np.array(PARASITICS["r_wire_row"]),
                  r_wire_col=np.array(PARASITICS["r_wire_col"]))
    return xb, params, rng


def time_once(xb, params, v, weights):
    """(forward seconds, backward seconds) of one solve and its backward pass."""
    leaves = {k: torch.tensor(p, dtype=torch.float64, requires_grad=True) for k, p in params.items()}
    v_in = torch.tensor(v, requires_grad=True)
    t0 = time.perf_counter()
    currents = crossbar_currents(xb, v_in, **leaves)
    t1 = time.perf_counter()
    (currents * weights).sum().backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def run(size: int, batches, repeats):
    """Benchmark every batch size; return one result dict per batch."""
    xb, params, rng = build(size)
    rows = []
    for batch, n_rep in zip(batches, repeats):
        v = rng.uniform(0.0, 0.4, (batch, size))  # V
        weights = torch.tensor(rng.standard_normal((batch, size)))
        time_once(xb, params, v[:1], weights[:1])  # warm-up: numba compilation
        fwd, bwd = [], []
        for _ in range(n_rep):
            f, b = time_once(xb, params, v, weights)
            fwd.append(f)
            bwd.append(b)
        iterations = xb.solve(v[0]).iterations  # Newton steps of the first sample, for context
        rows.append(dict(batch=batch, repeats=n_rep, forward_s_median=statistics.median(fwd),
                         backward_s_median=statistics.median(bwd),
                         ratio_median=statistics.median(b / f for f, b in zip(fwd, bwd)),
                         forward_s=fwd, backward_s=bwd, newton_iterations_sample0=int(iterations)))
    return xb, rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=64, help="rows = cols of the crossbar")
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    ap.add_argument("--repeats", type=int, nargs="+", default=[15, 3], help="repeats per batch size")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    if len(args.repeats) != len(args.batches):
        ap.error("give one --repeats value per --batches value")
    load_before = os.getloadavg()
    xb, rows = run(args.size, args.batches, args.repeats)
    print(f"{args.size}x{args.size} 1T-1R with parasitics ({xb.netlist.n_free} free nodes), gradients w.r.t. "
          f"v_in, conductances, v_gate and all parasitics")
    print(f"{'batch':>5} {'repeats':>7} {'forward (s)':>12} {'backward (s)':>13} {'bwd/fwd':>8}  target")
    for r in rows:
        ok = "ok" if r["ratio_median"] <= TARGET_RATIO else "MISSED"
        print(f"{r['batch']:>5} {r['repeats']:>7} {r['forward_s_median']:>12.4f} "
              f"{r['backward_s_median']:>13.4f} {r['ratio_median']:>8.4f}  <= {TARGET_RATIO} {ok}")
    report = dict(benchmark="gradient_overhead", size=args.size, cell="1t1r", transistor_side="row",
                  transistor="Level1NMOS (Crossbar.DEFAULT_TRANSISTOR)", parasitics_ohm=PARASITICS,
                  n_free=int(xb.netlist.n_free), gradients_wrt=["v_in", "conductances", "v_gate", "r_source",
                                                                "r_sink", "r_wire_row", "r_wire_col"],
                  target_ratio=TARGET_RATIO, results=rows,
                  machine=dict(python=platform.python_version(), platform=platform.platform(),
                               cpu_count=os.cpu_count(), torch=torch.__version__,
                               load_average_before=load_before, load_average_after=os.getloadavg()))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.output}")
    return report


if __name__ == "__main__":
    main()
