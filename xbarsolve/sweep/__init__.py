"""Declarative sweeps over crossbar configurations, solved on a Dask cluster, results in Parquet.

>>> from xbarsolve.sweep import load_spec, run_sweep, read_sweep
>>> summary = run_sweep(load_spec("wires.toml"), "wires.sweep", workers=2)   # doctest: +SKIP
>>> table = read_sweep("wires.sweep")                                          # doctest: +SKIP

Command line: ``python -m xbarsolve.sweep SPEC.toml [--out DIR] [--scheduler ADDRESS]``.

* :mod:`.spec` -- the specification (grid and random product over crossbar arguments and
  input/conductance distributions), its configurations, seeds and tasks (pure, no Dask);
* :mod:`.record` -- the recorded functions of a solution;
* :mod:`.solve` -- one task's work on a worker (pure: plain data in, rows out);
* :mod:`.store` -- the Parquet results folder, resumable;
* :mod:`.run` -- the driver on a Dask cluster (:mod:`xbarsolve.cluster`).

Running needs the optional extra ``pip install xbarsolve[distributed]`` (Dask distributed,
pyarrow); building and checking specs does not.  docs/distributed.md has the cost model.
"""
from .record import RECORDERS
from .spec import PARAMETERS, Configuration, SpecError, SweepSpec, load_spec
from .solve import run_task, solve_configuration

__all__ = ["SweepSpec", "load_spec", "SpecError", "Configuration", "PARAMETERS", "RECORDERS", "run_task",
           "solve_configuration", "run_sweep", "read_sweep", "SweepMismatchError"]


def __getattr__(name):  # the parts that need the distributed extra are imported on use
    if name == "run_sweep":
        from .run import run_sweep
        return run_sweep
    if name in ("read_sweep", "SweepMismatchError"):
        from . import store
        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
