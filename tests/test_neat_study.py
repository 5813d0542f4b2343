"""The study driver (neat.study), the cell search (neat.cell_search) and transistor cards (neat.cards)."""
from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

import neat
from xbarsolve.devices import Bsim4NMOS
from neat.cards import CardError, card_model_name, load_transistor
from neat.cell import PAPER_CUTOFFS, metric_from_currents, nonlinearity
from neat.cell_search import cutoffs_from_metric, fit_score, ngspice_cell_currents
from neat.config import PipelineConfig
from neat.study import _makespan, aggregate, judge_claims, run_work, study_runs
from neat.study_summary import _verdict, paired_difference, t_critical

CARDS = Path(__file__).resolve().parent.parent / "validation" / "cards"
HP, LP = CARDS / "ptm45_hp.pm", CARDS / "ptm45_lp.pm"


# ---------------------------------------------------------------------------------- cards
def test_card_file_reading(tmp_path):
    text = """* a card
.model mynmos nmos level = 54
+ vth0 = 0.5 toxe = 1.3e-9   ; comment
+ u0 = 0.05 $ another
.model p1 pmos level = 54 vth0 = -0.4
"""
    (tmp_path / "two.pm").write_text(text)
    assert card_model_name(tmp_path / "two.pm") == "mynmos"
    model, provenance = load_transistor(tmp_path / "two.pm", 2e-6)
    assert isinstance(model, Bsim4NMOS) and provenance == "exact"
    assert (model.w, model.l, model.card.get("vth0"), model.card.get("u0")) == (2e-6, 45e-9, 0.5, 0.05)
    (tmp_path / "bad.pm").write_text(".model n nmos level=54 vth0=0.5 rgatemod=3")
    with pytest.raises(CardError, match="bad.pm: .*RGATEMOD = 3 is not implemented"):
        load_transistor(tmp_path / "bad.pm", 1e-6)
    (tmp_path / "unknown.pm").write_text(".model n nmos level=54 vth0=0.5 vthx=0.1")
    with pytest.raises(CardError, match="unknown.pm: .*VTHX"):
        load_transistor(tmp_path / "unknown.pm", 1e-6)
    with pytest.raises(CardError, match="cannot read the transistor card"):
        load_transistor(tmp_path / "missing.pm", 1e-6)
    with pytest.raises(ValueError, match="transistor width"):
        load_transistor(tmp_path / "bad.pm", -1.0)
    with pytest.raises(ValueError, match="transistor length"):
        load_transistor(tmp_path / "two.pm", 1e-6, 0.0)


def test_ptm_cards_load_exactly():
    hp, prov = load_transistor(HP, 2e-6)
    assert prov == "exact" and isinstance(hp, Bsim4NMOS)
    assert (hp.w, hp.l, hp.card.version, hp.card.get("vth0")) == (2e-6, 45e-9, "4.0.0", 0.46893)
    lp, _ = load_transistor(LP, 2e-6)
    assert (lp.card.get("vth0"), lp.card.get("toxe"), lp.card.get("u0")) == (0.62261, 1.8e-9, 0.049)


def test_pipeline_config_takes_a_card(tmp_path):
    cfg = PipelineConfig(card=str(LP), transistor_width=1e-6, transistor_side="column", v_max=0.3)
    cell = cfg.cell()
    assert cell.transistor.card.get("vth0") == 0.62261 and cell.transistor.w == 1e-6
    assert cell.transistor_side == "column" and cell.v_max == 0.3
    assert len(cfg.to_json()["card_sha256"]) == 16
    copy = tmp_path / "copy.pm"
    shutil.copy(LP, copy)
    assert PipelineConfig(card=str(copy)).to_json()["card_sha256"] == cfg.to_json()["card_sha256"]
    copy.write_text(copy.read_text().replace("vth0    = 0.62261", "vth0    = 0.6"))
    assert PipelineConfig(card=str(copy)).to_json()["card_sha256"] != cfg.to_json()["card_sha256"]


