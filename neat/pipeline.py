"""The NEAT pipeline: software baseline → non-linear crossbars → NEAT → gate control → energy.

:func:`run_pipeline` wires stages together; each stage is a function of the
run context and the results of the stages before it, and is checkpointed by
:class:`neat.checkpoint.RunStore`.  A run killed at any point resumes with
``resume=True`` where it stopped: finished stages are loaded, an unfinished
stage restarts from its last epoch / iteration / gate voltage.  All randomness
(initialisation, batch order, augmentation) is derived from the seed and the
position in the run, so an interrupted-and-resumed run gives the same numbers
as an uninterrupted one.

Stages (``STAGES``, in order):

``cell_table``     cut-off conductance G_cut(V_G) on the gate-voltage grid; picks the NEAT target V_G.
``baseline``       software training (Adam, cosine learning rate); fixes the mapping weight scales.
``degradation``    accuracy of the baseline on 1T-1R crossbars (``cell`` fidelity) at homogeneous V_G.
``neat``           NEAT (Algorithm 2): clip weights to ±W_cut(V_target), retrain, N times.
``neat_sweep``     accuracy of the NEAT model at the homogeneous V_G.
``cell_finetune``  beyond the paper: fine-tune through the ``cell`` model at V_target (optional).
``cell_finetune_sweep``
``gate_control``   heterogeneous V_G per layer (Algorithm 1, data-free) and its accuracy, also at V_G − step.
``energy``         energy per inference by part at homogeneous and heterogeneous V_G.
``report``         Table I, JSON and PNG plots (:mod:`neat.report`).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict

import numpy as np
import torch
from tqdm.auto import tqdm

from .cell import cutoff_table
from .checkpoint import RunStore
from .config import FULL, QUICK, ConfigError, PipelineConfig
from .data import BatchIterator, derive_seed, load_dataset
from .energy import EnergyConstants, LayerEnergy, energy_saving, measure_energy
from .gate_control import fraction_inside, select_v_gates, shift_v_gates
from .mapping import weight_cutoff
from .models import build_model
from .loops import cosine_lr, evaluate, train_epoch
from .network import clip_weights, crossbar_model, mapped_layers, weight_scales

__all__ = ["PipelineConfig", "STAGES", "run_pipeline", "StopPipeline", "QUICK", "FULL", "VARIANTS", "neat_target"]

STAGES = ("cell_table", "baseline", "degradation", "neat", "neat_sweep", "cell_finetune", "cell_finetune_sweep",
          "gate_control", "energy", "report")
#: Model variants compared: the baseline without retraining, NEAT, and the cell-model fine-tune.
VARIANTS = ("baseline", "neat", "cell_ft")


class StopPipeline(Exception):
    """Raised by a hook to stop a run cleanly (its checkpoints stay; resume continues)."""


# ------------------------------------------------------------------------------- context
class _Ctx:
    def __init__(self, cfg: PipelineConfig, store: RunStore, device: str, progress: bool, hooks: dict):
        self.cfg, self.store, self.device, self.progress, self.hooks = cfg, store, device, progress, hooks
        self.cell = cfg.cell()
        self.data = load_dataset(cfg.dataset, cfg.data_dir, train_subset=cfg.train_subset,
                                 test_subset=cfg.test_subset, subset_seed=cfg.seed)
        self.energy_constants = EnergyConstants(**cfg.energy_constants)
        self._table = None

    def table(self):
        if self._table is None:
            self._table = cutoff_table(self.cell, self.cfg.v_grid())
        return self._table

    def g_cut(self, v_gate: float) -> float:
        """G_cut (S, NaN if no linear range) at ``v_gate`` (V): from the grid table when on the grid."""
        t = self.table()
        hits = np.flatnonzero(np.abs(t.v_gate - v_gate) < 1e-9)
        if hits.size:
            return float(t.g_cut[hits[0]])
        return float(cutoff_table(self.cell, [v_gate]).g_cut[0])

    def new_model(self) -> torch.nn.Module:
        d = self.data
        torch.manual_seed(derive_seed(self.cfg.seed, "init"))
        return build_model(self.cfg.model, d.in_channels, d.num_classes, self.cfg.width, d.image_size)

    def model_from(self, state_dict) -> torch.nn.Module:
        m = self.new_model()
        m.load_state_dict(state_dict)
        return m.to(self.device)

    def tick(self, stage: str, step) -> None:
        """Called after every mid-stage checkpoint (hooks may raise StopPipeline)."""
        fn = self.hooks.get("after_step")
        if fn is not None:
            fn(stage, step)

    def eval_cell(self, state_dict, v_gate, w_scales, *, n: int | None = None, desc="eval") -> float:
        net = crossbar_model(self.model_from(state_dict), self.cell, w_scales, v_gate=v_gate, fidelity="cell")
        x, y = self.data.x_test, self.data.y_test
        if n is not None:
            x, y = x[:n], y[:n]
        return evaluate(net, x, y, batch_size=self.cfg.eval_batch, device=self.device, desc=desc,
                        progress=self.progress)

    def eval_software(self, state_dict) -> float:
        return evaluate(self.model_from(state_dict), self.data.x_test, self.data.y_test,
                        batch_size=self.cfg.eval_batch, device=self.device, desc="eval sw", progress=self.progress)


def _cpu_state(model) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _sweep_v_gates(cfg: PipelineConfig, target: float) -> list:
    vs = sorted(set(round(v, 6) for v in cfg.sweep_v_gates) | {round(target, 6), round(cfg.reference_v_gate, 6)},
                reverse=True)
    return vs


# ---------------------------------------------------------------------------------- stages
def neat_target(ctx: _Ctx) -> float:
    """The NEAT target gate voltage (V): the configured one, or the lowest grid V_G keeping
    ``neat_min_span`` of the conductance span linear.  :class:`ConfigError` if it has no linear range."""
    cfg, cell, table = ctx.cfg, ctx.cell, ctx.table()
    if cfg.neat_v_gate is None:
        span = (np.nan_to_num(table.g_cut, nan=cell.g_off) - cell.g_off) / cell.delta_g
        ok = [float(v) for v, f in zip(table.v_gate, span) if f >= cfg.neat_min_span - 1e-12]
        if not ok:
            raise ConfigError(f"no grid gate voltage ({cfg.vg_min}–{cfg.vg_max} V) keeps {cfg.neat_min_span:.0%} "
                              f"of the conductance span linear at tolerance {cfg.tolerance:.1%}; set --neat-v-gate "
                              f"explicitly, lower --neat-min-span or raise --tolerance")
        return min(ok)
    target = float(cfg.neat_v_gate)
    if not math.isfinite(ctx.g_cut(target)):
        raise ConfigError(f"--neat-v-gate {target} V has no linear range (G_cut undefined: even G_OFF is beyond the "
                          f"{cfg.tolerance:.1%} tolerance there); choose a higher gate voltage")
    return target


def stage_cell_table(ctx: _Ctx, res: dict) -> tuple:
    """Cut-off table on the grid; the NEAT target gate voltage (V)."""
    cfg, cell, table = ctx.cfg, ctx.cell, ctx.table()
    target = neat_target(ctx)
    g_cut_target = ctx.g_cut(target)
    result = {"v_grid": table.v_gate, "g_cut": table.g_cut, "status": list(table.status),
              "metric_at_g_off": table.metric_at_g_off, "metric_at_g_on": table.metric_at_g_on,
              "description": table.description, "metric": table.metric_name, "tolerance": table.tolerance,
              "g_on": cell.g_on, "g_off": cell.g_off, "v_max": cell.v_max,
              "neat_v_gate": target, "g_cut_at_neat_v_gate": g_cut_target,
              "neat_v_gate_auto": cfg.neat_v_gate is None}
    return result, None


def stage_baseline(ctx: _Ctx, res: dict) -> tuple:
    cfg, d = ctx.cfg, ctx.data
    model = ctx.new_model().to(ctx.device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start, history = 0, []
    part = ctx.store.load_partial("baseline")
    if part is not None:
        model.load_state_dict(part["model"])
        opt.load_state_dict(part["optimizer"])
        start, history = part["epoch"], part["history"]
    steps_per_epoch = math.ceil(d.x_train.shape[0] / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    for epoch in tqdm(range(start, cfg.epochs), desc="baseline epochs", disable=not ctx.progress,
                      initial=start, total=cfg.epochs):
        batches = BatchIterator(d.x_train, d.y_train, cfg.batch_size, shuffle=True, augment=cfg.augment,
                                seed=cfg.seed, key=f"baseline/{epoch}")
        r = train_epoch(model, batches, opt, device=ctx.device, lr_fn=lambda s: cosine_lr(cfg.lr, s, total),
                        step0=epoch * steps_per_epoch, desc=f"baseline {epoch + 1}/{cfg.epochs}",
                        progress=ctx.progress, threads=cfg.train_threads)
        r["test_accuracy"] = evaluate(model, d.x_test, d.y_test, batch_size=cfg.eval_batch, device=ctx.device,
                                      desc="eval", progress=ctx.progress)
        history.append({"epoch": epoch + 1, **r})
        ctx.store.save_partial("baseline", {"model": _cpu_state(model), "optimizer": opt.state_dict(),
                                            "epoch": epoch + 1, "history": history})
        ctx.tick("baseline", epoch + 1)
    state = _cpu_state(model)
    scales = weight_scales(model, cfg.weight_scale_mode)
    layers = {n: {"shape": list(m.weight.shape), "max_abs": float(m.weight.detach().abs().max()),
                  "std": float(m.weight.detach().std())} for n, m in mapped_layers(model)}
    acc = history[-1]["test_accuracy"] if history else ctx.eval_software(state)
    result = {"software_accuracy": acc, "history": history, "w_scales": scales, "layers": layers,
              "parameters": sum(p.numel() for p in model.parameters())}
    return result, {"model": state}


def _sweep(ctx: _Ctx, stage: str, state_dict, w_scales, v_gates) -> dict:
    """Crossbar (cell) accuracy at each homogeneous V_G, checkpointed per V_G."""
    part = ctx.store.load_partial(stage) or {"acc": {}}
    acc = part["acc"]
    for vg in v_gates:
        key = f"{vg:.4f}"
        if key in acc:
            continue
        acc[key] = ctx.eval_cell(state_dict, vg, w_scales, desc=f"{stage} V_G={vg}")
        ctx.store.save_partial(stage, {"acc": acc})
        ctx.tick(stage, key)
    return {"v_gate": [float(k) for k in acc], "accuracy": list(acc.values()),
            "by_v_gate": {k: v for k, v in acc.items()}}


def stage_degradation(ctx: _Ctx, res: dict) -> tuple:
    base = ctx.store.load("baseline")["model"]
    scales = res["baseline"]["w_scales"]
    out = _sweep(ctx, "degradation", base, scales, _sweep_v_gates(ctx.cfg, res["cell_table"]["neat_v_gate"]))
    # sanity: the ideal mapping must reproduce the software accuracy
    net = crossbar_model(ctx.model_from(base), ctx.cell, scales, fidelity="ideal")
    out["ideal_accuracy"] = evaluate(net, ctx.data.x_test, ctx.data.y_test, batch_size=ctx.cfg.eval_batch,
                                     device=ctx.device, desc="eval ideal", progress=ctx.progress)
    return out, None


def _w_cut(ctx: _Ctx, scales: dict, v_gate: float) -> dict:
    g_cut = ctx.g_cut(v_gate)
    return {n: weight_cutoff(g_cut, s, ctx.cell.g_on, ctx.cell.g_off) for n, s in scales.items()}


def _fractions(model, w_cut: dict, scales: dict) -> dict:
    return {n: fraction_inside(m.weight, w_cut[n], scales[n]) for n, m in mapped_layers(model)}


def _resume_partial(ctx: _Ctx, stage: str, model, opt, counter: str) -> tuple:
    """Restore a stage's mid-stage checkpoint into ``model``/``opt``; return (next step, history)."""
    part = ctx.store.load_partial(stage)
    if part is None:
        return 0, []
    model.load_state_dict(part["model"])
    opt.load_state_dict(part["optimizer"])
    return part[counter], part["history"]


