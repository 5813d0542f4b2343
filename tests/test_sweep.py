"""xbarsolve.sweep: specs, determinism, error rows, Dask runs, kill and resume.

The spec and task tests need neither Dask nor pyarrow; the cluster tests skip
cleanly without the ``distributed`` extra (CI installs it, so they run there).
"""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from xbarsolve import ConvergenceError, Crossbar
from xbarsolve.sweep import SpecError, SweepSpec, load_spec, run_task, solve_configuration
from xbarsolve.sweep.spec import configuration_seed

ROOT = Path(__file__).resolve().parent.parent

SPEC = {
    "sweep": {"seed": 7, "task_size": 3, "record": ["column_current_error", "total_power", "iterations_max"]},
    "fixed": {"batch": 3, "cols": 4},
    "grid": {"rows": [3, 5], "r_wire": [0.0, 2.5, -1.0]},
    "random": {"count": 2, "v_gate": {"uniform": [0.8, 1.2]}},
}


def _rows_equal(a: list, b: list) -> None:
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert ra.keys() == rb.keys()
        for k in ra:
            va, vb = ra[k], rb[k]
            if isinstance(va, float) and math.isnan(va):
                assert isinstance(vb, float) and math.isnan(vb), k
            else:
                assert va == vb, (k, va, vb)


def _serial_rows(spec: SweepSpec) -> list:
    rows = [r for task in spec.tasks() for r in run_task(spec.record, task)]
    return sorted(rows, key=lambda r: r["index"])


# ------------------------------------------------------------------------------ the spec
def test_configurations_are_the_product_in_order_with_seeds_from_the_spec():
    spec = SweepSpec.from_dict(SPEC)
    configs = spec.configurations()
    assert len(configs) == len(spec) == 2 * 3 * 2
    assert [c.index for c in configs] == list(range(12))
    assert [(c.params["rows"], c.params["r_wire"]) for c in configs[:4]] == [(3, 0.0), (3, 0.0), (3, 2.5), (3, 2.5)]
    gates = spec.random_points()
    assert [c.params["v_gate"] for c in configs[:2]] == [p["v_gate"] for p in gates]
    assert all(0.8 <= p["v_gate"] <= 1.2 for p in gates)
    assert [c.seed for c in configs] == [configuration_seed(7, i) for i in range(12)]
    assert len({c.seed for c in configs}) == 12
    again = SweepSpec.from_dict(SPEC)
    assert again.hash == spec.hash and [c.params for c in again.configurations()] == [c.params for c in configs]
    other = SweepSpec.from_dict({**SPEC, "sweep": {**SPEC["sweep"], "seed": 8}})
    assert other.hash != spec.hash and other.random_points() != gates


def test_tasks_cover_every_configuration_once_grouped_by_compiled_structure():
    spec = SweepSpec.from_dict(SPEC)
    tasks = spec.tasks()
    assert [len(t) for t in tasks] == [3, 3, 3, 3]
    indices = sorted(c.index for t in tasks for c in t)
    assert indices == list(range(12))
    # 2 rows values x (0 Ω wires, non-zero wires): each structure is one contiguous run of configurations
    keys = [(c.params["rows"], c.params["r_wire"] == 0) for t in tasks for c in t]
    runs = [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]
    assert len(runs) == len(set(keys)) == 4


def test_passive_cells_have_no_transistor_parameters():
    spec = SweepSpec.from_dict({"grid": {"cell": ["1t1r", "1r"]}})
    c1, c2 = spec.configurations()
    assert c1.params["v_gate"] == 1.0 and c1.params["card"] == "bsimlike"
    assert c2.params["v_gate"] is None and c2.params["card"] is None


@pytest.mark.parametrize("spec, message", [
    ({"grid": {"rowz": [1]}}, "unknown parameter 'rowz'"),
    ({"fixed": {"rows": 4}, "grid": {"rows": [4, 8]}}, "both [fixed] and [grid]"),
    ({"grid": {"rows": 4}}, "non-empty list"),
    ({"grid": {"rows": [4.5]}}, "rows must be an integer"),
    ({"fixed": {"cell": 1}}, "cell must be a string"),
    ({"random": {"v_gate": {"uniform": [1, 0]}, "count": 2}}, "low <= high"),
    ({"random": {"v_gate": {"uniform": [0, 1]}}}, "count must be an integer >= 1"),
    ({"random": {"v_gate": {"beta": [1, 1]}, "count": 1}}, "unknown distribution 'beta'"),
    ({"random": {"rows": {"uniform": [1, 4]}, "count": 1}}, "integer parameter"),
    ({"sweep": {"record": ["power"]}}, "neither a built-in recorder"),
    ({"sweep": {"task_size": 0}}, "task_size must be >= 1"),
    ({"sweep": {"workers": 2}}, "unknown entry 'workers'"),
    ({"sweeps": {}}, "unknown table"),
])
def test_malformed_specs_are_refused_before_any_work(spec, message):
    with pytest.raises(SpecError, match=message.replace("[", r"\[").replace("]", r"\]")):
        SweepSpec.from_dict(spec)