# ---------------------------------------------------------------------------- cell search
def test_cutoffs_from_metric_and_fit_score():
    g = np.linspace(1.0, 5.0, 5)
    m = np.array([[0.0, 0.01, 0.02, 0.03, 0.04],   # crosses 0.025 halfway between 3 and 4
                  [0.0, 0.0, 0.0, 0.0, 0.0],        # all linear
                  [0.1, 0.0, 0.0, 0.0, 0.0],        # none (first point bad)
                  [0.0, 0.03, 0.0, 0.0, 0.0]])      # first crossing counts, no monotonicity assumed
    np.testing.assert_allclose(cutoffs_from_metric(g, m, 0.025), [3.5, 5.0, np.nan, 1.0 + 25 / 30])
    g_on, g_off = 1 / 30e3, 1 / 300e3
    vg = [0.8, 1.0, 1.3]
    perfect = [PAPER_CUTOFFS[0.8], g_on, g_on]
    assert fit_score(vg, perfect)[0] == pytest.approx(0.0, abs=1e-3)  # 3.34e-5 ≈ G_ON counts as G_ON
    score, err = fit_score(vg, [np.nan, g_on, g_on])
    assert err[0.8] == pytest.approx((PAPER_CUTOFFS[0.8] - g_off) / (g_on - g_off))
    assert score == pytest.approx(err[0.8] / math.sqrt(3))
    with pytest.raises(ValueError, match="anchor"):
        fit_score([0.9, 1.0, 1.3], perfect)


def test_metric_from_currents_is_the_cells_metric():
    cfg = neat.CellConfig(n_v=10)
    g = np.array([5e-6, 2e-5])
    v = cfg.metric_voltages()
    i = neat.cell_currents(cfg, np.concatenate([[1e-4 * cfg.v_max], v]), g, [0.9])
    for metric in ("ideal", "small_signal", "endpoint"):
        ours = metric_from_currents(metric, i[:, 1:], v, g, i[:, 0])
        ref = nonlinearity(dataclasses.replace(cfg, metric=metric), g, 0.9)
        np.testing.assert_allclose(ours, ref, rtol=1e-12)


@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice not installed")
def test_ngspice_cells_match_xbarsolve_for_the_hp_card():
    """The search's ground truth (ngspice with the card file) and neat's transistor (the same card in
    Bsim4NMOS) give the same cell currents: within 1e-5 relative (ngspice's .dc sweep stops its
    Newton iterations at its default RELTOL of 1e-3 of the update, which leaves ~1e-6)."""
    g = np.array([1 / 300e3, 1 / 30e3])
    v, i, _, _ = ngspice_cell_currents(HP, "row", 3.5e-6, [0.9, 1.2], g, 0.5)
    cfg = neat.CellConfig(transistor=load_transistor(HP, 3.5e-6)[0])
    ours = neat.cell_currents(cfg, v[1:], g, [0.9, 1.2])
    np.testing.assert_allclose(i[:, 1:, :], ours, rtol=1e-5, atol=1e-15)


# --------------------------------------------------------------------------------- study
def test_run_work_counts_the_images_of_every_stage():
    cfg = PipelineConfig(train_subset=None, test_subset=None, epochs=10, neat_iterations=30, cellft_epochs=2,
                         weight_scale_modes=("layer", "global"), coverages=(1.0, 0.99), energy_samples=256,
                         neat_eval_samples=500, sweep_v_gates=(1.3, 1.0, 0.9), neat_schedules=((1e-4, 10),))
    w = run_work(cfg)
    assert w["train"] == 10 * 60000 + 2 * 30 * 60000 + 10 * 60000
    assert w["train_cell"] == 2 * 2 * 60000
    assert w["forward_train"] == 2 * 60000
    assert w["eval_cell"] == 2 * 5 * (4 + 4) * 10000 + (60 + 10) * 500 + 2 * 10000
    lean = PipelineConfig(controls=False, cell_finetune=False, train_subset=1000, test_subset=100, epochs=1,
                          neat_iterations=2, neat_iter_samples=100, weight_scale_modes=("global",),
                          energy_sensitivity=False)
    w = run_work(lean)
    assert w["train"] == 1000 + 2 * 100 and w["train_cell"] == 0 and w["forward_train"] == 0


