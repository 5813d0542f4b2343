"""Report of a pipeline run: a table in the shape of the paper's Table I, results.json and PNG plots.

Files written to the run folder:

``results.json``        every stage's result, the configuration, the data set and the tables below;
``table_I.md``          the tables as markdown (also printed by the CLI);
``accuracy_vs_vg.png``  crossbar accuracy vs homogeneous V_G per variant (+ software and hetero marks);
``layer_vg.png``        per-layer gate voltage chosen by gate control, and the weight fraction inside
                        the linear range at the NEAT target V_G before/after NEAT;
``energy.png``          energy per inference by part (read, gate, DAC, ADC) per setting;
``neat_iterations.png`` NEAT's per-iteration crossbar accuracy and linear fraction.
"""
from __future__ import annotations

import math
from pathlib import Path

from .checkpoint import atomic_write_bytes, atomic_write_json

__all__ = ["table_rows", "format_tables", "write_report", "plot_all"]

_NAMES = {"baseline": "no retraining", "neat": "NEAT (clip + retrain)", "cell_ft": "cell-model fine-tune"}
_SWEEP = {"baseline": "degradation", "neat": "neat_sweep", "cell_ft": "cell_finetune_sweep"}
_TRAIN = {"baseline": "baseline", "neat": "neat", "cell_ft": "cell_finetune"}


def _pct(x, digits=2):
    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{100 * x:.{digits}f}"


def _acc_at(res, variant, v):
    sweep = res.get(_SWEEP[variant])
    if not sweep:
        return None
    return sweep["by_v_gate"].get(f"{v:.4f}")


def table_rows(res: dict) -> dict:
    """The numbers of Table I: one summary row (the paper's shape) and one row per variant."""
    target = res["cell_table"]["neat_v_gate"]
    ref = res["energy"]["reference"] if "energy" in res else None
    rows = {}
    for variant in ("baseline", "neat", "cell_ft"):
        if _TRAIN[variant] not in res:
            continue
        gc = res.get("gate_control", {}).get("variants", {}).get(variant, {})
        sv = res.get("energy", {}).get("savings", {}).get(variant, {})
        sw = res[_TRAIN[variant]]["software_accuracy"]
        rows[variant] = {
            "software_accuracy": sw,
            "accuracy_reference_v_gate": _acc_at(res, variant, 1.0),
            "accuracy_target_v_gate": _acc_at(res, variant, target),
            "accuracy_hetero": gc.get("accuracy"),
            "accuracy_hetero_minus_step": gc.get("accuracy_minus_step"),
            "mean_hetero_v_gate": gc.get("mean_v_gate_weighted"),
            "saving_hetero_crossbar": sv.get("heterogeneous", {}).get("crossbar"),
            "saving_hetero_total": sv.get("heterogeneous", {}).get("total"),
            "saving_target_crossbar": sv.get(f"homogeneous {target:.2f} V", {}).get("crossbar"),
        }
    summary = {
        "software": res["baseline"]["software_accuracy"],
        "nonlinear_crossbar": rows["baseline"]["accuracy_target_v_gate"],
        "neat": rows.get("neat", {}).get("accuracy_target_v_gate"),
        "cell_finetune": rows.get("cell_ft", {}).get("accuracy_target_v_gate"),
        "hetero_no_retrain": rows["baseline"]["accuracy_hetero"],
        "hetero_neat": rows.get("neat", {}).get("accuracy_hetero"),
        "hetero_neat_minus_step": rows.get("neat", {}).get("accuracy_hetero_minus_step"),
        "energy_saving_hetero_neat_crossbar": rows.get("neat", {}).get("saving_hetero_crossbar"),
        "energy_saving_hetero_neat_total": rows.get("neat", {}).get("saving_hetero_total"),
        "target_v_gate": target, "reference": ref,
    }
    return {"summary": summary, "variants": rows}


