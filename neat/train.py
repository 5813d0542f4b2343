"""``python -m neat.train``: the NEAT pipeline end to end (see :mod:`neat.pipeline`).

With no arguments it runs the ``--quick`` preset (VGG11 ×0.25 on a Fashion-MNIST
subset, every stage, a few minutes on 2 CPU cores) into ``runs/quick``.
``--full`` is the preset of the committed report (docs/results/).  Any option
given explicitly overrides the preset.  A killed run continues with the same
command plus ``--resume``; ``--resume --redo STAGE`` recomputes a stage (and
the ones after it), e.g. after its checkpoint was reported unreadable.

Every option is checked when the command line is read: a bad value is an
``error:`` line naming the option, never a traceback.

``torchrun --nproc_per_node=N -m neat.train ...`` trains data-parallel on N
processes (:mod:`neat.ddp`: gloo on CPU, nccl with ``--device cuda``); rank 0
writes the run folder, and ``--resume`` continues it on any number of ranks.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time

import torch

from xbarsolve.spice import parse_spice_number

from . import ddp
from .cards import CardError
from .cell import METRICS, TRANSISTOR_SIDES
from .checkpoint import CheckpointError, ResumeMismatchError
from .config import FULL, QUICK, WEIGHT_SCALE_MODES, ConfigError, PipelineConfig
from .data import DATASETS, DatasetMissingError
from .energy import TOGGLING_POLICIES
from .models import MODELS
from .pipeline import run_pipeline, stage_plan

__all__ = ["build_parser", "config_from_args", "parse_command_line", "main"]


# ------------------------------------------------------------------- option value types
def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return v


def int_at_least(low: int):
    def parse(text: str) -> int:
        v = _int(text)
        if v < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {v}")
        return v
    parse.__name__ = f"integer >= {low}"
    return parse


def count_or_all(text: str):
    """A number of images >= 1, or 'all' (None)."""
    if text.strip().lower() == "all":
        return None
    v = _int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a number of images >= 1 or 'all', got {v}")
    return v


def positive_float(text: str) -> float:
    v = _float(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {v:g}")
    return v


def non_negative_float(text: str) -> float:
    v = _float(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v:g}")
    return v


def fraction(text: str) -> float:
    v = _float(text)
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"must be a fraction in (0, 1], got {v:g}")
    return v


def open_fraction(text: str) -> float:
    v = _float(text)
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"must be a fraction in (0, 1), got {v:g}")
    return v


def gate_voltage_or_auto(text: str):
    """A gate voltage in (0, 5] V, or 'auto' (None)."""
    if text.strip().lower() == "auto":
        return None
    v = _float(text)
    if not 0 < v <= 5:
        raise argparse.ArgumentTypeError(f"must be a gate voltage in (0, 5] V or 'auto', got {v:g}")
    return v


def length(text: str) -> float:
    """A length in metres; SPICE suffixes allowed ('3.5u', '350n', '3.5um')."""
    try:
        v = parse_spice_number(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"expected a length in metres such as 3.5e-6 or 3.5u, got {text!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive length, got {text!r}")
    return v


def threads_or_auto(text: str):
    """A thread count >= 1, or 'auto'."""
    return "auto" if text.strip().lower() == "auto" else int_at_least(1)(text)


def auto_threads() -> int:
    """Cores not busy with other work: cpu count minus the 1-minute load average, at least 1."""
    import os
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return cores
    return max(1, min(cores, int(cores - load + 0.5)))


def existing_file(text: str) -> str:
    from pathlib import Path
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text!r}")
    return text


def card_argument(text: str) -> str:
    """A published card's name, "builtin", or an existing card file."""
    from .cards import BUILTIN, PUBLISHED_CARDS
    if text in PUBLISHED_CARDS or text == BUILTIN:
        return text
    try:
        return existing_file(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"no such file: {text!r} (or name a published card: "
                                         f"{', '.join(PUBLISHED_CARDS)}, or {BUILTIN})") from None


def number_list(item):
    """A comma-separated list of values parsed by ``item``."""
    def parse(text: str) -> tuple:
        parts = [t for t in text.split(",") if t.strip()]
        if not parts:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
        return tuple(item(t.strip()) for t in parts)
    parse.__name__ = "list"
    return parse


def schedule(text: str) -> tuple:
    """``LR:ITERATIONS``, e.g. ``1e-4:10``."""
    try:
        lr, its = text.split(":")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LR:ITERATIONS such as 1e-4:10, got {text!r}") from None
    return positive_float(lr), int_at_least(1)(its)


def scale_modes(text: str) -> tuple:
    """'global', 'layer' or 'both' (layer first)."""
    if text == "both":
        return ("layer", "global")
    if text in WEIGHT_SCALE_MODES:
        return (text,)
    raise argparse.ArgumentTypeError(f"expected one of {WEIGHT_SCALE_MODES + ('both',)}, got {text!r}")


def device_name(text: str) -> str:
    """'cpu', 'cuda' or 'cuda:N' (availability is checked when the run starts)."""
    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected 'cpu', 'cuda' or 'cuda:N', got {text!r}") from None
    if dev.type not in ("cpu", "cuda"):
        raise argparse.ArgumentTypeError(f"expected 'cpu', 'cuda' or 'cuda:N', got {text!r}")
    return str(dev)