def test_load_spec_reads_toml(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[sweep]\nseed = 7\ntask_size = 3\nrecord = ["column_current_error", "total_power", '
                    '"iterations_max"]\n[fixed]\nbatch = 3\ncols = 4\n[grid]\nrows = [3, 5]\nr_wire = [0.0, 2.5, -1.0]\n'
                    '[random]\ncount = 2\nv_gate = {uniform = [0.8, 1.2]}\n')
    assert load_spec(path).hash == SweepSpec.from_dict(SPEC).hash
    path.write_text("[grid\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(path)


# ------------------------------------------------------------------------------ the work
def test_a_row_is_the_solve_of_its_configuration_whatever_task_holds_it():
    spec = SweepSpec.from_dict(SPEC)
    c = spec.configurations()[3]  # rows 3, r_wire 2.5
    row = run_task(spec.record, [c])[0]
    rng = np.random.default_rng(c.seed)
    p = c.params
    g = rng.uniform(p["g_low"], p["g_high"], size=(3, 4))
    v = rng.uniform(p["v_low"], p["v_high"], size=(3, 3))
    sol = Crossbar(g, v_gate=p["v_gate"], r_wire=2.5).solve(v)  # compiled with its own values
    ideal = v @ g
    assert row["error"] is None
    assert row["column_current_error"] == pytest.approx(np.linalg.norm(sol.column_currents - ideal)
                                                        / np.linalg.norm(ideal), rel=1e-12)
    assert row["total_power"] == pytest.approx(sol.total_power.mean(), rel=1e-12)
    assert row["iterations_max"] == sol.iterations.max()
    # in a task after other structures and values, the row is the same to the bit
    others = [x for x in spec.configurations() if x.index != 3]
    again = [r for r in run_task(spec.record, others[::-1] + [c]) if r["index"] == 3][0]
    _rows_equal([row], [again])


def test_bad_configurations_and_convergence_failures_become_rows(monkeypatch):
    spec = SweepSpec.from_dict(SPEC)
    bad = [c for c in spec.configurations() if c.params["r_wire"] < 0][0]
    row = run_task(spec.record, [bad])[0]
    assert row["error"].startswith("ValueError: r_wire_row must be >= 0")
    assert all(math.isnan(row[k]) for k in spec.record)

    def fail(self, v_in, **kw):
        raise ConvergenceError([0], [1e-3], [50], "source stepping")
    monkeypatch.setattr(Crossbar, "solve", fail)
    row = solve_configuration(spec.configurations()[0], spec.record)
    assert row["error"].startswith("ConvergenceError: DC solve did not converge")
    assert math.isnan(row["total_power"])


# ------------------------------------------------------------------------------ on Dask


@pytest.fixture
def extra():
    pytest.importorskip("distributed")
    pytest.importorskip("pyarrow")


def test_two_worker_cluster_gives_the_serial_table_and_a_restart_skips_everything(extra, tmp_path):
    from xbarsolve.cluster import dask_client
    from xbarsolve.sweep import read_sweep, run_sweep
    spec = SweepSpec.from_dict(SPEC)
    with dask_client(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        summary = run_sweep(spec, tmp_path / "out", client=client, progress=False)
        assert summary["ran"] == summary["tasks"] == 4 and summary["skipped"] == 0
        assert summary["errors"] == 4  # the r_wire = -1 Ω configurations
        again = run_sweep(spec, tmp_path / "out", client=client, progress=False)
        assert again["ran"] == 0 and again["skipped"] == 4
    table = read_sweep(tmp_path / "out")
    assert table.column_names[:5] == ["index", "repeat", "seed", "rows", "cols"]
    _rows_equal(table.to_pylist(), _serial_rows(spec))
    from xbarsolve.sweep import SweepMismatchError
    other = SweepSpec.from_dict({**SPEC, "sweep": {**SPEC["sweep"], "seed": 8}})
    with pytest.raises(SweepMismatchError, match=r"differs in \['seed'\]"):
        run_sweep(other, tmp_path / "out", progress=False)


def test_a_killed_sweep_resumes_where_it_stopped(extra, tmp_path):
    from xbarsolve.sweep import read_sweep
    spec_dict = {"sweep": {"seed": 2, "task_size": 1, "record": ["column_current_error", "iterations_mean"]},
                 "fixed": {"batch": 2, "rows": 4, "cols": 4}, "grid": {"r_sink": [float(r) for r in range(40)]}}
    path = tmp_path / "kill.toml"
    path.write_text("[sweep]\nseed = 2\ntask_size = 1\nrecord = [\"column_current_error\", \"iterations_mean\"]\n"
                    "[fixed]\nbatch = 2\nrows = 4\ncols = 4\n[grid]\nr_sink = [%s]\n"
                    % ", ".join(f"{r}.0" for r in range(40)))
    out = tmp_path / "kill.sweep"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "xbarsolve.sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(out.glob("part-*.parquet"))) >= 2:
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver, its LocalCluster and workers: a hard kill
        proc.wait()
    written = len(list(out.glob("part-*.parquet")))
    assert 2 <= written < 40, f"the sweep was not caught mid-way ({written} of 40 parts)"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    import json
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["skipped"] >= written and summary["skipped"] + summary["ran"] == 40
    _rows_equal(read_sweep(out).to_pylist(), _serial_rows(SweepSpec.from_dict(spec_dict)))


def test_the_example_spec_loads_and_its_card_is_found():
    spec = load_spec(ROOT / "examples" / "sweep_wires.toml")
    assert len(spec) == 3 * 3 * 4 * 2
    card = Path(spec.base_dir) / spec.fixed["card"]
    assert card.is_file()


def test_sweep_command_reports_a_malformed_spec(tmp_path, capsys):
    from xbarsolve.sweep.__main__ import main
    path = tmp_path / "bad.toml"
    path.write_text("[grid]\nrowz = [4]\n")
    assert main([str(path)]) == 2
    assert "unknown parameter 'rowz'" in capsys.readouterr().err
