"""NEAT pipeline (issue #8): data loaders, W_cut, gate control, energy arithmetic, end-to-end run and resume.

Everything here is tiny (synthetic 12×12 data, a small CNN of width 0.25): the
whole file takes well under a minute on 2 CPU cores.  No timed assertions.
"""
from __future__ import annotations

import gzip
import json
import os
import pickle
import struct

import numpy as np
import pytest
import torch

import neat
from neat.cell import CutoffTable
from neat.checkpoint import RunStore, atomic_write_json
from neat.data import BatchIterator, DatasetMissingError, load_dataset, read_idx
from neat.energy import EnergyConstants, LayerEnergy, energy_saving, measure_energy
from neat.gate_control import fraction_inside, select_v_gates, shift_v_gates, w_cut_table
from neat.models import build_model
from neat.checkpoint import CheckpointError
from neat.pipeline import PipelineConfig, StopPipeline, run_pipeline, stage_plan
from neat.network import crossbar_model, weight_scales
from neat.threads import torch_threads

CELL = neat.CellConfig()


# ------------------------------------------------------------------------------------ data
def _write_idx(path, arr: np.ndarray):
    code = {np.dtype(np.uint8): 0x08}[arr.dtype]
    header = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", s) for s in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.tobytes())


def _fake_fmnist(d, n_train=20, n_test=10):
    rng = np.random.default_rng(0)
    files = {}
    for split, n, (xi, yi) in (("train", n_train, ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")),
                               ("test", n_test, ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"))):
        x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, size=n).astype(np.uint8)
        _write_idx(d / xi, x)
        _write_idx(d / yi, y)
        files[split] = (x, y)
    return files


def test_images_have_canonical_nchw_strides(tmp_path):
    """One-channel images must not look channels-last to torch (oneDNN's channels-last 1x1 stride-2
    convolution backward corrupts the heap in torch 2.13: ResNet18 ×0.0625 crashed on Fashion-MNIST)."""
    _fake_fmnist(tmp_path)
    for ds in (load_dataset("fashion_mnist", tmp_path), load_dataset("synthetic")):
        for x in (ds.x_train, ds.x_test):
            n, c, h, w = x.shape
            assert x.stride() == (c * h * w, h * w, w, 1)
            assert torch.nn.Conv2d(c, 4, 3, padding=1)(x[:2]).is_contiguous()


def test_idx_reader_and_fashion_mnist_loader(tmp_path):
    files = _fake_fmnist(tmp_path)
    np.testing.assert_array_equal(read_idx(tmp_path / "train-images-idx3-ubyte.gz"), files["train"][0])
    ds = load_dataset("fashion_mnist", tmp_path)
    assert ds.x_train.shape == (20, 1, 28, 28) and ds.x_test.shape == (10, 1, 28, 28)
    assert ds.num_classes == 10 and ds.y_train.dtype == torch.int64
    np.testing.assert_array_equal(ds.y_test.numpy(), files["test"][1])
    # normalised with the training statistics of the raw [0, 1] pixels
    raw = files["train"][0].astype(np.float64) / 255
    assert ds.mean[0] == pytest.approx(raw.mean(), rel=1e-5)
    assert abs(float(ds.x_train.mean())) < 1e-5
    expected0 = (files["test"][0][0] / 255 - ds.mean[0]) / ds.std[0]
    np.testing.assert_allclose(ds.x_test[0, 0].numpy(), expected0, rtol=1e-5, atol=1e-5)


def test_subsets_are_deterministic(tmp_path):
    _fake_fmnist(tmp_path)
    a = load_dataset("fashion_mnist", tmp_path, train_subset=7, test_subset=4, subset_seed=3)
    b = load_dataset("fashion_mnist", tmp_path, train_subset=7, test_subset=4, subset_seed=3)
    assert a.x_train.shape[0] == 7 and a.x_test.shape[0] == 4
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    c = load_dataset("fashion_mnist", tmp_path, train_subset=7, subset_seed=4)
    assert not torch.equal(a.y_train, c.y_train) or not torch.equal(a.x_train, c.x_train)


def _write_pickle(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f)


@pytest.mark.parametrize("classes", [10, 100])
def test_cifar_loaders(tmp_path, classes):
    rng = np.random.default_rng(1)
    if classes == 10:
        d = tmp_path / "cifar-10-batches-py"
        d.mkdir()
        for i in range(1, 6):
            _write_pickle(d / f"data_batch_{i}", {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                                                  b"labels": list(rng.integers(0, 10, 4))})
        test = {b"data": rng.integers(0, 256, (3, 3072), dtype=np.uint8), b"labels": [1, 2, 3]}
        _write_pickle(d / "test_batch", test)
        name = "cifar10"
    else:
        d = tmp_path / "cifar-100-python"
        d.mkdir()
        _write_pickle(d / "train", {b"data": rng.integers(0, 256, (6, 3072), dtype=np.uint8),
                                    b"fine_labels": [0, 99, 5, 6, 7, 8], b"coarse_labels": [0] * 6})
        test = {b"data": rng.integers(0, 256, (3, 3072), dtype=np.uint8), b"fine_labels": [1, 2, 3],
                b"coarse_labels": [0] * 3}
        _write_pickle(d / "test", test)
        name = "cifar100"
    ds = load_dataset(name, tmp_path)  # the parent folder works as well as the pickle folder
    assert ds.num_classes == classes and ds.in_channels == 3 and ds.image_size == 32
    assert ds.x_train.shape == ((20 if classes == 10 else 6), 3, 32, 32)
    assert ds.y_test.tolist() == [1, 2, 3]
    # pixel layout: 1024 red, then green, then blue values, row-major
    raw = test[b"data"][0].reshape(3, 32, 32) / 255
    expected = (raw[1] - ds.mean[1]) / ds.std[1]
    np.testing.assert_allclose(ds.x_test[0, 1].numpy(), expected, rtol=1e-5, atol=1e-5)
    assert torch.equal(load_dataset(name, d).y_test, ds.y_test)


def test_missing_datasets_say_how_to_get_them(tmp_path):
    with pytest.raises(DatasetMissingError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion_mnist", tmp_path)
    with pytest.raises(DatasetMissingError, match="cifar-10-batches-py"):
        load_dataset("cifar10", tmp_path)
    with pytest.raises(DatasetMissingError, match="cifar-100-python"):
        load_dataset("cifar100", None)
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_dataset("mnist")


def test_batch_iterator_is_a_function_of_seed_and_key():
    x = torch.arange(40, dtype=torch.float32).reshape(10, 1, 2, 2).repeat(1, 1, 4, 4)
    y = torch.arange(10)
    a = [yb.tolist() for _, yb in BatchIterator(x, y, 4, shuffle=True, seed=1, key="e0")]
    b = [yb.tolist() for _, yb in BatchIterator(x, y, 4, shuffle=True, seed=1, key="e0")]
    c = [yb.tolist() for _, yb in BatchIterator(x, y, 4, shuffle=True, seed=1, key="e1")]
    assert a == b and a != c and sorted(sum(a, [])) == list(range(10))
    assert len(BatchIterator(x, y, 4, limit=5)) == 2
    xa = next(iter(BatchIterator(x, y, 10, augment=True, seed=2, key="k")))[0]
    xb = next(iter(BatchIterator(x, y, 10, augment=True, seed=2, key="k")))[0]
    assert xa.shape == x.shape and torch.equal(xa, xb)


def test_models_adapt_to_input_shapes():
    for name in ("vgg11", "resnet18", "small_cnn"):
        for c, s in ((1, 28), (3, 32)):
            m = build_model(name, c, 10, width=0.0625, image_size=s).eval()
            assert m(torch.zeros(2, c, s, s)).shape == (2, 10)
    with pytest.raises(ValueError, match="model must be one of"):
        build_model("alexnet", 1, 10)


# -------------------------------------------------------------------- W_cut and gate control
def _table(v_gate, g_cut):
    v_gate, g_cut = np.asarray(v_gate, float), np.asarray(g_cut, float)
    status = tuple("none" if not np.isfinite(g) else "linear" if g >= CELL.g_on else "partial" for g in g_cut)
    z = np.zeros_like(v_gate)
    return CutoffTable(v_gate=v_gate, g_cut=g_cut, status=status, g_grid=np.array([CELL.g_off, CELL.g_on]),
                       metric=np.zeros((len(v_gate), 2)), metric_at_g_off=z, metric_at_g_on=z, config_key="test",
                       description="test", tolerance=0.025, metric_name="ideal")


def test_w_cut_follows_the_mapping():
    dg = CELL.g_on - CELL.g_off
    t = _table([0.8, 0.9, 1.0], [np.nan, CELL.g_off + 0.25 * dg, CELL.g_on])
    np.testing.assert_allclose(w_cut_table(t, CELL, 2.0), [0.0, 0.5, 2.0])
    # consistent with the mapping: a weight at W_cut is programmed exactly at G_cut
    g_pos, _ = neat.mapping.weights_to_conductances(torch.tensor([0.5], dtype=torch.float64), 2.0, CELL.g_on,
                                                    CELL.g_off)
    assert float(g_pos) == pytest.approx(CELL.g_off + 0.25 * dg, rel=1e-12)


def test_gate_control_picks_lowest_sufficient_v_gate():
    dg = CELL.g_on - CELL.g_off
    fr = [np.nan, 0.1, 0.3, 0.6, 1.0, 1.0]  # W_cut / w_max at 0.75 … 1.0 V
    t = _table([0.75, 0.8, 0.85, 0.9, 0.95, 1.0], [CELL.g_off + f * dg for f in fr])
    w_small = torch.tensor([0.05, -0.08, 0.1])       # max 0.1·w_max -> 0.8 V
    w_mid = torch.tensor([0.2, -0.5, 0.1, 0.0])        # max 0.5 -> 0.9 V
    w_big = torch.tensor([1.0, -0.2])                  # max 1.0 -> 0.95 V
    w_tail = torch.cat([torch.full((99,), 0.25), torch.tensor([0.55])])  # 99 % <= 0.3
    scales = {k: 1.0 for k in ("small", "mid", "big", "tail")}
    w = {"small": w_small, "mid": w_mid, "big": w_big, "tail": w_tail}
    g = select_v_gates(w, scales, t, CELL, coverage=1.0)
    assert {k: v.v_gate for k, v in g.items()} == {"small": 0.8, "mid": 0.9, "big": 0.95, "tail": 0.9}
    assert all(v.satisfied for v in g.values()) and g["mid"].w_cut == pytest.approx(0.6)
    g99 = select_v_gates(w, scales, t, CELL, coverage=0.99)
    assert g99["tail"].v_gate == 0.85 and g99["tail"].fraction_inside == pytest.approx(0.99)
    # a weight scale twice as large halves the conductances: lower gate voltages suffice
    assert select_v_gates({"mid": w_mid}, {"mid": 2.0}, t, CELL)["mid"].v_gate == 0.85
    # weights beyond w_max are programmed at G_ON (the mapping clips): they need the fully linear range only
    assert select_v_gates({"b": torch.tensor([3.0])}, {"b": 1.0}, t, CELL)["b"].v_gate == 0.95
    assert shift_v_gates({"a": 0.9}, -0.05) == {"a": 0.85}


def test_gate_control_ignores_isolated_low_voltages_and_flags_failure():
    dg = CELL.g_on - CELL.g_off
    t = _table([0.8, 0.9, 1.0], [CELL.g_off + 0.9 * dg, CELL.g_off + 0.2 * dg, CELL.g_off + 0.95 * dg])
    g = select_v_gates({"a": torch.tensor([0.5])}, {"a": 1.0}, t, CELL)
    assert g["a"].v_gate == 1.0  # 0.8 V holds the weight but 0.9 V does not: not contiguous from the top
    g = select_v_gates({"a": torch.tensor([0.99])}, {"a": 1.0}, t, CELL)
    assert not g["a"].satisfied and g["a"].v_gate == 1.0
    with pytest.raises(ValueError, match="coverage"):
        select_v_gates({"a": torch.tensor([0.5])}, {"a": 1.0}, t, CELL, coverage=0.0)
    assert fraction_inside(torch.tensor([0.1, 0.2, 0.3, 0.4]), 0.25) == 0.5


def test_weight_scales():
    m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 2))
    with torch.no_grad():
        m[0].weight.fill_(0.5)
        m[1].weight.fill_(-2.0)
    assert weight_scales(m, "global") == {"0": 2.0, "1": 2.0}
    assert weight_scales(m, "layer") == {"0": 0.5, "1": 2.0}


# ---------------------------------------------------------------------------------- energy
def _exact_read_power(x, w, w_max, v_gate):
    """Σ_cells |V|·I(|V|, G) per sample from xbarsolve's exact cell currents (W)."""
    xm = x.abs().amax(1, keepdim=True)
    v = (x / xm * CELL.v_max).abs().double().numpy()
    u = np.clip(w.double().numpy() / w_max, -1, 1)
    gp = CELL.g_off + (CELL.g_on - CELL.g_off) * np.clip(u, 0, None)
    gn = CELL.g_off + (CELL.g_on - CELL.g_off) * np.clip(-u, 0, None)
    gs = np.concatenate([gp.ravel(), gn.ravel()])
    out = []
    for n in range(v.shape[0]):
        i = neat.cell_currents(CELL, v[n], gs, v_gate)[0]  # (in, 2·out·in)
        ii = i.reshape(v.shape[1], 2, *w.shape)  # (in_v, pair, out, in_g)
        diag = np.stack([ii[k, :, :, k] for k in range(v.shape[1])])  # row k drives the cells of input k
        out.append(float((v[n][:, None, None] * diag).sum()))
    return np.array(out)


@pytest.mark.parametrize("v_gate", [1.0, 0.8])
def test_read_energy_matches_exact_cell_currents(v_gate):
    torch.manual_seed(0)
    net = crossbar_model(torch.nn.Sequential(torch.nn.Linear(5, 3)), CELL, {"0": 0.6}, v_gate=v_gate)
    x = torch.randn(2, 5)
    p = net[0].read_power(x).numpy()
    np.testing.assert_allclose(p, _exact_read_power(x, net[0].weight.detach(), 0.6, v_gate), rtol=2e-3)


def test_conv_read_energy_equals_unfolded_linear():
    torch.manual_seed(1)
    conv = torch.nn.Conv2d(2, 3, 3, padding=1, bias=False)
    lin = torch.nn.Linear(18, 3, bias=False)
    with torch.no_grad():
        lin.weight.copy_(conv.weight.reshape(3, -1))
    fixed = neat.MappingConfig(input_scale=1.0)  # same input scale for every patch
    cnet = crossbar_model(torch.nn.Sequential(conv), CELL, {"0": 0.5}, v_gate=0.9, mapping=fixed)
    lnet = crossbar_model(torch.nn.Sequential(lin), CELL, {"0": 0.5}, v_gate=0.9, mapping=fixed)
    x = torch.rand(2, 2, 4, 4)
    cols = torch.nn.functional.unfold(x, 3, padding=1).transpose(1, 2)  # (2, 16 patches, 18 rows)
    e_conv = cnet[0].read_power(x)
    e_lin = torch.stack([lnet[0].read_power(cols[n]).sum() for n in range(2)])
    torch.testing.assert_close(e_conv, e_lin, rtol=1e-10, atol=0)


@pytest.mark.parametrize("toggling", ["per_inference", "per_read"])
def test_energy_counts_and_arithmetic(toggling):
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1, bias=False), torch.nn.ReLU(),
                                torch.nn.Flatten(), torch.nn.Linear(4 * 5 * 5, 3))
    mapping = neat.MappingConfig(tile_rows=8, tile_cols=4)  # 2 weight columns per tile
    net = crossbar_model(model, CELL, {"0": 1.0, "3": 1.0}, v_gate={"0": 0.9, "3": 1.1}, mapping=mapping)
    k = EnergyConstants(t_read=1e-8, e_adc=2e-12, e_dac_per_bit=1e-13, dac_bits=4, c_gate_per_width=1e-9,
                        c_wire_per_cell=1e-16, e_add=3e-13, toggling=toggling)
    x = torch.randn(3, 1, 5, 5)
    x[0] = x[0].abs()  # sample 0 has no negative input: one read phase for the first layer
    e = measure_energy(net, x, constants=k)
    conv, lin = e["layers"]["0"], e["layers"]["3"]
    assert net[0].crossbar_shape() == (9, 4) and net[0].tiles() == (2, 2)
    assert net[3].crossbar_shape() == (100, 3) and net[3].tiles() == (13, 2)
    reads_conv = (1 + 2 + 2) * 25 / 3  # per image: 25 vectors × phases
    assert conv.reads == pytest.approx(reads_conv)
    assert lin.reads == pytest.approx(1.0)  # after ReLU: one phase, one vector
    c_sel = 4 * (1e-9 * CELL.transistor.w + 1e-16)
    per = (lambda reads: 1.0) if toggling == "per_inference" else (lambda reads: reads)
    assert conv.select == pytest.approx(per(reads_conv) * 9 * 2 * c_sel * 0.9 ** 2)
    assert lin.select == pytest.approx(per(1.0) * 100 * 2 * c_sel * 1.1 ** 2)
    assert conv.dac == pytest.approx(reads_conv * 9 * 4 * 1e-13)
    assert conv.adc == pytest.approx(reads_conv * 2 * 4 * 2e-12)
    assert lin.adc == pytest.approx(13 * 3 * 2e-12)
    assert lin.accumulate == pytest.approx(13 * 3 * 3e-13)
    expected_read = float(net[0].read_power(x).mean()) * 1e-8
    assert conv.read == pytest.approx(expected_read, rel=1e-12)
    # row lines: Σ over reads and rows of V² (each 3x3 patch, zero padding), × column tiles × C_row
    v = (x / x.abs().amax(dim=(1, 2, 3), keepdim=True) * CELL.v_max).double()
    patches = torch.nn.functional.unfold(v, 3, padding=1)  # (3, 9, 25)
    assert conv.row_line == pytest.approx(float((patches ** 2).sum()) / 3 * 2 * 4 * 1e-16, rel=1e-9)
    assert e["total"].total == pytest.approx(conv.total + lin.total)
    assert energy_saving(LayerEnergy(read=1, select=1), LayerEnergy(read=2, select=2)) == pytest.approx(0.5)
    assert energy_saving(LayerEnergy(read=1, dac=2), LayerEnergy(read=2, dac=2), "total") == pytest.approx(0.25)
    assert energy_saving(LayerEnergy(read=1, dac=1), LayerEnergy(read=2, dac=2), "periphery") == pytest.approx(0.5)
    with pytest.raises(ValueError, match="t_read"):
        EnergyConstants(t_read=-1.0)
    with pytest.raises(ValueError, match="toggling"):
        EnergyConstants(toggling="never")


