"""Circuit build, first solve in a fresh process, and per-solve time (issue 15's targets).

    python benchmarks/build_and_startup.py                       # this checkout only
    python benchmarks/build_and_startup.py --reference PATH      # and against another checkout
    python benchmarks/build_and_startup.py --sizes 256 512 --big 1024 --repeats 7

Cases (1T-1R, default transistor, transistor on the row side, G uniform in [1/300k, 1/30k] S,
inputs uniform in 0..0.5 V, r_source = r_sink = 100 Ω, r_wire = 2.5 Ω):

* ``build``: ``Crossbar(...)`` of n×n, n in ``--sizes``: wall time, CPU time (the build is
  single-threaded, so on a busy machine CPU time is the better estimate of an idle wall time)
  and the process' peak resident memory (``ru_maxrss``: the whole process, interpreter and
  libraries included), each size in its own process, after a 4×4 build that pays numba's
  one-off start-up;
* ``big``: n×n of ``--big`` built *and solved* (one input vector): build and solve time, peak
  memory, Newton iterations;
* ``first solve``: a fresh ``python -c`` process that imports xbarsolve, builds a 64×64
  crossbar and solves one vector: wall time of the whole process, imports included, with the
  numba cache warm (one untimed run first); median over ``--repeats``.  Measured alongside, in
  the same way, numba's own floor: a process that imports numpy and numba and calls one
  trivial function from numba's cache (numba initialises its compiler target on the first
  load, importing scipy.linalg for BLAS: a cost no numba program avoids);
* ``per solve``: 64×64, one vector and a batch of 64: median solve time over 15 repeats after a
  warm-up, in a child process.  With ``--reference``, the children of this checkout and of the
  reference run alternately (interleaved, ``--repeats`` pairs) and the ratio of their medians is
  reported, which survives a busy machine better than absolute times.

The load average (``uptime``) is recorded at the start and the end.  Results:
``benchmarks/results/build_and_startup.json`` (``--output`` to change).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "build_and_startup.json"

_SETUP = """
import numpy as np
def crossbar_inputs(n, batch):
    rng = np.random.default_rng(n)
    g = rng.uniform(1 / 300e3, 1 / 30e3, size=(n, n))
    v = rng.uniform(0.0, 0.5, size=(batch, n))
    return g, v
