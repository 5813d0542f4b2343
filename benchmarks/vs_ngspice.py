"""xbarsolve against ngspice: speed, agreement, Newton iterations, peak memory (issue #6).

    python benchmarks/vs_ngspice.py            # full mode (~15-20 min on a 2-core machine)
    python benchmarks/vs_ngspice.py --quick    # 64x64 only, few repeats (~2-3 min)

Cases (1T-1R cells, transistor on the row side, V_G = 1 V, G uniform in [1/300k, 1/30k] S,
inputs uniform in 0..0.5 V, the transistor is ``Crossbar.DEFAULT_TRANSISTOR`` unless
``--transistor`` says otherwise: ``level1``, ``bsim`` (``BsimLikeNMOS()``), ``ptm45hp`` / ``ptm45lp``
(``Bsim4NMOS`` from the published PTM 45 nm HP / LP card of ``validation/cards/``, W = 1 um,
L = 45 nm, every DC effect the card switches on)):

* ``parasitic``: r_source = r_sink = 100 Ohm, r_wire = 2.5 Ohm, one input vector, n x n for
  n in 64, 128, 256 (full) -- xbarsolve against ngspice's own analysis time ("Total analysis
  time", CPU seconds from ``rusage``) and the whole ngspice process' wall time; ngspice runs are
  capped by a timeout and reported as "> timeout";
* ``batch``: the same 64x64 circuit, 256 input vectors at once: solves per second;
* ``fast path``: 64x64 without parasitics (every cell decouples), batch 1 and 64: the decoupled
  fast path (``NewtonOptions(decoupled_fast_path=True)``, the default) against the general
  Newton/LU solver (``decoupled_fast_path=False``), and (batch 1) against ngspice;
* ``linear solvers``: ``linear_solver="krylov"`` (GMRES with the block Gauss-Seidel
  preconditioner, the default for crossbars) against the sparse LUs ``"lu"`` and
  ``"superlu"``, 64x64 and 128x128, batch 1 and 16;
* ``memory``: peak RSS of 256x256 with batch 64 (guarded: first batch 8, the batch-64 run is
  skipped, with the linear prediction reported, when it would not fit in available memory);
* ``profile``: cProfile of one 64x64 batch-1 and one batch-256 solve, split into factorization,
  triangular solves, assembly, step limiting, result extraction and the rest (Python/numpy in
  the Newton loop).

The warm-up compiles every kernel the timed solves use (a batch of 2 as well when the case is
batched: the kernels are then also called on slices of a batch).

Every xbarsolve measurement runs in its own subprocess, so its peak RSS (``ru_maxrss``) is its
own; times are wall-clock medians over repeats after a warm-up solve (numba compilation
excluded; the first call, compilation included, is reported separately); CPU time
(``process_time``, all threads) is recorded too.  Each ngspice run is its own subprocess as
well (peak RSS from ``RUSAGE_CHILDREN`` of a helper process).  Answers are checked: xbarsolve's
column currents against ngspice's within 1e-6 relative, fast path against general solver within
1e-12 relative.  The load average is recorded with every case: the numbers are only comparable
within one run.  Results: ``benchmarks/results/vs_ngspice.json`` (``--output`` to change).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import platform
import resource
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "vs_ngspice.json"

G_RANGE = (1 / 300e3, 1 / 30e3)  # S: R_OFF = 300 kOhm ... R_ON = 30 kOhm
V_MAX = 0.5  # V
PARASITICS = {"r_source": 100.0, "r_sink": 100.0, "r_wire": 2.5}  # Ohm
NO_PARASITICS = {"r_source": 0.0, "r_sink": 0.0, "r_wire": 0.0}
AGREEMENT_RTOL = 1e-6  # xbarsolve vs ngspice, column currents
FAST_PATH_RTOL = 1e-12  # decoupled fast path vs general solver
PUBLISHED_CARDS = {"ptm45hp": "ptm45_hp.pm", "ptm45lp": "ptm45_lp.pm"}  # --transistor: validation/cards/
PUBLISHED_CARD_W, PUBLISHED_CARD_L = 1e-6, 45e-9  # m


# ============================================================================ child processes
def _peak_rss_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: KiB


def _transistor(name: str):
    from xbarsolve import BsimLikeNMOS, Crossbar, Level1NMOS
    if name == "default":
        return Crossbar.DEFAULT_TRANSISTOR
    if name == "level1":  # the first default card
        return Level1NMOS(vto=0.4, kp=2e-4, gamma=0.3, phi=0.7, lambda_=0.05, w=1e-6, l=1e-6)
    if name == "bsim":
        return BsimLikeNMOS()
    if name in PUBLISHED_CARDS:  # Bsim4NMOS from the published card, every DC effect it switches on
        from xbarsolve.devices import Bsim4NMOS
        return Bsim4NMOS.from_card(ROOT / "validation" / "cards" / PUBLISHED_CARDS[name],
                                   w=PUBLISHED_CARD_W, l=PUBLISHED_CARD_L)
    raise ValueError(f"unknown transistor {name!r}")


def _inputs(n: int, batch: int):
    """Conductances (n, n) and inputs (batch, n); the first input rows do not depend on ``batch``."""
    import numpy as np
    rng = np.random.default_rng(1000 + n)
    g = rng.uniform(*G_RANGE, size=(n, n))
    v = rng.uniform(0.0, V_MAX, size=(batch, n))
    return g, v


_PROFILE_PARTS = (  # (label, file suffix, function name), by cumulative time
    ("factorization (LU; none with GMRES)", "linalg.py", "factorize"),
    ("linear solves (GMRES, or LU triangular solves)", "linalg.py", "solve"),
    ("factor copies kept for gradients", "linalg.py", "factor"),
    ("assembly", "assembly.py", "assemble"),
    ("step limiting", "assembly.py", "step_fraction"),
    ("result extraction", "crossbar.py", "extract"),
)
_KERNELS = (  # numba kernels, by own time (names are prefixes: "stamp" and "stamp_rows" alike)
    ("factor kernel", "sparse_lu.py", "_factor_"),
    ("solve kernel", "sparse_lu.py", "_solve_rows"),
    ("GMRES kernel", "krylov.py", "_solve_rows"),
    ("stamp kernel", "assembly.py", "stamp"),
    ("limit kernel", "assembly.py", "limit"),
)


def _profile_solve(xb, v) -> dict:
    """One solve under cProfile, split into the parts above (s and fraction of the total)."""
    import cProfile
    import pstats
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    xb.solve(v)
    prof.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)

    def pick(suffix, name, column, prefix=False):
        return sum(s[column] for (f, _, fn), s in stats.items()
                   if f.endswith(suffix) and (fn.startswith(name) if prefix else fn == name))

    parts = {label: pick(suffix, name, 3) for label, suffix, name in _PROFILE_PARTS}
    parts["Python/numpy in the Newton loop and elsewhere"] = total - sum(parts.values())
    kernels = {label: pick(suffix, name, 2, prefix=True) for label, suffix, name in _KERNELS}
    kernels["all numba kernels"] = sum(kernels.values())
    top = sorted(((s[2], f"{pathlib.Path(f).name}:{ln}({fn})") for (f, ln, fn), s in stats.items()),
                 reverse=True)[:12]
    return {"total_s": total,
            "parts_s": parts, "parts_fraction": {k: p / total for k, p in parts.items()},
            "kernels_s": kernels, "kernels_fraction": {k: p / total for k, p in kernels.items()},
            "top_tottime": [[name, t] for t, name in top]}


def child_xbar(spec: dict) -> dict:
    """Build, (export,) warm up, time ``repeats`` solves; optionally profile one more."""
    import warnings

    import numpy as np

    from xbarsolve import Crossbar, NewtonOptions
    n, batch = spec["n"], spec["batch"]
    g, v = _inputs(n, batch)
    options = NewtonOptions(**spec.get("options", {}))
    out = {"spec": spec, "pid": os.getpid()}
    t0 = time.perf_counter()
    xb = Crossbar(g, cell="1t1r", transistor_side="row", v_gate=1.0, transistor=_transistor(spec["transistor"]),
                  options=options, **spec["parasitics"])
    out["build_s"] = time.perf_counter() - t0
    out["n_free"], out["nnz"] = xb.netlist.n_free, xb.netlist.nnz
    out["values_per_sample"] = xb.linear_solver.memory_per_sample // 8  # kept per sample by the linear solver
    out["linear_solver"] = xb.linear_solver.solver.name
    out["transistor"] = type(xb.transistor).__name__
    out["rss_after_build_mb"] = _peak_rss_mb()
    if spec.get("netlist_path"):
        from xbarsolve.spice import to_spice_netlist
        k = spec.get("netlist_vectors", 1)
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            text = to_spice_netlist(xb, v[:k])
        out["export_s"] = time.perf_counter() - t0
        out["export_warnings"] = sorted({str(w.message) for w in caught})
        pathlib.Path(spec["netlist_path"]).write_text(text)
    # warm-up: numba compilation of the kernels (the sparse LU kernels may come from numba's cache)
    t0 = time.perf_counter()
    first = xb.solve(v[:1])
    if batch > 1:
        xb.solve(v[:2])  # the parallel kernels
    out["first_call_s"] = time.perf_counter() - t0
    out["first_call_iterations"] = int(first.iterations[0])
    walls, cpus, iters = [], [], []
    res = None
    stats = getattr(xb.linear_solver, "stats", None)
    before = dict(stats) if stats else None
    for _ in range(spec["repeats"]):
        t0, c0 = time.perf_counter(), time.process_time()
        res = xb.solve(v)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        iters.append(float(np.mean(res.iterations)))
        out["load_during"] = os.getloadavg()[0]
    out["wall_s"], out["cpu_s"] = walls, cpus
    out["wall_s_median"], out["cpu_s_median"] = float(np.median(walls)), float(np.median(cpus))
    out["iterations_mean"] = float(np.median(iters))
    out["iterations_max"] = int(res.iterations.max())
    if stats:
        solves = stats["solves"] - before["solves"]
        out["gmres_iterations_per_newton_step"] = (stats["iterations"] - before["iterations"]) / max(solves, 1)
        out["gmres_lu_fallbacks"] = stats["lu_fallbacks"] - before["lu_fallbacks"]
    out["strategies"] = sorted(set(map(str, res.strategy)))
    out["column_currents"] = res.column_currents[spec.get("return_rows", [0])].tolist()
    del res
    if spec.get("profile"):
        out["profile"] = _profile_solve(xb, v)
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def child_ngspice(spec: dict) -> dict:
    """Run a netlist ``repeats`` times through ngspice (each run capped by ``timeout``)."""
    from xbarsolve.spice import NgspiceError, run_ngspice
    text = pathlib.Path(spec["netlist_path"]).read_text()
    if spec.get("acct"):  # statistics run (iterations, time split); ``acct`` slows ngspice down
        text = text.replace("\n.options ", "\n.options acct ", 1)
    out = {"spec": spec, "analysis_s": [], "elapsed_s": [], "wall_s": [], "timed_out": False}
    for _ in range(spec["repeats"]):
        try:
            r = run_ngspice(text, timeout=spec["timeout"], expected_points=spec["points"])
        except NgspiceError as exc:
            if "did not finish" in str(exc):
                out["timed_out"] = True
                break
            raise
        out["analysis_s"].append(r["analysis_time"])
        out["elapsed_s"].append(r["elapsed_time"])
        out["wall_s"].append(r["wall_time"])
        out["warnings"] = r["warnings"]
        cols = spec["cols"]
        out["column_currents"] = [[float(r["currents"][f"vout_{j}"][p]) for j in range(cols)]
                                  for p in range(spec["points"])]
        if spec.get("acct"):
            import re
            stats = {}
            for key in ("Total iterations", "Circuit Equations", "Circuit original non-zeroes",
                        "Circuit fill-in non-zeroes", "Matrix load time", "Matrix reorder time",
                        "Matrix factor time", "Matrix solve time", "Total analysis time \\(seconds\\)"):
                m = re.findall(key + r"\s*=\s*([-+0-9.eE]+)", r["log"])
                if m:
                    stats[key.replace("\\", "")] = float(m[-1])
            out["acct"] = stats
        out["load_during"] = os.getloadavg()[0]
    if out["analysis_s"]:
        import statistics
        out["analysis_s_median"] = statistics.median(out["analysis_s"])
        out["wall_s_median"] = statistics.median(out["wall_s"])
    out["peak_rss_mb"] = _peak_rss_mb(resource.RUSAGE_CHILDREN)
    return out


# ============================================================================ parent
def run_child(kind: str, spec: dict, timeout: float | None = None) -> dict:
    """Run a child measurement in a fresh interpreter; its JSON answer (or an "error" entry)."""
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--child", kind, json.dumps(spec)]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"spec": spec, "error": f"child timed out after {timeout} s"}
    if proc.returncode != 0:
        return {"spec": spec, "error": f"exit {proc.returncode}: {proc.stderr[-2000:]}"}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["child_wall_s"] = time.perf_counter() - t0
    return out


def max_rel_diff(a, b) -> float:
    """max |a - b| / |b| over all entries (nested lists)."""
    import numpy as np
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def environment() -> dict:
    import numba
    import numpy
    import scipy
    try:
        ng = subprocess.run(["ngspice", "--version"], capture_output=True, text=True, timeout=30).stdout
        ng = next((ln.strip("* ").strip() for ln in ng.splitlines() if "ngspice-" in ln), ng.strip())
    except (OSError, subprocess.SubprocessError):
        ng = None
    cpu = next((ln.split(":", 1)[1].strip() for ln in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())

    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return None

    return {"cpu": cpu, "cpu_count": os.cpu_count(), "numba_threads": numba.config.NUMBA_NUM_THREADS,
            "python": platform.python_version(), "numpy": numpy.__version__, "scipy": scipy.__version__,
            "numba": numba.__version__, "ngspice": ng, "git_commit": (git("rev-parse", "--short", "HEAD") or "").strip(),
            "git_dirty_files": [ln[3:] for ln in (git("status", "--porcelain") or "").splitlines() if ln.strip()],
            "memory_available_mb": mem_available_mb()}


def mem_available_mb() -> float:
    for ln in pathlib.Path("/proc/meminfo").read_text().splitlines():
        if ln.startswith("MemAvailable:"):
            return int(ln.split()[1]) / 1024.0
    return float("nan")


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def fit_exponent(xs, ys) -> float | None:
    """Least-squares slope of log(y) against log(x)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x and y]
    if len(pts) < 2:
        return None
    xm = sum(p[0] for p in pts) / len(pts)
    ym = sum(p[1] for p in pts) / len(pts)
    return sum((a - xm) * (b - ym) for a, b in pts) / sum((a - xm) ** 2 for a, _ in pts)


