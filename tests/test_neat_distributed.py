"""neat scale-out: circuit fidelity on a Dask cluster (same numbers) and data-parallel training (torchrun).

The Dask tests skip without the ``distributed`` extra (CI installs it).  The torchrun
tests start real process groups (gloo, on CPU) through the ``torchrun`` command.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from neat.cell import CellConfig
from neat.circuit import CircuitConfig
from neat.evaluate import evaluate_circuit
from neat.mapping import MappingConfig
from neat.network import crossbar_model, weight_scales

ROOT = Path(__file__).resolve().parent.parent


def _tiny_net(fidelity):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 7), nn.ReLU(), nn.Linear(7, 3))
    return crossbar_model(model, CellConfig(), weight_scales(model, "layer"), v_gate=1.1, fidelity=fidelity,
                          mapping=MappingConfig(tile_rows=4, tile_cols=4, adc_bits=8),
                          circuit=CircuitConfig(r_wire=2.0, r_source=50.0, r_sink=50.0))


@pytest.fixture
def client():
    pytest.importorskip("distributed")
    from xbarsolve.cluster import dask_client
    with dask_client(workers=2) as c:
        yield c


def test_circuit_fidelity_on_a_cluster_gives_the_single_process_numbers(client):
    """Each layer's input vectors are cut into batches of 2 over 2 workers; the logits are those of the
    single-process circuit path to the bit (tolerance 1e-12 relative, as the issue asks; measured: 0)."""
    from neat.dask_circuit import DaskCircuitFidelity
    x = torch.rand(5, 10) * 2 - 0.5
    with torch.no_grad():
        single = _tiny_net("circuit")(x)
        spread = _tiny_net(DaskCircuitFidelity(client=client, rows_per_task=2))(x)
    assert torch.allclose(spread, single, rtol=1e-12, atol=0.0)
    assert torch.equal(spread, single)
    assert not torch.equal(single, _tiny_net("ideal")(x).detach())  # the parasitics do act
    net = _tiny_net(DaskCircuitFidelity(client=client))
    with pytest.raises(RuntimeError, match="evaluates only"):
        net(x)  # with gradients


def test_circuit_evaluation_resumes_from_its_partial_file(tmp_path):
    net = _tiny_net("ideal")
    x, y = torch.rand(7, 10), torch.tensor([0, 1, 2, 0, 1, 2, 0])
    identity = {"what": "test"}
    whole = evaluate_circuit(net, x, y, images_per_step=2, progress=False)
    calls = []
    net.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    partial = tmp_path / "p.json"
    evaluate_circuit(net, x[:4], y[:4], images_per_step=2, partial=partial, identity=identity, progress=False)
    assert calls == [2, 2]
    calls.clear()
    resumed = evaluate_circuit(net, x, y, images_per_step=2, partial=partial, identity=identity, progress=False)
    assert calls == [2, 1]  # only the images not on disk
    assert resumed == whole
    calls.clear()
    evaluate_circuit(net, x, y, images_per_step=2, partial=partial, identity={"other": 1}, progress=False)
    assert calls == [2, 2, 2, 1]  # another evaluation's partial file is not used


# ------------------------------------------------------------------------------------- torchrun
ARGS = ["--dataset", "synthetic", "--model", "small_cnn", "--model-width", "0.25", "--train-subset", "200",
        "--test-subset", "64", "--epochs", "2", "--batch-size", "32", "--seed", "3", "--neat-iterations", "1",
        "--neat-iter-samples", "64", "--no-controls", "--no-cell-finetune", "--weight-scale-mode", "global",
        "--coverage", "1.0", "--sweep-v-gates", "1.0", "--no-progress", "--threads", "1"]


def _torchrun(n: int, *args) -> subprocess.CompletedProcess:
    exe = shutil.which("torchrun")
    if exe is None:
        pytest.skip("torchrun is not on PATH")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([exe, "--standalone", f"--nproc_per_node={n}", "-m", "neat.train", *ARGS, *args],
                          env=env, capture_output=True, text=True, timeout=900, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def test_torchrun_with_one_process_gives_the_plain_numbers(tmp_path):
    """One rank trains through DistributedDataParallel (gloo) with the DistributedSampler shard (all of it):
    every recorded number and every weight equals the plain in-process run with the same seed."""
    from neat.pipeline import run_pipeline
    from neat.threads import torch_threads
    from neat.train import parse_command_line
    _, cfg = parse_command_line(ARGS)
    with torch_threads(1):
        run_pipeline(cfg, tmp_path / "plain", progress=False, stop_after="baseline")
    _torchrun(1, "--out", str(tmp_path / "ddp"), "--stop-after", "baseline")
    plain, ddp = (json.loads((tmp_path / d / "state.json").read_text()) for d in ("plain", "ddp"))
    assert {k: v["result"] for k, v in ddp["stages"].items()} == {k: v["result"] for k, v in plain["stages"].items()}
    a, b = (torch.load(tmp_path / d / "ckpt" / "baseline.pt", weights_only=True)["model"] for d in ("plain", "ddp"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_torchrun_two_processes_train_and_resume(tmp_path):
    """Two gloo ranks: rank 0 writes the run, which stops after the baseline and resumes on two ranks through
    NEAT; every global batch is split between the ranks (7 steps per epoch, as in one process)."""
    out = tmp_path / "two"
    first = _torchrun(2, "--out", str(out), "--stop-after", "baseline")
    assert "stopped after baseline" in first.stdout and first.stdout.count("wall time") == 1  # rank 0 prints
    _torchrun(2, "--out", str(out), "--resume", "--stop-after", "neat.global")
    state = json.loads((out / "state.json").read_text())
    assert list(state["stages"]) == ["cell_table", "baseline", "neat.global"]
    history = state["stages"]["baseline"]["result"]["history"]
    assert [h["steps"] for h in history] == [7, 7]
    assert all(0.0 <= h["accuracy"] <= 1.0 for h in history)
    assert sorted(p.name for p in (out / "ckpt").iterdir()) == ["baseline.pt", "neat.global.pt"]


@pytest.mark.slow
def test_evaluate_command_on_a_cluster_equals_the_single_process_command(tmp_path):
    """``python -m neat.evaluate`` on a run's baseline: 2 workers vs --single-process, one image."""
    pytest.importorskip("distributed")
    from neat.pipeline import run_pipeline
    from neat.train import parse_command_line
    _, cfg = parse_command_line(ARGS)
    run_pipeline(cfg, tmp_path / "run", progress=False, stop_after="baseline")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    common = [sys.executable, "-m", "neat.evaluate", "--run", str(tmp_path / "run"), "--stage", "baseline",
              "--samples", "1", "--no-progress", "--v-gate", "1.0"]
    for name, extra in (("single", ["--single-process"]), ("dask", ["--workers", "2", "--rows-per-task", "32"])):
        proc = subprocess.run(common + ["--out", str(tmp_path / f"{name}.json")] + extra, env=env,
                              capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, proc.stderr[-3000:]
    single, dask = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("single", "dask"))
    assert dask["logits"] == single["logits"] and dask["accuracy"] == single["accuracy"]


def test_evaluate_command_reports_a_missing_run_by_name(tmp_path, capsys):
    from neat.evaluate import main
    assert main(["--run", str(tmp_path / "nowhere"), "--single-process"]) == 2
    assert "nowhere" in capsys.readouterr().err
