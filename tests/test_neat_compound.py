"""neat.compound: per-layer error decomposition (IR drop, transistor non-linearity, both).

The decomposition is checked against what each variant must be by construction: linear cells
without resistances are the ideal product exactly; with every resistance at 0 Ω the circuit is
the non-linearity alone; the exact cell agrees with the ``cell`` fidelity's expansion to its
stated accuracy; and both effects attenuate the currents (gain < 1) of this cell.
"""
from __future__ import annotations

import json

import pytest
import torch
import torch.nn as nn

from neat.cell import CellConfig
from neat.circuit import CircuitConfig
from neat.compound import VARIANTS, compound_errors, decompose, record_layer_inputs, variant_currents
from neat.mapping import MappingConfig
from neat.network import crossbar_model, weight_scales

PARASITICS = CircuitConfig(r_wire=5.0, r_source=200.0, r_sink=200.0)


def _net(fidelity="ideal"):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 5))
    return crossbar_model(model, CellConfig(), weight_scales(model, "layer"), v_gate=1.0, fidelity=fidelity,
                          mapping=MappingConfig(tile_rows=8, tile_cols=8, adc_bits=6), circuit=PARASITICS)


def _images(n=2):
    return torch.rand(n, 1, 6, 6, generator=torch.Generator().manual_seed(1))


def test_recorded_inputs_are_the_tiled_inputs_of_the_ideal_network():
    net = _net("cell")
    layers = record_layer_inputs(net, _images())
    assert [l.name for l in layers] == ["0", "3"]
    conv, fc = layers
    assert conv.v_pos.shape == (2 * 16, 9) and conv.g_pos.shape == (3, 9)  # 2 images x 4x4 positions, 1x3x3 patch
    assert fc.v_pos.shape == (2, 48) and fc.g_pos.shape == (5, 48)
    assert all(m.fidelity.name == "cell" for m in (conv.layer, fc.layer))  # restored
    assert torch.all(conv.v_pos >= 0) and torch.all(conv.v_neg >= 0)


def test_linear_cells_without_resistances_are_the_ideal_product():
    layer = record_layer_inputs(_net(), _images())[1]
    ideal = variant_currents(layer, "ideal", PARASITICS)
    exact_linear = variant_currents(layer, "ir_drop", CircuitConfig())
    assert torch.allclose(exact_linear, ideal, rtol=1e-12, atol=1e-12 * float(ideal.abs().max()))


def test_zero_ohm_circuit_is_the_nonlinearity_alone_and_matches_the_cell_expansion():
    net = _net()
    layer = record_layer_inputs(net, _images())[0]
    both_without_wires = variant_currents(layer, "both", CircuitConfig())
    nonlinear = variant_currents(layer, "nonlinearity", PARASITICS)
    assert torch.equal(both_without_wires, nonlinear)
    from neat.fidelity import CELL
    layer.layer.config = layer.layer.config.__class__(**{**layer.layer.config.__dict__,
                                                         "mapping": MappingConfig(tile_rows=8, tile_cols=8)})
    expansion = CELL.tiled_columns(layer.layer, layer.v_pos, layer.v_neg, layer.g_pos, layer.g_neg)
    # the expansion's stated accuracy (neat.expansion: 1e-3 of the full-scale cell current)
    assert torch.allclose(expansion, nonlinear, atol=2e-3 * float(nonlinear.abs().max()))


def test_each_effect_attenuates_and_the_decomposition_is_consistent():
    layer = record_layer_inputs(_net(), _images())[0]
    currents = {v: variant_currents(layer, v, PARASITICS) for v in VARIANTS}
    d = decompose(currents)
    for key in ("nonlinearity", "ir_drop", "both"):
        assert d[key]["rms"] > 0.0 and 0.0 < d[key]["gain"] < 1.0
        assert d[key]["scatter"] <= d[key]["rms"] + 1e-15
    e = {k: currents[k] - currents["ideal"] for k in ("nonlinearity", "ir_drop", "both")}
    residual = e["both"] - e["nonlinearity"] - e["ir_drop"]
    scale = float(torch.sqrt(torch.mean(currents["ideal"] ** 2)))
    assert d["interaction"] == pytest.approx(float(torch.sqrt(torch.mean(residual ** 2))) / scale, rel=1e-12)


def test_compound_errors_samples_seeded_vectors_and_resumes():
    net, x = _net(), _images(3)
    saved = {}
    first = compound_errors(net, x, parasitics=PARASITICS, vectors=10, seed=4, progress=False,
                            on_layer=lambda name, r: saved.setdefault(name, r))
    assert list(first["layers"]) == ["0", "3"]
    conv = first["layers"]["0"]
    assert conv["vectors_sampled"] == 10 and conv["vectors_per_image"] == 16.0
    assert first["layers"]["3"]["vectors_sampled"] == 3  # fewer vectors than asked: all of them
    assert first["circuit_seconds_per_image_estimate"] > 0.0
    again = compound_errors(net, x, parasitics=PARASITICS, vectors=10, seed=4, progress=False)
    for name in ("0", "3"):
        for key in ("nonlinearity", "ir_drop", "both", "interaction", "ratio"):
            assert again["layers"][name][key] == first["layers"][name][key]
    resumed = compound_errors(net, x, parasitics=PARASITICS, vectors=10, seed=4, progress=False,
                              done={"0": saved["0"]})
    assert resumed["layers"]["0"] is saved["0"]  # kept as given, not measured again
    assert resumed["layers"]["3"]["both"] == first["layers"]["3"]["both"]


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match="vectors"):
        compound_errors(_net(), _images(), parasitics=PARASITICS, vectors=0, progress=False)
    with pytest.raises(TypeError, match="parasitics"):
        compound_errors(_net(), _images(), parasitics={"r_wire": 1.0}, progress=False)
    with pytest.raises(ValueError, match="crossbar layers"):
        record_layer_inputs(nn.Sequential(nn.Linear(3, 2)), torch.zeros(1, 3))
    with pytest.raises(TypeError, match="linear_cells"):
        CircuitConfig(linear_cells=1)


def test_compound_command_on_a_run(tmp_path):
    """``python -m neat.compound`` on a tiny run's baseline: JSON, PNG, partial file gone."""
    from neat.compound import main
    from neat.pipeline import run_pipeline
    from neat.train import parse_command_line
    args = ["--dataset", "synthetic", "--model", "small_cnn", "--model-width", "0.25", "--train-subset", "64",
            "--test-subset", "8", "--epochs", "1", "--batch-size", "32", "--seed", "3", "--neat-iterations", "1",
            "--neat-iter-samples", "32", "--no-controls", "--no-cell-finetune", "--weight-scale-mode", "global",
            "--coverage", "1.0", "--sweep-v-gates", "1.0", "--no-progress", "--threads", "1"]
    _, cfg = parse_command_line(args)
    run_pipeline(cfg, tmp_path / "run", progress=False, stop_after="baseline")
    out = tmp_path / "compound.json"
    assert main(["--run", str(tmp_path / "run"), "--stage", "baseline", "--v-gate", "1.0", "--images", "1",
                 "--vectors", "4", "--out", str(out), "--no-progress"]) == 0
    result = json.loads(out.read_text())
    assert result["layers"] and out.with_suffix(".png").is_file()
    assert not out.with_name(out.name + ".partial.json").exists()
    for layer in result["layers"].values():
        assert set(VARIANTS[1:]) <= set(layer) and layer["vectors_sampled"] <= 4
    assert main(["--run", str(tmp_path / "nowhere")]) == 2
