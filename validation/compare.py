"""Solve every validation case with xbarsolve and compare with the ngspice reference dumps.

Usage (from the repository root; ngspice is not needed)::

    python validation/compare.py                # every case with a dump
    python validation/compare.py --skip-slow    # without the 64x64 cases
    python validation/compare.py xb4x4_l1_row_r500 iv_l1_row_g3.33e-05_vg1
    python validation/compare.py --live         # reference from ngspice now, not the dumps

Prints a Markdown table: case, size, batch, the largest absolute and relative
error of the column currents and of the node voltages (row, column and
internal nodes), the fraction of the tolerance used by the worst value of all
(column currents, source currents, voltages; <= 1 passes), the solve times
and the result:

* ``pass`` / ``FAIL`` -- within / outside the case's tolerance;
* ``xfail`` / ``XPASS`` -- a case marked ``known_failure`` that fails as
  expected / now passes (remove the mark);
* ``stale`` -- the case's netlist no longer matches the dump's hash
  (regenerate: ``python validation/generate_reference.py NAME``);
* ``missing`` -- no dump; ``skipped`` -- model unavailable (e.g. BSIM).

Relative errors are taken over values above the absolute floor of the
tolerance (1e-12 A, 1e-9 V); '-' when there are none.  The exit status is 1
when any case is FAIL, XPASS, stale or missing.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from validation.cases import CASES, get_case  # noqa: E402
from validation.generate_reference import REFERENCE_DIR, netlist_sha256  # noqa: E402

BAD = ("FAIL", "XPASS", "stale", "missing")


def load_reference(name: str, ref_dir: str = REFERENCE_DIR) -> dict | None:
    """The dump of case ``name`` as a dict of arrays (scalars as Python values), or None."""
    path = os.path.join(ref_dir, f"{name}.npz")
    if not os.path.exists(path):
        return None
    with np.load(path, allow_pickle=False) as z:
        out = {k: z[k] for k in z.files}
    for k in ("netlist_sha256", "ngspice_version"):
        out[k] = str(out[k])
    for k in ("analysis_time", "wall_time"):
        out[k] = float(out[k])
    return out


def _errors(ours: np.ndarray, ref: np.ndarray, rtol: float, atol: float) -> tuple:
    """(max abs error, max rel error over |ref| > atol, worst |err|/max(rtol|ref|, atol))."""
    ours = np.asarray(ours, dtype=float).ravel()
    ref = np.asarray(ref, dtype=float).ravel()
    both_nan = np.isnan(ours) & np.isnan(ref)
    ours, ref = ours[~both_nan], ref[~both_nan]
    if ref.size == 0:
        return 0.0, float("nan"), 0.0
    err = np.abs(ours - ref)
    err[~np.isfinite(err)] = np.inf
    big = np.abs(ref) > atol
    rel = float(np.max(err[big] / np.abs(ref[big]))) if big.any() else float("nan")
    ratio = float(np.max(err / np.maximum(rtol * np.abs(ref), atol)))
    return float(err.max()), rel, ratio


def live_reference(case) -> dict:
    """A reference computed now by ngspice (as generate_reference.py would), not read from a dump."""
    from xbarsolve.spice import ngspice_solve

    from validation.generate_reference import REFERENCE_OPTIONS, case_title
    xb = case.crossbar()
    ref = ngspice_solve(xb, case.inputs(), options=REFERENCE_OPTIONS, title=case_title(case))
    ref["netlist_sha256"] = netlist_sha256(case, xb)
    return ref


def compare_case(case, ref: dict | None = None, *, ref_dir: str = REFERENCE_DIR) -> dict:
    """Solve ``case`` with xbarsolve and compare with its dump (or with ``ref``).

    Returns a dict: ``name``, ``size``, ``batch``, ``status`` (see module
    docstring), ``icol_abs``/``icol_rel``, ``isrc_abs``/``isrc_rel`` (A, -),
    ``v_abs``/``v_rel`` (V, -), ``ileak_abs``/``ileak_rel`` (A, -: gate-line and body currents), ``worst`` (fraction of tolerance used),
    ``time_ours`` and ``time_ngspice`` (s), ``detail`` (text).
    """
    out = {"name": case.name, "size": case.size, "batch": None, "status": None, "detail": "",
           "icol_abs": np.nan, "icol_rel": np.nan, "isrc_abs": np.nan, "isrc_rel": np.nan,
           "v_abs": np.nan, "v_rel": np.nan, "ileak_abs": np.nan, "ileak_rel": np.nan, "worst": np.nan,
           "time_ours": np.nan,
           "time_ngspice": np.nan}
    reason = case.unavailable_reason()
    if reason:
        out.update(status="skipped", detail=reason)
        return out
    if ref is None:
        ref = load_reference(case.name, ref_dir)
    if ref is None:
        out.update(status="missing", detail=f"no dump; run validation/generate_reference.py {case.name}")
        return out
    xb = case.crossbar()
    v = case.inputs()
    out["batch"] = int(v.shape[0])
    out["time_ngspice"] = ref.get("analysis_time", np.nan)
    sha = netlist_sha256(case, xb)
    if sha != ref["netlist_sha256"] or not np.array_equal(v, ref["v_in"]):
        out.update(status="stale", detail="case netlist differs from the dump: regenerate it")
        return out
    t0 = time.perf_counter()
    sol = xb.solve(v)
    out["time_ours"] = time.perf_counter() - t0
    tol = case.tol
    icol = _errors(sol.column_currents, ref["column_currents"], tol.current_rtol, tol.current_atol)
    isrc = _errors(sol.source_currents, ref["source_currents"], tol.current_rtol, tol.current_atol)
    ours_v = np.concatenate([sol.row_voltages.ravel(), sol.column_voltages.ravel(),
                             sol.internal_voltages.ravel()])
    ref_v = np.concatenate([ref["row_voltages"].ravel(), ref["column_voltages"].ravel(),
                            ref["internal_voltages"].ravel()])
    volt = _errors(ours_v, ref_v, tol.voltage_rtol, tol.voltage_atol)
    worst = max(icol[2], isrc[2], volt[2])
    out.update(icol_abs=icol[0], icol_rel=icol[1], isrc_abs=isrc[0], isrc_rel=isrc[1],
               v_abs=volt[0], v_rel=volt[1])
    if xb.cell == "1t1r":  # gate-line and body currents (dumps before issue 12 lack them: stale anyway)
        ours_leak = np.concatenate([sol.gate_line_currents.ravel(), sol.body_currents.sum(axis=(1, 2))])
        ref_leak = np.concatenate([ref["gate_line_currents"].ravel(), ref["body_current"].ravel()])
        leak = _errors(ours_leak, ref_leak, tol.leak_rtol, tol.leak_atol)
        worst = max(worst, leak[2])
        out.update(ileak_abs=leak[0], ileak_rel=leak[1])
    out["worst"] = worst
    ok = worst <= 1.0
    if case.known_failure:
        out["status"] = "XPASS" if ok else "xfail"
        out["detail"] = case.known_failure
    else:
        out["status"] = "pass" if ok else "FAIL"
    return out


def _fmt(x, spec=".1e") -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "-"
    return format(x, spec)


def format_table(results: list) -> str:
    """Markdown table of :func:`compare_case` results."""
    head = ("| case | size | B | max abs err I_col (A) | max rel err I_col | max abs err V (V) "
            "| max rel err V | max abs err I_gate, I_body (A) | tol used | t xbarsolve (s) | t ngspice (s) "
            "| result |")
    lines = [head, "|" + "---|" * 12]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['size']} | {r['batch'] if r['batch'] is not None else '-'} "
            f"| {_fmt(r['icol_abs'])} | {_fmt(r['icol_rel'])} | {_fmt(r['v_abs'])} | {_fmt(r['v_rel'])} "
            f"| {_fmt(r['ileak_abs'])} "
            f"| {_fmt(r['worst'], '.2g')} | {_fmt(r['time_ours'], '.2f')} | {_fmt(r['time_ngspice'], '.3f')} "
            f"| {r['status']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument("--skip-slow", action="store_true", help="leave out the slow (64x64) cases")
    parser.add_argument("--ref-dir", default=REFERENCE_DIR)
    parser.add_argument("--live", action="store_true",
                        help="run ngspice now for every case instead of reading the dumps")
    args = parser.parse_args(argv)
    cases = [get_case(n) for n in args.cases] if args.cases else [c for c in CASES
                                                                   if not (args.skip_slow and c.slow)]
    results = []
    for case in cases:
        ref = live_reference(case) if args.live and case.available else None
        results.append(compare_case(case, ref, ref_dir=args.ref_dir))
        r = results[-1]
        print(f"{r['status']:8s} {r['name']} (worst {_fmt(r['worst'], '.2g')} of tolerance)",
              file=sys.stderr, flush=True)
    print(format_table(results))
    notes = [r for r in results if r["detail"]]
    if notes:
        print()
        for r in notes:
            print(f"* {r['name']} ({r['status']}): {r['detail']}")
    counts = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print("\n" + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    kinds = {c.tol: ("PTM cards (Bsim4NMOS)" if c.transistor.startswith("ptm") else
                     "BSIM-like" if c.transistor.startswith("bsim") else "level-1 / passive") for c in cases}
    for tol, kind in sorted(kinds.items(), key=lambda t: t[1]):
        print(f"tolerance ({kind}): currents "
              f"max({tol.current_rtol:g}*|I|, {tol.current_atol:g} A), voltages "
              f"max({tol.voltage_rtol:g}*|V|, {tol.voltage_atol:g} V), gate-line and body currents "
              f"max({tol.leak_rtol:g}*|I|, {tol.leak_atol:g} A)")
    return 1 if any(r["status"] in BAD for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
