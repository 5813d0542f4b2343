"""Compare :class:`xbarsolve.devices.bsim.BsimLikeNMOS` with ngspice's BSIM4 (level 54).

Sweeps one transistor (source at 0 V) over V_DS = 0…1.0 V at several V_GS and
V_BS in ngspice, using exactly the card the model writes
(:meth:`BsimLikeNMOS.bsim4_model_card`), and prints, per curve, the largest
|I_model − I_ngspice| relative to the curve's largest current.  The channel
current is read at the source, whose junction is at V_SB = −V_BS with zero
area, and gmin is set to 1e-20 S, so junction currents do not enter.

Usage::

    python validation/bsim/compare_bsim4.py            # default card
    python validation/bsim/compare_bsim4.py --perturb  # also cards with changed parameters
    python validation/bsim/compare_bsim4.py --cell     # also 1T-1R cell currents
    python validation/bsim/compare_bsim4.py --card ptm45hp.pm --cell  # vs another card
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from xbarsolve.devices.bsim import BsimLikeNMOS  # noqa: E402


def run_ngspice(netlist: str, timeout: float = 60.0) -> str:
    """Run ``ngspice -b`` on ``netlist`` (text); return its stdout."""
    exe = shutil.which("ngspice")
    if exe is None:
        raise RuntimeError("ngspice not found on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "deck.cir")
        with open(path, "w") as fh:
            fh.write(netlist)
        res = subprocess.run([exe, "-b", path], capture_output=True, text=True,
                             timeout=timeout, cwd=tmp)
        out_path = os.path.join(tmp, "out.txt")
        # ngspice -b exits 1 when the deck has no .print line: judge by the output file
        if not os.path.exists(out_path) or "rror" in res.stderr:
            raise RuntimeError(f"ngspice failed:\n{res.stdout}\n{res.stderr}")
        with open(out_path) as fh:
            return fh.read()


def read_card(path: str) -> str:
    """A ``.model`` card from a file (e.g. a published PTM card), renamed to ``nbsim``."""
    with open(path) as fh:
        text = fh.read()
    match = re.search(r"^\s*\.model\s+(\S+)", text, flags=re.IGNORECASE | re.MULTILINE)
    if match is None:
        raise ValueError(f"no .model line in {path}")
    return re.sub(r"(?im)^(\s*\.model\s+)\S+", r"\1nbsim", text[match.start():], count=1)


def ngspice_ids(model: BsimLikeNMOS, vgs_values, vbs: float, vds_max: float = 1.0,
                n_vds: int = 101, card: str | None = None) -> tuple:
    """ngspice channel current on V_DS = linspace(0, vds_max, n_vds) for each V_GS (V).

    ``card``: the ``.model nbsim ...`` text to simulate (default: the model's own
    :meth:`~BsimLikeNMOS.bsim4_model_card`).  Returns ``(vds, ids)`` with
    ``ids`` of shape (len(vgs_values), n_vds), in A.
    """
    step = vds_max / (n_vds - 1)
    card = model.bsim4_model_card("nbsim") if card is None else card
    lines = ["* BsimLikeNMOS vs BSIM4", card.rstrip(),
             model.bsim4_instance("1", "d", "g", "s", "b", "nbsim"),
             "Vd d 0 0", "Vg g 0 0", "Vs s 0 0", f"Vb b 0 {float(vbs)!r}",
             f".temp {model.temperature - 273.15!r}",
             ".options gmin=1e-20 abstol=1e-20 reltol=1e-10 vntol=1e-12",
             ".control", "set wr_singlescale", "option numdgt=15"]
    for k, vg in enumerate(vgs_values):
        lines.append(f"alter Vg dc = {float(vg)!r}")
        lines.append(f"dc Vd 0 {float(vds_max)!r} {step!r}")
        if k == 1:
            lines.append("set appendwrite")
        lines.append("wrdata out.txt i(Vs)")
    lines += [".endc", ".end"]
    text = run_ngspice("\n".join(lines) + "\n")
    rows = np.array([[float(x) for x in line.split()] for line in text.strip().splitlines()])
    vds = rows[:n_vds, 0]
    return vds, rows[:, 1].reshape(len(vgs_values), n_vds)


def model_ids(model: BsimLikeNMOS, vgs_values, vbs: float, vds) -> np.ndarray:
    """The model's channel current (A), shape (len(vgs_values), len(vds))."""
    return np.array([[model.channel_current(vg, vd, vbs)[0] for vd in vds] for vg in vgs_values])


