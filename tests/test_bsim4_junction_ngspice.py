"""BSIM4 junction diodes and parasitic resistances against ngspice 39 (validation/bsim4_junction).

Every case of validation/bsim4_junction/cases.py is compared with its committed ngspice numbers
(reference.json; no ngspice needed): currents within max(1e-9·|I|, 1e-18 A, ngspice's own rounding
and stepping floors), resistances within 1e-9 relative.  A case changed since its numbers were
written is compared with a live ngspice run when ngspice is installed (with a warning to rewrite
the file), and fails otherwise.  With ngspice installed, a few cases are also re-run live and must
reproduce the committed numbers.
"""
from __future__ import annotations

import os
import shutil
import sys
import warnings

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from validation.bsim4_junction.cases import CASES, get_case, load_reference  # noqa: E402
from validation.bsim4_junction.compare import compare_case, run_case  # noqa: E402

HAVE_NGSPICE = shutil.which("ngspice") is not None
needs_ngspice = pytest.mark.skipif(not HAVE_NGSPICE, reason="ngspice is not installed")

REFERENCE = load_reference()


def _reference_for(case) -> dict:
    entry = REFERENCE["cases"].get(case.name)
    if entry is not None and entry["definition"] == case.definition():
        return entry
    what = "missing" if entry is None else "stale (the case changed since it was written)"
    if not HAVE_NGSPICE:
        pytest.fail(f"{case.name}: reference {what} -- run python validation/bsim4_junction/reference.py "
                    f"{case.name}")
    warnings.warn(f"{case.name}: reference {what}; compared with a live ngspice run -- rewrite it: "
                  f"python validation/bsim4_junction/reference.py {case.name}")
    return run_case(case)


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_matches_ngspice(name):
    case = get_case(name)
    r = compare_case(case, _reference_for(case))
    assert r["worst"] <= 1.0, f"{name}: {r['worst']:.3g} x the tolerance; {r['detail']}"


def test_cases_cover_the_models():
    kinds = {c.kind for c in CASES}
    assert kinds == {"terminal", "gate", "series"}
    overrides = [c.overrides for c in CASES]
    for key, values in (("diomod", {0, 1, 2}), ("rbodymod", {1, 2}), ("rdsmod", {1}), ("rgatemod", {1}),
                        ("version", {"4.6.5", "4.7", "4.8"})):
        assert values <= {o[key] for o in overrides if key in o}, key
    assert {c.card for c in CASES} == {"hp", "lp"} and {c.temperature for c in CASES} >= {27.0, 85.0}
    geomods = {o.get("geomod", c.instance.get("geomod")) for c, o in zip(CASES, overrides)}
    assert set(range(11)) <= geomods


@needs_ngspice
@pytest.mark.parametrize("name", ["hp_default_85", "diomod2_limits", "tat_v48_drain_factors_85", "nrs_nrd",
                                  "rdsmod1_series_v40", "rbodymod1_instance", "rgatemod1_layout"])
def test_live_ngspice_reproduces_the_committed_numbers(name):
    case = get_case(name)
    live = run_case(case)
    committed = REFERENCE["cases"][name]
    for key in ("currents", "vgs", "vds", "vbs"):
        np.testing.assert_allclose(live[key], committed[key], rtol=1e-12, atol=1e-21, err_msg=f"{name}: {key}")
    assert compare_case(case, live)["worst"] <= 1.0
