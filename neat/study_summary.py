"""The NEAT study's summary: Table I with mean ± std over seeds, the paper's claims, and the plots.

:func:`aggregate` reads every finished run's ``results.json`` under a study folder
(:mod:`neat.study` runs them) and writes, per model:

* ``table_I.md`` -- Table I in the paper's shape with mean ± standard deviation over seeds,
  the three claims of the paper judged on paired differences over seeds by one-sided paired
  t-tests at 95 % (:func:`judge_claims`), NEAT's energy against the unretrained network at the reference
  gate voltage, claims (1) and (2) at every swept gate voltage (:func:`across_gate_voltages`),
  the energy model's sensitivity (:func:`energy_sensitivity`) and the budget/lr sweep of NEAT
  where a run made one;
* ``study.json`` -- the same numbers, with every seed's tables;
* plots, each with the spread over seeds: ``accuracy_vs_vg_<model>.png`` (accuracy vs
  homogeneous V_G per variant; ``accuracy_vs_vg_zoom_<model>.png`` the variants near software
  accuracy only), ``neat_iterations_<model>.png`` (Algorithm 2's crossbar
  accuracy per iteration), ``layer_vg_<model>.png`` (Algorithm 1's per-layer V_G) and
  ``energy_<model>.png`` (energy per inference by component).

A claim *holds* when a one-sided paired t-test over seeds rejects "no effect or the other
direction" at 95 % (the paired mean lies beyond t(0.95, n − 1) standard errors in the claimed
direction: 2.92 SE with 3 seeds, 6.31 with 2), is *contradicted* when the same test holds the
other way, and is *not resolved* otherwise.  With 3 seeds only large, consistent effects
resolve; two standard errors, a common shortcut, would be anti-conservative at this n.
Accuracies and savings are fractions in the JSON and percent (points) in the text.
"""
from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

from .checkpoint import atomic_write_bytes, atomic_write_json
from .energy import PARTS
from .pipeline import VARIANTS

__all__ = ["aggregate", "judge_claims", "across_gate_voltages", "energy_sensitivity", "paired_difference"]

REFERENCE_SETTING = "homogeneous {v:.2f} V"
HETERO_SETTING = "heterogeneous, coverage 1"


# ------------------------------------------------------------------------------ statistics
def _mean_std(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None
    return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)


def _nested_mean_std(tables: list):
    """Mean and std (same nesting) of a list of nested dicts of numbers."""
    first = tables[0]
    if isinstance(first, dict):
        mean, std = {}, {}
        for k in first:
            m, s = _nested_mean_std([t[k] for t in tables if k in t])
            mean[k], std[k] = m, s
        return mean, std
    if isinstance(first, (int, float)) or first is None:
        return _mean_std(tables)
    return first, None


def paired_difference(a: list, b: list) -> dict:
    """Paired difference a − b over seeds (pairs with a missing value are left out):
    mean, sample standard deviation, standard error and n."""
    d = [x - y for x, y in zip(a, b) if x is not None and y is not None]
    if not d:
        return {"mean": None, "std": None, "se": None, "n": 0}
    sd = statistics.stdev(d) if len(d) > 1 else 0.0
    return {"mean": statistics.fmean(d), "std": sd, "se": sd / math.sqrt(len(d)), "n": len(d)}


def t_critical(n: int) -> float:
    """t(0.95, n − 1): the one-sided 95 % critical value of Student's t for n paired differences."""
    from scipy.stats import t
    return float(t.ppf(0.95, n - 1))


def _verdict(diff: dict, sign: int = 1) -> str:
    """'holds' if a one-sided paired t-test (95 %) puts the mean difference in the claimed
    direction (``sign``), 'contradicted' if it puts it in the other, else 'not resolved'."""
    if diff["mean"] is None or diff["n"] < 2:
        return "not enough runs"
    bound = t_critical(diff["n"]) * diff["se"]
    if sign * diff["mean"] > bound:
        return "holds (one-sided paired t-test, 95 %)"
    if -sign * diff["mean"] > bound:
        return "contradicted (one-sided paired t-test the other way, 95 %)"
    return "not resolved (paired t-test, 95 %)"


