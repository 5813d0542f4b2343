"""Solve time, Newton iterations and peak memory of 1T-1R crossbars with parasitics.

Each size runs in its own subprocess so that its peak resident memory (ru_maxrss)
is its own.  Times are medians over repeats after one warm-up solve (numba
compilation excluded).  Ratios are against the smallest size of the same run.

    python benchmarks/solver_scaling.py [--sizes 16 32 64 128] [--repeats 5] [--large]

--large adds 256×256.  Results: benchmarks/results/solver_scaling.json
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib
import resource
import subprocess
import sys
import time

RESULTS = pathlib.Path(__file__).parent / "results" / "solver_scaling.json"


def measure(n: int, repeats: int, batch: int) -> dict:
    import numpy as np

    from xbarsolve import Crossbar

    rng = np.random.default_rng(n)
    g = rng.uniform(1 / 300e3, 1 / 30e3, size=(n, n))  # R_OFF = 300 kΩ … R_ON = 30 kΩ
    v = rng.uniform(0.0, 0.5, size=(batch, n))
    t0 = time.perf_counter()
    xb = Crossbar(g, cell="1t1r", v_gate=1.0, r_source=100.0, r_sink=100.0, r_wire=2.5)
    build = time.perf_counter() - t0
    xb.solve(v)  # warm-up: numba compilation
    times, iters = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = xb.solve(v)
        times.append(time.perf_counter() - t0)
        iters.append(float(np.mean(res.iterations)))
    return {"size": n, "batch": batch, "unknowns": xb.netlist.n_free, "nnz": xb.netlist.nnz,
            "build_s": build, "solve_s_median": float(np.median(times)),
            "newton_iterations": float(np.median(iters)),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--large", action="store_true", help="also measure 256×256 (slow)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeats, args.batch)))
        return
    sizes = args.sizes + ([256] if args.large else [])
    rows = []
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(n), "--repeats",
                              str(args.repeats if n < 256 else 2), "--batch", str(args.batch)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"{n:4d}×{n:<4d} unknowns {r['unknowns']:7d}  build {r['build_s']:7.3f} s  "
              f"solve {r['solve_s_median'] * 1e3:9.2f} ms  ({r['newton_iterations']:.0f} Newton it., "
              f"{r['solve_s_median'] / r['newton_iterations'] * 1e3:8.2f} ms/it)  "
              f"×{r['solve_s_median'] / rows[0]['solve_s_median']:7.1f} vs {sizes[0]}×{sizes[0]}  "
              f"peak RSS {r['peak_rss_mb']:6.0f} MB", flush=True)
    if len(rows) > 1:
        x = [math.log(r["unknowns"]) for r in rows]
        y = [math.log(r["solve_s_median"]) for r in rows]
        xm, ym = sum(x) / len(x), sum(y) / len(y)
        slope = sum((a - xm) * (b - ym) for a, b in zip(x, y)) / sum((a - xm) ** 2 for a in x)
        print(f"scaling: solve time ∝ unknowns^{slope:.2f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"cases": rows}, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
