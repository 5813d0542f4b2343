"""The NEAT pipeline: software baseline → variants at V_target → crossbar evaluations → energy → report.

:func:`run_pipeline` wires the stages of :func:`stage_plan` together; each stage is
a function of the run context and the results before it, returns a typed record
(:mod:`neat.results`) and is checkpointed by :class:`neat.checkpoint.RunStore`.
A run killed at any point resumes with ``resume=True`` where it stopped:
finished stages are loaded (their records re-checked), an unfinished stage
restarts from its last epoch / iteration / evaluation.  All randomness
(initialisation, batch order, augmentation) is derived from the seed and the
position in the run, and every training step runs with ``train_threads``
threads, so an interrupted-and-resumed run gives the same numbers as an
uninterrupted one (:mod:`neat.threads`).

Stages (``M`` stands for each weight-scale mode of ``weight_scale_modes``):

``cell_table``     G_cut(V_G) on the gate-voltage grid; the NEAT target V_G (V_target).
``baseline``       software training (Adam, cosine learning rate); the weight scales of every mode.
``clip_bn.M``      control: clip to ±W_cut(V_target), then recalibrate BatchNorm only (``controls``).
``neat.M``         NEAT, the paper's Algorithm 2: N × (clip every mapped weight to ±W_cut, retrain one
                   full epoch, Adam); a final clip.
``cell_ft.M``      beyond the paper: fine-tune through the non-linear ``cell`` model at V_target.
``scheduleK.M``    NEAT with the K-th extra (lr, iterations) schedule (budget/lr sweep; first mode only).
``evaluate.M``     every variant (no retraining, clip, clip + BN, NEAT, cell fine-tune) on crossbars:
                   homogeneous V_G sweep; Algorithm 1 (per-layer V_G, data-free) at each coverage and
                   one grid step lower.
``energy.M``       energy per inference by component at the reference, target and heterogeneous V_G;
                   the sensitivity table (first mode).
``circuit``        the final networks at ``circuit`` fidelity with parasitics (``circuit_samples > 0``).
``report``         Table I, results.json and plots (:mod:`neat.report`).

Every crossbar evaluation of a clipped variant uses the clipped weights ("a final clip before every
crossbar evaluation").
"""
from __future__ import annotations

import copy
import dataclasses
import math
import time

import numpy as np
import torch
from tqdm.auto import tqdm

from . import ddp
from .cell import cutoff_table
from .cards import with_width
from .checkpoint import CheckpointError, RunStore
from .circuit import CircuitConfig
from .config import FULL, QUICK, WEIGHT_SCALE_MODES, ConfigError, PipelineConfig
from .data import BatchIterator, derive_seed, load_dataset
from .energy import EnergyConstants, energy_saving, measure_energy
from .gate_control import fraction_inside, select_v_gates, shift_v_gates
from .loops import cosine_lr, evaluate, recalibrate_batchnorm, train_epoch
from .mapping import weight_cutoff
from .models import build_model
from .network import clip_weights, crossbar_model, mapped_layers, weight_scales
from .records import RecordError
from .results import (RESULT_TYPES, BaselineResult, CellTableResult, CircuitResult, CircuitRow, EnergyResult,
                      EnergySetting, EpochRecord, EvaluationResult, GateChoice, IterationRecord, LayerStats,
                      ScheduleResult, SensitivityRow, TrainedVariant, VariantEnergy, VariantEvaluation)

__all__ = ["PipelineConfig", "stage_plan", "run_pipeline", "StopPipeline", "QUICK", "FULL", "VARIANTS",
           "VARIANT_NAMES", "neat_target", "RunContext"]

#: Network variants compared under each weight-scale mode, in table order.
VARIANTS = ("baseline", "clip", "clip_bn", "neat", "cell_ft")
VARIANT_NAMES = {"baseline": "no retraining", "clip": "clip, no retraining", "clip_bn": "clip + BN recalibration",
                 "neat": "NEAT (clip + retrain)", "cell_ft": "cell-model fine-tune"}


class StopPipeline(Exception):
    """Raised by a hook to stop a run cleanly (its checkpoints stay; resume continues)."""