def judge_claims(per_seed: list, against_baseline: list | None = None) -> dict:
    """The paper's three claims for one model and weight-scale mode, from per-seed tables (fractions).

    (1) non-linearity at V_target costs accuracy: software − no-retraining @V_target > 0;
    (2) NEAT recovers it: NEAT @V_target − no-retraining @V_target > 0 (and against the controls);
    (3) heterogeneous V_G saves ~20 % energy at < 1 point loss: the saving, and software − hetero NEAT < 1 point.
    Each as a paired difference over seeds (mean ± std, standard error), judged by :func:`_verdict`.
    ``against_baseline``: per seed, NEAT at heterogeneous V_G against the unretrained network at
    the reference V_G (``{"array": s, "total": s}``, savings as fractions) -- the saving that
    includes the weight clip.
    """
    s = [t["summary"] for t in per_seed]

    def col(key):
        return [x.get(key) for x in s]
    c1 = paired_difference(col("software"), col("nonlinear_crossbar"))
    c2 = paired_difference(col("neat"), col("nonlinear_crossbar"))
    c2_bn = paired_difference(col("neat"), col("clip_bn"))
    c2_cell = paired_difference(col("neat"), col("cell_finetune"))
    loss = paired_difference(col("software"), col("hetero_neat"))
    saving_array = _mean_std(col("saving_hetero_neat_array"))
    saving_total = _mean_std(col("saving_hetero_neat_total"))
    against = [b for b in (against_baseline or []) if b]
    vs_array = _mean_std([b.get("array") for b in against])
    vs_total = _mean_std([b.get("total") for b in against])
    below_one = (loss["mean"] is not None and loss["n"] >= 2
                 and loss["mean"] + t_critical(loss["n"]) * loss["se"] < 0.01)
    verdict = ("loss < 1 point (upper one-sided 95 % bound)" if below_one
               else "loss not shown to be < 1 point (upper one-sided 95 % bound)")
    if saving_array[0] is not None:
        verdict += f"; array saving {100 * saving_array[0]:.1f} % (paper: ~20 %)"
    return {
        "1_nonlinearity_costs_accuracy": {"difference": c1, "verdict": _verdict(c1)},
        "2_neat_recovers": {"difference": c2, "verdict": _verdict(c2),
                            "neat_minus_clip_bn": {"difference": c2_bn, "verdict": _verdict(c2_bn)},
                            "neat_minus_cell_finetune": {"difference": c2_cell, "verdict": _verdict(c2_cell)}},
        "3_hetero_saves_energy": {"saving_array": list(saving_array), "saving_total": list(saving_total),
                                  "saving_vs_unretrained_reference_array": list(vs_array),
                                  "saving_vs_unretrained_reference_total": list(vs_total),
                                  "loss_software_minus_hetero_neat": loss, "verdict": verdict}}


# ------------------------------------------------------------------------------ reading runs
def _stage(doc: dict, name: str) -> dict:
    return doc.get("stages", {}).get(name) or {}


def _read_runs(root: Path) -> dict:
    """{(model, width): [(seed, results), ...]} of every finished run under ``root``, seeds sorted."""
    groups = {}
    for res_file in sorted(root.glob("*/results.json")):
        doc = json.loads(res_file.read_text())
        cfg = doc["config"]
        groups.setdefault((cfg["model"], cfg["model_width"]), []).append((cfg["seed"], doc))
    for docs in groups.values():
        docs.sort(key=lambda sd: sd[0])
    return groups


