"""Bad inputs to neat get clear typed errors, never a traceback or a silent wrong answer (issue 17, 5 and 6).

docs/bad_inputs.md ("neat" section) lists every input tried here and what it gets.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import neat
from neat.checkpoint import CheckpointError, RunStore, atomic_torch_save
from neat.checks import NonFiniteError
from neat.config import PipelineConfig
from neat.expansion import NUMBA_MIN_NUMEL, ExpansionSpec, SplineTable, get_expansion, spline_eval
from neat.pipeline import run_pipeline
from neat.train import _FIELDS, main, parse_command_line

SMALL = ExpansionSpec(n_v=17, n_g=9, tol=1e-2, max_rank=4)


def _cfg(fidelity="cell"):
    return neat.CrossbarConfig(fidelity=fidelity, expansion=SMALL, v_gate=0.9)


# ------------------------------------------------------------------ NaN / inf in the layers
@pytest.mark.parametrize("fidelity", ["cell", "ideal"])
@pytest.mark.parametrize("size", ["small", "large"])  # torch spline path / fused numba path
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_inputs_and_weights_get_a_typed_error(fidelity, size, bad):
    torch.manual_seed(0)
    n = 2 if size == "small" else 64
    conv = neat.convert(torch.nn.Conv2d(8, 4, 3, padding=1), _cfg(fidelity))
    x = torch.rand(n, 8, 12, 12)
    assert (x.numel() >= NUMBA_MIN_NUMEL) == (size == "large")
    x[0, 1, 2, 3] = bad
    with pytest.raises(NonFiniteError, match=r"input of CrossbarConv2d.*1 (NaN|infinite)"):
        conv(x)
    lin = neat.convert(torch.nn.Linear(16, 3), _cfg(fidelity))
    with pytest.raises(NonFiniteError, match="input of CrossbarLinear"):
        lin(torch.full((n, 16), bad))
    with torch.no_grad():
        lin.weight[1, 2] = bad
    with pytest.raises(NonFiniteError, match="weight of CrossbarLinear"):
        lin(torch.rand(n, 16))


@pytest.mark.parametrize("numel", [64, 2 * NUMBA_MIN_NUMEL])
def test_spline_eval_refuses_non_finite_values(numel):
    x = np.linspace(0.0, 0.5, 9)
    table = SplineTable.fit(x, np.stack([x, x ** 2], 1))
    v = torch.rand(numel // 8, 8) * 0.5
    v[1, 3] = float("nan")
    with pytest.raises(NonFiniteError, match="1 non-finite"):
        spline_eval(v, table)
    # a finite input times a finite scale can overflow to inf
    with pytest.raises(NonFiniteError):
        spline_eval(torch.full((numel // 8, 8), 1e300, dtype=torch.float64), table, scale=1e300)


# ------------------------------------------------------------------------- empty batches
def test_empty_batch_behaves_like_the_torch_layer():
    torch.manual_seed(1)
    lin, conv = torch.nn.Linear(5, 3), torch.nn.Conv2d(2, 4, 3, padding=1)
    for layer, x in ((lin, torch.zeros(0, 5)), (lin, torch.zeros(3, 0, 5)), (conv, torch.zeros(0, 2, 6, 6))):
        ref = layer(x)
        for fidelity in ("ideal", "cell", "circuit"):
            xl = neat.convert(torch.nn.Sequential(layer), _cfg(fidelity))[0]
            y = xl(x.clone().requires_grad_(True))
            assert y.shape == ref.shape and y.dtype == ref.dtype
            y.sum().backward()  # a graph to the parameters, zero gradients
            assert float(layer.weight.grad.abs().sum()) == 0.0
            layer.zero_grad()


# ------------------------------------------------------------------------------ the CLI
def _parse(argv):
    """(exit code or None, stderr) of parse_command_line."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            parse_command_line(argv)
        except SystemExit as e:
            return e.code, err.getvalue()
    return None, err.getvalue()