def _bool_flag(g, name, help):
    g.add_argument(name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=help)


# ---------------------------------------------------------------------------- the parser
#: CLI options that set a PipelineConfig field of the same name (absent options keep the preset's value).
_FIELDS = ("dataset", "data_dir", "train_subset", "test_subset", "augment", "model", "model_width", "epochs",
           "batch_size", "lr", "seed", "card", "transistor_side", "transistor_width", "v_max", "neat_iterations",
           "neat_lr", "neat_epochs_per_iter", "neat_iter_samples", "neat_v_gate", "neat_min_span", "neat_final_clip",
           "neat_schedules", "controls", "controls_full_sweep", "recal_samples", "cell_finetune", "cellft_epochs", "cellft_lr",
           "cellft_samples", "coverages", "weight_scale_modes", "sweep_v_gates", "metric", "tolerance",
           "energy_samples", "energy_sensitivity", "circuit_samples", "train_threads")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m neat.train", description=__doc__, argument_default=argparse.SUPPRESS,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    preset = p.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help="quick preset (the default): %s" % QUICK)
    preset.add_argument("--full", action="store_true", help="full-report preset: %s" % FULL)
    g = p.add_argument_group("data and model")
    g.add_argument("--dataset", choices=DATASETS, help="default fashion_mnist")
    g.add_argument("--data-dir", help="dataset folder (Fashion-MNIST default /usr/share/datasets/fashion-mnist; "
                                      "CIFAR: folder holding cifar-10-batches-py / cifar-100-python)")
    g.add_argument("--train-subset", type=count_or_all, help="training images kept ('all' for all)")
    g.add_argument("--test-subset", type=count_or_all, help="test images kept ('all' for all)")
    _bool_flag(g, "--augment", "random crop + flip on training batches")
    g.add_argument("--model", choices=MODELS)
    g.add_argument("--model-width", type=positive_float, help="channel width multiplier of the network")
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=int_at_least(0), help="baseline training epochs")
    g.add_argument("--batch-size", type=int_at_least(1))
    g.add_argument("--lr", type=positive_float, help="baseline Adam learning rate (cosine decay)")
    g.add_argument("--seed", type=int_at_least(0), help="seed of every random choice (integer >= 0)")
    g.add_argument("--train-threads", type=int_at_least(1),
                   help="torch threads of every training step; part of the configuration because torch's backward "
                        "reductions depend on it (default 1)")
    g = p.add_argument_group("the 1T-1R cell (docs/neat_cell_analysis.md)")
    g.add_argument("--card", type=card_argument,
                   help="the selector's SPICE NMOS model card: a file, or ptm45_lp (default) / ptm45_hp (the "
                        "published PTM 45 nm cards), or builtin (the BsimLikeNMOS 45 nm HP core)")
    g.add_argument("--transistor-side", choices=TRANSISTOR_SIDES, help="where the selector sits (default row)")
    g.add_argument("--width", dest="transistor_width", type=length,
                   help="selector channel width in metres, e.g. 3.5e-6 or 3.5u (default 3.5 µm)")
    g.add_argument("--v-max", type=positive_float, help="largest read voltage (V, default 0.2)")
    g.add_argument("--metric", choices=METRICS, help="cell non-linearity metric")
    g.add_argument("--tolerance", type=open_fraction, help="non-linearity tolerance (fraction, default 0.025)")
    g = p.add_argument_group("NEAT and crossbars")
    g.add_argument("--neat-iterations", type=int_at_least(0), help="clip+retrain iterations (paper: 30)")
    g.add_argument("--neat-lr", type=positive_float, help="NEAT Adam learning rate (paper: 1e-5)")
    g.add_argument("--neat-epochs-per-iter", type=int_at_least(1))
    g.add_argument("--neat-iter-samples", type=count_or_all, help="training images per NEAT iteration ('all')")
    g.add_argument("--neat-v-gate", type=gate_voltage_or_auto,
                   help="target V_G (V) of NEAT and the cell fine-tune; 'auto' = lowest V_G keeping "
                        "--neat-min-span of the conductance span linear")
    g.add_argument("--neat-min-span", type=fraction,
                   help="automatic target: lowest V_G keeping this fraction of the conductance span linear (0.25)")
    _bool_flag(g, "--neat-final-clip", "clip once more before every crossbar evaluation (default on)")
    g.add_argument("--neat-schedules", type=number_list(schedule),
                   help="extra NEAT schedules LR:ITERATIONS,... (budget/lr sweep), e.g. 1e-4:10,1e-3:10")
    _bool_flag(g, "--controls", "also evaluate clipping alone and clipping + BatchNorm recalibration (default on)")
    _bool_flag(g, "--controls-full-sweep", "evaluate the controls over the whole V_G sweep (else at V_target and "
                                           "the reference only)")
    g.add_argument("--recal-samples", type=count_or_all, help="training images for the BN recalibration ('all')")
    _bool_flag(g, "--cell-finetune", "also fine-tune through the non-linear cell model (beyond the paper)")
    g.add_argument("--cellft-epochs", type=int_at_least(0))
    g.add_argument("--cellft-lr", type=positive_float)
    g.add_argument("--cellft-samples", type=count_or_all)
    g.add_argument("--coverage", dest="coverages", type=number_list(fraction),
                   help="Algorithm 1: fraction(s) of a layer's weights that must be linear, the first the "
                        "headline (paper: 1.0), e.g. 1.0,0.99")
    g.add_argument("--weight-scale-mode", dest="weight_scale_modes", type=scale_modes,
                   help="weight scale per 'layer', network-wide 'global', or 'both' (default both)")
    g.add_argument("--sweep-v-gates", type=number_list(positive_float), help="homogeneous V_G evaluated, e.g. 1.3,1.0,0.9")
    g.add_argument("--energy-samples", type=int_at_least(1), help="test images averaged for the energy")
    _bool_flag(g, "--energy-sensitivity", "energy sensitivity table (width, toggling, t_read)")
    g.add_argument("--energy-toggling", choices=TOGGLING_POLICIES,
                   help="select-line toggling policy of the energy model (default per_inference)")
    g.add_argument("--circuit-samples", type=int_at_least(0),
                   help="test images evaluated at circuit fidelity with parasitics (0: skip; slow)")
    g = p.add_argument_group("run (these do not change a run's numbers)")
    g.add_argument("--out", help="run folder (default runs/quick or runs/full)")
    g.add_argument("--resume", action="store_true", default=False, help="continue the run in --out")
    g.add_argument("--overwrite", action="store_true", default=False, help="discard the run in --out and start over")
    g.add_argument("--redo", help="with --resume: recompute this stage (e.g. neat.layer) and the ones after it")
    g.add_argument("--stop-after", help="stop after this stage, e.g. baseline (resume later)")
    g.add_argument("--device", type=device_name, default="cpu", help="cpu (default), cuda or cuda:N")
    g.add_argument("--threads", type=threads_or_auto, default="auto",
                   help="torch CPU threads outside training steps (evaluation, cell solves, kernels); 'auto' "
                        "(default): the cores not busy with other work (1 on a loaded machine, where OpenMP "
                        "threads stall each other); never changes a number")
    g.add_argument("--no-progress", action="store_true", default=False, help="no progress bars")
    return p


