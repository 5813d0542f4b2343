"""Run ngspice 39 on every case of :mod:`.cases` and write ``device_reference.json``.

Each entry keeps the case's definition, so that the tests can tell a stale entry (the case changed
since) from a failing one.  Usage::

    python validation/bsim4/reference.py            # rewrite every case
    python validation/bsim4/reference.py NAME ...   # rewrite some
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from validation.bsim4.cases import CASES  # noqa: E402
from validation.bsim4.compare import REFERENCE  # noqa: E402
from validation.bsim4_junction.compare import run_case  # noqa: E402
from validation.bsim4_junction.reference import ngspice_version  # noqa: E402


CHUNK = 8  # bias points per ngspice run: a hard point then costs a small deck, not the whole case


def run_in_chunks(case) -> dict:
    """ngspice's currents and stepping flags for ``case``, :data:`CHUNK` points per run."""
    parts = [run_case(dataclasses.replace(case, biases=case.biases[k:k + CHUNK]))
             for k in range(0, len(case.biases), CHUNK)]
    return {key: [x for part in parts for x in part[key]] for key in ("currents", "stepped")}


def main(argv=None) -> int:
    names = list(argv if argv is not None else sys.argv[1:])
    data = {"ngspice_version": ngspice_version(), "cases": {}}
    if names and os.path.exists(REFERENCE):
        with open(REFERENCE) as fh:
            data["cases"] = json.load(fh)["cases"]
    for case in CASES:
        if names and case.name not in names:
            continue
        entry = run_in_chunks(case)
        entry["definition"] = case.definition()
        data["cases"][case.name] = entry
        print(f"{case.name}: {len(case.biases)} points{' (stepped)' if any(entry['stepped']) else ''}")
    known = {c.name for c in CASES}
    data["cases"] = {k: v for k, v in data["cases"].items() if k in known}
    with open(REFERENCE, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
