"""Plots and tables of the 1T-1R cell analysis (docs/neat_cell_analysis.md).

    python -m neat.cell_report [--out docs/figures] [--no-study]

Writes, under ``--out``:

* ``neat_cell_iv.png`` -- the I–V family I(V_in; G_M, V_G) at the paper's gate voltages,
  exact (xbarsolve) against the ideal memristor G_M·V_in;
* ``neat_cell_metric.png`` -- the metric surface m(G, V_G) with the tolerance contour and G_cut;
* ``neat_cell_gcut.png`` -- G_cut(V_G), ours beside the paper's;
* ``neat_cell_expansion.png`` -- measured error of the separable expansion vs rank, per V_G;
* ``neat_cell_tables.md`` -- the G_cut table (ours vs paper), the expansion ranks and
  errors, and (unless ``--no-study``) the design study of topology × width × metric
  that justifies the defaults.

Plotting lives here, apart from the physics in :mod:`neat.cell`.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path

import numpy as np

from .cards import with_width
from .cell import DEFAULT_V_GATES, PAPER_CUTOFFS, CellConfig, calibrate_width, cell_currents, cutoff_table
from .expansion import get_expansion

__all__ = ["plot_iv_family", "plot_metric_surface", "plot_cutoff", "plot_expansion_errors", "cutoff_markdown",
           "design_study", "main"]

PAPER_GATES = (0.8, 1.0, 1.3)


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _fmt_g(g: float, g_on: float) -> str:
    if not math.isfinite(g):
        return "none linear"
    if g >= g_on:
        return f"{g_on:.3g} (all linear)"
    return f"{g:.3g}"


def plot_iv_family(config: CellConfig, path, v_gates=(0.8, 0.9, 1.0, 1.3), n_g: int = 6):
    """I–V curves (µA vs V) of ``n_g`` conductances per gate voltage; dashed: ideal G·V."""
    plt = _plt()
    v = np.linspace(0.0, config.v_max, 101)
    g = np.linspace(config.g_off, config.g_on, n_g)
    i = cell_currents(config, v, g, list(v_gates))
    fig, axes = plt.subplots(1, len(v_gates), figsize=(4.2 * len(v_gates), 3.8), sharey=True)
    colors = plt.cm.viridis(np.linspace(0, 0.9, n_g))
    for ax, vg, ik in zip(np.atleast_1d(axes), v_gates, i):
        for j in range(n_g):
            ax.plot(v, ik[:, j] * 1e6, color=colors[j], label=f"G={g[j] * 1e6:.1f} µS")
            ax.plot(v, g[j] * v * 1e6, color=colors[j], ls="--", lw=0.8)
        ax.set_title(f"V_G = {vg} V")
        ax.set_xlabel("V_in (V)")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("cell current (µA)")
    np.atleast_1d(axes)[-1].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"1T-1R I–V family (solid: xbarsolve, dashed: ideal G·V)\n{config.describe()}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_metric_surface(table, config: CellConfig, path):
    """log10 of the metric over (V_G, G), the tolerance contour and G_cut."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    m = np.log10(np.maximum(table.metric, 1e-6))
    pc = ax.pcolormesh(table.v_gate, table.g_grid * 1e6, m.T, shading="nearest", cmap="magma_r")
    fig.colorbar(pc, ax=ax, label=f"log10 metric ({table.metric_name})")
    ax.contour(table.v_gate, table.g_grid * 1e6, table.metric.T, levels=[table.tolerance], colors="white",
               linestyles="--", linewidths=0.8)
    ok = np.isfinite(table.g_cut)
    ax.plot(table.v_gate[ok], table.g_cut[ok] * 1e6, "o", color="cyan", ms=4,
            label=f"G_cut (m = {table.tolerance:.1%}; dashed: contour)")
    ax.set_xlabel("V_G (V)")
    ax.set_ylabel("G (µS)")
    ax.set_title("non-linearity metric m(G, V_G)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_cutoff(table, config: CellConfig, path):
    """G_cut vs V_G, ours and the paper's."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ok = np.isfinite(table.g_cut)
    ax.plot(table.v_gate[ok], table.g_cut[ok] * 1e6, "o-", label="ours (xbarsolve)")
    none = ~ok
    if none.any():
        ax.plot(table.v_gate[none], np.full(none.sum(), config.g_off * 1e6 * 0.8), "x", color="C0",
                label="ours: none linear")
    pv = [vg for vg in PAPER_CUTOFFS]
    pg = [min(PAPER_CUTOFFS[vg], config.g_on) for vg in pv]
    ax.plot(pv, np.array(pg) * 1e6, "*", ms=12, color="C3", label="paper (∞ plotted at G_ON)")
    ax.axhline(config.g_on * 1e6, color="gray", lw=0.8, ls="--")
    ax.axhline(config.g_off * 1e6, color="gray", lw=0.8, ls=":")
    ax.set_xlabel("V_G (V)")
    ax.set_ylabel("G_cut (µS)")
    ax.set_title(f"cut-off conductance ({table.metric_name} metric, {table.tolerance:.1%})", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_expansion_errors(expansions: dict, path):
    """Measured worst error / full scale vs rank, one line per gate voltage."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colors = plt.cm.turbo(np.linspace(0.05, 0.95, len(expansions)))
    for c, (vg, e) in zip(colors, expansions.items()):
        ax.semilogy(np.arange(1, len(e.errors) + 1), e.errors / e.full_scale, "o-", ms=3, color=c, label=f"{vg} V")
    tol = next(iter(expansions.values())).spec.tol
    ax.axhline(tol, color="k", ls="--", lw=0.8, label=f"tol {tol:g}")
    ax.set_xlabel("rank k")
    ax.set_ylabel("max |error| / (G_ON·V_max)")
    ax.set_title("separable expansion I ≈ Σ a_k(V) b_k(G): measured error", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def cutoff_markdown(table, config: CellConfig) -> str:
    """Markdown table: G_cut per V_G, with the paper's where it reported one."""
    lines = ["| V_G (V) | G_cut ours (S) | status | m(G_OFF) | m(G_ON) | paper |", "|---|---|---|---|---|---|"]
    for vg, gc, st, m0, m1 in zip(table.v_gate, table.g_cut, table.status, table.metric_at_g_off,
                                  table.metric_at_g_on):
        paper = ""
        for pv, pg in PAPER_CUTOFFS.items():
            if abs(pv - vg) < 1e-9:
                paper = "no cut-off (all linear)" if math.isinf(pg) else f"{pg:.3g}"
        lines.append(f"| {vg:.2f} | {_fmt_g(gc, config.g_on)} | {st} | {m0:.2%} | {m1:.2%} | {paper} |")
    return "\n".join(lines)


STUDY_WIDTHS = {"row": (0.2e-6, 1e-6, 3.5e-6, 20e-6), "column": (0.09e-6, 0.2e-6, 1e-6)}


def design_study(widths=None, metrics=("ideal", "small_signal", "endpoint"), v_gates=PAPER_GATES,
                 n_g: int = 41) -> str:
    """Markdown table of G_cut at the paper's gate voltages for topology × width (m) × metric.

    ``widths`` maps a transistor side to its widths (default :data:`STUDY_WIDTHS`).
    """
    widths = STUDY_WIDTHS if widths is None else widths
    base = CellConfig()
    head = "| side | W (µm) | metric | " + " | ".join(f"G_cut @ {vg} V" for vg in v_gates) + " |"
    lines = [head, "|" + "---|" * (3 + len(v_gates))]
    paper = " | ".join("all linear" if math.isinf(PAPER_CUTOFFS[vg]) else f"{PAPER_CUTOFFS[vg]:.3g}"
                       for vg in v_gates)
    lines.append(f"| paper | – | 2.5 % (formula unknown) | {paper} |")
    for side, side_widths in widths.items():
        for w in side_widths:
            for metric in metrics:
                cfg = dataclasses.replace(base, transistor_side=side, metric=metric,
                                          transistor=with_width(base.transistor, w))
                t = cutoff_table(cfg, v_gates, n_g=n_g, n_refine=9)
                cells = " | ".join(_fmt_g(g, cfg.g_on).replace(" (all linear)", " all") for g in t.g_cut)
                lines.append(f"| {side} | {w * 1e6:g} | {metric} | {cells} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description="1T-1R cell analysis: plots and tables")
    ap.add_argument("--out", default="docs/figures")
    ap.add_argument("--no-study", action="store_true", help="skip the topology × width × metric study")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = CellConfig()
    table = cutoff_table(config, DEFAULT_V_GATES)
    plot_iv_family(config, out / "neat_cell_iv.png")
    plot_metric_surface(table, config, out / "neat_cell_metric.png")
    plot_cutoff(table, config, out / "neat_cell_gcut.png")
    expansions = {vg: get_expansion(config, vg) for vg in DEFAULT_V_GATES}
    plot_expansion_errors(expansions, out / "neat_cell_expansion.png")
    parts = [f"Configuration: {config.describe()}; metric {config.metric}, tolerance {config.tolerance:.1%}, "
             f"config key {config.key()}.", "", "## G_cut(V_G), ours vs paper", "", cutoff_markdown(table, config),
             "", "## Separable expansion (tol = 1e-3 of G_ON·V_max, measured on knots and midpoints)", "",
             "| V_G (V) | rank k | max error / full scale | max error (A) |", "|---|---|---|---|"]
    for vg, e in expansions.items():
        parts.append(f"| {vg:.2f} | {e.rank} | {e.relative_error:.2e} | {e.max_error:.2e} |")
    w_cal = calibrate_width(config, 1.0, margin=0.1)
    w_cal0 = calibrate_width(config, 1.0, margin=0.0)
    parts += ["", f"calibrate_width at V_G = 1.0 V: {w_cal * 1e6:.3f} µm with 10 % margin on the tolerance, "
              f"{w_cal0 * 1e6:.3f} µm without margin (default W = {config.transistor.w * 1e6:g} µm)."]
    if not args.no_study:
        parts += ["", "## Design study: topology × width × metric (G_cut in S)", "", design_study()]
    text = "\n".join(parts) + "\n"
    (out / "neat_cell_tables.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