def test_lower_gate_voltage_reads_less_energy():
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(16, 4))
    x = torch.rand(4, 16)
    es = [measure_energy(crossbar_model(model, CELL, {"0": 0.3}, v_gate=v), x)["total"] for v in (1.0, 0.9, 0.8)]
    assert es[0].read > es[1].read > es[2].read and es[0].select > es[1].select > es[2].select


# ------------------------------------------------------------------------------ checkpoints
def test_run_store_refuses_mismatched_resume(tmp_path):
    RunStore(tmp_path, {"a": 1})
    with pytest.raises(FileExistsError, match="--resume"):
        RunStore(tmp_path, {"a": 1})
    with pytest.raises(Exception, match="differs in \\['a'\\]"):
        RunStore(tmp_path, {"a": 2}, resume=True)
    s = RunStore(tmp_path, {"a": 1}, resume=True)
    s.finish("x", {"v": float("nan")}, {"t": torch.ones(2)})
    assert RunStore(tmp_path, {"a": 1}, resume=True).result("x") == {"v": None}
    atomic_write_json(tmp_path / "j.json", {"p": np.float32(1.5), "q": (1, 2)})
    assert json.loads((tmp_path / "j.json").read_text()) == {"p": 1.5, "q": [1, 2]}


# ---------------------------------------------------------------------------- end to end
TINY = dict(dataset="synthetic", model="small_cnn", model_width=0.25, train_subset=256, test_subset=128, epochs=2,
            batch_size=64, lr=5e-3, neat_iterations=3, neat_iter_samples=128, neat_eval_samples=32,
            recal_samples=128, cellft_epochs=1, cellft_samples=128, energy_samples=16, sweep_v_gates=(1.0, 0.9),
            vg_min=0.8, vg_max=1.2, weight_scale_modes=("layer", "global"), coverages=(1.0, 0.9),
            neat_schedules=((1e-3, 1),))