def stage_neat(ctx: _Ctx, res: dict) -> tuple:
    """Algorithm 2: per iteration clip to ±W_cut(V_target), then retrain (Adam)."""
    cfg, d = ctx.cfg, ctx.data
    target = res["cell_table"]["neat_v_gate"]
    scales = res["baseline"]["w_scales"]
    w_cut = _w_cut(ctx, scales, target)
    model = ctx.model_from(ctx.store.load("baseline")["model"])
    before = _fractions(model, w_cut, scales)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.neat_lr)
    start, history = _resume_partial(ctx, "neat", model, opt, "iteration")
    for it in tqdm(range(start, cfg.neat_iterations), desc=f"NEAT @ {target} V", disable=not ctx.progress,
                   initial=start, total=cfg.neat_iterations):
        clip_weights(model, w_cut)
        r = {}
        for e in range(cfg.neat_epochs_per_iter):
            batches = BatchIterator(d.x_train, d.y_train, cfg.batch_size, shuffle=True, augment=cfg.augment,
                                    seed=cfg.seed, key=f"neat/{it}/{e}", limit=cfg.neat_iter_samples)
            r = train_epoch(model, batches, opt, device=ctx.device, desc=f"NEAT it {it + 1}",
                            progress=ctx.progress, threads=cfg.train_threads)
        fr = _fractions(model, w_cut, scales)
        entry = {"iteration": it + 1, "loss": r.get("loss"), "train_accuracy": r.get("accuracy"),
                 "min_fraction_inside": min(fr.values()), "first_layer_fraction": next(iter(fr.values()))}
        if cfg.neat_eval_samples:
            entry["crossbar_accuracy"] = ctx.eval_cell(_cpu_state(model), target, scales, n=cfg.neat_eval_samples,
                                                       desc="eval NEAT")
        history.append(entry)
        ctx.store.save_partial("neat", {"model": _cpu_state(model), "optimizer": opt.state_dict(),
                                        "iteration": it + 1, "history": history})
        ctx.tick("neat", it + 1)
    if cfg.neat_final_clip:
        clip_weights(model, w_cut)
    state = _cpu_state(model)
    result = {"v_gate": target, "w_cut": w_cut, "fraction_inside_before": before,
              "fraction_inside": _fractions(model, w_cut, scales), "history": history,
              "software_accuracy": ctx.eval_software(state)}
    return result, {"model": state}