PARASITICS = dict(r_source=100.0, r_sink=100.0, r_wire=2.5)
"""

_BUILD = _SETUP + """
import json, resource, time
from xbarsolve import Crossbar
n, solve = {n}, {solve}
g, v = crossbar_inputs(n, 1)
Crossbar(g[:4, :4], cell="1t1r", v_gate=1.0, **PARASITICS)  # numba's first-load costs are not the build's
t0, c0 = time.perf_counter(), time.process_time()
xb = Crossbar(g, cell="1t1r", v_gate=1.0, **PARASITICS)
build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
out = dict(size=n, build_s=build, build_cpu_s=build_cpu,
           peak_rss_mb_after_build=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
if solve:
    t0, c0 = time.perf_counter(), time.process_time()
    res = xb.solve(v[0])
    out.update(solve_s=time.perf_counter() - t0, solve_cpu_s=time.process_time() - c0,
               iterations=int(res.iterations), column_current_sum=float(res.column_currents.sum()))
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

_FIRST_SOLVE = """
from xbarsolve import Crossbar
import numpy as np
rng = np.random.default_rng(64)
xb = Crossbar(rng.uniform(1 / 300e3, 1 / 30e3, size=(64, 64)), cell="1t1r", v_gate=1.0,
              r_source=100.0, r_sink=100.0, r_wire=2.5)
xb.solve(rng.uniform(0.0, 0.5, size=64))
"""

_NUMBA_FLOOR_MODULE = """
from numba import njit


@njit(cache=True)
def one(x):
    return x + 1.0
"""
_NUMBA_FLOOR = "import numpy, numba, numba_floor; numba_floor.one(1.0)"

_PER_SOLVE = _SETUP + """
import json, time
from xbarsolve import Crossbar
out = {{}}
for batch in (1, 64):
    g, v = crossbar_inputs(64, batch)
    xb = Crossbar(g, cell="1t1r", v_gate=1.0, **PARASITICS)
    xb.solve(v); xb.solve(v[:2])  # compile / load every kernel, also on slices of a batch
    times = []
    for _ in range({repeats}):
        t0 = time.perf_counter()
        xb.solve(v)
        times.append(time.perf_counter() - t0)
    out[f"batch_{{batch}}_s"] = sorted(times)[len(times) // 2]
print(json.dumps(out))
"""


def _env(checkout: pathlib.Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(checkout)
    return env


def _child(code: str, checkout: pathlib.Path, timeout: float = 3600) -> dict:
    proc = subprocess.run([sys.executable, "-c", code], env=_env(checkout), cwd=checkout, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({checkout}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _wall_of_process(code: str, checkout: pathlib.Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], env=_env(checkout), cwd=checkout, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({checkout}):\n{proc.stderr[-3000:]}")
    return wall


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:  # pragma: no cover
        return "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkout", type=pathlib.Path, default=ROOT,
                        help="checkout to measure (default: this one)")
    parser.add_argument("--reference", type=pathlib.Path, help="another checkout to compare against")
    parser.add_argument("--sizes", type=int, nargs="*", default=[256, 512])
    parser.add_argument("--big", type=int, nargs="*", default=[1024])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip", nargs="*", default=[], choices=["build", "big", "first", "per_solve"])
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)
    checkouts = {"this": args.checkout.resolve()}
    if args.reference:
        checkouts["reference"] = args.reference.resolve()
    report = {"uptime_start": _uptime(), "checkouts": {k: str(v) for k, v in checkouts.items()}}

    def log(msg):
        print(msg, flush=True)

    if "build" not in args.skip:
        report["build"] = {}
        for name, path in checkouts.items():
            report["build"][name] = []
            for n in args.sizes:
                r = _child(_BUILD.format(n=n, solve=False), path)
                report["build"][name].append(r)
                log(f"[{name}] build {n}x{n}: {r['build_s']:.2f} s wall, {r['build_cpu_s']:.2f} s CPU, "
                    f"peak {r['peak_rss_mb']:.0f} MB")
    if "big" not in args.skip:
        report["big"] = {}
        for n in args.big:
            r = _child(_BUILD.format(n=n, solve=True), checkouts["this"])
            report["big"][str(n)] = r
            log(f"[this] {n}x{n} build {r['build_s']:.2f} s ({r['build_cpu_s']:.2f} s CPU), "
                f"solve {r['solve_s']:.2f} s ({r['solve_cpu_s']:.2f} s CPU, {r['iterations']} Newton "
                f"iterations), peak {r['peak_rss_mb']:.0f} MB")
    if "first" not in args.skip:
        report["first_solve"] = {}
        with tempfile.TemporaryDirectory() as floor_dir:
            (pathlib.Path(floor_dir) / "numba_floor.py").write_text(_NUMBA_FLOOR_MODULE)
            runs = dict(checkouts, numba_floor=pathlib.Path(floor_dir))
            codes = {name: _FIRST_SOLVE for name in checkouts}
            codes["numba_floor"] = _NUMBA_FLOOR
            walls = {name: [] for name in runs}
            for name, path in runs.items():
                _wall_of_process(codes[name], path)  # warm the numba cache
            for _ in range(args.repeats):  # interleaved
                for name, path in runs.items():
                    walls[name].append(_wall_of_process(codes[name], path))
        for name, w in walls.items():
            report["first_solve"][name] = {"walls_s": w, "median_s": statistics.median(w)}
            what = ("numba's floor (import numpy + numba, one cached call)" if name == "numba_floor"
                    else "first 64x64 solve in a fresh process (warm cache, imports included)")
            log(f"[{name}] {what}: median {statistics.median(w):.2f} s of {[round(x, 2) for x in w]}")
    if "per_solve" not in args.skip:
        runs = {name: [] for name in checkouts}
        for _ in range(args.repeats):  # interleaved: this, reference, this, reference, ...
            for name, path in checkouts.items():
                runs[name].append(_child(_PER_SOLVE.format(repeats=15), path))
        report["per_solve"] = {}
        for name, rs in runs.items():
            report["per_solve"][name] = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        for key in runs["this"][0]:
            line = f"64x64 {key.replace('_s', '')}: this {report['per_solve']['this'][key] * 1e3:.2f} ms"
            if "reference" in runs:
                ref = report["per_solve"]["reference"][key]
                ratio = report["per_solve"]["this"][key] / ref
                report["per_solve"].setdefault("ratio_this_over_reference", {})[key] = ratio
                line += f", reference {ref * 1e3:.2f} ms, ratio {ratio:.3f}"
            log(line)
    report["uptime_end"] = _uptime()
    log(f"load: start {report['uptime_start']!r}, end {report['uptime_end']!r}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