def log(msg: str):
    print(msg, flush=True)


def fmt_s(t) -> str:
    if t is None:
        return "-"
    return f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="64x64 only, few repeats")
    parser.add_argument("--transistor", choices=("default", "level1", "bsim", *PUBLISHED_CARDS), default="default",
                        help="transistor model (default: Crossbar.DEFAULT_TRANSISTOR; ptm45hp, ptm45lp: "
                             "Bsim4NMOS from the published PTM 45 nm card, W = 1 um, L = 45 nm)")
    parser.add_argument("--ngspice-timeout", type=float, default=240.0,
                        help="cap (s) of every ngspice run at 128x128 and above")
    parser.add_argument("--no-ngspice", action="store_true", help="xbarsolve only")
    parser.add_argument("--no-memory", action="store_true", help="skip the 256x256 batch-64 memory case")
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    parser.add_argument("--summary", type=pathlib.Path, metavar="JSON",
                        help="only print the tables of an earlier run's results file")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.summary:
        report = json.loads(args.summary.read_text())
        log(f"# {report['mode']} run of {report['started']}; start: {report['uptime_start']}; "
            f"end: {report['uptime_end']}; {report['total_runtime_s']:.0f} s")
        print_summary(report)
        return
    if args.child:
        kind, spec = args.child[0], json.loads(args.child[1])
        out = child_xbar(spec) if kind == "xbar" else child_ngspice(spec)
        print(json.dumps(out))
        return

    quick = args.quick
    tr = args.transistor
    sizes = [64] if quick else [64, 128, 256]
    repeats = {64: 3, 128: 3, 256: 2} if quick else {64: 9, 128: 5, 256: 3}
    ng_repeats = {64: 1} if quick else {64: 3, 128: 1, 256: 1}
    big_batch = 256
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="vs_ngspice_"))
    t_start = time.perf_counter()
    report = {"benchmark": "vs_ngspice", "mode": "quick" if quick else "full", "transistor_option": tr,
              "started": time.strftime("%Y-%m-%d %H:%M:%S"), "uptime_start": uptime(),
              "environment": environment(),
              "setup": {"cell": "1t1r", "transistor_side": "row", "v_gate_V": 1.0,
                        "g_range_S": list(G_RANGE), "v_in_range_V": [0.0, V_MAX], "parasitics_ohm": PARASITICS,
                        "agreement_rtol": AGREEMENT_RTOL, "fast_path_rtol": FAST_PATH_RTOL,
                        "time_note": "xbarsolve: wall-clock medians after a warm-up solve; ngspice "
                                     "analysis time: its 'Total analysis time' (CPU s, rusage); ngspice "
                                     "wall: the whole ngspice process (parse, setup, analysis, raw file)"}}
    log(f"# xbarsolve vs ngspice ({report['mode']} mode), {report['uptime_start']}")
    log(f"# {report['environment']['cpu']}, {report['environment']['cpu_count']} CPUs, "
        f"numba threads {report['environment']['numba_threads']}, {report['environment']['ngspice']}")

    def xbar(n, batch, reps, parasitics=PARASITICS, options=None, **extra):
        spec = {"n": n, "batch": batch, "repeats": reps, "parasitics": parasitics,
                "options": options or {}, "transistor": tr, **extra}
        out = run_child("xbar", spec)
        if "error" in out:
            log(f"  xbarsolve {n}x{n} batch {batch} {options or ''}: ERROR {out['error'][-500:]}")
        else:
            log(f"  xbarsolve {n}x{n} batch {batch} {options or ''}: median {fmt_s(out['wall_s_median'])} "
                f"(cpu {fmt_s(out['cpu_s_median'])}), first call {fmt_s(out['first_call_s'])}, "
                f"{out['iterations_mean']:.1f} Newton it., peak RSS {out['peak_rss_mb']:.0f} MB, "
                f"load {out['load_during']:.2f}")
        return out

    def ngspice(netlist, n, points, reps, timeout, acct=False):
        spec = {"netlist_path": str(netlist), "cols": n, "points": points, "repeats": reps,
                "timeout": timeout, "acct": acct}
        out = run_child("ngspice", spec)
        if "error" in out:
            log(f"  ngspice {n}x{n} ({points} op): ERROR {out['error'][-500:]}")
        elif out["timed_out"] and not out["analysis_s"]:
            log(f"  ngspice {n}x{n} ({points} op): > {timeout:.0f} s (timed out)")
        else:
            log(f"  ngspice {n}x{n} ({points} op{', acct' if acct else ''}): analysis "
                f"{fmt_s(out['analysis_s_median'])}, process wall {fmt_s(out['wall_s_median'])}, "
                f"peak RSS {out['peak_rss_mb']:.0f} MB, load {out['load_during']:.2f}")
        return out

    # ------------------------------------------------------------------ parasitic, batch 1, vs ngspice
    log("## parasitic crossbars, one input vector")
    report["parasitic"] = []
    for n in sizes:
        netlist = tmp / f"xb{n}.cir"
        x = xbar(n, 1, repeats[n], netlist_path=str(netlist), profile=(n == 64))
        case = {"n": n, "xbarsolve": x}
        if not args.no_ngspice and "error" not in x:
            timeout = 600.0 if n == 64 else args.ngspice_timeout
            ng = ngspice(netlist, n, 1, ng_repeats[n], timeout)
            case["ngspice"] = ng
            if n == 64 and "error" not in ng and ng["analysis_s"]:
                case["ngspice_acct"] = ngspice(netlist, n, 1, 1, timeout, acct=True)
            if "error" not in ng and ng["analysis_s"]:
                case["max_rel_diff"] = max_rel_diff(x["column_currents"], ng["column_currents"])
                case["agree"] = case["max_rel_diff"] <= AGREEMENT_RTOL
                case["speedup_vs_analysis"] = ng["analysis_s_median"] / x["wall_s_median"]
                case["speedup_vs_process_wall"] = ng["wall_s_median"] / x["wall_s_median"]
                # ngspice's analysis time is CPU time: compare with xbarsolve's CPU time too (load-robust)
                case["speedup_cpu_vs_analysis"] = ng["analysis_s_median"] / x["cpu_s_median"]
                log(f"  -> {case['speedup_vs_analysis']:.1f}x faster than ngspice's analysis time "
                    f"({case['speedup_cpu_vs_analysis']:.1f}x in CPU time), "
                    f"{case['speedup_vs_process_wall']:.1f}x than its process wall time; "
                    f"column currents agree to {case['max_rel_diff']:.1e} relative")
            elif "error" not in ng:
                case["ngspice_timed_out_s"] = timeout
                case["speedup_vs_analysis_lower_bound"] = timeout / x["wall_s_median"]
                case["speedup_cpu_vs_analysis_lower_bound"] = timeout / x["cpu_s_median"]
        report["parasitic"].append(case)
    ok = [c for c in report["parasitic"] if "error" not in c["xbarsolve"]]
    report["scaling"] = {
        "xbarsolve_exponent_vs_unknowns": fit_exponent([c["xbarsolve"]["n_free"] for c in ok],
                                                       [c["xbarsolve"]["wall_s_median"] for c in ok]),
        "ngspice_exponent_vs_unknowns": fit_exponent(
            [c["xbarsolve"]["n_free"] for c in ok if c.get("speedup_vs_analysis")],
            [c["ngspice"]["analysis_s_median"] for c in ok if c.get("speedup_vs_analysis")]),
        "note": "least-squares slope of log(time) over log(unknowns); unknowns = 3 n^2"}
    log(f"  scaling: xbarsolve time ~ unknowns^{report['scaling']['xbarsolve_exponent_vs_unknowns'] or float('nan'):.2f}"
        + (f", ngspice ~ unknowns^{report['scaling']['ngspice_exponent_vs_unknowns']:.2f}"
           if report["scaling"]["ngspice_exponent_vs_unknowns"] else ""))

    # ------------------------------------------------------------------ batch 256
    log(f"## 64x64 with parasitics, batch {big_batch}")
    check_vectors = 1 if quick else 3
    netlist = tmp / "xb64_batch.cir"
    x = xbar(64, big_batch, 1 if quick else 2, netlist_path=str(netlist), netlist_vectors=check_vectors,
             return_rows=list(range(check_vectors)), profile=not quick)
    case = {"n": 64, "batch": big_batch, "xbarsolve": x}
    if "error" not in x:
        case["solves_per_s"] = big_batch / x["wall_s_median"]
        single = report["parasitic"][0]["xbarsolve"]
        if "error" not in single:
            case["sample0_vs_batch1_rel_diff"] = max_rel_diff(x["column_currents"][0], single["column_currents"][0])
            case["speedup_vs_batch1_per_solve"] = single["wall_s_median"] / (x["wall_s_median"] / big_batch)
        log(f"  -> {case['solves_per_s']:.1f} solves/s")
        if not args.no_ngspice:
            ng = ngspice(netlist, 64, check_vectors, 1, 600.0)
            case["ngspice_first_vectors"] = ng
            if "error" not in ng and ng["analysis_s"]:
                case["max_rel_diff_first_vectors"] = max_rel_diff(x["column_currents"], ng["column_currents"])
                case["agree"] = case["max_rel_diff_first_vectors"] <= AGREEMENT_RTOL
                case["ngspice_solves_per_s"] = check_vectors / ng["analysis_s_median"]
                case["speedup_vs_ngspice_throughput"] = case["solves_per_s"] / case["ngspice_solves_per_s"]
                log(f"  -> first {check_vectors} vectors agree with ngspice to "
                    f"{case['max_rel_diff_first_vectors']:.1e}; ngspice (alter + op) "
                    f"{case['ngspice_solves_per_s']:.2f} solves/s")
    report["batch"] = case

    # ------------------------------------------------------------------ fast path
    log("## 64x64 without parasitics: decoupled fast path vs general solver")
    report["fast_path"] = []
    fp_batch = 64
    for batch in (1, fp_batch):
        reps = (9 if batch == 1 else 3) if not quick else 3
        netlist = tmp / "xb64_r0.cir"
        fast = xbar(64, batch, reps, parasitics=NO_PARASITICS, options={"decoupled_fast_path": True},
                    return_rows=list(range(batch)), netlist_path=str(netlist) if batch == 1 else None)
        general = xbar(64, batch, reps, parasitics=NO_PARASITICS, options={"decoupled_fast_path": False},
                       return_rows=list(range(batch)))
        case = {"n": 64, "batch": batch, "fast": fast, "general": general}
        if "error" not in fast and "error" not in general:
            case["speedup"] = general["wall_s_median"] / fast["wall_s_median"]
            case["max_rel_diff"] = max_rel_diff(fast["column_currents"], general["column_currents"])
            case["equal"] = case["max_rel_diff"] <= FAST_PATH_RTOL
            log(f"  -> batch {batch}: fast path {case['speedup']:.2f}x faster, equal to {case['max_rel_diff']:.1e}")
            if batch == 1 and not args.no_ngspice:
                ng = ngspice(netlist, 64, 1, 1, 600.0)
                case["ngspice"] = ng
                if "error" not in ng and ng["analysis_s"]:
                    case["ngspice_max_rel_diff"] = max_rel_diff(fast["column_currents"], ng["column_currents"])
                    case["fast_speedup_vs_ngspice_analysis"] = ng["analysis_s_median"] / fast["wall_s_median"]
                    log(f"  -> fast path {case['fast_speedup_vs_ngspice_analysis']:.1f}x faster than ngspice's "
                        f"analysis time; agree to {case['ngspice_max_rel_diff']:.1e}")
            for key in ("fast", "general"):
                case[key].pop("column_currents")
        report["fast_path"].append(case)

    # ------------------------------------------------------------------ linear solvers
    log("## linear solvers (parasitic crossbars): GMRES vs sparse LU")
    report["linear_solvers"] = []
    for n in ([64] if quick else [64, 128]):
        for batch in (1, 16):
            reps = 2 if (n == 128 and batch > 1) else 3 if (quick or n == 128) else 5
            res = {b: xbar(n, batch, reps, options={"linear_solver": b}, return_rows=list(range(batch)))
                   for b in ("krylov", "lu", "superlu")}
            case = {"n": n, "batch": batch, **res}
            if all("error" not in r for r in res.values()):
                case["krylov_vs_lu"] = res["lu"]["wall_s_median"] / res["krylov"]["wall_s_median"]
                case["lu_vs_superlu"] = res["superlu"]["wall_s_median"] / res["lu"]["wall_s_median"]
                case["max_rel_diff"] = max(max_rel_diff(res[b]["column_currents"], res["lu"]["column_currents"])
                                           for b in ("krylov", "superlu"))
                log(f"  -> {n}x{n} batch {batch}: GMRES {case['krylov_vs_lu']:.2f}x faster than the sparse LU, "
                    f"which is {case['lu_vs_superlu']:.2f}x faster than SuperLU; answers equal to "
                    f"{case['max_rel_diff']:.1e}")
                for r in res.values():
                    r.pop("column_currents")
            report["linear_solvers"].append(case)

    # ------------------------------------------------------------------ memory
    report["memory"] = None
    if not quick and not args.no_memory:
        log("## peak memory, 256x256, batch 64 (guarded by a batch-8 run)")
        small = xbar(256, 8, 1)
        mem = {"n": 256, "batch": 64, "batch8": small}
        single = next((c["xbarsolve"] for c in report["parasitic"] if c["n"] == 256), None)
        if "error" not in small and single and "error" not in single:
            per_sample = (small["peak_rss_mb"] - single["peak_rss_mb"]) / 7
            predicted = single["peak_rss_mb"] + 63 * per_sample
            mem["per_sample_mb_from_batch1_and_8"] = per_sample
            mem["predicted_batch64_mb"] = predicted
            available = mem_available_mb()
            mem["memory_available_mb"] = available
            log(f"  batch 8 peak {small['peak_rss_mb']:.0f} MB -> predicted batch 64 {predicted:.0f} MB "
                f"(available {available:.0f} MB)")
            if predicted < 0.6 * available:
                big = xbar(256, 64, 1)
                mem["batch64"] = big
                if "error" not in big:
                    mem["peak_rss_mb"] = big["peak_rss_mb"]
                    mem["meets_2gb"] = big["peak_rss_mb"] <= 2048
                    mem["solves_per_s"] = 64 / big["wall_s_median"]
            else:
                mem["skipped"] = f"predicted {predicted:.0f} MB > 60 % of the {available:.0f} MB available"
                log("  skipped: " + mem["skipped"])
        report["memory"] = mem

    report["uptime_end"] = uptime()
    report["git_commit_end"] = environment()["git_commit"]  # other work may land during a long run
    report["total_runtime_s"] = time.perf_counter() - t_start
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1, default=float) + "\n")
    print_summary(report)
    log(f"\nwrote {args.output} ({report['total_runtime_s']:.0f} s in all); {report['uptime_end']}")