def stage_plan(cfg: PipelineConfig) -> list:
    """The stage names of a run of ``cfg``, in order."""
    modes = cfg.weight_scale_modes
    names = ["cell_table", "baseline"]
    for m in modes:
        if cfg.controls:
            names.append(f"clip_bn.{m}")
        names.append(f"neat.{m}")
        if cfg.cell_finetune:
            names.append(f"cell_ft.{m}")
    names += [f"schedule{k + 1}.{modes[0]}" for k in range(len(cfg.neat_schedules))]
    names += [f"evaluate.{m}" for m in modes] + [f"energy.{m}" for m in modes]
    if cfg.circuit_samples:
        names.append("circuit")
    names.append("report")
    return names


def variants(cfg: PipelineConfig) -> tuple:
    """The variants a run of ``cfg`` evaluates."""
    return tuple(v for v in VARIANTS if (v not in ("clip", "clip_bn") or cfg.controls)
                 and (v != "cell_ft" or cfg.cell_finetune))


def _kind(stage: str) -> str:
    kind = stage.split(".")[0]
    return "schedule" if kind.startswith("schedule") else kind


def _mode(stage: str) -> str:
    return stage.split(".", 1)[1]


# ------------------------------------------------------------------------------- context
class RunContext:
    """What every stage needs: configuration, data, cell, run store, finished results."""

    def __init__(self, cfg: PipelineConfig, device: str, progress: bool, hooks: dict):
        self.cfg, self.device, self.progress, self.hooks = cfg, device, progress, hooks
        self.store: RunStore | None = None
        self.results: dict = {}
        transistor, self.transistor_provenance = cfg.transistor()
        self.cell = cfg.cell(transistor)
        self.data = load_dataset(cfg.dataset, cfg.data_dir, train_subset=cfg.train_subset,
                                 test_subset=cfg.test_subset, subset_seed=cfg.seed)
        self.energy_constants = EnergyConstants(**cfg.energy_constants)
        self._table = None

    # physics ------------------------------------------------------------------------
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

    @property
    def v_target(self) -> float:
        return self.results["cell_table"].neat_v_gate

    def scales(self, mode: str) -> dict:
        return self.results["baseline"].w_scales[mode]

    def w_cut(self, mode: str, v_gate: float | None = None) -> dict:
        """``{layer: W_cut}`` at ``v_gate`` (default V_target) under ``mode``'s weight scales."""
        g = self.g_cut(self.v_target if v_gate is None else v_gate)
        return {n: weight_cutoff(g, s, self.cell.g_on, self.cell.g_off) for n, s in self.scales(mode).items()}

    # networks -----------------------------------------------------------------------
    def new_model(self) -> torch.nn.Module:
        d = self.data
        torch.manual_seed(derive_seed(self.cfg.seed, "init"))
        return build_model(self.cfg.model, d.in_channels, d.num_classes, self.cfg.model_width, d.image_size)

    def model_from(self, state_dict) -> torch.nn.Module:
        m = self.new_model()
        try:
            m.load_state_dict(state_dict)
        except (RuntimeError, KeyError, TypeError) as e:
            raise CheckpointError(f"a checkpoint of {self.store.out if self.store else 'this run'} does not fit "
                                  f"the configured {self.cfg.model}: {str(e)[:200]}") from e
        return m.to(self.device)

    def variant_state(self, variant: str, mode: str) -> dict:
        """The state dict of ``variant`` under ``mode`` (clipped variants clipped: the final clip)."""
        if variant in ("baseline", "clip"):
            state = self.store.load("baseline")["model"]
            if variant == "clip":
                model = self.model_from(state)
                clip_weights(model, self.w_cut(mode))
                state = _cpu_state(model)
            return state
        return self.store.load(f"{variant}.{mode}")["model"]

    def crossbar_net(self, state_dict, mode: str, v_gate, *, fidelity="cell", cell=None, circuit=None):
        return crossbar_model(self.model_from(state_dict), self.cell if cell is None else cell, self.scales(mode),
                              v_gate=v_gate, fidelity=fidelity, circuit=circuit)

    def eval_cell(self, state_dict, mode: str, v_gate, *, n: int | None = None, desc="eval") -> float:
        net = self.crossbar_net(state_dict, mode, v_gate)
        x, y = self.data.x_test, self.data.y_test
        if n is not None:
            x, y = x[:n], y[:n]
        return evaluate(net, x, y, batch_size=self.cfg.eval_batch, device=self.device, desc=desc,
                        progress=self.progress)

    def eval_software(self, state_dict) -> float:
        return evaluate(self.model_from(state_dict), self.data.x_test, self.data.y_test,
                        batch_size=self.cfg.eval_batch, device=self.device, desc="eval sw", progress=self.progress)

    def train_batches(self, key: str, limit=None, *, shard: bool = True) -> BatchIterator:
        """The batches of epoch ``key``; under data-parallel training this rank's shard of each global batch
        of ``batch_size`` (``shard=False``: every rank all of them, e.g. for BatchNorm statistics)."""
        d, cfg = self.data, self.cfg
        dp = ddp.current() if shard else None
        rank, world = (0, 1) if dp is None else (dp.rank, dp.world_size)
        return BatchIterator(d.x_train, d.y_train, cfg.batch_size // world, shuffle=True, augment=cfg.augment,
                             seed=cfg.seed, key=key, limit=limit, rank=rank, world_size=world)

    # checkpoints --------------------------------------------------------------------
    def tick(self, stage: str, step) -> None:
        """Called after every mid-stage checkpoint (hooks may raise StopPipeline)."""
        fn = self.hooks.get("after_step")
        if fn is not None:
            fn(stage, step)

    def resume_training(self, stage: str, model, opt, counter: str) -> tuple:
        """Restore a stage's mid-stage checkpoint into ``model``/``opt``; return (next step, history)."""
        part = self.store.load_partial(stage)
        if part is None:
            return 0, []
        try:
            model.load_state_dict(part["model"])
            opt.load_state_dict(part["optimizer"])
            step, history = part[counter], part["history"]
            if not isinstance(step, int) or step < 0 or not isinstance(history, list) or len(history) != step:
                raise ValueError(f"inconsistent progress {counter}={step!r} with {len(history)} history entries")
        except (KeyError, ValueError, RuntimeError, TypeError) as e:
            raise CheckpointError(f"{self.store.partial_path(stage)} (the mid-stage checkpoint of stage {stage!r}) "
                                  f"does not fit this run ({type(e).__name__}: {str(e)[:200]}); rerun with "
                                  f"--resume --redo {stage}") from e
        return step, history

    def partial_dict(self, stage: str, key: str) -> dict:
        part = self.store.load_partial(stage)
        if part is None:
            return {}
        if not isinstance(part.get(key), dict):
            raise CheckpointError(f"{self.store.partial_path(stage)} (the mid-stage checkpoint of stage {stage!r}) "
                                  f"lacks its {key!r} entry; rerun with --resume --redo {stage}")
        return part[key]


