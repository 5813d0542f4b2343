"""Error surface of the BSIM-like 1T-1R cell current against ngspice's BSIM4.

Over the operating range of the issue — V_in 0…0.5 V, V_G 0.7…1.3 V,
G_M 3 µS…50 µS — both transistor sides, the shipped card (junction diodes
off, as the card sets them).  One ngspice run per side: a crossbar with one
row per gate voltage (per-row gates) and one column per conductance, ideal
wires (so every cell is independent), and one operating point per input.

Writes docs/figures/bsim_vs_ngspice_error.png and
validation/results/bsim_error_surface.json; prints the worst error.

    python validation/bsim_error_surface.py
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from xbarsolve import BsimLikeNMOS, Crossbar  # noqa: E402
from xbarsolve.spice import ngspice_solve  # noqa: E402

V_IN = np.linspace(0.0, 0.5, 26)
V_GATE = np.round(np.arange(0.70, 1.3001, 0.05), 2)
G_M = np.geomspace(3e-6, 50e-6, 12)
OPTIONS = {"reltol": 1e-9, "abstol": 1e-15, "vntol": 1e-12}


def memristor_current(sol: dict, g: np.ndarray, side: str) -> np.ndarray:
    """Cell current (A) through each memristor, (B, rows, cols), from node voltages."""
    if side == "row":  # row -> NMOS -> mid -> memristor -> column
        return g * (sol["internal_voltages"] - sol["column_voltages"])
    return g * (sol["row_voltages"] - sol["internal_voltages"])


def surface(side: str) -> dict:
    card = dataclasses.replace(BsimLikeNMOS(), junction_is=0.0)
    g = np.broadcast_to(G_M, (V_GATE.size, G_M.size)).copy()
    xb = Crossbar(g, cell="1t1r", transistor_side=side, v_gate=V_GATE, transistor=card)
    v = np.repeat(V_IN[:, None], V_GATE.size, axis=1)
    ours = xb.solve(v)
    ref = ngspice_solve(xb, v, options=OPTIONS)
    i_ours = memristor_current({"internal_voltages": ours.internal_voltages,
                                "column_voltages": ours.column_voltages,
                                "row_voltages": ours.row_voltages}, g, side)
    i_ref = memristor_current(ref, g, side)
    scale = np.abs(i_ref).max(axis=0)  # per cell, the largest current of its sweep
    rel = np.abs(i_ours - i_ref).max(axis=0) / np.where(scale > 0, scale, 1.0)
    return {"side": side, "max_rel_error": float(rel.max()), "rel_error": rel.tolist()}


def main():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = [surface(side) for side in ("row", "column")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for ax, res in zip(axes, results):
        err = np.log10(np.maximum(np.array(res["rel_error"]), 1e-16))
        im = ax.pcolormesh(G_M * 1e6, V_GATE, err, shading="nearest", cmap="viridis",
                           vmin=-16, vmax=-6)
        ax.set_xscale("log")
        ax.set_xticks([3, 5, 10, 20, 50], labels=["3", "5", "10", "20", "50"])
        ax.minorticks_off()
        ax.set_xlabel("memristor conductance G_M (µS)")
        ax.set_ylabel("gate voltage V_G (V)")
        ax.set_title(f"transistor on the {res['side']} side: max {res['max_rel_error']:.1e}")
        fig.colorbar(im, ax=ax, label="log10 max |ΔI| / max |I| over V_in 0…0.5 V")
    fig.suptitle("BSIM-like 1T-1R cell current vs ngspice BSIM4 (same card)")
    out_png = os.path.join(ROOT, "docs", "figures", "bsim_vs_ngspice_error.png")
    os.makedirs(os.path.dirname(out_png), exist_ok=True)
    fig.savefig(out_png, dpi=120)
    out_json = os.path.join(ROOT, "validation", "results", "bsim_error_surface.json")
    os.makedirs(os.path.dirname(out_json), exist_ok=True)
    with open(out_json, "w") as f:
        json.dump({"v_in": V_IN.tolist(), "v_gate": V_GATE.tolist(), "g_m": G_M.tolist(),
                   "results": results}, f, indent=1)
    for res in results:
        print(f"transistor on the {res['side']:6s} side: max relative error {res['max_rel_error']:.2e} "
              f"over {V_GATE.size}×{G_M.size} (V_G, G_M) cells × {V_IN.size} inputs")
    print(f"wrote {out_png} and {out_json}")


if __name__ == "__main__":
    main()
