"""Run ngspice 39 on every case of :mod:`.cases` and write ``reference.json`` (the committed numbers).

Each entry keeps the case's definition, so that tests can tell a stale entry (the case changed
since) from a failing one.

Usage::

    python validation/bsim4_junction/reference.py            # rewrite every case
    python validation/bsim4_junction/reference.py NAME ...   # rewrite some
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from validation.bsim4_junction.cases import CASES, REFERENCE  # noqa: E402
from validation.bsim4_junction.compare import run_case  # noqa: E402


def ngspice_version() -> str:
    out = subprocess.run(["ngspice", "--version"], capture_output=True, text=True).stdout
    return next((line.strip("* ").strip() for line in out.splitlines() if "ngspice-" in line), "unknown")


def write_reference(path: str, cases, names, run) -> None:
    """Run ``run(case)`` (ngspice's numbers, a dict) for every case of ``cases`` named in ``names``
    (all when empty) and write them, with each case's definition, into the JSON file ``path``;
    entries of other cases already in the file are kept, entries of removed cases dropped."""
    data = {"ngspice_version": ngspice_version(), "cases": {}}
    if names and os.path.exists(path):
        with open(path) as fh:
            data["cases"] = json.load(fh)["cases"]
    for case in cases:
        if names and case.name not in names:
            continue
        entry = run(case)
        entry["definition"] = case.definition()
        data["cases"][case.name] = entry
        stepped = " (stepped)" if any(entry.get("stepped", ())) else ""
        print(f"{case.name}: {len(case.biases)} points{stepped}")
    known = {c.name for c in cases}
    data["cases"] = {k: v for k, v in data["cases"].items() if k in known}
    with open(path, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")


def main(argv=None) -> int:
    write_reference(REFERENCE, CASES, list(argv if argv is not None else sys.argv[1:]), run_case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
