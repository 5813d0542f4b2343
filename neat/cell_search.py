"""Which 1T-1R cell reproduces the paper's linear range?  A search over card, side, width, V_max, metric.

    python -m neat.cell_search --card hp=validation/cards/ptm45_hp.pm --card lp=validation/cards/ptm45_lp.pm \\
        --out docs/figures

The paper reports, at a 2.5 % non-linearity tolerance, the cut-off conductance
``G_cut ≈ G_ON`` at V_G = 1.0 V, ``≈ 12.5 µS`` at 0.8 V and no cut-off at 1.3 V
(:data:`neat.cell.PAPER_CUTOFFS`).  For every candidate cell -- a published
transistor card, the transistor on the row or the column side, a channel
width ``W``, the largest read voltage ``V_max`` and one of the three metrics of
:mod:`neat.cell` -- this module computes ``G_cut(V_G)`` and a fit score against
those anchors.

Ground truth is **ngspice** with the card itself (all of BSIM4 that the card
switches on): one netlist per (card, side, W) holds every (V_G, G) cell in
parallel on one shared input node and one ``.dc`` sweep of that node gives all
their I–V curves at once (:func:`ngspice_cell_currents`; a few seconds each).
The metrics and cut-offs then come from :func:`neat.cell.metric_from_currents`,
the same code the pipeline uses.  For the best candidates the same curve is
computed by **xbarsolve** with the transistor model neat uses
(:func:`neat.cards.load_transistor`: the card as written, in
:class:`xbarsolve.devices.Bsim4NMOS`), which shows that both agree.

Fit score: the root mean square, over the three anchors, of the distance
between our ``G_cut`` and the paper's, as a fraction of the conductance span
``G_ON − G_OFF``; "no linear range" counts as ``G_cut = G_OFF`` and "no
cut-off" (and the paper's 3.34e-5 S ≈ G_ON) as ``G_cut = G_ON``.  0 is a perfect
fit; 0.31 is what a cell without any linear range at 0.8 V scores on that
anchor alone.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
import time
from pathlib import Path

import numpy as np

from xbarsolve.spice import run_ngspice

from .cell import METRICS, PAPER_CUTOFFS, TRANSISTOR_SIDES, CellConfig, cutoff_table, metric_from_currents
from .cards import card_model_name, load_transistor

__all__ = ["Candidate", "ngspice_cell_currents", "cutoffs_from_metric", "fit_score", "search", "main",
           "G_OFF", "G_ON", "V_GATES"]

G_OFF, G_ON = 1 / 300e3, 1 / 30e3
V_GATES = tuple(round(0.6 + 0.05 * k, 2) for k in range(17))
WIDTHS = (0.1e-6, 0.2e-6, 0.5e-6, 1e-6, 2e-6, 3.5e-6, 5e-6, 10e-6, 20e-6)
V_MAXES = (0.2, 0.3, 0.4, 0.5)
TOLERANCE = 0.025
_SWEEP_STEP = 0.005  # V: the .dc step; V_max values must be multiples of it
_EPS = 1e-4  # V_ε / V_max of the small-signal metric (as neat.cell)


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One cell: card label, transistor side, width (m), largest read voltage (V), metric."""

    card: str
    side: str
    width: float
    v_max: float
    metric: str

    def label(self) -> str:
        return f"{self.card} {self.side} W={self.width * 1e6:g}µm Vmax={self.v_max:g} {self.metric}"


#: neat's default cell (neat.config.PipelineConfig()), for comparison.
DEFAULT_CELL = Candidate("lp", "row", 3.5e-6, 0.2, "ideal")


def _netlist(card_path: Path, model: str, side: str, width: float, v_gates, g, sweep: str) -> str:
    lines = [f"* neat cell search: {card_path.name}, transistor on the {side} side, W = {width:g} m",
             f".include {card_path.resolve()}", "Vin in 0 DC 0"]
    for k, vg in enumerate(v_gates):
        lines.append(f"Vg{k} g{k} 0 DC {float(vg)!r}")
        for j, gj in enumerate(g):
            if side == "row":  # row -> transistor (drain) -> memristor -> column
                lines += [f"M{k}_{j} in g{k} m{k}_{j} 0 {model} W={float(width)!r} L=45n",
                          f"R{k}_{j} m{k}_{j} o{k}_{j} {float(1.0 / gj)!r}"]
            else:  # row -> memristor -> transistor (source at the column's virtual ground)
                lines += [f"R{k}_{j} in m{k}_{j} {float(1.0 / gj)!r}",
                          f"M{k}_{j} m{k}_{j} g{k} o{k}_{j} 0 {model} W={float(width)!r} L=45n"]
            lines.append(f"Vo{k}_{j} o{k}_{j} 0 DC 0")
    lines += [".options temp=27 tnom=27", sweep, ".end"]
    return "\n".join(lines) + "\n"


