"""Report of a pipeline run: Table I in the paper's shape, results.json and plots.

Files written to the run folder:

``results.json``        the configuration, the data set, every stage's record and the tables below;
``table_I.md``          the tables as markdown (also printed by the CLI);
``gcut.png``            G_cut(V_G) of the run's cell beside the paper's anchor points;
``accuracy_vs_vg.png``  crossbar accuracy vs homogeneous V_G per variant (one panel per weight-scale mode);
``layer_vg.png``        per-layer V_G chosen by Algorithm 1 per variant (first mode);
``energy.png``          energy per inference by component per variant and setting (first mode);
``neat_iterations.png`` NEAT's per-iteration crossbar accuracy and weights inside the linear range.

The table functions read only the typed records of :mod:`neat.results` (and are
reused by :mod:`neat.study` for the mean ± std over seeds).
"""
from __future__ import annotations

import math
from pathlib import Path

from .cell import PAPER_CUTOFFS
from .checkpoint import atomic_write_bytes, atomic_write_json

__all__ = ["table_rows", "format_tables", "write_report", "plot_all", "SUMMARY_COLUMNS", "VARIANT_COLUMNS"]

NAMES = {"baseline": "no retraining", "clip": "clip, no retraining", "clip_bn": "clip + BN recalibration",
         "neat": "NEAT (clip + retrain)", "cell_ft": "cell-model fine-tune"}
#: Table I (the paper's shape): key -> column title.  Accuracies in %, savings in %.
SUMMARY_COLUMNS = {
    "software": "software", "nonlinear_crossbar": "non-linear crossbar @V_target", "neat": "NEAT @V_target",
    "clip": "clip only @V_target", "clip_bn": "clip + BN @V_target", "cell_finetune": "cell-model fine-tune @V_target",
    "hetero_no_retrain": "hetero V_G, no retrain", "hetero_neat": "hetero V_G, NEAT",
    "hetero_neat_minus_step": "hetero V_G − step, NEAT", "saving_hetero_neat_array": "array energy saving, hetero NEAT",
    "saving_hetero_neat_total": "total energy saving, hetero NEAT"}
VARIANT_COLUMNS = {
    "software_accuracy": "software", "accuracy_reference_v_gate": "@1.0 V", "accuracy_target_v_gate": "@V_target",
    "accuracy_hetero": "hetero V_G", "accuracy_hetero_minus_step": "hetero − step",
    "accuracy_hetero_relaxed": "hetero V_G, relaxed coverage", "mean_hetero_v_gate": "mean hetero V_G (V)",
    "saving_hetero_array": "saving hetero, array", "saving_hetero_total": "saving hetero, total",
    "saving_target_array": "saving @V_target, array"}
PERCENT = set(SUMMARY_COLUMNS) | (set(VARIANT_COLUMNS) - {"mean_hetero_v_gate"})


def _pct(x, digits=2):
    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{100 * x:.{digits}f}"


def table_rows(results: dict, cfg) -> dict:
    """``{mode: {"summary": {...}, "variants": {variant: {...}}}}``: the numbers of Table I (fractions)."""
    target = results["cell_table"].neat_v_gate
    tables = {}
    for mode in cfg.weight_scale_modes:
        ev = results.get(f"evaluate.{mode}")
        if ev is None:
            continue
        en = results.get(f"energy.{mode}")
        rows = {}
        for variant, v in ev.variants.items():
            sav = en.variants[variant].savings if en is not None and variant in en.variants else {}
            hetero_label = f"heterogeneous, coverage {cfg.coverages[0]:g}"
            rows[variant] = {
                "software_accuracy": v.software_accuracy,
                "accuracy_reference_v_gate": v.at(cfg.reference_v_gate),
                "accuracy_target_v_gate": v.at(target),
                "accuracy_hetero": v.gates[0].accuracy,
                "accuracy_hetero_minus_step": v.gates[0].accuracy_minus_step,
                "accuracy_hetero_relaxed": v.gates[1].accuracy if len(v.gates) > 1 else None,
                "mean_hetero_v_gate": v.gates[0].mean_v_gate_weighted,
                "saving_hetero_array": sav.get(hetero_label, {}).get("array"),
                "saving_hetero_total": sav.get(hetero_label, {}).get("total"),
                "saving_target_array": sav.get(f"homogeneous {target:.2f} V", {}).get("array"),
            }

        def get(variant, key):
            return rows.get(variant, {}).get(key)
        summary = {
            "software": results["baseline"].software_accuracy,
            "nonlinear_crossbar": get("baseline", "accuracy_target_v_gate"),
            "neat": get("neat", "accuracy_target_v_gate"),
            "clip": get("clip", "accuracy_target_v_gate"),
            "clip_bn": get("clip_bn", "accuracy_target_v_gate"),
            "cell_finetune": get("cell_ft", "accuracy_target_v_gate"),
            "hetero_no_retrain": get("baseline", "accuracy_hetero"),
            "hetero_neat": get("neat", "accuracy_hetero"),
            "hetero_neat_minus_step": get("neat", "accuracy_hetero_minus_step"),
            "saving_hetero_neat_array": get("neat", "saving_hetero_array"),
            "saving_hetero_neat_total": get("neat", "saving_hetero_total"),
        }
        tables[mode] = {"summary": summary, "variants": rows, "v_target": target}
    return tables


