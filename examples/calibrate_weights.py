"""Calibrate conductances so that a non-ideal 1T-1R crossbar computes a target V·G.

A 1T-1R crossbar with wire, driver and sense resistances and Level-1 NMOS
selectors does not compute I = V·G: IR drops along the wires reduce the cell
voltages, and each transistor adds a bias-dependent series resistance (its
V_GS falls as the cell's internal node rises, so the cell current grows
sub-linearly with the input).  Programming the target conductances directly
therefore gives a large error.

Here the programmed conductances are found by gradient-based optimisation
*through the exact circuit*: ``xbarsolve.autodiff.crossbar_currents`` solves
the DC operating point with Newton's method and returns exact gradients
(implicit function theorem: one transpose solve per sample with the Newton LU
factor).  L-BFGS minimises the relative mean-square error of the column
currents against V·G_target over a set of calibration input vectors.  It
works on log-conductances, z = ln(G / 1 S), so every iterate is a positive
conductance and one step size fits cells of 5 µS and of 50 µS alike; the
result is finally clipped to the programmable window [G_MIN, G_MAX].  The
error is reported on the calibration vectors and on held-out vectors.

Run: ``python examples/calibrate_weights.py`` (about 10 s on one idle core).
"""
from __future__ import annotations

import time

import numpy as np
import torch

from xbarsolve import Crossbar
from xbarsolve.autodiff import crossbar_currents

ROWS, COLS = 16, 16
G_MIN, G_MAX = 1e-6, 200e-6  # programmable conductance window (S)
V_MAX = 0.3  # largest read voltage (V)
N_CAL, N_TEST = 32, 64  # calibration / held-out input vectors
MAX_EVALUATIONS = 40  # L-BFGS iterations (each one forward + backward solve, plus line-search extras)


def relative_error(i, target) -> float:
    """RMS of (I − I_target) over RMS of I_target (dimensionless)."""
    return float(torch.sqrt(((i - target) ** 2).mean() / (target ** 2).mean()))


def main(seed: int = 0):
    """Calibrate a random target; return the relative errors (calibration, held-out) before and after."""
    rng = np.random.default_rng(seed)
    g_target = rng.uniform(5e-6, 40e-6, (ROWS, COLS))  # S: the weights to realise
    v_cal = torch.tensor(rng.uniform(0.0, V_MAX, (N_CAL, ROWS)))  # V
    v_test = torch.tensor(rng.uniform(0.0, V_MAX, (N_TEST, ROWS)))
    ideal = torch.tensor(g_target)
    target_cal, target_test = v_cal @ ideal, v_test @ ideal  # A: ideal vector–matrix products

    crossbar = Crossbar(g_target, cell="1t1r", transistor_side="row", v_gate=1.0,
                        r_source=50.0, r_sink=50.0, r_wire=5.0)  # Ω; compiled once

    def errors(g):
        with torch.no_grad():
            return (relative_error(crossbar_currents(crossbar, v_cal, conductances=g), target_cal),
                    relative_error(crossbar_currents(crossbar, v_test, conductances=g), target_test))

    before = errors(ideal)
    print(f"{ROWS}x{COLS} 1T-1R crossbar, r_source = r_sink = 50 Ω, r_wire = 5 Ω, Level-1 NMOS at V_G = 1 V")
    print(f"programming G_target directly: error {100 * before[0]:6.2f} % (calibration), "
          f"{100 * before[1]:6.2f} % (held-out)")

    z = torch.log(ideal).requires_grad_(True)  # ln(G / 1 S), starting from the naive mapping
    opt = torch.optim.LBFGS([z], lr=1.0, max_iter=MAX_EVALUATIONS, history_size=20,
                            line_search_fn="strong_wolfe")
    scale = float((target_cal ** 2).mean())
    count = [0]

    def closure():
        opt.zero_grad()
        loss = ((crossbar_currents(crossbar, v_cal, conductances=torch.exp(z)) - target_cal) ** 2).mean() / scale
        loss.backward()
        count[0] += 1
        if count[0] % 10 == 1:
            print(f"  evaluation {count[0]:3d}: relative RMS error {100 * loss.item() ** 0.5:6.3f} %")
        return loss

    start = time.perf_counter()
    opt.step(closure)
    elapsed = time.perf_counter() - start

    g = torch.exp(z.detach()).clamp(G_MIN, G_MAX)
    after = errors(g)
    print(f"calibrated conductances:       error {100 * after[0]:6.2f} % (calibration), "
          f"{100 * after[1]:6.2f} % (held-out)")
    print(f"{count[0]} forward+backward solves in {elapsed:.1f} s; programmed G in "
          f"[{g.min() * 1e6:.1f}, {g.max() * 1e6:.1f}] µS (target in "
          f"[{g_target.min() * 1e6:.1f}, {g_target.max() * 1e6:.1f}] µS)")
    return before, after


if __name__ == "__main__":
    main()
