"""The NEAT study (issue 13): several models × seeds, resumable background runs, Table I with mean ± std.

    python -m neat.study plan      --root runs/study [--budget-hours 6] [--jobs 2] [--seeds 3] [cell options]
    python -m neat.study start     --root runs/study          # runs every planned run in the background
    python -m neat.study status    --root runs/study
    python -m neat.study aggregate --root runs/study --out docs/results/study

``plan`` measures, on this machine and now, what one training image, one
evaluation image (software and ``cell`` fidelity) and one energy image cost at
one torch thread for each model and a ladder of channel widths (a short
calibration, ~1–3 min), counts the images every stage of a run touches
(:func:`run_work`), and picks the widest width whose whole study fits the
budget when ``jobs`` runs go side by side (each run uses one thread, so two
jobs use the two cores of this machine without OpenMP oversubscription).  It
writes ``plan.json`` (every run's command line and time estimate) and prints
the launch command.

``start`` (or ``run`` in the foreground) executes every run of the plan that has
not finished, longest first, ``jobs`` at a time, each as ``python -m
neat.train ... --out ROOT/NAME`` (``--resume`` when its folder already holds a
run), with its output in ``ROOT/NAME/log.txt``.  A killed study continues with
the same command: finished runs are skipped and interrupted ones resume from
their last checkpoint with the same numbers.

``aggregate`` reads every finished run's ``results.json`` and writes Table I in
the paper's shape with mean ± standard deviation over seeds, the per-seed
numbers, the three claims of the paper judged against the spread, and plots
with error bars (:mod:`neat.study_summary`).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from .checkpoint import atomic_write_json
from .config import PipelineConfig
from .pipeline import stage_plan, variants
from .study_summary import aggregate, judge_claims

__all__ = ["run_work", "calibrate", "estimate_seconds", "study_runs", "plan", "run_study", "aggregate",
           "judge_claims", "main"]

MODELS = ("vgg11", "resnet18")
WIDTHS = (0.0625, 0.125, 0.1875, 0.25, 0.375, 0.5, 0.75, 1.0)
#: Extra NEAT schedules (lr, iterations of one full epoch) of the budget/lr sweep, VGG11 only.
SCHEDULES = ((1e-4, 10), (1e-3, 10))
FMNIST = {"train": 60000, "test": 10000, "shape": (1, 28, 28)}


# ------------------------------------------------------------------------- counting work
def run_work(cfg: PipelineConfig, n_train: int = 60000, n_test: int = 10000) -> dict:
    """Images each kind of computation of a run of ``cfg`` processes (what :func:`estimate_seconds` prices).

    ``train``: software training steps; ``train_cell``: training steps through the ``cell`` model;
    ``forward_train``: forward passes in training mode without gradients (BN recalibration);
    ``eval_sw`` / ``eval_cell``: evaluation forward passes; ``energy``: energy-measurement passes.
    """
    tr = n_train if cfg.train_subset is None else min(cfg.train_subset, n_train)
    te = n_test if cfg.test_subset is None else min(cfg.test_subset, n_test)
    modes = len(cfg.weight_scale_modes)
    n_var = len(variants(cfg))
    per_iter = cfg.neat_epochs_per_iter * (tr if cfg.neat_iter_samples is None else min(cfg.neat_iter_samples, tr))
    sweep = len(set(cfg.sweep_v_gates) | {cfg.reference_v_gate}) + 1  # + the target (may coincide)
    n_controls = 2 if cfg.controls else 0
    sweep_passes = (n_var - n_controls) * (sweep + 2 * len(cfg.coverages)) + n_controls * (
        (sweep if cfg.controls_full_sweep else 2) + 2 * len(cfg.coverages))
    work = {
        "train": cfg.epochs * tr + modes * cfg.neat_iterations * per_iter
        + sum(its * per_iter for _, its in cfg.neat_schedules),
        "train_cell": (modes * cfg.cellft_epochs * (tr if cfg.cellft_samples is None else min(cfg.cellft_samples, tr))
                       if cfg.cell_finetune else 0),
        "forward_train": modes * (tr if cfg.recal_samples is None else min(cfg.recal_samples, tr)) if cfg.controls else 0,
        "eval_sw": cfg.epochs * te + modes * (n_var + 1) * te + modes * 3 * te + len(cfg.neat_schedules) * te,
        "eval_cell": modes * sweep_passes * te
        + (modes * cfg.neat_iterations + sum(its for _, its in cfg.neat_schedules)) * min(cfg.neat_eval_samples, te)
        + 2 * len(cfg.neat_schedules) * te,
        "energy": modes * n_var * (2 + len(cfg.coverages)) * min(cfg.energy_samples, te)
        + (12 * min(cfg.energy_samples, te) if cfg.energy_sensitivity else 0),
    }
    return work


def estimate_seconds(work: dict, cost: dict, overhead: float = 0.1) -> float:
    """Seconds for ``work`` (images per kind) at ``cost`` (seconds per image per kind), plus ``overhead``."""
    return (1 + overhead) * sum(work[k] * cost[k] for k in work)


# ---------------------------------------------------------------------------- calibration
def _time(fn, repeats: int) -> tuple:
    """Best (wall, CPU of this thread) seconds of ``fn()`` over ``repeats`` calls after a warm-up.

    With one torch thread every operation runs on the calling thread, so its CPU time is what the
    work costs on an idle machine; the wall time is what it costs now, next to other jobs."""
    fn()  # warm-up (allocations, kernel compilation, expansions)
    wall = cpu = math.inf
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.thread_time() - c0)
    return wall, cpu


def calibrate(model: str, width: float, *, batch: int = 128, repeats: int = 2, cell=None, clock: str = "cpu") -> dict:
    """Seconds per image of each kind of work for ``model`` at ``width`` on Fashion-MNIST-shaped inputs,
    with one torch thread (as the study's runs).  The best of ``repeats`` timings of one batch of
    ``batch`` images (the runs' training batch; evaluations run in batches of 500, a little cheaper
    per image, so the estimate errs on the long side).  ``clock``: ``"cpu"`` (this thread's CPU time:
    the cost on an idle machine) or ``"wall"`` (the cost now, under the machine's current load)."""
    from .energy import measure_energy
    from .loops import recalibrate_batchnorm
    from .models import build_model
    from .network import crossbar_model, mapped_layers
    from .threads import torch_threads
    from .cell import CellConfig
    cell = CellConfig() if cell is None else cell
    with torch_threads(1):
        torch.manual_seed(0)
        c, h, w = FMNIST["shape"]
        net = build_model(model, c, 10, width=width, image_size=h)
        x = torch.randn(batch, c, h, w)
        y = torch.randint(0, 10, (batch,))
        opt = torch.optim.Adam(net.parameters(), lr=1e-5)

        def train_step(m):
            def step():
                m.train()
                loss = torch.nn.functional.cross_entropy(m(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            return step
        scales = {n: float(m.weight.detach().abs().max()) for n, m in mapped_layers(net)}
        xnet = crossbar_model(net, cell, scales, v_gate=0.9)
        opt_cell = torch.optim.Adam(xnet.parameters(), lr=1e-5)

        def train_cell():
            xnet.train()
            loss = torch.nn.functional.cross_entropy(xnet(x), y)
            opt_cell.zero_grad(set_to_none=True)
            loss.backward()
            opt_cell.step()

        def evaluate(m):
            def run():
                m.eval()
                with torch.no_grad():
                    m(x)
            return run
        k = 1 if clock == "cpu" else 0
        cost = {"train": _time(train_step(net), repeats)[k], "train_cell": _time(train_cell, repeats)[k],
                "forward_train": _time(lambda: recalibrate_batchnorm(net, [(x, y)], progress=False), repeats)[k],
                "eval_sw": _time(evaluate(net), repeats)[k], "eval_cell": _time(evaluate(xnet), repeats)[k],
                "energy": _time(lambda: measure_energy(xnet, x[:16], batch_size=16), 1)[k] * batch / 16}
    return {k: v / batch for k, v in cost.items()}


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return float("nan")


# ---------------------------------------------------------------------------------- plans
def study_runs(widths: dict, seeds: int, cell_args: list, *, schedules: bool = True) -> list:
    """``[(name, model, width, seed, argv)]`` of the study (argv for ``python -m neat.train``).

    Every run: full Fashion-MNIST, the ``--full`` preset (Algorithm 2 with 30 full epochs at lr 1e-5),
    both weight-scale modes, Algorithm 1 at 100 % and 99 % coverage.  The budget/lr sweep
    (:data:`SCHEDULES`) runs on VGG11 seed 0 only (a robustness check of the schedule, not a statistic).
    """
    runs = []
    for model in MODELS:
        for seed in range(seeds):
            w = widths[model]
            argv = ["--full", "--model", model, "--model-width", repr(w), "--seed", str(seed),
                    "--weight-scale-mode", "both", "--coverage", "1.0,0.99"] + list(cell_args)
            if schedules and model == "vgg11" and seed == 0:
                argv += ["--neat-schedules", ",".join(f"{lr:g}:{its}" for lr, its in SCHEDULES)]
            runs.append((f"{model}_w{w:g}_seed{seed}", model, w, seed, argv))
    return runs


def _config(argv: list) -> PipelineConfig:
    from .train import parse_command_line
    return parse_command_line(argv)[1]


def _makespan(seconds: list, jobs: int) -> float:
    """Longest-first assignment of run times to ``jobs`` workers: the time the last one finishes."""
    loads = [0.0] * jobs
    for s in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += s
    return max(loads)


def plan(root, *, budget_hours: float = 6.0, jobs: int = 2, seeds: int = 3, cell_args=(), widths=WIDTHS,
         schedules: bool = True, clock: str = "cpu", log=print) -> dict:
    """Calibrate, pick the widest widths whose study fits the budget, write ``root/plan.json``.

    Both models get the same width, the widest of ``widths`` that fits; then VGG11 (about a quarter
    of ResNet18's cost at equal width) is widened further while the study still fits.  ``clock="cpu"``
    (default) plans for an idle machine (CPU time of the calibration), ``"wall"`` for the machine as
    loaded as it is now.
    """
    root = Path(root)
    cell_cfg = _config(list(cell_args)).cell() if cell_args else None
    load_before = _load()
    costs = {}

    def cost(model, w):
        if (model, w) not in costs:
            t0 = time.perf_counter()
            costs[(model, w)] = calibrate(model, w, cell=cell_cfg, clock=clock)
            log(f"calibration {model} ×{w:g}: " + ", ".join(f"{k} {1e3 * v:.2f} ms/image"
                                                            for k, v in costs[(model, w)].items())
                + f"  ({time.perf_counter() - t0:.0f} s)")
        return costs[(model, w)]

    def estimate(ws):
        runs = study_runs(ws, seeds, list(cell_args), schedules=schedules)
        secs = [estimate_seconds(run_work(_config(r[4])), cost(r[1], r[2])) for r in runs]
        wall = _makespan(secs, jobs)
        log(f"widths {', '.join(f'{m} ×{w:g}' for m, w in ws.items())}: {len(runs)} runs, "
            f"{sum(secs) / 3600:.1f} h of one core, about {wall / 3600:.1f} h with {jobs} jobs")
        return runs, secs, wall

    chosen = None
    for w in widths:
        ws = {m: w for m in MODELS}
        est = estimate(ws)
        if est[2] > budget_hours * 3600:
            break
        chosen = (ws, *est)
    if chosen is None:
        ws = {m: widths[0] for m in MODELS}
        raise SystemExit(f"not even width ×{widths[0]:g} fits {budget_hours} h with {jobs} jobs ({clock} clock, "
                         f"load average {_load():.1f}); raise --budget-hours, or pass --no-schedules / fewer --seeds")
    for w in widths:
        if w <= chosen[0]["vgg11"]:
            continue
        ws = dict(chosen[0], vgg11=w)
        est = estimate(ws)
        if est[2] > budget_hours * 3600:
            break
        chosen = (ws, *est)
    ws, runs, secs, wall = chosen
    doc = {"created": time.strftime("%Y-%m-%d %H:%M:%S"), "budget_hours": budget_hours, "jobs": jobs, "seeds": seeds,
           "widths": ws, "clock": clock, "load_average_during_calibration": [load_before, _load()],
           "cell_args": list(cell_args),
           "estimated_hours": wall / 3600, "torch": torch.__version__,
           "calibration_s_per_image": {f"{m}@{wd:g}": c for (m, wd), c in costs.items()},
           "runs": [{"name": r[0], "model": r[1], "width": r[2], "seed": r[3],
                     "argv": r[4] + ["--threads", "1", "--no-progress", "--out", str(root / r[0])],
                     "estimated_s": s} for r, s in zip(runs, secs)]}
    root.mkdir(parents=True, exist_ok=True)
    atomic_write_json(root / "plan.json", doc)
    log(f"plan: {', '.join(f'{m} ×{w:g}' for m, w in ws.items())}, {len(runs)} runs, estimated {wall / 3600:.1f} h "
        f"with {jobs} jobs on {'an idle machine (CPU-time calibration)' if clock == 'cpu' else 'this machine as loaded now'}"
        f" (load average {load_before:.1f} during calibration) -> {root / 'plan.json'}")
    return doc


# ---------------------------------------------------------------------------- execution
def _finished(out: Path) -> bool:
    try:
        state = json.loads((out / "state.json").read_text())
    except (OSError, ValueError):
        return False
    return (out / "results.json").is_file() and "report" in state.get("stages", {})


def _run_one(run: dict, log) -> dict:
    out = Path(run["argv"][run["argv"].index("--out") + 1])
    if _finished(out):
        return {"name": run["name"], "status": "done", "skipped": True}
    out.mkdir(parents=True, exist_ok=True)
    argv = list(run["argv"]) + (["--resume"] if (out / "state.json").is_file() else [])
    cmd = [sys.executable, "-m", "neat.train"] + argv
    log(f"start {run['name']}: {shlex.join(cmd)}")
    t0 = time.perf_counter()
    with open(out / "log.txt", "a") as f:
        f.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {shlex.join(cmd)}\n")
        f.flush()
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=str(Path(__file__).resolve().parents[1]))
    dt = time.perf_counter() - t0
    status = "done" if proc.returncode == 0 and _finished(out) else f"failed (exit {proc.returncode})"
    log(f"{status}: {run['name']} after {dt / 60:.1f} min (estimate {run['estimated_s'] / 60:.0f} min)")
    return {"name": run["name"], "status": status, "wall_s": dt}


def run_study(root, *, jobs: int | None = None, log=print) -> list:
    """Run every unfinished run of ``root/plan.json``, longest first, ``jobs`` at a time (resumable)."""
    root = Path(root)
    doc = json.loads((root / "plan.json").read_text())
    jobs = jobs or doc["jobs"]
    runs = sorted(doc["runs"], key=lambda r: -r["estimated_s"])
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda r: _run_one(r, log), runs))
    atomic_write_json(root / "last_run.json", {"finished": time.strftime("%Y-%m-%d %H:%M:%S"), "runs": results})
    return results


def start_background(root) -> int:
    """Start ``run`` detached from this terminal (output in ``root/driver.log``); returns its pid."""
    root = Path(root)
    log = open(root / "driver.log", "a")
    proc = subprocess.Popen([sys.executable, "-m", "neat.study", "run", "--root", str(root)], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                            cwd=str(Path(__file__).resolve().parents[1]))
    (root / "driver.pid").write_text(str(proc.pid))
    return proc.pid


def status(root) -> list:
    """``[(name, finished stages, total stages, estimated min, state)]`` of every planned run."""
    root = Path(root)
    doc = json.loads((root / "plan.json").read_text())
    rows = []
    for r in doc["runs"]:
        out = root / r["name"]
        total = len(stage_plan(_config(r["argv"])))
        try:
            done = len(json.loads((out / "state.json").read_text())["stages"])
        except (OSError, ValueError, KeyError):
            done = 0
        rows.append((r["name"], done, total, r["estimated_s"] / 60, "done" if _finished(out) else
                     ("started" if done else "waiting")))
    return rows


# ------------------------------------------------------------------------------------ CLI
def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m neat.study", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("plan", "run", "start", "status", "aggregate"):
        s = sub.add_parser(name)
        s.add_argument("--root", default="runs/study", help="the study's run folder (git-ignored runs/...)")
        if name == "plan":
            s.add_argument("--budget-hours", type=float, default=6.0)
            s.add_argument("--jobs", type=int, default=2, help="runs side by side (one thread each)")
            s.add_argument("--seeds", type=int, default=3)
            s.add_argument("--no-schedules", action="store_true", help="leave out the budget/lr sweep")
            s.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                           help="plan for an idle machine (cpu, default) or for the current load (wall)")
            s.add_argument("--widths", default=",".join(f"{w:g}" for w in WIDTHS),
                           help="width ladder tried, smallest first")
            s.add_argument("cell_args", nargs=argparse.REMAINDER,
                           help="after '--': cell options passed to every run (--card, --transistor-side, ...)")
        if name == "run":
            s.add_argument("--jobs", type=int, help="default: the plan's")
        if name == "aggregate":
            s.add_argument("--out", default="docs/results/study")
    args = p.parse_args(argv)
    if args.command == "plan":
        cell_args = [a for a in args.cell_args if a != "--"]
        plan(args.root, budget_hours=args.budget_hours, jobs=args.jobs, seeds=args.seeds, cell_args=cell_args,
             widths=tuple(float(w) for w in args.widths.split(",")), schedules=not args.no_schedules,
             clock=args.clock)
        print(f"launch: python -m neat.study start --root {args.root}")
    elif args.command == "run":
        res = run_study(args.root, jobs=args.jobs)
        return 0 if all(r["status"] == "done" for r in res) else 1
    elif args.command == "start":
        pid = start_background(args.root)
        print(f"study running in the background (pid {pid}); progress: python -m neat.study status --root "
              f"{args.root}; log: {Path(args.root) / 'driver.log'}")
    elif args.command == "status":
        for name, done, total, est, st in status(args.root):
            print(f"{name:32s} {st:8s} {done:3d}/{total} stages  (estimate {est:.0f} min)")
    else:
        aggregate(args.root, args.out)
        print(f"wrote {args.out}/table_I.md, study.json and plots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