def ngspice_cell_currents(card_path, side: str, width: float, v_gates, g, v_top: float = 0.5):
    """Cell currents from ngspice with the card file: ``(v, i, v_eps, i_eps)``.

    ``i`` (A) has shape (n_vg, n_v, n_g) at the sweep voltages ``v`` = 0 … ``v_top`` in 5 mV steps;
    ``i_eps`` (n_vg, n_eps, n_g) at ``v_eps`` = 0 … 1e-4·v_top (for the small-signal slope).
    """
    card_path = Path(card_path)
    model = card_model_name(card_path)
    out = {}
    for key, sweep in (("main", f".dc Vin 0 {v_top!r} {_SWEEP_STEP!r}"),
                       ("eps", f".dc Vin 0 {_EPS * v_top!r} {_EPS * v_top / 10!r}")):
        res = run_ngspice(_netlist(card_path, model, side, width, v_gates, g, sweep))
        v = res["voltages"]["v-sweep"] if "v-sweep" in res["voltages"] else res["voltages"]["in"]
        cur = np.array([[res["currents"][f"vo{k}_{j}"] for j in range(len(g))] for k in range(len(v_gates))])
        out[key] = (np.asarray(v), np.transpose(cur, (0, 2, 1)))
    return out["main"][0], out["main"][1], out["eps"][0], out["eps"][1]


def cutoffs_from_metric(g, m, tol: float = TOLERANCE) -> np.ndarray:
    """G_cut (S) per row of ``m`` (n_vg, n_g) on the conductance grid ``g``: the first crossing of ``tol``
    (linear interpolation of the metric), ``g[-1]`` if none, NaN if ``m[:, 0] > tol``."""
    out = np.empty(m.shape[0])
    for k, row in enumerate(m):
        bad = np.flatnonzero(row > tol)
        if bad.size == 0:
            out[k] = g[-1]
        elif bad[0] == 0:
            out[k] = np.nan
        else:
            j = bad[0]
            frac = (tol - row[j - 1]) / (row[j] - row[j - 1])
            out[k] = g[j - 1] + frac * (g[j] - g[j - 1])
    return out


def fit_score(v_gates, g_cut, g_on: float = G_ON, g_off: float = G_OFF) -> tuple:
    """``(score, {V_G: error})``: RMS distance to the paper's anchors as a fraction of the span."""
    v_gates = np.asarray(v_gates, float)
    errors = {}
    for vg, paper in PAPER_CUTOFFS.items():
        k = int(np.argmin(np.abs(v_gates - vg)))
        if abs(v_gates[k] - vg) > 1e-9:
            raise ValueError(f"the grid lacks the anchor V_G = {vg} V")
        ours = g_off if not math.isfinite(g_cut[k]) else min(max(g_cut[k], g_off), g_on)
        ref = g_on if not math.isfinite(paper) else min(paper, g_on)
        errors[vg] = abs(ours - ref) / (g_on - g_off)
    return math.sqrt(sum(e * e for e in errors.values()) / len(errors)), errors


def _metrics(v, i, v_eps, i_eps, g, v_max: float) -> dict:
    """``{metric: (n_vg, n_g)}`` at read voltages up to ``v_max`` (the sweep points in (0, v_max])."""
    sel = (v > 1e-12) & (v <= v_max + 1e-9)
    vv, ii = v[sel], i[:, sel, :]
    ie = np.array([[np.interp(_EPS * v_max, v_eps, i_eps[k, :, j]) for j in range(len(g))]
                   for k in range(i_eps.shape[0])])
    return {m: metric_from_currents(m, ii, vv, g, ie if m == "small_signal" else None) for m in METRICS}