def _cell(x, key, spread=None):
    if key == "mean_hetero_v_gate":
        text = "—" if x is None else f"{x:.3f}"
        return text if spread is None else f"{text} ± {spread:.3f}"
    digits = 1 if "saving" in key else 2
    text = _pct(x, digits)
    return text if spread is None or text == "—" else f"{text} ± {100 * spread:.{digits}f}"


def format_tables(tables: dict, title: str = "", spreads: dict | None = None, note: str = "") -> str:
    """Markdown of :func:`table_rows` output; ``spreads`` (same shape) adds ``± std`` to every entry."""
    lines = [f"## Table I (the paper's shape){': ' + title if title else ''}", ""]
    if note:
        lines += [note, ""]
    for mode, t in tables.items():
        sp = (spreads or {}).get(mode, {})
        v = t["v_target"]
        lines += [f"### Weight scale per {'layer' if mode == 'layer' else 'network (global)'}, V_target = {v:.3g} V", "",
                  "| " + " | ".join(SUMMARY_COLUMNS.values()) + " |", "|" + "---|" * len(SUMMARY_COLUMNS),
                  "| " + " | ".join(_cell(t["summary"][k], k, sp.get("summary", {}).get(k))
                                    for k in SUMMARY_COLUMNS) + " |", "",
                  "| variant | " + " | ".join(VARIANT_COLUMNS.values()) + " |",
                  "|---|" + "---|" * len(VARIANT_COLUMNS)]
        for name, r in t["variants"].items():
            spr = sp.get("variants", {}).get(name, {})
            lines.append(f"| {NAMES[name]} | " + " | ".join(_cell(r[k], k, spr.get(k)) for k in VARIANT_COLUMNS)
                         + " |")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------- plots
