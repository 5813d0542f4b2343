"""Kernels come from numba's on-disk cache in a fresh process (issue 15: no multi-second compile).

White-box by necessity: the property is about compilation, which the public API does not show.
A child process solves crossbars of every built-in model family (and differentiates one) and
reports every numba function it *compiled* rather than loaded from the cache.  The first child
may compile (cold cache); a second, identical child must compile nothing.  Times are never
asserted (they depend on the machine); what is asserted is that nothing needs compiling.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

CHILD = r"""
import json, sys, types
import numpy as np
from numba.core.dispatcher import Dispatcher
import xbarsolve
from xbarsolve import Crossbar, Level1NMOS, SinhMemristor
from xbarsolve._adjoint import CrossbarAdjoint as plan_of

rng = np.random.default_rng(0)
g = rng.uniform(1e-5, 3e-5, (3, 4))
v = rng.uniform(0.0, 0.4, (2, 3))
parasitics = dict(r_source=10.0, r_sink=20.0, r_wire=2.5)
for xb in (Crossbar(g, **parasitics), Crossbar(g, transistor=Level1NMOS(w=1e-6, l=1e-6), **parasitics),
           Crossbar(g, cell="1r", memristor=SinhMemristor(0.25), **parasitics), Crossbar(g),
           Crossbar(g, transistor_side="column", **parasitics)):
    xb.solve(v)
    xb.solve(v[:1])
linear = Crossbar(g, cell="1r", **parasitics)  # linear cells: one shared factorization (issue 16)
linear.solve(np.tile(v, (2, 1)), outputs=("column_currents", "power"))
plan_of(linear).vjp(linear.operating_point(np.tile(v, (2, 1))), {"column_currents": np.ones((4, 4))},
                    {"v_in", "conductances"})
plan = plan_of(xb)
op = xb.operating_point(v)
plan.vjp(op, {"column_currents": np.ones((2, 4))}, {"v_in", "conductances", "v_gate", "r_sink"})

compiled, seen = [], set()

def visit(obj, where):
    if isinstance(obj, Dispatcher):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        uncached = obj._cache is None or type(obj._cache).__name__ == "NullCache"
        if obj.overloads and (uncached or obj.stats.cache_misses):
            compiled.append(where)
    elif isinstance(obj, type):
        for name, value in vars(obj).items():
            visit(getattr(value, "__func__", value), f"{where}.{name}")

for name, module in list(sys.modules.items()):
    if name.startswith("xbarsolve"):
        for attr, value in vars(module).items():
            visit(value, f"{name}.{attr}")
print(json.dumps(compiled))
"""


def _run_child() -> list:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_fresh_process_compiles_nothing_once_the_cache_is_warm():
    _run_child()  # may compile (cold cache)
    compiled = _run_child()
    assert compiled == [], f"compiled instead of loaded from numba's cache: {compiled}"


def test_model_functions_have_names_unique_to_their_model():
    """numba's symbol for a compiled function is its module, qualified name, argument types and a
    per-process counter; cached kernels from other processes are linked in with their own
    counters.  Two models' element functions with one qualified name and one signature could
    then share a symbol and the wrong body be linked (seen: wrong v_gate gradients after one
    cache state).  Every model's element functions must therefore be named apart."""
    from xbarsolve import BsimLikeNMOS, Level1NMOS, LinearMemristor, SinhMemristor
    from xbarsolve.devices import Bsim4NMOS, Resistor
    names = {}
    for model in (Level1NMOS, BsimLikeNMOS, Bsim4NMOS, LinearMemristor, SinhMemristor, Resistor):
        for attr in ("evaluate", "current", "step_limit", "parameter_partials", "terminal_currents"):
            f = getattr(model, attr, None)
            if f is None or not hasattr(f, "py_func"):
                continue
            name = f"{f.py_func.__module__}.{f.py_func.__qualname__}"
            assert names.setdefault(name, f) is f, f"{model.__name__}.{attr} shares the name {name}"