def stage_neat_sweep(ctx: _Ctx, res: dict) -> tuple:
    return _sweep(ctx, "neat_sweep", ctx.store.load("neat")["model"], res["baseline"]["w_scales"],
                  _sweep_v_gates(ctx.cfg, res["cell_table"]["neat_v_gate"])), None


def stage_cell_finetune(ctx: _Ctx, res: dict) -> tuple:
    """Beyond the paper: retrain with the non-linear ``cell`` model in the forward pass (no clipping)."""
    cfg, d = ctx.cfg, ctx.data
    target = res["cell_table"]["neat_v_gate"]
    scales = res["baseline"]["w_scales"]
    soft = ctx.model_from(ctx.store.load("baseline")["model"])
    net = crossbar_model(soft, ctx.cell, scales, v_gate=target, fidelity="cell")
    opt = torch.optim.Adam(net.parameters(), lr=cfg.cellft_lr)
    start, history = _resume_partial(ctx, "cell_finetune", net, opt, "epoch")
    for epoch in tqdm(range(start, cfg.cellft_epochs), desc=f"cell fine-tune @ {target} V",
                      disable=not ctx.progress, initial=start, total=cfg.cellft_epochs):
        batches = BatchIterator(d.x_train, d.y_train, cfg.batch_size, shuffle=True, augment=cfg.augment,
                                seed=cfg.seed, key=f"cellft/{epoch}", limit=cfg.cellft_samples)
        r = train_epoch(net, batches, opt, device=ctx.device, desc=f"cell-FT {epoch + 1}", progress=ctx.progress,
                        threads=cfg.train_threads)
        history.append({"epoch": epoch + 1, **r})
        ctx.store.save_partial("cell_finetune", {"model": _cpu_state(net), "optimizer": opt.state_dict(),
                                                 "epoch": epoch + 1, "history": history})
        ctx.tick("cell_finetune", epoch + 1)
    state = _cpu_state(net)  # same keys as the software model
    result = {"v_gate": target, "history": history, "software_accuracy": ctx.eval_software(state)}
    return result, {"model": state}