def test_study_runs_and_makespan():
    runs = study_runs({"vgg11": 0.25, "resnet18": 0.125}, 3, ["--transistor-side", "column"])
    assert [r[0] for r in runs] == [f"vgg11_w0.25_seed{s}" for s in range(3)] + \
        [f"resnet18_w0.125_seed{s}" for s in range(3)]
    from neat.train import parse_command_line
    cfg = parse_command_line(runs[0][4])[1]
    assert cfg.train_subset is None and cfg.neat_iterations == 30 and cfg.neat_iter_samples is None
    assert cfg.neat_lr == 1e-5 and cfg.neat_final_clip and cfg.coverages == (1.0, 0.99)
    assert cfg.weight_scale_modes == ("layer", "global") and cfg.transistor_side == "column"
    assert cfg.neat_schedules and not parse_command_line(runs[1][4])[1].neat_schedules
    assert not parse_command_line(runs[3][4])[1].neat_schedules and not cfg.controls_full_sweep
    assert _makespan([5, 4, 3, 3, 1], 2) == 8
    assert _makespan([5], 2) == 5


def _fake_table(sw, xbar, neat_, bn, cft, het, saving):
    return {"summary": {"software": sw, "nonlinear_crossbar": xbar, "neat": neat_, "clip": 0.1, "clip_bn": bn,
                        "cell_finetune": cft, "hetero_no_retrain": xbar, "hetero_neat": het,
                        "hetero_neat_minus_step": het - 0.01, "saving_hetero_neat_array": saving,
                        "saving_hetero_neat_total": saving / 4},
            "variants": {"neat": {"software_accuracy": sw, "accuracy_reference_v_gate": sw,
                                  "accuracy_target_v_gate": neat_, "accuracy_hetero": het,
                                  "accuracy_hetero_minus_step": het - 0.01, "accuracy_hetero_relaxed": None,
                                  "mean_hetero_v_gate": 0.9, "saving_hetero_array": saving,
                                  "saving_hetero_total": saving / 4, "saving_target_array": saving}},
            "v_target": 0.9}


def test_claims_are_judged_against_the_spread():
    seeds = [_fake_table(0.90, 0.80, 0.88, 0.87, 0.89, 0.895, 0.2),
             _fake_table(0.91, 0.82, 0.89, 0.88, 0.88, 0.905, 0.21),
             _fake_table(0.92, 0.81, 0.90, 0.90, 0.90, 0.915, 0.19)]
    c = judge_claims(seeds)
    assert c["1_nonlinearity_costs_accuracy"]["verdict"].startswith("holds")
    assert c["1_nonlinearity_costs_accuracy"]["difference"]["mean"] == pytest.approx(0.10)
    assert c["2_neat_recovers"]["verdict"].startswith("holds")
    assert c["2_neat_recovers"]["neat_minus_cell_finetune"]["verdict"].startswith("not resolved")
    assert c["3_hetero_saves_energy"]["verdict"].startswith("loss < 1 point")
    assert c["3_hetero_saves_energy"]["saving_array"][0] == pytest.approx(0.2)
    d = paired_difference([1.0, 2.0, 3.0], [0.0, 0.0, None])
    assert d["n"] == 2 and d["mean"] == pytest.approx(1.5)


def _fake_energy(scale):
    parts = {"read": 1e-9 * scale, "select": 1e-10, "row_line": 1e-11, "dac": 1e-7, "adc": 1e-8, "accumulate": 1e-9}
    settings = {"homogeneous 1.00 V": {"total": parts}, "heterogeneous, coverage 1": {"total": parts}}
    return {"variants": {"baseline": {"settings": settings}, "neat": {"settings": settings}},
            "neat_hetero_vs_baseline_reference": {"array": 0.1 * scale, "total": 0.001 * scale},
            "sensitivity": [{"label": "as configured", "toggling": "per_inference", "saving_array": 0.04 * scale,
                             "saving_total": 0.0002 * scale},
                            {"label": "toggling per_read", "toggling": "per_read", "saving_array": 0.3 * scale,
                             "saving_total": 0.03 * scale}]}


def test_verdicts_use_students_t_not_two_standard_errors():
    # mean 2 points, standard error 0.87: beyond 2 SE, but not beyond t(0.95, 2) = 2.92 SE
    d = paired_difference([0.005, 0.035, 0.02], [0.0, 0.0, 0.0])
    assert d["mean"] > 2 * d["se"]
    assert _verdict(d).startswith("not resolved")
    assert _verdict(paired_difference([0.019, 0.021, 0.02], [0.0] * 3)).startswith("holds")
    assert _verdict(paired_difference([0.0] * 3, [0.019, 0.021, 0.02])).startswith("contradicted")
    assert _verdict(paired_difference([0.02], [0.0])) == "not enough runs"
    assert t_critical(3) == pytest.approx(2.919986, rel=1e-6)


