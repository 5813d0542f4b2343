"""``python -m neat.train``: the NEAT pipeline end to end (see :mod:`neat.pipeline`).

With no arguments it runs the ``--quick`` preset (VGG11 ×0.25 on a Fashion-MNIST
subset, every stage, a few minutes on 2 CPU cores) into ``runs/quick``.
``--full`` is the preset of the committed report (docs/results/).  Any option
given explicitly overrides the preset.  A killed run continues with the same
command plus ``--resume``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from .data import DATASETS, DatasetMissingError
from .models import MODELS
from .pipeline import FULL, QUICK, STAGES, PipelineConfig, run_pipeline

__all__ = ["build_parser", "config_from_args", "main"]


_ALL = -1  # "all" on the command line (None in the config)


def _opt_int(s: str):
    return _ALL if s.lower() in ("none", "all") else int(s)


def _opt_float(s: str):
    return None if s.lower() in ("none", "auto") else float(s)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m neat.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    preset = p.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help="quick preset (the default): %s" % QUICK)
    preset.add_argument("--full", action="store_true", help="full-report preset: %s" % FULL)
    g = p.add_argument_group("data and model")
    g.add_argument("--dataset", choices=DATASETS, help="default fashion_mnist")
    g.add_argument("--data-dir", help="dataset folder (Fashion-MNIST default /usr/share/datasets/fashion-mnist; "
                                      "CIFAR: folder holding cifar-10-batches-py / cifar-100-python)")
    g.add_argument("--train-subset", type=_opt_int, help="training images kept ('all' for all)")
    g.add_argument("--test-subset", type=_opt_int, help="test images kept ('all' for all)")
    g.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random crop + flip on training batches")
    g.add_argument("--model", choices=MODELS)
    g.add_argument("--width", type=float, help="channel width multiplier")
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=int, help="baseline training epochs")
    g.add_argument("--batch-size", type=int)
    g.add_argument("--lr", type=float, help="baseline Adam learning rate (cosine decay)")
    g.add_argument("--seed", type=int)
    g = p.add_argument_group("NEAT and crossbars")
    g.add_argument("--neat-iterations", type=int, help="clip+retrain iterations (paper: 30)")
    g.add_argument("--neat-lr", type=float, help="NEAT Adam learning rate (paper: 1e-5)")
    g.add_argument("--neat-epochs-per-iter", type=int)
    g.add_argument("--neat-iter-samples", type=_opt_int, help="training images per NEAT iteration ('all')")
    g.add_argument("--neat-v-gate", type=_opt_float,
                   help="target V_G (V) of NEAT and the cell fine-tune; 'auto' = lowest V_G keeping "
                        "--neat-min-span of the conductance span linear")
    g.add_argument("--neat-min-span", type=float,
                   help="automatic target: lowest V_G keeping this fraction of the conductance span linear (0.25)")
    g.add_argument("--cell-finetune", action=argparse.BooleanOptionalAction, default=None,
                   help="also fine-tune through the non-linear cell model (beyond the paper)")
    g.add_argument("--cellft-epochs", type=int)
    g.add_argument("--cellft-samples", type=_opt_int)
    g.add_argument("--coverage", type=float, help="gate control: fraction of a layer's weights that must be linear")
    g.add_argument("--weight-scale-mode", choices=("global", "layer"))
    g.add_argument("--metric", choices=("ideal", "small_signal", "endpoint"), help="cell non-linearity metric")
    g.add_argument("--tolerance", type=float, help="non-linearity tolerance (fraction, default 0.025)")
    g.add_argument("--energy-samples", type=int, help="test images averaged for the energy")
    g = p.add_argument_group("run")
    g.add_argument("--out", help="run folder (default runs/quick or runs/full)")
    g.add_argument("--resume", action="store_true", help="continue the run in --out")
    g.add_argument("--overwrite", action="store_true", help="discard the run in --out and start over")
    g.add_argument("--stop-after", choices=STAGES, help="stop after this stage (resume later)")
    g.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    g.add_argument("--threads", type=int, help="torch CPU threads")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


_MAP = {"dataset": "dataset", "data_dir": "data_dir", "train_subset": "train_subset", "test_subset": "test_subset",
        "augment": "augment", "model": "model", "width": "width", "epochs": "epochs", "batch_size": "batch_size",
        "lr": "lr", "seed": "seed", "neat_iterations": "neat_iterations", "neat_lr": "neat_lr",
        "neat_epochs_per_iter": "neat_epochs_per_iter", "neat_iter_samples": "neat_iter_samples",
        "neat_v_gate": "neat_v_gate", "neat_min_span": "neat_min_span", "cell_finetune": "cell_finetune",
        "cellft_epochs": "cellft_epochs",
        "cellft_samples": "cellft_samples", "coverage": "coverage", "weight_scale_mode": "weight_scale_mode",
        "metric": "metric", "tolerance": "tolerance", "energy_samples": "energy_samples"}


def config_from_args(args) -> PipelineConfig:
    """Preset, then every explicitly given option."""
    kw = dict(FULL if args.full else QUICK)
    given = vars(args)
    for a, f in _MAP.items():
        if given.get(a) is not None:
            kw[f] = None if (isinstance(given[a], int) and given[a] == _ALL) else given[a]
    return PipelineConfig(**kw)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        cfg = config_from_args(args)
    except (ValueError, TypeError) as e:
        parser.error(str(e))
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: CUDA is not available on this machine")
    if args.threads:
        torch.set_num_threads(args.threads)
    out = args.out or ("runs/full" if args.full else "runs/quick")
    t0 = time.perf_counter()
    try:
        res = run_pipeline(cfg, out, resume=args.resume, overwrite=args.overwrite, device=args.device,
                           progress=not args.no_progress, stop_after=args.stop_after)
    except (DatasetMissingError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    wall = time.perf_counter() - t0
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