def search(cards: dict, *, sides=TRANSISTOR_SIDES, widths=WIDTHS, v_maxes=V_MAXES, v_gates=V_GATES, n_g: int = 65,
           tol: float = TOLERANCE, log=print) -> list:
    """Every candidate's G_cut(V_G) from ngspice and its fit score, best first.

    ``cards``: {label: card file}.  Returns dicts with the candidate, ``g_cut`` (S, NaN = none) and the
    score and per-anchor errors.
    """
    g = np.linspace(G_OFF, G_ON, n_g)
    rows = []
    for (label, path), side, w in itertools.product(cards.items(), sides, widths):
        t0 = time.perf_counter()
        v, i, v_eps, i_eps = ngspice_cell_currents(path, side, w, v_gates, g, max(v_maxes))
        for v_max in v_maxes:
            for metric, m in _metrics(v, i, v_eps, i_eps, g, v_max).items():
                g_cut = cutoffs_from_metric(g, m, tol)
                score, errors = fit_score(v_gates, g_cut)
                rows.append({"candidate": Candidate(label, side, w, v_max, metric), "g_cut": g_cut,
                             "score": score, "errors": errors})
        log(f"ngspice {label} {side} W={w * 1e6:g} µm: {time.perf_counter() - t0:.1f} s")
    rows.sort(key=lambda r: r["score"])
    return rows


def xbarsolve_cutoffs(card_path, c: Candidate, v_gates=V_GATES) -> tuple:
    """G_cut(V_G) of candidate ``c`` from xbarsolve with neat's transistor model for the card, and its
    provenance ("exact")."""
    model, provenance = load_transistor(card_path, c.width)
    cfg = CellConfig(transistor=model, transistor_side=c.side, v_max=c.v_max, metric=c.metric)
    return cutoff_table(cfg, v_gates).g_cut, provenance


def _fmt(g):
    return "none" if not math.isfinite(g) else ("all" if g >= G_ON * (1 - 1e-9) else f"{g * 1e6:.2f}")


