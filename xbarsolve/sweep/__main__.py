"""``python -m xbarsolve.sweep SPEC.toml``: run a sweep (see :mod:`xbarsolve.sweep`)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..cluster import SCHEDULER_ENV, MissingExtraError
from .spec import PARAMETERS, SpecError, load_spec


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m xbarsolve.sweep", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Solve every configuration of a sweep spec on a Dask cluster; rows stream to Parquet "
                    "files in --out. Run the same command again to finish a killed sweep.",
        epilog="parameters: " + ", ".join(PARAMETERS))
    p.add_argument("spec", help="the sweep spec (TOML)")
    p.add_argument("--out", help="results folder (default: SPEC's name with .sweep, beside it)")
    p.add_argument("--scheduler", help=f"address of a running Dask scheduler (default ${SCHEDULER_ENV}; "
                                       f"neither: a LocalCluster on this machine)")
    p.add_argument("--workers", type=int, help="LocalCluster worker processes (default: one per core)")
    p.add_argument("--overwrite", action="store_true", help="discard the results in --out and start over")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        spec = load_spec(args.spec)
    except SpecError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 1:
        print(f"error: --workers must be >= 1, got {args.workers}", file=sys.stderr)
        return 2
    out = args.out or str(Path(args.spec).with_suffix(".sweep"))
    from .run import run_sweep
    from .store import SweepMismatchError
    try:
        summary = run_sweep(spec, out, scheduler=args.scheduler, workers=args.workers, overwrite=args.overwrite,
                            progress=not args.no_progress)
    except (MissingExtraError, SweepMismatchError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