def stage_cell_finetune_sweep(ctx: _Ctx, res: dict) -> tuple:
    return _sweep(ctx, "cell_finetune_sweep", ctx.store.load("cell_finetune")["model"],
                  res["baseline"]["w_scales"], _sweep_v_gates(ctx.cfg, res["cell_table"]["neat_v_gate"])), None


def _variants(ctx: _Ctx) -> dict:
    out = {"baseline": "baseline", "neat": "neat"}
    if ctx.cfg.cell_finetune:
        out["cell_ft"] = "cell_finetune"
    return out


def stage_gate_control(ctx: _Ctx, res: dict) -> tuple:
    """Algorithm 1 per variant: per-layer V_G from the weights only; accuracy at V_G and V_G − step."""
    cfg = ctx.cfg
    scales = res["baseline"]["w_scales"]
    table = ctx.table()
    part = ctx.store.load_partial("gate_control") or {"variants": {}}
    done = part["variants"]
    for variant, stage in _variants(ctx).items():
        if variant in done:
            continue
        state = ctx.store.load(stage)["model"]
        model = ctx.model_from(state)
        weights = {n: m.weight for n, m in mapped_layers(model)}
        gates = select_v_gates(weights, scales, table, ctx.cell, coverage=cfg.coverage)
        vg = {n: g.v_gate for n, g in gates.items()}
        lower = shift_v_gates(vg, -cfg.vg_step)
        n_w = {n: w.numel() for n, w in weights.items()}
        mean_vg = sum(vg[n] * n_w[n] for n in vg) / sum(n_w.values())
        done[variant] = {
            "layers": {n: g.to_json() for n, g in gates.items()},
            "v_gates": vg, "mean_v_gate_weighted": mean_vg,
            "accuracy": ctx.eval_cell(state, vg, scales, desc=f"{variant} hetero"),
            "accuracy_minus_step": ctx.eval_cell(state, lower, scales, desc=f"{variant} hetero-{cfg.vg_step}"),
            "v_gates_minus_step": lower,
        }
        ctx.store.save_partial("gate_control", {"variants": done})
        ctx.tick("gate_control", variant)
    return {"coverage": cfg.coverage, "step": cfg.vg_step, "variants": done}, None