def _schedules(docs: list, mode: str) -> list:
    """The budget/lr sweep of NEAT (``scheduleK.<mode>`` stages), with the paper's schedule and
    the unretrained network beside it, per seed that ran one."""
    rows = []
    for seed, doc in docs:
        cfg = doc["config"]
        sweep = sorted((name for name in doc.get("stages", {}) if name.startswith("schedule")
                        and name.endswith(f".{mode}")), key=lambda n: int(n.split(".")[0][len("schedule"):]))
        if not sweep:
            continue
        variants = doc["tables"][mode]["variants"]
        rows.append({"seed": seed, "schedule": f"lr {cfg.get('neat_lr', 1e-5):g} × {cfg.get('neat_iterations')}",
                     "software": variants["neat"]["software_accuracy"],
                     "target": variants["neat"]["accuracy_target_v_gate"],
                     "reference": variants["neat"]["accuracy_reference_v_gate"],
                     "unretrained_target": variants["baseline"]["accuracy_target_v_gate"]})
        for name in sweep:
            st = doc["stages"][name]
            rows.append({"seed": seed, "schedule": f"lr {st['lr']:g} × {st['iterations']}",
                         "software": st["software_accuracy"], "target": st["accuracy_target"],
                         "reference": st["accuracy_reference"],
                         "unretrained_target": variants["baseline"]["accuracy_target_v_gate"]})
    return rows


def across_gate_voltages(docs: list, mode: str) -> list:
    """Claims (1) and (2) at every homogeneous V_G of the sweep, paired over seeds: the cost of the
    non-linearity (the unretrained network's software − crossbar accuracy), and what NEAT and the
    cell-model fine-tune gain over the unretrained network there (both retrained for V_target)."""
    sweeps = {}
    for variant in ("baseline", "neat", "cell_ft"):
        sweeps[variant] = [_stage(d, f"evaluate.{mode}").get("variants", {}).get(variant, {}).get("sweep") or {}
                           for _, d in docs]
    software = [d["tables"][mode]["variants"]["baseline"]["software_accuracy"] for _, d in docs]
    keys = sorted({k for sw in sweeps["baseline"] for k in sw}, key=float, reverse=True)
    rows = []
    for key in keys:
        base = [sw.get(key) for sw in sweeps["baseline"]]
        cost = paired_difference(software, base)
        neat = paired_difference([sw.get(key) for sw in sweeps["neat"]], base)
        cell = paired_difference([sw.get(key) for sw in sweeps["cell_ft"]], base)
        rows.append({"v_gate": float(key), "nonlinearity_cost": cost, "neat_gain": neat, "cell_ft_gain": cell,
                     "verdicts": {"nonlinearity_cost": _verdict(cost), "neat_gain": _verdict(neat),
                                  "cell_ft_gain": _verdict(cell)}})
    return rows


# ------------------------------------------------------------------------------ text
def _fmt_diff(d: dict) -> str:
    if d["mean"] is None:
        return "—"
    return f"{100 * d['mean']:+.2f} ± {100 * d['std']:.2f} points (SE {100 * d['se']:.2f}, n = {d['n']})"


def _fmt_pct(pair) -> str:
    """A saving (fraction, std) in percent, with two decimals below 1 % (the periphery-dominated totals)."""
    m, s = pair
    if m is None:
        return "—"
    digits = 2 if abs(100 * m) < 1 else 1
    return f"{100 * m:.{digits}f} ± {100 * s:.{digits}f} %"