def _numbers(res):
    """Every number of a run's results except the report's."""
    return json.loads(json.dumps({k: v.to_json() for k, v in res.items() if k != "report"}, sort_keys=True))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The reference run, with one torch thread (2 threads on a loaded 2-core machine are several times
    slower; test_numbers_do_not_depend_on_cache_or_threads reruns it with 2 threads and a cold cache)."""
    out = tmp_path_factory.mktemp("run")
    with torch_threads(1):
        return out, run_pipeline(PipelineConfig(**TINY), out, progress=False)


@pytest.fixture()
def one_thread():
    with torch_threads(1):
        yield


def test_stage_plan():
    cfg = PipelineConfig(**TINY)
    assert stage_plan(cfg) == ["cell_table", "baseline", "clip_bn.layer", "neat.layer", "cell_ft.layer",
                               "clip_bn.global", "neat.global", "cell_ft.global", "schedule1.layer",
                               "evaluate.layer", "evaluate.global", "energy.layer", "energy.global", "report"]
    lean = PipelineConfig(**{**TINY, "controls": False, "cell_finetune": False, "neat_schedules": (),
                             "weight_scale_modes": ("global",), "circuit_samples": 4})
    assert stage_plan(lean) == ["cell_table", "baseline", "neat.global", "evaluate.global", "energy.global",
                                "circuit", "report"]


def test_pipeline_end_to_end(uninterrupted):
    out, res = uninterrupted
    for f in ("results.json", "table_I.md", "gcut.png", "accuracy_vs_vg.png", "layer_vg.png", "energy.png",
              "neat_iterations.png", "state.json"):
        assert (out / f).is_file(), f
    target = res["cell_table"].neat_v_gate
    g_cut = res["cell_table"].g_cut_at_neat_v_gate
    for mode in ("layer", "global"):
        summary = res["report"]["tables"][mode]["summary"]
        for key in ("software", "nonlinear_crossbar", "neat", "clip", "clip_bn", "cell_finetune",
                    "hetero_no_retrain", "hetero_neat", "hetero_neat_minus_step"):
            assert 0.0 <= summary[key] <= 1.0, (mode, key)
        ev = res[f"evaluate.{mode}"]
        # the ideal mapping reproduces the software network
        assert ev.ideal_accuracy == pytest.approx(res["baseline"].software_accuracy, abs=1 / 128)
        scales = res["baseline"].w_scales[mode]
        neat_ = res[f"neat.{mode}"]
        # NEAT's W_cut is the mapping of G_cut at the target V_G; the final clip puts every weight inside
        for name, wc in neat_.w_cut.items():
            assert wc == pytest.approx(scales[name] * (g_cut - CELL.g_off) / (CELL.g_on - CELL.g_off))
        assert all(f == 1.0 for f in neat_.fraction_inside.values())
        assert all(f == 1.0 for f in ev.variants["clip"].fraction_inside_target.values())
        assert len(neat_.iterations) == 3
        # the clip control is the baseline clipped: below the baseline's accuracy only through clipping
        assert ev.variants["clip"].gates[0].v_gates.keys() == ev.variants["baseline"].gates[0].v_gates.keys()
        # Algorithm 1: every choice on the grid; full coverage holds every weight, relaxed coverage never higher
        for v in ev.variants.values():
            full, relaxed = v.gates
            assert all(full.satisfied.values()) and all(f == 1.0 for f in full.fraction_inside.values())
            assert all(abs(vg - round(vg / 0.05) * 0.05) < 1e-9 for vg in full.v_gates.values())
            assert all(relaxed.v_gates[n] <= full.v_gates[n] for n in full.v_gates)
        # per-layer scales: the unretrained network has a weight at G_ON in every layer -> fully linear V_G only
        if mode == "layer":
            lin = min(v for v, st in zip(res["cell_table"].v_grid, res["cell_table"].status) if st == "linear")
            assert set(ev.variants["baseline"].gates[0].v_gates.values()) == {lin}
        sv = res[f"energy.{mode}"].variants["neat"].savings
        assert sv["homogeneous 1.00 V"]["array"] == 0.0
        assert sv[f"homogeneous {target:.2f} V"]["array"] > 0  # lower V_G saves energy
    sched = res["schedule1.layer"]
    assert (sched.lr, sched.iterations) == (1e-3, 1) and 0 <= sched.accuracy_target <= 1
    sens = res["energy.layer"].sensitivity
    assert [r.label for r in sens][:3] == ["as configured", "W × 0.5", "W × 2"] and not res["energy.global"].sensitivity
    text = (out / "table_I.md").read_text()
    assert "Table I" in text and "hetero V_G" in text and "clip + BN" in text
    saved = json.loads((out / "results.json").read_text())
    assert saved["tables"]["layer"]["summary"]["software"] == res["baseline"].software_accuracy


def test_resume_gives_identical_numbers(uninterrupted, tmp_path, one_thread):
    _, full = uninterrupted
    cfg = PipelineConfig(**TINY)
    # 1) stop after a stage
    part = run_pipeline(cfg, tmp_path, progress=False, stop_after="baseline")
    assert list(part) == ["cell_table", "baseline"]

    # 2) killed in the middle of NEAT (after its second iteration's checkpoint), then in an evaluation
    def kill(stage, step):
        if stage == "neat.global" and step == 2:
            raise StopPipeline("simulated kill")
    with pytest.raises(StopPipeline):
        run_pipeline(cfg, tmp_path, progress=False, resume=True, hooks={"after_step": kill})
    state = json.loads((tmp_path / "state.json").read_text())
    assert "neat.global" not in state["stages"] and (tmp_path / "ckpt" / "neat.global.partial.pt").is_file()
    calls = []

    def kill_eval(stage, step):
        calls.append((stage, step))
        if stage == "evaluate.layer" and len([c for c in calls if c[0] == stage]) == 5:
            raise StopPipeline("simulated kill")
    with pytest.raises(StopPipeline):
        run_pipeline(cfg, tmp_path, progress=False, resume=True, hooks={"after_step": kill_eval})
    assert ("neat.global", 1) not in calls and ("neat.global", 3) in calls  # iterations 1 and 2 were not redone

    # 3) resumed to the end
    seen = []
    resumed = run_pipeline(cfg, tmp_path, progress=False, resume=True,
                           hooks={"after_step": lambda stage, step: seen.append((stage, step))})
    assert ("evaluate.layer", "ideal") not in seen and ("evaluate.layer", "neat/software") in seen
    assert _numbers(resumed) == _numbers(full)
    with pytest.raises(Exception, match="differs"):
        run_pipeline(PipelineConfig(**{**TINY, "epochs": 3}), tmp_path, progress=False, resume=True)


def test_tampered_state_json_values_are_refused(uninterrupted, tmp_path, one_thread):
    import shutil
    src, _ = uninterrupted
    cfg = PipelineConfig(**TINY)
    for path, value, fragment in ((("baseline", "w_scales", "layer"), -1.0, "must be > 0"),
                                  (("cell_table", "neat_v_gate"), "0.9", "must be a number"),
                                  (("evaluate.layer", "variants", "neat", "software_accuracy"), 1.7, "fraction")):
        run = tmp_path / path[0] / str(len(fragment))
        shutil.copytree(src, run)
        state = json.loads((run / "state.json").read_text())
        node = state["stages"][path[0]]["result"]
        for key in path[1:-1]:
            node = node[key]
        if isinstance(node[path[-1]], dict):
            first = next(iter(node[path[-1]]))
            node[path[-1]][first] = value
        else:
            node[path[-1]] = value
        (run / "state.json").write_text(json.dumps(state))
        with pytest.raises(CheckpointError, match=f"impossible result for stage '{path[0]}'.*{fragment}.*--redo"):
            run_pipeline(cfg, run, progress=False, resume=True)


#: A smaller run for the cold-cache comparison (a cold cache rebuilds every table and expansion it uses).
REPRO = {**TINY, "weight_scale_modes": ("global",), "controls": False, "neat_schedules": (), "energy_sensitivity": False,
         "vg_min": 0.9, "vg_max": 1.1, "coverages": (1.0,)}


def test_numbers_do_not_depend_on_cache_or_threads(tmp_path):
    """The same configuration gives every number bit for bit in this process (warm cache, one thread)
    and in a fresh process with a cold neat cache and two torch threads."""
    import subprocess
    import sys
    from pathlib import Path
    with torch_threads(1):
        warm = run_pipeline(PipelineConfig(**REPRO), tmp_path / "warm", progress=False)
    root = Path(__file__).resolve().parents[1]
    code = (f"import json, torch; torch.set_num_threads(2)\n"
            f"from neat.pipeline import PipelineConfig, run_pipeline\n"
            f"res = run_pipeline(PipelineConfig(**{REPRO!r}), {str(tmp_path / 'cold')!r}, progress=False)\n"
            f"print(json.dumps({{k: v.to_json() for k, v in res.items() if k != 'report'}}, sort_keys=True))\n")
    env = dict(os.environ, PYTHONPATH=str(root), NEAT_CACHE_DIR=str(tmp_path / "cold-cache"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(root),
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cold = json.loads(proc.stdout.splitlines()[-1])
    assert cold == _numbers(warm)


def test_cli_help_and_bad_options(capsys):
    from neat.train import main
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    assert "--neat-iterations" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--coverage", "1.5", "--out", "/nonexistent/never"])


def test_cli_presets_and_overrides():
    from neat.config import FULL, QUICK
    from neat.train import build_parser, config_from_args, parse_command_line
    p = build_parser()
    quick = config_from_args(p.parse_args([]))
    assert quick.train_subset == QUICK["train_subset"] and quick.model == "vgg11"
    full = config_from_args(p.parse_args(["--full", "--train-subset", "all", "--model-width", "0.5",
                                          "--neat-v-gate", "0.9", "--no-cell-finetune", "--width", "2u",
                                          "--transistor-side", "column", "--card", "validation/cards/ptm45_hp.pm",
                                          "--weight-scale-mode", "global", "--coverage", "1,0.98",
                                          "--neat-schedules", "1e-4:3,1e-3:2", "--energy-toggling", "per_read"]))
    assert full.train_subset is None and full.model_width == 0.5 and full.neat_v_gate == 0.9
    assert full.epochs == FULL["epochs"] and full.cell_finetune is False
    assert full.transistor_width == pytest.approx(2e-6) and full.transistor_side == "column"
    assert full.weight_scale_modes == ("global",) and full.coverages == (1.0, 0.98)
    assert full.neat_schedules == ((1e-4, 3), (1e-3, 2)) and full.energy_constants["toggling"] == "per_read"
    _, cfg = parse_command_line(["--stop-after", "neat.layer"])
    with pytest.raises(SystemExit):
        parse_command_line(["--stop-after", "neat"])  # not a stage of this run: neat.layer / neat.global


def test_missing_dataset_fails_before_writing(tmp_path):
    cfg = PipelineConfig(**{**TINY, "dataset": "fashion_mnist", "data_dir": str(tmp_path / "none")})
    with pytest.raises(DatasetMissingError, match="apt-get install dataset-fashion-mnist"):
        run_pipeline(cfg, tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "state.json").exists()
    with pytest.raises(ValueError, match="coverage"):
        PipelineConfig(coverages=(0.0,))