def stage_energy(ctx: _Ctx, res: dict) -> tuple:
    """Energy per inference at homogeneous V_G (sweep) and at the heterogeneous V_G, per variant."""
    cfg = ctx.cfg
    scales = res["baseline"]["w_scales"]
    x = ctx.data.x_test[:cfg.energy_samples]
    target = res["cell_table"]["neat_v_gate"]
    part = ctx.store.load_partial("energy") or {"variants": {}}
    done = part["variants"]
    for variant, stage in _variants(ctx).items():
        if variant in done:
            continue
        state = ctx.store.load(stage)["model"]
        settings = {f"homogeneous {v:.2f} V": v for v in _sweep_v_gates(cfg, target)}
        settings["heterogeneous"] = res["gate_control"]["variants"][variant]["v_gates"]
        out = {}
        for label, vg in tqdm(settings.items(), desc=f"energy {variant}", leave=False, disable=not ctx.progress):
            net = crossbar_model(ctx.model_from(state), ctx.cell, scales, v_gate=vg, fidelity="cell")
            e = measure_energy(net, x, constants=ctx.energy_constants, batch_size=cfg.eval_batch, device=ctx.device)
            out[label] = {"total": e["total"].to_json(), "layers": {n: le.to_json() for n, le in e["layers"].items()}}
        done[variant] = out
        ctx.store.save_partial("energy", {"variants": done})
        ctx.tick("energy", variant)
    ref_label = f"homogeneous {cfg.reference_v_gate:.2f} V"
    savings = {}

    def le(d):
        t = d["total"]
        return LayerEnergy(read=t["read_J"], gate=t["gate_J"], dac=t["dac_J"], adc=t["adc_J"])
    for variant, out in done.items():
        ref = le(out[ref_label])
        savings[variant] = {label: {"crossbar": energy_saving(le(o), ref, "crossbar"),
                                    "total": energy_saving(le(o), ref, "total")} for label, o in out.items()}
    # the whole story: NEAT at heterogeneous V_G against the unmodified network at the reference V_G
    savings["neat_hetero_vs_baseline_ref"] = {
        "crossbar": energy_saving(le(done["neat"]["heterogeneous"]), le(done["baseline"][ref_label]), "crossbar"),
        "total": energy_saving(le(done["neat"]["heterogeneous"]), le(done["baseline"][ref_label]), "total")}
    return {"constants": asdict(ctx.energy_constants), "samples": int(x.shape[0]), "reference": ref_label,
            "variants": done, "savings": savings}, None