def compare(model: BsimLikeNMOS, vgs_values=(0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3),
            vbs_values=(0.0, -0.3), vds_max=1.0, n_vds=101, verbose=True, card=None) -> float:
    """Print the max relative error per curve; return the overall max."""
    worst = 0.0
    for vbs in vbs_values:
        vds, ref = ngspice_ids(model, vgs_values, vbs, vds_max, n_vds, card)
        mine = model_ids(model, vgs_values, vbs, vds)
        for vg, r, m in zip(vgs_values, ref, mine):
            err = np.max(np.abs(m - r)) / np.max(np.abs(r))
            worst = max(worst, err)
            if verbose:
                print(f"V_BS={vbs:+.2f} V  V_GS={vg:.2f} V  I_max={np.max(np.abs(r)):.4e} A  "
                      f"max rel err={err:.2e}")
    if verbose:
        print(f"overall max relative error: {worst:.2e}")
    return worst


def ngspice_cell(model: BsimLikeNMOS, topology: str, v_gate: float, g_mem: float,
                 vin_max: float = 0.5, n_vin: int = 51, card: str | None = None) -> tuple:
    """ngspice 1T-1R cell input current (A) over V_in = linspace(0, vin_max, n_vin) (V).

    ``topology`` "row": drain at the row input, memristor (1/g_mem ohm) from
    the source to the 0 V column; "col": memristor from the row to the drain,
    source at the 0 V column.  Body at 0 V.
    """
    step = vin_max / (n_vin - 1)
    if topology == "row":
        devs = [model.bsim4_instance("1", "in", "g", "x", "0", "nbsim"), f"Rm x 0 {1.0 / g_mem!r}"]
    elif topology == "col":
        devs = [f"Rm in x {1.0 / g_mem!r}", model.bsim4_instance("1", "x", "g", "0", "0", "nbsim")]
    else:
        raise ValueError(f"topology must be 'row' or 'col', got {topology!r}")
    card = model.bsim4_model_card("nbsim") if card is None else card
    lines = ["* 1T-1R cell", card.rstrip(), *devs,
             "Vin in 0 0", f"Vg g 0 {float(v_gate)!r}", f".temp {model.temperature - 273.15!r}",
             ".options abstol=1e-18 reltol=1e-10 vntol=1e-12", ".control", "set wr_singlescale",
             "option numdgt=15", f"dc Vin 0 {float(vin_max)!r} {step!r}", "wrdata out.txt i(Vin)",
             ".endc", ".end"]
    rows = np.array([[float(x) for x in line.split()]
                     for line in run_ngspice("\n".join(lines) + "\n").strip().splitlines()])
    return rows[:, 0], -rows[:, 1]


def model_cell(model: BsimLikeNMOS, topology: str, v_gate: float, g_mem: float, vin) -> np.ndarray:
    """The model's 1T-1R cell input current (A), the internal node solved with the element kernel."""
    from scipy.optimize import brentq
    p = model.element_parameters(v_gate=v_gate, v_body=0.0)
    ev = type(model).evaluate
    out = []
    for v in vin:
        v = float(v)
        if v == 0.0:
            out.append(0.0)
            continue
        if topology == "row":  # transistor a=in, b=x; KCL at x: current out of b = memristor
            x = brentq(lambda x: -ev(v, x, p)[1] - g_mem * x, 0.0, v, xtol=1e-16, rtol=1e-15)
            out.append(ev(v, x, p)[0])  # input current, drain-junction leakage included
        else:  # memristor in->x, transistor a=x, b=0
            x = brentq(lambda x: g_mem * (v - x) - ev(x, 0.0, p)[0], 0.0, v, xtol=1e-16, rtol=1e-15)
            out.append(g_mem * (v - x))
    return np.array(out)