@pytest.mark.parametrize("argv, fragment", [
    (["--seed", "-1"], "--seed: must be an integer >= 0, got -1"),
    (["--seed", "1.5"], "--seed: expected an integer"),
    (["--train-subset", "0"], "--train-subset: must be a number of images >= 1 or 'all', got 0"),
    (["--test-subset", "-3"], "--test-subset"),
    (["--threads", "-1"], "--threads: must be an integer >= 1, got -1"),
    (["--threads", "0"], "--threads"),
    (["--train-threads", "0"], "--train-threads"),
    (["--device", "foo"], "--device: expected 'cpu', 'cuda' or 'cuda:N', got 'foo'"),
    (["--device", "mps"], "--device"),
    (["--neat-v-gate", "-0.5"], "--neat-v-gate: must be a gate voltage in (0, 5] V or 'auto'"),
    (["--neat-v-gate", "nan"], "--neat-v-gate: expected a finite number"),
    (["--lr", "0"], "--lr: must be > 0"),
    (["--lr", "inf"], "--lr: expected a finite number"),
    (["--coverage", "1.5"], "--coverage: must be a fraction in (0, 1]"),
    (["--tolerance", "1"], "--tolerance: must be a fraction in (0, 1)"),
    (["--model-width", "-1"], "--model-width: must be > 0"),
    (["--model-width", "100"], "model_width must be <= 16"),
    (["--width=-1u"], "--width: must be a positive length"),
    (["--width", "0"], "--width: must be a positive length"),
    (["--width", "abc"], "--width: expected a length in metres"),
    (["--width", "1"], "transistor_width must be <= 0.001"),
    (["--card", "/nonexistent.pm"], "--card: no such file"),
    (["--transistor-side", "gate"], "--transistor-side: invalid choice"),
    (["--coverage", "1,0"], "--coverage: must be a fraction in (0, 1]"),
    (["--coverage", "1,1"], "coverages must name each coverage once"),
    (["--neat-schedules", "1e-4"], "--neat-schedules: expected LR:ITERATIONS"),
    (["--weight-scale-mode", "all"], "--weight-scale-mode: expected one of"),
    (["--stop-after", "neat"], "--stop-after: 'neat' is not a stage of this run"),
    (["--energy-toggling", "never"], "--energy-toggling: invalid choice"),
    (["--epochs", "x"], "--epochs: expected an integer"),
    (["--model", "alexnet"], "--model: invalid choice"),
    (["--redo", "neat"], "--redo recomputes a stage of an existing run: give --resume too"),
    (["--resume", "--overwrite"], "--resume and --overwrite exclude each other"),
])
def test_cli_rejects_bad_values_with_an_argparse_error(argv, fragment):
    code, err = _parse(argv)
    assert code == 2 and fragment in err, err


def test_cli_keeps_minus_one_and_all_apart():
    args, cfg = parse_command_line(["--seed", "0", "--train-subset", "all", "--neat-v-gate", "auto"])
    assert cfg.seed == 0 and cfg.train_subset is None and cfg.neat_v_gate is None
    args, cfg = parse_command_line(["--seed", "7", "--neat-iter-samples", "5", "--epochs", "0"])
    assert (cfg.seed, cfg.neat_iter_samples, cfg.epochs) == (7, 5, 0)


def test_cli_target_without_linear_range_fails_before_writing(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["--dataset", "synthetic", "--model", "small_cnn", "--neat-v-gate", "0.1", "--out", str(out),
                 "--no-progress"])
    assert code == 2 and "--neat-v-gate 0.1 V has no linear range" in capsys.readouterr().err
    assert not out.exists()


_OPTIONS = ["--dataset", "--train-subset", "--test-subset", "--model", "--model-width", "--width", "--epochs",
            "--batch-size", "--lr", "--seed", "--train-threads", "--neat-iterations", "--neat-lr",
            "--neat-epochs-per-iter", "--neat-iter-samples", "--neat-v-gate", "--neat-min-span", "--cellft-epochs",
            "--cellft-samples", "--cellft-lr", "--coverage", "--weight-scale-mode", "--metric", "--tolerance",
            "--energy-samples", "--device", "--threads", "--stop-after", "--redo", "--out", "--data-dir",
            "--transistor-side", "--v-max", "--neat-schedules", "--recal-samples", "--sweep-v-gates",
            "--energy-toggling", "--circuit-samples", "--card"]
