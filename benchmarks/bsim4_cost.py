"""What a published BSIM4 card costs per solve, against ``BsimLikeNMOS`` (issue 12, item 5).

    python benchmarks/bsim4_cost.py             # both PTM 45 nm cards, W = 1 um and 200 nm, batch 1 and 32
    python benchmarks/bsim4_cost.py --quick     # W = 1 um only, fewer repeats

Circuit (as ``benchmarks/vs_ngspice.py``): 64x64 1T-1R cells, transistor on the row side,
V_G = 1 V, G uniform in [1/300k, 1/30k] S, inputs uniform in 0..0.5 V (seeded), r_source =
r_sink = 100 Ohm, r_wire = 2.5 Ohm.  The same crossbar is built twice: with
``BsimLikeNMOS()`` (``Crossbar.DEFAULT_TRANSISTOR``) and with ``Bsim4NMOS`` from the published
PTM 45 nm HP or LP card (``validation/cards/``, every DC effect the card switches on: gate
tunnelling, GIDL, impact ionisation, junctions, RGATEMOD and RBODYMOD networks), L = 45 nm.

* **Per solve**: after a warm-up, repetitions alternate BsimLike / Bsim4 solves of the same
  inputs; reported are the medians of wall and CPU time (``process_time``) of each, the ratio of
  the medians and the median of the per-repetition ratios (robust on a busy machine), and the
  Newton iterations of each.  The target is Bsim4/BsimLike <= 1.5.
* **Per evaluation**: the element functions alone, at the bias points of the Bsim4 solution
  (4096 distinct transistors, each with its own parameter vector as in the solver), in chunks of
  256 calls timed with the thread's CPU clock; reported is the 25th percentile over chunks
  (ns per call; the lower percentiles are the least disturbed by other work on the machine):
  BsimLike's ``evaluate``; Bsim4's ``evaluate``, ``current`` and ``terminal_currents``; and,
  to split the cost, the intrinsic device alone (``node_jacobian``: channel and leakage on
  dual numbers) and the channel alone.

The machine load (``uptime``) is recorded at the start and the end.  Results:
``benchmarks/results/bsim4_cost.json`` (``--output`` to change).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "bsim4_cost.json"
CARDS = {"hp": ROOT / "validation" / "cards" / "ptm45_hp.pm", "lp": ROOT / "validation" / "cards" / "ptm45_lp.pm"}
G_RANGE = (1 / 300e3, 1 / 30e3)  # S
V_MAX = 0.5  # V
PARASITICS = {"r_source": 100.0, "r_sink": 100.0, "r_wire": 2.5}  # Ohm
LENGTH = 45e-9  # m
TARGET = 1.5
CHUNK = 256


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: %.2f, %.2f, %.2f" % os.getloadavg()


def write_report(report: dict, output: pathlib.Path) -> None:
    """Record the load at the end, write ``report`` as JSON to ``output`` and say where."""
    report["uptime_end"] = uptime()
    print(f"# end: {report['uptime_end']}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1))
    print(f"results: {output}")


def crossbars(card: str, width: float, n: int = 64, seed: int = 0):
    from xbarsolve import BsimLikeNMOS, Crossbar
    from xbarsolve.devices import Bsim4NMOS
    rng = np.random.default_rng(seed)
    g = rng.uniform(*G_RANGE, size=(n, n))
    fet = Bsim4NMOS.from_card(CARDS[card], w=width, l=LENGTH)
    common = dict(cell="1t1r", transistor_side="row", v_gate=1.0, **PARASITICS)
    return (Crossbar(g, transistor=BsimLikeNMOS(), **common), Crossbar(g, transistor=fet, **common), fet)


def time_solves(reference, candidate, v, repeats: int) -> dict:
    """Interleaved solves of the same inputs; medians and per-repetition ratios."""
    for xb in (reference, candidate):  # warm-up: compilation, caches
        xb.solve(v)
    wall = {"reference": [], "candidate": []}
    cpu = {"reference": [], "candidate": []}
    iterations = {}
    for _ in range(repeats):
        for key, xb in (("reference", reference), ("candidate", candidate)):
            t0, c0 = time.perf_counter(), time.process_time()
            sol = xb.solve(v)
            wall[key].append(time.perf_counter() - t0)
            cpu[key].append(time.process_time() - c0)
            iterations[key] = float(np.mean(sol.iterations))
    med = {k: statistics.median(w) for k, w in wall.items()}
    cmed = {k: statistics.median(c) for k, c in cpu.items()}
    return {"wall_s": wall, "cpu_s": cpu,
            "wall_median_s": med, "cpu_median_s": cmed,
            "ratio_of_medians_wall": med["candidate"] / med["reference"],
            "ratio_of_medians_cpu": cmed["candidate"] / cmed["reference"],
            "median_ratio_wall": statistics.median(c / r for c, r in zip(wall["candidate"], wall["reference"])),
            "median_ratio_cpu": statistics.median(c / r for c, r in zip(cpu["candidate"], cpu["reference"])),
            "iterations": iterations}


def _kernels():
    """numba loops over elements calling one element function each (built once)."""
    from numba import njit
    from xbarsolve import BsimLikeNMOS
    from xbarsolve.devices.bsim4 import element
    from xbarsolve.devices.bsim4.channel import channel
    from xbarsolve.devices.bsim4.intrinsic import node_jacobian
    from xbarsolve.devices.dual import Dual3
    like_evaluate = BsimLikeNMOS.evaluate
    q0 = element.Q_OFFSET
    vg_index, vb_index = element.H.v_gate, element.H.v_body

    @njit
    def like(p, va, vb):
        s = 0.0
        for e in range(p.shape[0]):
            st = like_evaluate(va[e], vb[e], p[e])
            s += st.ia + st.dia_dva
        return s

    @njit
    def evaluate(p, va, vb):
        s = 0.0
        for e in range(p.shape[0]):
            st = element.evaluate(va[e], vb[e], p[e])
            s += st.ia + st.dia_dva
        return s

    @njit
    def current(p, va, vb):
        s = 0.0
        for e in range(p.shape[0]):
            s += element.current(va[e], vb[e], p[e])[0]
        return s

    @njit
    def terminal_currents(p, va, vb):
        s = 0.0
        for e in range(p.shape[0]):
            s += element.terminal_currents(va[e], vb[e], p[e])[2]
        return s

    @njit
    def intrinsic(p, va, vb):
        currents = np.zeros(4)
        jacobian = np.zeros((4, 4))
        s = 0.0
        for e in range(p.shape[0]):
            pe = p[e]
            node_jacobian(va[e], pe[vg_index], vb[e], pe[vb_index], pe[q0:], currents, jacobian)
            s += currents[0] + jacobian[0, 0]
        return s

    @njit
    def channel_only(p, va, vb):
        s = 0.0
        for e in range(p.shape[0]):
            pe = p[e]
            vs = min(va[e], vb[e])
            vgs = Dual3(pe[vg_index] - vs, 1.0, 0.0, 0.0)
            vds = Dual3(abs(va[e] - vb[e]), 0.0, 1.0, 0.0)
            vbs = Dual3(pe[vb_index] - vs, 0.0, 0.0, 1.0)
            ids = channel(vgs, vds, vbs, pe[q0:])[0]
            s += ids.real + ids.d1
        return s

    return {"bsimlike_evaluate": like, "bsim4_evaluate": evaluate, "bsim4_current": current,
            "bsim4_terminal_currents": terminal_currents, "bsim4_intrinsic_device": intrinsic,
            "bsim4_channel_only": channel_only}


def time_evaluations(reference, candidate, fet, v, repeats: int) -> dict:
    """ns per call of each element function at the candidate's solution's bias points."""
    from xbarsolve import BsimLikeNMOS
    sol = candidate.solve(v[:1])
    va, vb = _transistor_terminal_voltages(sol)
    n = va.size
    v_gate = 1.0
    p4 = np.array([fet.element_parameters(v_gate=v_gate, v_body=0.0) for _ in range(n)])
    pl = np.array([BsimLikeNMOS().element_parameters(v_gate=v_gate) for _ in range(n)])
    kernels = _kernels()
    samples = {name: [] for name in kernels}
    for name, f in kernels.items():
        f((pl if name.startswith("bsimlike") else p4)[:2], va[:2], vb[:2])
    for _ in range(repeats):
        for start in range(0, n, CHUNK):
            sl = slice(start, start + CHUNK)
            for name, f in kernels.items():
                p = pl if name.startswith("bsimlike") else p4
                t0 = time.thread_time()
                f(p[sl], va[sl], vb[sl])
                samples[name].append((time.thread_time() - t0) / (sl.stop - sl.start) * 1e9)
    return {name: {"p25_ns": float(np.percentile(s, 25)), "p10_ns": float(np.percentile(s, 10)),
                   "median_ns": float(np.median(s))} for name, s in samples.items()}


def _transistor_terminal_voltages(sol):
    """(va, vb) (V) of every transistor of a batch-1 solution of a row-side 1T-1R crossbar: the
    row line's node (drain side) and the cell's middle node (source side)."""
    return (np.ascontiguousarray(sol.row_voltages[0]).ravel().astype(float),
            np.ascontiguousarray(sol.internal_voltages[0]).ravel().astype(float))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="W = 1 um only, fewer repeats")
    parser.add_argument("--cards", nargs="+", choices=sorted(CARDS), default=["hp", "lp"])
    parser.add_argument("--widths", nargs="+", type=float, default=None, help="W in m (default 1e-6 2e-7)")
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 32])
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args()
    widths = args.widths or ([1e-6] if args.quick else [1e-6, 2e-7])
    repeats = {1: 5 if args.quick else 11}
    big_repeats = 2 if args.quick else 3
    report = {"benchmark": "bsim4_cost", "started": time.strftime("%Y-%m-%d %H:%M:%S"),
              "uptime_start": uptime(), "python": platform.python_version(), "cpu_count": os.cpu_count(),
              "setup": {"n": 64, "cell": "1t1r", "transistor_side": "row", "v_gate_V": 1.0,
                        "g_range_S": list(G_RANGE), "v_in_range_V": [0.0, V_MAX], "parasitics_ohm": PARASITICS,
                        "length_m": LENGTH, "reference": "BsimLikeNMOS()", "target_ratio": TARGET},
              "cases": []}
    print(f"# Bsim4NMOS (published PTM 45 nm cards) vs BsimLikeNMOS, 64x64 1T-1R; {report['uptime_start']}")
    print("| card | W | batch | BsimLike wall (median) | Bsim4 wall (median) | ratio (median of ratios) "
          "| ratio CPU | Newton it. (like / bsim4) |")
    print("|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for card in args.cards:
        for width in widths:
            reference, candidate, fet = crossbars(card, width)
            for batch in args.batches:
                if batch > 1 and width != widths[0]:
                    continue
                v = rng.uniform(0.0, V_MAX, size=(batch, 64))
                r = time_solves(reference, candidate, v, repeats.get(batch, big_repeats))
                case = {"card": card, "w_m": width, "batch": batch, **r}
                report["cases"].append(case)
                it = r["iterations"]
                print(f"| ptm45{card} | {width * 1e9:.0f} nm | {batch} | {r['wall_median_s']['reference'] * 1e3:.1f} ms "
                      f"| {r['wall_median_s']['candidate'] * 1e3:.1f} ms | **{r['median_ratio_wall']:.2f}x** "
                      f"| {r['median_ratio_cpu']:.2f}x | {it['reference']:.1f} / {it['candidate']:.1f} |", flush=True)
            if width == widths[0]:
                ev = time_evaluations(reference, candidate, fet, rng.uniform(0.0, V_MAX, size=(1, 64)),
                                      2 if args.quick else 4)
                report.setdefault("evaluations", {})[card] = ev
    print("\nPer call (ns, 25th percentile of 256-call chunks, thread CPU time), W = "
          f"{widths[0] * 1e9:.0f} nm:")
    for card, ev in report.get("evaluations", {}).items():
        print(f"  ptm45{card}: " + ", ".join(f"{k} {v['p25_ns']:.0f}" for k, v in ev.items()))
    write_report(report, args.output)


if __name__ == "__main__":
    main()