def write_report(out: Path, rows: list, cards: dict, top: int, v_gates=V_GATES, log=print) -> dict:
    """The ranked table (markdown + JSON) and the plot of G_cut vs V_G for the best candidates."""
    import warnings

    from .report import _plt
    out.mkdir(parents=True, exist_ok=True)
    best = rows[:top]
    compare = []
    for r in best[:3]:
        c = r["candidate"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            g_x, prov = xbarsolve_cutoffs(cards[c.card], c, v_gates)
        score_x, _ = fit_score(v_gates, g_x)
        compare.append({"candidate": c, "g_cut": g_x, "provenance": prov, "score": score_x,
                        "model": type(load_transistor(cards[c.card], c.width)[0]).__name__})
        log(f"xbarsolve ({prov}) {c.label()}: score {score_x:.3f} ({time.perf_counter() - t0:.0f} s)"
            + (f"; {len(caught)} warning(s)" if caught else ""))
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    for k, r in enumerate(best[:6]):
        ax.plot(v_gates, [math.nan if not math.isfinite(x) else x * 1e6 for x in r["g_cut"]], "o-", ms=3,
                color=f"C{k}", label=f"{r['candidate'].label()} (score {r['score']:.3f})")
    for k, x in enumerate(compare):
        ax.plot(v_gates, [math.nan if not math.isfinite(y) else y * 1e6 for y in x["g_cut"]], "--", lw=1,
                color=f"C{k}", label=f"  xbarsolve, {x['model']}: score {x['score']:.3f}")
    default = next((r for r in rows if r["candidate"] == DEFAULT_CELL), None)
    if default is not None:
        ax.plot(v_gates, [math.nan if not math.isfinite(x) else x * 1e6 for x in default["g_cut"]], "s:", ms=3,
                color="grey", label=f"neat's default cell: {DEFAULT_CELL.label()} (score {default['score']:.3f})")
    for vg, gp in PAPER_CUTOFFS.items():
        ax.plot([vg], [G_ON * 1e6 if math.isinf(gp) else gp * 1e6], "k*", ms=14,
                label="paper (2.5 %)" if vg == min(PAPER_CUTOFFS) else None, zorder=5)
    ax.axhline(G_ON * 1e6, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("gate voltage V_G (V)")
    ax.set_ylabel("cut-off conductance G_cut (µS)")
    ax.set_title("G_cut(V_G): ngspice with the PTM cards (solid) and xbarsolve (dashed)", fontsize=9)
    ax.legend(fontsize=6, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "neat_cell_search.png", dpi=130)
    plt.close(fig)
    anchors = sorted(PAPER_CUTOFFS)
    idx = [int(np.argmin(np.abs(np.asarray(v_gates) - a))) for a in anchors]
    lines = ["# Cell search: G_cut at the paper's anchors (µS; 'all' = no cut-off, 'none' = no linear range)", "",
             "Ground truth ngspice with the card; score = RMS distance to the anchors as a fraction of the span.",
             "", "| rank | card | side | W (µm) | V_max (V) | metric | " +
             " | ".join(f"G_cut @{a:g} V" for a in anchors) + " | score |", "|---" * (8 + len(anchors)) + "|",
             "| paper | | | | | 2.5 % | 12.5 | ≈ G_ON (33.4) | all | 0 |"]
    for k, r in enumerate(rows[:top]):
        c = r["candidate"]
        lines.append(f"| {k + 1} | {c.card} | {c.side} | {c.width * 1e6:g} | {c.v_max:g} | {c.metric} | "
                     + " | ".join(_fmt(r["g_cut"][i]) for i in idx) + f" | {r['score']:.3f} |")
    lines += ["", "xbarsolve with neat's transistor model for the same card (the pipeline's physics):", "",
              "| card | side | W (µm) | V_max | metric | model | " + " | ".join(f"@{a:g} V" for a in anchors)
              + " | score |", "|---" * (7 + len(anchors)) + "|"]
    for x in compare:
        c = x["candidate"]
        lines.append(f"| {c.card} | {c.side} | {c.width * 1e6:g} | {c.v_max:g} | {c.metric} | {x['provenance']} | "
                     + " | ".join(_fmt(x["g_cut"][i]) for i in idx) + f" | {x['score']:.3f} |")
    (out / "neat_cell_search.md").write_text("\n".join(lines) + "\n")
    doc = {"cards": {k: str(v) for k, v in cards.items()}, "v_gates": list(v_gates), "tolerance": TOLERANCE,
           "ranked": [{**dataclasses.asdict(r["candidate"]), "score": r["score"],
                       "errors": {str(k): v for k, v in r["errors"].items()},
                       "g_cut": [None if not math.isfinite(x) else float(x) for x in r["g_cut"]]} for r in rows],
           "xbarsolve": [{**dataclasses.asdict(x["candidate"]), "provenance": x["provenance"], "score": x["score"],
                          "g_cut": [None if not math.isfinite(y) else float(y) for y in x["g_cut"]]}
                         for x in compare]}
    (out / "neat_cell_search.json").write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m neat.cell_search", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--card", action="append", required=True, metavar="LABEL=PATH",
                   help="a transistor card file (repeatable), e.g. hp=validation/cards/ptm45_hp.pm")
    p.add_argument("--out", default="docs/figures")
    p.add_argument("--top", type=int, default=15, help="rows of the ranked table")
    p.add_argument("--widths", default=",".join(f"{w * 1e6:g}" for w in WIDTHS), help="widths in µm")
    p.add_argument("--v-max", default=",".join(f"{v:g}" for v in V_MAXES), help="largest read voltages (V)")
    p.add_argument("--from-json", help="redraw the report from a neat_cell_search.json instead of running ngspice")
    args = p.parse_args(argv)
    cards = {}
    for item in args.card:
        label, _, path = item.partition("=")
        if not path or not Path(path).is_file():
            p.error(f"--card {item!r}: expected LABEL=PATH of an existing file")
        cards[label] = Path(path)
    widths = tuple(float(w) * 1e-6 for w in args.widths.split(","))
    v_maxes = tuple(float(v) for v in args.v_max.split(","))
    if any(abs(v / _SWEEP_STEP - round(v / _SWEEP_STEP)) > 1e-9 or v <= 0 for v in v_maxes):
        p.error(f"--v-max values must be positive multiples of {_SWEEP_STEP} V")
    if args.from_json:
        doc = json.loads(Path(args.from_json).read_text())
        rows = [{"candidate": Candidate(r["card"], r["side"], r["width"], r["v_max"], r["metric"]),
                 "g_cut": np.array([np.nan if x is None else x for x in r["g_cut"]]), "score": r["score"],
                 "errors": {float(k): v for k, v in r["errors"].items()}} for r in doc["ranked"]]
    else:
        rows = search(cards, widths=widths, v_maxes=v_maxes)
    write_report(Path(args.out), rows, cards, args.top)
    best = rows[0]
    print(f"best: {best['candidate'].label()} (score {best['score']:.3f}); table {args.out}/neat_cell_search.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