def print_summary(r: dict):
    """The Markdown tables of docs/performance.md."""
    log("\n## Summary\n")
    log("| case | xbarsolve wall (median) | xbarsolve CPU | ngspice analysis (CPU) | ngspice process wall "
        "| ratio analysis/wall | ratio analysis/CPU | ratio process wall/wall | Newton it. | peak RSS xbarsolve "
        "| agreement (max rel) | target |")
    log("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in r["parasitic"]:
        x = c["xbarsolve"]
        if "error" in x:
            log(f"| {c['n']}x{c['n']} batch 1 | error | | | | | | | | | | |")
            continue
        ng = c.get("ngspice", {})
        if ng.get("analysis_s"):
            ana, wall = fmt_s(ng["analysis_s_median"]), fmt_s(ng["wall_s_median"])
            ratio, ratio_w = f"{c['speedup_vs_analysis']:.1f}x", f"{c['speedup_vs_process_wall']:.1f}x"
            ratio_c = f"{ng['analysis_s_median'] / x['cpu_s_median']:.1f}x"
            agree = f"{c['max_rel_diff']:.1e} ({'ok' if c['agree'] else 'FAIL'})"
        elif ng.get("timed_out"):
            ana = wall = f"> {c['ngspice_timed_out_s']:.0f} s (timeout)"
            ratio = ratio_w = f"> {c['speedup_vs_analysis_lower_bound']:.0f}x"
            ratio_c = f"> {c['ngspice_timed_out_s'] / x['cpu_s_median']:.0f}x"
            agree = "-"
        else:
            ana = wall = ratio = ratio_w = ratio_c = agree = "-"
        target = ">= 50x" if c["n"] == 64 else "measured"
        log(f"| {c['n']}x{c['n']}, parasitics, batch 1 | {fmt_s(x['wall_s_median'])} (first call "
            f"{fmt_s(x['first_call_s'])}) | {fmt_s(x['cpu_s_median'])} | {ana} | {wall} | {ratio} | {ratio_c} "
            f"| {ratio_w} | {x['iterations_mean']:.1f} | {x['peak_rss_mb']:.0f} MB | {agree} | {target} |")
    b = r["batch"]
    if "error" not in b["xbarsolve"]:
        x = b["xbarsolve"]
        k = len(x["column_currents"])
        agree = (f"{b['max_rel_diff_first_vectors']:.1e} (first {k} vector{'s' if k > 1 else ''})"
                 if "max_rel_diff_first_vectors" in b else "-")
        ng = (f"{b['ngspice_solves_per_s']:.2f} solves/s (alter+op)" if "ngspice_solves_per_s" in b else "-")
        ratio = f"{b['speedup_vs_ngspice_throughput']:.1f}x" if "speedup_vs_ngspice_throughput" in b else "-"
        log(f"| 64x64, parasitics, batch {b['batch']} | {fmt_s(x['wall_s_median'])} = **{b['solves_per_s']:.1f} "
            f"solves/s** | {fmt_s(x['cpu_s_median'])} | {ng} | | {ratio} | | | {x['iterations_mean']:.1f} "
            f"| {x['peak_rss_mb']:.0f} MB | {agree} | >= 10,000 solves/s |")
    for c in r["fast_path"]:
        if "speedup" in c:
            log(f"| 64x64, no parasitics, batch {c['batch']}: fast path vs general | "
                f"{fmt_s(c['fast']['wall_s_median'])} vs {fmt_s(c['general']['wall_s_median'])} | "
                f"{fmt_s(c['fast']['cpu_s_median'])} vs {fmt_s(c['general']['cpu_s_median'])} | | | "
                f"**{c['speedup']:.2f}x** | {c['general']['cpu_s_median'] / c['fast']['cpu_s_median']:.2f}x | | "
                f"{c['fast']['iterations_mean']:.1f} vs {c['general']['iterations_mean']:.1f} | "
                f"{c['fast']['peak_rss_mb']:.0f} MB | {c['max_rel_diff']:.1e} | >= 100x, 1e-12 |")
            if "fast_speedup_vs_ngspice_analysis" in c:
                ng = c["ngspice"]
                log(f"| 64x64, no parasitics, batch 1: fast path vs ngspice | {fmt_s(c['fast']['wall_s_median'])} | "
                    f"{fmt_s(c['fast']['cpu_s_median'])} | {fmt_s(ng['analysis_s_median'])} | "
                    f"{fmt_s(ng['wall_s_median'])} | {c['fast_speedup_vs_ngspice_analysis']:.1f}x | "
                    f"{ng['analysis_s_median'] / c['fast']['cpu_s_median']:.1f}x | "
                    f"{ng['wall_s_median'] / c['fast']['wall_s_median']:.1f}x | | | {c['ngspice_max_rel_diff']:.1e} | - |")
    m = r.get("memory")
    if m:
        if "peak_rss_mb" in m:
            log(f"| 256x256, parasitics, batch 64: memory | {fmt_s(m['batch64']['wall_s_median'])} | "
                f"{fmt_s(m['batch64']['cpu_s_median'])} | | | | | | {m['batch64']['iterations_mean']:.1f} | "
                f"**{m['peak_rss_mb']:.0f} MB** (batch 8: {m['batch8']['peak_rss_mb']:.0f} MB) | | <= 2 GB |")
        elif "predicted_batch64_mb" in m:
            log(f"| 256x256, parasitics, batch 64: memory | skipped | | | | | | | | predicted "
                f"{m['predicted_batch64_mb']:.0f} MB (batch 8: {m['batch8']['peak_rss_mb']:.0f} MB) | | <= 2 GB |")
    s = r["scaling"]
    if s["xbarsolve_exponent_vs_unknowns"]:
        log(f"\nScaling (batch 1, 64 -> {r['parasitic'][-1]['n']}): xbarsolve time ~ unknowns^"
            f"{s['xbarsolve_exponent_vs_unknowns']:.2f}"
            + (f", ngspice analysis time ~ unknowns^{s['ngspice_exponent_vs_unknowns']:.2f}"
               if s["ngspice_exponent_vs_unknowns"] else ""))
    log("\n| linear solvers | GMRES wall (CPU) | sparse LU wall (CPU) | SuperLU wall (CPU) "
        "| GMRES vs sparse LU | sparse LU vs SuperLU | GMRES it. per Newton step | Newton it. (GMRES / LU / SuperLU) "
        "| peak RSS (GMRES / LU / SuperLU) | answers equal to |")
    log("|---|---|---|---|---|---|---|---|---|---|")
    for c in r.get("linear_solvers", []):
        if "krylov_vs_lu" in c:
            kr, nb, su = c["krylov"], c["lu"], c["superlu"]
            log(f"| {c['n']}x{c['n']} batch {c['batch']} | {fmt_s(kr['wall_s_median'])} ({fmt_s(kr['cpu_s_median'])}) | "
                f"{fmt_s(nb['wall_s_median'])} ({fmt_s(nb['cpu_s_median'])}) | "
                f"{fmt_s(su['wall_s_median'])} ({fmt_s(su['cpu_s_median'])}) | {c['krylov_vs_lu']:.2f}x | "
                f"{c['lu_vs_superlu']:.2f}x | {kr.get('gmres_iterations_per_newton_step', float('nan')):.1f} | "
                f"{kr['iterations_mean']:.1f} / {nb['iterations_mean']:.1f} / {su['iterations_mean']:.1f} | "
                f"{kr['peak_rss_mb']:.0f} / {nb['peak_rss_mb']:.0f} / {su['peak_rss_mb']:.0f} MB | {c['max_rel_diff']:.1e} |")
    for label, x in (("64x64 batch 1", r["parasitic"][0]["xbarsolve"]), (f"64x64 batch {r['batch']['batch']}",
                                                                      r["batch"]["xbarsolve"])):
        p = x.get("profile") if "error" not in x else None
        if not p:
            continue
        log(f"\nProfile, {label} (cProfile, one solve, {fmt_s(p['total_s'])}):")
        for k, f in p["parts_fraction"].items():
            log(f"  {k:48s} {f * 100:5.1f} %  {fmt_s(p['parts_s'][k])}")
        log("  numba kernels (own time): " + ", ".join(f"{k} {f * 100:.1f} %" for k, f in p["kernels_fraction"].items()))


if __name__ == "__main__":
    main()