def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_all(out: Path, results: dict, cfg) -> list:
    """Write the PNGs; returns their file names."""
    plt = _plt()
    out = Path(out)
    files = []
    ct = results["cell_table"]
    target = ct.neat_v_gate
    colors = {"baseline": "C0", "clip": "C4", "clip_bn": "C5", "neat": "C1", "cell_ft": "C2"}
    modes = [m for m in cfg.weight_scale_modes if f"evaluate.{m}" in results]

    # G_cut vs the paper's anchors
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    g = [math.nan if x is None else x * 1e6 for x in ct.g_cut]
    ax.plot(ct.v_grid, g, "o-", label="this run's cell")
    for vg, gp in PAPER_CUTOFFS.items():
        ax.plot([vg], [ct.g_on * 1e6 if math.isinf(gp) else gp * 1e6], "k*", ms=12,
                label="paper" if vg == min(PAPER_CUTOFFS) else None)
    ax.axhline(ct.g_on * 1e6, color="grey", lw=0.8, ls=":")
    ax.axvline(target, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("gate voltage V_G (V)")
    ax.set_ylabel("G_cut (µS)")
    ax.set_title(f"Linear range ({ct.metric}, {100 * ct.tolerance:g} %)", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "gcut.png", dpi=120)
    plt.close(fig)
    files.append("gcut.png")

    if modes:
        fig, axes = plt.subplots(1, len(modes), figsize=(6.0 * len(modes), 4.2), squeeze=False)
        for ax, mode in zip(axes[0], modes):
            ev = results[f"evaluate.{mode}"]
            for variant, v in ev.variants.items():
                pts = sorted((float(k), a) for k, a in v.sweep.items())
                ax.plot([p[0] for p in pts], [100 * p[1] for p in pts], "o-", color=colors[variant],
                        label=NAMES[variant], ms=4)
                gc = v.gates[0]
                ax.plot([gc.mean_v_gate_weighted], [100 * gc.accuracy], "*", ms=12, color=colors[variant],
                        markeredgecolor="k")
            ax.axhline(100 * results["baseline"].software_accuracy, color="k", ls="--", lw=1, label="software")
            ax.axvline(target, color="grey", ls=":", lw=1)
            ax.set_xlabel("homogeneous gate voltage V_G (V)  (stars: heterogeneous V_G, weighted mean)")
            ax.set_ylabel("test accuracy (%)")
            ax.set_title(f"weight scale per {mode}")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "accuracy_vs_vg.png", dpi=120)
        plt.close(fig)
        files.append("accuracy_vs_vg.png")

        ev = results[f"evaluate.{modes[0]}"]
        names = list(next(iter(ev.variants.values())).gates[0].v_gates)
        fig, ax = plt.subplots(figsize=(max(6.4, 0.45 * len(names) + 2), 4.0))
        width = 0.8 / max(len(ev.variants), 1)
        for k, (variant, v) in enumerate(ev.variants.items()):
            ax.bar([i + k * width for i in range(len(names))], [v.gates[0].v_gates[n] for n in names], width,
                   color=colors[variant], label=NAMES[variant])
        ax.set_ylabel("chosen V_G (V)")
        ax.set_ylim(max(0.0, cfg.vg_min - 0.05), None)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
        ax.set_title(f"Algorithm 1 (coverage {100 * cfg.coverages[0]:g} %), weight scale per {modes[0]}")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "layer_vg.png", dpi=120)
        plt.close(fig)
        files.append("layer_vg.png")

    en = results.get(f"energy.{modes[0]}") if modes else None
    if en is not None:
        from .energy import PARTS
        labels, parts = [], {p: [] for p in PARTS}
        for variant, ve in en.variants.items():
            for label, s in ve.settings.items():
                labels.append(f"{variant}: {label.replace('homogeneous ', '').replace('heterogeneous, ', 'het ')}")
                for p in PARTS:
                    parts[p].append(getattr(s.total, p) * 1e9)
        fig, ax = plt.subplots(figsize=(max(6.4, 0.35 * len(labels) + 2), 4.4))
        bottom = [0.0] * len(labels)
        for p, c in zip(PARTS, ("C0", "C1", "C9", "C7", "C8", "C3")):
            ax.bar(range(len(labels)), parts[p], bottom=bottom, color=c, label=p)
            bottom = [b + v for b, v in zip(bottom, parts[p])]
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=70, ha="right", fontsize=6)
        ax.set_ylabel("energy per inference (nJ)")
        ax.set_title(f"Energy by component (estimates), toggling {en.constants.get('toggling')}")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "energy.png", dpi=120)
        plt.close(fig)
        files.append("energy.png")

    neat = results.get(f"neat.{modes[0]}") if modes else None
    if neat is not None and neat.iterations:
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        its = [h.iteration for h in neat.iterations]
        if all(h.crossbar_accuracy is not None for h in neat.iterations):
            ax.plot(its, [100 * h.crossbar_accuracy for h in neat.iterations], "o-", color="C1",
                    label=f"crossbar accuracy @ {target} V (test subset, clipped)")
        ax.plot(its, [100 * h.min_fraction_inside for h in neat.iterations], "s--", color="C3",
                label="min over layers: weights in linear range after retraining")
        ax.set_xlabel("NEAT iteration")
        ax.set_ylabel("%")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "neat_iterations.png", dpi=120)
        plt.close(fig)
        files.append("neat_iterations.png")
    return files


def write_report(out, results: dict, cfg, data_info: dict, *, progress: bool = True) -> dict:
    """Write results.json, table_I.md and the PNGs into ``out``; returns the tables and file names."""
    out = Path(out)
    tables = table_rows(results, cfg)
    title = f"{cfg.model} (width {cfg.model_width}) on {data_info['name']}, seed {cfg.seed}"
    text = format_tables(tables, title)
    atomic_write_bytes(out / "table_I.md", text.encode())
    files = plot_all(out, results, cfg)
    atomic_write_json(out / "results.json", {
        "config": cfg.to_json(), "data": data_info, "tables": tables,
        "stages": {k: v.to_json() for k, v in results.items() if k != "report"}})
    return {"tables": tables, "files": ["results.json", "table_I.md"] + files, "markdown": text}
