"""Compare :class:`~xbarsolve.devices.Bsim4NMOS` with ngspice 39, device by device.

ngspice's numbers come from ``device_reference.json`` (committed; ``reference.py`` rewrites it)
or from a live run (``--live``).  One line per case: the worst error of each terminal current in
units of its tolerance (:mod:`.cases`); exit status 1 if any case fails.

Usage::

    python validation/bsim4/compare.py           # against the committed numbers
    python validation/bsim4/compare.py --live    # run ngspice now
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from validation.bsim4.cases import ATOL, CASES, RTOL  # noqa: E402
from validation.bsim4_junction.cases import card_text  # noqa: E402
from validation.bsim4_junction.compare import run_case  # noqa: E402
from xbarsolve.devices.bsim4 import Bsim4NMOS  # noqa: E402
from xbarsolve.devices.bsim4.element import terminal_currents  # noqa: E402

REFERENCE = os.path.join(HERE, "device_reference.json")
TERMINALS = "dgsb"


def device(case) -> Bsim4NMOS:
    return Bsim4NMOS.from_card(card_text(case), temperature=case.temperature + 273.15, gmin=case.gmin,
                               **case.instance)


def ours(case) -> np.ndarray:
    """(n, 4) currents (A) into drain, gate, source, body at the case's biases."""
    fet = device(case)
    out = []
    for vd, vg, vs, vb in case.biases:
        ia, ib, ig, ibody = terminal_currents(vd, vs, fet.element_parameters(v_gate=vg, v_body=vb))
        out.append((ia, ig, ib, ibody))
    return np.array(out)


def rounding_floor(fet: Bsim4NMOS, point) -> float:
    """4·eps·G_max·|V|_max (A): ngspice's rounding of a current through the stiffest branch of the
    device's sub-circuit (its solution is node voltages)."""
    from xbarsolve.devices.bsim4 import element
    p = fet.element_parameters(v_gate=point[1], v_body=point[3])
    h = element.H
    g = max(p[h.g_gate], p[h.g_drain], p[h.g_source], *p[h.g_b_bp:h.g_b_db + 1])
    return 4.0 * np.finfo(float).eps * g * max(abs(v) for v in point)


def stepping_floor(case, point) -> float:
    """6·GMIN·|V|_max (A): what ngspice's gmin stepping may leave in a solution it reached only that
    way (GMIN from each of up to six internal nodes to ground; see validation/bsim4_junction)."""
    return 6.0 * case.gmin * max(abs(v) for v in point)


def compare_case(case, reference: dict) -> dict:
    """Worst |ours − ngspice| / tolerance per terminal, and where."""
    ref = np.array(reference["currents"])
    got = ours(case)
    fet = device(case)
    result = {}
    for k, t in enumerate(TERMINALS):
        floors = np.array([max(rounding_floor(fet, point), stepping_floor(case, point) if stepped else 0.0)
                           for point, stepped in zip(case.biases, reference["stepped"])])
        tol = np.maximum(np.maximum(RTOL[t] * np.abs(ref[:, k]), ATOL), floors)
        ratio = np.abs(got[:, k] - ref[:, k]) / tol
        worst = int(np.argmax(ratio))
        rel = np.abs(got[:, k] - ref[:, k]) / np.maximum(np.abs(ref[:, k]), 1e-300)
        result[t] = {"worst": float(ratio[worst]), "at": list(case.biases[worst]),
                     "max_rel_above_atol": float(np.max(np.where(np.abs(ref[:, k]) > ATOL, rel, 0.0)))}
    return result


def load_reference(path: str = REFERENCE) -> dict:
    with open(path) as fh:
        return json.load(fh)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--live", action="store_true", help="run ngspice now instead of reading the dumps")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    data = None if args.live else load_reference()
    failed = 0
    print("| case | " + " | ".join(f"{t}: worst/tol (max rel)" for t in TERMINALS) + " |")
    print("|---|" + "---|" * len(TERMINALS))
    for case in CASES:
        if args.names and case.name not in args.names:
            continue
        ref = run_case(case) if args.live else data["cases"][case.name]
        res = compare_case(case, ref)
        ok = all(r["worst"] <= 1.0 for r in res.values())
        failed += not ok
        cells = " | ".join(f"{res[t]['worst']:.2g} ({res[t]['max_rel_above_atol']:.1e})" for t in TERMINALS)
        print(f"| {case.name}{'' if ok else ' **FAIL**'} | {cells} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
