"""Run ngspice 39 on every case of :mod:`.cases` and write ``device_reference.json``.

Each entry keeps the case's definition, so that the tests can tell a stale entry (the case changed
since) from a failing one.  Usage::

    python validation/bsim4/reference.py            # rewrite every case
    python validation/bsim4/reference.py NAME ...   # rewrite some
"""
from __future__ import annotations

import dataclasses
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from validation.bsim4.cases import CASES  # noqa: E402
from validation.bsim4.compare import REFERENCE  # noqa: E402
from validation.bsim4_junction.compare import run_case  # noqa: E402
from validation.bsim4_junction.reference import write_reference  # noqa: E402


CHUNK = 8  # bias points per ngspice run: a hard point then costs a small deck, not the whole case


def run_in_chunks(case) -> dict:
    """ngspice's currents and stepping flags for ``case``, :data:`CHUNK` points per run."""
    parts = [run_case(dataclasses.replace(case, biases=case.biases[k:k + CHUNK]))
             for k in range(0, len(case.biases), CHUNK)]
    return {key: [x for part in parts for x in part[key]] for key in ("currents", "stepped")}


def main(argv=None) -> int:
    write_reference(REFERENCE, CASES, list(argv if argv is not None else sys.argv[1:]), run_in_chunks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