def format_tables(t: dict, title: str = "") -> str:
    """Markdown text of :func:`table_rows`' output."""
    s = t["summary"]
    v = s["target_v_gate"]
    lines = [f"## Table I (shape of the paper's){': ' + title if title else ''}", "",
             f"Accuracy in %, crossbar accuracies with the non-linear 1T-1R `cell` model; V_target = {v} V "
             f"(the NEAT target); energy saving of the crossbar (read + select lines) vs "
             f"{s['reference'] or '1.00 V'}, same weights; in brackets with DAC/ADC.", "",
             "| software | non-linear crossbar @V_target | NEAT @V_target | cell-model fine-tune @V_target | "
             "hetero V_G, no retrain | hetero V_G, NEAT | hetero V_G − 0.05, NEAT | energy saving, hetero NEAT |",
             "|---|---|---|---|---|---|---|---|",
             f"| {_pct(s['software'])} | {_pct(s['nonlinear_crossbar'])} | {_pct(s['neat'])} | "
             f"{_pct(s['cell_finetune'])} | {_pct(s['hetero_no_retrain'])} | {_pct(s['hetero_neat'])} | "
             f"{_pct(s['hetero_neat_minus_step'])} | {_pct(s['energy_saving_hetero_neat_crossbar'], 1)} % "
             f"({_pct(s['energy_saving_hetero_neat_total'], 1)} %) |", "",
             "### Per variant", "",
             "| variant | software | @1.0 V | @V_target | hetero V_G | hetero − 0.05 | mean hetero V_G (V) | "
             "saving hetero (crossbar / total) | saving @V_target (crossbar) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in t["variants"].items():
        mv = r["mean_hetero_v_gate"]
        lines.append(f"| {_NAMES[name]} | {_pct(r['software_accuracy'])} | {_pct(r['accuracy_reference_v_gate'])} | "
                     f"{_pct(r['accuracy_target_v_gate'])} | {_pct(r['accuracy_hetero'])} | "
                     f"{_pct(r['accuracy_hetero_minus_step'])} | {'—' if mv is None else f'{mv:.3f}'} | "
                     f"{_pct(r['saving_hetero_crossbar'], 1)} % / {_pct(r['saving_hetero_total'], 1)} % | "
                     f"{_pct(r['saving_target_crossbar'], 1)} % |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------- plots
def plot_all(out: Path, res: dict) -> list:
    """Write the PNGs; returns their file names."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    files = []
    target = res["cell_table"]["neat_v_gate"]
    colors = {"baseline": "C0", "neat": "C1", "cell_ft": "C2"}

    # accuracy vs V_G
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for variant, stage in _SWEEP.items():
        if stage not in res:
            continue
        pts = sorted(zip(res[stage]["v_gate"], res[stage]["accuracy"]))
        ax.plot([p[0] for p in pts], [100 * p[1] for p in pts], "o-", color=colors[variant], label=_NAMES[variant])
        gc = res.get("gate_control", {}).get("variants", {}).get(variant)
        if gc:
            ax.plot([gc["mean_v_gate_weighted"]], [100 * gc["accuracy"]], "*", ms=13, color=colors[variant],
                    markeredgecolor="k", label=f"{_NAMES[variant]}: hetero V_G (weighted mean)")
    ax.axhline(100 * res["baseline"]["software_accuracy"], color="k", ls="--", lw=1, label="software")
    ax.axvline(target, color="grey", ls=":", lw=1)
    ax.set_xlabel("homogeneous gate voltage V_G (V)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Accuracy on 1T-1R crossbars vs V_G")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "accuracy_vs_vg.png", dpi=120)
    plt.close(fig)
    files.append("accuracy_vs_vg.png")

    # per-layer V_G and linear fractions
    gcv = res.get("gate_control", {}).get("variants", {})
    if gcv:
        names = list(next(iter(gcv.values()))["v_gates"])
        fig, axes = plt.subplots(2, 1, figsize=(max(6.4, 0.45 * len(names) + 2), 6.4), sharex=True)
        width = 0.8 / max(len(gcv), 1)
        for k, (variant, g) in enumerate(gcv.items()):
            axes[0].bar([i + k * width for i in range(len(names))], [g["v_gates"][n] for n in names], width,
                        color=colors[variant], label=_NAMES[variant])
        axes[0].set_ylabel("chosen V_G (V)")
        lo = min(min(g["v_gates"].values()) for g in gcv.values())
        axes[0].set_ylim(max(0.0, lo - 0.1), None)
        axes[0].legend(fontsize=7)
        axes[0].set_title(f"Heterogeneous gate control (coverage {100 * res['gate_control']['coverage']:g} %)")
        if "neat" in res:
            fb = res["neat"]["fraction_inside_before"]
            fa = res["neat"]["fraction_inside"]
            axes[1].bar([i for i in range(len(names))], [100 * fb[n] for n in names], 0.4, color="C0",
                        label="before NEAT")
            axes[1].bar([i + 0.4 for i in range(len(names))], [100 * fa[n] for n in names], 0.4, color="C1",
                        label="after NEAT")
            axes[1].set_ylabel(f"weights in linear range\n@ {target} V (%)")
            axes[1].legend(fontsize=7)
        axes[1].set_xticks(range(len(names)))
        axes[1].set_xticklabels(names, rotation=60, ha="right", fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "layer_vg.png", dpi=120)
        plt.close(fig)
        files.append("layer_vg.png")

    # energy breakdown
    en = res.get("energy")
    if en:
        labels, parts = [], {"read_J": [], "gate_J": [], "dac_J": [], "adc_J": []}
        for variant, settings in en["variants"].items():
            for label, d in settings.items():
                labels.append(f"{variant}: {label.replace('homogeneous ', '')}")
                for p in parts:
                    parts[p].append(d["total"][p] * 1e9)
        fig, ax = plt.subplots(figsize=(max(6.4, 0.4 * len(labels) + 2), 4.4))
        bottom = [0.0] * len(labels)
        for p, c in zip(parts, ("C0", "C1", "C7", "C8")):
            ax.bar(range(len(labels)), parts[p], bottom=bottom, color=c, label=p.replace("_J", ""))
            bottom = [b + v for b, v in zip(bottom, parts[p])]
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("energy per inference (nJ)")
        ax.set_title("Energy per inference by part (estimates)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "energy.png", dpi=120)
        plt.close(fig)
        files.append("energy.png")

    hist = res.get("neat", {}).get("history")
    if hist:
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        its = [h["iteration"] for h in hist]
        if all("crossbar_accuracy" in h for h in hist):
            ax.plot(its, [100 * h["crossbar_accuracy"] for h in hist], "o-", color="C1",
                    label=f"crossbar accuracy @ {target} V (test subset)")
        ax.plot(its, [100 * h["min_fraction_inside"] for h in hist], "s--", color="C3",
                label="min over layers: weights in linear range")
        ax.set_xlabel("NEAT iteration")
        ax.set_ylabel("%")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "neat_iterations.png", dpi=120)
        plt.close(fig)
        files.append("neat_iterations.png")
    return files


def write_report(out, res: dict, config: dict, data_info: dict, *, progress: bool = True) -> dict:
    """Write results.json, table_I.md and the PNGs into ``out``; returns the tables and file names."""
    out = Path(out)
    t = table_rows(res)
    title = f"{config['model']} (width {config['width']}) on {data_info['name']}"
    text = format_tables(t, title)
    atomic_write_bytes(out / "table_I.md", text.encode())
    files = plot_all(out, res)
    report = {"tables": t, "files": ["results.json", "table_I.md"] + files, "markdown": text}
    atomic_write_json(out / "results.json", {"config": config, "data": data_info, "tables": t,
                                             "stages": {k: v for k, v in res.items() if k != "report"}})
    return report