_FLAGS = ["--quick", "--full", "--augment", "--no-augment", "--cell-finetune", "--no-cell-finetune", "--resume",
          "--overwrite", "--no-progress", "--controls", "--no-controls", "--neat-final-clip", "--no-neat-final-clip",
          "--energy-sensitivity", "--no-energy-sensitivity"]
_VALUES = st.one_of(st.integers(-3, 3).map(str), st.sampled_from(
    ["all", "auto", "none", "nan", "inf", "-inf", "1e-5", "0.5", "1.0", "1e400", "0x10", "", " ", "cpu", "cuda",
     "cuda:0", "cuda:-1", "foo", "vgg11", "layer", "both", "ideal", "neat", "neat.layer", "baseline", "-1", "1.5",
     "5.0001", "1e-320", "3.5u", "1,0.99", "1e-4:3", "1e-4:0", "per_read", "column", "/dev/null"]),
    st.text(max_size=6))


@given(st.lists(st.one_of(st.tuples(st.sampled_from(_OPTIONS), _VALUES), st.sampled_from(_FLAGS)), max_size=6))
def test_cli_fuzz_parses_or_exits_cleanly(items):
    """Any command line either gives a valid PipelineConfig holding exactly the values given, or an
    argparse error (exit status 2) -- never another exception."""
    argv = []
    for item in items:
        argv += list(item) if isinstance(item, tuple) else [item]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            args, cfg = parse_command_line(argv)
        except SystemExit as e:
            assert e.code == 2 and "error:" in err.getvalue()
            return
    assert isinstance(cfg, PipelineConfig)
    given_ = vars(args)
    for name in _FIELDS:
        if name in given_:
            assert getattr(cfg, name) == given_[name], name