def _claims_text(mode: str, c: dict) -> list:
    c1, c2, c3 = c["1_nonlinearity_costs_accuracy"], c["2_neat_recovers"], c["3_hetero_saves_energy"]
    return [f"**Weight scale per {mode}**", "",
            f"1. Non-linearity at V_target costs accuracy (software − no retraining @V_target): "
            f"{_fmt_diff(c1['difference'])} — {c1['verdict']}.",
            f"2. NEAT recovers it (NEAT − no retraining @V_target): {_fmt_diff(c2['difference'])} — "
            f"{c2['verdict']}. Against clip + BN recalibration: {_fmt_diff(c2['neat_minus_clip_bn']['difference'])}"
            f" ({c2['neat_minus_clip_bn']['verdict']}); against the cell-model fine-tune: "
            f"{_fmt_diff(c2['neat_minus_cell_finetune']['difference'])} "
            f"({c2['neat_minus_cell_finetune']['verdict']}).",
            f"3. Heterogeneous V_G (NEAT): loss {_fmt_diff(c3['loss_software_minus_hetero_neat'])}; "
            f"{c3['verdict']}; total saving {_fmt_pct(c3['saving_total'])}. NEAT at heterogeneous V_G against "
            f"the unretrained network at the reference V_G (the weight clip's share included): array "
            f"{_fmt_pct(c3['saving_vs_unretrained_reference_array'])}, total "
            f"{_fmt_pct(c3['saving_vs_unretrained_reference_total'])}.", ""]


def energy_sensitivity(docs: list, mode: str) -> list:
    """The energy model's sensitivity rows (transistor width, toggling policy, t_read) of NEAT at
    heterogeneous V_G against homogeneous reference V_G: savings mean ± std over seeds, per row."""
    per_label = {}
    for _, d in docs:
        for row in _stage(d, f"energy.{mode}").get("sensitivity") or []:
            per_label.setdefault(row["label"], []).append(row)
    out = []
    for label, rows in per_label.items():
        out.append({"label": label, "toggling": rows[0].get("toggling"), "n": len(rows),
                    "saving_array": list(_mean_std([r.get("saving_array") for r in rows])),
                    "saving_total": list(_mean_std([r.get("saving_total") for r in rows]))})
    return out


def _markdown_table(title: str, intro: str, header: tuple, rows: list) -> list:
    """Lines of a titled markdown table (``rows``: lists of cell strings); nothing without rows."""
    if not rows:
        return []
    lines = [f"### {title}", "", intro, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows] + [""]


def _sensitivity_text(rows: list, mode: str) -> list:
    return _markdown_table(
        f"Energy saving of NEAT at heterogeneous V_G: sensitivity (weight scale per {mode})",
        "Against homogeneous reference V_G with the same weights; mean ± std over seeds.",
        ("energy model", "seeds", "array (read + select)", "total (with DAC, ADC, row lines, accumulation)"),
        [[f"{r['label']} ({r['toggling']})", str(r["n"]), _fmt_pct(r["saving_array"]), _fmt_pct(r["saving_total"])]
         for r in rows])


def _schedule_text(rows: list, mode: str) -> list:
    seeds = sorted({r["seed"] for r in rows})
    return _markdown_table(
        f"NEAT's budget/lr sweep (weight scale per {mode}; seeds {seeds})",
        "Each schedule: that many iterations of {clip to ±W_cut, one full epoch, Adam at that lr}, then the "
        "final clip; accuracy in % on the full test set.",
        ("seed", "schedule", "software", "@V_target", "@reference V_G", "no retraining @V_target"),
        [[str(r["seed"]), r["schedule"]] + [f"{100 * r[k]:.2f}" for k in ("software", "target", "reference",
                                                                          "unretrained_target")] for r in rows])


def _short(verdict: str) -> str:
    return verdict.split(" (")[0]


def _across_text(rows: list, mode: str, v_target: float) -> list:
    return _markdown_table(
        f"Claims (1) and (2) at every swept V_G (weight scale per {mode}; NEAT retrained for "
        f"V_target = {v_target:g} V)",
        "Paired over seeds, in points: the unretrained network's software accuracy minus its crossbar "
        "accuracy at V_G, and NEAT's (cell fine-tune's) crossbar accuracy minus the unretrained network's "
        "at the same V_G; verdict by a one-sided paired t-test at 95 %.",
        ("V_G (V)", "cost of the non-linearity", "NEAT − no retraining", "cell fine-tune − no retraining"),
        [[f"{r['v_gate']:.2f}"] + [f"{_fmt_diff(r[k])} — {_short(r['verdicts'][k])}"
                                   for k in ("nonlinearity_cost", "neat_gain", "cell_ft_gain")] for r in rows])