def _cpu_state(model) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _sweep_v_gates(cfg: PipelineConfig, target: float, variant: str = "baseline") -> list:
    """The homogeneous V_G a variant is evaluated at (V): the sweep, V_target and the reference (controls
    only at the last two unless ``controls_full_sweep``)."""
    sweep = set() if variant in ("clip", "clip_bn") and not cfg.controls_full_sweep else \
        set(round(v, 6) for v in cfg.sweep_v_gates)
    return sorted(sweep | {round(target, 6), round(cfg.reference_v_gate, 6)}, reverse=True)


def _fractions(model, w_cut: dict, scales: dict) -> dict:
    return {n: fraction_inside(m.weight, w_cut[n], scales[n]) for n, m in mapped_layers(model)}


# ---------------------------------------------------------------------------------- stages
def neat_target(ctx: RunContext) -> float:
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


def stage_cell_table(ctx: RunContext, stage: str):
    cfg, cell, table = ctx.cfg, ctx.cell, ctx.table()
    target = neat_target(ctx)
    g_target = ctx.g_cut(target)

    def opt(values):
        return [float(v) if math.isfinite(v) else None for v in values]
    return CellTableResult(
        v_grid=[float(v) for v in table.v_gate], g_cut=opt(table.g_cut), status=list(table.status),
        metric_at_g_off=[float(v) for v in table.metric_at_g_off], metric_at_g_on=[float(v) for v in table.metric_at_g_on],
        description=table.description, transistor=ctx.transistor_provenance, metric=table.metric_name,
        tolerance=float(table.tolerance), g_on=cell.g_on, g_off=cell.g_off, v_max=cell.v_max, neat_v_gate=target,
        g_cut_at_neat_v_gate=g_target if math.isfinite(g_target) else None,
        neat_v_gate_auto=cfg.neat_v_gate is None), None