def stage_report(ctx: _Ctx, res: dict) -> tuple:
    from .report import write_report
    return write_report(ctx.store.out, res, ctx.cfg.to_json(), ctx.data.describe(), progress=ctx.progress), None


_STAGE_FN = {"cell_table": stage_cell_table, "baseline": stage_baseline, "degradation": stage_degradation,
             "neat": stage_neat, "neat_sweep": stage_neat_sweep, "cell_finetune": stage_cell_finetune,
             "cell_finetune_sweep": stage_cell_finetune_sweep, "gate_control": stage_gate_control,
             "energy": stage_energy, "report": stage_report}


def run_pipeline(config: PipelineConfig, out, *, resume: bool = False, overwrite: bool = False,
                 device: str = "cpu", progress: bool = True, stop_after: str | None = None,
                 redo: str | None = None, hooks: dict | None = None) -> dict:
    """Run (or resume) every stage; returns ``{stage: result}`` of the stages finished so far.

    ``out``: run folder.  ``stop_after``: a stage name; the run stops after it
    (checkpointed; resume continues).  ``redo`` (with ``resume``): recompute this
    stage and every later one (their checkpoints are deleted first).  ``hooks``:
    ``{"after_stage": f(stage, result), "after_step": f(stage, step)}``; raising
    :class:`StopPipeline` from a hook stops the run (the exception propagates to
    the caller after the checkpoint is written).
    """
    if not isinstance(config, PipelineConfig):
        raise TypeError(f"config must be a PipelineConfig, got {type(config).__name__}")
    for name, value in (("stop_after", stop_after), ("redo", redo)):
        if value is not None and value not in STAGES:
            raise ValueError(f"{name} must be one of {STAGES}, got {value!r}")
    if redo is not None and not resume:
        raise ValueError("redo recomputes a stage of an existing run: pass resume=True too")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} requested but CUDA is not available")
    hooks = dict(hooks or {})
    # the data is loaded first: a missing dataset fails before any file is written
    ctx = _Ctx(config, None, device, progress, hooks)
    neat_target(ctx)  # a target without a linear range fails here, before any file is written
    ctx.store = store = RunStore(out, config.to_json(), resume=resume, overwrite=overwrite, stages=STAGES)
    if redo is not None:
        for stage in STAGES[STAGES.index(redo):]:
            store.forget(stage)
    results = {}
    skip = set() if config.cell_finetune else {"cell_finetune", "cell_finetune_sweep"}
    for stage in STAGES:
        if stage in skip:
            continue
        if store.is_done(stage) and stage != "report":
            results[stage] = store.result(stage)
        else:
            t0 = time.perf_counter()
            result, payload = _STAGE_FN[stage](ctx, results)
            dt = time.perf_counter() - t0
            store.finish(stage, result, payload, wall_s=dt)
            results[stage] = store.result(stage)
            fn = hooks.get("after_stage")
            if fn is not None:
                fn(stage, results[stage])
        if stage == stop_after:
            break
    return results