def claims_at_a_glance(summary: dict) -> list:
    """One markdown table of the three claims for every model and weight-scale mode of ``summary``."""
    rows = []
    for entry in summary.values():
        model, width = entry["model"], f"{entry['width']:g}"
        for mode, c in entry["claims"].items():
            c1, c2, c3 = c["1_nonlinearity_costs_accuracy"], c["2_neat_recovers"], c["3_hetero_saves_energy"]
            loss = c3["loss_software_minus_hetero_neat"]
            rows.append([f"{model} ×{width}", mode, str(len(entry["seeds"])),
                         f"{_fmt_diff(c1['difference'])} — {_short(c1['verdict'])}",
                         f"{_fmt_diff(c2['difference'])} — {_short(c2['verdict'])}",
                         f"{_fmt_diff(loss)} — {_short(c3['verdict'])}; array {_fmt_pct(c3['saving_array'])}, "
                         f"total {_fmt_pct(c3['saving_total'])}"])
    return _markdown_table(
        "The paper's claims at a glance",
        "(1) software − no retraining at V_target; (2) NEAT − no retraining at V_target; (3) software − NEAT at "
        "heterogeneous V_G, and its energy saving against homogeneous reference V_G with the same weights. "
        "Paired over seeds, in points; verdicts by one-sided paired t-tests at 95 %.",
        ("network", "weight scale", "seeds", "(1) cost of the non-linearity", "(2) NEAT's recovery",
         "(3) heterogeneous V_G: loss; saving"), rows)


# ------------------------------------------------------------------------------ entry point
def aggregate(root, out) -> dict:
    """Table I (mean ± std over seeds), the claims and the plots, per model and mode, from every
    finished run under ``root``; written to ``out`` (module docstring).  Returns the summary."""
    from .report import format_tables
    root, out = Path(root), Path(out)
    groups = _read_runs(root)
    if not groups:
        raise SystemExit(f"no finished run (results.json) under {root}")
    out.mkdir(parents=True, exist_ok=True)
    summary, lines = {}, ["# NEAT study: Table I with mean ± std over seeds", ""]
    for (model, width), docs in sorted(groups.items()):
        seeds = [s for s, _ in docs]
        modes = list(docs[0][1]["tables"])
        mean_tables, std_tables, claims, sweeps, across, sensitivity = {}, {}, {}, {}, {}, {}
        for mode in modes:
            per_seed = [d["tables"][mode] for _, d in docs if mode in d["tables"]]
            mean, std = _nested_mean_std(per_seed)
            mean_tables[mode], std_tables[mode] = mean, std
            against = [_stage(d, f"energy.{mode}").get("neat_hetero_vs_baseline_reference") for _, d in docs]
            claims[mode] = judge_claims(per_seed, against)
            sweeps[mode] = _schedules(docs, mode)
            across[mode] = across_gate_voltages(docs, mode)
            sensitivity[mode] = energy_sensitivity(docs, mode)
        note = (f"{len(seeds)} seeds ({', '.join(map(str, seeds))}); entries mean ± standard deviation over seeds; "
                f"accuracies in %, on the full test set; savings against homogeneous "
                f"{docs[0][1]['config']['reference_v_gate']} V with the same weights.")
        lines.append(format_tables(mean_tables, f"{model} ×{width:g}", spreads=std_tables, note=note))
        lines += ["### The paper's claims, judged against the spread", ""]
        for mode, c in claims.items():
            lines += _claims_text(mode, c)
        for mode in modes:
            lines += _across_text(across[mode], mode, mean_tables[mode]["v_target"])
        for mode in modes:
            lines += _sensitivity_text(sensitivity[mode], mode)
        for mode in modes:
            lines += _schedule_text(sweeps[mode], mode)
        summary[f"{model}@{width:g}"] = {
            "model": model, "width": width, "seeds": seeds, "mean": mean_tables, "std": std_tables,
            "claims": claims, "across_v_gate": across, "energy_sensitivity": sensitivity, "schedules": sweeps,
            "per_seed": {s: d["tables"] for s, d in docs}}
    lines[2:2] = claims_at_a_glance(summary)
    atomic_write_bytes(out / "table_I.md", "\n".join(lines).encode())
    atomic_write_json(out / "study.json", summary)
    _plot_study(out, groups)
    return summary