def stage_baseline(ctx: RunContext, stage: str):
    cfg, d = ctx.cfg, ctx.data
    model = ctx.new_model().to(ctx.device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start, history = ctx.resume_training(stage, model, opt, "epoch")
    steps_per_epoch = len(ctx.train_batches("baseline/0"))
    total = steps_per_epoch * cfg.epochs
    for epoch in tqdm(range(start, cfg.epochs), desc="baseline epochs", disable=not ctx.progress,
                      initial=start, total=cfg.epochs):
        r = train_epoch(model, ctx.train_batches(f"baseline/{epoch}"), opt, device=ctx.device,
                        lr_fn=lambda s: cosine_lr(cfg.lr, s, total), step0=epoch * steps_per_epoch,
                        desc=f"baseline {epoch + 1}/{cfg.epochs}", progress=ctx.progress, threads=cfg.train_threads)
        r["test_accuracy"] = evaluate(model, d.x_test, d.y_test, batch_size=cfg.eval_batch, device=ctx.device,
                                      desc="eval", progress=ctx.progress)
        history.append({"epoch": epoch + 1, **r})
        ctx.store.save_partial(stage, {"model": _cpu_state(model), "optimizer": opt.state_dict(),
                                       "epoch": epoch + 1, "history": history})
        ctx.tick(stage, epoch + 1)
    state = _cpu_state(model)
    layers = {n: LayerStats(shape=list(m.weight.shape), max_abs=float(m.weight.detach().abs().max()),
                            std=float(m.weight.detach().std()) if m.weight.numel() > 1 else 0.0)
              for n, m in mapped_layers(model)}
    acc = history[-1]["test_accuracy"] if history else ctx.eval_software(state)
    result = BaselineResult(software_accuracy=acc, history=[EpochRecord(**h) for h in history],
                            w_scales={mode: weight_scales(model, mode) for mode in WEIGHT_SCALE_MODES},
                            layers=layers, parameters=sum(p.numel() for p in model.parameters()))
    return result, {"model": state}


def _neat_training(ctx: RunContext, stage: str, mode: str, lr: float, iterations: int, key: str):
    """Algorithm 2: ``iterations`` × (clip every mapped weight to ±W_cut(V_target), retrain), then the
    final clip (``neat_final_clip``).  Returns (model, history, fractions before)."""
    cfg = ctx.cfg
    target, scales, w_cut = ctx.v_target, ctx.scales(mode), ctx.w_cut(mode)
    model = ctx.model_from(ctx.store.load("baseline")["model"])
    before = _fractions(model, w_cut, scales)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    start, history = ctx.resume_training(stage, model, opt, "iteration")
    for it in tqdm(range(start, iterations), desc=f"{stage} @ {target} V", disable=not ctx.progress,
                   initial=start, total=iterations):
        clip_weights(model, w_cut)
        r = {}
        for e in range(cfg.neat_epochs_per_iter):
            r = train_epoch(model, ctx.train_batches(f"{key}/{it}/{e}", cfg.neat_iter_samples), opt,
                            device=ctx.device, desc=f"{stage} it {it + 1}", progress=ctx.progress,
                            threads=cfg.train_threads)
        fr = _fractions(model, w_cut, scales)
        entry = {"iteration": it + 1, "loss": r.get("loss"), "train_accuracy": r.get("accuracy"),
                 "min_fraction_inside": min(fr.values()), "first_layer_fraction": next(iter(fr.values()))}
        if cfg.neat_eval_samples:
            clipped = copy.deepcopy(model)
            if cfg.neat_final_clip:
                clip_weights(clipped, w_cut)
            entry["crossbar_accuracy"] = ctx.eval_cell(_cpu_state(clipped), mode, target, n=cfg.neat_eval_samples,
                                                       desc="eval NEAT")
        history.append(entry)
        ctx.store.save_partial(stage, {"model": _cpu_state(model), "optimizer": opt.state_dict(),
                                       "iteration": it + 1, "history": history})
        ctx.tick(stage, it + 1)
    if cfg.neat_final_clip:
        clip_weights(model, w_cut)
    return model, [IterationRecord(**h) for h in history], before


def stage_neat(ctx: RunContext, stage: str):
    cfg, mode = ctx.cfg, _mode(stage)
    model, history, before = _neat_training(ctx, stage, mode, cfg.neat_lr, cfg.neat_iterations,
                                            key="neat" if mode == cfg.weight_scale_modes[0] else f"neat/{mode}")
    state = _cpu_state(model)
    w_cut = ctx.w_cut(mode)
    return TrainedVariant(variant="neat", mode=mode, v_gate=ctx.v_target, w_cut=w_cut, fraction_inside_before=before,
                          fraction_inside=_fractions(model, w_cut, ctx.scales(mode)), iterations=history,
                          software_accuracy=ctx.eval_software(state)), {"model": state}


def stage_schedule(ctx: RunContext, stage: str):
    cfg, mode = ctx.cfg, _mode(stage)
    k = int(stage.split(".")[0][len("schedule"):]) - 1
    lr, iterations = cfg.neat_schedules[k]
    model, history, _ = _neat_training(ctx, stage, mode, lr, iterations, key=f"schedule{k + 1}")
    state = _cpu_state(model)
    return ScheduleResult(mode=mode, lr=lr, iterations=iterations, v_gate=ctx.v_target,
                          software_accuracy=ctx.eval_software(state),
                          accuracy_target=ctx.eval_cell(state, mode, ctx.v_target, desc=f"{stage} @target"),
                          accuracy_reference=ctx.eval_cell(state, mode, cfg.reference_v_gate, desc=f"{stage} @ref"),
                          history=history), None


def stage_clip_bn(ctx: RunContext, stage: str):
    """Control: clip to ±W_cut(V_target), then re-estimate the BatchNorm statistics (no weight update)."""
    cfg, mode = ctx.cfg, _mode(stage)
    w_cut = ctx.w_cut(mode)
    model = ctx.model_from(ctx.store.load("baseline")["model"])
    before = _fractions(model, w_cut, ctx.scales(mode))
    clip_weights(model, w_cut)
    recalibrate_batchnorm(model, ctx.train_batches(f"recal/{mode}", cfg.recal_samples, shard=False), device=ctx.device,
                          threads=cfg.train_threads, progress=ctx.progress)
    state = _cpu_state(model)
    return TrainedVariant(variant="clip_bn", mode=mode, v_gate=ctx.v_target, w_cut=w_cut, fraction_inside_before=before,
                          fraction_inside=_fractions(model, w_cut, ctx.scales(mode)),
                          software_accuracy=ctx.eval_software(state)), {"model": state}


def stage_cell_ft(ctx: RunContext, stage: str):
    """Beyond the paper: retrain with the non-linear ``cell`` model in the forward pass (no clipping)."""
    cfg, mode = ctx.cfg, _mode(stage)
    target = ctx.v_target
    net = ctx.crossbar_net(ctx.store.load("baseline")["model"], mode, target)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.cellft_lr)
    start, history = ctx.resume_training(stage, net, opt, "epoch")
    for epoch in tqdm(range(start, cfg.cellft_epochs), desc=f"cell fine-tune @ {target} V",
                      disable=not ctx.progress, initial=start, total=cfg.cellft_epochs):
        key = f"cellft/{epoch}" if mode == cfg.weight_scale_modes[0] else f"cellft/{mode}/{epoch}"
        r = train_epoch(net, ctx.train_batches(key, cfg.cellft_samples), opt, device=ctx.device,
                        desc=f"cell-FT {epoch + 1}", progress=ctx.progress, threads=cfg.train_threads)
        history.append({"epoch": epoch + 1, **r})
        ctx.store.save_partial(stage, {"model": _cpu_state(net), "optimizer": opt.state_dict(),
                                       "epoch": epoch + 1, "history": history})
        ctx.tick(stage, epoch + 1)
    state = _cpu_state(net)  # same keys as the software model
    return TrainedVariant(variant="cell_ft", mode=mode, v_gate=target, epochs=[EpochRecord(**h) for h in history],
                          software_accuracy=ctx.eval_software(state)), {"model": state}