# --------------------------------------------------------------------------- checkpoints
def test_checkpoints_hold_plain_data_and_load_without_pickle(tmp_path):
    store = RunStore(tmp_path, {"a": 1})
    with pytest.raises(TypeError, match="tensors and plain data only, got ndarray"):
        store.finish("x", {}, {"w": np.ones(2)})

    class Evil:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    store.ckpt.mkdir(exist_ok=True)
    torch.save({"model": Evil()}, store.stage_path("x"))  # written by someone else
    store.state["stages"]["x"] = {"status": "done", "result": {}}
    with pytest.raises(CheckpointError, match=r"x\.pt .*not a plain-data checkpoint.*--redo x"):
        store.load("x")
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_checkpoints_name_the_file_and_the_fix(tmp_path, damage):
    store = RunStore(tmp_path, {"a": 1})
    store.finish("s", {"v": 1}, {"t": torch.ones(3), "n": 2})
    store.save_partial("p", {"t": torch.ones(1000)})
    for path in (store.stage_path("s"), store.partial_path("p")):
        data = path.read_bytes()
        path.write_bytes({"truncate": data[:len(data) // 2], "garbage": os.urandom(200), "empty": b""}[damage])
    with pytest.raises(CheckpointError, match=rf"{store.stage_path('s')} \(the checkpoint of finished stage 's'\) "
                                              r"is unreadable.*--resume --redo s"):
        store.load("s")
    with pytest.raises(CheckpointError, match="mid-stage checkpoint of stage 'p'.*--redo p"):
        store.load_partial("p")


@pytest.mark.parametrize("text, fragment", [
    ('{"config": {"a": 1}, "config_hash"', "unreadable (JSONDecodeError"),
    ("\xff\xfe", "unreadable"),
    ("[]", "lacks the 'config'"),
    ('{"config": {"a": 1}, "config_hash": "0", "stages": {}}', "does not match its own hash"),
])
def test_damaged_state_json_is_reported_not_restarted(tmp_path, text, fragment):
    RunStore(tmp_path, {"a": 1})
    (tmp_path / "state.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(CheckpointError, match="state.json is .*--overwrite") as e:
        RunStore(tmp_path, {"a": 1}, resume=True)
    assert fragment in str(e.value)


def test_resume_without_a_run_is_an_error(tmp_path):
    with pytest.raises(CheckpointError, match="no run"):
        RunStore(tmp_path / "empty", {"a": 1}, resume=True)
    (tmp_path / "lost" / "ckpt").mkdir(parents=True)
    atomic_torch_save({"t": torch.ones(1)}, tmp_path / "lost" / "ckpt" / "baseline.pt")
    with pytest.raises(CheckpointError, match="checkpoints but no state.json"):
        RunStore(tmp_path / "lost", {"a": 1}, resume=True)


TINY = dict(dataset="synthetic", model="small_cnn", model_width=0.25, train_subset=128, test_subset=64, epochs=1,
            batch_size=64, neat_iterations=2, neat_iter_samples=64, neat_eval_samples=16, cell_finetune=False,
            controls=False, weight_scale_modes=("global",), energy_samples=8, energy_sensitivity=False,
            sweep_v_gates=(1.0,), vg_min=0.8, vg_max=1.2)


def test_corrupt_stage_checkpoint_then_redo_gives_the_same_numbers(tmp_path):
    cfg = PipelineConfig(**TINY)
    first = run_pipeline(cfg, tmp_path / "a", progress=False, stop_after="neat.global")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    (tmp_path / "b" / "ckpt" / "neat.global.pt").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointError, match="neat.global.pt"):
        run_pipeline(cfg, tmp_path / "b", progress=False, resume=True, stop_after="evaluate.global")
    redone = run_pipeline(cfg, tmp_path / "b", progress=False, resume=True, redo="neat.global",
                          stop_after="neat.global")
    assert {k: v.to_json() for k, v in redone.items()} == {k: v.to_json() for k, v in first.items()}


# ---------------------------------------------------------------------------- neat cache
def test_damaged_expansion_cache_entry_is_rebuilt(tmp_path):
    cfg = neat.CellConfig()
    fresh = get_expansion(cfg, 0.95, SMALL, cache_dir=tmp_path)
    neat.expansion._MEMORY.clear()
    (path,) = tmp_path.glob("expansion-*.npz")
    for damage in (path.read_bytes()[:100], b"", os.urandom(300)):
        path.write_bytes(damage)
        neat.expansion._MEMORY.clear()
        with pytest.warns(RuntimeWarning, match=f"{path.name} is unreadable"):
            again = get_expansion(cfg, 0.95, SMALL, cache_dir=tmp_path)
        np.testing.assert_array_equal(again.a.coef, fresh.a.coef)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            neat.expansion._MEMORY.clear()
            get_expansion(cfg, 0.95, SMALL, cache_dir=tmp_path)  # the rebuilt entry reads cleanly


def test_damaged_cutoff_cache_entry_is_recomputed(tmp_path):
    cfg = neat.CellConfig()
    fresh = neat.cutoff_table(cfg, [0.9, 1.0], n_g=9, n_refine=5, cache_dir=tmp_path)
    (path,) = tmp_path.glob("cutoff-*.json")
    good = json.loads(path.read_text())
    bad_status = dict(good, status=["none", "none"])  # statuses that contradict the cut-offs
    for damage in ("{", "[]", json.dumps(bad_status), json.dumps(dict(good, g_cut=[1.0, 2.0]))):
        path.write_text(damage)
        with pytest.warns(RuntimeWarning, match=f"{path.name} is unreadable or inconsistent"):
            again = neat.cutoff_table(cfg, [0.9, 1.0], n_g=9, n_refine=5, cache_dir=tmp_path)
        np.testing.assert_array_equal(again.g_cut, fresh.g_cut)