# ------------------------------------------------------------------------------ plots
COLORS = {"baseline": "C0", "clip": "C4", "clip_bn": "C5", "neat": "C1", "cell_ft": "C2"}


def _spread(curves: list) -> tuple:
    """Pointwise mean and std of equally long lists (std 0 for one curve)."""
    mean = [statistics.fmean(c[i] for c in curves) for i in range(len(curves[0]))]
    std = [statistics.stdev([c[i] for c in curves]) if len(curves) > 1 else 0.0 for i in range(len(curves[0]))]
    return mean, std


def _plot_study(out: Path, groups: dict) -> None:
    from .report import _plt
    plt = _plt()
    for (model, width), docs in groups.items():
        modes = list(docs[0][1]["tables"])
        title = f"{model} ×{width:g} ({len(docs)} seed{'s' if len(docs) != 1 else ''})"
        for name, draw in (("accuracy_vs_vg", _draw_accuracy_vs_vg), ("accuracy_vs_vg_zoom", _draw_accuracy_zoom),
                           ("neat_iterations", _draw_neat_iterations),
                           ("layer_vg", _draw_layer_vg), ("energy", _draw_energy)):
            fig, axes = plt.subplots(1, len(modes), figsize=(6.0 * len(modes), 4.4), squeeze=False)
            for ax, mode in zip(axes[0], modes):
                draw(ax, docs, mode)
                ax.set_title(f"{title}, weight scale per {mode}", fontsize=9)
                ax.grid(alpha=0.3)
            fig.tight_layout()
            fig.savefig(out / f"{name}_{model}.png", dpi=120)
            plt.close(fig)


def _draw_accuracy_zoom(ax, docs, mode) -> None:
    """:func:`_draw_accuracy_vs_vg` for the three networks that stay near software accuracy."""
    _draw_accuracy_vs_vg(ax, docs, mode, variants=("baseline", "neat", "cell_ft"))


def _draw_accuracy_vs_vg(ax, docs, mode, variants=VARIANTS) -> None:
    """Test accuracy vs homogeneous V_G per variant, mean ± std over seeds."""
    from .report import NAMES
    for variant in variants:
        curves = [_stage(d, f"evaluate.{mode}").get("variants", {}).get(variant, {}).get("sweep") for _, d in docs]
        curves = [c for c in curves if c]
        if not curves:
            continue
        keys = sorted(curves[0], key=float)
        mean, std = _spread([[c[k] for k in keys] for c in curves])
        ax.errorbar([float(k) for k in keys], [100 * v for v in mean], yerr=[100 * v for v in std], fmt="o-",
                    ms=4, capsize=3, color=COLORS[variant], label=NAMES[variant])
    ax.set_xlabel("homogeneous gate voltage V_G (V)")
    ax.set_ylabel("test accuracy (%), mean ± std")
    ax.legend(fontsize=7)