def stage_evaluate(ctx: RunContext, stage: str):
    """Every variant on crossbars: homogeneous sweep, then Algorithm 1 at each coverage (and −step)."""
    cfg, mode = ctx.cfg, _mode(stage)
    target, scales = ctx.v_target, ctx.scales(mode)
    table = ctx.table()
    done = ctx.partial_dict(stage, "done")

    def measure(key, fn):
        if key not in done:
            done[key] = fn()
            ctx.store.save_partial(stage, {"done": done})
            ctx.tick(stage, key)
        return done[key]

    if "ideal" not in done:  # sanity: the ideal mapping must reproduce the software accuracy
        net = ctx.crossbar_net(ctx.variant_state("baseline", mode), mode, 1.0, fidelity="ideal")
        measure("ideal", lambda: evaluate(net, ctx.data.x_test, ctx.data.y_test, batch_size=cfg.eval_batch,
                                          device=ctx.device, desc="eval ideal", progress=ctx.progress))
    out = {}
    w_cut_target = ctx.w_cut(mode)
    for variant in variants(cfg):
        state = ctx.variant_state(variant, mode)
        sw = measure(f"{variant}/software", lambda: ctx.eval_software(state))
        sweep = {}
        for vg in _sweep_v_gates(cfg, target, variant):
            sweep[f"{vg:.4f}"] = measure(f"{variant}/sweep/{vg:.4f}",
                                         lambda: ctx.eval_cell(state, mode, vg, desc=f"{variant} V_G={vg}"))
        model = ctx.model_from(state)
        weights = {n: m.weight for n, m in mapped_layers(model)}
        gates = []
        for cov in cfg.coverages:
            chosen = select_v_gates(weights, scales, table, ctx.cell, coverage=cov)
            vg = {n: g.v_gate for n, g in chosen.items()}
            lower = shift_v_gates(vg, -cfg.vg_step)
            n_w = {n: w.numel() for n, w in weights.items()}
            gates.append(GateChoice(
                coverage=cov, v_gates=vg, w_cut={n: g.w_cut for n, g in chosen.items()},
                fraction_inside={n: g.fraction_inside for n, g in chosen.items()},
                satisfied={n: g.satisfied for n, g in chosen.items()},
                mean_v_gate_weighted=sum(vg[n] * n_w[n] for n in vg) / sum(n_w.values()),
                accuracy=measure(f"{variant}/hetero/{cov}", lambda: ctx.eval_cell(state, mode, vg, desc="hetero")),
                accuracy_minus_step=measure(f"{variant}/hetero-step/{cov}",
                                            lambda: ctx.eval_cell(state, mode, lower, desc="hetero - step"))))
        out[variant] = VariantEvaluation(software_accuracy=sw, sweep=sweep, gates=gates,
                                         fraction_inside_target=_fractions(model, w_cut_target, scales))
    return EvaluationResult(mode=mode, v_target=target, step=cfg.vg_step, ideal_accuracy=done["ideal"],
                            variants=out), None


