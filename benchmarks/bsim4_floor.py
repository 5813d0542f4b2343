"""The least a published BSIM4 card's evaluation can cost, against ``BsimLikeNMOS`` (issue 12, item 5).

    python benchmarks/bsim4_floor.py            # both PTM 45 nm cards, W = 1 um
    python benchmarks/bsim4_floor.py --quick

Item 5 asks a card with every DC effect on to cost at most 1.5x ``BsimLikeNMOS`` per 64x64 solve.
A solve's time is (element evaluations + the linear algebra) x Newton steps, and at batch 32 the
element evaluations dominate, so the ratio of one transistor evaluation bounds the ratio of a
solve from below as the batch grows.  This script measures, per call, at the bias points of the
``bsim4_cost.py`` crossbar's solution (4096 transistors, forward mode):

* ``bsimlike_evaluate`` -- the reference: the BSIM-like element's whole evaluation (current and its
  two partial derivatives, on two-tangent dual numbers);
* ``bsim4_intrinsic_value`` -- the card's intrinsic device (channel and every leakage current of
  the card) on plain float64: the value alone, no derivative.  No exact evaluation with
  derivatives can cost less: this is the floor;
* ``bsim4_intrinsic_complex`` -- the same on complex numbers (complex step: one derivative);
* ``bsim4_intrinsic_dual3`` -- the same on three-tangent duals (every derivative the element needs:
  with RGATEMOD/RBODYMOD the internal g' and b' need dI/dV_g' and dI/dV_b' besides dI/dV_ds);
* ``bsim4_evaluate`` -- the card's whole element (intrinsic device, junctions, RGATEMOD/RBODYMOD
  networks, elimination of the internal nodes): what a Newton step pays per transistor.

Timing: the functions are interleaved, each over all 4096 bias points per repetition, thread CPU
time; medians over repetitions.  Float-valued evaluation needs ``chain``/``constant_like`` for
floats, which the library does not register (its device code runs on duals or complex numbers);
they are registered here, for this measurement only.  Results: ``benchmarks/results/bsim4_floor.json``.
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

import numpy as np
from numba import njit, types
from numba.extending import overload

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bsim4_cost import V_MAX, _transistor_terminal_voltages, crossbars, uptime, write_report  # noqa: E402
from xbarsolve import BsimLikeNMOS  # noqa: E402
from xbarsolve.devices import dual  # noqa: E402
from xbarsolve.devices.bsim4 import element  # noqa: E402
from xbarsolve.devices.bsim4.intrinsic import mode_frame_currents  # noqa: E402
from xbarsolve.devices.dual import Dual3  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bsim4_floor.json"


@overload(dual.chain)
def _chain_float(z, value, slope):
    if isinstance(z, types.Float):
        return lambda z, value, slope: value


@overload(dual.constant_like)
def _constant_float(z, value):
    if isinstance(z, types.Float):
        return lambda z, value: float(value)


Q0 = element.Q_OFFSET


@njit
def intrinsic_value(q, vgs, vds, vbs):
    s = 0.0
    for e in range(vgs.size):
        for z in mode_frame_currents(vgs[e], vds[e], vbs[e], vgs[e] - vds[e], vgs[e], False, q):
            s += z
    return s


@njit
def intrinsic_complex(q, vgs, vds, vbs):
    s = 0.0
    for e in range(vgs.size):
        g = complex(vgs[e], 1e-30)
        d = complex(vds[e], 0.0)
        for z in mode_frame_currents(g, d, complex(vbs[e], 0.0), g - d, g, False, q):
            s += z.real + z.imag
    return s


@njit
def intrinsic_dual3(q, vgs, vds, vbs):
    s = 0.0
    for e in range(vgs.size):
        g = Dual3(vgs[e], 1.0, 0.0, 0.0)
        d = Dual3(vds[e], 0.0, 1.0, 0.0)
        for z in mode_frame_currents(g, d, Dual3(vbs[e], 0.0, 0.0, 1.0), g - d, g, False, q):
            s += z.real + z.d1 + z.d2 + z.d3
    return s


def _element_loop(evaluate):
    @njit
    def loop(p, va, vb):
        s = 0.0
        for e in range(va.size):
            st = evaluate(va[e], vb[e], p)
            s += st.ia + st.dia_dva
        return s
    return loop


def measure(card: str, repeats: int) -> dict:
    _, candidate, fet = crossbars(card, 1e-6)
    v = np.random.default_rng(0).uniform(0.0, V_MAX, size=(1, 64))
    va, vb = _transistor_terminal_voltages(candidate.solve(v))
    v_gate = 1.0
    p4 = fet.element_parameters(v_gate=v_gate, v_body=0.0)
    pl = BsimLikeNMOS().element_parameters(v_gate=v_gate)
    q = np.ascontiguousarray(p4[Q0:])
    # forward-mode biases of the intrinsic device (the cards' internal nodes sit within ~10 nV of
    # the terminals, so the terminal voltages are its biases to that accuracy)
    vs = np.minimum(va, vb)
    vgs, vds, vbs = v_gate - vs, np.abs(va - vb), 0.0 - vs
    like, whole = _element_loop(BsimLikeNMOS.evaluate), _element_loop(element.evaluate)
    calls = {"bsimlike_evaluate": lambda: like(pl, va, vb),
             "bsim4_intrinsic_value": lambda: intrinsic_value(q, vgs, vds, vbs),
             "bsim4_intrinsic_complex": lambda: intrinsic_complex(q, vgs, vds, vbs),
             "bsim4_intrinsic_dual3": lambda: intrinsic_dual3(q, vgs, vds, vbs),
             "bsim4_evaluate": lambda: whole(p4, va, vb)}
    for f in calls.values():
        f()
    samples = {k: [] for k in calls}
    for _ in range(repeats):
        for name, f in calls.items():
            t0 = time.thread_time()
            f()
            samples[name].append((time.thread_time() - t0) / va.size * 1e9)
    ns = {k: statistics.median(s) for k, s in samples.items()}
    ref = ns["bsimlike_evaluate"]
    return {"ns_per_call_median": ns, "ratio_to_bsimlike": {k: v / ref for k, v in ns.items()},
            "ns_per_call_all": samples, "transistors": int(va.size)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--cards", nargs="+", choices=("hp", "lp"), default=["hp", "lp"])
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args()
    report = {"benchmark": "bsim4_floor", "started": time.strftime("%Y-%m-%d %H:%M:%S"),
              "uptime_start": uptime(), "cards": {}}
    print(f"# per call at the bias points of a 64x64 solution (ns, median); {report['uptime_start']}")
    print("| card | BsimLike evaluate | Bsim4 intrinsic, value only (floor) | complex step | Dual3 "
          "| Bsim4 element evaluate |")
    print("|---|---|---|---|---|---|")
    for card in args.cards:
        r = measure(card, 9 if args.quick else 31)
        report["cards"][card] = r
        ns, ratio = r["ns_per_call_median"], r["ratio_to_bsimlike"]
        cells = [f"{ns[k]:.0f} ({ratio[k]:.2f}x)" for k in ("bsimlike_evaluate", "bsim4_intrinsic_value",
                                                            "bsim4_intrinsic_complex", "bsim4_intrinsic_dual3",
                                                            "bsim4_evaluate")]
        print(f"| ptm45{card} | " + " | ".join(cells) + " |", flush=True)
    write_report(report, args.output)


if __name__ == "__main__":
    main()