def config_from_args(args) -> PipelineConfig:
    """Preset, then every option given on the command line."""
    kw = dict(FULL if getattr(args, "full", False) else QUICK)
    given = vars(args)
    for name in _FIELDS:
        if name in given:
            kw[name] = given[name]
    if "energy_toggling" in given:
        kw["energy_constants"] = {**kw.get("energy_constants", {}), "toggling": given["energy_toggling"]}
    return PipelineConfig(**kw)


def parse_command_line(argv=None) -> tuple:
    """``(args, PipelineConfig)`` from the command line; every problem is an argparse error (exit 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        cfg = config_from_args(args)
    except (ValueError, TypeError) as e:
        parser.error(str(e))
    if args.resume and args.overwrite:
        parser.error("--resume and --overwrite exclude each other")
    if getattr(args, "redo", None) and not args.resume:
        parser.error("--redo recomputes a stage of an existing run: give --resume too")
    plan = stage_plan(cfg)
    for opt in ("redo", "stop_after"):
        if getattr(args, opt, None) is not None and getattr(args, opt) not in plan:
            parser.error(f"--{opt.replace('_', '-')}: {getattr(args, opt)!r} is not a stage of this run; "
                         f"its stages are {', '.join(plan)}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: CUDA is not available on this machine")
    return args, cfg


def main(argv=None) -> int:
    args, cfg = parse_command_line(argv)
    torch.set_num_threads(auto_threads() if args.threads == "auto" else args.threads)
    out = getattr(args, "out", None) or ("runs/full" if getattr(args, "full", False) else "runs/quick")
    dp = ddp.start_from_environment(args.device)  # launched by torchrun: data-parallel training (neat.ddp)
    device = args.device if dp is None else dp.device
    t0 = time.perf_counter()
    try:
        res = run_pipeline(cfg, out, resume=args.resume, overwrite=args.overwrite, device=device,
                           progress=not args.no_progress, stop_after=getattr(args, "stop_after", None),
                           redo=getattr(args, "redo", None))
    except (DatasetMissingError, FileExistsError, CheckpointError, ResumeMismatchError, ConfigError, CardError) as e:
        print(f"error: {e}" if dp is None else f"error (rank {dp.rank}): {e}", file=sys.stderr)
        return 2
    finally:
        ddp.stop()
    wall = time.perf_counter() - t0
    if dp is not None and not dp.is_main:
        return 0
    if "report" in res:
        print(res["report"]["markdown"])
        print(f"files in {out}: {', '.join(res['report']['files'])}")
    else:
        print(f"stopped after {list(res)[-1]}; continue with the same options plus --resume")
    print(f"wall time {wall:.1f} s")
    print(json.dumps({"out": str(out), "wall_s": round(wall, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