def _hetero(ctx, mode: str, variant: str, coverage_index: int = 0) -> dict:
    return ctx.results[f"evaluate.{mode}"].variants[variant].gates[coverage_index].v_gates


def stage_energy(ctx: RunContext, stage: str):
    """Energy per inference by component at the reference, target and heterogeneous V_G, per variant."""
    cfg, mode = ctx.cfg, _mode(stage)
    x = ctx.data.x_test[:cfg.energy_samples]
    target = ctx.v_target
    ref_label = f"homogeneous {cfg.reference_v_gate:.2f} V"
    done = ctx.partial_dict(stage, "done")

    def measure(key, state, v_gate, *, constants=None, cell=None):
        if key not in done:
            net = ctx.crossbar_net(state, mode, v_gate, cell=cell)
            e = measure_energy(net, x, constants=constants or ctx.energy_constants, batch_size=cfg.eval_batch,
                               device=ctx.device)
            done[key] = EnergySetting(total=e["total"], layers=e["layers"]).to_json()
            ctx.store.save_partial(stage, {"done": done})
            ctx.tick(stage, key)
        return EnergySetting.from_json(done[key], key)

    out = {}
    for variant in variants(cfg):
        state = ctx.variant_state(variant, mode)
        settings = {ref_label: cfg.reference_v_gate, f"homogeneous {target:.2f} V": target}
        for k, cov in enumerate(cfg.coverages):
            settings[f"heterogeneous, coverage {cov:g}"] = _hetero(ctx, mode, variant, k)
        measured = {label: measure(f"{variant}/{label}", state, vg) for label, vg in settings.items()}
        ref = measured[ref_label].total
        savings = {label: {g: energy_saving(s.total, ref, g) for g in ("array", "periphery", "total")}
                   for label, s in measured.items()}
        out[variant] = VariantEnergy(settings=measured, savings=savings)
    hetero_label = f"heterogeneous, coverage {cfg.coverages[0]:g}"
    headline = {g: energy_saving(out["neat"].settings[hetero_label].total, out["baseline"].settings[ref_label].total, g)
                for g in ("array", "periphery", "total")}
    rows = []
    if cfg.energy_sensitivity and mode == cfg.weight_scale_modes[0]:
        rows = _sensitivity(ctx, mode, measure, x)
    return EnergyResult(mode=mode, constants=dataclasses.asdict(ctx.energy_constants), samples=int(x.shape[0]),
                        reference=ref_label, variants=out, neat_hetero_vs_baseline_reference=headline,
                        sensitivity=rows), None


