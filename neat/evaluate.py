"""``python -m neat.evaluate``: a trained network of a run at ``circuit`` fidelity, on a Dask cluster.

Every crossbar tile of every layer is solved exactly (xbarsolve, with wire,
source and sink resistances) for the first ``--samples`` test images; the
layers' solve batches are spread over a Dask cluster (:mod:`neat.dask_circuit`:
a LocalCluster by default, ``--scheduler ADDRESS`` or ``$DASK_SCHEDULER_ADDRESS``
for a running one).  The numbers equal the single-process path's
(``--single-process``).  Images are evaluated ``--images-per-step`` at a time;
after each step the logits so far are saved (``OUT.partial.json``), so a killed
evaluation continues where it stopped when the same command is run again.

The result (``--out``, JSON): the evaluation's configuration, accuracy, and per
image the label, prediction and logits.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .checkpoint import CheckpointError, ResumeMismatchError, RunStore, atomic_write_json, config_hash
from .circuit import CircuitConfig
from .config import PipelineConfig
from .pipeline import RunContext, _recorded, stage_plan

__all__ = ["load_run", "circuit_network", "add_network_arguments", "network_from_arguments", "evaluate_circuit",
           "main"]

#: Stages whose checkpoint holds a trained network ("model").
_MODEL_STAGES = ("baseline", "clip_bn", "neat", "cell_ft", "schedule")


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def load_run(run) -> RunContext:
    """The context of the finished (or partly finished) run in folder ``run``: its configuration (checked
    against its hash), data, cell and the records of its finished stages.  Nothing is written."""
    state_path = Path(run) / "state.json"
    try:
        state = json.loads(state_path.read_text())
        recorded = state["config"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{state_path} is missing or unreadable ({type(e).__name__}: {e}); "
                              f"--run must be a neat.train run folder") from e
    names = {f.name for f in dataclasses.fields(PipelineConfig)}
    cfg = PipelineConfig(**{k: _tuples(v) for k, v in recorded.items() if k in names})
    ctx = RunContext(cfg, "cpu", False, {})
    ctx.store = RunStore(run, cfg.to_json(), resume=True, stages=tuple(stage_plan(cfg)))
    for stage in stage_plan(cfg):
        if ctx.store.is_done(stage) and stage != "report":
            ctx.results[stage] = _recorded(ctx.store, stage)
    return ctx


def circuit_network(ctx: RunContext, stage: str, v_gate, circuit: CircuitConfig, fidelity="circuit"):
    """The network of ``stage`` (e.g. ``neat.layer``) on crossbars at ``v_gate`` (V) with ``fidelity``."""
    kind, _, mode = stage.partition(".")
    if stage != "baseline" and not (kind in _MODEL_STAGES or kind.startswith("schedule")):
        raise ValueError(f"stage {stage!r} holds no trained network; choose one of "
                         f"{[s for s in ctx.results if s.split('.')[0] in _MODEL_STAGES or s.startswith('schedule')]}")
    if not ctx.store.is_done(stage):
        raise CheckpointError(f"stage {stage!r} of {ctx.store.out} has not finished")
    mode = mode or ctx.cfg.weight_scale_modes[0]
    state = ctx.store.load(stage)["model"]
    return ctx.crossbar_net(state, mode, v_gate, fidelity=fidelity, circuit=circuit)


@torch.no_grad()
def evaluate_circuit(net, x: torch.Tensor, y: torch.Tensor, *, images_per_step: int = 4, partial=None,
                     identity: dict | None = None, progress: bool = True) -> dict:
    """Logits, predictions and accuracy of ``net`` (in eval mode) on ``(x, y)``, ``images_per_step`` images
    at a time.  ``partial``: a JSON file holding the steps done so far (written after every step, read at
    the start when it records the same ``identity``), for resuming."""
    net.eval()
    n = x.shape[0]
    logits: list = []
    if partial is not None and Path(partial).is_file():
        saved = json.loads(Path(partial).read_text())
        if saved.get("identity") == identity:
            logits = saved["logits"]
    for s in tqdm(range(len(logits), n, images_per_step), desc="circuit evaluation", unit="step",
                  disable=not progress, initial=len(logits) // images_per_step, total=-(-n // images_per_step)):
        out = net(x[s:s + images_per_step]).to(torch.float64)
        logits += out.tolist()
        if partial is not None:
            atomic_write_json(partial, {"identity": identity, "logits": logits})
    pred = [max(range(len(row)), key=row.__getitem__) for row in logits]
    labels = [int(v) for v in y[:n]]
    correct = sum(int(p == t) for p, t in zip(pred, labels))
    return {"samples": n, "correct": correct, "accuracy": correct / max(n, 1), "labels": labels,
            "predictions": pred, "logits": logits}


def add_network_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments that choose a run's network and its parasitics: --run, --stage, --v-gate, --r-*."""
    p.add_argument("--run", required=True, help="a neat.train run folder (its state.json and checkpoints)")
    p.add_argument("--stage", help="the network: a finished stage with a model, e.g. baseline, neat.layer "
                                   "(default neat.<first weight-scale mode>)")
    p.add_argument("--v-gate", default="target", help="gate voltage (V) of every layer, or 'target' (the run's "
                                                      "NEAT target V_G, default) or 'reference'")
    for name in ("wire", "source", "sink"):
        p.add_argument(f"--r-{name}", type=float, help=f"r_{name} (Ω; default the run's circuit_r_{name})")


