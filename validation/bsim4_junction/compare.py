"""Compare xbarsolve's BSIM4 junction and parasitic-resistance models with ngspice 39.

ngspice's numbers come from ``reference.json`` (committed; ``reference.py`` rewrites it) or from a
live run (``--live``).  Prints one line per case with the worst error in units of the tolerance
(:mod:`.cases`); exit status 1 if any case fails.

Usage::

    python validation/bsim4_junction/compare.py            # against the committed numbers
    python validation/bsim4_junction/compare.py --live     # run ngspice now
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from validation.bsim4_junction.cases import (CASES, CURRENT_ATOL, CURRENT_RTOL, RESISTANCE_RTOL,  # noqa: E402
                                             card_text, load_reference, needed_stepping, netlist)
from validation.bsim4_junction.network import Network  # noqa: E402
from xbarsolve.devices.bsim4.binning import size_dependent  # noqa: E402
from xbarsolve.devices.bsim4.card import InstanceParameters, read_model_card  # noqa: E402
from xbarsolve.devices.bsim4.junction import junction_diodes  # noqa: E402
from xbarsolve.devices.bsim4.parasitics import parasitic_network, series_resistance  # noqa: E402


def device(case):
    """(sizes, JunctionDiodes, ParasiticNetwork) of ``case`` from xbarsolve's models."""
    card = read_model_card(card_text(case), source=case.name)
    sizes = size_dependent(card, InstanceParameters.from_keywords(**case.instance))
    temperature = case.temperature + 273.15
    return sizes, junction_diodes(sizes, temperature), parasitic_network(sizes, temperature)


def _run(case) -> dict:
    from xbarsolve.spice import run_ngspice
    out = run_ngspice(netlist(case), expected_points=1, timeout=120.0)
    c, v = out["currents"], out["voltages"]
    n = len(case.biases)
    result = {"currents": [[-float(c[f"v{t}{k}"][0]) for t in "dgsb"] for k in range(n)],
              "stepped": [needed_stepping(out["log"])] * n}
    for q in ("vgs", "vds", "vbs"):
        result[q] = [float(v[f"@m{k}[{q}]"][0]) for k in range(n)]
    if "m0#gate" in v:
        result["gate_node"] = [float(v[f"m{k}#gate"][0]) for k in range(n)]
    return result


def run_case(case) -> dict:
    """ngspice's numbers for ``case``: terminal currents (n, 4) into d, g, s, b, whether each point
    needed stepping, and what the kind needs.

    All bias points in one run (:func:`~.cases.netlist`); when ngspice needs stepping for that
    run, each point in a run of its own, so that only the points that need it are marked.
    """
    joint = _run(case)
    if not any(joint["stepped"]) or len(case.biases) == 1:
        return joint
    parts = [_run(dataclasses.replace(case, biases=(point,))) for point in case.biases]
    return {k: [x for part in parts for x in part[k]] for k in parts[0]}


def rounding_floor(net, point) -> float:
    """4·eps·G_max·|V|_max (A): ngspice's rounding of a current through the device's stiffest branch."""
    g = [1.0 / r for r in (net.source_resistance, net.drain_resistance) if r > 0.0]
    for p in (net.source_series, net.drain_series):
        if p is not None:
            g.append(1.0 / (p[0] + p[1]))   # the smallest the RDSMOD = 1 resistance can be
    if net.body_conductances is not None:
        g += list(net.body_conductances)
    return 4.0 * np.finfo(float).eps * max(g, default=0.0) * max(abs(v) for v in point)


def stepping_floor(network, case, point) -> float:
    """(internal nodes)·GMIN·|V|_max (A): what ngspice's stepping may leave in a solution."""
    return len(network.internal) * case.gmin * max(abs(v) for v in point)


def compare_case(case, ref: dict) -> dict:
    """Errors of xbarsolve against ngspice's numbers ``ref`` for one case.

    Returns {"worst": largest error / tolerance, "detail": text}.
    """
    sizes, diodes, net = device(case)
    b = np.array(case.biases, dtype=float)
    ng = np.array(ref["currents"])
    if case.kind == "terminal":
        network = Network(diodes, net, case.gmin)
        ours = np.array([network.solve(*point)[0] for point in b])
        err = np.abs(ours - ng)
        stepped = ref.get("stepped", [False] * len(b))
        floor = np.array([[max(CURRENT_ATOL, rounding_floor(net, point),
                                stepping_floor(network, case, point) if st else 0.0)]
                          for point, st in zip(b, stepped)])
        tol = np.maximum(CURRENT_RTOL * np.abs(ng), floor)
        k = np.unravel_index(np.argmax(err / tol), err.shape)
        return {"worst": float(np.max(err / tol)),
                "detail": f"max |I - I_ng| / tol at bias {tuple(b[k[0]])}, terminal {'dgsb'[k[1]]}: "
                          f"ours {ours[k]:.12g} A, ngspice {ng[k]:.12g} A"}
    if case.kind == "gate":
        measurable = np.abs(ng[:, 1]) > 1e-15   # a gate current to measure the drop with
        if not measurable.any():
            return {"worst": np.inf, "detail": "no bias point has a gate current"}
        r_ng = (b[measurable, 1] - np.array(ref["gate_node"])[measurable]) / ng[measurable, 1]
        rel = np.abs(r_ng / net.gate_resistance - 1.0)
        return {"worst": float(np.max(rel) / RESISTANCE_RTOL),
                "detail": f"Rgeltd ours {net.gate_resistance:.12g} ohm, ngspice {r_ng.tolist()}"}
    if case.kind == "series":
        vgs, vds, vbs = (np.array(ref[k]) for k in ("vgs", "vds", "vbs"))
        v_sp = b[:, 1] - vgs          # RGATEMOD = 0: the intrinsic gate is the gate
        v_dp = v_sp + vds
        r_s_ng = (v_sp - b[:, 2]) / (-ng[:, 2])
        r_d_ng = (b[:, 0] - v_dp) / ng[:, 0]
        r_s = np.array([series_resistance(vg, vb, net.source_series)[0] for vg, vb in zip(vgs, vbs)])
        r_d = np.array([series_resistance(vg - vd, vb - vd, net.drain_series)[0]
                        for vg, vd, vb in zip(vgs, vds, vbs)])
        rel = np.concatenate([np.abs(r_s / r_s_ng - 1.0), np.abs(r_d / r_d_ng - 1.0)])
        return {"worst": float(np.max(rel) / RESISTANCE_RTOL),
                "detail": f"Rs ours {r_s.tolist()} ngspice {r_s_ng.tolist()}; Rd ours {r_d.tolist()} "
                          f"ngspice {r_d_ng.tolist()}"}
    raise ValueError(f"unknown case kind {case.kind!r}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--live", action="store_true", help="run ngspice now instead of reading reference.json")
    ap.add_argument("names", nargs="*", help="cases to compare (default: all)")
    args = ap.parse_args(argv)
    reference = None if args.live else load_reference()
    failed = 0
    print(f"| case | kind | worst error / tolerance |\n|---|---|---|")
    for case in CASES:
        if args.names and case.name not in args.names:
            continue
        ref = run_case(case) if args.live else reference["cases"][case.name]
        r = compare_case(case, ref)
        ok = r["worst"] <= 1.0
        failed += not ok
        print(f"| {case.name} | {case.kind} | {r['worst']:.3g}{'' if ok else ' FAIL: ' + r['detail']} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