def _draw_neat_iterations(ax, docs, mode) -> None:
    """Algorithm 2's crossbar accuracy (on its evaluation subset) and training accuracy per
    iteration, mean ± std over seeds, with the unretrained network at V_target for reference."""
    runs = [_stage(d, f"neat.{mode}").get("iterations") or [] for _, d in docs]
    runs = [r for r in runs if r]
    if not runs:
        ax.text(0.5, 0.5, "no NEAT iterations recorded", ha="center", transform=ax.transAxes)
        return
    n = min(len(r) for r in runs)
    x = [r["iteration"] for r in runs[0][:n]]
    subset = docs[0][1]["config"].get("neat_eval_samples")
    for key, label, color in (("crossbar_accuracy", f"crossbar (cell model) @V_target, {subset or 'all'} test images",
                               "C1"),
                              ("train_accuracy", "training accuracy", "C7")):
        curves = [[it.get(key) for it in r[:n]] for r in runs]
        if any(v is None for c in curves for v in c):
            continue
        mean, std = _spread(curves)
        ax.plot(x, [100 * v for v in mean], color=color, label=label)
        ax.fill_between(x, [100 * (m - s) for m, s in zip(mean, std)], [100 * (m + s) for m, s in zip(mean, std)],
                        color=color, alpha=0.25)
    unretrained = [d["tables"][mode]["variants"]["baseline"]["accuracy_target_v_gate"] for _, d in docs]
    ax.axhline(100 * statistics.fmean(unretrained), color="C0", ls="--", lw=1,
               label="no retraining @V_target (full test set)")
    ax.set_xlabel("NEAT iteration (clip + one epoch)")
    ax.set_ylabel("accuracy (%), mean ± std")
    ax.legend(fontsize=7)


def _draw_layer_vg(ax, docs, mode) -> None:
    """Algorithm 1's gate voltage per crossbar layer (coverage 100 %), mean ± std over seeds."""
    from .report import NAMES
    layers = None
    for offset, variant in ((-0.15, "baseline"), (0.0, "neat"), (0.15, "cell_ft")):
        per_seed = []
        for _, d in docs:
            gates = _stage(d, f"evaluate.{mode}").get("variants", {}).get(variant, {}).get("gates") or []
            full = [g for g in gates if g.get("coverage") == 1.0]
            if full:
                per_seed.append(full[0]["v_gates"])
        if not per_seed:
            continue
        layers = layers or list(per_seed[0])
        mean, std = _spread([[g[name] for name in layers] for g in per_seed])
        ax.errorbar([i + offset for i in range(len(layers))], mean, yerr=std, fmt="o", ms=4, capsize=2,
                    color=COLORS[variant], label=NAMES[variant])
    if layers:
        ax.set_xticks(range(len(layers)))
        ax.set_xticklabels(layers, rotation=90, fontsize=6)
    ax.set_ylabel("V_G chosen by Algorithm 1 (V), mean ± std")
    ax.legend(fontsize=7)


def _draw_energy(ax, docs, mode) -> None:
    """Energy per inference by component (log scale), mean ± std over seeds: the unretrained
    network and NEAT at the reference V_G, NEAT at heterogeneous V_G."""
    reference = REFERENCE_SETTING.format(v=docs[0][1]["config"]["reference_v_gate"])
    bars = (("no retraining, " + reference, "baseline", reference), ("NEAT, " + reference, "neat", reference),
            ("NEAT, heterogeneous V_G", "neat", HETERO_SETTING))
    parts = PARTS
    width = 0.8 / len(bars)
    for k, (label, variant, setting) in enumerate(bars):
        per_seed = []
        for _, d in docs:
            total = (_stage(d, f"energy.{mode}").get("variants", {}).get(variant, {}).get("settings", {})
                     .get(setting, {}).get("total"))
            if total:
                per_seed.append([total[p] for p in parts])
        if not per_seed:
            continue
        mean, std = _spread(per_seed)
        ax.bar([i + (k - 1) * width for i in range(len(parts))], mean, width, yerr=std, capsize=2,
               label=label, color=f"C{k}")
    ax.set_xticks(range(len(parts)))
    ax.set_xticklabels(parts, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("energy per inference (J), mean ± std")
    ax.legend(fontsize=7)