def _sensitivity(ctx: RunContext, mode: str, measure, x) -> list:
    """NEAT's heterogeneous-V_G saving (vs the reference V_G, same weights) when the transistor width,
    the select-line toggling policy or the read time change."""
    cfg = ctx.cfg
    base = ctx.energy_constants
    width = float(getattr(ctx.cell.transistor, "w", 0.0))
    state = ctx.variant_state("neat", mode)
    hetero = _hetero(ctx, mode, "neat")
    other = "per_read" if base.toggling == "per_inference" else "per_inference"
    cases = [("as configured", width, base), ("W × 0.5", 0.5 * width, base), ("W × 2", 2 * width, base),
             (f"toggling {other}", width, dataclasses.replace(base, toggling=other)),
             ("t_read × 0.5", width, dataclasses.replace(base, t_read=0.5 * base.t_read)),
             ("t_read × 2", width, dataclasses.replace(base, t_read=2 * base.t_read))]
    rows = []
    for label, w, constants in cases:
        cell = ctx.cell if w == width else dataclasses.replace(
            ctx.cell, transistor=with_width(ctx.cell.transistor, w))
        key = f"sensitivity/{label}"
        e_ref = measure(f"{key}/reference", state, cfg.reference_v_gate, constants=constants, cell=cell).total
        e_het = measure(f"{key}/hetero", state, hetero, constants=constants, cell=cell).total
        rows.append(SensitivityRow(label=label, transistor_width=w, toggling=constants.toggling,
                                   t_read=constants.t_read, saving_array=energy_saving(e_het, e_ref, "array"),
                                   saving_total=energy_saving(e_het, e_ref, "total"), reference_total_J=e_ref.total))
    return rows


def stage_circuit(ctx: RunContext, stage: str):
    """The final networks at ``circuit`` fidelity (every tile solved with parasitics) against ``cell``."""
    cfg = ctx.cfg
    mode = cfg.weight_scale_modes[0]
    circuit = CircuitConfig(r_wire=cfg.circuit_r_wire, r_source=cfg.circuit_r_source, r_sink=cfg.circuit_r_sink)
    x, y = ctx.data.x_test[:cfg.circuit_samples], ctx.data.y_test[:cfg.circuit_samples]
    done = ctx.partial_dict(stage, "done")
    rows = []
    for variant in ("baseline", "neat", "cell_ft"):
        if variant not in variants(cfg):
            continue
        state = ctx.variant_state(variant, mode)
        for vg in sorted({cfg.reference_v_gate, ctx.v_target}, reverse=True):
            for fidelity in ("cell", "circuit"):
                key = f"{variant}/{vg:.4f}/{fidelity}"
                if key not in done:
                    net = ctx.crossbar_net(state, mode, vg, fidelity=fidelity, circuit=circuit)
                    done[key] = evaluate(net, x, y, batch_size=cfg.eval_batch, device=ctx.device,
                                         desc=f"{fidelity} {variant} {vg} V", progress=ctx.progress)
                    ctx.store.save_partial(stage, {"done": done})
                    ctx.tick(stage, key)
            rows.append(CircuitRow(variant=variant, v_gate=vg, accuracy_cell=done[f"{variant}/{vg:.4f}/cell"],
                                   accuracy_circuit=done[f"{variant}/{vg:.4f}/circuit"]))
    return CircuitResult(mode=mode, samples=int(x.shape[0]), r_wire=circuit.r_wire, r_source=circuit.r_source,
                         r_sink=circuit.r_sink, rows=rows), None


def stage_report(ctx: RunContext, stage: str):
    from .report import write_report
    return write_report(ctx.store.out, ctx.results, ctx.cfg, ctx.data.describe(), progress=ctx.progress), None


_STAGE_FN = {"cell_table": stage_cell_table, "baseline": stage_baseline, "clip_bn": stage_clip_bn,
             "neat": stage_neat, "cell_ft": stage_cell_ft, "schedule": stage_schedule, "evaluate": stage_evaluate,
             "energy": stage_energy, "circuit": stage_circuit, "report": stage_report}