def test_aggregate_writes_table_with_spread(tmp_path):
    for seed, t in enumerate([_fake_table(0.90, 0.80, 0.88, 0.87, 0.89, 0.895, 0.2),
                              _fake_table(0.92, 0.82, 0.90, 0.89, 0.90, 0.905, 0.22)]):
        t["variants"]["baseline"] = dict(t["variants"]["neat"], accuracy_target_v_gate=0.80 + seed / 50)
        run = tmp_path / f"vgg11_w0.25_seed{seed}"
        run.mkdir()
        sweep = {"1.0000": t["summary"]["software"], "0.9000": t["summary"]["neat"]}
        gates = [{"coverage": 1.0, "v_gates": {"conv1": 0.9, "fc": 1.0 - seed / 20}}]
        iterations = [{"iteration": k + 1, "train_accuracy": 0.8 + k / 100, "crossbar_accuracy": 0.7 + k / 50}
                      for k in range(3)]
        stages = {"evaluate.layer": {"variants": {"neat": {"sweep": sweep, "gates": gates},
                                                  "baseline": {"sweep": sweep, "gates": gates}}},
                  "neat.layer": {"iterations": iterations},
                  "energy.layer": _fake_energy(1.0 + seed)}
        if seed == 0:  # the budget/lr sweep, as one seed of the study runs it
            stages["schedule1.layer"] = {"lr": 1e-3, "iterations": 10, "software_accuracy": 0.91,
                                         "accuracy_target": 0.905, "accuracy_reference": 0.907}
        (run / "results.json").write_text(json.dumps({
            "config": {"model": "vgg11", "model_width": 0.25, "seed": seed, "reference_v_gate": 1.0,
                       "neat_lr": 1e-5, "neat_iterations": 30},
            "tables": {"layer": t}, "stages": stages}))
    summary = aggregate(tmp_path, tmp_path / "out")
    text = (tmp_path / "out" / "table_I.md").read_text()
    assert "91.00 ± 1.41" in text  # software: mean ± std over the two seeds
    assert "Non-linearity at V_target costs accuracy" in text
    assert text.index("The paper's claims at a glance") < text.index("## Table I")
    assert "| vgg11 ×0.25 | layer | 2 | +10.00 ± 0.00 points" in text
    # NEAT's saving against the unretrained network at the reference V_G: mean ± std of 10 % and 20 %
    assert "array 15.0 ± 7.1 %" in text
    claim = summary["vgg11@0.25"]["claims"]["layer"]["3_hetero_saves_energy"]
    assert claim["saving_vs_unretrained_reference_array"][0] == pytest.approx(0.15)
    # the sweep: the paper's schedule and the extra one, for the seed that ran it
    assert "| 0 | lr 1e-05 × 30 | 90.00 | 88.00 |" in text
    assert "| 0 | lr 0.001 × 10 | 91.00 | 90.50 | 90.70 | 80.00 |" in text
    assert [r["seed"] for r in summary["vgg11@0.25"]["schedules"]["layer"]] == [0, 0]
    assert summary["vgg11@0.25"]["seeds"] == [0, 1]
    across = summary["vgg11@0.25"]["across_v_gate"]["layer"]
    assert [r["v_gate"] for r in across] == [1.0, 0.9]
    # at 0.9 V the fake sweeps give NEAT its crossbar accuracy and the unretrained network the same
    assert across[1]["neat_gain"]["mean"] == pytest.approx(0.0)
    assert across[0]["nonlinearity_cost"]["mean"] == pytest.approx(0.0)
    assert "Claims (1) and (2) at every swept V_G" in text
    # the energy model's sensitivity, mean ± std over the seeds (scales 1 and 2)
    assert "| toggling per_read (per_read) | 2 | 45.0 ± 21.2 % | 4.5 ± 2.1 % |" in text
    assert "| as configured (per_inference) | 2 | 6.0 ± 2.8 % | 0.03 ± 0.01 % |" in text
    for name in ("accuracy_vs_vg", "accuracy_vs_vg_zoom", "neat_iterations", "layer_vg", "energy"):
        assert (tmp_path / "out" / f"{name}_vgg11.png").stat().st_size > 1000, name


def test_aggregate_without_finished_runs_says_so(tmp_path):
    with pytest.raises(SystemExit, match="no finished run"):
        aggregate(tmp_path, tmp_path / "out")
