"""Peak memory of one large batch: 64×64 crossbars, batch 1024, ``outputs=("column_currents",)``.

    python benchmarks/solve_memory.py [--batch 1024] [--size 64]

Each case runs in a fresh child process and reports its peak resident set (``ru_maxrss``: the
interpreter, numpy, numba, the build and the solve together), its resident set after the
imports and the build (before the solve), and the same batch with every result (the default).
Issue 16's target: under 300 MB with only the column currents.  Not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import json, resource, sys, time
import numpy as np
from xbarsolve import Crossbar
cell, n, batch, outputs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(0)
kw = dict(r_wire=2.5, r_source=50.0, r_sink=50.0)
xb = Crossbar(rng.uniform(1 / 300e3, 1 / 30e3, (n, n)), cell=cell, **kw)
xb.solve(rng.uniform(0, 0.2, (2, n)))  # kernels loaded
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
res = xb.solve(rng.uniform(0, 0.2, (batch, n)), outputs=None if outputs == "all" else (outputs,))
dt = time.perf_counter() - t0
print(json.dumps(dict(cell=cell, n=n, batch=batch, outputs=outputs, seconds=dt, rss_before_mb=before,
                      peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--output", default=str(Path(__file__).parent / "results" / "solve_memory.json"))
    args = ap.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    records = []
    for cell in ("1r", "1t1r"):
        for outputs in ("column_currents", "all"):
            out = subprocess.run([sys.executable, "-c", CHILD, cell, str(args.size), str(args.batch), outputs],
                                 capture_output=True, text=True, env=env, check=True)
            rec = json.loads(out.stdout.strip().splitlines()[-1])
            rec["load"] = os.getloadavg()[0]
            records.append(rec)
            print(f"{cell} {args.size}x{args.size} batch {args.batch} outputs={outputs}: peak RSS "
                  f"{rec['peak_rss_mb']:.0f} MB (after imports and build: {rec['rss_before_mb']:.0f} MB), "
                  f"{rec['seconds']:.2f} s, load {rec['load']:.1f}", flush=True)
    Path(args.output).write_text(json.dumps(records, indent=2))


if __name__ == "__main__":
    main()