def network_from_arguments(args, fidelity: str = "circuit"):
    """``(ctx, stage, v_gate, circuit, net)`` for the arguments of :func:`add_network_arguments`: the
    run's context, the stage and gate voltage (V) chosen, the parasitics (:class:`CircuitConfig`, Ω) and
    the network at ``fidelity``.  Raises CheckpointError, ResumeMismatchError, ValueError, KeyError or
    FileNotFoundError for a run or stage that cannot be used."""
    ctx = load_run(args.run)
    cfg = ctx.cfg
    stage = args.stage or f"neat.{cfg.weight_scale_modes[0]}"
    if args.v_gate in ("target", "reference"):
        v_gate = ctx.v_target if args.v_gate == "target" else cfg.reference_v_gate
    else:
        v_gate = float(args.v_gate)
    circuit = CircuitConfig(r_wire=cfg.circuit_r_wire if args.r_wire is None else args.r_wire,
                            r_source=cfg.circuit_r_source if args.r_source is None else args.r_source,
                            r_sink=cfg.circuit_r_sink if args.r_sink is None else args.r_sink)
    return ctx, stage, v_gate, circuit, circuit_network(ctx, stage, v_gate, circuit, fidelity=fidelity)


#: What :func:`network_from_arguments` raises for a run or stage that cannot be used.
RUN_ERRORS = (CheckpointError, ResumeMismatchError, ValueError, KeyError, FileNotFoundError)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m neat.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_network_arguments(p)
    p.add_argument("--samples", type=int, default=16, help="first test images evaluated (default 16)")
    p.add_argument("--out", help="results JSON (default RUN/circuit-STAGE-VG.json)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (default $DASK_SCHEDULER_ADDRESS; "
                                       "neither: a LocalCluster)")
    p.add_argument("--workers", type=int, help="LocalCluster worker processes (default: one per core)")
    p.add_argument("--rows-per-task", type=int, default=256,
                   help="input vectors of a layer per Dask task (default 256; never changes a number)")
    p.add_argument("--images-per-step", type=int, default=4,
                   help="images per forward pass and per saved step (default 4; never changes a number)")
    p.add_argument("--single-process", action="store_true", help="no Dask: neat's own circuit path in this process")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("samples", "rows_per_task", "images_per_step"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.single_process and (args.scheduler or args.workers):
        parser.error("--single-process runs without Dask: leave out --scheduler and --workers")
    try:
        ctx, stage, v_gate, circuit, net = network_from_arguments(args)
    except RUN_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    cfg = ctx.cfg
    x, y = ctx.data.x_test[:args.samples], ctx.data.y_test[:args.samples]
    identity = {"run_config": config_hash(cfg.to_json()), "stage": stage, "v_gate": v_gate,
                "circuit": dataclasses.asdict(circuit), "samples": int(x.shape[0])}
    out = Path(args.out or Path(args.run) / f"circuit-{stage}-{v_gate:.4f}.json")
    partial = out.with_name(out.name + ".partial.json")
    t0 = time.perf_counter()
    if args.single_process:
        res = evaluate_circuit(net, x, y, images_per_step=args.images_per_step, partial=partial, identity=identity,
                               progress=not args.no_progress)
    else:
        from xbarsolve.cluster import MissingExtraError, dask_client
        from .dask_circuit import DaskCircuitFidelity
        from .layers import set_fidelity
        try:
            with dask_client(args.scheduler, workers=args.workers) as client:
                set_fidelity(net, DaskCircuitFidelity(client=client, rows_per_task=args.rows_per_task))
                res = evaluate_circuit(net, x, y, images_per_step=args.images_per_step, partial=partial,
                                       identity=identity, progress=not args.no_progress)
        except MissingExtraError as e:
            print(f"error: {e} (or pass --single-process)", file=sys.stderr)
            return 2
    wall = time.perf_counter() - t0
    atomic_write_json(out, {**identity, "run": str(args.run), **res, "wall_s": round(wall, 2)})
    if partial.exists():
        partial.unlink()
    print(json.dumps({"out": str(out), "accuracy": res["accuracy"], "samples": res["samples"],
                      "wall_s": round(wall, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
