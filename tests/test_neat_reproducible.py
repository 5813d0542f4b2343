"""A neat run's numbers depend on its configuration and seed only (issue 17, item 1).

Not on the thread count, not on whether the neat cache was warm, not on resuming
(the resume test is in test_neat_pipeline.py, with the end-to-end run that the
cold-cache, one-thread subprocess run here is compared against).  The mechanism
is in :mod:`neat.threads`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import neat
from neat.expansion import NUMBA_MIN_NUMEL, SplineTable, spline_eval
from neat.models import build_model
from neat.network import crossbar_model

ROOT = Path(__file__).resolve().parents[1]


def _run_python(code: str, env_extra: dict, timeout: float = 600) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_extra)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _spline_table(k=3, n=17):
    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 0.5, n)
    y = rng.normal(size=(n, k))
    y[0] = 0.0
    return SplineTable.fit(x, y)


def _with_threads(n, fn):
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        return fn()
    finally:
        torch.set_num_threads(old)


def test_spline_kernels_do_not_depend_on_the_thread_count():
    table = _spline_table()
    x = torch.randn(64, 8, 16, 16, dtype=torch.float32) * 0.3
    scale = torch.rand(64, dtype=torch.float64) + 0.5
    weights = torch.linspace(-1, 1, 64 * 8 * 3 * 16 * 16).reshape(64, 8, 3, 16, 16)
    assert x.numel() >= NUMBA_MIN_NUMEL  # the fused numba path

    def run():
        xi = x.clone().requires_grad_(True)
        y = spline_eval(xi, table, odd=True, scale=scale, limit=0.5)
        (y * weights).sum().backward()
        return y.detach(), xi.grad

    y1, g1 = _with_threads(1, run)
    y2, g2 = _with_threads(2, run)
    assert torch.equal(y1, y2) and torch.equal(g1, g2)


@pytest.mark.parametrize("name, channels, size", [("vgg11", 1, 28), ("resnet18", 3, 32)])
def test_crossbar_forward_passes_do_not_depend_on_the_thread_count(name, channels, size):
    """Evaluation runs with --threads; its numbers must not depend on it (training runs with train_threads)."""
    torch.manual_seed(0)
    model = build_model(name, channels, 10, width=0.125, image_size=size).eval()
    net = crossbar_model(model, neat.CellConfig(), {n: 0.5 for n, _ in neat.network.mapped_layers(model)},
                         v_gate=0.9, fidelity="cell")
    x = torch.randn(40, channels, size, size)
    with torch.no_grad():
        a = _with_threads(1, lambda: net(x))
        b = _with_threads(2, lambda: net(x))
    assert torch.equal(a, b)


_CACHE_PROCESS = """
    import json, torch
    torch.set_num_threads(1)
    big = torch.randn(4_000_000, generator=torch.Generator().manual_seed(1))
    one_thread = big.sum().item()   # also starts torch's OpenMP pool, as a run's data loading does
    import neat
    cfg = neat.CellConfig()
    t = neat.cutoff_table(cfg, [0.85, 0.95, 1.05], n_g=17, n_refine=9)
    small = neat.ExpansionSpec(n_v=17, n_g=9, tol=1e-2, max_rank=4)
    e = neat.get_expansion(cfg, 0.85, small)
    net = neat.convert(torch.nn.Sequential(torch.nn.Conv2d(8, 8, 3, padding=1)),
                       neat.CrossbarConfig(expansion=small, v_gate=0.85))
    net(torch.rand(16, 8, 32, 32, requires_grad=True)).sum().backward()  # the numba spline path
    threads = [torch.get_num_threads(), big.sum().item() == one_thread]
    torch.set_num_threads(2)
    threads.append(big.sum().item() != one_thread)
    print(json.dumps({"threads": threads, "g_cut": t.g_cut.tobytes().hex(), "metric": t.metric.tobytes().hex(),
                      "a": e.a.coef.tobytes().hex(), "b": e.b.coef.tobytes().hex(), "rank": e.rank}))
"""


@pytest.fixture(scope="module")
def cache_processes(tmp_path_factory):
    """Two fresh processes fill two cold caches: every thread count 1, and numba/OpenMP/BLAS at 2."""
    out = {}
    for n in ("1", "2"):
        cache = tmp_path_factory.mktemp(f"cache{n}")
        env = {k: n for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
        env["NEAT_CACHE_DIR"] = str(cache)
        out[n] = (json.loads(_run_python(_CACHE_PROCESS, env).splitlines()[-1]), cache)
    return out


def test_torch_thread_count_survives_numba_and_cell_solves(cache_processes):
    """numba's OpenMP layer resets the OpenMP thread count when it starts (on the first cell solve,
    through xbarsolve's numba.get_num_threads()); a torch.set_num_threads(1) made before must hold.

    Checked by what torch does, not only by what it reports: a long float32 sum is split by thread,
    so its last bits tell whether one or two threads computed it.
    """
    reported, same_sum, two_differ = cache_processes["2"][0]["threads"]
    assert (reported, same_sum) == (1, True)
    if not two_differ:
        pytest.skip("this machine's 1- and 2-thread sums agree; the check cannot tell them apart")


def test_cache_contents_are_identical_however_computed(cache_processes):
    """The cut-off table and the expansion cached by a 1-thread and a 2-thread process are the same bits."""
    (a, cache1), (b, cache2) = cache_processes["1"], cache_processes["2"]
    assert {k: v for k, v in a.items() if k != "threads"} == {k: v for k, v in b.items() if k != "threads"}
    files = [sorted(p.name for p in c.iterdir()) for c in (cache1, cache2)]
    assert files[0] == files[1] and len(files[0]) == 2  # the table and one expansion
    for name in files[0]:
        if name.endswith(".json"):
            assert (cache1 / name).read_text() == (cache2 / name).read_text()
        else:
            with np.load(cache1 / name) as z1, np.load(cache2 / name) as z2:
                assert sorted(z1.files) == sorted(z2.files)
                for k in z1.files:
                    assert z1[k].tobytes() == z2[k].tobytes(), (name, k)