def compare_cells(model: BsimLikeNMOS, verbose=True, card=None) -> float:
    """1T-1R cell currents, model vs ngspice, V_in 0…0.5 V; returns the max relative error."""
    worst = 0.0
    for topology in ("row", "col"):
        for vg in (0.7, 0.8, 1.0, 1.3):
            for g in (3e-6, 1e-5, 3e-5, 5e-5):
                vin, ref = ngspice_cell(model, topology, vg, g, card=card)
                mine = model_cell(model, topology, vg, g, vin)
                err = np.max(np.abs(mine - ref)) / np.max(np.abs(ref))
                worst = max(worst, err)
                if verbose:
                    print(f"{topology}  V_G={vg:.1f} V  G_M={g:.0e} S  I(0.5 V)={ref[-1]:.4e} A  "
                          f"I/(G_M·V_in)={ref[-1] / (g * vin[-1]):.3f}  max rel err={err:.2e}")
    if verbose:
        print(f"cells: overall max relative error: {worst:.2e}")
    return worst


# Each entry changes the default card; the model must still match BSIM4.
PERTURBATIONS = [
    dict(k2=-0.05), dict(k2=0.03), dict(k1=0.55, toxm=1.4e-9), dict(dvt2=-0.03),
    dict(dvt0=2.0, dvt1=1.2), dict(etab=-0.01), dict(eta0=0.02, dsub=0.3),
    dict(dvtp0=1e-9, dvtp1=0.2), dict(nfactor=1.2, cit=1e-4, cdsc=2.4e-4, cdscb=-1e-4,
                                      cdscd=1e-4),
    dict(voff=-0.08, voffl=1e-10, minv=-0.3), dict(phin=0.05), dict(u0=0.03, ua=1e-9, ub=5e-19,
                                                                     uc=-5e-11),
    dict(vsat=90000.0), dict(a0=1.5, ags=0.5, b0=1e-8, b1=1e-8, keta=-0.05), dict(a2=0.7),
    dict(rdsw=400.0, rdswmin=50.0, prwg=0.3, prwb=-0.1, wr=0.9), dict(delta=0.03),
    dict(pclm=0.5, pvag=0.6), dict(pdiblc1=0.3, pdiblc2=0.01, pdiblcb=-0.1, drout=0.8),
    dict(pdits=0.3, pditsd=0.5, pditsl=1e7, fprout=0.5), dict(pscbe1=4e8, pscbe2=1e-5),
    dict(toxe=1.8e-9, toxp=1.5e-9, toxm=1.8e-9), dict(epsrox=3.5),
    dict(epsrox=7.0, toxe=2.5e-9, toxp=2e-9, toxm=2.5e-9), dict(ados=1.5, bdos=0.8),
    dict(vfb=-0.9), dict(vfb=0.0),
    dict(ndep=1e18, nsd=1e20, xj=3e-8), dict(w=1e-6, l=90e-9, xw=5e-9, xl=0.0, dwj=2e-9),
    dict(temperature=330.0),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--perturb", action="store_true",
                    help="also check cards with each effect's parameters changed")
    ap.add_argument("--cell", action="store_true",
                    help="also compare 1T-1R cell currents (transistor + memristor)")
    ap.add_argument("--card", metavar="FILE",
                    help="simulate this .model card in ngspice instead of the model's own "
                         "(e.g. the published PTM card, to see what the left-out effects change)")
    args = ap.parse_args(argv)
    card = read_card(args.card) if args.card else None
    compare(BsimLikeNMOS(), card=card)
    if args.cell:
        print("\n1T-1R cells (row: source follower; col: source at the column):")
        compare_cells(BsimLikeNMOS(), card=card)
    if args.perturb:
        import dataclasses
        print("\nperturbed cards (V_GS 0.3/0.7/1.0/1.3 V, V_BS 0/-0.3 V, 21 V_DS points):")
        for change in PERTURBATIONS:
            m = dataclasses.replace(BsimLikeNMOS(), **change)
            err = compare(m, vgs_values=(0.3, 0.7, 1.0, 1.3), n_vds=21, verbose=False)
            print(f"  {change}: max rel err {err:.2e}")


if __name__ == "__main__":
    main()
