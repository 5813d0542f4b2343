"""Run ngspice on every validation case and write the reference dumps.

Usage (from the repository root; needs ngspice on the PATH)::

    python validation/generate_reference.py               # every available case
    python validation/generate_reference.py iv_l1_row_g3.33e-05_vg1 xb4x4_l1_row_r500
    python validation/generate_reference.py --skip-slow   # without the 64x64 cases

Each case becomes ``validation/reference/<case>.npz`` (compressed) with

* ``v_in`` (B, rows) V -- the inputs ngspice was run at;
* ``column_currents`` (B, cols), ``source_currents`` (B, rows) A;
* ``row_voltages``, ``column_voltages``, ``internal_voltages`` (B, rows, cols) V
  (internal: NaN for 1R cells);
* ``gate_line_currents`` (B, lines) A, delivered by each gate driver, and
  ``body_current`` (B,) A, taken by all transistor bodies ((B, 0) and NaN for 1R cells);
* ``netlist_sha256`` -- hash of the exact netlist run (a changed case or
  exporter makes the dump stale, which compare.py and the tests detect);
* ``ngspice_version``, ``analysis_time`` (s, ngspice's own), ``wall_time`` (s).

``validation/reference/index.json`` lists every dump with its hash, size and
ngspice timings.  ngspice runs with ``REFERENCE_OPTIONS``: reltol = 1e-9,
abstol = 1e-15 A, vntol = 1e-12 V, and the transistor's own gmin (1e-12 S,
added across each junction exactly as ngspice's MOS1 does) and temperature.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from validation.cases import CASES, get_case  # noqa: E402
from xbarsolve.spice import ngspice_solve, to_spice_netlist  # noqa: E402

REFERENCE_DIR = os.path.join(ROOT, "validation", "reference")
#: ngspice options of the reference runs (gmin and temp/tnom come from the transistor card).
REFERENCE_OPTIONS = {"reltol": 1e-9, "abstol": 1e-15, "vntol": 1e-12}
ARRAYS = ("v_in", "column_currents", "source_currents", "row_voltages", "column_voltages",
          "internal_voltages", "gate_line_currents", "body_current")


def case_title(case) -> str:
    return f"xbarsolve validation case {case.name}: {case.describe()}"


def netlist_of(case, crossbar=None) -> str:
    """The exact netlist the reference of ``case`` is computed from."""
    xb = case.crossbar() if crossbar is None else crossbar
    return to_spice_netlist(xb, case.inputs(), options=REFERENCE_OPTIONS, title=case_title(case))


def netlist_sha256(case, crossbar=None) -> str:
    """SHA-256 (hex) of :func:`netlist_of`: identifies the circuit a dump belongs to."""
    return hashlib.sha256(netlist_of(case, crossbar).encode()).hexdigest()


def ngspice_version() -> str:
    try:
        out = subprocess.run(["ngspice", "-v"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    m = re.search(r"ngspice-\S+", out)
    return m.group(0) if m else "unknown"


def generate(case, out_dir: str = REFERENCE_DIR, version: str | None = None) -> dict:
    """Run ngspice on ``case``, write its dump; return its index entry."""
    xb = case.crossbar()
    v = case.inputs()
    netlist = netlist_of(case, xb)
    ref = ngspice_solve(xb, v, options=REFERENCE_OPTIONS, title=case_title(case))
    if ref["netlist"] != netlist:
        raise RuntimeError(f"{case.name}: netlist mismatch between export and run")
    if ref["warnings"]:  # e.g. an ignored model parameter: the reference would be another circuit
        raise RuntimeError(f"{case.name}: ngspice warned:\n" + "\n".join(ref["warnings"]))
    sha = hashlib.sha256(netlist.encode()).hexdigest()
    version = version or ngspice_version()
    path = os.path.join(out_dir, f"{case.name}.npz")
    if xb.cell == "1r":  # no gate lines, no bodies
        ref = {**ref, "gate_line_currents": np.zeros((v.shape[0], 0)), "body_current": np.full(v.shape[0], np.nan)}
    arrays = {k: np.asarray(ref[k], dtype=np.float64) for k in ARRAYS}
    np.savez_compressed(path, **arrays, netlist_sha256=np.array(sha), ngspice_version=np.array(version),
                        analysis_time=np.array(np.nan if ref["analysis_time"] is None
                                               else ref["analysis_time"]),
                        wall_time=np.array(ref["wall_time"]))
    return {"file": os.path.basename(path), "size": case.size, "batch": int(v.shape[0]),
            "netlist_sha256": sha, "bytes": os.path.getsize(path),
            "ngspice_analysis_time_s": ref["analysis_time"],
            "ngspice_wall_time_s": round(ref["wall_time"], 3), "ngspice_version": version}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", help="case names (default: every available case)")
    parser.add_argument("--skip-slow", action="store_true", help="leave out the slow (64x64) cases")
    parser.add_argument("--out", default=REFERENCE_DIR, help="output folder (default %(default)s)")
    args = parser.parse_args(argv)
    cases = [get_case(n) for n in args.cases] if args.cases else list(CASES)
    os.makedirs(args.out, exist_ok=True)
    index_path = os.path.join(args.out, "index.json")
    index = {"options": REFERENCE_OPTIONS, "cases": {}}
    if os.path.exists(index_path):
        with open(index_path) as fh:
            index["cases"].update(json.load(fh).get("cases", {}))
    known = {c.name for c in CASES}
    index["cases"] = {k: v for k, v in index["cases"].items() if k in known}  # drop removed cases
    version = ngspice_version()
    for case in cases:
        reason = case.unavailable_reason()
        if reason or (args.skip_slow and case.slow):
            print(f"skip  {case.name:34s} {reason or 'slow'}")
            continue
        t0 = time.perf_counter()
        entry = generate(case, args.out, version)
        index["cases"][case.name] = entry
        print(f"wrote {entry['file']:38s} {entry['bytes'] / 1024:8.1f} KiB  ngspice "
              f"{entry['ngspice_analysis_time_s']} s analysis, {time.perf_counter() - t0:.1f} s total",
              flush=True)
        with open(index_path, "w") as fh:  # after every case: an interrupted run keeps what it did
            json.dump({"options": index["options"], "cases": dict(sorted(index["cases"].items()))},
                      fh, indent=1)
            fh.write("\n")
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"reference folder: {total / 1024:.1f} KiB in {len(os.listdir(args.out))} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