def _recorded(store: RunStore, stage: str):
    """A finished stage's record, re-checked (a damaged or hand-edited state.json is an error)."""
    try:
        return RESULT_TYPES[_kind(stage)].from_json(store.result(stage), stage)
    except RecordError as e:
        raise CheckpointError(f"{store.state_path} records an impossible result for stage {stage!r}: {e}; "
                              f"rerun with --resume --redo {stage} to recompute it (and the stages after it)") from e


def _open_store(dp, out, config, plan, resume, overwrite, redo) -> RunStore:
    """The run's store; under data-parallel training rank 0 opens (and checks) it first and writes it,
    the other ranks then read it (an error on rank 0 stops every rank)."""
    def open_writer(sync):
        store = RunStore(out, config.to_json(), resume=resume, overwrite=overwrite, stages=tuple(plan), sync=sync)
        if redo is not None:
            for stage in plan[plan.index(redo):]:
                store.forget(stage)
        return store
    if dp is None:
        return open_writer(None)
    store, error = None, None
    if dp.is_main:
        try:
            store = open_writer(None)
        except Exception as e:  # noqa: BLE001 -- re-raised below, after telling the other ranks
            error = e
    message = dp.broadcast(None if error is None else f"{type(error).__name__}: {error}")
    if error is not None:
        raise error
    if message is not None:
        raise CheckpointError(f"rank 0 could not open the run folder {out}: {message}")
    if dp.is_main:
        store._sync = dp.barrier
    else:
        # rank 0 has forgotten any redone stages before the broadcast: the state read here lacks them
        store = RunStore(out, config.to_json(), stages=tuple(plan), writer=False, sync=dp.barrier)
    # every rank has read the run's state before rank 0 changes it: without this, a stage that rank 0
    # finishes at once (the cell table from the cache) could already be "done" in the state another
    # rank reads, which then skips that stage's barrier and the ranks' barriers pair up wrongly (deadlock)
    dp.barrier()
    return store


def run_pipeline(config: PipelineConfig, out, *, resume: bool = False, overwrite: bool = False,
                 device: str = "cpu", progress: bool = True, stop_after: str | None = None,
                 redo: str | None = None, hooks: dict | None = None) -> dict:
    """Run (or resume) every stage; returns ``{stage: record}`` of the stages finished so far
    (the report stage's value is a dict: tables, file names, markdown).

    ``out``: run folder.  ``stop_after``: a stage name; the run stops after it
    (checkpointed; resume continues).  ``redo`` (with ``resume``): recompute this
    stage and every later one (their checkpoints are deleted first).  ``hooks``:
    ``{"after_stage": f(stage, result), "after_step": f(stage, step)}``; raising
    :class:`StopPipeline` from a hook stops the run (the exception propagates to
    the caller after the checkpoint is written).
    """
    if not isinstance(config, PipelineConfig):
        raise TypeError(f"config must be a PipelineConfig, got {type(config).__name__}")
    plan = stage_plan(config)
    for name, value in (("stop_after", stop_after), ("redo", redo)):
        if value is not None and value not in plan:
            raise ConfigError(f"{name} must be one of this run's stages {plan}, got {value!r}")
    if redo is not None and not resume:
        raise ValueError("redo recomputes a stage of an existing run: pass resume=True too")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} requested but CUDA is not available")
    # the data is loaded and the target checked first: both fail before any file is written
    dp = ddp.current()
    if dp is not None and config.batch_size % dp.world_size:
        raise ConfigError(f"batch_size {config.batch_size} must be a multiple of the {dp.world_size} data-parallel "
                          f"ranks (each takes an equal part of every global batch)")
    ctx = RunContext(config, device, progress and (dp is None or dp.is_main), dict(hooks or {}))
    neat_target(ctx)
    ctx.store = store = _open_store(dp, out, config, plan, resume, overwrite, redo)
    for stage in plan:
        if store.is_done(stage) and stage != "report":
            ctx.results[stage] = _recorded(store, stage)
        else:
            t0 = time.perf_counter()
            if stage == "report" and not store.writer:  # rank 0 writes the report
                result, payload = {}, None
            else:
                result, payload = _STAGE_FN[_kind(stage)](ctx, stage)
            dt = time.perf_counter() - t0
            store.finish(stage, result if isinstance(result, dict) else result.to_json(), payload, wall_s=dt)
            ctx.results[stage] = result if stage == "report" else _recorded(store, stage)
            fn = ctx.hooks.get("after_stage")
            if fn is not None:
                fn(stage, ctx.results[stage])
        if stage == stop_after:
            break
    return ctx.results
